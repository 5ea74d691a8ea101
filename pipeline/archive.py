"""The versioned archive: output/archiv/<dokument>/<Stand>_v<n>.docx (+ .json, .pdf) and a log.

The log, `archiv/manifest.jsonl`, is append-only: one JSON object per line, each carrying the
sha256 of the line before it, so that an altered or removed entry breaks the chain. Before a
version's files are placed, an entry `ausstehend` records them with their hashes; after they are
all in place, an entry `version` confirms them. A build killed in between leaves a pending entry
whose files are told apart from foreign ones; the next build confirms it (all files complete) or
abandons it (some missing). Archived files are never overwritten or deleted: each is linked into
place, which refuses an existing name, and made read-only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from . import __version__
from .errors import RatsdocError, display_path, schreibfehler
from .output import _remove_quietly, fsync_folder, link_without_replacing, write_atomic, write_temp

ARCHIV_ORDNER = "archiv"
MANIFEST = "manifest.jsonl"
ALTES_MANIFEST = "manifest.json"  # format 1, before the log; taken over once
OHNE_DATUM = "ohne-datum"  # the version name of a paper that carries no date
_VERSION_NAME = re.compile(r"^(?P<datum>\d{4}-\d{2}-\d{2}|ohne-datum)_v(?P<nr>\d+)\.(?P<ext>docx|pdf|json)$")


class ArchivFehler(RatsdocError):
    """The archive is missing, altered or cannot be written."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


@dataclass
class Version:
    dokument: str
    version: int
    datum: str
    docx: str  # path relative to the archive folder
    docx_sha256: str
    pdf: str | None = None
    pdf_sha256: str | None = None
    pdf_docx_sha256: str | None = None  # the docx the PDF was converted from
    eingaben: dict[str, str] = field(default_factory=dict)  # input file → sha256
    daten: str | None = None  # the data snapshot (JSON) the docx was rendered from
    daten_sha256: str | None = None
    ratsdoc: str = __version__
    git_commit: str | None = None
    zeit: str = ""
    eingereicht: str | None = None  # when this version was submitted to a committee

    def dateien(self) -> dict[str, str]:
        """Its files (relative path → sha256)."""
        pairs = ((self.docx, self.docx_sha256), (self.pdf, self.pdf_sha256),
                 (self.daten, self.daten_sha256))
        return {path: digest for path, digest in pairs if path and digest}


_VERSION_FIELDS = {f.name for f in fields(Version)}


@dataclass
class Einreichung:
    """The state of a paper in the committee process, from the log."""

    version: Version | None = None  # the submitted version, while the paper is frozen
    zeit: str = ""
    fassung: int = 1  # 2 after the first Neufassung, …


