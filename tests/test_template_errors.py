"""Template errors a clerk can act on: German, naming the template and the paragraph or cell.

Every test edits a copy of a shipped template (word/document.xml or a header inside the .docx)
and runs the real CLI or the real render functions on it.
"""

from __future__ import annotations

import io
import re
import shutil
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from pipeline.errors import VorlagenFehler
from pipeline.model import einsetzen, platzhalter_probleme, unbekannte_platzhalter
from pipeline.render import render_html, template_problems, undeclared_variables

from .conftest import DATA, STIL, TEMPLATES, body_paragraph_texts, run

# Words of Jinja's and docxtpl's English messages that must never reach a user.
ENGLISH = re.compile(r"\b(Encountered|unknown|tag|expected|got|unexpected|Jinja|template|"
                     r"statement|block|end of|Error|object|attribute|line)\b")


def template_copy(tmp_path: Path, old: str, new: str, name: str = "beschlussvorlage.docx",
                  part: str = "word/document.xml") -> Path:
    """A copy of all shipped templates in which one text of one part of one template is replaced;
    returns that template's path (its styles folder, for --vorlagen, is path.parent.parent)."""
    root = tmp_path / "templates"
    if not root.exists():
        shutil.copytree(TEMPLATES, root)
    path = root / STIL / name
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == part:
                assert old.encode() in data, old
                data = data.replace(old.encode(), new.encode(), 1)
            dst.writestr(info, data)
    path.write_bytes(buffer.getvalue())
    return path


def failing(path: Path, tmp_path: Path, command: str = "build", data: Path = DATA) -> str:
    """Run the CLI with the broken template; it must fail cleanly. Returns the message after
    „Fehler: Vorlage <path>: “."""
    out = tmp_path / "output"
    args = [command, "--daten", str(data), "--vorlagen", str(path.parent.parent)]
    result = run(*args, *(["--ausgabe", str(out)] if command == "build" else []))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # no traceback
    assert "Traceback" not in result.output
    assert not list(out.glob("*.docx"))  # nothing written
    prefix = f"Fehler: Vorlage {path}: "
    assert result.output.startswith(prefix), result.output
    message = result.output[len(prefix):].rstrip("\n")
    assert not ENGLISH.search(message), message
    return message


# --- unbalanced delimiters, found before rendering ----------------------------------------------


def test_missing_brace_names_the_paragraph_instead_of_dropping_the_section(tmp_path):
    # Rendered as it stands, docxtpl would drop the Betreff and the Beschlussvorschlag silently.
    path = template_copy(tmp_path, "{{ betreff }}", "{{ betreff }")
    assert failing(path, tmp_path) == "Platzhalter nicht geschlossen („}}“ fehlt) im Absatz „{{ betreff }“"


def test_tag_split_over_runs_is_read_as_one_text(tmp_path):
    # Word splits typed text into runs; the paragraph's text is what counts.
    path = template_copy(tmp_path, "{{ betreff }}",
                         "Betreff: {{ bet</w:t></w:r><w:r><w:t>reff }</w:t></w:r><w:r><w:t>")
    assert failing(path, tmp_path, "check") == ("Platzhalter „{{ betreff }“ nicht geschlossen "
                                                "(„}}“ fehlt) im Absatz „Betreff: {{ betreff }“")


