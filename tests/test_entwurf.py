"""`ratsdoc import-entwurf`: a Word draft made with python-docx becomes a paper that builds at once."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import yaml
from docx import Document

from .conftest import TEMPLATES, W, _paragraph_text, run
from .ooxml import validation_errors


def draft(path: Path, *, title: str = "Sprachcafé für Geflüchtete", extra=None) -> Path:
    """A clerk's draft: title, Beschlussvorschlag, Sachverhalt with bold text, a list, a table."""
    doc = Document()
    doc.add_paragraph("Stadt Leinfelden-Echterdingen")
    doc.add_heading(title, 0)
    doc.add_heading("Beschlussvorschlag", 1)
    doc.add_paragraph("Der Gemeinderat beschließt die Einrichtung eines Sprachcafés.")
    doc.add_heading("Sachverhalt:", 1)
    p = doc.add_paragraph("Im Jahr 2023 kamen ")
    p.add_run("mehr als 200 Geflüchtete").bold = True
    p.add_run(" nach Leinfelden-Echterdingen; viele Bürger*innen helfen ")
    p.add_run("ehrenamtlich").italic = True
    p.add_run(".")
    doc.add_paragraph("Dolmetscherpool", style="List Bullet")
    doc.add_paragraph("Sprachkurse für Frauen", style="List Bullet")
    table = doc.add_table(rows=3, cols=2)
    for i, (a, b) in enumerate([("Jahr", "Teilnehmende"), ("2022", "120"), ("2023", "210")]):
        table.cell(i, 0).text, table.cell(i, 1).text = a, b
    if extra:
        extra(doc)
    doc.save(str(path))
    return path


def import_draft(source: Path, data: Path, name: str = "sprachcafe", art: str = "beschlussvorlage",
                 *more: str):
    return run("import-entwurf", str(source), name, "--art", art, "--daten", str(data),
               "--vorlagen", str(TEMPLATES), *more)


def build(data: Path, tmp_path: Path, name: str):
    return run("build", name, "--daten", str(data), "--vorlagen", str(TEMPLATES), "--ausgabe",
               str(tmp_path / "output"))


