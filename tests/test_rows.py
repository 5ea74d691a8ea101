"""Table rows emitted from the template's own row (pipeline/rows.py) instead of Jinja per row.

The reference is the Jinja path itself: the same template rendered with the row emission
switched off must give the same body, byte for byte.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from pipeline import render, rows
from pipeline.build import _json_indent_1, render_all
from pipeline.validate import load_and_validate

from .conftest import DATA, TEMPLATES, W, run
from .test_bad_input import template_with


def _fresh_caches() -> None:
    render.make_environment.cache_clear()
    render._template_variables.cache_clear()
    render._template_problems.cache_clear()


@pytest.fixture
def jinja_only(monkeypatch):
    """Switch the row emission off (every loop stays Jinja's), for the reference render."""

    def switch():
        monkeypatch.setattr(rows.RowLoops, "replace", lambda self, node: node)
        _fresh_caches()

    yield switch
    monkeypatch.undo()
    _fresh_caches()


def _body(folder: Path, templates: Path = TEMPLATES) -> bytes:
    daten = load_and_validate(folder, templates)
    docx = render_all(daten, templates, ["massnahmenkatalog"])["massnahmenkatalog"]
    return zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml")


def _emitted(folder: Path, templates: Path = TEMPLATES) -> int:
    """How many placeholders of emitted rows a render of the catalogue used."""
    _fresh_caches()
    seen = []
    original = rows.insert

    def counting(body: bytes, collector: rows.Collector) -> bytes:
        seen.append(len(collector.rows))
        return original(body, collector)

    rows.insert = counting  # type: ignore[assignment]
    try:
        _body(folder, templates)
    finally:
        rows.insert = original  # type: ignore[assignment]
    return sum(seen)


def _catalogue(tmp_path: Path, change) -> Path:
    folder = tmp_path / "daten"
    folder.mkdir(exist_ok=True)
    katalog = yaml.safe_load((DATA / "massnahmenkatalog.yaml").read_text(encoding="utf-8"))
    measures = [m for hf in katalog["handlungsfelder"] for z in hf["ziele"] for m in z["massnahmen"]]
    change(measures)
    (folder / "massnahmenkatalog.yaml").write_text(
        yaml.safe_dump(katalog, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def test_shipped_catalogue_body_is_the_jinja_body_byte_for_byte(jinja_only):
    assert _emitted(DATA) > 0  # the shortcut is really taken
    emitted = _body(DATA)
    jinja_only()
    assert _body(DATA) == emitted


def _special(measures: list[dict]) -> None:
    measures[0]["text"] += "\n**Fett** und *kursiv* & <Zeichen> \"x\" 'y'"
    measures[1]["text"] += "\n- Punkt eins\n- Punkt zwei\n\n1. erstens\n2. zweitens"
    measures[2]["akteure"] = "A & B <C> \"D\" 'E' ]]> --> <!--"
    measures[3]["akteure"] = "Zeile eins\nZeile zwei\tmit Tab"
    measures[4]["text"] = "### Überschrift\n| a | b |\n|---|---|\n| 1 | 2 |"
    measures[5]["status"] = "Abgeschlossen {_{ x }_} {{ y }}"
    measures[6]["akteure"] = "\ue010" + "0" * 16 + "0\ue011 und <!--ratsdoc-rows-0-->"


def test_special_values_and_markdown_give_the_jinja_body(tmp_path, jinja_only):
    folder = _catalogue(tmp_path, _special)
    emitted = _body(folder)
    jinja_only()
    assert _body(folder) == emitted


def test_markdown_in_a_measure_still_renders(tmp_path):
    folder = _catalogue(tmp_path, _special)
    out = tmp_path / "out"
    result = run("build", "massnahmenkatalog", "--daten", str(folder), "--vorlagen",
                 str(TEMPLATES), "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    body = etree.fromstring(zipfile.ZipFile(out / "massnahmenkatalog.docx").read(
        "word/document.xml"))
    styles = [p.get(f"{W}val") for p in body.iter(f"{W}pStyle")]
    assert "TabelleAufzhlung" in styles or any("Aufz" in s for s in styles)
    bold = [r for r in body.iter(f"{W}r") if r.find(f"{W}rPr/{W}b") is not None
            and "".join(t.text or "" for t in r.iter(f"{W}t")) == "Fett"]
    assert bold
    texts = ["".join(t.text or "" for t in p.iter(f"{W}t")) for p in body.iter(f"{W}p")]
    assert "A & B <C> \"D\" 'E' ]]> --> <!--" in texts
    assert "Abgeschlossen {_{ x }_} {{ y }}".replace("{_{", "{{").replace("}_}", "}}") in texts
    assert b"<!--ratsdoc-rows" not in zipfile.ZipFile(out / "massnahmenkatalog.docx").read(
        "word/document.xml")


def test_a_restyled_row_reaches_every_row(tmp_path, jinja_only):
    # The clerk makes the number column wider and the numbers bold, in the row itself.
    old = ('<w:tcW w:type="dxa" w:w="567"/></w:tcPr><w:p><w:pPr><w:pStyle w:val="Tabellentext"/>'
           '<w:keepNext/><w:keepLines/></w:pPr><w:r><w:t>{{ m.nr }}')
    new = ('<w:tcW w:type="dxa" w:w="600"/></w:tcPr><w:p><w:pPr><w:pStyle w:val="Tabellentext"/>'
           '<w:keepNext/><w:keepLines/></w:pPr><w:r><w:rPr><w:b/></w:rPr>'
           '<w:t>{{ m.nr }}')
    path = template_with(tmp_path, "massnahmenkatalog.docx", old, new)
    templates = path.parent.parent
    assert _emitted(DATA, templates) > 0
    body = _body(DATA, templates)
    root = etree.fromstring(body)
    numbers = [tc for tc in root.iter(f"{W}tc")
               if tc.find(f"{W}tcPr/{W}tcW").get(f"{W}w") == "600"]
    katalog = load_and_validate(DATA, TEMPLATES).katalog
    assert katalog is not None
    not_last = sum(len(z.massnahmen) - 1 for hf in katalog.handlungsfelder for z in hf.ziele)
    assert len(numbers) == not_last  # every row but each goal's last, which has its own row
    assert all(tc.find(f".//{W}rPr/{W}b") is not None for tc in numbers)
    jinja_only()
    assert _body(DATA, templates) == body


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("{{ z.ziel }}", "{{ z.zeil }}", "unbekannter Platzhalter: „zeil“"),
    ("{%p if zeile.art == 'punkt' %}", "{%p if zeile.arrt == 'punkt' %}",
     "unbekannter Platzhalter: „arrt“"),
    ("{{ m.status }}", "{{ m.status + 1 }}",
     "ein Platzhalter verknüpft unpassende Werte (etwa Text und Zahl)"),
])
def test_mistakes_in_the_row_give_the_german_messages(tmp_path, old, new, expected):
    path = template_with(tmp_path, "massnahmenkatalog.docx", old, new)
    out = tmp_path / "out"
    result = run("build", "--daten", str(DATA), "--vorlagen", str(path.parent.parent),
                 "--ausgabe", str(out))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.output.startswith(f"Fehler: Vorlage {path}: {expected}"), result.output
    assert not list(out.glob("*.docx"))