@pytest.mark.parametrize(("new", "expected"), [
    ("{# Kommentar ohne Ende", "Kommentar nicht geschlossen („#}“ fehlt) im Absatz „{# Kommentar ohne Ende“"),
    ("{% if betreff ", "Befehl nicht geschlossen („%}“ fehlt) im Absatz „{% if betreff“"),
    ("{{ betreff %}", "Platzhalter mit „%}“ statt „}}“ geschlossen im Absatz „{{ betreff %}“"),
    ("{ betreff }}", "„}}“ ohne öffnendes „{{“ im Absatz „{ betreff }}“"),
    ("{{ betreff|replace('a', 'b' }}",
     "Klammer „(“ im Platzhalter nicht geschlossen im Absatz „{{ betreff|replace('a', 'b' }}“"),
    ("{{ betreff ~ 'x }}",
     "Anführungszeichen ' im Platzhalter nicht geschlossen im Absatz „{{ betreff ~ 'x }}“"),
    ("{{ betreff == „x“ }}",
     "Platzhalter mit typografischen Anführungszeichen („„“) statt geraden (\" oder ') im Absatz "
     "„{{ betreff == „x“ }}“"),
])
def test_unbalanced_delimiters(new, expected, tmp_path):
    path = template_copy(tmp_path, "{{ betreff }}", new)
    assert failing(path, tmp_path, "check") == expected


def test_curly_quotes_that_word_types_are_accepted(tmp_path):
    # docxtpl straightens “ ” ‘ ’ inside tags, so the check must not refuse them.
    path = template_copy(tmp_path, "{{ betreff }}", "{{ betreff if betreff != “” else ‘-’ }}")
    assert template_problems(path) == []
    result = run("build", "--daten", str(DATA), "--vorlagen", str(path.parent.parent),
                 "--ausgabe", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output


def test_raw_block_text_is_not_read_as_tags(tmp_path):
    path = template_copy(tmp_path, "{{ betreff }}", "{% raw %}{{ wörtlich {% endraw %}{{ betreff }}")
    assert template_problems(path) == []
    out = tmp_path / "out"
    result = run("build", "integrationsplan-2020", "--daten", str(DATA), "--vorlagen",
                 str(path.parent.parent), "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    texts = body_paragraph_texts(out / "integrationsplan-2020.docx")
    assert "{{ wörtlich Erarbeitung eines Integrationsplans für die Stadt Leinfelden-Echterdingen" in texts


def test_mistake_in_a_table_cell_names_table_row_and_column(tmp_path):
    path = template_copy(tmp_path, "{{ b.gremium }}", "{{ b.gremium }")
    assert failing(path, tmp_path) == ("Platzhalter nicht geschlossen („}}“ fehlt) in Tabelle 1, "
                                       "Zeile 3, Spalte 1 („{{ b.gremium }“)")


def test_mistake_in_the_header_says_so(tmp_path):
    path = template_copy(tmp_path, "{{ koerperschaft.name }}", "{{ koerperschaft.name }",
                         part="word/header1.xml")
    assert failing(path, tmp_path) == ("Platzhalter „{{ koerperschaft.name }“ nicht geschlossen "
                                       "(„}}“ fehlt) in der Kopfzeile im Absatz "
                                       "„{{ koerperschaft.name }{%r if nichtoeffe…“")


def test_all_problems_are_listed_at_once(tmp_path):
    template_copy(tmp_path, "{{ betreff }}", "{{ betreff }")
    path = template_copy(tmp_path, "{{ unterzeichner.funktion }}", "{% unterzeichner.funktion }}")
    assert failing(path, tmp_path).splitlines() == [
        "2 Probleme:",
        "Platzhalter nicht geschlossen („}}“ fehlt) im Absatz „{{ betreff }“",
        "Befehl mit „}}“ statt „%}“ geschlossen im Absatz „{% unterzeichner.funktion }}“",
    ]


# --- Jinja syntax, mapped to the paragraph -------------------------------------------------------


def test_stray_else_is_german_and_names_the_paragraph(tmp_path):
    path = template_copy(tmp_path, "Sachverhalt:", "Sachverhalt: {% else %}")
    message = failing(path, tmp_path)
    assert message == ("unerwartetes „{% else %}“ (kein passendes „{% if %}“ oder „{% for %}“) "
                       "im Absatz „Sachverhalt: {% else %}“")
    for word in ("Encountered", "unknown", "tag", "expected"):
        assert word not in message


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("{{ betreff }}", "{{ betreff unterzeichner }}",
     "ungültiger Platzhalter „{{ betreff unterzeichner }}“ (erwartet: „}}“; gefunden: "
     "„unterzeichner“) im Absatz „{{ betreff unterzeichner }}“"),
    ("{{ betreff }}", "{% wenn betreff %}{{ betreff }}",
     "unbekannter Befehl „{% wenn betreff %}“ im Absatz „{% wenn betreff %}{{ betreff }}“"),
    ("{%p endfor %}", "{%p endfro %}",
     "unbekannter Befehl „{%p endfro %}“ (gemeint: „endfor“?) im Absatz „{%p endfro %}“"),
    ("{{ betreff }}", "{{ betreff|grossbuchstaben }}",
     "ungültiger Platzhalter „{{ betreff|grossbuchstaben }}“ (unbekannter Filter "
     "„grossbuchstaben“) im Absatz „{{ betreff|grossbuchstaben }}“"),
    ("{{ betreff }}", "{{ betreff|uper }}",
     "ungültiger Platzhalter „{{ betreff|uper }}“ (unbekannter Filter „uper“, gemeint: „upper“?) "
     "im Absatz „{{ betreff|uper }}“"),
    ("{{ betreff }}", "{% for x betreff %}{{ x }}{% endfor %}",
     "ungültiger Befehl „{% for x betreff %}“ (erwartet: „in“; gefunden: „betreff“) im Absatz "
     "„{% for x betreff %}{{ x }}{% endfor %}“"),
    ("{{ betreff }}", "{{ }}", "ungültiger Platzhalter „{{ }}“ (hier fehlt ein Wert) im Absatz „{{ }}“"),
])
def test_jinja_syntax_errors_are_german_with_the_paragraph(old, new, expected, tmp_path):
    path = template_copy(tmp_path, old, new)
    assert failing(path, tmp_path, "check") == expected


