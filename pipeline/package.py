"""Deterministic .docx packages: fixed zip metadata, schema element order, strict XML."""

from __future__ import annotations

import functools
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from . import vorlagen_cache
from .errors import VorlagenFehler

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
STRICT_PARSER = etree.XMLParser(recover=False, resolve_entities=False, no_network=True,
                                huge_tree=True)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

# Child order of property elements as ECMA-376 (wml.xsd) prescribes. docxtpl's {% cellbg %}
# inserts w:shd as the first child of w:tcPr; Word tolerates that, the schema does not.
_SEQUENCES = {
    "pPr": "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr "
           "suppressLineNumbers pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct "
           "topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd snapToGrid spacing ind "
           "contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment "
           "textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange",
    "tcPr": "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection "
            "tcFitText vAlign hideMark headers cellIns cellDel cellMerge tcPrChange",
    "tblPr": "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize "
             "tblW jc tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook "
             "tblCaption tblDescription tblPrChange",
}
_RANKS = {f"{W}{parent}": {f"{W}{name}": i for i, name in enumerate(order.split())}
          for parent, order in _SEQUENCES.items()}
BODY = "word/document.xml"
_ORDERED_PARTS = ("word/styles.xml", "word/header", "word/footer")


def schema_order(root: etree._Element, parents: tuple[str, ...] = tuple(_SEQUENCES)) -> bool:
    """Sort the children of pPr, tcPr and tblPr (or the given ones) into schema order.

    Returns True if anything moved.
    """
    moved = False
    for parent_tag, ranks in _RANKS.items():
        if parent_tag.removeprefix(W) not in parents:
            continue
        for parent in root.iter(parent_tag):
            children = list(parent)
            ordered = sorted(children, key=lambda c: ranks.get(c.tag, len(ranks)))
            if ordered != children:
                parent[:] = ordered
                moved = True
    return moved


@functools.lru_cache(maxsize=256)
def _checked_part(name: str, data: bytes, template: Path) -> bytes:
    """A part parsed strictly and put into schema order (cached: most parts repeat unchanged)."""
    ordered = vorlagen_cache.remembered("teil", name.encode() + b"\0" + data,
                                        lambda: _ordered_part(name, data, template) or b"=")
    return data if ordered == b"=" else ordered


def _ordered_part(name: str, data: bytes, template: Path) -> bytes | None:
    """The part in schema order, or None when it already was; VorlagenFehler for broken XML."""
    try:
        root = etree.fromstring(data, STRICT_PARSER)
    except etree.XMLSyntaxError as exc:
        raise VorlagenFehler(template, f"erzeugt ungültiges XML in {name} ({exc})") from None
    if name.startswith(_ORDERED_PARTS) and schema_order(root):
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return None


def normalise_package(docx: bytes, template: Path,
                      body: Callable[[bytes], bytes] | None = None) -> bytes:
    """Rewrite a .docx so that equal content gives equal bytes; refuse broken XML.

    `body`, if given, completes the serialised body (render.py puts emitted rows into it).
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            # The body was parsed strictly and ordered before python-docx serialised it
            # (render._StrictTemplate); every other part is checked here.
            if info.filename.endswith((".xml", ".rels")) and info.filename != BODY:
                data = _checked_part(info.filename, data, template)
            elif info.filename == BODY and body is not None:
                data = body(data)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, data)
    return out.getvalue()
