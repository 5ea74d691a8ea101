"""End-to-end: build the shipped data with the CLI, reopen every output and check its content."""

from __future__ import annotations

import time
from collections import Counter

import pytest
import yaml
from docx import Document

from pipeline.kategorien import KATEGORIEN, kategorie_aus_status

from .conftest import (
    DATA,
    STIL,
    TEMPLATES,
    W,
    _paragraph_text,
    body_paragraph_texts,
    numbered_paragraph_texts,
    run,
)
from .ooxml import validation_errors

DOCUMENTS = ("massnahmenkatalog", "integrationsplan-2020", "zwischenbericht-2023",
             "pressetext-integrationsplan", "sitzungsvorlage-51-2016", "empfehlungen-234-2014")


def raw_katalog() -> dict:
    return yaml.safe_load((DATA / "massnahmenkatalog.yaml").read_text(encoding="utf-8"))


def raw_measures() -> list[tuple[str, str, dict]]:
    """(Handlungsfeld, Ziel, Maßnahme) straight from the YAML, without the pipeline."""
    return [(hf["name"], z["ziel"], m) for hf in raw_katalog()["handlungsfelder"]
            for z in hf["ziele"] for m in z["massnahmen"]]


def cell_text(tc) -> str:
    return "\n".join(_paragraph_text(p) for p in tc.iter(f"{W}p"))


def catalogue_rows(path):
    """Every data row of the catalogue tables: the five cell elements."""
    doc = Document(str(path))
    rows = []
    for tbl in doc.element.body.iter(f"{W}tbl"):
        trs = tbl.findall(f"{W}tr")
        header = [cell_text(tc) for tc in trs[0].findall(f"{W}tc")]
        if header[:2] != ["Ziele und zukünftiger Bedarf", "Nr."]:
            continue
        rows += [tr.findall(f"{W}tc") for tr in trs[1:]]
    return doc, rows


def test_build_writes_every_document_and_says_so(built):
    for name in DOCUMENTS:
        assert (built / f"{name}.docx").stat().st_size > 10_000
    result = run("build", "--daten", str(DATA), "--vorlagen", str(TEMPLATES),
                 "--ausgabe", str(built))
    assert result.exit_code == 0
    assert sorted(result.stdout.splitlines()) == sorted(
        f"unverändert: {built / name}.docx" for name in DOCUMENTS)
    # The shipped Zwischenbericht still holds the clerk's placeholders: warned on stderr.
    assert [line.split(": ")[0] for line in result.stderr.splitlines()] == ["Warnung"] * 3


def test_build_only_named_document(tmp_path):
    result = run("build", "massnahmenkatalog", "--daten", str(DATA), "--vorlagen",
                 str(TEMPLATES), "--ausgabe", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"geschrieben: {tmp_path / 'massnahmenkatalog.docx'}",
        f"archiviert: {tmp_path / 'archiv/massnahmenkatalog/2023-11-30_v1.docx'} (Version 1)"]
    assert [p.name for p in tmp_path.glob("*.docx")] == ["massnahmenkatalog.docx"]


def test_catalogue_has_all_41_measures_with_their_cells(built):
    _, rows = catalogue_rows(built / "massnahmenkatalog.docx")
    expected = raw_measures()
    assert len(expected) == 41
    assert len(rows) == 41
    for (_, _, m), cells in zip(expected, rows, strict=True):
        assert cell_text(cells[1]) == str(m["nr"])
        assert cell_text(cells[2]) == m["text"]
        assert cell_text(cells[3]) == m["akteure"]
        assert cell_text(cells[4]) == m["status"]


def test_catalogue_goal_cells_are_merged_over_their_measures(built):
    _, rows = catalogue_rows(built / "massnahmenkatalog.docx")
    previous_goal = None
    for (_, goal, _), cells in zip(raw_measures(), rows, strict=True):
        vmerge = cells[0].find(f"{W}tcPr/{W}vMerge")
        assert vmerge is not None
        if goal != previous_goal:
            assert vmerge.get(f"{W}val") == "restart"
            assert cell_text(cells[0]) == goal
        else:
            assert vmerge.get(f"{W}val") == "continue"
            assert cell_text(cells[0]) == ""
        previous_goal = goal


