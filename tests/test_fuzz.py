"""Fuzzing: arbitrary Unicode in every text field of every data file type and house style.

The result is either schema-valid .docx whose text contains the input (after the documented
normalisation), or a clean validation error. Never a traceback, never a corrupt file.

Also: unquoted YAML scalars as Produkt, Sachkonto, amount and measure number are shown exactly
as written or refused (never octal, never true as 1, never 5.000 as five); and any text that
`ratsdoc status` writes with ruamel.yaml reads back as that text with ratsdoc's own reader.

CI runs a fixed seed with RATSDOC_FUZZ_EXAMPLES examples per test (default 300);
for a longer run: RATSDOC_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import copy
import io
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from docx import Document
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from pipeline.build import render_all
from pipeline.errors import DatenFehler
from pipeline.kinds import build_context, template_for
from pipeline.markup import Formatiert, formatiert, formatiert_inline, zeilen
from pipeline.render import render_html
from pipeline.validate import load_and_validate

from .conftest import TEMPLATES, _paragraph_text, words_in_order
from .ooxml import validation_errors

EXAMPLES = int(os.environ.get("RATSDOC_FUZZ_EXAMPLES", "300"))

STIL_DATEI = "templates/stadt-leinfelden-echterdingen/stil.yaml"
STIL = {"name": "Stadt", "oberhaupt": "Bürgermeister", "amt": "Amt", "dienststelle": "Stelle",
        "gremien": {"GR": "Gemeinderat"}}
HAUSHALT = {"posten": [{"produkt": "1", "bezeichnung": "Posten", "sachkonto": "2",
                        "ansaetze": {2024: 100}}]}
KATALOG = {
    "stil": "stadt-leinfelden-echterdingen", "titel": "Katalog", "stand": "2024-01-31",
    "handlungsfelder": [{
        "name": "Feld", "vision": ["Vision"],
        "ziele": [{"ziel": "Ziel", "massnahmen": [
            {"nr": 1, "text": "Text", "akteure": "Akteure", "status": "Wird fortgesetzt"}]}],
        "weitere_massnahmen": ["Weiteres"],
    }],
    "schlussbemerkung": "Schluss",
}
BERATUNG = [{"gremium": "GR", "sitzungsdatum": "01.02.2024", "oeffentlichkeit": "öffentlich",
             "beschlussart": "Entscheidung"}]
BESCHLUSSVORLAGE = {
    "stil": "stadt-leinfelden-echterdingen", "art": "beschlussvorlage", "drucksache": "1/2024",
    "betreff": "Betreff",
    "beratungsfolge": BERATUNG, "beschlussvorschlag": "Vorschlag",
    "sachverhalt": ["Absatz", {"liste": ["Punkt"]}],
    "zeitplan": {"einleitung": "Plan", "schritte": [{"zeitraum": "März", "schritt": "Schritt"}]},
    "budget": ["Budget"], "schluss": ["Schluss"],
    "unterzeichner": {"name": "Name", "funktion": "Funktion"},
    "finanzielle_auswirkungen": {
        "posten": [{"produkt": "1", "sachkonto": "2", "hh_jahr": 2024}],
        "folgekosten": [{"aufwandsart": "Wartung", "betrag_pro_jahr": 10}],
        "erloese": [{"art": "Gebühren", "betrag": 5}],
        "erlaeuterung": "Erläuterung", "sonstige_anmerkungen": "Anmerkung"},
    "anlagen": ["Anlage"],
}
ZWISCHENBERICHT = {
    "stil": "stadt-leinfelden-echterdingen", "art": "zwischenbericht", "betreff": "Bericht",
    "stichtag": "31.01.2024",
    "beratungsfolge": BERATUNG, "beschlussvorschlag": "Kenntnisnahme",
    "abschnitte": [{"ueberschrift": "Abschnitt", "text": ["Text des Abschnitts"]}],
    "unterzeichner": {"name": "Name", "funktion": "Funktion"},
    "anlagen": [{"dokument": "massnahmenkatalog"}],
}
ESSLINGEN_DATEI = "templates/landkreis-esslingen/stil.yaml"
ESSLINGEN = {"name": "Landkreis", "oberhaupt": "Landrat", "gremien": {"KT": "Kreistag", "SOA": "Ausschuss"}}
BOEBLINGEN_DATEI = "templates/landkreis-boeblingen/stil.yaml"
BOEBLINGEN = {"name": "Kreis", "oberhaupt": "Landrat", "gremien": {"KT": "Kreistag"}}
SITZUNGSVORLAGE = {
    "stil": "landkreis-esslingen", "art": "sitzungsvorlage", "nummer": "1/2024", "datum": "01.02.2024",
    "adressaten": ["Mitglieder"], "oeffentlichkeit": "öffentlich",
    "beratungsfolge": [{"gremium": "SOA", "sitzungsdatum": "15.02.2024"}], "betreff": "Betreff",
    "anlagen": 1, "verfahrensgang": "Einbringung zur späteren Beratung",
    "beschlussantrag": ["Antrag"], "auswirkungen_haushalt": "keine",
    "sachdarstellung": ["Absatz", {"ueberschrift": "Überschrift"}],
    "unterzeichner": {"name": "Name", "funktion": "Funktion"},
}
EMPFEHLUNGEN = {
    "stil": "landkreis-boeblingen", "art": "empfehlungen", "kennzeichnung": "Anlage 1",
    "titel": "Titel", "untertitel": "Untertitel",
    "einleitung": ["Absatz", {"arbeitsgruppen": [{"nr": 1, "thema": "Thema"}]}],
    "empfehlungen": [{"text": "Empfehlung", "punkte": ["Punkt"]}],
}
PRESSETEXT = {
    "stil": "stadt-leinfelden-echterdingen", "art": "pressetext", "titel": "Titel",
    "fakten": {"ort": "Ort"}, "vorspann": "Vorspann in {ort}", "hinweise": ["Hinweis"],
    "absaetze": ["Absatz"], "kontaktzeile": "Kontakt",
}
FILES = {STIL_DATEI: STIL, ESSLINGEN_DATEI: ESSLINGEN, BOEBLINGEN_DATEI: BOEBLINGEN,
         "haushalt.yaml": HAUSHALT, "massnahmenkatalog.yaml": KATALOG,
         "vorlagen/bv.yaml": BESCHLUSSVORLAGE, "vorlagen/zb.yaml": ZWISCHENBERICHT,
         "vorlagen/sv.yaml": SITZUNGSVORLAGE, "vorlagen/em.yaml": EMPFEHLUNGEN,
         "vorlagen/pt.yaml": PRESSETEXT}

# Every text field: (file, path, the documents that show it).
FIELDS = [
    (STIL_DATEI, ("name",), ["bv"]),
    (STIL_DATEI, ("oberhaupt",), []),
    (STIL_DATEI, ("amt",), ["massnahmenkatalog"]),
    (STIL_DATEI, ("gremien", "GR"), ["bv"]),
    ("haushalt.yaml", ("posten", 0, "bezeichnung"), ["bv"]),
    ("massnahmenkatalog.yaml", ("titel",), ["massnahmenkatalog"]),
    ("massnahmenkatalog.yaml", ("handlungsfelder", 0, "name"), ["massnahmenkatalog"]),
    ("massnahmenkatalog.yaml", ("handlungsfelder", 0, "vision", 0), ["massnahmenkatalog"]),
    ("massnahmenkatalog.yaml", ("handlungsfelder", 0, "ziele", 0, "ziel"), ["massnahmenkatalog"]),
    *[("massnahmenkatalog.yaml", ("handlungsfelder", 0, "ziele", 0, "massnahmen", 0, key),
       ["massnahmenkatalog"]) for key in ("text", "akteure", "status")],
    ("massnahmenkatalog.yaml", ("handlungsfelder", 0, "weitere_massnahmen", 0),
     ["massnahmenkatalog"]),
    ("massnahmenkatalog.yaml", ("schlussbemerkung",), ["massnahmenkatalog"]),
    *[("vorlagen/bv.yaml", path, ["bv"]) for path in (
        ("drucksache",), ("betreff",), ("beschlussvorschlag",), ("sachverhalt", 0),
        ("sachverhalt", 1, "liste", 0), ("zeitplan", "einleitung"),
        ("zeitplan", "schritte", 0, "zeitraum"), ("zeitplan", "schritte", 0, "schritt"),
        ("budget", 0), ("schluss", 0), ("unterzeichner", "name"), ("unterzeichner", "funktion"),
        ("finanzielle_auswirkungen", "folgekosten", 0, "aufwandsart"),
        ("finanzielle_auswirkungen", "erloese", 0, "art"),
        ("finanzielle_auswirkungen", "erlaeuterung"),
        ("finanzielle_auswirkungen", "sonstige_anmerkungen"), ("anlagen", 0))],
    *[("vorlagen/zb.yaml", path, ["zb"]) for path in (
        ("betreff",), ("beschlussvorschlag",), ("abschnitte", 0, "ueberschrift"),
        ("abschnitte", 0, "text", 0))],
    (ESSLINGEN_DATEI, ("name",), ["sv"]),
    (ESSLINGEN_DATEI, ("gremien", "SOA"), []),
    *[("vorlagen/sv.yaml", path, ["sv"]) for path in (
        ("nummer",), ("adressaten", 0), ("betreff",), ("beschlussantrag", 0),
        ("auswirkungen_haushalt",), ("sachdarstellung", 0), ("sachdarstellung", 1, "ueberschrift"),
        ("unterzeichner", "name"), ("unterzeichner", "funktion"))],
    (BOEBLINGEN_DATEI, ("name",), ["em"]),
    *[("vorlagen/em.yaml", path, ["em"]) for path in (
        ("kennzeichnung",), ("titel",), ("untertitel",), ("einleitung", 0),
        ("einleitung", 1, "arbeitsgruppen", 0, "thema"), ("empfehlungen", 0, "text"),
        ("empfehlungen", 0, "punkte", 0))],
    *[("vorlagen/pt.yaml", path, ["pt"]) for path in (
        ("titel",), ("fakten", "ort"), ("hinweise", 0), ("absaetze", 0), ("kontaktzeile",))],
]

# The fields that take the Markdown subset (README, "Formatted text").
MARKDOWN = {
    ("massnahmenkatalog.yaml", ("handlungsfelder", 0, "ziele", 0, "massnahmen", 0, "text")),
    *[("vorlagen/bv.yaml", path) for path in (
        ("beschlussvorschlag",), ("sachverhalt", 0), ("sachverhalt", 1, "liste", 0),
        ("budget", 0), ("schluss", 0))],
    ("vorlagen/zb.yaml", ("beschlussvorschlag",)), ("vorlagen/zb.yaml", ("abschnitte", 0, "text", 0)),
    ("vorlagen/pt.yaml", ("absaetze", 0)),
}


def shows_formatting(filename: str, path: tuple, value: str) -> bool:
    """The value uses the Markdown subset in a field that takes it: its marks are not shown."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return (filename, path) in MARKDOWN and any(
        isinstance(shown, Formatiert)
        for shown in (formatiert(value), formatiert_inline(value), *zeilen(value)))


