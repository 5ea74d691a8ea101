"""Hardening (issue #12): hostile and careless input beyond the data corpus in tests/bad_inputs/.

Full disks and read-only folders are tried for real on a small tmpfs where the machine allows
mounting one, and at every single write of a build by making the operating system's fsync fail
(fault injection of the OS, not a mock of ratsdoc).
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path, PureWindowsPath

import pytest

from .conftest import DATA, TEMPLATES, run

KATALOG = "massnahmenkatalog.yaml"


def build(data: Path, out: Path, *extra: str):
    return run("build", "--daten", str(data), "--vorlagen", str(TEMPLATES), "--ausgabe", str(out),
               *extra)


def all_files(folder: Path) -> dict[str, bytes]:
    """Every file below folder (the lock file aside) by its relative path; not the archive's
    log, which only grows (checked by `archiv pruefen` instead)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in (".ratsdoc.lock", "manifest.jsonl")}


def temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


def change_a_status(data: Path) -> None:
    result = run("status", "3", "Wird fortgesetzt", "--datum", "15.01.2024", "--daten", str(data))
    assert result.exit_code == 0, result.output


# --- full disk, read-only folder ---------------------------------------------------------------


def _fsync_failing_at(monkeypatch, number: int) -> list[int]:
    """Make the number-th os.fsync fail with ENOSPC (0: count only); return the call counter."""
    real, calls = os.fsync, [0]

    def fsync(fd):
        calls[0] += 1
        if calls[0] == number:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return calls


def test_disk_full_at_any_write_of_a_build_leaves_old_or_new_files_and_no_temp_file(
        data_copy, tmp_path, monkeypatch):
    pristine = tmp_path / "pristine"
    assert build(data_copy, pristine).exit_code == 0
    change_a_status(data_copy)
    before = all_files(pristine)

    complete = tmp_path / "complete"
    shutil.copytree(pristine, complete)
    with monkeypatch.context() as patch:
        calls = _fsync_failing_at(patch, 0)
        assert build(data_copy, complete).exit_code == 0
    after, writes = all_files(complete), calls[0]
    assert writes >= 8  # docx, archive copies, folders, manifest, cache

    for number in range(1, writes + 1):
        out = tmp_path / f"voll-{number}"
        shutil.copytree(pristine, out)
        with monkeypatch.context() as patch:
            _fsync_failing_at(patch, number)
            result = build(data_copy, out)
        assert result.exit_code == 1, (number, result.output)
        assert "Traceback" not in result.output
        assert result.output.startswith("Fehler: Kein Platz mehr auf dem Datenträger beim "
                                        "Schreiben von "), result.output
        assert temp_files(out) == [], number
        now = all_files(out)
        for name, content in now.items():
            assert content in (before.get(name), after.get(name)), (number, name)
        if number == 1:
            assert now == before  # the first write failed: nothing changed at all
        check = run("archiv", "pruefen", "--ausgabe", str(out))
        assert check.exit_code == 0, (number, check.output)
    # With space again, the next build completes what the failed one began.
    assert build(data_copy, out).exit_code == 0
    assert {k: v for k, v in all_files(out).items() if k.endswith(".docx")} == \
        {k: v for k, v in after.items() if k.endswith(".docx")}


def test_disk_full_during_status_leaves_the_data_file_as_it_was(data_copy, monkeypatch):
    before = (data_copy / KATALOG).read_bytes()
    _fsync_failing_at(monkeypatch, 1)
    result = run("status", "3", "Wird fortgesetzt", "--datum", "15.01.2024", "--daten",
                 str(data_copy))
    assert result.exit_code == 1
    assert result.output == (f"Fehler: Kein Platz mehr auf dem Datenträger beim Schreiben von "
                             f"{data_copy / KATALOG}; bisherige Dateien sind unverändert. Bitte "
                             "Platz schaffen und erneut versuchen.\n")
    assert (data_copy / KATALOG).read_bytes() == before
    assert temp_files(data_copy) == []


@contextmanager
def small_disk(path: Path, size: str):
    """A tmpfs of the given size at path; the test is skipped where mounting is not allowed."""
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, text=True, check=False) \
        if shutil.which("mount") else None
    if mounted is None or mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root and permission to mount): "
                    + (mounted.stderr.strip() if mounted else "no mount command"))
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def fill(folder: Path, leave: int = 0) -> Path:
    """Fill the disk of folder, leaving about `leave` bytes free."""
    filler = folder / "fueller.bin"
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    if leave:
        with open(filler, "r+b") as handle:
            handle.truncate(max(filler.stat().st_size - leave, 0))
    return filler


