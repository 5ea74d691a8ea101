"""Writing papers as clerks do: files as Anlagen, nichtöffentlich papers, new papers and measures."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from .conftest import TEMPLATES, run

TEMPLATE_FOLDER = ["--vorlagen", str(TEMPLATES)]
PAPER = "integrationsplan-2020"


def two_page_pdf(path: Path) -> Path:
    writer = PdfWriter()
    for _ in range(2):
        writer.add_blank_page(width=595, height=842)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def attach(data: Path, lines: str) -> None:
    replace_in(data / "vorlagen" / f"{PAPER}.yaml", "\nanlagen: []", f"\nanlagen:\n{lines}")


# --- files as Anlagen --------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_a_pdf_anlage_is_in_the_mappe_and_in_oparl(data_copy, tmp_path):
    two_page_pdf(data_copy / "anlagen" / "lageplan.pdf")
    attach(data_copy, "  - datei: anlagen/lageplan.pdf\n    titel: Lageplan\n  - Nur ausgeteilt")
    out = tmp_path / "out"
    built = run("build", PAPER, "--daten", str(data_copy), *TEMPLATE_FOLDER, "--ausgabe", str(out))
    assert built.exit_code == 0, built.output
    paper_pages = len(PdfReader(io.BytesIO(_pdf_of(out / f"{PAPER}.docx", tmp_path))).pages)

    result = run("mappe", PAPER, "--daten", str(data_copy), *TEMPLATE_FOLDER, "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    assert ("Hinweis: Anlage „Nur ausgeteilt“ ist nicht als Datei vorhanden und fehlt in der "
            "Mappe (als „datei:“ angeben, um sie aufzunehmen)") in result.output.splitlines()
    mappe = PdfReader(out / "mappen" / f"{PAPER}.pdf")
    assert len(mappe.pages) == paper_pages + 2
    outline = [(item.title, mappe.get_destination_page_number(item)) for item in mappe.outline]
    assert outline[1] == ("Anlage: Lageplan", paper_pages)

    oparl = run("oparl", PAPER, "--daten", str(data_copy), *TEMPLATE_FOLDER, "--ausgabe", str(out))
    assert oparl.exit_code == 0, oparl.output
    paper = json.loads((out / "oparl" / f"{PAPER}.json").read_text(encoding="utf-8"))
    lageplan = next(f for f in paper["auxiliaryFile"] if f["fileName"] == "lageplan.pdf")
    assert lageplan["name"] == "Lageplan"
    assert lageplan["mimeType"] == "application/pdf"
    assert lageplan["size"] == (data_copy / "anlagen" / "lageplan.pdf").stat().st_size
    # The archive records the file's hash among the version's inputs.
    log = [json.loads(line) for line in
           (out / "archiv" / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    version = next(e for e in log if e["ereignis"] == "version" and e["dokument"] == PAPER)
    assert any(key.endswith("anlagen/lageplan.pdf") for key in version["eingaben"])


def _pdf_of(docx: Path, tmp_path: Path) -> bytes:
    from .conftest import soffice_convert

    soffice_convert([docx], "pdf", tmp_path / "einzeln")
    return (tmp_path / "einzeln" / f"{docx.stem}.pdf").read_bytes()


@pytest.mark.parametrize(("datei", "message"), [
    ("anlagen/fehlt.pdf", "Datei „anlagen/fehlt.pdf“ fehlt"),
    ("../aussen.pdf", "„../aussen.pdf“ liegt außerhalb des Datenordners"),
    ("anlagen/notiz.txt", "„anlagen/notiz.txt“: als Anlage gehen nur PDF- und Word-Dateien"),
    ("anlagen/kaputt.pdf", "„anlagen/kaputt.pdf“ ist keine gültige PDF-Datei"),
])
def test_a_bad_file_anlage_names_the_yaml_line(data_copy, datei, message):
    (data_copy / "anlagen").mkdir()
    (data_copy / "anlagen" / "notiz.txt").write_text("x", encoding="utf-8")
    (data_copy / "anlagen" / "kaputt.pdf").write_text("kein PDF", encoding="utf-8")
    (data_copy.parent / "aussen.pdf").write_bytes(b"%PDF-1.4")
    attach(data_copy, f"  - datei: {datei}")
    result = run("check", "--daten", str(data_copy), *TEMPLATE_FOLDER)
    assert result.exit_code == 1
    line = next(i for i, text in enumerate(
        (data_copy / "vorlagen" / f"{PAPER}.yaml").read_text(encoding="utf-8").splitlines(), 1)
        if f"datei: {datei}" in text)
    assert f"{PAPER}.yaml:{line}: anlagen[0].datei: {message}" in result.output


# --- nichtöffentlich ---------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_a_nichtoeffentlich_paper_is_marked_on_every_page_and_kept_out_of_oparl(data_copy, tmp_path):
    replace_in(data_copy / "vorlagen" / f"{PAPER}.yaml", "oeffentlichkeit: öffentlich",
               "oeffentlichkeit: nichtöffentlich")
    out = tmp_path / "out"
    result = run("build", PAPER, "--pdf", "--daten", str(data_copy), *TEMPLATE_FOLDER,
                 "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    pages = PdfReader(out / f"{PAPER}.pdf").pages
    assert len(pages) >= 2
    assert all("NICHTÖFFENTLICH" in page.extract_text() for page in pages)
    refused = run("oparl", PAPER, "--daten", str(data_copy), *TEMPLATE_FOLDER, "--ausgabe", str(out))
    assert refused.exit_code == 1
    assert refused.output == (f"Fehler: „{PAPER}“ ist nichtöffentlich; OParl ist eine öffentliche "
                              "Schnittstelle. Nur für ein internes System: --intern\n")
    allowed = run("oparl", PAPER, "--intern", "--daten", str(data_copy), *TEMPLATE_FOLDER,
                  "--ausgabe", str(out))
    assert allowed.exit_code == 0, allowed.output


def test_a_public_paper_carries_no_marker(tmp_path):
    from docx import Document

    from .conftest import DATA

    out = tmp_path / "out"
    assert run("build", PAPER, "--daten", str(DATA), *TEMPLATE_FOLDER, "--ausgabe",
               str(out)).exit_code == 0
    header = Document(str(out / f"{PAPER}.docx")).sections[0].header
    assert "NICHTÖFFENTLICH" not in " ".join(p.text for p in header.paragraphs)



def test_no_pressetext_about_a_nichtoeffentlich_paper(data_copy):
    replace_in(data_copy / "vorlagen" / f"{PAPER}.yaml", "oeffentlichkeit: öffentlich",
               "oeffentlichkeit: nichtöffentlich")
    press = data_copy / "vorlagen" / "pressetext-integrationsplan.yaml"
    replace_in(press, "art: pressetext\n", f"art: pressetext\nbezug: {PAPER}\n")
    result = run("check", "--daten", str(data_copy), *TEMPLATE_FOLDER)
    assert result.exit_code == 1
    assert (f"pressetext-integrationsplan.yaml:5: bezug: „{PAPER}“ ist nichtöffentlich; darüber "
            "gibt es keinen Pressetext") in result.output


# --- new papers and measures -------------------------------------------------------------------


@pytest.mark.parametrize("art", ["beschlussvorlage", "zwischenbericht", "pressetext"])
def test_a_new_paper_checks_with_placeholder_warnings(data_copy, tmp_path, art):
    created = run("neu", art, "test-neu", "--daten", str(data_copy), *TEMPLATE_FOLDER)
    assert created.exit_code == 0, created.output
    assert created.output == f"angelegt: {data_copy}/vorlagen/test-neu.yaml\n"
    text = (data_copy / "vorlagen" / "test-neu.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Neue") and "stil: stadt-leinfelden-echterdingen" in text
    check = run("check", "--daten", str(data_copy), *TEMPLATE_FOLDER, "--ausgabe",
                str(tmp_path / "out"))
    assert check.exit_code == 0, check.output
    assert "test-neu" in check.stdout
    assert any(line.startswith(f"Warnung: {data_copy}/vorlagen/test-neu.yaml:")
               and "Platzhalter [" in line for line in check.stderr.splitlines())


def test_a_new_paper_never_replaces_one(data_copy):
    result = run("neu", "beschlussvorlage", PAPER, "--daten", str(data_copy), *TEMPLATE_FOLDER)
    assert result.exit_code == 1
    assert result.output == (f"Fehler: {data_copy}/vorlagen/{PAPER}.yaml gibt es schon; bitte "
                             "einen anderen Namen wählen\n")


def test_a_new_measure_gets_the_next_number_and_changes_only_added_lines(data_copy):
    subprocess.run(["git", "init", "-q"], cwd=data_copy, check=True)
    subprocess.run(["git", "add", "-A"], cwd=data_copy, check=True)
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"],
                   cwd=data_copy, check=True)
    result = run("massnahme", "neu", "--handlungsfeld", "Wohnen und Unterbringung", "--ziel",
                 "Neues Ziel: Wohnraum für alle", "--text", "Sprachcafé im Rathaus", "--akteure",
                 "Kontaktstelle für Integration", "--status", "In Planung", "--datum", "01.02.2024",
                 "--daten", str(data_copy))
    assert result.exit_code == 0, result.output
    assert result.output == "Maßnahme 42 angelegt (01.02.2024).\n"
    diff = subprocess.run(["git", "diff", "-U0", "massnahmenkatalog.yaml"], cwd=data_copy,
                          capture_output=True, text=True, check=True).stdout
    changed = [line for line in diff.splitlines()
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed and all(line.startswith("+") for line in changed)
    assert "+          - nr: 42" in changed
    from pipeline.validate import load_and_validate

    katalog = load_and_validate(data_copy, TEMPLATES).katalog
    assert katalog is not None
    measure = next(m for m in katalog.massnahmen() if m.nr == 42)
    assert measure.seit is not None and f"{measure.seit:%d.%m.%Y}" == "01.02.2024"


def test_a_new_measure_needs_a_known_handlungsfeld(data_copy):
    result = run("massnahme", "neu", "--handlungsfeld", "Wohnen", "--ziel", "Z", "--text", "T",
                 "--akteure", "A", "--status", "In Planung", "--daten", str(data_copy))
    assert result.exit_code == 1
    assert "Handlungsfeld „Wohnen“ gibt es nicht; vorhanden sind: " in result.output
