"""Formatted text in Word: the markers in a rendered body become paragraphs, lists and tables.

A formatted value (`pipeline.markup.Formatiert`) alone in a paragraph of the template replaces
that paragraph: its paragraphs take over the template paragraph's properties (its style, spacing,
indentation), headings, lists and tables take the template's own named styles, so a clerk's change
of a style in Word applies. A value that shares its paragraph with other text (``Hinweis:
{{ x }}``) keeps to that paragraph: bold and italic apply, anything else shows as typed.

Every element is built with lxml from the parsed text: no text of the user ever becomes markup.
Each numbered list gets a numbering instance of its own (a new ``w:num`` with a
``w:startOverride``), so that every list starts at 1 even when a template loop repeats it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from lxml import etree

from .markup import (
    Absatz,
    Formatiert,
    Inhalt,
    Lauf,
    Liste,
    Sammlung,
    Tabelle,
    Ueberschrift,
    woertlich,
)

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NS}}}"
NS = {"w": W_NS}
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


class FehlendeFormatvorlage(Exception):
    """A style the formatted text needs is not in the template (or has lost its numbering)."""

    def __init__(self, name: str, zweck: str, ohne_nummerierung: bool = False):
        self.name, self.zweck, self.ohne_nummerierung = name, zweck, ohne_nummerierung
        super().__init__(name)

    def meldung(self) -> str:
        if self.ohne_nummerierung:
            return (f"die Formatvorlage „{self.name}“ hat keine Nummerierung (Aufzählungszeichen "
                    f"oder Nummern); sie wird für {self.zweck} gebraucht")
        return (f"die Formatvorlage „{self.name}“ fehlt; sie wird für {self.zweck} gebraucht "
                f"(in Word unter Start → Formatvorlagen wieder anlegen)")


@dataclass(frozen=True)
class Rollen:
    """The template's style names for the parts of formatted text at one kind of place."""

    ueberschrift: str
    aufzaehlung: str
    nummerierung: str
    tabelle: str = "Texttabelle"
    tabellenkopf: str = "Tabellenkopf"
    tabellentext: str = "Tabellentext"


IM_TEXT = Rollen("Zwischenüberschrift", "Aufzählung", "Nummerierung")
IN_ZELLE = Rollen("Tabellenkopf", "Tabelle Aufzählung", "Tabelle Nummerierung")

ZWECK = {
    "ueberschrift": "Zwischenüberschriften (### …) im Text",
    "aufzaehlung": "Aufzählungen (- …) im Text",
    "nummerierung": "nummerierte Listen (1. …) im Text",
    "tabelle": "Tabellen (| … | … |) im Text",
    "tabellenkopf": "die Kopfzeile von Tabellen im Text",
    "tabellentext": "die Zellen von Tabellen im Text",
}

# rPr children that come before b and i, in schema order (ECMA-376 CT_RPr).
_VOR_FETT = (f"{W}rStyle", f"{W}rFonts")
_VOR_KURSIV = (*_VOR_FETT, f"{W}b", f"{W}bCs")
# pPr children before pStyle / numPr / jc may be placed (ECMA-376 CT_PPrBase).
_VOR_NUMPR = tuple(f"{W}{n}" for n in ("pStyle", "keepNext", "keepLines", "pageBreakBefore",
                                        "framePr", "widowControl"))
_NACH_JC = tuple(f"{W}{n}" for n in ("textDirection", "textAlignment", "textboxTightWrap",
                                      "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr",
                                      "pPrChange"))
_NICHT_WOERTLICH = tuple(f"{W}{n}" for n in ("tab", "br", "cr", "drawing", "pict", "object",
                                              "fldChar", "instrText", "fldSimple", "sym"))
STANDARD_BREITE = 9000  # twips, when neither a cell nor the section says


def einsetzen(body: Any, sammlung: Sammlung, document: Any) -> None:
    """Replace every marker of the collection in a rendered body (an lxml w:body)."""
    if not sammlung.werte:
        return
    dok = _Dokument(document, body)
    texts = body.xpath(".//w:t[contains(., $m)]", m=Sammlung.ANFANG, namespaces=NS)
    paragraphs = dict.fromkeys(_absatz_von(t) for t in texts)
    for p in paragraphs:
        if p is not None:
            _absatz_einsetzen(p, sammlung, dok)


def _absatz_von(t: Any) -> Any:
    return next(t.iterancestors(f"{W}p"), None)


def _eigene_texte(p: Any) -> list[Any]:
    """The w:t of a paragraph itself (not of a text box inside it)."""
    return [t for t in p.iter(f"{W}t") if _absatz_von(t) is p]