def test_a_really_full_disk(data_copy, tmp_path):
    """Builds on a small tmpfs with less and less free space: nothing written while the space
    does not suffice (checked before the first write), then a complete build; never a temp file
    left, never a broken file."""
    with small_disk(tmp_path / "klein", "6m") as disk:
        out, backup, reference = disk / "output", tmp_path / "backup", tmp_path / "reference"
        assert build(data_copy, out).exit_code == 0
        change_a_status(data_copy)
        shutil.copytree(out, backup)
        shutil.copytree(out, reference)
        assert build(data_copy, reference).exit_code == 0
        before, after = all_files(out), all_files(reference)

        outcomes = []
        for pages in range(60):
            shutil.rmtree(out)
            shutil.copytree(backup, out)
            filler = fill(disk, leave=pages * 65536)
            result = build(data_copy, out)
            filler.unlink()
            if result.exit_code == 0:
                outcomes.append("ok")
                break
            assert result.output.startswith("Fehler: Kein Platz mehr auf dem Datenträger"), \
                (pages, result.output)
            assert temp_files(disk) == [], pages
            now = all_files(out)
            assert all(content in (before.get(name), after.get(name))
                       for name, content in now.items()), pages
            assert run("archiv", "pruefen", "--ausgabe", str(out)).exit_code == 0, pages
            outcomes.append("nichts" if now == before else "teilweise")
        assert outcomes[0] == "nichts" and outcomes[-1] == "ok", outcomes
        assert "teilweise" not in outcomes, outcomes  # output/ byte-identical on every refusal
        assert {k: v for k, v in all_files(out).items() if k.endswith(".docx")} == \
            {k: v for k, v in after.items() if k.endswith(".docx")}


def test_a_read_only_output_folder_and_data_folder(data_copy, tmp_path):
    with small_disk(tmp_path / "nurlesen", "4m") as disk:
        out, data = disk / "output", disk / "data"
        shutil.copytree(data_copy, data)
        assert build(data, out).exit_code == 0
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        before, katalog = all_files(out), (data / KATALOG).read_bytes()

        result = run("status", "3", "Wird fortgesetzt", "--datum", "15.01.2024", "--daten",
                     str(data))
        assert result.exit_code == 1
        assert result.output == (f"Fehler: Der Datenordner {data} kann nicht geschrieben "
                                 "werden: der Datenträger ist schreibgeschützt\n")
        assert (data / KATALOG).read_bytes() == katalog

        change_a_status(data_copy)  # a change, built into the read-only output folder
        result = build(data_copy, out)
        assert result.exit_code == 1
        assert result.output == (f"Fehler: In den Ausgabeordner {out} kann nicht geschrieben "
                                 "werden: der Datenträger ist schreibgeschützt\n")
        assert all_files(out) == before


# --- Windows: no hard links, no folder fsync, LibreOffice's folders ----------------------------


def test_archive_without_hard_links_still_refuses_to_overwrite(data_copy, tmp_path, monkeypatch):
    from pipeline.output import link_without_replacing

    def no_links(source, target):
        raise OSError(errno.EPERM, "hard links not supported")  # FAT/exFAT, some shares

    monkeypatch.setattr(os, "link", no_links)
    out = tmp_path / "out"
    assert build(data_copy, out).exit_code == 0
    archived = sorted((out / "archiv").glob("*/*.docx"))
    assert len(archived) == 6
    assert all(p.read_bytes() == (out / f"{p.parent.name}.docx").read_bytes() for p in archived)
    assert all(not os.access(p, os.W_OK) or os.geteuid() == 0 for p in archived)
    assert all(p.stat().st_mode & 0o222 == 0 for p in archived)
    assert temp_files(out) == []

    tmp = tmp_path / "neu.tmp"
    tmp.write_bytes(b"anderer Inhalt")
    with pytest.raises(FileExistsError):
        link_without_replacing(tmp, archived[0])
    assert archived[0].read_bytes() == (out / f"{archived[0].parent.name}.docx").read_bytes()
    assert run("archiv", "pruefen", "--ausgabe", str(out)).exit_code == 0


def test_an_empty_file_without_an_entry_is_foreign_and_never_replaced(data_copy, tmp_path):
    """A killed build announces its files in the log before placing them (tests/test_record.py);
    a file no entry names, even an empty one, is foreign: reported, never taken over."""
    out = tmp_path / "out"
    assert build(data_copy, out).exit_code == 0
    change_a_status(data_copy)
    stray = out / "archiv" / "massnahmenkatalog" / "2023-12-01_v2.docx"
    stray.touch()
    result = build(data_copy, out)
    assert result.exit_code == 1
    assert f"{stray}: steht in keinem Eintrag des Archivs" in result.output
    assert stray.read_bytes() == b""


def test_folder_fsync_is_skipped_where_the_system_cannot_do_it(tmp_path, monkeypatch):
    from pipeline.errors import AusgabeFehler
    from pipeline.output import fsync_folder, write_atomic

    real_open, real_fsync = os.open, os.fsync

    def open_no_folders(path, flags, *args):
        if Path(path).is_dir():
            raise PermissionError(errno.EACCES, "folders cannot be opened")  # Windows
        return real_open(path, flags, *args)

    with monkeypatch.context() as patch:
        patch.setattr(os, "open", open_no_folders)
        write_atomic(tmp_path / "a.txt", b"eins")
    assert (tmp_path / "a.txt").read_bytes() == b"eins"

    def fsync(fd, code):
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            raise OSError(code, os.strerror(code))
        return real_fsync(fd)

    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", lambda fd: fsync(fd, errno.EINVAL))
        fsync_folder(tmp_path)  # a file system without folder fsync: skipped
        patch.setattr(os, "fsync", lambda fd: fsync(fd, errno.EIO))
        with pytest.raises(AusgabeFehler, match="Ein-/Ausgabefehler des Datenträgers"):
            fsync_folder(tmp_path)


def test_libreoffice_is_looked_for_in_its_windows_folders():
    from pipeline.pdf import windows_places

    assert windows_places({}) == [
        PureWindowsPath(r"C:\Program Files\LibreOffice\program\soffice.exe"),
        PureWindowsPath(r"C:\Program Files (x86)\LibreOffice\program\soffice.exe"),
    ]
    assert windows_places({"ProgramFiles": r"D:\Programme"})[0] == \
        PureWindowsPath(r"D:\Programme\LibreOffice\program\soffice.exe")