def test_catalogue_rows_do_not_split_and_header_repeats(built):
    doc = Document(str(built / "massnahmenkatalog.docx"))
    tables = [t for t in doc.element.body.iter(f"{W}tbl")
              if "Nr." in cell_text(t.find(f"{W}tr"))]
    assert len(tables) == 7  # one per Handlungsfeld
    for tbl in tables:
        trs = tbl.findall(f"{W}tr")
        assert trs[0].find(f"{W}trPr/{W}tblHeader") is not None
        assert all(tr.find(f"{W}trPr/{W}cantSplit") is not None for tr in trs)


def test_catalogue_status_cells_are_shaded_by_category(built):
    _, rows = catalogue_rows(built / "massnahmenkatalog.docx")
    for (_, _, m), cells in zip(raw_measures(), rows, strict=True):
        kategorie = m.get("kategorie") or kategorie_aus_status(m["status"])
        fill = cells[4].find(f"{W}tcPr/{W}shd").get(f"{W}fill")
        assert fill == KATEGORIEN[kategorie].farbe, m["nr"]


def test_catalogue_headings_visions_and_closing_note(built):
    texts = body_paragraph_texts(built / "massnahmenkatalog.docx")
    katalog = raw_katalog()
    headings = [t for t in texts if t.startswith("Handlungsfeld „")]
    assert headings == [f"Handlungsfeld „{hf['name']}“" for hf in katalog["handlungsfelder"]]
    for hf in katalog["handlungsfelder"]:
        for line in hf["vision"]:
            assert line in texts
        for item in hf["weitere_massnahmen"]:
            assert f"+ {item}" in texts
    assert katalog["schlussbemerkung"] in texts
    footer = Document(str(built / "massnahmenkatalog.docx")).sections[0].footer
    assert "Stand: 30.11.2023" in footer.paragraphs[0].text


def test_catalogue_is_landscape_a4(built):
    section = Document(str(built / "massnahmenkatalog.docx")).sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (29.7, 21.0)


def test_beschlussvorlage_finanzielle_auswirkungen(built):
    texts = body_paragraph_texts(built / "integrationsplan-2020.docx")
    doc = Document(str(built / "integrationsplan-2020.docx"))

    def answer(question):
        return texts[texts.index(question) + 1]

    assert answer("Sind Finanzmittel notwendig?") == "☒ Ja\t☐ Nein"
    assert answer("Sind im laufenden Jahr über-/außerplanmäßige Aufwendungen/Auszahlungen "
                  "erforderlich?") == "☐ Ja\t☒ Nein"
    assert answer("Entstehen Folgekosten?") == "☐ Ja\t☒ Nein"
    assert answer("Gibt es Erlöse / Einnahmen / Einsparungen?") == "☐ Ja\t☒ Nein"
    assert answer("Anlage/n:") == "Keine"
    budget = next(t for t in doc.tables if t.rows[0].cells[0].text == "Produkt/Auftrag"
                  and len(t.columns) == 6)
    assert [c.text for c in budget.rows[0].cells] == [
        "Produkt/Auftrag", "Bezeichnung", "Sachkonto", "Betrag insgesamt", "HH-Jahr",
        "Summe Folgejahr"]
    assert [[c.text for c in row.cells] for row in budget.rows[1:]] == [
        ["314007", "Integrationsmaßnahmen für Ausländer", "4271000", "5.000", "2020", "5.000"]]


def test_beschlussvorlage_header_betreff_and_signature(built):
    path = built / "integrationsplan-2020.docx"
    doc = Document(str(path))
    beratung = doc.tables[0]
    assert [c.text for c in beratung.rows[1].cells] == [
        "Verwaltungs-, Kultur- und Sozialausschuss", "10.03.2020", "öffentlich", "Entscheidung"]
    betreff = next(p for p in doc.paragraphs if p.style.name == "Betreff")
    assert betreff.text == "Erarbeitung eines Integrationsplans für die Stadt Leinfelden-Echterdingen"
    assert betreff.style.font.bold
    texts = [p.text for p in doc.paragraphs]
    assert texts[texts.index("gez. Roland Klenk") + 1] == "Oberbürgermeister"
    assert doc.sections[0].header.paragraphs[0].text == "Stadt Leinfelden-Echterdingen"
    bullets = [p.text for p in doc.paragraphs if p.style.name == "Aufzählung"]
    assert bullets[0] == "Ehrenamtliches Engagement,"
    assert len([p for p in doc.paragraphs if p.style.name == "Aufzählung Strich"]) == 10
    form = next(p for p in doc.paragraphs if p.text == "Finanzielle Auswirkungen:")
    assert form.paragraph_format.page_break_before or form.style.paragraph_format.page_break_before


