"""Found in review of the caches (vorlagen_cache.py, build's output cache) and of rows.py:
each test failed before its fix."""

from __future__ import annotations

import datetime as dt

from .test_rows_review import _cell, _emitted_and_jinja, _loop, _template

# --- rows.py ----------------------------------------------------------------------------------


def test_attributes_of_inner_loop_items_that_are_not_dicts(tmp_path, monkeypatch):
    # _probe left a non-dict item of an inner loop as it is: its attribute was rendered into
    # the row's shape, and every row with as many inner items repeated the first row's values.
    cell = _cell("{% for d in m.termine %}{{ d.year }};{% endfor %}")
    path = _template(tmp_path / "t.docx", _loop("{%tr for m in xs %}", cell))
    context = {"xs": [{"termine": [dt.date(2020, 1, 1)]}, {"termine": [dt.date(2021, 1, 1)]}]}
    emitted, jinja = _emitted_and_jinja(path, context, monkeypatch)
    assert "2020;" in jinja and "2021;" in jinja
    assert emitted == jinja
