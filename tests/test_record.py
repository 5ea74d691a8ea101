"""A paper is a record: PDFs of exactly their docx, papers as of their Stichtag, submitted papers
frozen, and an archive whose log cannot be fooled."""

from __future__ import annotations

import getpass
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from pipeline.archive import Archiv

from .conftest import DATA, TEMPLATES, run

TEMPLATE_FOLDER = ["--vorlagen", str(TEMPLATES)]


def build(data: Path, out: Path, *args: str):
    result = run("build", *args, "--daten", str(data), *TEMPLATE_FOLDER, "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    return result


def status(data: Path, *args: str):
    result = run("status", *args, "--daten", str(data))
    assert result.exit_code == 0, result.output


def add_measure(data: Path, nr: int, text: str, seit: str) -> None:
    """Append a measure to the catalogue's last goal, dated when it was added."""
    path = data / "massnahmenkatalog.yaml"
    source = path.read_text(encoding="utf-8")
    anchor = "            status: Wird fortgesetzt\n    weitere_massnahmen: []\nschlussbemerkung"
    assert anchor in source
    path.write_text(source.replace(anchor, (
        "            status: Wird fortgesetzt\n"
        f"          - nr: {nr}\n            text: {text}\n"
        "            akteure: Kontaktstelle für Integration\n            status: In Planung\n"
        f"            seit: {seit}\n"
        "    weitere_massnahmen: []\nschlussbemerkung")), encoding="utf-8")


def pdf_text(path: Path) -> str:
    return " ".join(page.extract_text() for page in PdfReader(path).pages)


def manifest(out: Path) -> list[dict]:
    lines = (out / "archiv" / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


# --- every archived file is what its version says ----------------------------------------------


@pytest.mark.libreoffice
def test_a_pdf_is_never_older_than_its_docx(data_copy, tmp_path):
    out = tmp_path / "out"
    build(data_copy, out, "massnahmenkatalog", "--pdf")
    status(data_copy, "3", "Abgeschlossen", "--datum", "15.01.2024")
    build(data_copy, out, "massnahmenkatalog")
    # The PDF beside the new docx would show the old status: it is gone, not stale.
    assert not (out / "massnahmenkatalog.pdf").exists()
    build(data_copy, out, "massnahmenkatalog", "--pdf")
    versions = [e for e in manifest(out) if e["ereignis"] in ("version", "pdf")]
    for entry in versions:
        if entry.get("pdf"):
            assert entry["pdf_docx_sha256"] == next(
                v["docx_sha256"] for v in versions
                if v["ereignis"] == "version" and v["version"] == entry["version"])
    for pdf in sorted((out / "archiv" / "massnahmenkatalog").glob("*.pdf")):
        docx = Document(str(pdf.with_suffix(".docx")))
        status_cells = [row.cells[4].text for table in docx.tables[1:] for row in table.rows[1:]
                        if row.cells[1].text == "3"]
        assert status_cells and status_cells[0] in pdf_text(pdf), pdf.name
    assert "Abgeschlossen" in pdf_text(out / "massnahmenkatalog.pdf")
    check = run("archiv", "pruefen", "--ausgabe", str(out))
    assert check.exit_code == 0, check.output


# --- papers as of their Stichtag -----------------------------------------------------------------


def test_the_catalogues_stand_follows_its_latest_change(data_copy, tmp_path):
    out = tmp_path / "out"
    status(data_copy, "3", "Wird fortgesetzt", "--datum", "15.01.2024")
    result = build(data_copy, out, "massnahmenkatalog")
    assert f"archiviert: {out}/archiv/massnahmenkatalog/2024-01-15_v1.docx (Version 1)" \
        in result.output.splitlines()
    doc = Document(str(out / "massnahmenkatalog.docx"))
    assert "Stand: 15.01.2024" in [p.text for p in doc.paragraphs]
    assert "Stand: 15.01.2024" in " ".join(p.text for p in doc.sections[0].footer.paragraphs)
    # An Anlage title names the same Stand.
    result = build(data_copy, out, "integrationsplan-2020")
    assert result.exit_code == 0


@pytest.mark.libreoffice
def test_the_sitzungsmappe_shows_the_catalogue_as_of_the_reports_stichtag(data_copy, tmp_path):
    status(data_copy, "3", "Abgeschlossen", "--datum", "15.01.2024")
    status(data_copy, "9", "Abgeschlossen", "--datum", "16.01.2024")
    add_measure(data_copy, 42, "Sprachcafé im Rathaus", "2024-02-01")
    out = tmp_path / "out"
    result = run("mappe", "zwischenbericht-2023", "--daten", str(data_copy), *TEMPLATE_FOLDER,
                 "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    reader = PdfReader(out / "mappen" / "zwischenbericht-2023.pdf")
    anlage_page = reader.get_destination_page_number(reader.outline[1])
    report = " ".join(p.extract_text() for p in reader.pages[:anlage_page])
    catalogue = "\n".join(p.extract_text() for p in reader.pages[anlage_page:])
    assert "Sprachcafé" not in report + catalogue
    # The report's totals row: Abgeschlossen, Laufend, In Planung, In Prüfung, offen, Summe.
    totals = [int(n) for n in re.search(r"Summe ((?:\d+ ){5}\d+)", report).group(1).split()]
    legend = {label: int(n) for label, n in re.findall(
        r"^(Abgeschlossen|Laufend / wird fortgesetzt|In Planung|In Prüfung|Noch nicht umgesetzt) "
        r"(\d+)$", catalogue, re.MULTILINE)}
    assert list(legend.values()) == totals[:5]
    assert totals[5] == 41
    assert legend["Abgeschlossen"] == 4  # the two completions of 2024 are not counted yet
    assert "Stand: 30.11.2023" in catalogue


# --- submitted papers are frozen -------------------------------------------------------------


def test_a_submitted_paper_is_never_rendered_again(data_copy, tmp_path):
    out = tmp_path / "out"
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    build_args = ["--daten", str(data_copy), "--vorlagen", str(templates), "--ausgabe", str(out)]
    assert run("build", *build_args).exit_code == 0
    submitted = run("einreichen", "integrationsplan-2020", *build_args)
    assert submitted.exit_code == 0, submitted.output
    assert submitted.output.startswith("eingereicht: integrationsplan-2020 Version v1 am ")
    before = (out / "integrationsplan-2020.docx").read_bytes()

    # A template edit and a data edit: the paper stays as submitted, with a warning.
    template = templates / "stadt-leinfelden-echterdingen" / "beschlussvorlage.docx"
    doc = Document(str(template))
    next(p for p in doc.paragraphs if p.text == "Sachverhalt:").runs[0].text = "Sachlage:"
    doc.save(str(template))
    paper = data_copy / "vorlagen" / "integrationsplan-2020.yaml"
    paper.write_text(paper.read_text(encoding="utf-8").replace(
        "betreff: Erarbeitung", "betreff: Neue Erarbeitung"), encoding="utf-8")
    result = run("build", *build_args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(re.fullmatch(r"festgeschrieben: integrationsplan-2020 \(eingereicht am "
                            r"\d\d\.\d\d\.\d{4}\)", line) for line in lines)
    assert any(line.startswith("Warnung: ") and "integrationsplan-2020.yaml: nach der "
               "Einreichung am" in line for line in lines)
    assert (out / "integrationsplan-2020.docx").read_bytes() == before
    assert [v["version"] for v in manifest(out) if v["ereignis"] == "version"
            and v["dokument"] == "integrationsplan-2020"] == [1]

    # A Neufassung renders again, visibly marked.
    assert run("einreichen", "integrationsplan-2020", "--neufassung", *build_args).exit_code == 0
    assert run("build", *build_args).exit_code == 0
    header = Document(str(out / "integrationsplan-2020.docx")).sections[0].header
    assert [p.text.split("\t")[-1] for p in header.paragraphs][-1] == "Beschlussvorlage – Neufassung"

    # The log says who submitted and who began the Neufassung: here the operating system's user.
    user = getpass.getuser()
    assert [(e["ereignis"], e.get("von")) for e in manifest(out)
            if e["ereignis"] in ("eingereicht", "neufassung")] == [("eingereicht", user),
                                                                   ("neufassung", user)]
    assert run("einreichen", "integrationsplan-2020", *build_args).exit_code == 0
    archiv = Archiv.open(out)
    assert archiv.einreichung("integrationsplan-2020").von == user
    assert [(v.version, v.eingereicht_von) for v in archiv.versionen
            if v.dokument == "integrationsplan-2020"] == [(1, user), (2, user)]


def test_submitting_refuses_placeholders_and_missing_dates(tmp_path):
    out = tmp_path / "out"
    build(DATA, out)
    result = run("einreichen", "zwischenbericht-2023", "--daten", str(DATA), *TEMPLATE_FOLDER,
                 "--ausgabe", str(out))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "Fehler: „zwischenbericht-2023“ kann noch nicht eingereicht werden (4 Probleme):"
    assert any(line.endswith("unterzeichner.name: Platzhalter [Name] ist noch auszufüllen")
               and ":30:" in line for line in lines)
    assert any("beratungsfolge[0].sitzungsdatum: Sitzungsdatum fehlt" in line for line in lines)
    assert not any(e["ereignis"] == "eingereicht" for e in manifest(out))


def test_build_warns_about_placeholders_with_file_and_line(tmp_path):
    result = run("build", "zwischenbericht-2023", "--daten", str(DATA), *TEMPLATE_FOLDER,
                 "--ausgabe", str(tmp_path / "out"))
    assert result.exit_code == 0
    warnings = [line for line in result.output.splitlines() if line.startswith("Warnung: ")]
    assert len(warnings) == 3
    assert any(re.search(r"zwischenbericht-2023\.yaml:\d+: unterzeichner\.name: Platzhalter "
                         r"\[Name\]", w) for w in warnings)


# --- an archive that cannot be fooled --------------------------------------------------------


@pytest.fixture
def archived(tmp_path) -> Path:
    out = tmp_path / "out"
    build(DATA, out)
    assert run("archiv", "pruefen", "--ausgabe", str(out)).exit_code == 0
    return out


def pruefen(out: Path):
    return run("archiv", "pruefen", "--ausgabe", str(out))


def test_a_deleted_log_is_found_and_stops_the_next_build(archived):
    (archived / "archiv" / "manifest.jsonl").unlink()
    result = pruefen(archived)
    assert result.exit_code == 1
    assert "manifest.jsonl fehlt, obwohl das Archiv" in result.output
    again = run("build", "--daten", str(DATA), *TEMPLATE_FOLDER, "--ausgabe", str(archived))
    assert again.exit_code == 1
    assert "es werden keine neuen Versionen abgelegt" in again.output


def test_a_removed_entry_breaks_the_chain(archived):
    log = archived / "archiv" / "manifest.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    del lines[1]
    log.chmod(0o644)
    log.write_text("".join(lines), encoding="utf-8")
    result = pruefen(archived)
    assert result.exit_code == 1
    assert "die Kette der Einträge ist unterbrochen" in result.output


def test_an_entry_removed_with_its_file_altered_is_found(archived):
    log = archived / "archiv" / "manifest.jsonl"
    entries = log.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in entries if "integrationsplan-2020" not in line]
    log.write_text("".join(kept), encoding="utf-8")
    target = archived / "archiv" / "integrationsplan-2020" / "2020-03-10_v1.docx"
    target.chmod(0o644)
    target.write_bytes(b"altered")
    result = pruefen(archived)
    assert result.exit_code == 1
    assert "2020-03-10_v1.docx: steht in keinem Eintrag des Archivs" in result.output


def test_a_foreign_file_is_found(archived):
    shutil.copy(archived / "archiv" / "massnahmenkatalog" / "2023-11-30_v1.docx",
                archived / "archiv" / "massnahmenkatalog" / "2023-11-30_v2.docx")
    result = pruefen(archived)
    assert result.exit_code == 1
    assert "2023-11-30_v2.docx: steht in keinem Eintrag des Archivs" in result.output


def test_a_pending_version_of_a_killed_build_is_taken_over(data_copy, tmp_path):
    """Simulate the crash window: the pending entry and the files are there, the confirmation
    is not. The check tells it apart from a foreign file, and the next build confirms it."""
    out = tmp_path / "out"
    build(data_copy, out, "massnahmenkatalog")
    status(data_copy, "3", "Abgeschlossen", "--datum", "15.01.2024")
    build(data_copy, out, "massnahmenkatalog")
    log = out / "archiv" / "manifest.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    assert json.loads(lines[-1])["ereignis"] == "version"
    log.write_text("".join(lines[:-1]), encoding="utf-8")  # killed before confirming
    result = pruefen(out)
    assert result.exit_code == 0, result.output
    assert "noch nicht bestätigt" in result.output
    again = build(data_copy, out, "massnahmenkatalog")
    assert "Hinweis: massnahmenkatalog v2: von einem abgebrochenen Build vollständig abgelegt, " \
           "übernommen" in again.output
    assert pruefen(out).output.startswith("Archiv in Ordnung: 2 Versionen")


def test_the_log_is_a_readable_diffable_text(archived):
    """One JSON object per line, chained by hash; git can diff it line by line."""
    entries = manifest(archived)
    assert entries[0]["vorher"] == ""
    assert all(len(e["vorher"]) == 64 for e in entries[1:])
    assert {e["ereignis"] for e in entries} == {"ausstehend", "version"}
    assert subprocess.run(["git", "diff", "--no-index", "--stat", "/dev/null",
                           str(archived / "archiv" / "manifest.jsonl")],
                          capture_output=True).returncode == 1  # a text diff, not "binary"


# --- no lost updates, a clean history ------------------------------------------------------


@pytest.mark.slow
def test_simultaneous_status_changes_all_land(data_copy):
    import sys

    def start(nr: int, text: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "pipeline", "status", str(nr), text,
                                 "--datum", "10.01.2024", "--daten", str(data_copy)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    for pair in range(10):
        first, second = start(2 * pair + 1, f"Wird fortgesetzt (Paar {pair}a)"), \
            start(2 * pair + 2, f"Wird fortgesetzt (Paar {pair}b)")
        for process in (first, second):
            _, err = process.communicate(timeout=120)
            assert process.returncode == 0, err.decode()
    text = (data_copy / "massnahmenkatalog.yaml").read_text(encoding="utf-8")
    for pair in range(10):
        for side in "ab":
            assert f"status: Wird fortgesetzt (Paar {pair}{side})" in text


def test_importing_the_same_csv_twice_changes_nothing_the_second_time(data_copy, tmp_path):
    csv = tmp_path / "aenderungen.csv"
    csv.write_text("Nr;Status;Datum;Notiz\n3;Wird fortgesetzt;15.01.2024;Start\n"
                   "5;Abgeschlossen;16.01.2024;\n", encoding="utf-8")
    first = run("status-import", str(csv), "--daten", str(data_copy))
    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[-1] == "2 Änderungen übernommen."
    after_first = (data_copy / "massnahmenkatalog.yaml").read_bytes()
    second = run("status-import", str(csv), "--daten", str(data_copy))
    assert second.exit_code == 0, second.output
    assert second.output.splitlines() == [
        "Hinweis: Maßnahme 3: „Wird fortgesetzt“ am 15.01.2024 ist schon im Verlauf; übersprungen",
        "Hinweis: Maßnahme 5: „Abgeschlossen“ am 16.01.2024 ist schon im Verlauf; übersprungen",
        "0 Änderungen übernommen."]
    assert (data_copy / "massnahmenkatalog.yaml").read_bytes() == after_first


def test_a_date_before_the_last_change_needs_erzwingen(data_copy):
    status(data_copy, "3", "Wird fortgesetzt", "--datum", "15.01.2024")
    refused = run("status", "3", "Abgeschlossen", "--datum", "10.01.2024", "--daten", str(data_copy))
    assert refused.exit_code == 1
    assert refused.output == ("Fehler: 1 Problem in den Daten:\nratsdoc status: datum: 10.01.2024 "
                              "liegt vor der letzten Änderung dieser Maßnahme (15.01.2024); mit "
                              "--erzwingen trotzdem übernehmen\n")
    before_start = run("status", "4", "Abgeschlossen", "--datum", "01.01.2020", "--daten",
                       str(data_copy))
    assert before_start.exit_code == 1
    assert "liegt vor dem Stand des Katalogs (30.11.2023)" in before_start.output
    status(data_copy, "3", "Abgeschlossen", "--datum", "10.01.2024", "--erzwingen")
    text = (data_copy / "massnahmenkatalog.yaml").read_text(encoding="utf-8")
    assert "erzwungen: true" in text
    assert run("check", "--daten", str(data_copy), *TEMPLATE_FOLDER).exit_code == 0


def test_the_csv_takes_kategorie_and_fortschritt(data_copy, tmp_path):
    csv = tmp_path / "aenderungen.csv"
    csv.write_text("Nr;Status;Datum;Notiz;Kategorie;Fortschritt\n"
                   "3;Neu aufgestellt;15.01.2024;;laufend;Broschüre erschienen\n"
                   "4;Abgeschlossen;15.01.2024;;Abgeschlossen;\n", encoding="utf-8")
    result = run("status-import", str(csv), "--daten", str(data_copy))
    assert result.exit_code == 0, result.output
    from pipeline.validate import load_and_validate

    katalog = load_and_validate(data_copy, TEMPLATES).katalog
    assert katalog is not None
    three = next(m for m in katalog.massnahmen() if m.nr == 3)
    assert three.kategorie == "laufend" and three.text.endswith("\n→Broschüre erschienen")
    assert three.verlauf[-1].fortschritt == "Broschüre erschienen"
    # As of an earlier date, the progress note is gone again.
    import datetime as dt

    assert not three.am(dt.date(2024, 1, 1)).text.endswith("erschienen")
    bad = tmp_path / "falsch.csv"
    bad.write_text("Nr;Status;Datum;Kategorie\n3;X;16.01.2024;fertig\n", encoding="utf-8")
    refused = run("status-import", str(bad), "--daten", str(data_copy))
    assert refused.exit_code == 1
    assert refused.output.splitlines()[1] == (
        f"{bad}:2: Kategorie: „fertig“ ist keine Kategorie; erlaubt sind: abgeschlossen, laufend, "
        "geplant, in_pruefung, offen")
