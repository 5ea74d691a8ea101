"""Safe reading of Office files from outside (.docx, .xlsx): zip checks, size caps, no DTDs.

A file a clerk brings may be anything: a CSV renamed to .xlsx, a zip bomb, XML with entity
expansion. Every part is read with a cap on its real (not its declared) size, and XML is parsed
with lxml without entities, DTDs or network access.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from .errors import EingabeFehler

MAX_DATEI = 50 * 1024 * 1024  # the file itself
MAX_TEIL = 100 * 1024 * 1024  # one part, uncompressed
MAX_SUMME = 300 * 1024 * 1024  # all parts, uncompressed
MAX_TEILE = 5_000

# kind → (what it is not, what it is, its folder in the package)
_ART = {"docx": ("kein Word-Dokument (.docx)", "ein Word-Dokument (.docx)", "word/"),
        "xlsx": ("keine Excel-Arbeitsmappe (.xlsx)", "eine Excel-Arbeitsmappe (.xlsx)", "xl/")}
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def open_package(path: Path, art: str) -> zipfile.ZipFile:
    """Open an Office package of the expected kind ("docx" or "xlsx") or raise a German error."""
    name, _, folder = _ART[art]
    if not path.is_file():
        raise EingabeFehler(path, ["Datei nicht gefunden"])
    size = path.stat().st_size
    if size > MAX_DATEI:
        raise EingabeFehler(path, [f"ist mit {size // (1024 * 1024)} MB zu groß (höchstens "
                                   f"{MAX_DATEI // (1024 * 1024)} MB)"])
    with path.open("rb") as handle:
        head = handle.read(8)
    if not zipfile.is_zipfile(path):
        raise EingabeFehler(path, [f"ist {name}: {_what_else(head)}"])
    try:
        package = zipfile.ZipFile(path)
        infos = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise EingabeFehler(path, [f"ist {name}: das ZIP-Archiv ist beschädigt ({exc})"]) from None
    if len(infos) > MAX_TEILE:
        raise EingabeFehler(path, [f"ist {name}: {len(infos)} Teile sind zu viele"])
    if sum(i.file_size for i in infos) > MAX_SUMME:
        raise EingabeFehler(path, [f"ist {name}: entpackt zu groß (mehr als "
                                   f"{MAX_SUMME // (1024 * 1024)} MB)"])
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith(folder) for n in names):
        other = next((n for a, (_, n, f) in _ART.items()
                      if a != art and any(x.startswith(f) for x in names)), None)
        detail = f"es ist {other}" if other else "ein ZIP-Archiv, aber kein Office-Dokument"
        raise EingabeFehler(path, [f"ist {name}: {detail}"])
    return package


def _what_else(head: bytes) -> str:
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "es ist eine Datei im alten Office-Format (.doc/.xls); bitte als .docx/.xlsx speichern"
    if head.startswith(b"%PDF"):
        return "es ist ein PDF"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "kein ZIP-Archiv"
    return "es ist eine Textdatei (CSV?), kein ZIP-Archiv"


def read_part(package: zipfile.ZipFile, path: Path, part: str) -> bytes:
    """A part's bytes, read with a cap on its real size; XML with a DTD is refused."""
    try:
        with package.open(part) as handle:
            data = handle.read(MAX_TEIL + 1)
    except KeyError:
        raise EingabeFehler(path, [f"Teil {part} fehlt im Dokument"]) from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise EingabeFehler(path, [f"Teil {part} ist beschädigt ({exc})"]) from None
    if len(data) > MAX_TEIL:
        raise EingabeFehler(path, [f"Teil {part} ist entpackt größer als "
                                   f"{MAX_TEIL // (1024 * 1024)} MB"])
    if part.endswith((".xml", ".rels", ".vml")) and _DTD.search(data):
        raise EingabeFehler(path, [f"Teil {part} enthält eine DTD oder Entitäten (nicht erlaubt)"])
    return data


def check_all_parts(package: zipfile.ZipFile, path: Path) -> None:
    """Read every XML part once: caps and the DTD check before another library parses them."""
    for info in package.infolist():
        if info.filename.endswith((".xml", ".rels", ".vml")):
            read_part(package, path, info.filename)


def parse_xml(data: bytes, path: Path, part: str) -> Any:
    """Parse XML strictly and safely: no entities, no DTD, no network, no huge trees."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise EingabeFehler(path, [f"Teil {part} ist kein gültiges XML ({exc})"]) from None
    if root.getroottree().docinfo.doctype:
        raise EingabeFehler(path, [f"Teil {part} enthält eine DTD (nicht erlaubt)"])
    return root
