"""The versioned archive: output/archiv/<dokument>/<datum>_v<n>.docx (+ .pdf) and a manifest.

Archived files are never overwritten or deleted: each is linked into place with os.link, which
refuses an existing name, and made read-only. The manifest is replaced atomically, after the
files it names exist. A build killed in between leaves a complete file that the manifest does not
name yet; the next build adopts it when its content is the one to archive.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import __version__
from .errors import RatsdocError, display_path, schreibfehler
from .output import _remove_quietly, fsync_folder, write_atomic, write_temp

ARCHIV_ORDNER = "archiv"
MANIFEST = "manifest.json"
OHNE_DATUM = "ohne-datum"  # the version name of a paper that carries no date
_VERSION_NAME = re.compile(r"^(?P<datum>\d{4}-\d{2}-\d{2}|ohne-datum)_v(?P<nr>\d+)\.(?P<ext>docx|pdf)$")


class ArchivFehler(RatsdocError):
    """The archive is missing, altered or cannot be written."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Version:
    dokument: str
    version: int
    datum: str
    docx: str  # path relative to the archive folder
    docx_sha256: str
    pdf: str | None = None
    pdf_sha256: str | None = None
    eingaben: dict[str, str] = field(default_factory=dict)  # input file → sha256
    ratsdoc: str = __version__
    git_commit: str | None = None
    zeit: str = ""


@dataclass
class Archiv:
    ordner: Path
    versionen: list[Version]

    @classmethod
    def open(cls, ausgabe: Path) -> Archiv:
        ordner = ausgabe / ARCHIV_ORDNER
        manifest = ordner / MANIFEST
        if not manifest.exists():
            return cls(ordner, [])
        try:
            raw = json.loads(manifest.read_text(encoding="utf-8"))
            versionen = [Version(**entry) for entry in raw["versionen"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise ArchivFehler(f"Manifest {display_path(manifest)} ist beschädigt ({exc})") from None
        return cls(ordner, versionen)

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

    # --- writing -------------------------------------------------------------------------------

    def file(self, dokument: str, docx: bytes, datum: dt.date | None, eingaben: dict[str, str],
             git_commit: str | None, pdf: bytes | None = None) -> Version | None:
        """Archive a document unless its bytes equal the latest version; return the new version.

        The files are in place when this returns; call save() to record them in the manifest.
        """
        latest = self.latest(dokument)
        if latest is not None and latest.docx_sha256 == sha256(docx):
            if pdf is not None and latest.pdf is None:
                latest.pdf = self._place(dokument, f"{Path(latest.docx).stem}.pdf", pdf)
                latest.pdf_sha256 = sha256(pdf)
                self._changed = True
            return None
        folder = self.ordner / dokument
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise schreibfehler(folder, exc) from None
        number = max([v.version for v in self.of(dokument)] + [0]) + 1
        while True:
            stem = f"{datum.isoformat() if datum else OHNE_DATUM}_v{number}"
            existing = folder / f"{stem}.docx"
            if (not existing.exists() or existing.stat().st_size == 0  # placeholder, see _place
                    or sha256(existing.read_bytes()) == sha256(docx)):
                break
            number += 1  # a complete file of another content from a killed build: skip it
        version = Version(
            dokument=dokument, version=number, datum=datum.isoformat() if datum else "",
            docx=self._place(dokument, f"{stem}.docx", docx), docx_sha256=sha256(docx),
            eingaben=eingaben, git_commit=git_commit,
            zeit=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        )
        if pdf is not None:
            version.pdf = self._place(dokument, f"{stem}.pdf", pdf)
            version.pdf_sha256 = sha256(pdf)
        self.versionen.append(version)
        self._changed = True
        return version

    def save(self) -> None:
        """Record the versions filed since opening in the manifest (atomically)."""
        if getattr(self, "_changed", False):
            self._write_manifest()
            self._changed = False

    def _place(self, dokument: str, name: str, data: bytes) -> str:
        """Put a read-only file into the archive; never replace one that is there."""
        folder = self.ordner / dokument
        target = folder / name
        relative = f"{dokument}/{name}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if target.exists():
                if target.stat().st_size == 0:
                    target.unlink()  # a placeholder of a killed build (see _claim); no version
                elif sha256(target.read_bytes()) == sha256(data):
                    return relative  # left complete by a killed build: adopt it
                else:
                    raise ArchivFehler(f"{display_path(target)} existiert schon mit anderem Inhalt")
            tmp = write_temp(folder, name, data)
        except OSError as exc:
            raise schreibfehler(target, exc) from None
        try:
            _link_without_replacing(tmp, target)
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
            pass  # the manifest's checksum is the real protection
        fsync_folder(folder)
        return relative

    def _write_manifest(self) -> None:
        try:
            self.ordner.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise schreibfehler(self.ordner, exc) from None
        payload = {"format": 1, "versionen": [asdict(v) for v in self.versionen]}
        text = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
        write_atomic(self.ordner / MANIFEST, text.encode("utf-8"))

    # --- checking ------------------------------------------------------------------------------

    def check(self) -> tuple[list[str], list[str]]:
        """(problems, notes): missing or altered files; files the manifest does not name."""
        problems, named = [], set()
        for v in self.versionen:
            for relative, expected in ((v.docx, v.docx_sha256), (v.pdf, v.pdf_sha256)):
                if relative is None:
                    continue
                named.add(relative)
                path = self.ordner / relative
                if not path.exists():
                    problems.append(f"{display_path(path)}: fehlt")
                elif sha256(path.read_bytes()) != expected:
                    problems.append(f"{display_path(path)}: verändert (Prüfsumme stimmt nicht)")
        notes = []
        if self.ordner.exists():
            for path in sorted(self.ordner.glob("*/*")):
                relative = f"{path.parent.name}/{path.name}"
                if _VERSION_NAME.match(path.name) and relative not in named:
                    notes.append(f"{display_path(path)}: nicht im Manifest (von einem abgebrochenen "
                                 "Build; der nächste Build übernimmt sie)")
        return problems, notes


def _link_without_replacing(tmp: Path, target: Path) -> None:
    """Give tmp's complete content the name target; raise FileExistsError if target exists.

    os.link does this atomically. Where hard links are not available (FAT/exFAT USB sticks, some
    network shares), the name is first claimed with O_CREAT | O_EXCL, which also refuses an
    existing file, and the complete temp file is then renamed onto that empty placeholder. A build
    killed in between leaves an empty file, which _place recognises and replaces.
    """
    try:
        os.link(tmp, target)
        return
    except FileExistsError:
        raise
    except (OSError, AttributeError, NotImplementedError):
        pass  # no hard links here: claim the name instead
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
    os.close(fd)
    try:
        os.replace(tmp, target)
    except BaseException:
        _remove_quietly(target)
        raise


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
