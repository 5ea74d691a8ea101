"""Bad input: one German message per problem with file, line and field; exit 1; nothing written."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from .conftest import TEMPLATES, run

VORLAGE = "vorlagen/integrationsplan-2020.yaml"
KATALOG = "massnahmenkatalog.yaml"
HAUSHALT = "haushalt.yaml"


def replace(data: Path, name: str, old: str, new: str, count: int = 1) -> Path:
    path = data / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    hits = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if needle in line]
    return hits[occurrence - 1]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def build_fails(data: Path, tmp_path: Path, templates: Path = TEMPLATES) -> list[str]:
    """Run a build that must fail; return its error lines after the header line."""
    out = tmp_path / "output"
    out.mkdir(exist_ok=True)
    (out / "massnahmenkatalog.docx").write_bytes(b"previous build")
    before = snapshot(out)
    result = run("build", "--daten", str(data), "--vorlagen", str(templates), "--ausgabe", str(out))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, no traceback
    assert "Traceback" not in result.output
    assert snapshot(out) == before
    lines = result.output.splitlines()
    assert lines[0].startswith("Fehler: ")
    return lines


def problems(data: Path, tmp_path: Path) -> list[str]:
    lines = build_fails(data, tmp_path)
    count = len(lines) - 1
    assert lines[0] == ("Fehler: 1 Problem in den Daten:" if count == 1
                        else f"Fehler: {count} Probleme in den Daten:")
    return lines[1:]


def test_yaml_syntax_error(data_copy, tmp_path):
    path = replace(data_copy, VORLAGE, "  - gremium: VKS", "  - gremium: VKS: GR")
    line = line_of(path, "gremium: VKS: GR")
    assert problems(data_copy, tmp_path) == [
        f"{path}:{line}: YAML-Syntaxfehler: Doppelpunkt an unerwarteter Stelle "
        "(Text mit „: “ in Anführungszeichen setzen)"]


def test_missing_key(data_copy, tmp_path):
    path = replace(data_copy, VORLAGE, "    beschlussart: Entscheidung\n", "")
    line = line_of(path, "  - gremium: VKS")
    assert problems(data_copy, tmp_path) == [
        f"{path}:{line}: beratungsfolge[0].beschlussart: Pflichtfeld fehlt"]


def test_unknown_key_is_a_typo(data_copy, tmp_path):
    path = replace(data_copy, VORLAGE, "unterzeichner:\n  name:", "unterzeichner:\n  nmae:")
    line = line_of(path, "nmae:")
    assert problems(data_copy, tmp_path) == [
        f"{path}:{line - 1}: unterzeichner.name: Pflichtfeld fehlt",
        f"{path}:{line}: unterzeichner.nmae: unbekanntes Feld (Tippfehler?); erlaubt sind: "
        "name, funktion",
    ]


def test_wrong_type(data_copy, tmp_path):
    path = replace(data_copy, KATALOG, "nr: 4\n", "nr: vier\n")
    line = line_of(path, "nr: vier")
    result = problems(data_copy, tmp_path)
    assert result[0] == (f"{path}:{line}: handlungsfelder[0].ziele[2].massnahmen[0].nr: "
                         "muss eine ganze Zahl sein, nicht „vier“")
    assert len(result) == 1


def test_duplicate_measure_number(data_copy, tmp_path):
    path = replace(data_copy, KATALOG, "nr: 9\n", "nr: 8\n")
    first, second = line_of(path, "nr: 8"), line_of(path, "nr: 8", 2)
    assert problems(data_copy, tmp_path) == [
        f"{path}:{line_of(path, 'handlungsfelder:')}: handlungsfelder: Nummer(n) 9 fehlen "
        "(Maßnahmen sind von 1 bis 41 lückenlos zu nummerieren)",
        f"{path}:{second}: handlungsfelder[2].ziele[1].massnahmen[0].nr: Nummer 8 ist doppelt "
        f"vergeben (auch Zeile {first})",
    ]


def test_missing_measure_number(data_copy, tmp_path):
    path = replace(data_copy, KATALOG, "nr: 41\n", "nr: 43\n")
    assert problems(data_copy, tmp_path) == [
        f"{path}:{line_of(path, 'handlungsfelder:')}: handlungsfelder: Nummer(n) 41, 42 fehlen "
        "(Maßnahmen sind von 1 bis 43 lückenlos zu nummerieren)"]


def test_budget_reference_not_in_haushalt(data_copy, tmp_path):
    path = replace(data_copy, VORLAGE, 'sachkonto: "4271000"', 'sachkonto: "4271001"')
    line = line_of(path, "- produkt:")
    assert problems(data_copy, tmp_path) == [
        f"{path}:{line}: finanzielle_auswirkungen.posten[0].produkt: Produkt 314007 mit "
        f"Sachkonto 4271001 steht nicht im Haushalt ({data_copy / HAUSHALT})"]


def test_budget_year_without_amount(data_copy, tmp_path):
    path = replace(data_copy, VORLAGE, "hh_jahr: 2020", "hh_jahr: 2024")
    assert problems(data_copy, tmp_path) == [
        f"{path}:{line_of(path, 'hh_jahr: 2024')}: finanzielle_auswirkungen.posten[0].hh_jahr: "
        "für HH-Jahr 2024 ist bei Produkt 314007 / Sachkonto 4271000 kein Ansatz eingetragen "
        "(vorhanden: 2020, 2021)"]


def test_amount_that_is_not_a_number(data_copy, tmp_path):
    path = replace(data_copy, HAUSHALT, "2020: 5000", "2020: fünftausend")
    assert problems(data_copy, tmp_path) == [
        f"{path}:{line_of(path, 'fünftausend')}: posten[0].ansaetze[2020]: „fünftausend“ ist kein "
        "Betrag (Beispiel: 5000 oder 5.000,00)"]


@pytest.mark.parametrize("written", ["30.02.2020", "2020-02-30"])
def test_impossible_date(data_copy, tmp_path, written):
    path = replace(data_copy, VORLAGE, "sitzungsdatum: 10.03.2020", f"sitzungsdatum: {written}")
    message = (f"„{written}“ ist kein gültiges Datum" if "." in written
               else f"„{written}“ ist kein gültiges Datum (TT.MM.JJJJ oder JJJJ-MM-TT)")
    assert problems(data_copy, tmp_path) == [
        f"{path}:{line_of(path, written)}: beratungsfolge[0].sitzungsdatum: {message}"]


def test_unknown_status_category(data_copy, tmp_path):
    path = replace(data_copy, KATALOG, "status: Wird fortgesetzt\n",
                   "status: Wird fortgesetzt\n            kategorie: erledigt\n")
    line = line_of(path, "kategorie: erledigt")
    assert problems(data_copy, tmp_path) == [
        f"{path}:{line}: handlungsfelder[0].ziele[0].massnahmen[0].kategorie: „erledigt“ ist "
        "keine bekannte Kategorie; erlaubt sind: 'abgeschlossen', 'laufend', 'geplant', "
        "'in_pruefung' or 'offen'"]


def test_status_without_inferable_category(data_copy, tmp_path):
    path = replace(data_copy, KATALOG, "status: Wird fortgesetzt\n", "status: Mal sehen\n")
    assert problems(data_copy, tmp_path) == [
        f"{path}:{line_of(path, 'Mal sehen')}: handlungsfelder[0].ziele[0].massnahmen[0].status: "
        "Kategorie lässt sich aus „Mal sehen“ nicht ableiten; bitte „kategorie“ angeben "
        "(abgeschlossen, laufend, geplant, in_pruefung, offen)"]


def test_unknown_gremium(data_copy, tmp_path):
    path = replace(data_copy, VORLAGE, "gremium: VKS", "gremium: AUA")
    assert problems(data_copy, tmp_path) == [
        f"{path}:{line_of(path, 'AUA')}: beratungsfolge[0].gremium: Gremium „AUA“ ist in "
        f"{data_copy / 'koerperschaft.yaml'} nicht eingetragen; bekannt sind: VKS, GR"]


def test_xml_forbidden_character_is_refused(data_copy, tmp_path):
    path = replace(data_copy, VORLAGE, "betreff: Erarbeitung eines",
                   'betreff: "Erarbeitung\\x01 eines')
    replace(data_copy, VORLAGE, "Leinfelden-Echterdingen\n\nberatungsfolge",
            'Leinfelden-Echterdingen"\n\nberatungsfolge')
    assert problems(data_copy, tmp_path) == [
        f"{path}:{line_of(path, 'betreff:')}: betreff: enthält das Steuerzeichen U+0001, das in "
        "Word-Dokumenten nicht erlaubt ist (Stelle 12)"]


def test_all_problems_of_all_files_at_once(data_copy, tmp_path):
    vorlage = replace(data_copy, VORLAGE, "gremium: VKS", "gremium: AUA")
    haushalt = replace(data_copy, HAUSHALT, "2020: 5000", "2020: viel")
    katalog = replace(data_copy, KATALOG, "nr: 9\n", "nr: 8\n")
    found = problems(data_copy, tmp_path)
    assert len(found) == 4  # the duplicate number also leaves number 9 missing
    assert {line.split(":")[0] for line in found} == {str(vorlage), str(haushalt), str(katalog)}


def test_unknown_document_name(tmp_path):
    from pipeline.errors import display_path

    from .conftest import DATA

    out = tmp_path / "o"
    result = run("build", "gibtsnicht", "--daten", str(DATA), "--vorlagen", str(TEMPLATES),
                 "--ausgabe", str(out))
    assert result.exit_code == 1
    assert result.output.splitlines()[1] == (
        f"{display_path(DATA)}: kein "
        "Dokument „gibtsnicht“; vorhanden sind: massnahmenkatalog, integrationsplan-2020, "
        "zwischenbericht-2023")
    assert not out.exists()


def test_special_characters_render_as_they_are(data_copy, tmp_path):
    special = "A & B <select> \"x\" 'y' „z“ → • 5 € § 1"
    replace(data_copy, VORLAGE, "betreff: Erarbeitung eines Integrationsplans für die Stadt "
            "Leinfelden-Echterdingen", f"betreff: '{special.replace(chr(39), chr(39) * 2)}'")
    out = tmp_path / "out"
    result = run("build", "integrationsplan-2020", "--daten", str(data_copy), "--vorlagen",
                 str(TEMPLATES), "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    from docx import Document

    doc = Document(str(out / "integrationsplan-2020.docx"))
    assert special in [p.text for p in doc.paragraphs]
    assert doc.core_properties.title == special  # not escaped twice
    assert special in doc.sections[0].footer.paragraphs[0].text


# --- templates ---------------------------------------------------------------------------------


def template_with(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A copy of the templates where one text of one template's document.xml is replaced."""
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    for source in TEMPLATES.glob("*.docx"):
        (folder / source.name).write_bytes(source.read_bytes())
    path = folder / name
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buffer, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                assert old.encode() in data
                data = data.replace(old.encode(), new.encode(), 1)
            dst.writestr(info, data)
    path.write_bytes(buffer.getvalue())
    return path