@pytest.mark.parametrize(("source", "emitted"), [
    ("{% for m in xs %}<w:tr>{{ m.a }}</w:tr>{% endfor %}", True),
    ("{% for m in xs %}<w:tr>{% if loop.first %}{{ m.a }}{% endif %}</w:tr>{% endfor %}", True),
    ("{% for m in xs %}<w:tr>{{ m.a|upper }}</w:tr>{% endfor %}", False),
    ("{% for m in xs %}<w:tr>{{ m.a }}</w:tr>{% else %}<w:tr/>{% endfor %}", False),
    ("{% for m in xs %}<w:p>{{ m.a }}</w:p>{% endfor %}", False),
    ("{% for m in xs %}<w:tr>{{ m.items }}</w:tr>{% endfor %}", False),
    ("{% for m in xs %}<w:tr>{{ loop.cycle('a', 'b') }}</w:tr>{% endfor %}", False),
    ("{% for m in xs %}<w:tr>{% set y = m.a %}{{ y }}</w:tr>{% endfor %}", False),
    ("{% for m in xs %}<w:tr>{{ m.a.b }}</w:tr>{% endfor %}", False),
])
def test_only_simple_row_loops_are_emitted(source, emitted):
    from jinja2 import Environment, nodes

    loop = Environment().parse(source).find(nodes.For)
    assert loop is not None
    assert (rows.analyse(loop) is not None) == emitted


def test_rows_of_plain_values_and_outer_names_are_filled_per_row():
    from jinja2 import nodes

    from pipeline.markup import fuer_word

    env = render.make_environment()
    source = ("<w:tbl>{% for z in gruppen %}{% for w in z.namen %}<w:tr><w:tc><w:p><w:r><w:t>"
              "{% if loop.first %}{{ z.titel }}{% endif %}|{{ w }}|{{ titel }}|{{ loop.index }}"
              "</w:t></w:r></w:p></w:tc></w:tr>{% endfor %}{% endfor %}</w:tbl>")
    assert env.parse(source).find(nodes.For) is not None  # the outer loop stays Jinja's
    context = {"titel": "T & U", "gruppen": [{"titel": f"G{g}", "namen": [f"n{g}{i}" for i in
                                                                          range(3)]}
                                             for g in range(3)]}
    expected = "".join(f"<w:tr><w:tc><w:p><w:r><w:t>{'G' + str(g) if i == 0 else ''}|n{g}{i}|"
                       f"T &amp; U|{i + 1}</w:t></w:r></w:p></w:tc></w:tr>"
                       for g in range(3) for i in range(3))
    plain = env.from_string(source).render(context)
    assert plain == f"<w:tbl>{expected}</w:tbl>"  # without a collector: Jinja, row by row
    collector = rows.Collector(lambda xml: xml, render._output_too_large, 10**6)
    with fuer_word(), rows.collecting(collector):
        emitted = env.from_string(source).render(context)
    assert collector.rows  # emitted …
    assert rows.insert(emitted.encode(), collector).decode() == plain  # … the same rows


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), min_codepoint=0x20,
                                      blacklist_characters="\ue010\ue011")))
def test_values_are_escaped_as_lxml_serialises_them(text):
    if rows._NOT_PLAIN.search(text):
        return
    p = etree.Element("p", a=text)
    p.text = text
    serialised = etree.tostring(p, encoding="unicode")
    assert serialised == f'<p a="{rows._escape(text, True)}">{rows._escape(text, False)}</p>'


@pytest.mark.parametrize("payload", [
    {"a": "ä \" \\ \n \t \x01 \x7f \u2028 😀", "b": [], "c": {}, "d": [1, True, None, {"e": []}]},
    {"zahl": 2 ** 70, "liste": [[], [[]], {"x": {"y": []}}]},
    {"bruch": 1e16, "klein": 1e-7},
    {"nan": float("nan"), "inf": float("inf")},
])
def test_snapshot_json_is_pythons_indent_1(payload):
    assert _json_indent_1(payload) == json.dumps(payload, ensure_ascii=False,
                                                 indent=1).encode("utf-8")
