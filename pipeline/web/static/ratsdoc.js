// ratsdoc: after a form's answer replaced the page's content, put the keyboard focus on its
// message (saved, refused, conflict), so that screen readers read it and Tab goes on from there.
(function () {
  "use strict";
  function focusMessage() {
    var target = document.querySelector("#inhalt [data-fokus]");
    if (target) {
      if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
      target.focus();
    }
  }
  document.addEventListener("htmx:after:swap", focusMessage);
  document.addEventListener("htmx:after:settle", focusMessage);
  document.addEventListener("DOMContentLoaded", focusMessage);
})();