def _absatz_einsetzen(p: Any, sammlung: Sammlung, dok: _Dokument) -> None:
    texts = _eigene_texte(p)
    match = sammlung.muster.fullmatch("".join(t.text or "" for t in texts))
    if match and not any(_absatz_von(el) is p for el in p.iter(*_NICHT_WOERTLICH)):
        run = next(t for t in texts if t.text).getparent()
        _bloecke_einsetzen(p, run, sammlung.werte[int(match.group(1))], dok)
        return
    for t in texts:
        if t.text and sammlung.muster.search(t.text):
            _im_lauf_einsetzen(t, sammlung)


def _im_lauf_einsetzen(t: Any, sammlung: Sammlung) -> None:
    """A marker amid other text: the run split around it, bold and italic only."""
    run = t.getparent()
    rpr = run.find(f"{W}rPr")
    children = [c for c in run if c is not rpr]
    at = children.index(t)
    neu = []
    if children[:at]:
        neu.append(_lauf_mit(rpr, children[:at]))
    parts = sammlung.muster.split(t.text)
    for n, part in enumerate(parts):
        if n % 2:
            neu += _laeufe(woertlich(sammlung.werte[int(part)]), rpr)
        elif part:
            neu += _laeufe((Lauf(part),), rpr)
    if children[at + 1:]:
        neu.append(_lauf_mit(rpr, children[at + 1:]))
    parent = run.getparent()
    index = parent.index(run)
    parent[index:index + 1] = neu


def _lauf_mit(rpr: Any, children: list[Any]) -> Any:
    r = etree.Element(f"{W}r")
    if rpr is not None:
        r.append(copy.deepcopy(rpr))
    r.extend(children)
    return r


# --- blocks ---------------------------------------------------------------------------------------


def _bloecke_einsetzen(p: Any, run: Any, wert: Formatiert, dok: _Dokument) -> None:
    ppr = p.find(f"{W}pPr")
    rpr = run.find(f"{W}rPr")
    zelle = next(p.iterancestors(f"{W}tc"), None)
    rollen = IN_ZELLE if zelle is not None else IM_TEXT
    neu: list[Any] = []
    for n, block in enumerate(wert.bloecke):
        last = n == len(wert.bloecke) - 1
        if isinstance(block, Absatz):
            neu.append(_absatz(_ppr_kopie(ppr, ganz=last), block.inhalt, rpr))
        elif isinstance(block, Ueberschrift):
            style = dok.stil(rollen.ueberschrift, "ueberschrift")
            neu.append(_absatz(_ppr(style), block.inhalt, rpr))
        elif isinstance(block, Liste):
            neu += _liste(block, rollen, dok, rpr, ebene=0)
        elif isinstance(block, Tabelle):
            neu.append(_tabelle(block, rollen, dok, dok.breite(zelle)))
    if ppr is not None and ppr.find(f"{W}keepNext") is not None and neu[-1].tag == f"{W}p":
        _setze(neu[-1].find(f"{W}pPr"), etree.Element(f"{W}keepNext"), _VOR_NUMPR[:1])
    if ppr is not None and ppr.find(f"{W}sectPr") is not None:
        neu.append(_leer(copy.deepcopy(ppr)))  # the section break stays where it was
    parent = p.getparent()
    index = parent.index(p)
    parent[index:index + 1] = neu
    for element in neu:
        # Word needs a paragraph after a table at the end of a cell, and joins two tables that
        # touch: a table is always followed by a paragraph.
        following = element.getnext()
        if element.tag == f"{W}tbl" and (following is None or following.tag != f"{W}p"):
            element.addnext(_leer(_ppr_kopie(ppr, ganz=False, ohne_nummer=True)))


def _ppr(style_id: str) -> Any:
    ppr = etree.Element(f"{W}pPr")
    etree.SubElement(ppr, f"{W}pStyle").set(f"{W}val", style_id)
    return ppr


def _ppr_kopie(ppr: Any, ganz: bool, ohne_nummer: bool = False) -> Any:
    """The template paragraph's properties, without its section break; keep-with-next only for
    the last paragraph (the template means the paragraph that comes before what follows)."""
    if ppr is None:
        return None
    kopie = copy.deepcopy(ppr)
    drop = ["sectPr", "pPrChange"] + ([] if ganz else ["keepNext"])
    drop += ["numPr"] if ohne_nummer else []
    for name in drop:
        for el in kopie.findall(f"{W}{name}"):
            kopie.remove(el)
    return kopie


def _leer(ppr: Any) -> Any:
    p = etree.Element(f"{W}p")
    if ppr is not None:
        p.append(ppr)
    return p