def test_a_word_draft_becomes_a_paper_that_builds_at_once(data_copy, tmp_path):
    result = import_draft(draft(tmp_path / "entwurf.docx"), data_copy)
    assert result.exit_code == 0, result.output
    target = data_copy / "vorlagen" / "sprachcafe.yaml"
    assert result.output.splitlines()[0] == f"angelegt: {target}"
    assert not list(target.parent.glob(".*.tmp"))  # written atomically, nothing left over

    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert data["betreff"] == "Sprachcafé für Geflüchtete"
    assert data["beschlussvorschlag"] == "Der Gemeinderat beschließt die Einrichtung eines Sprachcafés."
    assert data["sachverhalt"][1:] == [
        "Im Jahr 2023 kamen **mehr als 200 Geflüchtete** nach Leinfelden-Echterdingen; viele "
        "Bürger*innen helfen *ehrenamtlich*.",
        "- Dolmetscherpool\n- Sprachkurse für Frauen",
        "| Jahr | Teilnehmende |\n|---|---|\n| 2022 | 120 |\n| 2023 | 210 |"]
    # the letterhead line before the title is kept, and said so
    assert data["sachverhalt"][0] == "Stadt Leinfelden-Echterdingen"
    assert "Hinweis: Absatz 1: Text vor der ersten Überschrift in den Sachverhalt übernommen" \
        in result.output.splitlines()
    # what the draft lacks: valid defaults and placeholders, explained in German comments
    assert data["beratungsfolge"] == [{"gremium": "GR", "sitzungsdatum": None,
                                       "oeffentlichkeit": "öffentlich",
                                       "beschlussart": "Entscheidung"}]
    assert data["unterzeichner"] == {"name": "[Name]", "funktion": ""}
    assert data["stil"] == "stadt-leinfelden-echterdingen"
    text = target.read_text(encoding="utf-8")
    assert "# TODO: Gremium und Sitzungsdatum eintragen – der Entwurf nennt sie nicht." in text
    assert "# TODO: Name eintragen." in text

    built = build(data_copy, tmp_path, "sprachcafe")
    assert built.exit_code == 0, built.output
    assert [line.split(": ")[0] for line in built.stderr.splitlines()] == ["Warnung"]
    assert "unterzeichner.name: Platzhalter [Name] ist noch auszufüllen" in built.stderr
    paper = tmp_path / "output" / "sprachcafe.docx"
    assert validation_errors(paper) == []
    doc = Document(str(paper))
    texts = [_paragraph_text(p) for p in doc.element.body.iter(f"{W}p")]
    assert "Sprachcafé für Geflüchtete" in texts
    assert "Der Gemeinderat beschließt die Einrichtung eines Sprachcafés." in texts
    bold = [r for r in doc.element.body.iter(f"{W}r") if r.find(f"{W}rPr/{W}b") is not None
            and "".join(t.text for t in r.iter(f"{W}t")) == "mehr als 200 Geflüchtete"]
    assert len(bold) == 1
    bullets = [_paragraph_text(p) for p in doc.element.body.iter(f"{W}p")
               if p.find(f"{W}pPr/{W}pStyle") is not None
               and p.find(f"{W}pPr/{W}pStyle").get(f"{W}val") == doc.styles["Aufzählung"].style_id]
    assert bullets == ["Dolmetscherpool", "Sprachkurse für Frauen"]
    table = next(t for t in doc.element.body.iter(f"{W}tbl")
                 if _paragraph_text(t.find(f".//{W}p")) == "Jahr")
    assert [[_paragraph_text(tc.find(f"{W}p")) for tc in tr.findall(f"{W}tc")]
            for tr in table.findall(f"{W}tr")] == [["Jahr", "Teilnehmende"], ["2022", "120"],
                                                   ["2023", "210"]]


def test_an_existing_paper_is_never_overwritten(data_copy, tmp_path):
    source = draft(tmp_path / "entwurf.docx")
    target = data_copy / "vorlagen" / "integrationsplan-2020.yaml"
    before = target.read_bytes()
    result = import_draft(source, data_copy, "integrationsplan-2020")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.splitlines() == [
        f"Fehler: {target} existiert schon und wird nicht überschrieben; bitte einen anderen "
        "Namen wählen"]
    assert target.read_bytes() == before
    # and a second import under the same new name is refused as well
    assert import_draft(source, data_copy, "neu").exit_code == 0
    first = (data_copy / "vorlagen" / "neu.yaml").read_bytes()
    assert import_draft(draft(tmp_path / "anders.docx", title="Anders"), data_copy,
                        "neu").exit_code == 1
    assert (data_copy / "vorlagen" / "neu.yaml").read_bytes() == first


def xlsx_like(path: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", '<Types><Override ContentType="application/'
                   'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>')
        z.writestr("xl/workbook.xml", "<workbook/>")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p.write_text("nur Text", encoding="utf-8") or p,
     "ist keine Word-Datei (.docx)"),
    (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)) or p,
     "ist ein Dokument im alten Word-Format (.doc); bitte in Word „Speichern unter“ → "
     "„Word-Dokument (*.docx)“ wählen"),
    (xlsx_like, "ist keine Word-Datei (.docx): ein ZIP-Archiv ohne Word-Dokument"),
    (lambda p: p, "Datei nicht gefunden"),
])
def test_a_file_that_is_no_word_draft_is_refused_in_german(data_copy, tmp_path, make, message):
    source = tmp_path / "entwurf.docx"
    make(source)
    before = sorted((data_copy / "vorlagen").iterdir())
    result = import_draft(source, data_copy)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.output.splitlines() == [f"Fehler: Entwurf {source}: {message}"]
    assert sorted((data_copy / "vorlagen").iterdir()) == before