@dataclass
class Archiv:
    ordner: Path
    eintraege: list[dict[str, Any]]  # the log, in order
    zeilen: list[str]  # the log's lines as read (for the hash chain)
    torn: bool = False  # the last line was cut off by a crash
    legacy: bool = False  # entries taken from a format-1 manifest.json, not yet in the log
    _cached: tuple[int, list[Version]] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def open(cls, ausgabe: Path) -> Archiv:
        ordner = ausgabe / ARCHIV_ORDNER
        path = ordner / MANIFEST
        if not path.exists():
            legacy = _legacy_entries(ordner)
            return cls(ordner, legacy, [], legacy=bool(legacy))
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ArchivFehler(f"{display_path(path)} kann nicht gelesen werden ({exc})") from None
        lines = text.split("\n")
        torn = lines[-1] != ""  # a complete log ends with a line break
        lines = lines[:-1]
        entries = []
        for number, line in enumerate(lines, 1):
            try:
                entry = json.loads(line)
                if not isinstance(entry, dict):
                    raise ValueError("kein Objekt")
            except ValueError as exc:
                raise ArchivFehler(f"{display_path(path)}, Zeile {number}: beschädigt ({exc})") from None
            entries.append(entry)
        return cls(ordner, entries, lines, torn)

    # --- reading the log -----------------------------------------------------------------------

    @property
    def versionen(self) -> list[Version]:
        # Derived from the log; cached until the next entry (a large archive has many).
        if self._cached is not None and self._cached[0] == len(self.eintraege):
            return self._cached[1]
        versions: dict[tuple[Any, Any], Version] = {}
        for entry in self.eintraege:
            kind, key = entry.get("ereignis"), (entry.get("dokument"), entry.get("version"))
            if kind == "version":
                versions[key] = Version(**{k: v for k, v in entry.items() if k in _VERSION_FIELDS})
            elif kind == "pdf" and key in versions:
                v = versions[key]
                v.pdf, v.pdf_sha256 = entry["pdf"], entry["pdf_sha256"]
                v.pdf_docx_sha256 = entry["pdf_docx_sha256"]
            elif kind == "eingereicht" and key in versions:
                versions[key].eingereicht = entry["zeit"]
        self._cached = (len(self.eintraege), list(versions.values()))
        return self._cached[1]

    def of(self, dokument: str) -> list[Version]:
        return [v for v in self.versionen if v.dokument == dokument]

    def latest(self, dokument: str) -> Version | None:
        versions = self.of(dokument)
        return versions[-1] if versions else None

    def find(self, dokument: str, version: int) -> Version:
        for v in self.of(dokument):
            if v.version == version:
                return v
        known = ", ".join(f"v{v.version}" for v in self.of(dokument)) or "keine"
        raise ArchivFehler(f"Version v{version} von „{dokument}“ gibt es nicht (vorhanden: {known})")

    def einreichung(self, dokument: str) -> Einreichung:
        """Whether the paper is frozen (submitted, no Neufassung since) and its Fassung."""
        state = Einreichung()
        versions = {v.version: v for v in self.of(dokument)}
        for entry in self.eintraege:
            if entry.get("dokument") != dokument:
                continue
            if entry.get("ereignis") == "eingereicht":
                state.version, state.zeit = versions.get(entry["version"]), entry["zeit"]
            elif entry.get("ereignis") == "neufassung":
                state.version, state.zeit, state.fassung = None, "", entry["fassung"]
        return state

    def pending(self) -> list[dict[str, Any]]:
        """Pending entries that no later entry confirmed (or abandoned)."""
        # A confirmation is the entry the pending one announced: same kind, document, version
        # and files (compared cheaply first; the whole entry only where those match).
        confirmations: dict[tuple, list[dict[str, Any]]] = {}
        abandoned = set()
        for e in self.eintraege:
            kind = e.get("ereignis")
            if kind == "verworfen":
                abandoned.add(e["ausstehend"])
            elif kind != "ausstehend":
                confirmations.setdefault(_confirmation_key(e), []).append(e)
        return [e for e in self.eintraege if e.get("ereignis") == "ausstehend"
                and e["id"] not in abandoned
                and not any(_without_chain(c) == e["nachher"]
                            for c in confirmations.get(_confirmation_key(e["nachher"]), []))]

    def _abandoned_files(self) -> set[str]:
        ids = {e["ausstehend"] for e in self.eintraege if e.get("ereignis") == "verworfen"}
        return {p for e in self.eintraege if e.get("ereignis") == "ausstehend" and e["id"] in ids
                for p in e["dateien"]}

    def snapshot(self, version: Version) -> dict:
        """The data a version was rendered from, checked against its hash."""
        if version.daten is None or version.daten_sha256 is None:
            raise ArchivFehler(f"Version v{version.version} von „{version.dokument}“ hat keinen "
                               "Datenstand (archiviert vor ratsdoc 0.2); Vergleich nicht möglich")
        raw = (self.ordner / version.daten).read_bytes()
        if sha256(raw) != version.daten_sha256:
            raise ArchivFehler(f"{display_path(self.ordner / version.daten)}: verändert "
                               "(Prüfsumme stimmt nicht)")
        return json.loads(raw)

    # --- writing -------------------------------------------------------------------------------

    def file(self, dokument: str, docx: bytes, datum: dt.date | None, eingaben: dict[str, str],
             git_commit: str | None, pdf: bytes | None = None, pdf_docx: bytes | None = None,
             snapshot: bytes | None = None) -> Version | None:
        """Archive a document unless its bytes equal the latest version; return the new version.

        `pdf` is filed only if it was converted from exactly `docx` (`pdf_docx`).
        """
        if pdf is not None and pdf_docx != docx:
            pdf = None  # a PDF of other bytes is never filed with this version
        latest = self.latest(dokument)
        if latest is not None and latest.docx_sha256 == sha256(docx):
            if pdf is not None and latest.pdf is None:
                stem = Path(latest.docx).stem
                relative = f"{dokument}/{stem}.pdf"
                self._place_all(dokument, latest.version, {relative: pdf}, {
                    "ereignis": "pdf", "dokument": dokument, "version": latest.version,
                    "pdf": relative, "pdf_sha256": sha256(pdf), "pdf_docx_sha256": sha256(docx)})
            return None
        number = max([v.version for v in self.of(dokument)]
                     + [e["version"] for e in self.eintraege if e.get("dokument") == dokument
                        and isinstance(e.get("version"), int)] + [0]) + 1
        stem = f"{datum.isoformat() if datum else OHNE_DATUM}_v{number}"
        files = {f"{dokument}/{stem}.docx": docx}
        version = Version(dokument=dokument, version=number,
                          datum=datum.isoformat() if datum else "", docx=f"{dokument}/{stem}.docx",
                          docx_sha256=sha256(docx), eingaben=eingaben, git_commit=git_commit,
                          zeit=now())
        if pdf is not None:
            version.pdf, version.pdf_sha256 = f"{dokument}/{stem}.pdf", sha256(pdf)
            version.pdf_docx_sha256 = sha256(docx)
            files[version.pdf] = pdf
        if snapshot is not None:
            version.daten, version.daten_sha256 = f"{dokument}/{stem}.json", sha256(snapshot)
            files[version.daten] = snapshot
        self._place_all(dokument, number, files, {"ereignis": "version", **asdict(version)})
        return version

    def submit(self, dokument: str, version: Version) -> str:
        """Record that a version was submitted to a committee; return the time."""
        when = now()
        self._append({"ereignis": "eingereicht", "dokument": dokument,
                      "version": version.version, "zeit": when})
        return when

    def revise(self, dokument: str) -> int:
        """Start a Neufassung of a submitted paper; return its number."""
        fassung = self.einreichung(dokument).fassung + 1
        self._append({"ereignis": "neufassung", "dokument": dokument, "fassung": fassung,
                      "zeit": now()})
        return fassung

    def recover(self) -> list[str]:
        """Confirm pending entries whose files are complete, abandon the others (build lock held)."""
        notes = []
        for entry in self.pending():
            complete = all((self.ordner / p).exists() and sha256((self.ordner / p).read_bytes()) == h
                           for p, h in entry["dateien"].items())
            if complete:
                self._append(entry["nachher"])
                notes.append(f"{entry['dokument']} v{entry['version']}: von einem abgebrochenen "
                             "Build vollständig abgelegt, übernommen")
            else:
                self._append({"ereignis": "verworfen", "dokument": entry["dokument"],
                              "version": entry["version"], "ausstehend": entry["id"]})
                notes.append(f"{entry['dokument']} v{entry['version']}: von einem abgebrochenen "
                             "Build unvollständig, verworfen")
        return notes

    def _place_all(self, dokument: str, version: int, files: dict[str, bytes],
                   confirmation: dict[str, Any]) -> None:
        """Announce the files as pending, place them, then confirm them."""
        self._append({"ereignis": "ausstehend", "dokument": dokument, "version": version,
                      "id": sha256(_canonical(confirmation).encode())[:16],
                      "dateien": {p: sha256(d) for p, d in files.items()},
                      "nachher": confirmation})
        for relative, data in files.items():
            self._place(relative, data)
        self._append(confirmation)

    def _place(self, relative: str, data: bytes) -> None:
        """Put a read-only file into the archive; never replace one that is there."""
        target = self.ordner / relative
        folder = target.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = write_temp(folder, target.name, data)
        except OSError as exc:
            raise schreibfehler(target, exc) from None
        try:
            link_without_replacing(tmp, target)
        except FileExistsError:
            raise ArchivFehler(f"{display_path(target)} existiert schon; das Archiv überschreibt "
                               "nie eine Datei") from None
        except OSError as exc:
            raise schreibfehler(target, exc) from None
        finally:
            _remove_quietly(tmp)
        try:
            # Read-only only now: Windows refuses to delete a read-only temp file (and a hard
            # link shares the flag).
            os.chmod(target, 0o444)
        except OSError:
            pass  # the log's checksum is the real protection
        fsync_folder(folder)

    def _append(self, entry: dict[str, Any]) -> None:
        """Append one entry to the log, chained to the one before, and flush it to disk."""
        path = self.ordner / MANIFEST
        try:
            self.ordner.mkdir(parents=True, exist_ok=True)
            if self.torn or (not path.exists() and self.eintraege):
                self._rewrite()  # drop a line cut off by a crash / take over the old manifest
            entry = {**entry, "vorher": sha256(self.zeilen[-1].encode()) if self.zeilen else ""}
            line = json.dumps(entry, ensure_ascii=False, sort_keys=False)
            with open(path, "a", encoding="utf-8", newline="\n") as handle:
                handle.write(line + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise schreibfehler(path, exc) from None
        self.eintraege.append(entry)
        self.zeilen.append(line)

    def _rewrite(self) -> None:
        lines: list[str] = []
        entries = []
        for entry in self.eintraege:
            entry = {**entry, "vorher": sha256(lines[-1].encode()) if lines else ""}
            lines.append(json.dumps(entry, ensure_ascii=False))
            entries.append(entry)
        write_atomic(self.ordner / MANIFEST, "".join(f"{line}\n" for line in lines).encode("utf-8"))
        self.eintraege, self.zeilen, self.torn = entries, lines, False

    # --- checking ------------------------------------------------------------------------------

    def check(self, contents: bool = True) -> tuple[list[str], list[str]]:
        """(problems, notes) of the whole archive.

        Problems: a broken chain, files missing or altered, a PDF not made from its docx, files no
        entry names, archived files without a log. With contents=False the files' hashes are not
        computed (the quick check before every build).
        """
        problems, notes = [], []
        path = self.ordner / MANIFEST
        if self.torn:
            notes.append(f"{display_path(path)}: letzte Zeile unvollständig (abgebrochener Build); "
                         "der nächste Build bereinigt sie")
        for number, entry in enumerate([] if self.legacy else self.eintraege, 1):
            expected = sha256(self.zeilen[number - 2].encode()) if number > 1 else ""
            if entry.get("vorher") != expected:
                problems.append(f"{display_path(path)}, Zeile {number}: die Kette der Einträge ist "
                                "unterbrochen (ein Eintrag davor wurde verändert oder entfernt)")
        named: dict[str, str] = {}
        for v in self.versionen:
            named |= v.dateien()
            if v.pdf and v.pdf_docx_sha256 != v.docx_sha256:
                problems.append(f"{display_path(self.ordner / v.pdf)}: wurde nicht aus "
                                f"{display_path(self.ordner / v.docx)} erzeugt")
        for entry in self.eintraege:
            if entry.get("ereignis") == "ausstehend":
                for relative, digest in entry["dateien"].items():
                    named.setdefault(relative, digest)  # a confirmed version's hash wins
        for entry in self.pending():
            notes.append(f"{entry['dokument']} v{entry['version']}: von einem abgebrochenen Build "
                         "abgelegt, noch nicht bestätigt; der nächste Build übernimmt oder verwirft "
                         "die Version")
        unconfirmed = {p for e in self.pending() for p in e["dateien"]} | self._abandoned_files()
        for relative, expected_hash in named.items():
            file = self.ordner / relative
            if relative in unconfirmed:
                continue  # not (yet) a version: checked when the next build confirms it
            if not file.exists():
                problems.append(f"{display_path(file)}: fehlt")
            elif contents and sha256(file.read_bytes()) != expected_hash:
                problems.append(f"{display_path(file)}: verändert (Prüfsumme stimmt nicht)")
        present = sorted((p for p in self.ordner.glob("*/*") if not p.name.startswith(".")),
                         key=str)  # sorting Path objects costs seconds at 20,000 files
        if present and not self.eintraege:
            problems.append(f"{display_path(path)} fehlt, obwohl das Archiv "
                            f"{len(present)} Dateien enthält")
        elif present:
            for file in present:
                relative = f"{file.parent.name}/{file.name}"
                if relative not in named:
                    problems.append(f"{display_path(file)}: steht in keinem Eintrag des Archivs "
                                    "(fremde oder nachträglich abgelegte Datei)")
        return problems, notes

    def anzahl_dateien(self) -> int:
        """How many files the versions hold (docx, PDF, data snapshot)."""
        return sum(len(v.dateien()) for v in self.versionen)

    def require_intact(self) -> None:
        """Refuse to file new versions into an archive that does not add up."""
        problems, _ = self.check(contents=False)
        if problems:
            raise ArchivFehler("\n".join([
                "Das Archiv ist nicht in Ordnung; es werden keine neuen Versionen abgelegt, "
                "bis das geklärt ist (ratsdoc archiv pruefen):", *problems]))


def _confirmation_key(entry: dict[str, Any]) -> tuple:
    return (entry.get("ereignis"), entry.get("dokument"), entry.get("version"),
            entry.get("docx"), entry.get("pdf"))


def _without_chain(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k != "vorher"}


def _canonical(entry: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in entry.items() if k != "vorher"}, sort_keys=True,
                      ensure_ascii=False)


def _legacy_entries(ordner: Path) -> list[dict[str, Any]]:
    """The versions of a format-1 manifest.json, as log entries (written on the next append)."""
    path = ordner / ALTES_MANIFEST
    if not path.exists():
        return []
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return [{"ereignis": "version", **{k: v for k, v in entry.items() if k in _VERSION_FIELDS}}
                for entry in raw["versionen"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise ArchivFehler(f"Manifest {display_path(path)} ist beschädigt ({exc})") from None


def remove_stale_temp_files(ausgabe: Path) -> None:
    """Delete temp files that a killed build left behind (call only under the build lock)."""
    for pattern in (".*.tmp", f"{ARCHIV_ORDNER}/.*.tmp", f"{ARCHIV_ORDNER}/*/.*.tmp"):
        for path in ausgabe.glob(pattern):
            path.unlink(missing_ok=True)


def file_hashes(paths: list[Path]) -> dict[str, str]:
    return {display_path(p): sha256(p.read_bytes()) for p in sorted(set(paths)) if p.exists()}


def git_commit(folder: Path) -> str | None:
    """The commit of the data folder, with '+' when it has uncommitted changes; None outside git."""
    try:
        head = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--", "."],
                               capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+" if dirty.strip() else "")