def test_zwischenbericht_totals_match_the_catalogue(built):
    doc = Document(str(built / "zwischenbericht-2023.docx"))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "Handlungsfeld")
    rows = [[c.text for c in row.cells] for row in table.rows]
    header, body, total = rows[0], rows[1:-1], rows[-1]
    assert header[-1] == "Summe"
    per_field = Counter(hf for hf, _, _ in raw_measures())
    assert [r[0] for r in body] == list(per_field)
    for row in body:
        counts = list(map(int, row[1:-1]))
        assert sum(counts) == int(row[-1]) == per_field[row[0]]
    column_sums = [sum(int(r[i]) for r in body) for i in range(1, len(header))]
    assert total[0] == "Summe"
    assert list(map(int, total[1:])) == column_sums
    assert int(total[-1]) == 41
    by_category = Counter(m.get("kategorie") or kategorie_aus_status(m["status"])
                          for _, _, m in raw_measures())
    assert list(map(int, total[1:-1])) == [by_category[k] for k in KATEGORIEN]


def test_zwischenbericht_lists_chart_and_anlage(built):
    path = built / "zwischenbericht-2023.docx"
    doc = Document(str(path))
    texts = body_paragraph_texts(path)
    done = [m for _, _, m in raw_measures() if kategorie_aus_status(m["status"]) == "abgeschlossen"]
    open_ = [m for _, _, m in raw_measures() if kategorie_aus_status(m["status"]) == "offen"]
    assert f"Abgeschlossene Maßnahmen ({len(done)}):" in texts
    assert f"Noch nicht umgesetzte Maßnahmen ({len(open_)}):" in texts
    listed = [[r.cells[0].text for r in t.rows[1:]] for t in doc.tables
              if t.rows[0].cells[0].text == "Nr."]
    assert listed == [[str(m["nr"]) for m in done], [str(m["nr"]) for m in open_]]
    assert len(doc.inline_shapes) == 1
    assert doc.inline_shapes[0].width.mm > 150
    anlage = texts[texts.index("Anlage/n:") + 1]
    assert anlage == ("Maßnahmenkatalog zur Umsetzung von „Miteinander.Vielfalt.Leben.“ "
                      "(Stand 30.11.2023)")
    assert "Informationsvorlage" in texts
    assert any("umfasst 41 Maßnahmen in 7 Handlungsfeldern" in t for t in texts)


def test_every_output_is_valid_wordprocessingml(built):
    for name in DOCUMENTS:
        assert validation_errors(built / f"{name}.docx") == [], name


@pytest.mark.slow
def test_two_builds_are_byte_identical(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        result = run("build", "--daten", str(DATA), "--vorlagen", str(TEMPLATES),
                     "--ausgabe", str(out))
        assert result.exit_code == 0, result.output
        time.sleep(2.1)  # zip timestamps have a resolution of two seconds
    for name in DOCUMENTS:
        assert (first / f"{name}.docx").read_bytes() == (second / f"{name}.docx").read_bytes()


def test_core_properties_come_from_the_data(built):
    props = Document(str(built / "integrationsplan-2020.docx")).core_properties
    assert props.title == "Erarbeitung eines Integrationsplans für die Stadt Leinfelden-Echterdingen"
    assert props.created.date().isoformat() == "2020-03-10"
    assert props.modified == props.created
    assert props.author.startswith("Stadt Leinfelden-Echterdingen")


def test_check_validates_without_writing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("check", "--daten", str(DATA), "--vorlagen", str(TEMPLATES))
    assert result.exit_code == 0, result.output
    assert result.stdout == ("In Ordnung: 6 Dokumente (massnahmenkatalog, empfehlungen-234-2014, "
                             "integrationsplan-2020, "
                             "pressetext-integrationsplan, sitzungsvorlage-51-2016, "
                             "zwischenbericht-2023).\n")
    assert result.stderr.startswith(f"Warnung: {DATA}/vorlagen/zwischenbericht-2023.yaml:24: ")
    assert list(tmp_path.iterdir()) == []


def test_unchanged_inputs_reuse_the_output_and_any_change_renders_again(tmp_path, data_copy):
    import shutil

    from .test_bad_input import template_with

    out = tmp_path / "out"
    templates = template_with(tmp_path, "beschlussvorlage.docx", "Sachverhalt:",
                              "Sachverhalt:").parent.parent
    build = ["build", "--daten", str(data_copy), "--vorlagen", str(templates), "--ausgabe", str(out)]
    assert run(*build).exit_code == 0
    assert "unverändert" in run(*build).output

    # A template edit renders again.
    (tmp_path / "neu").mkdir()
    edited = template_with(tmp_path / "neu", "beschlussvorlage.docx", "Sachverhalt:",
                           "Sachverhalt und Begründung:")
    shutil.copy(edited, templates / STIL / "beschlussvorlage.docx")
    assert f"geschrieben: {out / 'integrationsplan-2020.docx'}" in run(*build).output.splitlines()
    assert "Sachverhalt und Begründung:" in body_paragraph_texts(out / "integrationsplan-2020.docx")

    # A data edit renders again.
    path = data_copy / "vorlagen" / "integrationsplan-2020.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Roland Klenk", "R. Klenk"),
                    encoding="utf-8")
    run(*build)
    assert "gez. R. Klenk" in body_paragraph_texts(out / "integrationsplan-2020.docx")

    # An output altered by hand is rendered again, not trusted.
    (out / "massnahmenkatalog.docx").write_bytes(b"kaputt")
    result = run(*build)
    assert f"geschrieben: {out / 'massnahmenkatalog.docx'}" in result.output.splitlines()
    assert len(body_paragraph_texts(out / "massnahmenkatalog.docx")) > 100


