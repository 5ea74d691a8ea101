"""The versioned archive: output/archiv/<dokument>/<Stand>_v<n>.docx (+ .json, .pdf) and a log.

The log, `archiv/manifest.jsonl`, is append-only: one JSON object per line, each carrying the
sha256 of the line before it, so that an altered or removed entry breaks the chain. Before a
version's files are placed, an entry `ausstehend` records them with their hashes; after they are
all in place, an entry `version` confirms them. A build killed in between leaves a pending entry
whose files are told apart from foreign ones; the next build confirms it (all files complete) or
abandons it (some missing). Archived files are never overwritten or deleted: each is linked into
place, which refuses an existing name, and made read-only.

Beside the log lies `archiv/.index`, a cache derived from it: the byte length and sha256 of the
log it was derived from, with what a build needs (each paper's latest version and state, pending
entries, the names of all archived files). A build hashes the log, takes the index only if it
matches the log's first bytes, and reads and chain-checks only the lines after them; otherwise it
reads the whole log and writes the index anew. The index is never a source of truth: `archiv
pruefen` always reads the whole log and checks the whole chain.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import RatsdocError, display_path, schreibfehler

if TYPE_CHECKING:
    import datetime as dt

ARCHIV_ORDNER = "archiv"
MANIFEST = "manifest.jsonl"
INDEX = ".index"  # derived from the log (a cache); a hidden name, so never taken for an archived file
ALTES_MANIFEST = "manifest.json"  # format 1, before the log; taken over once
OHNE_DATUM = "ohne-datum"  # the version name of a paper that carries no date
_INDEX_FORMAT = 1
_INDEX_AFTER = 256  # lines past the index after which it is written anew
# One JSON value at a position, without json.loads' overhead (the C scanner json.loads uses).
_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


class ArchivFehler(RatsdocError):
    """The archive is missing, altered or cannot be written."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def now() -> str:
    import datetime as dt

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
    eingereicht_von: str | None = None  # who submitted it (user name), when recorded

    def dateien(self) -> dict[str, str]:
        """Its files (relative path → sha256)."""
        pairs = ((self.docx, self.docx_sha256), (self.pdf, self.pdf_sha256),
                 (self.daten, self.daten_sha256))
        return {path: digest for path, digest in pairs if path and digest}

    def pdf_fremd(self) -> bool:
        """It has a PDF that was not converted from its docx."""
        return bool(self.pdf) and self.pdf_docx_sha256 != self.docx_sha256


_VERSION_FIELDS = {f.name for f in fields(Version)}


def _submitter(entry: dict[str, Any]) -> str | None:
    """Who an `eingereicht` entry says submitted the paper (entries before 0.2 say nobody)."""
    von = entry.get("von")
    return von if isinstance(von, str) else None


def _version(entry: dict[str, Any]) -> Version:
    values = dict(entry)
    values.pop("ereignis", None)
    values.pop("vorher", None)
    if not values.keys() <= _VERSION_FIELDS:
        values = {k: v for k, v in values.items() if k in _VERSION_FIELDS}
    return Version(**values)


@dataclass
class Einreichung:
    """The state of a paper in the committee process, from the log."""

    version: Version | None = None  # the submitted version, while the paper is frozen
    zeit: str = ""
    fassung: int = 1  # 2 after the first Neufassung, …
    von: str = ""  # who submitted it, when recorded


# --- what the log says, entry by entry ---------------------------------------------------------


class _Irregular(Exception):
    """An entry that ratsdoc does not write this way; the summary then is derived from all entries."""


@dataclass
class _Paper:
    latest: Version | None = None
    nummer: int = 0  # the highest version number any entry of the paper used
    einreichung: Einreichung = field(default_factory=Einreichung)


