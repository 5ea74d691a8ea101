"""Templates are files someone edits by hand: attempts to escape the sandbox are refused."""

from __future__ import annotations

import time

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


# Templates that ask for unbounded work or memory: stopped with a German message, quickly.
TOO_MUCH = {
    "power": "{{ 10 ** (10 ** 10) }}",
    "repeat": "{{ betreff * 10 ** 9 }}",
    "concat-doubling": "{% set ns = namespace(s=betreff) %}{% for i in range(40) %}"
                       "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    "plus-doubling": "{% set ns = namespace(s=betreff) %}{% for i in range(40) %}"
                     "{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}",
    "list-doubling": "{% set l = [1] %}{% for i in range(40) %}{{ l.extend(l) }}{% endfor %}",
    "format-width": "{{ '{:>1000000000}'.format(betreff) }}",
    "printf-width": "{{ '%1000000000s' % betreff }}",
    "format-filter": "{{ '%1000000000s'|format(betreff) }}",
    "center": "{{ betreff|center(10 ** 9) }}",
    "ljust": "{{ betreff.ljust(10 ** 9) }}",
    "join": "{{ range(99999)|join(betreff * 1000) }}",
    "replace": "{{ (betreff * 1000)|replace('', betreff * 1000) }}",
    "batch": "{{ [1]|batch(10 ** 9, 0)|list }}",
    "lipsum": "{{ lipsum(10 ** 6) }}",
    "recursive-macro": "{% macro m() %}{{ m() }}{{ m() }}{% endmacro %}{{ m() }}",
    "nested-loops": "{% set r = range(99999) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}",
}


@pytest.mark.parametrize("attempt", TOO_MUCH.values(), ids=TOO_MUCH.keys())
def test_template_that_asks_for_too_much_is_stopped(attempt, tmp_path):
    path = template_with(tmp_path, "beschlussvorlage.docx", "{{ betreff }}", attempt)
    started = time.monotonic()
    lines = build_fails(DATA, tmp_path, templates_root(path))
    assert time.monotonic() - started < 60
    assert len(lines) == 1
    prefix = f"Fehler: Vorlage {path}: "
    assert lines[0].startswith(prefix)
    assert lines[0][len(prefix):].startswith((
        "ein Platzhalter erzeugt einen zu großen Wert (mehr als 10.000.000 Zeichen oder Einträge)",
        "ein Platzhalter erzeugt eine zu große Zahl",
        "ein Platzhalter verlangt ein zu breites Feld",
        "ein Platzhalter verlangt zu viele Einträge",
        "zu tief verschachtelt (ruft sich ein Makro selbst auf?)",
        "Abbruch nach mehr als 5.000.000 Schleifendurchläufen",
    )), lines[0]