def test_pressetext_facts_come_from_the_data(data_copy, tmp_path):
    path = data_copy / "vorlagen" / "pressetext-integrationsplan.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("nationen: knapp 130",
                                                             "nationen: über 140"),
                    encoding="utf-8")
    out = tmp_path / "out"
    result = run("build", "pressetext-integrationsplan", "--daten", str(data_copy), "--vorlagen",
                 str(TEMPLATES), "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    assert f"geschrieben: {out / 'pressetext-integrationsplan.html'}" in result.output.splitlines()
    lead = ("Mit Bürgerinnen und Bürgern aus über 140 verschiedenen Nationen zeichnet sich "
            "Leinfelden-Echterdingen durch seine internationale und vielfältige Stadtgesellschaft aus.")
    assert lead in body_paragraph_texts(out / "pressetext-integrationsplan.docx")
    html = (out / "pressetext-integrationsplan.html").read_text(encoding="utf-8")
    assert f'<p class="vorspann">{lead}</p>' in html
    assert "„Miteinander.Vielfalt.Leben.“" in html


def test_sitzungsvorlage_ticks_boxes_from_the_data(built):
    doc = Document(str(built / "sitzungsvorlage-51-2016.docx"))
    texts = body_paragraph_texts(built / "sitzungsvorlage-51-2016.docx")
    assert [t for t in texts if t.startswith("☒")] == [
        "☒ Öffentlich", "☒ SOA 09.06.2016", "☒ Einbringung zur späteren Beratung"]
    assert {"☐ KT", "☐ JHA", "☐ Nichtöffentlich", "☐ Vorberatung für den Kreistag"} <= set(texts)
    antrag = [p for p in doc.paragraphs if p.style.name == "Antrag"]
    assert len(antrag) == 2  # numbered by Word, not by hand
    assert antrag[0].style.element.pPr.numPr.numId.val == 3
    assert texts[-2:] == ["Heinz Einingner", "Landrat"]


def test_empfehlungen_are_numbered_by_word_with_lettered_points(built):
    path = built / "empfehlungen-234-2014.docx"
    labels = [t.split("\t", 1)[0] for t in numbered_paragraph_texts(path) if "\t" in t]
    assert labels == ["AG 1:", "AG 2:", "AG 3:",
                      "1.", "a.", "b.", "2.", "3.", "a.", "b.", "c.", "4.", "5.", "6.",
                      "7.", "a.", "b.", "8.", "9.", "10.", "11.", "12."]
    doc = Document(str(path))
    empfehlungen = [p for p in doc.paragraphs if p.style.name == "Empfehlung"]
    punkte = [p for p in doc.paragraphs if p.style.name == "Empfehlung Punkt"]
    assert (len(empfehlungen), len(punkte)) == (12, 7)
    # No hand-typed numbers: the label comes from the style's numbering alone.
    assert not any(p.text[:3].rstrip(". ").isdigit() for p in empfehlungen)
    assert {p.style.element.pPr.numPr.ilvl.val for p in empfehlungen + punkte} == {0, 1}
    assert empfehlungen[0].text == ("Der Kreistag empfiehlt die Verankerung des politischen Leitzieles "
                                    "zum Thema Migration")