def test_misspelled_top_level_variable_names_template_and_variable(tmp_path):
    from .conftest import DATA

    path = template_with(tmp_path, "beschlussvorlage.docx", "{{ betreff }}", "{{ betref }}")
    lines = build_fails(DATA, tmp_path, path.parent)
    assert lines == [f"Fehler: Vorlage {path}: unbekannte Platzhalter: betref"]


def test_misspelled_attribute_is_an_error_not_a_blank(tmp_path):
    from .conftest import DATA

    path = template_with(tmp_path, "massnahmenkatalog.docx", "{{ m.akteure }}", "{{ m.akteuer }}")
    lines = build_fails(DATA, tmp_path, path.parent)
    assert lines == [f"Fehler: Vorlage {path}: unbekannter Platzhalter: „akteuer“"]


def test_template_reaching_for_python_internals_is_refused(tmp_path):
    from .conftest import DATA

    path = template_with(tmp_path, "beschlussvorlage.docx", "{{ betreff }}",
                         "{{ betreff.__class__.__mro__ }}")
    lines = build_fails(DATA, tmp_path, path.parent)
    assert lines[0].startswith(f"Fehler: Vorlage {path}: unerlaubter Zugriff in einem Platzhalter")


def test_template_that_is_not_a_docx(tmp_path):
    from .conftest import DATA

    folder = tmp_path / "templates"
    folder.mkdir()
    for source in TEMPLATES.glob("*.docx"):
        (folder / source.name).write_bytes(b"not a zip")
    lines = build_fails(DATA, tmp_path, folder)
    assert lines[0].startswith(f"Fehler: Vorlage {folder / 'massnahmenkatalog.docx'}: ist keine "
                               "gültige .docx-Datei")