SPECIAL = [
    "", " ", "A & B <select> \"x\" 'y' „z“ → • € §", "\x01\x02", "Text\x0bmit\x0cSteuerzeichen",
    "\ufffe", "مرحبا بالعالم", "שלום עולם", "👩‍👩‍👧 🇩🇪 🧪", "{{ betreff }}", "{% if x %}", "{#",
    "Zeile 1\nZeile 2\n• Punkt\n→Fortschritt", "\t eingerückt \t", "x" * 10_000,
    "ümlaut ß ÄÖÜ", "\u200b\u200e\u202e umgedreht", "<w:t>xml</w:t>", "]]>", "\\n",
    # the Markdown subset, and what only looks like it
    "**fett** *kursiv*\n\n### Titel\n\n1. eins\n2. zwei\n\n| x | y |\n|---|--:|\n| 1 | 2 |",
    "- **<w:p/> & ]]>**\n- *\ue0000\ue001*", "Bürger*innen # 5 * 3 | x", "# h1\n* stern\n3. drei",
]
texts = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FFF), min_size=1,
            max_size=400),
)


def normalised(value: str) -> list[str]:
    """What the document shows of a value: \\r as line break; docxtpl's {_{ → {{ and friends."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    for escaped, plain in (("{_{", "{{"), ("}_}", "}}"), ("{_%", "{%"), ("%_}", "%}")):
        value = value.replace(escaped, plain)
    return value.split("\n")


def document_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [doc.element.body] + [s.header._element for s in doc.sections] + \
        [s.footer._element for s in doc.sections]
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    return "\n".join(_paragraph_text(p) for part in parts for p in part.iter(f"{w}p"))


def write_data(folder: Path, filename: str, path: tuple, value: str) -> None:
    """The data files (and the style's stil.yaml beside copies of its templates) with value set."""
    for stil_datei in (STIL_DATEI, ESSLINGEN_DATEI, BOEBLINGEN_DATEI):
        style = folder / Path(stil_datei).parent
        style.mkdir(parents=True)
        for template in [*(TEMPLATES / style.name).glob("*.docx"),
                         *(TEMPLATES / style.name).glob("*.html")]:
            (style / template.name).write_bytes(template.read_bytes())
    for name, content in FILES.items():
        content = copy.deepcopy(content)
        if name == filename:
            target = content
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
        file = folder / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), value=texts)
