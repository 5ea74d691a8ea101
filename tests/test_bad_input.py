"""Bad input beyond the data corpus (tests/bad_inputs/): names, special characters, templates."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from .conftest import STIL, TEMPLATES, run

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


def test_unknown_document_name(tmp_path):
    from pipeline.errors import display_path

    from .conftest import DATA

    out = tmp_path / "o"
    result = run("build", "gibtsnicht", "--daten", str(DATA), "--vorlagen", str(TEMPLATES),
                 "--ausgabe", str(out))
    assert result.exit_code == 1
    assert result.output.splitlines()[1] == (
        f"{display_path(DATA)}: kein "
        "Dokument „gibtsnicht“; vorhanden sind: massnahmenkatalog, empfehlungen-234-2014, "
        "integrationsplan-2020, "
        "pressetext-integrationsplan, sitzungsvorlage-51-2016, "
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
    import shutil

    root = tmp_path / "templates"
    if not root.exists():
        shutil.copytree(TEMPLATES, root)
    path = root / STIL / name
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


def templates_root(path: Path) -> Path:
    """The styles folder (--vorlagen) that holds a template copied by template_with."""
    return path.parent.parent


def test_misspelled_top_level_variable_names_template_and_variable(tmp_path):
    from .conftest import DATA

    path = template_with(tmp_path, "beschlussvorlage.docx", "{{ betreff }}", "{{ betref }}")
    lines = build_fails(DATA, tmp_path, templates_root(path))
    assert lines == [f"Fehler: Vorlage {path}: unbekannte Platzhalter: betref"]


def test_misspelled_attribute_is_an_error_not_a_blank(tmp_path):
    from .conftest import DATA

    path = template_with(tmp_path, "massnahmenkatalog.docx", "{{ m.akteure }}", "{{ m.akteuer }}")
    lines = build_fails(DATA, tmp_path, templates_root(path))
    assert lines == [f"Fehler: Vorlage {path}: unbekannter Platzhalter: „akteuer“"]


def test_template_reaching_for_python_internals_is_refused(tmp_path):
    from .conftest import DATA

    path = template_with(tmp_path, "beschlussvorlage.docx", "{{ betreff }}",
                         "{{ betreff.__class__.__mro__ }}")
    lines = build_fails(DATA, tmp_path, templates_root(path))
    assert lines[0].startswith(f"Fehler: Vorlage {path}: unerlaubter Zugriff in einem Platzhalter")


def test_template_that_is_not_a_docx(tmp_path):
    import shutil

    from .conftest import DATA

    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES, folder)
    for source in folder.glob("*/*.docx"):
        source.write_bytes(b"not a zip")
    lines = build_fails(DATA, tmp_path, folder)
    assert lines[0].startswith(f"Fehler: Vorlage {folder / STIL / 'massnahmenkatalog.docx'}: ist "
                               "keine gültige .docx-Datei")
