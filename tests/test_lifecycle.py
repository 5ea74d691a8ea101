"""The catalogue lifecycle: status change → rebuild → archive → PDF → comparison and Mappe."""

from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml
from docx import Document
from pypdf import PdfReader

from .conftest import DATA, TEMPLATES, W, letters, run

KATALOG = "massnahmenkatalog.yaml"


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def data_repo(data_copy) -> Path:
    """The shipped data in a git repository of its own, as a city would keep it."""
    git(data_copy, "init", "-q")
    git(data_copy, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    git(data_copy, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "Daten")
    return data_copy


def build(data: Path, out: Path, *extra: str):
    result = run("build", "--daten", str(data), "--vorlagen", str(TEMPLATES), "--ausgabe", str(out),
                 *extra)
    assert result.exit_code == 0, result.output
    return result


def measure(data: Path, nr: int) -> dict:
    katalog = yaml.safe_load((data / KATALOG).read_text(encoding="utf-8"))
    return next(m for hf in katalog["handlungsfelder"] for z in hf["ziele"]
                for m in z["massnahmen"] if m["nr"] == nr)


def test_status_change_touches_only_its_lines(data_repo):
    old_status = measure(data_repo, 3)["status"]
    result = run("status", "3", "Wird fortgesetzt", "--datum", "15.01.2024", "--notiz",
                 "Projekt gestartet", "--daten", str(data_repo))
    assert result.exit_code == 0, result.output
    assert result.output == f"Maßnahme 3: „{old_status}“ → „Wird fortgesetzt“ (15.01.2024)\n"
    diff = git(data_repo, "diff", "--unified=0", "--", KATALOG)
    changed = [line for line in diff.splitlines()
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == [
        f"-            status: {old_status}",
        "+            status: Wird fortgesetzt",
        "+            verlauf:",
        "+              - datum: 15.01.2024",
        f"+                alter_status: {old_status}",
        "+                neuer_status: Wird fortgesetzt",
        "+                notiz: Projekt gestartet",
    ]
    history = run("verlauf", "3", "--daten", str(data_repo))
    assert history.output == (f"15.01.2024  Nr. 3: „{old_status}“ → „Wird fortgesetzt“  "
                              "(Projekt gestartet)\n")


def test_fortschritt_appends_a_progress_note(data_copy):
    before = measure(data_copy, 1)["text"]
    result = run("status", "1", "Wird fortgesetzt", "--datum", "01.02.2024", "--fortschritt",
                 "Zwei neue Coachings", "--daten", str(data_copy))
    assert result.exit_code == 0, result.output
    assert measure(data_copy, 1)["text"] == f"{before}\n→Zwei neue Coachings"


@pytest.mark.parametrize(("args", "message"), [
    (["99", "Neu"], "ratsdoc status: nr: Maßnahme Nr. 99 gibt es nicht (vorhanden: 1 bis 41)"),
    (["3", "  "], "ratsdoc status: status: der neue Status darf nicht leer sein"),
    (["3", "Neu", "--datum", "01.01.2999"], "--datum: datum: 01.01.2999 liegt in der Zukunft"),
    (["3", "Neu", "--datum", "31.02.2024"], "--datum: datum: „31.02.2024“ ist kein gültiges Datum "
                                            "(TT.MM.JJJJ)"),
])
def test_bad_status_change_leaves_the_file_untouched(data_copy, args, message):
    before = (data_copy / KATALOG).read_bytes()
    result = run("status", *args, "--daten", str(data_copy))
    assert result.exit_code == 1
    assert result.output.splitlines() == ["Fehler: 1 Problem in den Daten:", message]
    assert (data_copy / KATALOG).read_bytes() == before


def test_csv_batch_is_all_or_nothing(data_copy, tmp_path):
    before = (data_copy / KATALOG).read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_bytes("Nr;Status;Datum;Notiz\r\n3;Wird fortgesetzt;01.02.2024;ok\r\n"
                    "77;Abgeschlossen;02.02.2024;\r\n".encode("cp1252"))
    result = run("status-import", str(bad), "--daten", str(data_copy))
    assert result.exit_code == 1
    assert "Maßnahme Nr. 77 gibt es nicht" in result.output
    assert (data_copy / KATALOG).read_bytes() == before

    good = tmp_path / "good.csv"
    good.write_bytes("Nr;Status;Datum;Notiz\r\n3;Wird fortgesetzt;01.02.2024;Übergabe\r\n"
                     "8;Abgeschlossen;02.02.2024;\r\n".encode("cp1252"))
    result = run("status-import", str(good), "--daten", str(data_copy))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "2 Änderungen übernommen."
    assert measure(data_copy, 3)["status"] == "Wird fortgesetzt"
    assert measure(data_copy, 3)["verlauf"][-1]["notiz"] == "Übergabe"
    assert measure(data_copy, 8)["status"] == "Abgeschlossen"


def test_status_change_then_build_archives_a_new_version(data_repo, tmp_path):
    out = tmp_path / "output"
    build(data_repo, out)
    first = run("archiv", "liste", "massnahmenkatalog", "--ausgabe", str(out)).output.splitlines()
    assert len(first) == 1 and " v1 " in first[0]

    rebuild = build(data_repo, out)
    assert "archiviert" not in rebuild.output  # no change, no new version

    run("status", "3", "Wird fortgesetzt", "--datum", "15.01.2024", "--daten", str(data_repo))
    result = build(data_repo, out)
    # The catalogue's Stand follows the latest change it includes: archive name, title, footer.
    assert f"archiviert: {out}/archiv/massnahmenkatalog/2024-01-15_v2.docx (Version 2)" \
        in result.output.splitlines()
    catalogue = Document(str(out / "massnahmenkatalog.docx"))
    assert "Stand: 15.01.2024" in [p.text for p in catalogue.paragraphs]
    footer = " ".join(p.text for p in catalogue.sections[0].footer.paragraphs)
    assert "Stand: 15.01.2024" in footer
    assert catalogue.core_properties.subject == "Stand 15.01.2024"
    # The Zwischenbericht (Stichtag 30.11.2023) does not show a change dated 2024 ...
    versions = run("archiv", "liste", "--ausgabe", str(out)).output
    assert "zwischenbericht-2023  v2" not in versions
    archived = out / "archiv" / "massnahmenkatalog" / "2024-01-15_v2.docx"
    assert not os.access(archived, os.W_OK) or os.geteuid() == 0
    assert archived.stat().st_mode & 0o222 == 0  # read-only

    import json

    log = (out / "archiv" / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    versions = [e for e in map(json.loads, log) if e["ereignis"] == "version"]
    latest = [v for v in versions if v["dokument"] == "massnahmenkatalog"][-1]
    assert latest["version"] == 2
    assert latest["git_commit"].endswith("+")  # the status change is not committed yet
    assert any(k.endswith("massnahmenkatalog.yaml") for k in latest["eingaben"])
    assert any(k.endswith("massnahmenkatalog.docx") for k in latest["eingaben"])

    check = run("archiv", "pruefen", "--ausgabe", str(out))
    assert check.exit_code == 0, check.output
    # One version per document of the first build, plus the catalogue's second one.
    expected = len([d for d in versions if d["version"] == 1]) + 1
    assert expected == len(list((data_repo / "vorlagen").glob("*.yaml"))) + 2
    # Each version is its .docx and the data snapshot it was rendered from.
    assert check.output == f"Archiv in Ordnung: {expected} Versionen, {2 * expected} Dateien geprüft.\n"


def test_archiv_pruefen_names_an_altered_file(tmp_path):
    out = tmp_path / "output"
    build(DATA, out)
    target = out / "archiv" / "integrationsplan-2020" / "2020-03-10_v1.docx"
    target.chmod(0o644)
    target.write_bytes(target.read_bytes() + b"x")
    result = run("archiv", "pruefen", "--ausgabe", str(out))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Fehler: 1 Datei(en) im Archiv fehlen oder wurden verändert:",
        f"{target}: verändert (Prüfsumme stimmt nicht)"]
    target.unlink()
    result = run("archiv", "pruefen", "--ausgabe", str(out))
    assert result.output.splitlines()[-1] == f"{target}: fehlt"


def test_zwischenbericht_lists_changes_since_the_last_report(data_copy, tmp_path):
    run("status", "3", "Wird fortgesetzt", "--datum", "30.11.2023", "--notiz", "gestartet",
        "--daten", str(data_copy))
    out = tmp_path / "output"
    build(data_copy, out, "zwischenbericht-2023")
    doc = Document(str(out / "zwischenbericht-2023.docx"))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "Datum")
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    assert rows == [["30.11.2023", "3", "In Planung ab 2024", "Wird fortgesetzt", "gestartet"]]


@pytest.mark.libreoffice
def test_pdf_build_is_pdfa_with_the_documents_text(tmp_path):
    out = tmp_path / "output"
    build(DATA, out, "--pdf")
    for name in ("massnahmenkatalog", "integrationsplan-2020", "zwischenbericht-2023"):
        reader = PdfReader(out / f"{name}.pdf")
        assert (reader.xmp_metadata.pdfaid_part, reader.xmp_metadata.pdfaid_conformance) == ("2", "B")
        pdf_text = letters(" ".join(page.extract_text() for page in reader.pages))
        doc = Document(str(out / f"{name}.docx"))
        body = [p for p in doc.element.body.iter(f"{W}p")]
        texts = ["".join(t.text or "" for t in p.iter(f"{W}t")) for p in body]
        missing = [t for t in texts if t.strip() and letters(t) not in pdf_text]
        assert missing == [], name
        archived = list((out / "archiv" / name).glob("*_v1.pdf"))
        assert len(archived) == 1 and archived[0].read_bytes() == (out / f"{name}.pdf").read_bytes()
    # A rebuild starts LibreOffice for nothing: the PDFs are up to date.
    before = {p: p.stat().st_mtime_ns for p in out.glob("*.pdf")}
    build(DATA, out, "--pdf")
    assert {p: p.stat().st_mtime_ns for p in out.glob("*.pdf")} == before


@pytest.mark.libreoffice
def test_one_libreoffice_run_serves_a_whole_build(tmp_path, monkeypatch):
    calls = tmp_path / "calls"
    wrapper = tmp_path / "bin" / "soffice"
    wrapper.parent.mkdir()
    real = subprocess.run(["which", "soffice"], capture_output=True, text=True).stdout.strip()
    wrapper.write_text(f"#!/bin/sh\necho run >> {calls}\nexec {real} \"$@\"\n")
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}")
    build(DATA, tmp_path / "output", "--pdf")
    assert calls.read_text().splitlines() == ["run"]