def test_any_text_gives_a_valid_document_or_a_clean_error(field, value, tmp_path_factory):
    filename, path, documents = field
    assume(yaml.safe_load(yaml.safe_dump(value, allow_unicode=True)) == value)  # pyyaml's limits
    folder = tmp_path_factory.mktemp("fuzz")
    write_data(folder, filename, path, value)
    try:
        daten = load_and_validate(folder, folder / "templates")
        rendered = render_all(daten, folder / "templates", documents)
    except DatenFehler as error:
        assert error.probleme, "a DatenFehler without problems"
        assert all(str(folder) in str(p) for p in error.probleme)
        event("clean error")
        return
    event("rendered, with HTML" if "pt" in rendered else "rendered")
    for name, data in rendered.items():
        target = folder / f"{name}.docx"
        target.write_bytes(data)
        assert validation_errors(target) == [], (name, value)
        text = document_text(data)
        if shows_formatting(filename, path, value):
            assert words_in_order("\n".join(normalised(value)), text), (name, path, value)
            event("Markdown")
            continue
        for line in normalised(value):
            assert line in text, (name, path, line)
    if "pt" in rendered:  # the Pressetext's web page shows the value too, escaped
        page = render_html(template_for("pt", daten, folder / "templates").with_suffix(".html"),
                           build_context("pt", daten)).decode("utf-8")
        shown = value.replace("\r\n", "\n").replace("\r", "\n")  # as for the docx
        if shows_formatting(filename, path, value):
            assert words_in_order(str(escape(shown)), page), (path, value)
        else:
            assert str(escape(shown)) in page, (path, value)