def _absatz(ppr: Any, inhalt: Inhalt, rpr: Any) -> Any:
    p = etree.Element(f"{W}p")
    if ppr is not None and len(ppr):
        p.append(ppr)
    p.extend(_laeufe(inhalt, rpr))
    return p


def _laeufe(inhalt: Inhalt, rpr: Any) -> list[Any]:
    out = []
    for lauf in inhalt:
        r = etree.Element(f"{W}r")
        props = copy.deepcopy(rpr) if rpr is not None else etree.Element(f"{W}rPr")
        if lauf.fett:
            _schalter(props, "b", _VOR_FETT)
        if lauf.kursiv:
            _schalter(props, "i", _VOR_KURSIV)
        if len(props):
            r.append(props)
        if lauf.umbruch:
            etree.SubElement(r, f"{W}br")
        else:
            for n, piece in enumerate(lauf.text.split("\t")):
                if n:
                    etree.SubElement(r, f"{W}tab")
                if piece:
                    t = etree.SubElement(r, f"{W}t")
                    t.set(XML_SPACE, "preserve")
                    t.text = piece
        out.append(r)
    return out


def _schalter(rpr: Any, name: str, before: tuple[str, ...]) -> None:
    """Switch a toggle property (b, i) on, in schema order."""
    for old in rpr.findall(f"{W}{name}"):
        rpr.remove(old)
    _setze(rpr, etree.Element(f"{W}{name}"), before)


def _setze(parent: Any, element: Any, before: tuple[str, ...]) -> None:
    """Insert element after the last child whose tag is among `before` (else first)."""
    for old in parent.findall(element.tag):
        parent.remove(old)
    index = 0
    for n, child in enumerate(parent):
        if child.tag in before:
            index = n + 1
    parent.insert(index, element)


def _liste(liste: Liste, rollen: Rollen, dok: _Dokument, rpr: Any, ebene: int) -> list[Any]:
    rolle = "nummerierung" if liste.nummeriert else "aufzaehlung"
    name = getattr(rollen, rolle)
    style = dok.stil(name, rolle)
    nummer = dok.nummerierung(name, rolle, ebene, neu=liste.nummeriert)
    out = []
    for punkt in liste.punkte:
        ppr = _ppr(style)
        if nummer is not None:
            numpr = etree.Element(f"{W}numPr")
            etree.SubElement(numpr, f"{W}ilvl").set(f"{W}val", str(nummer[1]))
            etree.SubElement(numpr, f"{W}numId").set(f"{W}val", str(nummer[0]))
            _setze(ppr, numpr, _VOR_NUMPR)
        out.append(_absatz(ppr, punkt.inhalt, rpr))
        for unter in punkt.unterlisten:
            out += _liste(unter, rollen, dok, rpr, ebene + 1)
    return out


def _tabelle(tabelle: Tabelle, rollen: Rollen, dok: _Dokument, breite: int) -> Any:
    spalten = max(len(tabelle.kopf), 1)
    kopf_stil = dok.stil(rollen.tabellenkopf, "tabellenkopf")
    text_stil = dok.stil(rollen.tabellentext, "tabellentext")
    tbl = etree.Element(f"{W}tbl")
    tblpr = etree.SubElement(tbl, f"{W}tblPr")
    etree.SubElement(tblpr, f"{W}tblStyle").set(f"{W}val", dok.stil(rollen.tabelle, "tabelle"))
    width = etree.SubElement(tblpr, f"{W}tblW")
    width.set(f"{W}w", "5000")
    width.set(f"{W}type", "pct")
    look = etree.SubElement(tblpr, f"{W}tblLook")
    for name, value in (("val", "04A0"), ("firstRow", "1"), ("lastRow", "0"),
                        ("firstColumn", "0"), ("lastColumn", "0"), ("noHBand", "1"),
                        ("noVBand", "1")):
        look.set(f"{W}{name}", value)
    widths = _spaltenbreiten(tabelle, spalten, breite)
    grid = etree.SubElement(tbl, f"{W}tblGrid")
    for w in widths:
        etree.SubElement(grid, f"{W}gridCol").set(f"{W}w", str(w))
    for n, row in enumerate((tabelle.kopf, *tabelle.zeilen)):
        tr = etree.SubElement(tbl, f"{W}tr")
        if n == 0:
            trpr = etree.SubElement(tr, f"{W}trPr")
            etree.SubElement(trpr, f"{W}cantSplit")
            etree.SubElement(trpr, f"{W}tblHeader")  # repeated on every page
        for col in range(spalten):
            tc = etree.SubElement(tr, f"{W}tc")
            tcpr = etree.SubElement(tc, f"{W}tcPr")
            tcw = etree.SubElement(tcpr, f"{W}tcW")
            tcw.set(f"{W}w", str(widths[col]))
            tcw.set(f"{W}type", "dxa")
            ppr = _ppr(kopf_stil if n == 0 else text_stil)
            align = tabelle.ausrichtung[col] if col < len(tabelle.ausrichtung) else None
            if align in ("left", "center", "right"):
                jc = etree.Element(f"{W}jc")
                jc.set(f"{W}val", align)
                ppr.append(jc)
            cell = row[col] if col < len(row) else ()
            tc.append(_absatz(ppr, cell, None))
    return tbl


