"""Write stage: atomic file writes and the build lock."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import AusgabeFehler, display_path

LOCK_NAME = ".ratsdoc.lock"


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp creates files with mode 0600; a written document gets the mode any new file would get.
FILE_MODE = 0o666 & ~_current_umask()


def write_atomic(path: Path, data: bytes) -> None:
    """Replace path with data so that readers see the old or the new file, never a part."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def build_lock(ausgabe: Path) -> Iterator[None]:
    """Serialise builds that write into the same output folder."""
    try:
        ausgabe.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AusgabeFehler(
            f"Ausgabeordner {display_path(ausgabe)} kann nicht angelegt werden ({exc.strerror})"
        ) from None
    lock = FileLock(ausgabe / LOCK_NAME)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise AusgabeFehler(
            f"In {display_path(ausgabe)} läuft gerade ein anderer Build "
            f"(Sperrdatei {LOCK_NAME}). Bitte warten und erneut versuchen."
        ) from None
    try:
        yield
    finally:
        lock.release()


DATEN_LOCK_NAME = ".ratsdoc-daten.lock"
DATEN_LOCK_SECONDS = 60


@contextmanager
def data_lock(ordner: Path, lesen: bool = False) -> Iterator[None]:
    """Serialise the commands that write a data folder (status, imports, web edits).

    Unlike the build lock it waits: two clerks saving at once both land, one after the other.
    A reader (`lesen`) of a folder it cannot write to reads without the lock.
    """
    lock = FileLock(ordner / DATEN_LOCK_NAME)
    try:
        lock.acquire(timeout=DATEN_LOCK_SECONDS)
    except OSError:
        if not lesen:
            raise
        yield
        return
    except Timeout:
        raise AusgabeFehler(
            f"Der Datenordner {display_path(ordner)} wird seit {DATEN_LOCK_SECONDS} s von einem "
            f"anderen Vorgang bearbeitet (Sperrdatei {DATEN_LOCK_NAME}). Bitte erneut versuchen."
        ) from None
    try:
        yield
    finally:
        lock.release()
