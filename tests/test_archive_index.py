"""The archive's index (archiv/.index): a cache of the log that a build may use, never a source of
truth. Stale, deleted or tampered, it is rebuilt from the log; a log edited behind its back is
still found, by a build and by `archiv pruefen`."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest

from pipeline import archive as archive_module
from pipeline.archive import INDEX, MANIFEST, Archiv, ArchivFehler, _Summary

from .conftest import run

DAY = dt.date(2024, 1, 1)


def fill(out: Path, count: int, dokument: str = "katalog", start: int = 0) -> Archiv:
    archive = Archiv.open(out)
    for i in range(start, start + count):
        archive.file(dokument, f"Fassung {i}".encode(), DAY + dt.timedelta(days=i), {}, None,
                     snapshot=f'{{"fassung": {i}}}'.encode())
    return archive


def state(archive: Archiv) -> tuple:
    """Everything a build reads from the archive."""
    papers = sorted(archive._summary.papers)
    return (archive.anzahl_versionen(), archive.anzahl_dateien(), archive.pending(),
            [(p, archive.latest(p), archive.einreichung(p)) for p in papers],
            archive.check(contents=False))


def index_of(out: Path) -> dict:
    return json.loads((out / "archiv" / INDEX).read_bytes().partition(b"\n")[0])


def write_index(out: Path, index: dict) -> None:
    """An index with a matching checksum (what a deliberate forger would write)."""
    body = json.dumps(index, ensure_ascii=False).encode("utf-8")
    (out / "archiv" / INDEX).write_bytes(body + b"\n" + archive_module.sha256(body).encode() + b"\n")


def remove_line(out: Path, number: int) -> None:
    """Delete one line of the log (counted from 0), leaving the index as it is."""
    log = out / "archiv" / MANIFEST
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    del lines[number]
    log.write_text("".join(lines), encoding="utf-8")


def reindex(out: Path) -> None:
    """Have the index cover the whole log."""
    (out / "archiv" / INDEX).unlink()
    Archiv.open(out)


def whole_log_read(monkeypatch) -> list[int]:
    """Count the times the whole log is read (rather than the index and the lines after it)."""
    calls: list[int] = []
    original = Archiv._read_whole

    def counting(self):
        calls.append(1)
        original(self)

    monkeypatch.setattr(Archiv, "_read_whole", counting)
    return calls


def test_a_build_reads_the_index_and_only_the_lines_after_it(tmp_path, monkeypatch):
    out = tmp_path / "out"
    fill(out, 5)
    assert (out / "archiv" / INDEX).exists()
    reads = whole_log_read(monkeypatch)
    archive = Archiv.open(out)
    assert reads == []  # the index fitted
    assert archive._lines == 10 and archive.latest("katalog").version == 5
    assert archive.check(contents=False) == ([], [])
    assert archive.versionen[-1] == archive.latest("katalog")  # the whole log on request
    assert reads == [1]


def test_filing_never_reads_the_whole_log_again(tmp_path, monkeypatch):
    """Filing is amortised O(1): the state is followed entry by entry."""
    out = tmp_path / "out"
    fill(out, 3)
    archive = Archiv.open(out)
    reads = whole_log_read(monkeypatch)
    monkeypatch.setattr(_Summary, "reference", None)  # would fail if called
    for i in range(3, 300):  # past the point where the index is written anew
        archive.file("katalog", f"Fassung {i}".encode(), DAY, {}, None)
    assert reads == []
    assert index_of(out)["zeilen"] > 256
    assert state(Archiv.open(out)) == state(archive)


@pytest.mark.parametrize("damage", ["deleted", "garbage", "checksum", "stale", "foreign log"])
def test_a_damaged_or_stale_index_is_rebuilt_from_the_log(tmp_path, damage):
    out = tmp_path / "out"
    fill(out, 4)
    expected = state(Archiv.open(out))
    index = out / "archiv" / INDEX
    if damage == "deleted":
        index.unlink()
    elif damage == "garbage":
        index.write_bytes(b"\x00not an index")
    elif damage == "checksum":
        index.write_bytes(index.read_bytes().replace(b'"zeilen":', b'"zeilen": ', 1))
    elif damage == "stale":  # an older index: valid for the first lines, the rest is read after it
        old = index.read_bytes()
        fill(out, 2, start=4)
        expected = state(Archiv.open(out))
        index.write_bytes(old)
    elif damage == "foreign log":  # the index of another archive
        other = tmp_path / "other"
        fill(other, 6, dokument="anderes")
        index.write_bytes((other / "archiv" / INDEX).read_bytes())
    archive = Archiv.open(out)
    assert state(archive) == expected
    if damage != "stale":
        assert index_of(out)["zeilen"] == archive._lines  # written anew
    assert Archiv.open(out).check(contents=True) == ([], [])


def test_a_log_edited_behind_the_index_is_found_by_a_build_and_by_pruefen(tmp_path):
    """An entry removed from the log, the index left as it was: the log no longer fits it."""
    out = tmp_path / "out"
    fill(out, 4)
    remove_line(out, 3)
    with pytest.raises(ArchivFehler, match="die Kette der Einträge ist unterbrochen"):
        Archiv.open(out).require_intact()
    result = run("archiv", "pruefen", "--ausgabe", str(out))
    assert result.exit_code == 1
    assert "Zeile 4: die Kette der Einträge ist unterbrochen" in result.output


def test_an_edit_of_the_same_length_is_found_too(tmp_path):
    """The index covers the log by its hash, not by its length alone."""
    out = tmp_path / "out"
    fill(out, 4)
    log = out / "archiv" / MANIFEST
    text = log.read_text(encoding="utf-8")
    altered = text.replace('"datum": "2024-01-02"', '"datum": "2024-01-09"', 1)
    assert altered != text and len(altered) == len(text)
    log.write_text(altered, encoding="utf-8")
    problems, _ = Archiv.open(out).check(contents=False)
    assert any("die Kette der Einträge ist unterbrochen" in p for p in problems)


def test_a_line_after_the_index_is_chain_checked(tmp_path):
    out = tmp_path / "out"
    fill(out, 2)
    indexed = index_of(out)["zeilen"]
    fill(out, 2, start=2)
    assert index_of(out)["zeilen"] == indexed  # the new lines lie after the index
    remove_line(out, indexed + 1)
    problems, _ = Archiv.open(out).check(contents=False)
    assert any(f"Zeile {indexed + 2}: die Kette" in p for p in problems)


def test_a_forged_index_never_fools_pruefen(tmp_path):
    """An archived file altered and its hash changed in the index (checksums made to match):
    the build's quick check does not hash files anyway; pruefen reads the whole log."""
    out = tmp_path / "out"
    fill(out, 3)
    reindex(out)
    target = out / "archiv" / "katalog" / "2024-01-02_v2.docx"
    target.chmod(0o644)
    target.write_bytes(b"altered")
    index = index_of(out)
    index["dateien"]["katalog/2024-01-02_v2.docx"] = archive_module.sha256(b"altered")
    write_index(out, index)
    problems, _ = Archiv.open(out).check(contents=True)
    assert len(problems) == 1
    assert problems[0].endswith("2024-01-02_v2.docx: verändert (Prüfsumme stimmt nicht)")