def test_os_errors_are_explained_in_german():
    from pipeline.errors import os_fehlertext

    assert os_fehlertext(OSError(errno.ENOSPC, "No space left on device")) == \
        "kein Platz mehr auf dem Datenträger"
    assert os_fehlertext(PermissionError(errno.EACCES, "Permission denied")).startswith(
        "keine Berechtigung (oder die Datei ist in einem anderen Programm geöffnet")
    assert os_fehlertext(OSError(errno.ENOTEMPTY, "Directory not empty")) == \
        "Fehler des Betriebssystems (ENOTEMPTY)"


def test_free_space_check_refuses_before_anything_is_written(tmp_path):
    from pipeline.errors import AusgabeFehler
    from pipeline.output import ensure_free_space

    ensure_free_space(tmp_path, 1)
    with pytest.raises(AusgabeFehler, match=r"Kein Platz mehr .* Es wurde nichts geschrieben"):
        ensure_free_space(tmp_path, shutil.disk_usage(tmp_path).free + 10**12)
    assert list(tmp_path.iterdir()) == []


def test_shipped_data_still_builds(tmp_path):
    assert build(DATA, tmp_path / "out").exit_code == 0


# --- YAML: one dialect (1.2), identifiers as written, aliases and size bounded --------------------


def test_yaml_is_read_as_yaml_1_2():
    import datetime as dt

    from pipeline.load import parse_yaml

    data, _, problems = parse_yaml(
        "a: no\nb: yes\nc: on\nd: off\ne: 04271000\nf: 0o17\ng: 0x1F\nh: 1:20\ni: true\n"
        "j: 2024-01-15\nk: ~\nl: 5000.50\nm: 1_000\nn: 'true'\no: 12\np: Y\n", "x.yaml")
    assert problems == []
    assert data == {"a": "no", "b": "yes", "c": "on", "d": "off", "e": 4271000, "f": "0o17",
                    "g": "0x1F", "h": "1:20", "i": True, "j": dt.date(2024, 1, 15), "k": None,
                    "l": 5000.5, "m": "1_000", "n": "true", "o": 12, "p": "Y"}
    assert data["e"].quelltext == "04271000"  # the leading zero is kept, nothing is octal
    assert data["l"].quelltext == "5000.50"
    assert type(data["o"]) is int  # numbers written as Python prints them stay plain


def test_the_fast_reader_and_the_loader_class_agree_on_every_shipped_file():
    import yaml

    from pipeline.load import Yaml12Loader, _marked_parse, parse_yaml
    from pipeline.load import Zeilen as Marks

    files = [*DATA.rglob("*.yaml"), *TEMPLATES.rglob("*.yaml")]
    assert len(files) >= 10
    for path in files:
        text = path.read_text(encoding="utf-8")
        fast = parse_yaml(text, path.name)[0]
        assert fast == yaml.load(text, Loader=Yaml12Loader) == _marked_parse(text, "", Marks())[0]


def test_an_unquoted_sachkonto_with_a_leading_zero_is_printed_as_written(data_copy, tmp_path):
    from docx import Document

    for name in ("haushalt.yaml", "vorlagen/integrationsplan-2020.yaml"):
        path = data_copy / name
        text = path.read_text(encoding="utf-8")
        assert 'sachkonto: "4271000"' in text
        path.write_text(text.replace('sachkonto: "4271000"', "sachkonto: 04271000"),
                        encoding="utf-8")
    out = tmp_path / "out"
    result = build(data_copy, out)
    assert result.exit_code == 0, result.output
    doc = Document(str(out / "integrationsplan-2020.docx"))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    assert "04271000" in cells
    assert not any("1143296" in text or text == "4271000" for text in cells)


def test_identifiers_and_text_fields_take_numbers_as_written(data_copy, tmp_path):
    """drucksache: 0012 is the text 0012, a year in a text field is that year as text."""
    from docx import Document

    path = data_copy / "vorlagen/sitzungsvorlage-51-2016.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("nummer: 51/2016", "nummer: 0051"), encoding="utf-8")
    out = tmp_path / "out"
    assert build(data_copy, out, "sitzungsvorlage-51-2016").exit_code == 0
    doc = Document(str(out / "sitzungsvorlage-51-2016.docx"))
    shown = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        cell.text for table in doc.tables for row in table.rows for cell in row.cells)
    assert "0051" in shown


CHILD = """
import resource, sys
from pipeline.cli import main
try:
    main(sys.argv[1:], prog_name="ratsdoc")
except SystemExit as exc:
    code = exc.code
print(f"MESSUNG {code} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)
"""


def run_measured(*args: str, timeout: float = 60) -> tuple[int, str, float, float]:
    """ratsdoc in a fresh process: (exit code, stderr, seconds, peak memory in MB)."""
    import sys
    import time

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True,
                          timeout=timeout, env=env, check=False)
    seconds = time.perf_counter() - start
    *lines, last = done.stderr.strip().splitlines()
    assert last.startswith("MESSUNG "), done.stderr
    _, code, peak_kb = last.split()
    return int(code), "\n".join(lines), seconds, int(peak_kb) / 1024


BOMB = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True))
MEASURED: dict[str, tuple[float, float]] = {}