# --- identifiers and figures: YAML scalars as clerks type them, unquoted ----------------------

PLATZHALTER = "PLATZHALTERWERT"  # stands in the dumped YAML where the raw scalar goes
TRICKY = [
    "04271000", "4271000", "0", "00", "007", "0o17", "0x1F", "0b101", "1_000", "1e3", "1E3", ".5",
    "4271000.0", "+5", "-0", "-1", "true", "True", "false", "no", "No", "yes", "on", "off", "y",
    "n", "~", "null", "1:20", "12:30:00", "2020-01-01", ".inf", "-.inf", ".nan", "5.000",
    "5.000,00", "5000.50", "5000.505", "314007", "3.14.007", "A-1/2", "<<", "=", "1", "01", "+1",
]
raw_scalars = st.one_of(
    st.sampled_from(TRICKY),
    st.from_regex(r"[+-]?[0-9]{1,12}", fullmatch=True),
    st.from_regex(r"[0-9]{1,6}[.][0-9]{0,4}", fullmatch=True),
    st.text(alphabet="0123456789.-+_:eExobA/~", min_size=1, max_size=12),
)
IDENTIFIERS = ["produkt", "sachkonto", "betrag", "nr"]


def write_small(folder: Path, files: dict[str, dict], templates: tuple[str, ...] = ()) -> None:
    """Only the city's house style (with the named templates) and the given data files."""
    style = folder / Path(STIL_DATEI).parent
    style.mkdir(parents=True)
    for name in templates:
        (style / name).write_bytes((TEMPLATES / style.name / name).read_bytes())
    for name, content in {STIL_DATEI: STIL, **files}.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")


def write_raw(folder: Path, field: str, raw: str) -> None:
    """The fuzz data with one scalar written exactly as raw, without quotes."""
    files = {name: copy.deepcopy(FILES[name])
             for name in ("haushalt.yaml", "massnahmenkatalog.yaml", "vorlagen/bv.yaml")}
    if field in ("produkt", "sachkonto"):  # the budget line and the paper's reference to it
        files["haushalt.yaml"]["posten"][0][field] = PLATZHALTER
        files["vorlagen/bv.yaml"]["finanzielle_auswirkungen"]["posten"][0][field] = PLATZHALTER
    elif field == "betrag":
        files["haushalt.yaml"]["posten"][0]["ansaetze"] = {2024: PLATZHALTER}
    else:
        files["massnahmenkatalog.yaml"]["handlungsfelder"][0]["ziele"][0]["massnahmen"][0]["nr"] = \
            PLATZHALTER
    write_small(folder, files, ("beschlussvorlage.docx", "massnahmenkatalog.docx"))
    for name in files:
        path = folder / name
        path.write_text(path.read_text(encoding="utf-8").replace(PLATZHALTER, raw),
                        encoding="utf-8")


