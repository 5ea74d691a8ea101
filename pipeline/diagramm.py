"""Native Word charts in templates, filled with the data of the paper.

A template may hold a Word chart (DrawingML, inserted and styled in Word or LibreOffice) whose
name (Word: Auswahlbereich; LibreOffice: Name) is the placeholder's name, e.g. „diagramm“. At
render time its categories and series values are replaced by the paper's figures; colours,
patterns, fonts and size stay as the clerk made them. No drawing library is imported, so a build
pays nothing for the chart, and Word and LibreOffice draw it themselves (sharp in print and PDF).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lxml import etree

if TYPE_CHECKING:
    from docx.document import Document

C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
NS = {"c": C, "wp": WP}


class DiagrammFehler(ValueError):
    """A chart in the template that cannot take the data (German message)."""


@dataclass(frozen=True)
class Diagrammdaten:
    """Categories (one bar each) and series (one stack segment each), in order."""

    kategorien: list[str]
    reihen: list[tuple[str, list[int]]]


def charts_named(document: Document) -> dict[str, Any]:
    """The chart parts of the document body by the name of their drawing."""
    found: dict[str, Any] = {}
    body = document.element.body
    for doc_pr in body.iterfind(f".//{{{WP}}}docPr"):
        drawing = doc_pr.getparent()
        chart = drawing.find(f".//{{{C}}}chart")
        if chart is None:
            continue
        rid = chart.get(f"{{{R}}}id")
        part = document.part.related_parts.get(rid)
        if part is not None:
            found[doc_pr.get("name", "")] = part
    return found


def fill(chart_xml: bytes, daten: Diagrammdaten) -> bytes:
    """The chart part with its categories and values replaced (cached values only: the data
    comes from ratsdoc's files, so the chart embeds no workbook of its own)."""
    root = etree.fromstring(chart_xml)
    series = _in_order(root.findall(".//c:plotArea/*/c:ser", NS), [n for n, _ in daten.reihen])
    if len(series) != len(daten.reihen):
        raise DiagrammFehler(f"das Diagramm hat {len(series)} Datenreihen, erwartet werden "
                             f"{len(daten.reihen)} ({', '.join(n for n, _ in daten.reihen)})")
    last_row = len(daten.kategorien) + 1
    for index, (ser, (name, values)) in enumerate(zip(series, daten.reihen, strict=True)):
        column = chr(ord("B") + index)
        _replace(ser, "tx", _str_ref(f"Tabelle1!${column}$1", [name]))
        _replace(ser, "cat", _str_ref(f"Tabelle1!$A$2:$A${last_row}", daten.kategorien))
        # The number format set in Word (e.g. „0“ or „#.##0“) stays the template's.
        kept = ser.findtext("c:val/c:numRef/c:numCache/c:formatCode", None, NS)
        _replace(ser, "val", _num_ref(f"Tabelle1!${column}$2:${column}${last_row}", values,
                                      kept or "General"))
        for label in ser.findall("c:dLbls/c:dLbl", NS) + ser.findall("c:dPt", NS):
            # Per-point settings belong to the template's categories, not to these.
            idx = label.find("c:idx", NS)
            if idx is not None and int(idx.get("val", "0")) >= len(daten.kategorien):
                label.getparent().remove(label)
    for external in root.findall("c:externalData", NS):
        root.remove(external)  # the template's workbook would show stale figures
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _in_order(series: list[Any], names: list[str]) -> list[Any]:
    """The template's series in the order of the paper's: by name where the template names
    them all (a series restyled or moved in Word keeps its look), else in display order."""
    by_name = {ser.findtext("c:tx//c:v", None, NS): ser for ser in series}
    if sorted(by_name, key=str) == sorted(names) and len(by_name) == len(series):
        return [by_name[name] for name in names]

    def order(ser: Any) -> int:
        value = ser.find("c:order", NS)
        try:
            return int(value.get("val")) if value is not None else 0
        except (TypeError, ValueError):
            return 0

    return sorted(series, key=order)  # stable: XML order where Word wrote no order


def _replace(ser: Any, tag: str, content: Any) -> None:
    old = ser.find(f"c:{tag}", NS)
    new = etree.Element(f"{{{C}}}{tag}")
    new.append(content)
    if old is not None:
        old.addprevious(new)
        ser.remove(old)
    else:
        # Schema order: idx, order, tx, spPr, ..., cat, val; a series without them is unusual.
        anchor = ser.find("c:order", NS) if tag == "tx" else None
        if anchor is not None:
            anchor.addnext(new)
        else:
            ser.append(new)


def _cache(tag: str, texts: list[str], format_code: str | None = None) -> Any:
    cache = etree.Element(f"{{{C}}}{tag}")
    if format_code is not None:
        etree.SubElement(cache, f"{{{C}}}formatCode").text = format_code
    etree.SubElement(cache, f"{{{C}}}ptCount", val=str(len(texts)))
    for i, text in enumerate(texts):
        point = etree.SubElement(cache, f"{{{C}}}pt", idx=str(i))
        etree.SubElement(point, f"{{{C}}}v").text = text
    return cache


def _str_ref(formula: str, texts: list[str]) -> Any:
    ref = etree.Element(f"{{{C}}}strRef")
    etree.SubElement(ref, f"{{{C}}}f").text = formula
    ref.append(_cache("strCache", texts))
    return ref


def _num_ref(formula: str, values: list[int], format_code: str) -> Any:
    ref = etree.Element(f"{{{C}}}numRef")
    etree.SubElement(ref, f"{{{C}}}f").text = formula
    ref.append(_cache("numCache", [str(v) for v in values], format_code))
    return ref