def test_unmapped_sections_are_kept_in_the_sachverhalt_and_reported(data_copy, tmp_path):
    def more(doc):
        doc.add_heading("Ausblick", 1)
        doc.add_paragraph("Weitere Sprachcafés sind denkbar.")
        doc.add_heading("FINANZIELLE AUSWIRKUNGEN:", 1)
        doc.add_paragraph("Es entstehen Kosten von 5.000 Euro im Jahr.")
        p = doc.add_paragraph()
        p.add_run("Zeitplan").bold = True  # a bold line instead of a heading style
        doc.add_paragraph("Grob geplant:")
        doc.add_paragraph("März 2024: Beschluss im Gemeinderat", style="List Bullet")
        doc.add_paragraph("Mai 2024 – erstes Sprachcafé", style="List Bullet")
        doc.add_heading("Anlage/n", 1)
        doc.add_paragraph("Konzept Sprachcafé", style="List Number")

    result = import_draft(draft(tmp_path / "entwurf.docx", extra=more), data_copy)
    assert result.exit_code == 0, result.output
    assert any(line.startswith("Hinweis: Absatz ") and "Abschnitt „Ausblick“ ist keinem Feld "
               "zugeordnet; in den Sachverhalt unter „### Ausblick“ übernommen" in line
               for line in result.output.splitlines())
    data = yaml.safe_load((data_copy / "vorlagen" / "sprachcafe.yaml").read_text("utf-8"))
    assert data["sachverhalt"][-2:] == ["### Ausblick", "Weitere Sprachcafés sind denkbar."]
    assert data["budget"] == ["Es entstehen Kosten von 5.000 Euro im Jahr."]
    assert data["zeitplan"] == {"einleitung": "Grob geplant:", "schritte": [
        {"zeitraum": "März 2024", "schritt": "Beschluss im Gemeinderat"},
        {"zeitraum": "Mai 2024", "schritt": "erstes Sprachcafé"}]}
    assert data["anlagen"] == ["Konzept Sprachcafé"]
    built = build(data_copy, tmp_path, "sprachcafe")
    assert built.exit_code == 0, built.output
    doc = Document(str(tmp_path / "output" / "sprachcafe.docx"))
    headings = [_paragraph_text(p) for p in doc.element.body.iter(f"{W}p")
                if p.find(f"{W}pPr/{W}pStyle") is not None and p.find(f"{W}pPr/{W}pStyle").get(
                    f"{W}val") == doc.styles["Zwischenüberschrift"].style_id]
    assert headings == ["Ausblick"]
    texts = [_paragraph_text(p) for p in doc.element.body.iter(f"{W}p")]
    assert "Es entstehen Kosten von 5.000 Euro im Jahr." in texts
    assert "Beschluss im Gemeinderat" in texts and "Konzept Sprachcafé" in texts


def test_a_draft_without_headings_still_gives_a_paper(data_copy, tmp_path):
    doc = Document()
    doc.add_paragraph("Neue Spielplätze")
    doc.add_paragraph("Die Stadt plant drei neue Spielplätze.")
    doc.save(str(tmp_path / "kurz.docx"))
    result = import_draft(tmp_path / "kurz.docx", data_copy, "spielplaetze")
    assert result.exit_code == 0, result.output
    assert "Hinweis: kein Abschnitt „Beschlussvorschlag“: Platzhalter eingesetzt" in result.output
    data = yaml.safe_load((data_copy / "vorlagen" / "spielplaetze.yaml").read_text("utf-8"))
    assert data["betreff"] == "Neue Spielplätze"
    assert data["beschlussvorschlag"] == "[Beschlussvorschlag]"
    assert data["sachverhalt"] == ["Die Stadt plant drei neue Spielplätze."]
    built = build(data_copy, tmp_path, "spielplaetze")
    assert built.exit_code == 0, built.output
    assert "beschlussvorschlag: Platzhalter [Beschlussvorschlag]" in built.stderr


