"""Templates are files someone edits by hand: attempts to escape the sandbox are refused."""

from __future__ import annotations

import pytest

from .conftest import DATA
from .test_bad_input import build_fails, template_with, templates_root

ATTEMPTS = {
    "mro": "{{ ''.__class__.__mro__ }}",
    "subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "self-globals": "{{ self.__init__.__globals__ }}",
    "cycler-os": "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "lipsum-builtins": "{{ lipsum.__globals__['__builtins__'] }}",
    "format-string": "{{ '{0.__class__}'.format(betreff) }}",
    "attr-filter": "{{ betreff|attr('__class__') }}",
    "include-file": "{% include '/etc/passwd' %}",
    "import-file": "{% import '/etc/hostname' as h %}",
    "extends-file": "{% extends '/etc/passwd' %}",
    "huge-range": "{{ range(10**9)|list|length }}",
}


@pytest.mark.parametrize("attempt", ATTEMPTS.values(), ids=ATTEMPTS.keys())
def test_hostile_template_is_refused(attempt, tmp_path):
    path = template_with(tmp_path, "beschlussvorlage.docx", "{{ betreff }}", attempt)
    lines = build_fails(DATA, tmp_path, templates_root(path))
    assert len(lines) == 1
    prefix = f"Fehler: Vorlage {path}: "
    assert lines[0].startswith(prefix)
    assert lines[0][len(prefix):].startswith((
        "unerlaubter Zugriff in einem Platzhalter",
        "Vorlagen dürfen keine anderen Dateien einbinden",
        "unbekannte Platzhalter",
    )), lines[0]
    assert "root:" not in lines[0] and "uid=" not in lines[0]


@pytest.mark.parametrize("broken", ["{{ 1/0 }}", "{{ betreff + 1 }}", "{% for %}"])
def test_template_that_fails_otherwise_gets_a_message(broken, tmp_path):
    path = template_with(tmp_path, "beschlussvorlage.docx", "{{ betreff }}", broken)
    lines = build_fails(DATA, tmp_path, templates_root(path))
    assert len(lines) == 1
    assert lines[0].startswith(f"Fehler: Vorlage {path}: ")