@pytest.mark.parametrize("name", ["haushalt.yaml", KATALOG, "vorlagen/integrationsplan-2020.yaml",
                                  "templates/stadt-leinfelden-echterdingen/stil.yaml"])
def test_an_alias_bomb_in_any_data_file_ends_at_once_in_little_memory(name, data_copy, tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    path = tmp_path / name if name.startswith("templates/") else data_copy / name
    path.write_text(path.read_text(encoding="utf-8") + BOMB, encoding="utf-8")
    out = tmp_path / "out"
    code, message, seconds, peak_mb = run_measured(
        "build", "--daten", str(data_copy), "--vorlagen", str(templates), "--ausgabe", str(out))
    MEASURED[name] = (seconds, peak_mb)
    print(f"alias bomb in {name}: {seconds:.2f} s, {peak_mb:.0f} MB")
    assert code == 1
    line = path.read_text(encoding="utf-8").splitlines().index(BOMB.splitlines()[1]) + 1
    lines = message.splitlines()
    assert lines[0].startswith("Fehler: ")
    assert (f"{path}:{line}: Verweise mit „*“ (hier „*a“) werden nicht unterstützt; bitte den "
            "Wert an dieser Stelle ausschreiben") in lines
    if not name.startswith("templates/"):  # (without its house style, the papers cannot be checked)
        assert len(lines) == 2
    assert seconds < 5
    assert peak_mb < 500
    assert not out.exists()


def test_an_alias_bomb_never_reaches_the_editor(data_copy):
    path = data_copy / KATALOG
    path.write_text(path.read_text(encoding="utf-8") + BOMB, encoding="utf-8")
    before = path.read_bytes()
    code, message, seconds, peak_mb = run_measured(
        "status", "3", "Neu", "--datum", "15.01.2024", "--daten", str(data_copy))
    assert (code, message.splitlines()[0]) == (1, "Fehler: 1 Problem in den Daten:")
    assert "Verweise mit „*“" in message
    assert seconds < 5 and peak_mb < 500
    assert path.read_bytes() == before


def test_deep_nesting_is_refused_instead_of_crashing(data_copy, tmp_path):
    path = data_copy / "vorlagen/pressetext-integrationsplan.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "hinweise: " + "[" * 100_000
                    + "]" * 100_000 + "\n", encoding="utf-8")
    code, message, seconds, _ = run_measured("check", "--daten", str(data_copy), "--vorlagen",
                                             str(TEMPLATES))
    assert code == 1  # pyyaml's recursive composer ended this in a segmentation fault
    assert message.splitlines()[1].endswith(": ist zu tief verschachtelt (mehr als 32 Ebenen)")
    assert seconds < 5


def test_a_data_file_over_10_mb_is_refused_unread(data_copy, tmp_path):
    path = data_copy / KATALOG
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(("# " + "x" * 98 + "\n") * 110_000)
    size = f"{path.stat().st_size / 1_000_000:.1f}".replace(".", ",")
    assert size.startswith("11,")
    lines = run_checked(data_copy, tmp_path)
    assert lines == ["Fehler: 1 Problem in den Daten:",
                     f"{path}: ist {size} MB groß; erlaubt sind höchstens 10,0 MB je Datendatei"]


def run_checked(data: Path, tmp_path: Path) -> list[str]:
    """A build that must fail cleanly with output/ untouched; its message lines."""
    from .test_bad_input import build_fails

    return build_fails(data, tmp_path)


def test_a_data_file_saved_as_windows_1252_names_its_line_and_what_to_do(data_copy, tmp_path):
    path = data_copy / "haushalt.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_bytes(text.encode("cp1252"))
    line = next(i for i, t in enumerate(text.splitlines(), 1) if any(c in t for c in "äöüß„“"))
    assert run_checked(data_copy, tmp_path) == [
        "Fehler: 1 Problem in den Daten:",
        f"{path}:{line}: ist nicht als UTF-8 gespeichert (Byte 0xFC, in Windows-1252 „ü“); bitte "
        "als UTF-8 speichern (im Editor: Speichern unter → Codierung „UTF-8“)"]


def test_a_data_file_saved_as_utf_16_is_refused_with_what_to_do(data_copy, tmp_path):
    path = data_copy / "haushalt.yaml"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    assert run_checked(data_copy, tmp_path) == [
        "Fehler: 1 Problem in den Daten:",
        f"{path}:1: ist als UTF-16 („Unicode“) gespeichert; bitte als UTF-8 speichern (im Editor: "
        "Speichern unter → Codierung „UTF-8“)"]


@pytest.mark.parametrize("command", ["check", "build"])
def test_a_folder_without_any_data_file_is_an_error(command, tmp_path):
    empty = tmp_path / "leer"
    empty.mkdir()
    args = ["--ausgabe", str(tmp_path / "out")] if command == "build" else []
    result = run(command, "--daten", str(empty), "--vorlagen", str(TEMPLATES), *args)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Fehler: 1 Problem in den Daten:",
        f"{empty}: enthält keine Daten (weder haushalt.yaml noch massnahmenkatalog.yaml noch "
        "vorlagen/*.yaml); richtiger Ordner? Anderer Ordner mit --daten ORDNER, ein neuer mit "
        "„ratsdoc init ORDNER --stil NAME“"]
    assert not (tmp_path / "out").exists()


# --- status and status-import: what Excel and clerks really write -------------------------------