def test_unclosed_if_names_where_it_was_opened(tmp_path):
    path = template_copy(tmp_path, "Sachverhalt:", "Sachverhalt: {% if betreff %}")
    assert failing(path, tmp_path) == ("„{% if betreff %}“ wird nicht geschlossen („{% endif %}“ "
                                       "fehlt) im Absatz „Sachverhalt: {% if betreff %}“")


def test_block_closed_by_the_wrong_end(tmp_path):
    # The first {%p endfor %} closes the Beschlussvorschlag's loop; make it an endif.
    path = template_copy(tmp_path, "{%p endfor %}", "{%p endif %}")
    assert failing(path, tmp_path).splitlines() == [
        "2 Probleme:",
        "unerwartetes „{%p endif %}“ (kein passendes „{% if %}“) im Absatz „{%p endif %}“",
        "„{%p for zeile in beschlussvorschlag %}“ wird nicht geschlossen („{% endfor %}“ fehlt) "
        "im Absatz „{%p for zeile in beschlussvorschlag %}“",
    ]


def test_text_beside_a_paragraph_tag_would_be_lost(tmp_path):
    # docxtpl replaces the whole paragraph of a {%p %} tag with the tag.
    path = template_copy(tmp_path, "{%p for zeile in beschlussvorschlag %}",
                         "Wichtig: {%p for zeile in beschlussvorschlag %}")
    assert failing(path, tmp_path) == (
        "Text „Wichtig:“ neben „{%p for zeile in beschlussvorschlag %}“ ginge verloren (der Befehl "
        "ersetzt den ganzen Absatz) im Absatz „Wichtig: {%p for zeile in beschlussvorsc…“")


def test_row_tag_outside_a_table(tmp_path):
    path = template_copy(tmp_path, "{%p for zeile in beschlussvorschlag %}",
                         "{%tr for zeile in beschlussvorschlag %}")
    assert failing(path, tmp_path) == ("„{%tr for zeile in beschlussvorschlag %}“ steht nicht in "
                                       "einer Tabelle im Absatz „{%tr for zeile in beschlussvorschlag %}“")