def finance_row(data: bytes) -> list[str]:
    """Produkt, Bezeichnung, Sachkonto, Betrag, … of the budget line in the rendered form."""
    doc = Document(io.BytesIO(data))
    rows = [[cell.text for cell in row.cells] for table in doc.tables for row in table.rows]
    return next(row for row in rows if len(row) > 3 and row[1] == "Posten")


@pytest.mark.slow  # renders a paper per example (15 s)
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(IDENTIFIERS), raw=raw_scalars)
@example(field="nr", raw="01")
@example(field="nr", raw="true")
@example(field="sachkonto", raw="04271000")
@example(field="produkt", raw="0x1F")
@example(field="betrag", raw="5.000")
@example(field="betrag", raw="5000.50")
def test_identifiers_and_figures_are_kept_as_written_or_refused_cleanly(field, raw,
                                                                        tmp_path_factory):
    """Never octal, never a lost leading zero, never true as 1, never 5.000 as five."""
    from babel.numbers import format_decimal

    folder = tmp_path_factory.mktemp("kennung")
    write_raw(folder, field, raw)
    try:
        daten = load_and_validate(folder, folder / "templates")
        document = "massnahmenkatalog" if field == "nr" else "bv"
        rendered = render_all(daten, folder / "templates", [document])
    except DatenFehler as error:
        assert error.probleme and all(str(folder) in str(p) for p in error.probleme)
        event(f"{field}: clean error")
        return
    event(f"{field}: accepted")
    if field == "nr":
        assert re.fullmatch(r"\+?0*1", raw), raw  # the only measure must be number 1
        assert daten.katalog.massnahmen()[0].nr == 1
        return
    row = finance_row(rendered["bv"])
    if field == "betrag":
        # A decimal number (never 5.000, which a German reads as five thousand) whose value has
        # at most two decimals (5000.000 is 5000), shown with that very value.
        assert not re.fullmatch(r"[-+]?[0-9]{1,3}(\.[0-9]{3})+", raw), raw
        german = "," in raw  # 5.000,00: text, read in German notation
        amount = abs(Decimal(raw.replace(".", "").replace(",", ".") if german else raw))
        # (a negative amount is refused, so only -0 comes here)
        assert amount == amount.quantize(Decimal("0.01")), raw
        pattern = "#,##0" if amount == amount.to_integral_value() else "#,##0.00"
        assert row[3] == format_decimal(amount, format=pattern, locale="de_DE"), (raw, row)
    else:
        assert row[0 if field == "produkt" else 2] == raw, (raw, row)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(status=st.one_of(st.sampled_from(TRICKY + SPECIAL), texts),
       notiz=st.one_of(st.sampled_from(TRICKY + SPECIAL), texts))
def test_what_ruamel_writes_our_reader_reads_back(status, notiz, tmp_path_factory):
    """ratsdoc status writes with ruamel.yaml and reads with its own YAML 1.2 reader: any text
    written comes back as that text (or is refused before anything is written)."""
    import datetime as dt

    from pipeline.edit import Aenderung, apply_changes
    from pipeline.kategorien import Kategorie
    from pipeline.load import read_yaml

    folder = tmp_path_factory.mktemp("status")
    write_small(folder, {"massnahmenkatalog.yaml": KATALOG})
    path = folder / "massnahmenkatalog.yaml"
    before = path.read_bytes()
    change = Aenderung(1, status, dt.date(2024, 1, 15), notiz, Kategorie("laufend"))
    try:
        apply_changes(folder, [change], "fuzz")
    except DatenFehler as error:
        assert not any("unverändert speichern" in p.meldung for p in error.probleme), (status,
                                                                                      notiz)
        assert path.read_bytes() == before
        event("clean error")
        return
    event("written")
    measure = read_yaml(path)[0]["handlungsfelder"][0]["ziele"][0]["massnahmen"][0]
    entry = measure["verlauf"][-1]
    assert measure["status"] == entry["neuer_status"] == line_breaks_as_yaml_reads_them(status)
    assert entry.get("notiz", "") == line_breaks_as_yaml_reads_them(notiz)


def line_breaks_as_yaml_reads_them(text: str) -> str:
    """CR, CR LF, NEL, LS and PS are line breaks to a YAML reader: each becomes LF."""
    return re.sub("\r\n|[\r\x85\u2028\u2029]", "\n", text)