def test_a_zwischenbericht_draft(data_copy, tmp_path):
    def more(doc):
        doc.add_heading("Nächste Schritte", 1)
        doc.add_paragraph("Ein zweites Café öffnet.")

    result = import_draft(draft(tmp_path / "entwurf.docx", extra=more), data_copy, "bericht",
                          "zwischenbericht")
    assert result.exit_code == 0, result.output
    data = yaml.safe_load((data_copy / "vorlagen" / "bericht.yaml").read_text("utf-8"))
    assert [a["ueberschrift"] for a in data["abschnitte"]] == ["Sachverhalt", "Nächste Schritte"]
    assert data["abschnitte"][0]["text"][0] == "Stadt Leinfelden-Echterdingen"
    assert data["beratungsfolge"][0]["beschlussart"] == "Kenntnisnahme"
    built = build(data_copy, tmp_path, "bericht")
    assert built.exit_code == 0, built.output
    texts = [_paragraph_text(p) for p in Document(
        str(tmp_path / "output" / "bericht.docx")).element.body.iter(f"{W}p")]
    assert "Nächste Schritte:" in texts and "Ein zweites Café öffnet." in texts


def test_unknown_kind_and_bad_name_are_refused(data_copy, tmp_path):
    source = draft(tmp_path / "entwurf.docx")
    result = import_draft(source, data_copy, "x", "protokoll")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Fehler: Art „protokoll“ wird nicht unterstützt; möglich: beschlussvorlage, zwischenbericht"]
    for name in ("../aussen", "mit leerzeichen", "massnahmenkatalog"):
        result = import_draft(source, data_copy, name)
        assert result.exit_code == 1 and result.output.startswith("Fehler: "), name
    assert not (data_copy.parent / "aussen.yaml").exists()


def test_a_list_in_the_beschlussvorschlag_follows_its_line_and_ends_before_the_next(data_copy,
                                                                                   tmp_path):
    def more(doc):
        doc.add_heading("Beschlussantrag", 2)
        doc.add_paragraph("Die Verwaltung wird beauftragt,")
        doc.add_paragraph("ein Konzept zu erarbeiten,", style="List Number")
        doc.add_paragraph("jährlich zu berichten.", style="List Number")
        doc.add_paragraph("Die Mittel werden bereitgestellt.")

    source = tmp_path / "antrag.docx"
    doc = Document()
    doc.add_heading("Sprachcafé", 0)
    more(doc)
    doc.save(str(source))
    assert import_draft(source, data_copy).exit_code == 0
    data = yaml.safe_load((data_copy / "vorlagen" / "sprachcafe.yaml").read_text("utf-8"))
    assert data["beschlussvorschlag"] == ("Die Verwaltung wird beauftragt,\n"
                                          "1. ein Konzept zu erarbeiten,\n2. jährlich zu berichten."
                                          "\n\nDie Mittel werden bereitgestellt.")
    assert build(data_copy, tmp_path, "sprachcafe").exit_code == 0
    paper = Document(str(tmp_path / "output" / "sprachcafe.docx"))
    texts = [_paragraph_text(p) for p in paper.element.body.iter(f"{W}p")]
    start = texts.index("Beschlussvorschlag:")
    assert texts[start + 1:start + 6] == [
        "Die Verwaltung wird beauftragt,", "ein Konzept zu erarbeiten,", "jährlich zu berichten.",
        "", "Die Mittel werden bereitgestellt."]
    numbered = [p for p in paper.element.body.iter(f"{W}p")
                if _paragraph_text(p) in ("ein Konzept zu erarbeiten,", "jährlich zu berichten.")]
    assert all(p.find(f"{W}pPr/{W}numPr/{W}numId") is not None for p in numbered)
