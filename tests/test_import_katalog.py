"""import-katalog: a Word catalogue becomes data again, as exact as the data it was built from."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.excel import read_katalog
from pipeline.kategorien import KATEGORIEN, Kategorie
from pipeline.model import Katalog

from .conftest import DATA, TEMPLATES, run

KATALOG = "massnahmenkatalog.yaml"


def import_katalog(source: Path, target: Path, *extra: str):
    return run("import-katalog", str(source), "--ziel", str(target), "--vorlagen", str(TEMPLATES),
               *extra)


def shipped() -> Katalog:
    return read_katalog(DATA)[0]


def test_the_built_catalogue_reads_back_as_the_data(built, tmp_path):
    target = tmp_path / "data" / KATALOG
    target.parent.mkdir()
    result = import_katalog(built / "massnahmenkatalog.docx", target)
    assert result.exit_code == 0, result.output
    assert result.output == f"geschrieben: {target} (7 Handlungsfelder, 41 Maßnahmen)\n"
    imported, _ = read_katalog(target.parent)
    expected = shipped()
    assert len(imported.massnahmen()) == 41
    for mine, theirs in zip(imported.massnahmen(), expected.massnahmen(), strict=True):
        assert (mine.nr, mine.text, mine.akteure, mine.status) == \
            (theirs.nr, theirs.text, theirs.akteure, theirs.status)
    assert imported == expected  # goals, visions, Weitere Maßnahmen, Schlussbemerkung, Stand too

    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Maßnahmenkatalog zur Umsetzung von „Miteinander.Vielfalt.Leben.“\n"
                           "# Übernommen aus massnahmenkatalog.docx (sha256 ")
    assert "mit „ratsdoc import-katalog“ am" in text.splitlines()[2]

    # `ratsdoc check` accepts a data folder with the imported catalogue.
    folder = tmp_path / "daten"
    shutil.copytree(DATA, folder)
    shutil.copy(target, folder / KATALOG)
    check = run("check", "--daten", str(folder), "--vorlagen", str(TEMPLATES))
    assert check.exit_code == 0, check.output


def test_an_existing_file_is_only_replaced_when_asked(built, tmp_path):
    target = tmp_path / KATALOG
    target.write_text("# meine Daten\n", encoding="utf-8")
    result = import_katalog(built / "massnahmenkatalog.docx", target)
    assert result.exit_code == 1
    assert result.output == f"Fehler: {target} gibt es schon; mit --ueberschreiben ersetzen\n"
    assert target.read_text(encoding="utf-8") == "# meine Daten\n"
    result = import_katalog(built / "massnahmenkatalog.docx", target, "--ueberschreiben")
    assert result.exit_code == 0, result.output
    assert read_katalog(tmp_path)[0] == shipped()


# --- a catalogue written by hand in Word, modelled with python-docx ---------------------------


def _shade(cell, colour: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:fill"), colour)
    cell._tc.get_or_add_tcPr().append(shd)


def _fill(cell, text: str, bullets_as_list: bool = False) -> None:
    """Each line a paragraph; „• …“ lines as Word list paragraphs when asked."""
    first = True
    for line in text.split("\n"):
        style = None
        if bullets_as_list and line.startswith("• "):
            line, style = line[2:], "List Bullet"
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
        paragraph.text = line
        if style:
            paragraph.style = style
        first = False


def word_catalogue(katalog: Katalog, path: Path, goals: str, order: list[str]) -> None:
    """A catalogue as a clerk might have typed it: columns in `order`, goal cells repeated on
    every row ("wiederholt") or left blank below their first measure ("leer")."""
    header = {"nr": "Nr", "ziel": "Ziel", "text": "Maßnahme / Projektidee",
              "akteure": "Akteure", "status": "Status"}
    doc = Document()
    doc.add_paragraph(katalog.titel, style="Title")
    doc.add_paragraph(f"Stand: {katalog.stand:%d.%m.%Y}")
    for hf in katalog.handlungsfelder:
        doc.add_heading(f"Handlungsfeld „{hf.name}“", level=1)
        doc.add_paragraph("Vision:")
        for line in hf.vision:
            doc.add_paragraph(line, style="List Bullet")
        rows = [(z, m, i) for z in hf.ziele for i, m in enumerate(z.massnahmen)]
        table = doc.add_table(rows=1 + len(rows), cols=5)
        for c, role in enumerate(order):
            table.cell(0, c).text = header[role]
        for r, (ziel, m, index) in enumerate(rows, start=1):
            values = {"nr": str(m.nr), "ziel": ziel.ziel if goals == "wiederholt" or index == 0
                      else "", "text": m.text, "akteure": m.akteure, "status": m.status}
            for c, role in enumerate(order):
                _fill(table.cell(r, c), values[role], bullets_as_list=role == "text")
            if m.kategorie is not None:
                _shade(table.cell(r, order.index("status")), KATEGORIEN[m.kategorie].farbe)
        if hf.weitere_massnahmen:
            doc.add_paragraph("Weitere Maßnahmen")
            for note in hf.weitere_massnahmen:
                doc.add_paragraph(f"+ {note}")
    doc.add_paragraph("")
    for line in katalog.schlussbemerkung.split("\n"):
        doc.add_paragraph(line)
    doc.save(str(path))


@pytest.mark.parametrize("goals", ["wiederholt", "leer"])
def test_columns_in_another_order_and_goals_not_merged_give_the_same_data(tmp_path, goals):
    expected = shipped()
    source = tmp_path / "katalog.docx"
    word_catalogue(expected, source, goals, ["nr", "status", "text", "ziel", "akteure"])
    target = tmp_path / "data" / KATALOG
    target.parent.mkdir()
    result = import_katalog(source, target)
    assert result.exit_code == 0, result.output
    assert read_katalog(target.parent)[0] == expected


def test_a_coloured_status_cell_gives_its_category(tmp_path):
    data = shipped()
    hf = data.handlungsfelder[0]
    ziel = hf.ziele[0]
    m = ziel.massnahmen[0].model_copy(update={"status": "Pausiert", "kategorie": Kategorie.OFFEN})
    changed = data.model_copy(update={"handlungsfelder": [hf.model_copy(update={"ziele": [
        ziel.model_copy(update={"massnahmen": [m]}), *hf.ziele[1:]]}), *data.handlungsfelder[1:]]})
    source = tmp_path / "katalog.docx"
    word_catalogue(changed, source, "leer", ["ziel", "nr", "text", "akteure", "status"])
    target = tmp_path / KATALOG
    result = import_katalog(source, target)
    assert result.exit_code == 0, result.output
    assert read_katalog(tmp_path)[0].massnahmen()[0].kategorie == Kategorie.OFFEN
    assert "kategorie: offen  # aus der Farbe der Statuszelle" in target.read_text(encoding="utf-8")


def _broken(tmp_path: Path, change) -> Path:
    source = tmp_path / "katalog.docx"
    word_catalogue(shipped(), source, "wiederholt", ["ziel", "nr", "text", "akteure", "status"])
    doc = Document(str(source))
    change(doc)
    doc.save(str(source))
    return source


@pytest.mark.parametrize(("change", "messages"), [
    (lambda doc: setattr(doc.tables[0].cell(2, 1), "text", "zwei"),
     ["Tabelle 1, Zeile 3, Spalte „Nr“: muss eine ganze Zahl sein, nicht „zwei“"]),
    (lambda doc: setattr(doc.tables[1].cell(1, 4), "text", ""),
     ["Tabelle 2, Zeile 2, Spalte „Status“: darf nicht leer sein"]),
    (lambda doc: setattr(doc.tables[2].cell(1, 1), "text", "1"),
     ["Tabelle 3, Zeile 2, Spalte „Nr“: Nummer 1 ist doppelt vergeben (auch Tabelle 1, Zeile 2, "
      "Spalte „Nr“)", "Dokument: Nummer(n) 7 fehlen"]),
    (lambda doc: setattr(doc.tables[0].cell(0, 3), "text", "Wer"),
     ["Tabelle 1, Zeile 1: Spalte(n) Akteur… nicht gefunden (Kopfzeile: „Ziel“, „Nr“, "
      "„Maßnahme / Projektidee“, „Wer“, „Status“)"]),
    (lambda doc: setattr(doc.tables[3].cell(1, 4), "text", "Irgendwie"),
     ["Tabelle 4, Zeile 2, Spalte „Status“: Kategorie lässt sich aus „Irgendwie“ nicht ableiten"]),
], ids=["nr", "status", "doppelt", "spalte", "kategorie"])
def test_what_cannot_be_read_is_reported_with_table_row_and_cell(tmp_path, change, messages):
    source = _broken(tmp_path, change)
    target = tmp_path / "data" / KATALOG
    target.parent.mkdir()
    result = import_katalog(source, target)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Fehler: {source}: ")
    for message in messages:
        assert message in result.output
    assert "Traceback" not in result.output
    assert not target.exists()
    assert list(target.parent.iterdir()) == [target.parent / ".ratsdoc-daten.lock"] or \
        list(target.parent.iterdir()) == []


@pytest.mark.parametrize(("content", "message"), [
    (b"Nr;Ziel;Massnahme\n1;a;b\n", "ist kein Word-Dokument (.docx): es ist eine Textdatei (CSV?), "
     "kein ZIP-Archiv"),
    ("xlsx", "ist kein Word-Dokument (.docx): es ist eine Excel-Arbeitsmappe (.xlsx)"),
    ("dtd", "Teil word/document.xml enthält eine DTD oder Entitäten (nicht erlaubt)"),
    ("leer", "kein Handlungsfeld gefunden"),
], ids=["csv", "xlsx", "dtd", "leer"])
def test_a_file_that_is_no_catalogue_gets_a_german_message(tmp_path, content, message):
    source = tmp_path / "katalog.docx"
    if content == "xlsx":
        from openpyxl import Workbook

        Workbook().save(source)
    elif content == "dtd":
        Document().save(str(source))
        _replace_part(source, "word/document.xml", lambda xml: xml.replace(
            b"<w:document", b'<!DOCTYPE d [<!ENTITY a "aaaaaaaa">]><w:document', 1))
    elif content == "leer":
        doc = Document()
        doc.add_paragraph("Ein Brief")
        doc.save(str(source))
    else:
        source.write_bytes(content)
    target = tmp_path / KATALOG
    result = import_katalog(source, target)
    assert result.exit_code == 1
    assert result.output.startswith(f"Fehler: {source}: 1 Problem:\n")
    assert message in result.output
    assert not target.exists()


def _replace_part(path: Path, part: str, change) -> None:
    with zipfile.ZipFile(path) as package:
        parts = [(info, package.read(info)) for info in package.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for info, data in parts:
            package.writestr(info, change(data) if info.filename == part else data)


# --- round trip of generated catalogues ----------------------------------------------------------

_ALPHABET = st.characters(codec="utf-8", categories=("L", "N"), include_characters=" .,;:()/-–„“&<>'\"!?§%€")
_BODY = st.text(_ALPHABET, min_size=1, max_size=25).map(str.strip).filter(
    lambda t: t and t[0].isalnum())
_LINE = st.tuples(st.sampled_from(["", "• ", "→"]), _BODY).map("".join)
_STATUS = st.tuples(st.sampled_from(["Wird fortgesetzt", "Abgeschlossen", "In Planung ab 2025",
                                     "Noch nicht umgesetzt", "Wird geprüft", "Pausiert"]),
                    st.sampled_from(["", " (seit 2023)", "\nmit Zusatz"])).map("".join)


def _text(max_lines: int, prefixed: bool = False) -> st.SearchStrategy[str]:
    line = _LINE if prefixed else _BODY
    inner = st.one_of(line, line, st.just(""))
    return st.tuples(_BODY, st.lists(inner, max_size=max_lines - 1)).map(
        lambda t: "\n".join([t[0], *t[1]]).strip("\n")).filter(lambda t: "\n\n\n" not in t)


@st.composite
def catalogues(draw) -> dict:
    number = 0
    felder = []
    for _ in range(draw(st.integers(1, 3))):
        ziele = []
        for _ in range(draw(st.integers(1, 3))):
            massnahmen = []
            for _ in range(draw(st.integers(1, 3))):
                number += 1
                status = draw(_STATUS)
                m = {"nr": number, "text": draw(_text(4, prefixed=True)),
                     "akteure": draw(_text(2)), "status": status}
                kategorie = draw(st.none() | st.sampled_from(list(Kategorie)))
                if kategorie is not None or status.startswith("Pausiert"):
                    m["kategorie"] = (kategorie or Kategorie.OFFEN).value
                massnahmen.append(m)
            ziele.append({"ziel": draw(_text(2)), "massnahmen": massnahmen})
        felder.append({"name": draw(_BODY), "vision": draw(st.lists(_BODY, min_size=1, max_size=2)),
                       "ziele": ziele, "weitere_massnahmen": draw(st.lists(_BODY, max_size=2))})
    return {"stil": "stadt-leinfelden-echterdingen", "titel": draw(_BODY),
            "stand": draw(st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31))),
            "handlungsfelder": felder, "schlussbemerkung": draw(st.just("") | _text(2))}


def _normal(katalog: Katalog) -> list:
    """What a Word catalogue shows: the category as the status cell's colour."""
    return [katalog.titel, katalog.stand, katalog.schlussbemerkung, [
        [hf.name, hf.vision, hf.weitere_massnahmen, [
            [z.ziel, [[m.nr, m.text, m.akteure, m.status, m.status_kategorie]
                      for m in z.massnahmen]] for z in hf.ziele]]
        for hf in katalog.handlungsfelder]]


@pytest.mark.slow
@settings(max_examples=25, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=catalogues())
def test_generated_catalogues_survive_build_and_import(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("daten")
    (folder / KATALOG).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                  encoding="utf-8")
    original = read_katalog(folder)[0]
    out = folder.parent / f"{folder.name}-out"
    built = run("build", "massnahmenkatalog", "--daten", str(folder), "--vorlagen", str(TEMPLATES),
                "--ausgabe", str(out))
    assert built.exit_code == 0, built.output
    target = folder.parent / f"{folder.name}-import" / KATALOG
    target.parent.mkdir()
    result = import_katalog(out / "massnahmenkatalog.docx", target)
    assert result.exit_code == 0, result.output
    assert _normal(read_katalog(target.parent)[0]) == _normal(original)
