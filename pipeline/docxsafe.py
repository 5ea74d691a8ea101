"""Checks a .docx before python-docx or docxtpl open it.

A .docx is a zip of XML parts. Opened as they are, a hostile or broken one exhausts memory or
time (a part that unpacks to hundreds of megabytes, an XML entity bomb) or ends in a traceback
deep inside python-docx. check_docx looks at the bytes first, without unpacking more than the
limits allow, and raises VorlagenFehler with a German message:

- a zip at all (a Word 97 .doc or a password-protected .docx is an OLE file, not a zip);
- at most MAX_TEILE parts, none encrypted, each at most MAX_TEIL_BYTES unpacked (from the zip
  directory, before unpacking; zipfile stops at the declared size, so a lying directory cannot
  unpack more), all together at most MAX_GESAMT_BYTES, none compressed suspiciously strongly;
- every XML part well-formed, parsed without loading DTDs, without the network and without
  expanding entities; a DOCTYPE, which Word never writes, is refused.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path

from lxml import etree

from . import vorlagen_cache
from .errors import VorlagenFehler, os_fehlertext

MAX_DATEI_BYTES = 100_000_000  # the .docx file itself
MAX_TEIL_BYTES = 50_000_000  # one part, unpacked
MAX_GESAMT_BYTES = 200_000_000  # all parts, unpacked
MAX_TEILE = 2_000
# Unpacked/packed size above which a part larger than 1 MB is taken for a zip bomb. Word's XML
# packs about 10:1, the 10,000-measure catalogue's document.xml 25:1; zeros pack 1000:1.
MAX_VERDICHTUNG = 200

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                              dtd_validation=False, huge_tree=False)


def read_docx(path: Path) -> bytes:
    """A .docx file's bytes, checked with check_docx; VorlagenFehler if it is missing or unsafe."""
    try:
        size = path.stat().st_size
        if size > MAX_DATEI_BYTES:
            raise VorlagenFehler(path, f"ist {_mb(size)} groß; erlaubt sind höchstens "
                                       f"{_mb(MAX_DATEI_BYTES)}")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise VorlagenFehler(path, "Datei nicht gefunden") from None
    except OSError as exc:
        raise VorlagenFehler(path, f"kann nicht gelesen werden ({os_fehlertext(exc)})") from None
    check_docx(path, raw)
    return raw


def check_docx(path: Path, raw: bytes) -> None:
    """Raise VorlagenFehler(path, …) unless raw is a .docx that is safe to open."""
    if len(raw) > MAX_DATEI_BYTES:
        raise VorlagenFehler(path, f"ist {_mb(len(raw))} groß; erlaubt sind höchstens "
                                   f"{_mb(MAX_DATEI_BYTES)}")
    # A build opens each template several times; content that passed once passes again.
    digest = hashlib.sha256(raw).digest()
    if digest in _GEPRUEFT:
        return
    vorlagen_cache.remembered("geprueft", raw, lambda: _checked(path, raw))
    if len(_GEPRUEFT) > 256:
        _GEPRUEFT.clear()
    _GEPRUEFT.add(digest)


_GEPRUEFT: set[bytes] = set()


def _checked(path: Path, raw: bytes) -> bytes:
    _check(path, raw)
    return b"ok"  # only a template that passed is remembered


def _check(path: Path, raw: bytes) -> None:
    if raw.startswith(_OLE):
        raise VorlagenFehler(path, "ist keine gültige .docx-Datei (altes Word-Format .doc oder mit "
                                   "Kennwort geschützt); bitte in Word als „Word-Dokument (.docx)“ "
                                   "ohne Kennwort speichern")
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise VorlagenFehler(path, "ist keine gültige .docx-Datei (kein ZIP-Archiv; beschädigt "
                                   "oder eine andere Dateiart)") from None
    with archive:
        infos = archive.infolist()
        _check_directory(path, infos)
        for info in infos:
            if _is_xml(info.filename):
                _check_xml(path, info.filename, _read(path, archive, info))


def _check_directory(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_TEILE:
        raise VorlagenFehler(path, f"hat {len(infos)} Teile; eine Word-Datei hat selten mehr als "
                                   f"hundert, erlaubt sind {MAX_TEILE}")
    if not any(info.filename == "[Content_Types].xml" for info in infos):
        raise VorlagenFehler(path, "ist keine gültige .docx-Datei ([Content_Types].xml fehlt; "
                                   "ein anderes ZIP-Archiv?)")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise VorlagenFehler(path, f"ist verschlüsselt (Teil {info.filename}); bitte ohne "
                                       "Kennwort speichern")
        if info.file_size > MAX_TEIL_BYTES:
            raise VorlagenFehler(path, f"Teil {info.filename} ist entpackt {_mb(info.file_size)} "
                                       f"groß; erlaubt sind höchstens {_mb(MAX_TEIL_BYTES)} je Teil")
        if info.file_size > 1_000_000 and info.file_size > MAX_VERDICHTUNG * max(info.compress_size, 1):
            raise VorlagenFehler(path, f"Teil {info.filename} ist ungewöhnlich stark gepackt "
                                       f"({_mb(info.compress_size)} → {_mb(info.file_size)}); "
                                       "die Datei ist beschädigt oder manipuliert")
        total += info.file_size
    if total > MAX_GESAMT_BYTES:
        raise VorlagenFehler(path, f"ist entpackt {_mb(total)} groß; erlaubt sind höchstens "
                                   f"{_mb(MAX_GESAMT_BYTES)}")


def _is_xml(name: str) -> bool:
    return name.endswith((".xml", ".rels"))


def _read(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        raise VorlagenFehler(path, f"ist beschädigt (Teil {info.filename} lässt sich nicht "
                                   "entpacken)") from None
    except NotImplementedError:
        raise VorlagenFehler(path, f"Teil {info.filename} ist mit einem Verfahren gepackt, das "
                                   "Word nicht verwendet; bitte in Word neu speichern") from None


# The prolog of an XML document up to a DOCTYPE: declaration, comments, processing instructions.
_DOCTYPE = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*)*<!DOCTYPE", re.S)


def _check_xml(path: Path, name: str, data: bytes) -> None:
    if _DOCTYPE.match(data):  # before parsing: libxml2 would report a bomb as a syntax error
        raise VorlagenFehler(path, _doctype_message(name))
    try:
        tree = etree.fromstring(data, _XML_PARSER).getroottree()
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else 0
        where = f", Zeile {line}" if line else ""
        raise VorlagenFehler(path, f"ist beschädigt: Teil {name} ist kein gültiges XML{where}; "
                                   "bitte in Word oder LibreOffice öffnen und neu speichern") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise VorlagenFehler(path, _doctype_message(name))


def _doctype_message(name: str) -> str:
    return (f"Teil {name} enthält eine DOCTYPE-Deklaration, die Word nie schreibt (womöglich eine "
            "Entitäten-Bombe); die Datei ist manipuliert oder beschädigt und wird nicht geöffnet")


def _mb(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB".replace(".", ",")