@pytest.mark.libreoffice
def test_mappe_has_a_bookmark_per_part(tmp_path):
    out = tmp_path / "output"
    result = run("mappe", "zwischenbericht-2023", "--daten", str(DATA), "--vorlagen",
                 str(TEMPLATES), "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    reader = PdfReader(out / "mappen" / "zwischenbericht-2023.pdf")
    assert [o.title for o in reader.outline] == [
        "Umsetzung des Integrationsplans „Miteinander.Vielfalt.Leben.“ – Zwischenbericht",
        "Anlage: Maßnahmenkatalog zur Umsetzung von „Miteinander.Vielfalt.Leben.“ "
        "(Stand 30.11.2023)"]
    second = reader.get_destination_page_number(reader.outline[1])
    assert "Handlungsfeld" in reader.pages[second + 1].extract_text()


def test_comparison_shows_tracked_changes(data_copy, tmp_path):
    out = tmp_path / "output"
    build(data_copy, out, "massnahmenkatalog")
    old_status = measure(data_copy, 3)["status"]
    run("status", "3", "Wird fortgesetzt", "--datum", "15.01.2024", "--fortschritt", "Start",
        "--daten", str(data_copy))
    build(data_copy, out, "massnahmenkatalog")
    result = run("archiv", "vergleich", "massnahmenkatalog", "v1", "v2", "--daten", str(data_copy),
                 "--vorlagen", str(TEMPLATES), "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    path = out / "massnahmenkatalog_aenderungen_v1_v2.docx"
    xml = zipfile.ZipFile(path).read("word/document.xml").decode()
    doc = Document(str(path))
    body = doc.element.body
    deleted = ["".join(t.text or "" for t in d.iter(f"{W}delText")) for d in body.iter(f"{W}del")]
    inserted = ["".join(t.text or "" for t in i.iter(f"{W}t")) for i in body.iter(f"{W}ins")]
    assert old_status in deleted
    assert "Wird fortgesetzt" in inserted
    assert any("→Start" in text for text in inserted)
    paragraphs = [p.text for p in doc.paragraphs]
    # Headed by the measure's number and first line, titled by the catalogue, not a file name.
    assert any(p.startswith("Maßnahme 3: ") and len(p) > 20 for p in paragraphs)
    assert paragraphs[0] == ("Änderungsübersicht: Maßnahmenkatalog zur Umsetzung von "
                             "„Miteinander.Vielfalt.Leben.“")
    assert "Maßnahme 4" not in [p.text for p in doc.paragraphs]
    assert 'w:author="ratsdoc"' in xml
    from .ooxml import validation_errors

    assert validation_errors(path) == []


@pytest.mark.slow
def test_kill_during_build_never_leaves_a_broken_archive(data_copy, tmp_path):
    """Kill builds at random moments; every time the archive must check out and files be whole."""
    out = tmp_path / "output"
    rng = random.Random(20261125)
    command = [sys.executable, "-m", "pipeline", "build", "--daten", str(data_copy), "--vorlagen",
               str(TEMPLATES), "--ausgabe", str(out)]
    subprocess.run(command, check=True, capture_output=True)
    path = data_copy / KATALOG
    original = path.read_text(encoding="utf-8")
    # How long a build of one changed catalogue takes here, to spread the kills over it.
    path.write_text(original.replace("Wird fortgesetzt", "Wird fortgesetzt (0)", 1), encoding="utf-8")
    start = time.monotonic()
    subprocess.run(command, check=True, capture_output=True)
    duration = time.monotonic() - start
    kills = attempts = 0
    while kills < 20 and attempts < 60:
        attempts += 1
        path.write_text(original.replace("Wird fortgesetzt", f"Wird fortgesetzt ({attempts})", 1),
                        encoding="utf-8")
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Half of the kills aim at the last stretch, where files are written and archived.
        late = attempts % 2 == 0
        time.sleep(duration * (rng.uniform(0.8, 1.0) if late else rng.uniform(0.15, 0.8)))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        check = run("archiv", "pruefen", "--ausgabe", str(out))
        assert check.exit_code == 0, check.output
        for docx in list(out.glob("*.docx")) + list(out.glob("archiv/*/*.docx")):
            with zipfile.ZipFile(docx) as z:
                assert z.testzip() is None, docx
            Document(io.BytesIO(docx.read_bytes()))
    assert kills >= 20, f"nur {kills} Builds abgebrochen"
    build(data_copy, out)
    assert not list(out.rglob("*.tmp"))


def test_second_build_at_once_is_refused_with_a_clear_message(tmp_path):
    out = tmp_path / "output"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from filelock import FileLock; "
         f"lock = FileLock({str(out / '.ratsdoc.lock')!r}); lock.acquire(); print('ok', flush=True); "
         "time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        result = run("build", "--daten", str(DATA), "--vorlagen", str(TEMPLATES), "--ausgabe",
                     str(out))
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 1
    assert result.output == (f"Fehler: In {out} läuft gerade ein anderer Build (Sperrdatei "
                             ".ratsdoc.lock). Bitte warten und erneut versuchen.\n")
    assert [p.name for p in out.iterdir()] == [".ratsdoc.lock"]


def test_missing_libreoffice_names_the_debian_package(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    out = tmp_path / "output"
    result = run("build", "--pdf", "--daten", str(DATA), "--vorlagen", str(TEMPLATES), "--ausgabe",
                 str(out))
    assert result.exit_code == 1
    assert result.output.startswith("Fehler: LibreOffice wurde nicht gefunden; für PDF wird es "
                                    "gebraucht. Installation unter Debian/Ubuntu: apt-get install "
                                    "libreoffice-writer-nogui")
    assert not out.exists()


def test_comparison_survives_a_restyled_catalogue_table(data_copy, tmp_path):
    """The comparison reads the archived data, not the Word table: a clerk may restyle it."""
    import shutil

    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    template = templates / "stadt-leinfelden-echterdingen" / "massnahmenkatalog.docx"
    doc = Document(str(template))
    measures_table = doc.tables[-1]
    for cell in measures_table.rows[0].cells:  # the header recoloured
        shading = cell._tc.get_or_add_tcPr().find(f"{W}shd")
        if shading is not None:
            shading.set(f"{W}fill", "FFC000")
    for column in measures_table.columns:  # every column widened
        for cell in column.cells:
            cell.width = int(cell.width * 1.2) if cell.width else None
    doc.save(str(template))
    args = ["--daten", str(data_copy), "--vorlagen", str(templates), "--ausgabe", str(tmp_path / "o")]
    assert run("build", "massnahmenkatalog", *args).exit_code == 0
    run("status", "3", "Wird fortgesetzt", "--datum", "15.01.2024", "--daten", str(data_copy))
    assert run("build", "massnahmenkatalog", *args).exit_code == 0
    result = run("archiv", "vergleich", "massnahmenkatalog", "v1", "v2", *args)
    assert result.exit_code == 0, result.output
    comparison = Document(str(tmp_path / "o" / "massnahmenkatalog_aenderungen_v1_v2.docx"))
    assert any(p.text.startswith("Maßnahme 3: ") for p in comparison.paragraphs)