def test_a_forged_index_that_hides_a_version_does_not_hide_its_missing_file_from_pruefen(tmp_path):
    out = tmp_path / "out"
    fill(out, 3)
    reindex(out)
    (out / "archiv" / "katalog" / "2024-01-03_v3.json").unlink()
    index = index_of(out)
    del index["dateien"]["katalog/2024-01-03_v3.json"]
    write_index(out, index)
    assert Archiv.open(out).check(contents=False) == ([], [])  # the quick check is fooled
    result = run("archiv", "pruefen", "--ausgabe", str(out))
    assert result.exit_code == 1
    assert "2024-01-03_v3.json: fehlt" in result.output


def test_foreign_and_missing_files_are_found_with_the_index(tmp_path):
    out = tmp_path / "out"
    fill(out, 3)
    (out / "archiv" / "katalog" / "2024-01-01_v1.docx").unlink()
    (out / "archiv" / "katalog" / "2024-01-09_v9.docx").write_bytes(b"foreign")
    problems, _ = Archiv.open(out).check(contents=False)
    assert [p.split("/")[-1] for p in problems] == [
        "2024-01-01_v1.docx: fehlt",
        "2024-01-09_v9.docx: steht in keinem Eintrag des Archivs (fremde oder nachträglich "
        "abgelegte Datei)"]