def katalog_as_read(data: Path) -> dict[int, dict]:
    """The measures as ratsdoc's reader sees them, by number."""
    from pipeline.load import read_yaml

    katalog = read_yaml(data / KATALOG)[0]
    return {m["nr"]: m for hf in katalog["handlungsfelder"] for z in hf["ziele"]
            for m in z["massnahmen"]}


def test_status_yes_and_notiz_no_stay_text(data_copy):
    result = run("status", "3", "yes", "--kategorie", "laufend", "--datum", "15.01.2024",
                 "--notiz", "no", "--daten", str(data_copy))
    assert result.exit_code == 0, result.output
    result = run("status", "3", "04271000", "--kategorie", "laufend", "--datum", "16.01.2024",
                 "--notiz", "true", "--daten", str(data_copy))
    assert result.exit_code == 0, result.output
    measure = katalog_as_read(data_copy)[3]
    assert measure["status"] == "04271000"
    assert [(e["neuer_status"], e["notiz"]) for e in measure["verlauf"]] == [
        ("yes", "no"), ("04271000", "true")]
    history = run("verlauf", "3", "--daten", str(data_copy)).output.splitlines()
    assert history[-2:] == [
        "15.01.2024  Nr. 3: „In Planung ab 2024“ → „yes“  (no)",
        "16.01.2024  Nr. 3: „yes“ → „04271000“  (true)"]


def csv_import(data: Path, tmp_path: Path, content: bytes, name: str = "aenderungen.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return path, run("status-import", str(path), "--daten", str(data))


ROWS = ["Nr;Status;Datum;Notiz", "3;Wird fortgesetzt;01.02.2024;Übergabe",
        "8;Abgeschlossen;02.02.2024;"]


@pytest.mark.parametrize(("encoding", "separator", "newline"), [
    ("cp1252", ";", "\r\n"),  # Excel „CSV (Trennzeichen-getrennt)“, Windows
    ("cp1252", ";", "\r"),  # Excel for Mac, old „CSV (Macintosh)“: CR only
    ("utf-8-sig", ";", "\r\n"),  # Excel „CSV UTF-8“
    ("utf-8", ";", "\n"),  # an editor
    ("utf-16", "\t", "\r\n"),  # Excel „Unicode-Text“: UTF-16 with BOM, tabs
])
def test_csv_as_excel_and_editors_save_it(encoding, separator, newline, data_copy, tmp_path):
    text = newline.join(row.replace(";", separator) for row in ROWS) + newline
    _, result = csv_import(data_copy, tmp_path, text.encode(encoding))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "2 Änderungen übernommen."
    measures = katalog_as_read(data_copy)
    assert measures[3]["verlauf"][-1]["notiz"] == "Übergabe"
    assert measures[8]["status"] == "Abgeschlossen"


def test_csv_with_bytes_that_windows_1252_cannot_decode(data_copy, tmp_path):
    before = (data_copy / KATALOG).read_bytes()
    path, result = csv_import(data_copy, tmp_path,
                              "\r\n".join(ROWS).encode("cp1252") + b"\r\n9;Neu\x81;03.02.2024;\r\n")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Fehler: 1 Problem in den Daten:",
        f"{path}:4: enthält das Byte 0x81, das weder in UTF-8 noch in Windows-1252 ein Zeichen ist "
        "(keine Textdatei?); bitte in Excel „Datei → Speichern unter“ mit dem Dateityp „CSV UTF-8 "
        "(durch Trennzeichen getrennt)“ speichern"]
    assert (data_copy / KATALOG).read_bytes() == before