def test_include_is_refused_before_rendering(tmp_path):
    path = template_copy(tmp_path, "{{ betreff }}", "{% include 'beschlussvorlage.docx' %}")
    assert failing(path, tmp_path) == ("Vorlagen dürfen keine anderen Dateien einbinden: "
                                       "„{% include 'beschlussvorlage.docx' %}“ im Absatz "
                                       "„{% include 'beschlussvorlage.docx' %}“")


# --- errors while rendering ---------------------------------------------------------------------


def test_runtime_error_names_the_paragraph(tmp_path):
    path = template_copy(tmp_path, "Sachverhalt:", "Sachverhalt: {{ 1 / 0 }}")
    assert failing(path, tmp_path) == ("Division durch null in der Nähe des Absatzes "
                                       "„Sachverhalt: {{ 1 / 0 }}“")


def test_runtime_error_in_a_header(tmp_path):
    path = template_copy(tmp_path, "{{ koerperschaft.name }}", "{{ koerperschaft.name + 1 }}",
                         part="word/header1.xml")
    assert failing(path, tmp_path).startswith(
        "ein Platzhalter verknüpft unpassende Werte (etwa Text und Zahl) in der Kopfzeile in der "
        "Nähe des Absatzes „{{ koerperschaft.name + 1 }}")


# --- limits ---------------------------------------------------------------------------------------

NESTED_LOOPS = {
    "range-zu-gross": "{% for i in range(999999) %}{% for j in range(999999) %}{% endfor %}{% endfor %}",
    "ohne-ausgabe": "{% set r = range(99999) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}",
    "mit-ausgabe": "{% set r = range(99999) %}{% for i in r %}{% for j in r %}{{ j }}{% endfor %}"
                   "{% endfor %}",
    "in-set-block": "{% set r = range(99999) %}{% set s %}{% for i in r %}{% for j in r %}x"
                    "{% endfor %}{% endfor %}{% endset %}{{ s }}",
    "makro": "{% macro m(n) %}{% for i in range(99999) %}{{ m(n) }}{% endfor %}{% endmacro %}{{ m(1) }}",
    "rekursive-schleife": "{% for x in [1] recursive %}{{ loop(range(99999)) }}{% endfor %}",
}


@pytest.mark.parametrize("loops", NESTED_LOOPS.values(), ids=NESTED_LOOPS.keys())
def test_loop_of_a_trillion_steps_ends_with_a_german_error(loops, tmp_path):
    path = template_copy(tmp_path, "{{ betreff }}", loops)
    started = time.monotonic()
    message = failing(path, tmp_path)
    assert time.monotonic() - started < 60
    assert message.startswith((
        "Abbruch nach mehr als 5.000.000 Schleifendurchläufen (eine zu große oder zu tief "
        "verschachtelte Schleife?) in der Nähe des Absatzes „{% ",
        "unerlaubter Zugriff in einem Platzhalter: range() darf höchstens 100.000 Zahlen liefern",
        "zu tief verschachtelt (ruft sich ein Makro selbst auf?)",
        # On a busy machine (two test workers on two cores) the 20 s deadline can come first.
        "Abbruch nach 20 Sekunden: das Ausfüllen dauert zu lange (eine zu große oder zu tief "
        "verschachtelte Schleife?) in der Nähe des Absatzes „{% ",
    )), message


@pytest.mark.slow  # waits for the 20 s limit
def test_time_limit(tmp_path):
    # Few loop steps, each slow: the deadline stops it, not the step count.
    path = template_copy(tmp_path, "{{ betreff }}",
                         "{% for i in range(99999) %}{{ range(99999)|sum }}{% endfor %}")
    started = time.monotonic()
    message = failing(path, tmp_path)
    elapsed = time.monotonic() - started
    assert 20 <= elapsed < 60
    assert message == ("Abbruch nach 20 Sekunden: das Ausfüllen dauert zu lange (eine zu große oder "
                       "zu tief verschachtelte Schleife?) in der Nähe des Absatzes "
                       "„{% for i in range(99999) %}{{ range(9999…“")


