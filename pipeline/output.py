"""Write stage: atomic file writes and the build lock.

Every write goes to a temp file in the target's folder, is flushed to disk and then renamed over
the target, so that readers see the old file or the new one, never a part. A write that fails
(disk full, read-only folder, file open in Word) removes its temp file and raises AusgabeFehler
with a German message; the previous file is untouched.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import AusgabeFehler, display_path, os_fehlertext, schreibfehler

LOCK_NAME = ".ratsdoc.lock"
WINDOWS = os.name == "nt"


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp creates files with mode 0600; a written document gets the mode any new file would get.
# (On Windows only the read-only flag exists; 0o666 leaves it off.)
FILE_MODE = 0o666 & ~_current_umask()


def write_temp(folder: Path, name: str, data: bytes, mode: int | None = None) -> Path:
    """Write data to a new temp file in folder, flushed to disk; remove it again on failure."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
    except BaseException:
        _remove_quietly(Path(tmp))
        raise
    return Path(tmp)


def link_without_replacing(tmp: Path, target: Path) -> None:
    """Give tmp's complete content the name target; raise FileExistsError if target exists.

    os.link does this atomically. Where hard links are not available (FAT/exFAT USB sticks, some
    network shares), the name is first claimed with O_CREAT | O_EXCL, which also refuses an
    existing file, and the complete temp file is then renamed onto that empty placeholder. A build
    killed in between leaves an empty file (which the archive's log tells apart).
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


def write_new(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write a file that must not exist yet, atomically; FileExistsError (nothing written) if
    it does, even when it appeared meanwhile. Other failures are German AusgabeFehler."""
    try:
        tmp = write_temp(path.parent, path.name, data, FILE_MODE if mode is None else mode)
    except OSError as exc:
        raise schreibfehler(path, exc) from None
    try:
        link_without_replacing(tmp, path)
    except FileExistsError:
        raise
    except OSError as exc:
        raise schreibfehler(path, exc) from None
    finally:
        _remove_quietly(tmp)
    fsync_folder(path.parent)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace path with data so that readers see the old or the new file, never a part."""
    try:
        tmp = write_temp(path.parent, path.name, data, FILE_MODE)
    except OSError as exc:
        raise schreibfehler(path, exc) from None
    try:
        os.replace(tmp, path)
    except OSError as exc:
        _remove_quietly(tmp)
        raise schreibfehler(path, exc) from None
    except BaseException:
        _remove_quietly(tmp)
        raise
    fsync_folder(path.parent)


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass  # nothing more can be done; remove_stale_temp_files clears it under the next lock


def fsync_folder(folder: Path) -> None:
    """Make a rename durable by syncing its folder, where the system allows it.

    Windows cannot open a folder as a file (and NTFS journals renames); some file systems refuse
    fsync on a folder (EINVAL). Both are skipped; a real I/O error is reported.
    """
    if WINDOWS:
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.EROFS, errno.EACCES,
                             getattr(errno, "ENOTSUP", errno.EINVAL)):
            raise schreibfehler(folder, exc) from None
    finally:
        os.close(fd)


def ensure_free_space(folder: Path, needed: int) -> None:
    """Refuse to start writing when the folder's disk has less than needed bytes free.

    A build that checks this before its first write fails with nothing changed, instead of
    stopping half-way with some documents new and some old.
    """
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return  # unknown: the writes themselves still fail cleanly
    if free < needed:
        raise AusgabeFehler(
            f"Kein Platz mehr auf dem Datenträger von {display_path(folder)}: gebraucht werden "
            f"etwa {_megabytes(needed)}, frei sind {_megabytes(free)}. Es wurde nichts geschrieben."
        )


def _megabytes(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB".replace(".", ",")


@contextmanager
def build_lock(ausgabe: Path) -> Iterator[None]:
    """Serialise builds that write into the same output folder."""
    try:
        ausgabe.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AusgabeFehler(
            f"Ausgabeordner {display_path(ausgabe)} kann nicht angelegt werden: {os_fehlertext(exc)}"
        ) from None
    lock_path = ausgabe / LOCK_NAME
    _check_writable(ausgabe, lock_path)
    lock = FileLock(lock_path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise AusgabeFehler(
            f"In {display_path(ausgabe)} läuft gerade ein anderer Build "
            f"(Sperrdatei {LOCK_NAME}). Bitte warten und erneut versuchen."
        ) from None
    except OSError as exc:
        raise AusgabeFehler(f"Sperrdatei {display_path(lock_path)} kann nicht angelegt werden: "
                            f"{os_fehlertext(exc)}") from None
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
    except OSError as exc:
        if not lesen:
            raise AusgabeFehler(f"Der Datenordner {display_path(ordner)} kann nicht geschrieben "
                                f"werden: {os_fehlertext(exc)}") from None
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


def _check_writable(ausgabe: Path, lock_path: Path) -> None:
    """A read-only output folder is reported as such (filelock would report it as 'busy')."""
    try:
        fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o666)
    except OSError as exc:
        raise AusgabeFehler(f"In den Ausgabeordner {display_path(ausgabe)} kann nicht geschrieben "
                            f"werden: {os_fehlertext(exc)}") from None
    os.close(fd)