def _spaltenbreiten(tabelle: Tabelle, spalten: int, breite: int) -> list[int]:
    """Column widths after the longest text of each column (between 6 and 40 characters)."""
    weights = []
    for col in range(spalten):
        lengths = [len("".join(lauf.text for lauf in row[col])) if col < len(row) else 0
                   for row in (tabelle.kopf, *tabelle.zeilen)]
        weights.append(min(max([6, *lengths]), 40))
    total = sum(weights)
    widths = [breite * w // total for w in weights]
    widths[-1] += breite - sum(widths)
    return widths


# --- the template's styles and numbering ----------------------------------------------------------


class _Dokument:
    """Styles, numbering and page width of the document being rendered (python-docx)."""

    def __init__(self, document: Any, body: Any):
        self.document = document
        self.body = body
        self._ids: dict[str, Any] | None = None

    def _styles(self) -> dict[str, Any]:
        if self._ids is None:
            self._ids = {}
            for style in self.document.styles.element.iterchildren(f"{W}style"):
                name = style.find(f"{W}name")
                if name is not None:
                    self._ids.setdefault(name.get(f"{W}val"), style)
        return self._ids

    def stil(self, name: str, rolle: str) -> str:
        style = self._styles().get(name)
        if style is None:
            raise FehlendeFormatvorlage(name, ZWECK[rolle])
        return str(style.get(f"{W}styleId"))

    def _style_num_id(self, name: str) -> str | None:
        """The numbering of a paragraph style (or of a style it is based on)."""
        by_id = {s.get(f"{W}styleId"): s for s in self._styles().values()}
        style, seen = self._styles().get(name), set()
        while style is not None and id(style) not in seen:
            seen.add(id(style))
            num_id = style.find(f"{W}pPr/{W}numPr/{W}numId")
            if num_id is not None:
                return str(num_id.get(f"{W}val"))
            based = style.find(f"{W}basedOn")
            style = by_id.get(based.get(f"{W}val")) if based is not None else None
        return None

    def nummerierung(self, name: str, rolle: str, ebene: int, neu: bool) -> tuple[int, int] | None:
        """(numId, ilvl) for the items of a list in a paragraph style; None when the style's own
        numbering fits as it is. A numbered list gets a numbering instance of its own."""
        num_id = self._style_num_id(name)
        try:
            numbering = self.document.part.numbering_part.element
            num = numbering.num_having_numId(int(num_id or ""))
        except (KeyError, NotImplementedError, ValueError):
            raise FehlendeFormatvorlage(name, ZWECK[rolle], ohne_nummerierung=True) from None
        abstract = num.abstractNumId.val
        levels = [int(v) for v in numbering.xpath(
            f'./w:abstractNum[@w:abstractNumId="{abstract}"]/w:lvl/@w:ilvl')]
        # The deepest level the numbering has, up to the list's own: a list nested deeper than
        # the template's levels stays below its parent instead of jumping back to the first.
        ilvl = max((level for level in levels if level <= ebene), default=0)
        if not neu:
            return None if ilvl == 0 else (int(num.numId), ilvl)
        instance = numbering.add_num(abstract)
        instance.add_lvlOverride(ilvl=ilvl).add_startOverride(1)
        return instance.numId, ilvl

    def breite(self, zelle: Any) -> int:
        """The width a table may take: its cell's, or the page's text width (twips)."""
        if zelle is not None:
            tcw = zelle.find(f"{W}tcPr/{W}tcW")
            if tcw is not None and tcw.get(f"{W}type") == "dxa" and \
                    (tcw.get(f"{W}w") or "").isdigit():
                return max(int(tcw.get(f"{W}w")) - 216, 1000)  # the cell's margins
            return STANDARD_BREITE // 2
        sect = self.body.find(f"{W}sectPr")
        if sect is not None:
            size, margins = sect.find(f"{W}pgSz"), sect.find(f"{W}pgMar")
            try:
                return int(size.get(f"{W}w")) - int(margins.get(f"{W}left")) - int(
                    margins.get(f"{W}right"))
            except (AttributeError, TypeError, ValueError):
                pass
        return STANDARD_BREITE