def test_output_size_limit(tmp_path):
    path = template_copy(tmp_path, "{{ betreff }}",
                         "{% for i in range(99999) %}{{ 'x' * 1000 }}{% endfor %}")
    started = time.monotonic()
    assert failing(path, tmp_path) == "Abbruch: das Dokument würde größer als 50 MB"
    assert time.monotonic() - started < 60


def test_value_size_limit_stops_before_the_memory_is_used(tmp_path):
    path = template_copy(tmp_path, "{{ betreff }}", "{{ betreff * 1000000000 }}")
    assert failing(path, tmp_path) == ("ein Platzhalter erzeugt einen zu großen Wert (mehr als "
                                       "10.000.000 Zeichen oder Einträge) in der Nähe des Absatzes "
                                       "„{{ betreff * 1000000000 }}“")


def test_limits_leave_normal_loops_alone(tmp_path):
    # loop.length, loop.last and a loop's else still work through the step counter.
    path = template_copy(tmp_path, "{{ betreff }}",
                         "{% for z in ['a', 'b', 'c'] %}{{ z ~ loop.index }}/{{ loop.length }}"
                         "{% if loop.last %}!{% endif %}{% else %}nie{% endfor %}"
                         "{% for x in [] %}{% else %}leer{% endfor %}")
    out = tmp_path / "out"
    result = run("build", "integrationsplan-2020", "--daten", str(DATA), "--vorlagen",
                 str(path.parent.parent), "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    assert "a1/3b2/3c3/3!leer" in body_paragraph_texts(out / "integrationsplan-2020.docx")


# --- the API for `ratsdoc vorlagen pruefen` -------------------------------------------------------


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*/*.docx")), ids=lambda p: p.stem)
def test_shipped_templates_have_no_problems(path):
    assert template_problems(path) == []
    assert undeclared_variables(path, {}) >= {"koerperschaft"}


def test_template_problems_without_rendering(tmp_path):
    path = template_copy(tmp_path, "{{ betreff }}", "{{ betreff }")
    path = template_copy(tmp_path, "{{ unterzeichner.funktion }}", "{% if x %}{{ unterzeichner.funktion }}")
    assert template_problems(path) == [
        "Platzhalter nicht geschlossen („}}“ fehlt) im Absatz „{{ betreff }“",
    ]  # the unclosed {% if %} shows once the braces are balanced
    path = template_copy(tmp_path, "{{ betreff }", "{{ betreff }}")
    assert template_problems(path) == [
        "„{% if x %}“ wird nicht geschlossen („{% endif %}“ fehlt) im Absatz "
        "„{% if x %}{{ unterzeichner.funktion }}“",
    ]


def test_placeholders_a_template_uses():
    assert undeclared_variables(TEMPLATES / STIL / "pressetext.docx", {}) == {
        "koerperschaft", "titel", "datum", "vorspann", "absaetze", "hinweise", "kontaktzeile"}


def test_html_template_error_is_german_with_the_line(tmp_path):
    path = tmp_path / "pressetext.html"
    source = (TEMPLATES / STIL / "pressetext.html").read_text(encoding="utf-8")
    path.write_text(source.replace("{% endif %}", "{% endiff %}", 1), encoding="utf-8")
    line = source.splitlines().index(next(x for x in source.splitlines() if "{% endif %}" in x)) + 1
    with pytest.raises(VorlagenFehler) as caught:
        render_html(path, {})
    assert caught.value.format_message() == (
        f"Vorlage {path}: Fehler in einem Platzhalter (unbekannter Befehl „endiff“) in Zeile {line}")


# --- the Pressetext's {platzhalter} ----------------------------------------------------------------

PRESSETEXT = Path("vorlagen") / "pressetext-integrationsplan.yaml"
MALFORMED = ["{kontakt[name]}", "{x.__class__}", "{n:>1000000000}", "{ stadt }", "{stadt",
             "{{ stadt }}", "{kontakt}", "{}", "stadt}"]


@pytest.mark.parametrize("placeholder", MALFORMED)
def test_malformed_placeholder_is_refused_by_check(placeholder, data_copy):
    path = data_copy / PRESSETEXT
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("zeichnet sich {stadt} durch", f"zeichnet sich {placeholder} durch"),
                    encoding="utf-8")
    line = next(n for n, x in enumerate(text.splitlines(), 1) if x.startswith("vorspann:"))
    result = run("check", "--daten", str(data_copy), "--vorlagen", str(TEMPLATES))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert lines[0] == "Fehler: 1 Problem in den Daten:"
    prefix = f"{path}:{line}: vorspann: "
    assert lines[1].startswith(prefix)
    # validate.py prints platzhalter_probleme's sentence, or (older) unbekannte_platzhalter's
    # text in „Platzhalter {…} steht nicht unter „fakten““.
    vorspann = yaml.safe_load(path.read_text(encoding="utf-8"))["vorspann"]
    fakten = yaml.safe_load(text)["fakten"]
    assert lines[1][len(prefix):] in (
        platzhalter_probleme(vorspann, fakten)[0],
        f"Platzhalter {{{unbekannte_platzhalter(vorspann, fakten)[0]}}} steht nicht unter „fakten“")


@pytest.mark.parametrize(("text", "expected"), [
    ("{kontakt[name]}", "„{kontakt[name]}“ ist kein gültiger Platzhalter; erlaubt sind {name} und "
                        "{gruppe.name} (eine geschweifte Klammer als Text schreibt man \\{ und \\})"),
    ("{x.__class__}", "„{x.__class__}“ ist kein gültiger Platzhalter; erlaubt sind {name} und "
                      "{gruppe.name} (eine geschweifte Klammer als Text schreibt man \\{ und \\})"),
    ("{n:>1000000000}", "„{n:>1000000000}“ ist kein gültiger Platzhalter; erlaubt sind {name} und "
                        "{gruppe.name} (eine geschweifte Klammer als Text schreibt man \\{ und \\})"),
    ("{ stadt }", "Platzhalter „{ stadt }“ ohne Leerzeichen schreiben: {stadt}"),
    ("in {stadt und", "„{stadt und“: die schließende Klammer „}“ fehlt (eine geschweifte Klammer "
                      "als Text schreibt man \\{ und \\})"),
    ("{{ stadt }}", "„{{ stadt }}“: ein Fakt wird mit einfachen Klammern eingesetzt: {stadt}"),
    ("a } b", "„}“ ohne öffnende Klammer „{“ (eine geschweifte Klammer als Text schreibt man "
              "\\{ und \\})"),
    ("{laender}", "Platzhalter {laender} steht nicht unter „fakten“"),
    ("{kontakt}", "Platzhalter {kontakt} ist eine Gruppe von Fakten; gemeint ist eines von: "
                  "{kontakt.name}, {kontakt.email}"),
])
def test_placeholder_messages(text, expected):
    fakten = {"stadt": "Leinfelden-Echterdingen", "kontakt": {"name": "C. H.", "email": "c@le"}}
    assert platzhalter_probleme(text, fakten) == [expected]


def test_literal_braces_are_written_with_a_backslash(data_copy, tmp_path):
    path = data_copy / PRESSETEXT
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("zeichnet sich {stadt} durch",
                                 "zeichnet sich {stadt} \\{Stand \\}2020\\} durch"), encoding="utf-8")
    out = tmp_path / "out"
    result = run("build", "pressetext-integrationsplan", "--daten", str(data_copy), "--vorlagen",
                 str(TEMPLATES), "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    shown = "zeichnet sich Leinfelden-Echterdingen {Stand }2020} durch"
    assert any(shown in p for p in body_paragraph_texts(out / "pressetext-integrationsplan.docx"))
    assert shown in (out / "pressetext-integrationsplan.html").read_text(encoding="utf-8")
    assert einsetzen("\\{a\\} {b}", {"b": "B"}) == "{a} B"
