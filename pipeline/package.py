"""Deterministic .docx packages: fixed zip metadata, and every XML part checked strictly."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lxml import etree

from .errors import VorlagenFehler

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_STRICT = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)


def normalise_package(docx: bytes, template: Path) -> bytes:
    """Rewrite a .docx so that equal content gives equal bytes; refuse broken XML."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith((".xml", ".rels")):
                try:
                    etree.fromstring(data, _STRICT)
                except etree.XMLSyntaxError as exc:
                    raise VorlagenFehler(
                        template, f"erzeugt ungültiges XML in {info.filename} ({exc})"
                    ) from None
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, data)
    return out.getvalue()