def test_an_irregular_log_is_read_whole_and_not_indexed(tmp_path, monkeypatch):
    """Entries ratsdoc does not write (here: a version filed twice under one number) are
    interpreted from the whole log, every time."""
    out = tmp_path / "out"
    archive = fill(out, 2)
    entry = {k: v for k, v in archive.eintraege[1].items() if k != "vorher"}
    archive._append(entry)  # v1 once more
    assert not archive._regular
    (out / "archiv" / INDEX).unlink()
    reads = whole_log_read(monkeypatch)
    again = Archiv.open(out)
    assert reads == [1] and not (out / "archiv" / INDEX).exists()
    assert again.latest("katalog") == archive.latest("katalog") == again.versionen[-1]


class _Kill:
    """Kill a build after `placed` of its files (after all of them: before the confirmation)."""

    def __init__(self, monkeypatch, placed: int) -> None:
        self.placed, self.place, self.append = placed, Archiv._place, Archiv._append
        monkeypatch.setattr(Archiv, "_place", lambda archive, *args: self._place(archive, *args))
        monkeypatch.setattr(Archiv, "_append", lambda archive, entry: self._append(archive, entry))

    def _place(self, archive: Archiv, relative: str, data: bytes) -> None:
        if self.placed == 0:
            raise KeyboardInterrupt
        self.placed -= 1
        self.place(archive, relative, data)

    def _append(self, archive: Archiv, entry: dict) -> None:
        if entry["ereignis"] != "ausstehend":
            raise KeyboardInterrupt
        self.append(archive, entry)


def _random_history(out: Path, rng: random.Random, monkeypatch) -> None:
    """Files, PDFs, submissions, Neufassungen and killed builds, in a random order."""
    for counter in range(40):
        archive = Archiv.open(out)
        archive.recover()
        paper = rng.choice(["a", "b"])
        latest, frozen = archive.latest(paper), archive.einreichung(paper).version is not None
        action = rng.random()
        if action < 0.15 and latest is not None and not frozen:
            archive.submit(paper, latest)
        elif action < 0.25 and frozen:
            archive.revise(paper)
        elif frozen:
            continue  # a build files nothing
        elif action < 0.4 and latest is not None and latest.pdf is None:
            docx = f"{paper} {latest.version}".encode()
            archive.file(paper, docx, None, {}, None, b"%PDF", docx)
        elif action < 0.55:
            with monkeypatch.context() as patch:
                _Kill(patch, rng.randrange(3))
                with pytest.raises(KeyboardInterrupt):
                    archive.file(paper, f"{paper} {counter}".encode(), DAY, {}, None,
                                 snapshot=b"{}")
        else:
            docx = f"{paper} {counter}".encode()
            with_pdf = rng.random() < 0.3
            archive.file(paper, docx, DAY, {"x.yaml": "0" * 64}, None,
                         b"%PDF" if with_pdf else None, docx if with_pdf else None, b"{}")


@pytest.mark.parametrize("seed", range(6))
def test_the_index_says_what_the_whole_log_says(tmp_path, seed, monkeypatch):
    """Followed entry by entry (and through the index) or derived from all entries at once:
    the same state, through files, PDFs, submissions, Neufassungen and killed builds."""
    out = tmp_path / "out"
    _random_history(out, random.Random(seed), monkeypatch)
    through_index = Archiv.open(out)
    assert through_index._entries is None
    whole = Archiv.open(out)
    whole._read_whole()
    assert whole._regular
    assert through_index._summary == whole._summary == _Summary.reference(whole.eintraege)
    assert state(through_index) == state(whole)
    assert whole.check(contents=True)[0] == []