def xlsx_bytes() -> bytes:
    """A minimal Excel workbook: a zip with the parts Excel writes first."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # A fixed timestamp keeps the bytes, and so the test's id, the same in every xdist worker.
        for name, xml in (("[Content_Types].xml", '<?xml version="1.0"?><Types/>'),
                          ("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), xml)
    return buffer.getvalue()


@pytest.mark.parametrize(("content", "what"), [
    (xlsx_bytes(), "ist eine Excel-Arbeitsmappe (.xlsx) oder ein anderes ZIP-Archiv, keine "
                   "CSV-Datei"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500),
     "ist eine Excel-Arbeitsmappe im alten Format (.xls), keine CSV-Datei"),
    (b"%PDF-1.7\n", "ist ein PDF, keine CSV-Datei"),
], ids=["xlsx", "xls", "pdf"])
def test_a_workbook_instead_of_a_csv_says_what_to_do(content, what, data_copy, tmp_path):
    before = (data_copy / KATALOG).read_bytes()
    path, result = csv_import(data_copy, tmp_path, content, "aenderungen.xlsx")
    assert result.exit_code == 1
    assert (data_copy / KATALOG).read_bytes() == before
    assert result.output.splitlines() == [
        "Fehler: 1 Problem in den Daten:",
        f"{path}: {what}; bitte in Excel „Datei → Speichern unter“ mit dem Dateityp „CSV UTF-8 "
        "(durch Trennzeichen getrennt)“ speichern"]


@pytest.mark.parametrize(("rows", "message"), [
    (["Nr;Status;Datum;Notiz;Bemerkung", "3;Neu;01.02.2024;;Broschüre erschienen"],
     "{datei}:1: Spalte „Bemerkung“ ist unbekannt; erlaubt sind: Nr, Status, Datum, Notiz, "
     "Kategorie, Fortschritt"),
    (["Nr;Status;Datum", "3;Neu;01.02.2024;Übergabe"],
     "{datei}:2: hat 4 Zellen, die Kopfzeile nur 3 (überzählig: „Übergabe“)"),
    (["Nr;Status;Notiz", "3;Neu;x"],
     "{datei}:1: Spalte(n) Datum fehlen; erwartet wird „Nr;Status;Datum;Notiz“"),
    (["Maßnahme;Zustand", "3;Neu"],
     "{datei}:1: Spalte „Maßnahme“ ist unbekannt; erlaubt sind: Nr, Status, Datum, Notiz, "
     "Kategorie, Fortschritt"),
    (["Nr;Status;Datum;Notiz", '3;"Neu;01.02.2024;'],
     "{datei}:2: Zeile lässt sich nicht lesen (Anführungszeichen nicht geschlossen?)"),
    (["Nr;Status;Datum;Notiz", "true;Neu;01.02.2024;", "1_000;Neu;01.02.2024;"],
     "{datei}:2: Nr: „true“ ist keine Maßnahmennummer"),
    ([], "{datei}: ist leer; erwartet wird die Kopfzeile „Nr;Status;Datum;Notiz“ und eine Zeile "
         "je Änderung"),
])
def test_a_csv_column_is_never_dropped_silently(rows, message, data_copy, tmp_path):
    before = (data_copy / KATALOG).read_bytes()
    path, result = csv_import(data_copy, tmp_path, "\r\n".join(rows).encode("utf-8"))
    assert result.exit_code == 1
    assert result.output.splitlines()[1] == message.format(datei=path)
    assert (data_copy / KATALOG).read_bytes() == before


def test_csv_status_yes_and_notiz_no_stay_text(data_copy, tmp_path):
    _, result = csv_import(data_copy, tmp_path,
                           b"Nr;Status;Datum;Notiz\n3;yes;01.02.2024;no\n")
    assert result.exit_code == 1  # "yes" has no category: said as such, not as a type error
    assert result.output.splitlines()[1].endswith(
        "status: Kategorie lässt sich aus „yes“ nicht ableiten; bitte „kategorie“ angeben "
        "(abgeschlossen, laufend, geplant, in_pruefung, offen)")
    _, result = csv_import(data_copy, tmp_path,
                           b"Nr;Status;Datum;Notiz\n3;Abgeschlossen;01.02.2024;no\n")
    assert result.exit_code == 0, result.output
    assert katalog_as_read(data_copy)[3]["verlauf"][-1]["notiz"] == "no"


# --- .docx input: checked before python-docx or docxtpl open it ---------------------------------

ENTITY_BOMB = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n' + b"".join(
    b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
    for i in range(1, 10)) + b']>\n<w:document xmlns:w="http://schemas.openxmlformats.org/'
    b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body>'
    b'</w:document>')
BESCHLUSSVORLAGE = TEMPLATES / "stadt-leinfelden-echterdingen" / "beschlussvorlage.docx"


def docx_with(target: Path, replace: dict[str, bytes] | None = None,
              add: dict[str, bytes] | None = None) -> Path:
    """The shipped Beschlussvorlage with parts replaced or added."""
    import zipfile

    with zipfile.ZipFile(BESCHLUSSVORLAGE) as src, \
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, (replace or {}).get(info.filename, src.read(info)))
        for name, data in (add or {}).items():
            dst.writestr(name, data)
    return target


def docx_error(path: Path) -> tuple[str, float]:
    import time

    from pipeline.docxsafe import read_docx
    from pipeline.errors import VorlagenFehler

    start = time.perf_counter()
    with pytest.raises(VorlagenFehler) as caught:
        read_docx(path)
    return caught.value.format_message(), time.perf_counter() - start


def test_an_xml_entity_bomb_in_a_docx_is_refused_at_once(tmp_path):
    path = docx_with(tmp_path / "bombe.docx", {"word/document.xml": ENTITY_BOMB})
    message, seconds = docx_error(path)
    print(f"entity bomb: {seconds:.3f} s")
    assert message == (f"Vorlage {path}: Teil word/document.xml enthält eine DOCTYPE-Deklaration, "
                       "die Word nie schreibt (womöglich eine Entitäten-Bombe); die Datei ist "
                       "manipuliert oder beschädigt und wird nicht geöffnet")
    assert seconds < 10


def test_a_docx_with_a_400_mb_part_is_refused_without_unpacking_it(tmp_path):
    import time
    import zipfile

    path = docx_with(tmp_path / "gross.docx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("word/media/image1.png", "w", force_zip64=True) as part:
        zeros = bytes(1 << 20)
        for _ in range(400):
            part.write(zeros)
    assert path.stat().st_size < 2_000_000  # 400 MB of zeros pack small
    start = time.perf_counter()
    message, _ = docx_error(path)
    seconds = time.perf_counter() - start
    print(f"400 MB part: {seconds:.3f} s")
    assert message == (f"Vorlage {path}: Teil word/media/image1.png ist entpackt 419,4 MB groß; "
                       "erlaubt sind höchstens 50,0 MB je Teil")
    assert seconds < 10


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p.write_bytes(b"kein zip"),
     "ist keine gültige .docx-Datei (kein ZIP-Archiv; beschädigt oder eine andere Dateiart)"),
    (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)),
     "ist keine gültige .docx-Datei (altes Word-Format .doc oder mit Kennwort geschützt); bitte "
     "in Word als „Word-Dokument (.docx)“ ohne Kennwort speichern"),
    (lambda p: docx_with(p, {"word/document.xml": b"<w:document><w:body>"}),
     "ist beschädigt: Teil word/document.xml ist kein gültiges XML, Zeile 1; bitte in Word oder "
     "LibreOffice öffnen und neu speichern"),
    (lambda p: docx_with(p, add={"word/media/nullen.bin": bytes(20_000_000)}),
     "Teil word/media/nullen.bin ist ungewöhnlich stark gepackt (0,0 MB → 20,0 MB); die Datei ist "
     "beschädigt oder manipuliert"),
    (lambda p: docx_with(p, add={f"word/x{i}.bin": b"" for i in range(2_001)}),
     "hat 2020 Teile; eine Word-Datei hat selten mehr als hundert, erlaubt sind 2000"),
    (lambda p: docx_with(p, {"word/styles.xml": b'<?xml version="1.0"?>\n<!-- x -->\n<!DOCTYPE s '
                                                 b'SYSTEM "http://example.org/s.dtd"><s/>'}),
     "Teil word/styles.xml enthält eine DOCTYPE-Deklaration, die Word nie schreibt (womöglich "
     "eine Entitäten-Bombe); die Datei ist manipuliert oder beschädigt und wird nicht geöffnet"),
])
def test_a_broken_or_hostile_docx_gets_a_german_message(make, message, tmp_path):
    path = tmp_path / "vorlage.docx"
    make(path)
    assert docx_error(path)[0] == f"Vorlage {path}: {message}"


def test_an_encrypted_part_is_refused(tmp_path):
    path = docx_with(tmp_path / "verschluesselt.docx")
    raw = bytearray(path.read_bytes())
    at = raw.find(b"PK\x03\x04")
    raw[at + 6] |= 0x1  # "encrypted" in the local header
    central = raw.find(b"PK\x01\x02")
    raw[central + 8] |= 0x1  # and in the central directory, which zipfile reads
    path.write_bytes(bytes(raw))
    assert docx_error(path)[0].startswith(f"Vorlage {path}: ist verschlüsselt (Teil ")


def test_every_shipped_template_passes_the_docx_check():
    from pipeline.docxsafe import read_docx

    templates = sorted(TEMPLATES.glob("*/*.docx"))
    assert len(templates) >= 7
    for path in templates:
        read_docx(path)


def test_a_build_with_an_entity_bomb_template_ends_with_a_german_message(tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    bomb = templates / "stadt-leinfelden-echterdingen" / "beschlussvorlage.docx"
    docx_with(bomb, {"word/document.xml": ENTITY_BOMB})
    from .test_bad_input import build_fails

    assert build_fails(DATA, tmp_path, templates)[0].startswith(
        f"Fehler: Vorlage {bomb}: Teil word/document.xml enthält eine DOCTYPE-Deklaration")


# --- exit codes and German throughout ----------------------------------------------------------

USAGE_ERRORS = [
    ["gibtsnicht"],
    ["build", "--gibts"],
    ["status"],
    ["status", "drei", "Neu"],
    ["status", "3", "Neu", "--kategorie", "fertig"],
    ["status", "3", "Neu", "--datum"],
    ["verlauf", "abc"],
    ["status-import", "/gibt/es/nicht.csv"],
    ["archiv", "vergleich", "massnahmenkatalog", "x", "y"],
    ["archiv"],
    ["check", "zuviel"],
    ["oparl", "integrationsplan-2020", "--basis-url", "javascript:alert(1)"],
    ["oparl", "integrationsplan-2020", "--basis-url", "file:///etc/passwd"],
    ["oparl", "integrationsplan-2020", "--basis-url", "https://"],
    ["oparl", "integrationsplan-2020", "--basis-url", "https://rats info.example.org"],
    ["init", "ordner"],
]


def _commands(command, path: tuple[str, ...] = ()):
    import click

    yield path
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))


def test_every_help_page_names_its_values_in_german():
    """click's own value names (INTEGER RANGE, PATH, FLOAT …) are English: every option says
    its own (ADRESSE, ZAHL, PFAD, DATUM …)."""
    from pipeline.cli import main

    english = re.compile(r"\b(INTEGER|FLOAT|FILE|PATH|DIRECTORY|BOOLEAN|RANGE|CHOICE|UUID|"
                         r"DATETIME|FILENAME)\b")
    pages = {" ".join(path) or "ratsdoc": run(*path, "--hilfe") for path in _commands(main)}
    assert len(pages) > 20 and "web" in pages and "archiv pruefen" in pages
    for name, result in pages.items():
        assert result.exit_code == 0, (name, result.output)
        assert result.output.startswith("Aufruf: "), (name, result.output)
        assert not english.findall(result.output), (name, result.output)


@pytest.mark.parametrize("args", USAGE_ERRORS, ids=" ".join)
def test_a_usage_error_exits_with_1_in_german(args):
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    lines = result.output.splitlines()
    assert lines[0].startswith(("Aufruf: ", "Fehler: ")), lines
    assert any(line.startswith("Fehler: ") for line in lines) or "Befehle:" in lines, lines


def test_the_console_script_exits_with_1_on_a_usage_error():
    import sys

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-m", "pipeline", "status", "drei", "Neu"],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == "Fehler: Ungültiger Wert für 'NR': 'drei' ist keine " \
                                           "gültige Zahl."
    ok = subprocess.run([sys.executable, "-m", "pipeline", "--version"], capture_output=True,
                        text=True, check=False, env={**os.environ, "PYTHONPATH": str(root)})
    assert (ok.returncode, ok.stdout) == (0, "ratsdoc 0.1.0\n")


def test_basis_url_must_be_http(built):
    result = run("oparl", "integrationsplan-2020", "--ausgabe", str(built), "--basis-url",
                 "javascript:alert(1)")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Fehler: Ungültiger Wert für '--basis-url': „javascript:alert(1)“ ist keine "
        "Internetadresse mit http:// oder https:// (Beispiel: https://ratsinfo.example.org/oparl/"
        "v1.1)")
    good = run("oparl", "integrationsplan-2020", "--ausgabe", str(built), "--basis-url",
               "http://ratsinfo.example.org/oparl")
    assert good.exit_code == 0, good.output


def test_archiv_liste_names_an_unknown_document_and_the_known_ones(built):
    result = run("archiv", "liste", "gibtsnicht", "--ausgabe", str(built))
    assert result.exit_code == 1
    assert result.output == (
        "Fehler: „gibtsnicht“ ist im Archiv nicht bekannt; archiviert sind: massnahmenkatalog, "
        "empfehlungen-234-2014, integrationsplan-2020, pressetext-integrationsplan, "
        "sitzungsvorlage-51-2016, zwischenbericht-2023\n")
    assert run("archiv", "liste", "massnahmenkatalog", "--ausgabe", str(built)).exit_code == 0


def test_archiv_liste_of_an_empty_archive(tmp_path):
    result = run("archiv", "liste", "massnahmenkatalog", "--ausgabe", str(tmp_path))
    assert (result.exit_code, result.output) == (0, "Das Archiv ist leer.\n")


ENGLISH = re.compile(
    r"\b(is|not|invalid|expected|error|must|one of|found|while|could|cannot|allowed|unexpected|"
    r"file|directory|does|the|such|missing|value|line|column|character|continuation|codec|"
    r"decode|traceback|permission|denied|space left|device|no such|got|requires|input|should)\b",
    re.IGNORECASE)


def english_words(output: str, *echoed: Path | str) -> list[str]:
    """English words in output, apart from paths and the user's own input that it repeats."""
    for text in echoed:
        output = output.replace(str(text), "")
    return ENGLISH.findall(output)