@dataclass
class _Summary:
    """What the log says about the archive as a whole, without a list of all its versions."""

    papers: dict[Any, _Paper] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)  # announced, neither confirmed nor abandoned
    abandoned_ids: set[Any] = field(default_factory=set)
    abandoned: set[str] = field(default_factory=set)  # the files of abandoned entries
    named: dict[str, str] = field(default_factory=dict)  # every file an entry names → its sha256
    superseded_pdfs: set[tuple[str, str]] = field(default_factory=set)  # (pdf, docx) not made from it
    versions: int = 0
    files: int = 0  # the files of all versions

    def unconfirmed(self) -> set[str]:
        """Files that are not (yet) a version's: those of pending and abandoned entries."""
        return {p for entry in self.pending for p in entry["dateien"]} | self.abandoned

    def pdf_problems(self) -> list[tuple[str, str]]:
        latest = [(v.pdf, v.docx) for paper in self.papers.values()
                  if (v := paper.latest) is not None and v.pdf and v.pdf_fremd()]
        return sorted(self.superseded_pdfs | set(latest))

    def apply(self, entry: dict[str, Any]) -> None:
        """Follow one entry as ratsdoc writes them; _Irregular for anything else.

        For such entries this gives what `reference` gives for the whole log (tests compare
        both); an entry that would need the whole log to interpret raises _Irregular.
        """
        kind, dokument, number = entry.get("ereignis"), entry.get("dokument"), entry.get("version")
        if not isinstance(dokument, str) or not (number is None or type(number) is int):
            raise _Irregular
        paper = self.papers.setdefault(dokument, _Paper())
        latest = paper.latest
        if kind == "ausstehend":
            after, files = entry.get("nachher"), entry.get("dateien")
            if not (isinstance(after, dict) and isinstance(files, dict) and number is not None
                    and isinstance(entry.get("id"), str) and entry["id"] not in self.abandoned_ids
                    and after.get("dokument") == dokument and after.get("version") == number
                    and all(isinstance(p, str) and isinstance(h, str) for p, h in files.items())):
                raise _Irregular
            # A new version (a number no entry used), or the PDF of the latest version that has
            # none: no entry before can have confirmed it.
            if after.get("ereignis") == "version":
                fits = number > paper.nummer
            else:
                fits = after.get("ereignis") == "pdf" and latest is not None \
                    and latest.version == number and latest.pdf is None
            if not fits:
                raise _Irregular
            self.pending.append(entry)
            for p, h in files.items():
                self.named.setdefault(p, h)
        elif kind == "verworfen":
            gone = [e for e in self.pending if e["id"] == entry.get("ausstehend")]
            if not gone:
                raise _Irregular  # abandons a confirmed entry, or one that comes later
            self.pending = [e for e in self.pending if e["id"] != entry["ausstehend"]]
            self.abandoned_ids.add(entry["ausstehend"])
            self.abandoned |= {p for e in gone for p in e["dateien"]}
        else:
            confirmed = False
            if self.pending:
                kept = [e for e in self.pending if not _confirms(entry, e["nachher"])]
                confirmed, self.pending = len(kept) < len(self.pending), kept
            if kind == "version":
                if number is None or paper.einreichung.version is not None \
                        or not (confirmed or number > paper.nummer):
                    raise _Irregular
                version = _version(entry)
                if latest is not None and latest.pdf_fremd():
                    self.superseded_pdfs.add((latest.pdf or "", latest.docx))
                paper.latest = version
                self.versions += 1
                self.files += len(version.dateien())
                self.named |= version.dateien()
                self.abandoned -= version.dateien().keys()  # a retry under an abandoned name
            elif kind == "pdf":
                if latest is None or latest.version != number or latest.pdf is not None:
                    raise _Irregular
                before = len(latest.dateien())
                latest.pdf, latest.pdf_sha256 = entry["pdf"], entry["pdf_sha256"]
                latest.pdf_docx_sha256 = entry["pdf_docx_sha256"]
                self.files += len(latest.dateien()) - before
                self.named |= latest.dateien()
                self.abandoned.discard(entry["pdf"])  # a PDF filed after an abandoned attempt
            elif kind == "eingereicht":
                if latest is None or latest.version != number:
                    raise _Irregular
                latest.eingereicht, latest.eingereicht_von = entry["zeit"], _submitter(entry)
                paper.einreichung = Einreichung(latest, entry["zeit"], paper.einreichung.fassung,
                                                _submitter(entry) or "")
            elif kind == "neufassung":
                paper.einreichung = Einreichung(None, "", entry["fassung"])
            else:
                raise _Irregular
        if number is not None:
            paper.nummer = max(paper.nummer, number)

    @classmethod
    def reference(cls, entries: list[dict[str, Any]]) -> _Summary:
        """The summary of any log, from all its entries at once."""
        summary = cls()
        versions = _versions(entries)
        for v in versions.values():
            paper = summary.papers.setdefault(v.dokument, _Paper())
            if paper.latest is not None and paper.latest.pdf_fremd():
                summary.superseded_pdfs.add((paper.latest.pdf or "", paper.latest.docx))
            paper.latest = v
            summary.versions += 1
            summary.files += len(v.dateien())
            summary.named |= v.dateien()
        confirmations: dict[tuple, list[dict[str, Any]]] = {}
        for e in entries:
            kind, dokument, number = e.get("ereignis"), e.get("dokument"), e.get("version")
            paper = summary.papers.setdefault(dokument, _Paper())
            if isinstance(number, int):
                paper.nummer = max(paper.nummer, number)
            if kind == "verworfen":
                summary.abandoned_ids.add(e["ausstehend"])
            elif kind == "ausstehend":
                for p, h in e["dateien"].items():
                    summary.named.setdefault(p, h)
            else:
                confirmations.setdefault(_confirmation_key(e), []).append(e)
            if kind == "eingereicht":
                paper.einreichung = Einreichung(versions.get((dokument, number)), e["zeit"],
                                                paper.einreichung.fassung, _submitter(e) or "")
            elif kind == "neufassung":
                paper.einreichung = Einreichung(None, "", e["fassung"])
        for e in entries:
            if e.get("ereignis") != "ausstehend":
                continue
            if e["id"] in summary.abandoned_ids:
                summary.abandoned |= set(e["dateien"])
            elif not any(_without_chain(c) == e["nachher"]
                         for c in confirmations.get(_confirmation_key(e["nachher"]), [])):
                summary.pending.append(e)
        for v in versions.values():
            summary.abandoned -= v.dateien().keys()  # filed later under an abandoned name
        return summary

    def contradicted(self, entry: dict[str, Any]) -> bool:
        """A pending entry whose version (or PDF) the log names already, differently: not a
        build that was cut off, but a log edited afterwards."""
        paper = self.papers.get(entry["dokument"])
        latest = paper.latest if paper is not None else None
        if latest is None or latest.version != entry["version"]:
            return False
        return entry["nachher"].get("ereignis") == "version" or latest.pdf is not None

    # --- the index -----------------------------------------------------------------------------

    def to_index(self) -> dict[str, Any]:
        papers = {}
        for name, paper in self.papers.items():
            submitted = paper.einreichung.version
            papers[name] = {"neueste": asdict(paper.latest) if paper.latest else None,
                            "nummer": paper.nummer, "zeit": paper.einreichung.zeit,
                            "fassung": paper.einreichung.fassung, "von": paper.einreichung.von,
                            "eingereicht": submitted.version if submitted else None}
        return {"papiere": papers, "ausstehend": self.pending, "verworfen": sorted(self.abandoned_ids),
                "verworfene_dateien": sorted(self.abandoned), "dateien": self.named,
                "versionen": self.versions, "dateianzahl": self.files}

    @classmethod
    def from_index(cls, data: dict[str, Any]) -> _Summary:
        """The summary an index holds; KeyError, TypeError or ValueError if it is not one."""
        summary = cls(pending=list(data["ausstehend"]), abandoned_ids=set(data["verworfen"]),
                      abandoned=set(data["verworfene_dateien"]), named=dict(data["dateien"]),
                      versions=int(data["versionen"]), files=int(data["dateianzahl"]))
        for name, fields_ in data["papiere"].items():
            latest = _version(fields_["neueste"]) if fields_["neueste"] is not None else None
            submitted = fields_["eingereicht"]
            if submitted is not None and (latest is None or latest.version != submitted):
                raise ValueError("eingereichte Version ist nicht die neueste")
            summary.papers[name] = _Paper(latest, int(fields_["nummer"]), Einreichung(
                latest if submitted is not None else None, fields_["zeit"], fields_["fassung"],
                str(fields_["von"])))
        if not all(isinstance(e, dict) and isinstance(e.get("dateien"), dict) for e in summary.pending):
            raise ValueError("ausstehende Einträge")
        return summary


