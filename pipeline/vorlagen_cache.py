"""What ratsdoc learns from a template once (its mistakes, its placeholders, its compiled code),
and which papers passed `check` with exactly their inputs, kept per user.

Templates change rarely; analysing one costs 50–150 ms, so every build and `check` would pay
it again for every template. The results are stored by the sha256 of their input and of
ratsdoc's code (`code_fingerprint`, also the base of the build's output cache), like Python's
own __pycache__: a changed template or a new ratsdoc version is analysed anew, and a lost or
damaged cache only costs time.

Location: RATSDOC_CACHE if set (empty: no cache), else %LOCALAPPDATA%\\ratsdoc\\Cache on
Windows, else $XDG_CACHE_HOME/ratsdoc or ~/.cache/ratsdoc.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

KEEP_DAYS = 60  # entries older than this are deleted now and then (`prune`)
# Every library whose upgrade can change a paper: also the YAML reader of the data, the escaping
# of every value, and Pillow, which writes matplotlib's PNG.
_LIBRARIES = ("docxtpl", "docx", "jinja2", "markupsafe", "yaml", "babel", "matplotlib", "PIL",
              "lxml", "markdown_it", "pydantic", "pydantic_core")


def cache_folder() -> Path | None:
    return _folder(os.environ.get("RATSDOC_CACHE"), os.environ.get("XDG_CACHE_HOME"))


@functools.lru_cache(maxsize=8)
def _folder(configured: str | None, xdg: str | None) -> Path | None:
    if configured is not None:
        return Path(configured) if configured else None
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "ratsdoc" / "Cache"
    base = xdg or str(Path.home() / ".cache")
    return Path(base) / "ratsdoc"


@functools.cache
def code_fingerprint() -> bytes:
    """ratsdoc's own source, Python's version and the versions of the libraries that shape
    the output: what every cached result (and the build's output cache) depends on."""
    from importlib.util import find_spec

    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(Path(__file__).parent.rglob("*.py")):  # the kinds' modules too
        digest.update(path.read_bytes())
    for module in _LIBRARIES:
        # Found, not imported (check need not load docxtpl): an upgrade rewrites the package's
        # __init__.py, which changes its size or time. Cheaper than importlib.metadata here.
        spec = find_spec(module)
        origin = spec.origin if spec is not None else None
        try:
            stat = os.stat(origin) if origin else None
        except OSError:  # inside a zip or egg: its path (and so its version) has to do
            stat = None
        digest.update(f"{module}={origin}:{stat and (stat.st_size, stat.st_mtime_ns)}".encode())
    return digest.digest()


def analysed(kind: str, content: bytes, analyse: Callable[[], list[str]]) -> list[str]:
    """analyse() of a template's bytes, or what it returned before for these very bytes.

    analyse must work on `content`, never read the file again: a template saved meanwhile is
    not remembered under its earlier bytes. Only results are kept: a template that raises (not
    a .docx, a syntax error) is analysed again each time, so its error message always names the
    file it came from.
    """
    raw = remembered(kind, content, lambda: json.dumps(analyse(), ensure_ascii=False).encode())
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return analyse()  # a damaged entry: only costs time


def entry_key(kind: str, content: bytes) -> str:
    return hashlib.sha256(code_fingerprint() + kind.encode() + b"\0" + content).hexdigest()


def remembered(kind: str, content: bytes, compute: Callable[[], bytes]) -> bytes:
    """compute(), or what it returned before for this content (and this ratsdoc)."""
    folder = cache_folder()
    if folder is None:
        return compute()
    key = entry_key(kind, content)
    entry = _entry(folder, kind, key)
    try:
        stored = entry.read_bytes()
        # Each entry begins with the sha256 of its value: a damaged one is computed anew.
        if hashlib.sha256(stored[32:]).digest() == stored[:32]:
            return stored[32:]
    except OSError:
        pass
    value = compute()
    _store(entry, hashlib.sha256(value).digest() + value)
    if key.startswith("00"):  # about one store in 256
        prune(folder)
    return value


def forget(kind: str, content: bytes) -> None:
    """Delete what was remembered for this content, if anything."""
    folder = cache_folder()
    if folder is not None:
        try:
            _entry(folder, kind, entry_key(kind, content)).unlink(missing_ok=True)
        except OSError:
            pass  # a cache that cannot be written: the entry stays, as would any other


def _entry(folder: Path, kind: str, key: str) -> Path:
    return folder / kind / key[:2] / key


def prune(folder: Path, days: int = KEEP_DAYS) -> int:
    """Delete entries written more than `days` ago; return how many.

    Entries are never rewritten when used, so one still in use is computed once more after
    that: the cost of a cache that does not grow with every build for ever. Only what this
    module writes is deleted (KIND/ab/ab…64 hex digits, and its own temporary files), never
    through a symbolic link: RATSDOC_CACHE may name a folder that holds other files too.
    """
    import stat
    import time

    limit, removed = time.time() - days * 86400, 0
    for kind in _folders(folder):
        for prefix in _folders(folder / kind):
            if not _HEX.fullmatch(prefix) or len(prefix) != 2:
                continue
            for name in _listing(folder / kind / prefix):
                if not ((_HEX.fullmatch(name) and len(name) == 64 and name.startswith(prefix))
                        or name.startswith(".tmp-")):
                    continue
                path = folder / kind / prefix / name
                try:
                    info = path.lstat()
                    if stat.S_ISREG(info.st_mode) and info.st_mtime < limit:
                        path.unlink()
                        removed += 1
                except OSError:
                    continue  # gone meanwhile, or not ours to delete
    return removed


_HEX = re.compile(r"[0-9a-f]+")


def _folders(folder: Path) -> list[str]:
    """The real folders in a folder (no symbolic links, no junctions)."""
    try:
        with os.scandir(folder) as entries:
            return [e.name for e in entries if e.is_dir(follow_symlinks=False)
                    and not getattr(e.stat(follow_symlinks=False), "st_file_attributes", 0)
                    & 0x400]  # FILE_ATTRIBUTE_REPARSE_POINT: a Windows junction
    except OSError:
        return []


def _listing(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def _store(entry: Path, value: bytes) -> None:
    # Atomic (temp file and rename) but not synced: a cache needs no durability.
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(value)
            os.replace(temp, entry)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # a cache that cannot be written only costs time