@pytest.mark.parametrize("case_file", sorted((Path(__file__).parent / "bad_inputs").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_no_english_word_in_any_message_of_the_corpus(case_file, data_copy, tmp_path):
    import yaml as pyyaml

    from .test_bad_inputs_corpus import apply_case

    apply_case(pyyaml.safe_load(case_file.read_text(encoding="utf-8")), data_copy)
    result = build(data_copy, tmp_path / "out")
    assert result.exit_code == 1
    assert english_words(result.output, tmp_path, TEMPLATES) == [], result.output


@pytest.mark.parametrize("args", [
    *USAGE_ERRORS,
    ["archiv", "liste", "gibtsnicht"], ["archiv", "vergleich", "massnahmenkatalog", "v1", "v9"],
    ["verlauf", "999"], ["mappe", "gibtsnicht"], ["oparl", "gibtsnicht"], ["build", "gibtsnicht"],
    ["status", "999", "Neu"], ["status", "3", " "], ["status", "3", "Neu", "--datum", "31.02.2024"],
], ids=" ".join)
def test_no_english_word_in_any_message_of_a_command(args, built):
    result = run(*args, *(["--ausgabe", str(built)] if args[0] in ("archiv", "mappe", "oparl")
                          and len(args) > 1 and args[1] != "vergleich" else []))
    assert result.exit_code == 1, result.output
    assert english_words(result.output, built, *args) == [], result.output


def test_no_english_word_in_the_csv_and_docx_messages(data_copy, tmp_path):
    messages = []
    for content in (b"\xff\xfeN\x00", xlsx_bytes(), b"Nr;Status;Datum\n3;\x81;x\n",
                    b'Nr;Status;Datum;Notiz\n3;"offen;01.01.2024;\n'):
        messages.append(csv_import(data_copy, tmp_path, content)[1].output)
    for name, make in (("kaputt.docx", lambda p: p.write_bytes(b"PK\x03\x04kaputt")),
                       ("bombe.docx", lambda p: docx_with(p, {"word/document.xml": ENTITY_BOMB})),
                       ("xml.docx", lambda p: docx_with(p, {"word/styles.xml": b"<a><b></a>"}))):
        make(tmp_path / name)
        messages.append(docx_error(tmp_path / name)[0])
    assert all(messages)
    for message in messages:
        assert english_words(message, tmp_path) == [], message


def test_output_in_a_code_page_without_arrows_ends_without_a_traceback(data_copy):
    """On Windows, output redirected to a file is cp1252, which has no „→“."""
    import sys

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "status", "3", "Neu", "--kategorie", "laufend",
         "--datum", "15.01.2024", "--daten", str(data_copy)], capture_output=True, check=False,
        env={**os.environ, "PYTHONPATH": str(root), "PYTHONIOENCODING": "cp1252"})
    assert done.returncode == 0, done.stderr.decode("cp1252")
    assert done.stdout.decode("cp1252").splitlines() == [
        "Maßnahme 3: „In Planung ab 2024“ ? „Neu“ (15.01.2024)"]