def _versions(entries: list[dict[str, Any]], versions: dict | None = None,
              start: int = 0) -> dict[tuple[Any, Any], Version]:
    """The archived versions, in the order of the log (continuing `versions` from entry `start`)."""
    versions = {} if versions is None else versions
    for entry in entries[start:]:
        kind, key = entry.get("ereignis"), (entry.get("dokument"), entry.get("version"))
        if kind == "version":
            versions[key] = _version(entry)
        elif kind == "pdf" and key in versions:
            v = versions[key]
            v.pdf, v.pdf_sha256 = entry["pdf"], entry["pdf_sha256"]
            v.pdf_docx_sha256 = entry["pdf_docx_sha256"]
        elif kind == "eingereicht" and key in versions:
            versions[key].eingereicht, versions[key].eingereicht_von = entry["zeit"], _submitter(entry)
    return versions


def _parse(text: str, path: Path, first: int, previous: str) -> tuple[list[dict[str, Any]], list[int], str]:
    """The entries of complete lines, the numbers of lines whose `vorher` is not the hash of the
    line before, and the hash of the last line."""
    entries: list[dict[str, Any]] = []
    broken = []
    start, number, size = 0, first, len(text)
    while start < size:
        stop = text.index("\n", start)
        line = text[start:stop]
        try:
            entry, end = _scan(text, start)  # the common case: one object, exactly the line
            if end != stop:
                raise ValueError
        except (ValueError, StopIteration):
            try:
                entry = json.loads(line)
            except ValueError as exc:
                raise ArchivFehler(f"{display_path(path)}, Zeile {number}: beschädigt ({exc})") from None
        if not isinstance(entry, dict):
            raise ArchivFehler(f"{display_path(path)}, Zeile {number}: beschädigt (kein Objekt)")
        if entry.get("vorher") != previous:
            broken.append(number)
        previous = sha256(line.encode("utf-8"))
        entries.append(entry)
        start, number = stop + 1, number + 1
    return entries, broken, previous


def _decode(raw: bytes, path: Path) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArchivFehler(f"{display_path(path)} kann nicht gelesen werden ({exc})") from None
    return text.replace("\r\n", "\n") if "\r" in text else text  # as a text-mode read sees it


# --- the archive -------------------------------------------------------------------------------


class Archiv:
    """The archive of one output folder: the log as read at `open`, and what it says."""

    def __init__(self, ordner: Path) -> None:
        self.ordner = ordner
        self.torn = False  # the last line was cut off by a crash
        self.legacy = False  # entries taken from a format-1 manifest.json, not yet in the log
        self._summary = _Summary()
        self._regular = True  # the summary was followed entry by entry (else: from all entries)
        self._entries: list[dict[str, Any]] | None = []  # all entries; None while only the index was read
        self._raw = b""  # the complete lines of the log as read
        self._added: list[dict[str, Any]] = []  # entries appended since
        self._digest = hashlib.sha256()  # of the complete lines, kept current on every append
        self._length = 0
        self._lines = 0
        self._last = ""  # sha256 of the last line
        self._broken: list[int] = []  # lines whose `vorher` does not match
        self._indexed: int | None = None  # lines the index on disk covers (None: none that fits)
        self._cached: tuple[int, dict[tuple[Any, Any], Version]] | None = None

    @classmethod
    def open(cls, ausgabe: Path) -> Archiv:
        archive = cls(ausgabe / ARCHIV_ORDNER)
        path = archive.ordner / MANIFEST
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            legacy = _legacy_entries(archive.ordner)
            archive._follow_all(legacy)
            archive.legacy = bool(legacy)
            return archive
        except OSError as exc:
            raise ArchivFehler(f"{display_path(path)} kann nicht gelesen werden ({exc})") from None
        complete = raw.rfind(b"\n") + 1
        archive.torn = complete < len(raw)  # a complete log ends with a line break
        archive._raw = raw[:complete] if archive.torn else raw
        if not archive._from_index():
            archive._read_whole()
        archive._write_index_if_due()
        return archive

    def _read_whole(self) -> None:
        """Read every line of the log and derive everything from it."""
        entries, self._broken, self._last = _parse(_decode(self._raw, self.ordner / MANIFEST),
                                                   self.ordner / MANIFEST, 1, "")
        self._digest = hashlib.sha256(self._raw)
        self._length, self._lines = len(self._raw), len(entries)
        for entry in self._added:  # appended by this process after the log was read
            self._note_line(json.dumps(entry, ensure_ascii=False))
        self._follow_all(entries + self._added)

    def _follow_all(self, entries: list[dict[str, Any]]) -> None:
        self._entries, self._cached = entries, None
        self._summary, self._regular = _Summary(), True
        try:
            for entry in entries:
                self._summary.apply(entry)
        except (_Irregular, KeyError, TypeError):
            self._summary, self._regular = _Summary.reference(entries), False

    def _from_index(self) -> bool:
        """Take the index if it was derived from the log's first bytes; read the lines after it."""
        path = self.ordner / MANIFEST
        try:
            body, _, rest = (self.ordner / INDEX).read_bytes().partition(b"\n")
            if rest != sha256(body).encode() + b"\n":
                return False
            index = json.loads(body)
            length, lines = index["laenge"], index["zeilen"]
            if index["format"] != _INDEX_FORMAT or type(length) is not int or type(lines) is not int \
                    or not 0 <= length <= len(self._raw) or (length and self._raw[length - 1] != 0x0A):
                return False
            digest = hashlib.sha256(memoryview(self._raw)[:length])
            if digest.hexdigest() != index["sha256"]:
                return False
            summary = _Summary.from_index(index)
            tail, broken, last = _parse(_decode(self._raw[length:], path), path, lines + 1,
                                        index["letzte"])
            for entry in tail:
                summary.apply(entry)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, _Irregular):
            return False
        digest.update(memoryview(self._raw)[length:])
        self._summary, self._entries, self._broken, self._last = summary, None, broken, last
        self._digest, self._length, self._lines = digest, len(self._raw), lines + len(tail)
        self._indexed = lines
        return True

    def _write_index_if_due(self) -> None:
        """Write the index anew when none fits or many lines lie past it (a cache: failures pass)."""
        if self._indexed is not None and self._lines - self._indexed < _INDEX_AFTER:
            return
        if not self._regular or self.legacy or self._broken or self._summary.pdf_problems():
            return  # only a clean log is summarised; anything else is read whole every time
        body = json.dumps({"format": _INDEX_FORMAT, "laenge": self._length,
                           "sha256": self._digest.hexdigest(), "zeilen": self._lines,
                           "letzte": self._last, **self._summary.to_index()},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        tmp = self.ordner / f"{INDEX}.{os.getpid()}.tmp"
        try:
            tmp.write_bytes(body + b"\n" + sha256(body).encode() + b"\n")
            os.replace(tmp, self.ordner / INDEX)
        except OSError:
            tmp.unlink(missing_ok=True) if tmp.exists() else None
            return
        self._indexed = self._lines

    def _whole(self) -> list[dict[str, Any]]:
        """All entries; reads the whole log if only the index and the lines after it were read."""
        if self._entries is None:
            self._read_whole()
        assert self._entries is not None
        return self._entries

    # --- reading the log -----------------------------------------------------------------------

    @property
    def eintraege(self) -> list[dict[str, Any]]:
        """The log's entries, in order."""
        return self._whole()

    @property
    def versionen(self) -> list[Version]:
        # Derived from the log; kept current entry by entry (a large archive has many).
        entries = self._whole()
        if self._cached is None or self._cached[0] > len(entries):
            self._cached = (0, {})
        self._cached = (len(entries), _versions(entries, self._cached[1], self._cached[0]))
        return list(self._cached[1].values())

    def anzahl_versionen(self) -> int:
        return self._summary.versions

    def of(self, dokument: str) -> list[Version]:
        return [v for v in self.versionen if v.dokument == dokument]

    def latest(self, dokument: str) -> Version | None:
        paper = self._summary.papers.get(dokument)
        return paper.latest if paper else None

    def find(self, dokument: str, version: int) -> Version:
        for v in self.of(dokument):
            if v.version == version:
                return v
        known = ", ".join(f"v{v.version}" for v in self.of(dokument)) or "keine"
        raise ArchivFehler(f"Version v{version} von „{dokument}“ gibt es nicht (vorhanden: {known})")

    def einreichung(self, dokument: str) -> Einreichung:
        """Whether the paper is frozen (submitted, no Neufassung since) and its Fassung."""
        paper = self._summary.papers.get(dokument)
        if paper is None:
            return Einreichung()
        state = paper.einreichung
        return Einreichung(state.version, state.zeit, state.fassung, state.von)

    def pending(self) -> list[dict[str, Any]]:
        """Pending entries that no later entry confirmed (or abandoned)."""
        return list(self._summary.pending)

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
        paper = self._summary.papers.get(dokument)
        number = (paper.nummer if paper else 0) + 1
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

    def submit(self, dokument: str, version: Version, von: str = "") -> str:
        """Record that a version was submitted to a committee (and by whom); return the time."""
        when = now()
        self._append({"ereignis": "eingereicht", "dokument": dokument,
                      "version": version.version, "zeit": when, **({"von": von} if von else {})})
        return when

    def revise(self, dokument: str, von: str = "") -> int:
        """Start a Neufassung of a submitted paper (recording by whom); return its number."""
        fassung = self.einreichung(dokument).fassung + 1
        self._append({"ereignis": "neufassung", "dokument": dokument, "fassung": fassung,
                      "zeit": now(), **({"von": von} if von else {})})
        return fassung

    def recover(self) -> list[str]:
        """Confirm pending entries whose files are complete, abandon the others (build lock held)."""
        notes = []
        for entry in self.pending():
            if self._summary.contradicted(entry):
                continue  # an edited log: `check` reports it, the build refuses to go on
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
        from .output import fsync_folder

        self._append({"ereignis": "ausstehend", "dokument": dokument, "version": version,
                      "id": sha256(_canonical(confirmation).encode())[:16],
                      "dateien": {p: sha256(d) for p, d in files.items()},
                      "nachher": confirmation})
        for relative, data in files.items():
            self._place(relative, data)
        for folder in {(self.ordner / relative).parent for relative in files}:
            fsync_folder(folder)  # the names are durable before the entry that confirms them
        self._append(confirmation)

    def _empty_placeholder(self, relative: str) -> bool:
        """An empty file under a name only abandoned entries used (a confirmed version's name
        leaves `abandoned`): never an archived file."""
        if relative not in self._summary.abandoned:
            return False
        try:
            return (self.ordner / relative).stat().st_size == 0
        except OSError:
            return False

    def _place(self, relative: str, data: bytes) -> None:
        """Put a read-only file into the archive; never replace one that is there."""
        from .output import _remove_quietly, link_without_replacing, write_temp

        target = self.ordner / relative
        folder = target.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = write_temp(folder, target.name, data)
        except OSError as exc:
            raise schreibfehler(target, exc) from None
        try:
            try:
                link_without_replacing(tmp, target)
            except FileExistsError:
                if not self._empty_placeholder(relative):
                    raise
                # Without hard links a build killed between claiming the name and filling it
                # leaves an empty file; its entry was abandoned, so the name is free again.
                os.chmod(target, 0o644)
                target.unlink()
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

    def _append(self, entry: dict[str, Any]) -> None:
        """Append one entry to the log, chained to the one before, and flush it to disk."""
        path = self.ordner / MANIFEST
        try:
            self.ordner.mkdir(parents=True, exist_ok=True)
            if self.legacy:
                self._take_over_legacy()
            elif self.torn:
                self._drop_torn_line()
            entry = {**entry, "vorher": self._last}
            line = json.dumps(entry, ensure_ascii=False, sort_keys=False)
            with open(path, "a", encoding="utf-8", newline="\n") as handle:
                handle.write(line + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise schreibfehler(path, exc) from None
        self._note_line(line)
        self._added.append(entry)
        if self._entries is not None:
            self._entries.append(entry)
        if not self._regular:
            self._summary = _Summary.reference(self._whole())
        else:
            try:
                self._summary.apply(entry)
            except (_Irregular, KeyError, TypeError):
                self._follow_all(self._whole())
        self._write_index_if_due()

    def _note_line(self, line: str) -> None:
        data = line.encode("utf-8") + b"\n"
        self._digest.update(data)
        self._length += len(data)
        self._lines += 1
        self._last = sha256(data[:-1])

    def _drop_torn_line(self) -> None:
        """Cut off a line a crash left incomplete (its entry never counted)."""
        from .output import write_atomic

        write_atomic(self.ordner / MANIFEST, self._raw)
        self.torn = False

    def _take_over_legacy(self) -> None:
        """Write the versions of a format-1 manifest.json as the start of the log."""
        from .output import write_atomic

        lines: list[str] = []
        for entry in self._whole():
            lines.append(json.dumps({**entry, "vorher": sha256(lines[-1].encode()) if lines else ""},
                                    ensure_ascii=False))
        self._raw = "".join(f"{line}\n" for line in lines).encode("utf-8")
        write_atomic(self.ordner / MANIFEST, self._raw)
        self.legacy, self._added = False, []
        self._read_whole()

    # --- checking ------------------------------------------------------------------------------

    def check(self, contents: bool = True) -> tuple[list[str], list[str]]:
        """(problems, notes) of the whole archive.

        Problems: a broken chain, files missing or altered, a PDF not made from its docx, files no
        entry names, archived files without a log. With contents=False the files' hashes are not
        computed (the quick check before every build, from the index and the lines after it);
        with contents=True the whole log is read and every line's chain link checked.
        """
        problems, notes = [], []
        path = self.ordner / MANIFEST
        present = _present(self.ordner)
        hashes = _hash_files(self.ordner, present) if contents else {}
        if contents and self._entries is None:
            self._read_whole()  # never the index alone
        if self.torn:
            notes.append(f"{display_path(path)}: letzte Zeile unvollständig (abgebrochener Build); "
                         "der nächste Build bereinigt sie")
        for number in [] if self.legacy else self._broken:
            problems.append(f"{display_path(path)}, Zeile {number}: die Kette der Einträge ist "
                            "unterbrochen (ein Eintrag davor wurde verändert oder entfernt)")
        summary = self._summary
        for pdf, docx in summary.pdf_problems():
            problems.append(f"{display_path(self.ordner / pdf)}: wurde nicht aus "
                            f"{display_path(self.ordner / docx)} erzeugt")
        for entry in summary.pending:
            if summary.contradicted(entry):
                problems.append(f"{display_path(path)}: der Eintrag zu {entry['dokument']} "
                                f"v{entry['version']} passt nicht zu seiner Ankündigung (der "
                                "Eintrag oder seine Datei wurde nachträglich verändert)")
                continue
            notes.append(f"{entry['dokument']} v{entry['version']}: von einem abgebrochenen Build "
                         "abgelegt, noch nicht bestätigt; der nächste Build übernimmt oder verwirft "
                         "die Version")
        unconfirmed = summary.unconfirmed()
        there = set(present)
        for relative, expected_hash in summary.named.items():
            if relative in unconfirmed:
                continue  # not (yet) a version: checked when the next build confirms it
            if relative not in there and contents:  # a name the listing does not show
                hashes |= _hash_files(self.ordner, [relative])
            if relative in there or (self.ordner / relative).exists():
                actual = hashes.get(relative, expected_hash) if contents else expected_hash
            else:
                actual = None
            if actual is None:
                problems.append(f"{display_path(self.ordner / relative)}: fehlt")
            elif actual != expected_hash:
                problems.append(f"{display_path(self.ordner / relative)}: verändert "
                                "(Prüfsumme stimmt nicht)")
        if present and not self._lines and not self.legacy:
            problems.append(f"{display_path(path)} fehlt, obwohl das Archiv "
                            f"{len(present)} Dateien enthält")
        else:
            for relative in sorted(there.difference(summary.named)):
                problems.append(f"{display_path(self.ordner / relative)}: steht in keinem Eintrag "
                                "des Archivs (fremde oder nachträglich abgelegte Datei)")
        return problems, notes

    def anzahl_dateien(self) -> int:
        """How many files the versions hold (docx, PDF, data snapshot)."""
        return self._summary.files

    def require_intact(self) -> None:
        """Refuse to file new versions into an archive that does not add up."""
        problems, _ = self.check(contents=False)
        if problems:
            raise ArchivFehler("\n".join([
                "Das Archiv ist nicht in Ordnung; es werden keine neuen Versionen abgelegt, "
                "bis das geklärt ist (ratsdoc archiv pruefen):", *problems]))


def _present(ordner: Path) -> list[str]:
    """The files and folders one level down in the archive ("dokument/name"), hidden ones aside,
    and any file beside the log that is not ratsdoc's (a name without "/")."""
    names: list[str] = []
    try:
        folders = list(os.scandir(ordner))
    except OSError:
        return names
    for folder in folders:
        if not folder.is_dir():
            if not folder.name.startswith(".") and folder.name not in (MANIFEST, ALTES_MANIFEST):
                names.append(folder.name)
        else:
            try:
                names += [f"{folder.name}/{n}" for n in os.listdir(folder.path) if not n.startswith(".")]
            except OSError:
                continue
    return names


def _hash_files(ordner: Path, names: list[str]) -> dict[str, str | None]:
    """sha256 of each file (None where it cannot be read), in threads: hashlib and reads release
    the lock the interpreter holds, so that both cores work."""
    import threading

    results: dict[str, str | None] = {}
    base = os.fspath(ordner)
    binary = os.O_RDONLY | getattr(os, "O_BINARY", 0)

    def work(chunk: list[str]) -> None:
        for name in chunk:
            try:
                fd = os.open(os.path.join(base, name), binary)
            except OSError:
                results[name] = None
                continue
            try:
                digest = hashlib.sha256()
                while block := os.read(fd, 1 << 16):
                    digest.update(block)
                results[name] = digest.hexdigest()
            except OSError:
                results[name] = None
            finally:
                os.close(fd)

    count = max(1, min(4, os.cpu_count() or 1)) if len(names) > 64 else 1
    threads = [threading.Thread(target=work, args=(names[i::count],)) for i in range(1, count)]
    for thread in threads:
        thread.start()
    work(names[0::count])
    for thread in threads:
        thread.join()
    return results


def _confirmation_key(entry: dict[str, Any]) -> tuple:
    return (entry.get("ereignis"), entry.get("dokument"), entry.get("version"),
            entry.get("docx"), entry.get("pdf"))


def _confirms(entry: dict[str, Any], announced: dict[str, Any]) -> bool:
    """The entry is the announced one, chained (as _without_chain(entry) == announced)."""
    if "vorher" not in entry:
        return entry == announced
    return "vorher" not in announced and {**announced, "vorher": entry["vorher"]} == entry


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
    archive = ausgabe / ARCHIV_ORDNER
    folders = [ausgabe, archive] + [archive / name for name in _listing(archive)]
    for folder in folders:  # os.listdir: an archive folder can hold many thousand files
        for name in _listing(folder):
            if name.startswith(".") and name.endswith(".tmp") and len(name) > 4:
                (folder / name).unlink(missing_ok=True)


def _listing(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:  # missing, or not a folder
        return []


def file_hashes(paths: list[Path]) -> dict[str, str]:
    return {display_path(p): sha256(p.read_bytes()) for p in sorted(set(paths)) if p.exists()}


def git_commit(folder: Path) -> str | None:
    """The commit of the data folder, with '+' when it has uncommitted changes; None outside git."""
    import subprocess

    try:
        head = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--", "."],
                               capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+" if dirty.strip() else "")
