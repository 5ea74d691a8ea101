"""Create the .docx templates of the house styles that do not exist yet; never replace one.

The committed templates in templates/docx/<stil>/ are the source of truth for the layout:
clerks edit them in Word or LibreOffice, and neither `ratsdoc build` nor this tool ever
regenerates or overwrites them. A change of layout is made in the .docx itself.

This tool only bootstraps templates that are missing, for example in a new house style folder
(then add its stil.yaml) or after a template was deleted on purpose to start it over:

    python tools/make_templates.py [--ziel templates/docx]

Every template that already exists is left byte for byte as it is. The builders below are the
starting point of a new template, not a copy of the committed ones: those may since have been
changed by hand.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor

from pipeline.output import write_new
from pipeline.package import schema_order

FONT = "Arial"
GREY = "D9D9D9"
KATEGORIE_SPALTEN = [  # must match pipeline.model.KATEGORIEN
    ("abgeschlossen", "Abgeschlossen"),
    ("laufend", "Laufend"),
    ("geplant", "In Planung"),
    ("in_pruefung", "In Prüfung"),
    ("offen", "Noch nicht umgesetzt"),
]

NUMBERING = f"""<w:numbering {nsdecls('w')}>
  <w:abstractNum w:abstractNumId="1">
    <w:multiLevelType w:val="multilevel"/>
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/>
      <w:lvlJc w:val="left"/><w:pPr><w:ind w:left="426" w:hanging="284"/></w:pPr>
      <w:rPr><w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}"/></w:rPr></w:lvl>
    <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="–"/>
      <w:lvlJc w:val="left"/><w:pPr><w:ind w:left="851" w:hanging="284"/></w:pPr>
      <w:rPr><w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}"/></w:rPr></w:lvl>
  </w:abstractNum>
  <w:abstractNum w:abstractNumId="2">
    <w:multiLevelType w:val="singleLevel"/>
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="–"/>
      <w:lvlJc w:val="left"/><w:pPr><w:ind w:left="426" w:hanging="284"/></w:pPr>
      <w:rPr><w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}"/></w:rPr></w:lvl>
  </w:abstractNum>
  <w:abstractNum w:abstractNumId="3">
    <w:multiLevelType w:val="singleLevel"/>
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/>
      <w:lvlJc w:val="left"/><w:pPr><w:ind w:left="426" w:hanging="426"/></w:pPr></w:lvl>
  </w:abstractNum>
  <w:abstractNum w:abstractNumId="4">
    <w:multiLevelType w:val="singleLevel"/>
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="AG %1:"/>
      <w:lvlJc w:val="left"/><w:pPr><w:ind w:left="851" w:hanging="851"/></w:pPr></w:lvl>
  </w:abstractNum>
  <w:abstractNum w:abstractNumId="5">
    <w:multiLevelType w:val="multilevel"/>
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/>
      <w:lvlJc w:val="left"/><w:pPr><w:ind w:left="426" w:hanging="426"/></w:pPr></w:lvl>
    <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%2."/>
      <w:lvlJc w:val="left"/><w:pPr><w:ind w:left="851" w:hanging="425"/></w:pPr></w:lvl>
  </w:abstractNum>
  <w:abstractNum w:abstractNumId="6">
    <w:multiLevelType w:val="multilevel"/>
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/>
      <w:lvlJc w:val="left"/><w:pPr><w:ind w:left="426" w:hanging="426"/></w:pPr></w:lvl>
    <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%2."/>
      <w:lvlJc w:val="left"/><w:pPr><w:ind w:left="851" w:hanging="425"/></w:pPr></w:lvl>
  </w:abstractNum>
  <w:abstractNum w:abstractNumId="7">
    <w:multiLevelType w:val="multilevel"/>
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/>
      <w:lvlJc w:val="left"/><w:pPr><w:ind w:left="227" w:hanging="227"/></w:pPr>
      <w:rPr><w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}"/></w:rPr></w:lvl>
    <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="–"/>
      <w:lvlJc w:val="left"/><w:pPr><w:ind w:left="454" w:hanging="227"/></w:pPr>
      <w:rPr><w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}"/></w:rPr></w:lvl>
  </w:abstractNum>
  <w:abstractNum w:abstractNumId="8">
    <w:multiLevelType w:val="multilevel"/>
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/>
      <w:lvlJc w:val="left"/><w:pPr><w:ind w:left="284" w:hanging="284"/></w:pPr></w:lvl>
    <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%2."/>
      <w:lvlJc w:val="left"/><w:pPr><w:ind w:left="567" w:hanging="283"/></w:pPr></w:lvl>
  </w:abstractNum>
  <w:num w:numId="1"><w:abstractNumId w:val="1"/></w:num>
  <w:num w:numId="2"><w:abstractNumId w:val="2"/></w:num>
  <w:num w:numId="3"><w:abstractNumId w:val="3"/></w:num>
  <w:num w:numId="4"><w:abstractNumId w:val="4"/></w:num>
  <w:num w:numId="5"><w:abstractNumId w:val="5"/></w:num>
  <w:num w:numId="6"><w:abstractNumId w:val="6"/></w:num>
  <w:num w:numId="7"><w:abstractNumId w:val="7"/></w:num>
  <w:num w:numId="8"><w:abstractNumId w:val="8"/></w:num>
</w:numbering>"""

# The table style of tables written in Markdown (pipeline/markup_docx.py): grey rules, a shaded
# bold header row.
TEXTTABELLE = f"""<w:tblPr {nsdecls('w')}><w:tblInd w:w="0" w:type="dxa"/><w:tblBorders>
  <w:top w:val="single" w:sz="4" w:space="0" w:color="808080"/>
  <w:left w:val="single" w:sz="4" w:space="0" w:color="808080"/>
  <w:bottom w:val="single" w:sz="4" w:space="0" w:color="808080"/>
  <w:right w:val="single" w:sz="4" w:space="0" w:color="808080"/>
  <w:insideH w:val="single" w:sz="4" w:space="0" w:color="808080"/>
  <w:insideV w:val="single" w:sz="4" w:space="0" w:color="808080"/></w:tblBorders>
  <w:tblCellMar><w:top w:w="28" w:type="dxa"/><w:left w:w="108" w:type="dxa"/>
  <w:bottom w:w="28" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr>"""
TEXTTABELLE_KOPF = f"""<w:tblStylePr {nsdecls('w')} w:type="firstRow"><w:rPr><w:b/></w:rPr>
  <w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="{GREY}"/></w:tcPr></w:tblStylePr>"""


# --- document set-up ---------------------------------------------------------------------------


def new_document(landscape: bool = False) -> Document:
    doc = Document()
    _fix_settings(doc)
    numbering = doc.part.numbering_part
    numbering._element = parse_xml(NUMBERING)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    # The header (two lines and a rule) ends about 1.85 cm from the top edge: the top margin
    # leaves a gap below it, so that text and repeated table header rows never touch the rule.
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
        margins = (Cm(1.5), Cm(1.5), Cm(2.4), Cm(1.5))
    else:
        margins = (Cm(2.5), Cm(2.0), Cm(2.6), Cm(2.0))
    section.left_margin, section.right_margin, section.top_margin, section.bottom_margin = margins
    section.header_distance, section.footer_distance = Cm(0.8), Cm(1.0)
    _styles(doc)
    # Remove the default empty first paragraph.
    body = doc.element.body
    for p in list(body.iterchildren(qn("w:p"))):
        body.remove(p)
    return doc


def _fix_settings(doc: Document) -> None:
    settings = doc.settings.element
    zoom = settings.find(qn("w:zoom"))
    if zoom is not None:  # python-docx's default lacks the required w:percent
        zoom.set(qn("w:percent"), "100")
        zoom.attrib.pop(qn("w:val"), None)
    lang = settings.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:val"), "de-DE")


def _styles(doc: Document) -> None:
    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(11)
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "de-DE")
    rpr.append(lang)
    fmt = normal.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(6), 1.0

    def paragraph_style(name, size=None, bold=None, before=None, after=None, italic=None,
                        keep_next=False, base="Normal", color=None):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles[base]
        style.quick_style = True
        if size:
            style.font.size = Pt(size)
        if bold is not None:
            style.font.bold = bold
        if italic is not None:
            style.font.italic = italic
        if color:
            style.font.color.rgb = RGBColor.from_string(color)
        if before is not None:
            style.paragraph_format.space_before = Pt(before)
        if after is not None:
            style.paragraph_format.space_after = Pt(after)
        style.paragraph_format.keep_with_next = keep_next
        return style

    paragraph_style("Dokumentart", size=16, bold=True, after=12)
    paragraph_style("Betreff", size=12, bold=True, before=12, after=12)
    paragraph_style("Abschnitt", bold=True, before=12, after=6, keep_next=True)
    paragraph_style("Handlungsfeld", size=14, bold=True, after=8, keep_next=True)
    styles["Handlungsfeld"].paragraph_format.page_break_before = True
    paragraph_style("Tabellentext", size=9, before=0, after=2)
    styles["Tabellentext"].paragraph_format.line_spacing = 1.0
    paragraph_style("Tabellenkopf", size=9, bold=True, before=0, after=0, base="Tabellentext")
    paragraph_style("Katalog Aufzählung", base="Tabellentext")
    styles["Katalog Aufzählung"].paragraph_format.left_indent = Cm(0.35)
    styles["Katalog Aufzählung"].paragraph_format.first_line_indent = Cm(-0.35)
    paragraph_style("Katalog Fortschritt", italic=True, color="1F4E79", base="Tabellentext")
    paragraph_style("Kleingedruckt", size=8, color="595959", after=2)
    paragraph_style("Unterschrift", before=24, after=0, keep_next=True)
    for name, num_id, level, after in (("Aufzählung", "1", "0", 3),
                                       ("Aufzählung Strich", "2", "0", 3),
                                       ("Antrag", "3", "0", 6), ("Arbeitsgruppe", "4", "0", 3),
                                       ("Empfehlung", "5", "0", 6),
                                       ("Empfehlung Punkt", "5", "1", 3)):
        style = paragraph_style(name, after=after)
        ppr = style.element.get_or_add_pPr()
        ppr.insert(0, parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/>'
            "</w:numPr>"))
    # Formatted text (Markdown) in the papers: ### headings, numbered lists, lists and
    # numbered lists in table cells, tables.
    heading = paragraph_style("Zwischenüberschrift", bold=True, italic=True, before=9, after=3,
                              keep_next=True)
    heading.next_paragraph_style = styles["Normal"]
    for name, num_id, base, after in (("Nummerierung", "6", "Normal", 3),
                                      ("Tabelle Aufzählung", "7", "Tabellentext", None),
                                      ("Tabelle Nummerierung", "8", "Tabellentext", None)):
        style = paragraph_style(name, after=after, base=base)
        style.element.get_or_add_pPr().insert(0, parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr>'))
    table_style = styles.add_style("Texttabelle", WD_STYLE_TYPE.TABLE)
    table_style.base_style = styles["Normal Table"]
    table_style.quick_style = True
    table_style.paragraph_format.space_after = Pt(0)
    table_style.element.append(parse_xml(TEXTTABELLE))
    table_style.element.append(parse_xml(TEXTTABELLE_KOPF))
    paragraph_style("Kopfzeile Name", size=12, bold=True, after=0, base="Normal")
    paragraph_style("Kopfzeile Amt", size=9, color="404040", after=0, base="Normal")
    paragraph_style("Fußzeile", size=8, color="404040", after=0, base="Normal")


# --- building blocks ---------------------------------------------------------------------------


def para(container, text="", style="Normal", align=None, keep_next=False):
    p = container.add_paragraph(text, style=style)
    if align:
        p.alignment = align
    if keep_next:
        keep_together(p)
    return p


def keep_together(paragraph):
    """Keep the paragraph whole and on the same page as the next one (in a table: the next row)."""
    paragraph.paragraph_format.keep_with_next = True
    paragraph.paragraph_format.keep_together = True


def tag(container, text):
    """A paragraph that holds only a {%p … %} tag; docxtpl removes it when rendering."""
    return container.add_paragraph(text, style="Normal")


def field(paragraph, instruction):
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"),
                       ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            run._r.append(el)
        elif text == instruction:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {instruction} "
            run._r.append(el)
        else:
            el = OxmlElement("w:t")
            el.text = text
            run._r.append(el)


def bottom_border(paragraph, color="808080"):
    ppr = paragraph._p.get_or_add_pPr()
    ppr.append(parse_xml(
        f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="6" w:space="4" '
        f'w:color="{color}"/></w:pBdr>'))


def top_border(paragraph, color="808080"):
    ppr = paragraph._p.get_or_add_pPr()
    ppr.append(parse_xml(
        f'<w:pBdr {nsdecls("w")}><w:top w:val="single" w:sz="4" w:space="4" '
        f'w:color="{color}"/></w:pBdr>'))


def header_and_footer(doc, kind_label, footer_left, paper=False):
    """The page header (body, office, kind of document) and footer (title, page X of Y).

    A council paper's header also carries its Neufassung and a NICHTÖFFENTLICH marker.
    """
    section = doc.sections[0]
    header = section.header
    first = header.paragraphs[0]
    first.style = doc.styles["Kopfzeile Name"]
    first.add_run("{{ koerperschaft.name }}")
    if paper:
        tab_right(first, section)
        first.add_run("{%r if nichtoeffentlich %}")
        marker = first.add_run("\t{{ nichtoeffentlich }}")
        marker.bold = True
        marker.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
        first.add_run("{%r endif %}")
        kind_label += "{% if neufassung %} – {{ neufassung }}{% endif %}"
    amt = para(header, "{{ koerperschaft.amt }}{% if koerperschaft.dienststelle %} – "
               "{{ koerperschaft.dienststelle }}{% endif %}", style="Kopfzeile Amt")
    tab_right(amt, section)
    amt.add_run("\t" + kind_label)
    bottom_border(amt)

    footer = section.footer
    p = footer.paragraphs[0]
    p.style = doc.styles["Fußzeile"]
    top_border(p)
    tab_right(p, section)
    p.add_run(footer_left + "\tSeite ")
    field(p, "PAGE")
    p.add_run(" von ")
    field(p, "NUMPAGES")


def tab_right(paragraph, section):
    width = section.page_width - section.left_margin - section.right_margin
    paragraph.paragraph_format.tab_stops.add_tab_stop(width, alignment=2)  # right


def table(doc, widths_cm, header=None, style_header=True):
    t = doc.add_table(rows=0, cols=len(widths_cm))
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.LEFT
    t.autofit = False
    _fixed_layout(t, widths_cm)
    if header:
        row = add_row(t, widths_cm, header, style="Tabellenkopf")
        if style_header:
            for cell in row.cells:
                shade(cell, GREY)
        repeat_header(row)
    return t


def _fixed_layout(t, widths_cm):
    grid = t._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths_cm, strict=True):
        col.set(qn("w:w"), str(int(Cm(width).twips)))


def add_row(t, widths_cm, texts, style="Tabellentext"):
    row = t.add_row()
    for cell, width, text in zip(row.cells, widths_cm, texts, strict=True):
        cell.width = Cm(width)
        p = cell.paragraphs[0]
        p.style = t.part.document.styles[style]
        if text:
            p.add_run(text)
    return row


def tag_row(t, widths_cm, text, hint=""):
    """A table row that holds only a {%tr … %} tag in its first cell (and a hint for the clerk
    in its third: docxtpl replaces the whole row by the tag)."""
    cells = [text] + [""] * (len(widths_cm) - 1)
    if hint:
        cells[2] = f"{{# {hint} #}}"  # a Jinja comment: gone in the paper
    return add_row(t, widths_cm, cells)


def shade(cell, color):
    tcPr = cell._tc.get_or_add_tcPr()
    tcPr.append(parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{color}"/>'))


def repeat_header(row):
    trPr = row._tr.get_or_add_trPr()
    trPr.append(parse_xml(f'<w:tblHeader {nsdecls("w")}/>'))
    cant_split(row)
    keep_row_with_next(row)  # never a header row alone at the foot of a page


def keep_row_with_next(row):
    """Word and LibreOffice keep a row on the page of the next row when its paragraphs say so."""
    for cell in row.cells:
        for p in cell.paragraphs:
            keep_together(p)


def cant_split(row):
    trPr = row._tr.get_or_add_trPr()
    trPr.append(parse_xml(f'<w:cantSplit {nsdecls("w")}/>'))
    return row


def no_borders(t):
    t.style = t.part.document.styles["Normal Table"]


def blocks(doc, var, keep_last=None):
    """Paragraphs and bullet lists of a list of blocks (see pipeline.context.blocks).

    keep_last: a condition (inside the loop) under which a paragraph stays with what follows,
    e.g. "loop.last" for the text right before the signature.
    """
    tag(doc, f"{{%p for b in {var} %}}")
    tag(doc, "{%p if b.liste %}")
    tag(doc, "{%p for punkt in b.liste %}")
    tag(doc, "{%p if b.strich %}")
    para(doc, "{{ punkt }}", style="Aufzählung Strich")
    tag(doc, "{%p else %}")
    para(doc, "{{ punkt }}", style="Aufzählung")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    if keep_last:
        tag(doc, f"{{%p if {keep_last} %}}")
        para(doc, "{{ b.absatz }}", keep_next=True)
        tag(doc, "{%p else %}")
        para(doc, "{{ b.absatz }}")
        tag(doc, "{%p endif %}")
    else:
        para(doc, "{{ b.absatz }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")


def optional(doc, condition, text, style="Normal"):
    """A paragraph shown only when the condition holds."""
    tag(doc, f"{{%p if {condition} %}}")
    para(doc, text, style=style)
    tag(doc, "{%p endif %}")


def lines(doc, var, style="Normal", keep_next=False):
    tag(doc, f"{{%p for zeile in {var} %}}")
    para(doc, "{{ zeile }}", style=style, keep_next=keep_next)
    tag(doc, "{%p endfor %}")


def beratungsfolge(doc, title):
    para(doc, title, style="Dokumentart")
    optional(doc, "drucksache", "Drucksache Nr. {{ drucksache }}")
    widths = [7.5, 2.8, 3.2, 3.0]
    t = table(doc, widths, ["Beratungsfolge", "Sitzung", "Öffentlichkeit", "Beschlussart"])
    tag_row(t, widths, "{%tr for b in beratungsfolge %}")
    add_row(t, widths, ["{{ b.gremium }}", "{{ b.datum }}", "{{ b.oeffentlichkeit }}",
                        "{{ b.beschlussart }}"])
    tag_row(t, widths, "{%tr endfor %}")
    para(doc, "{{ betreff }}", style="Betreff")
    para(doc, "Beschlussvorschlag:", style="Abschnitt")
    lines(doc, "beschlussvorschlag")


def unterschrift(doc, prefix="gez. "):
    """The signature; the paragraph or table row before it must keep with it (see callers)."""
    para(doc, prefix + "{{ unterzeichner.name }}", style="Unterschrift", keep_next=True)
    para(doc, "{{ unterzeichner.funktion }}")


def anlagen(doc):
    para(doc, "Anlage/n:", style="Abschnitt")
    lines(doc, "anlagen")


def ja_nein(doc, frage, var):
    para(doc, frage, style="Abschnitt")
    para(doc, f"{{{{ {var}.ja }}}} Ja\t{{{{ {var}.nein }}}} Nein")


# --- the three templates -----------------------------------------------------------------------


def beschlussvorlage() -> Document:
    doc = new_document()
    header_and_footer(doc, "Beschlussvorlage", "{{ betreff }}", paper=True)
    beratungsfolge(doc, "Beschlussvorlage")
    para(doc, "Sachverhalt:", style="Abschnitt")
    blocks(doc, "sachverhalt")

    tag(doc, "{%p if zeitplan %}")
    para(doc, "Zeitplan:", style="Abschnitt")
    lines(doc, "zeitplan.einleitung")
    widths = [5.5, 5.5, 5.5]
    t = table(doc, widths)
    tag_row(t, widths, "{%tr for reihe in zeitplan.reihen %}")
    row = add_row(t, widths, [f"{{{{ reihe.zeitraeume[{i}] }}}}" for i in range(3)],
                  style="Tabellenkopf")
    for cell in row.cells:
        shade(cell, "F2F2F2")
    keep_row_with_next(cant_split(row))  # the periods stay above their steps
    add_row(t, widths, [f"{{{{ reihe.schritte[{i}] }}}}" for i in range(3)])
    tag_row(t, widths, "{%tr endfor %}")
    tag(doc, "{%p endif %}")

    tag(doc, "{%p if budget %}")
    para(doc, "Budget:", style="Abschnitt")
    blocks(doc, "budget", keep_last="loop.last and not schluss")
    tag(doc, "{%p endif %}")
    blocks(doc, "schluss", keep_last="loop.last")
    unterschrift(doc)

    heading = para(doc, "Finanzielle Auswirkungen:", style="Dokumentart")
    heading.paragraph_format.page_break_before = True
    ja_nein(doc, "Sind Finanzmittel notwendig?", "fa.finanzmittel")
    widths = [2.6, 4.6, 2.3, 2.5, 1.9, 2.6]
    t = table(doc, widths, ["Produkt/Auftrag", "Bezeichnung", "Sachkonto", "Betrag insgesamt",
                            "HH-Jahr", "Summe Folgejahr"])
    tag_row(t, widths, "{%tr for p in fa.posten %}")
    add_row(t, widths, ["{{ p.produkt }}", "{{ p.bezeichnung }}", "{{ p.sachkonto }}",
                        "{{ p.betrag }}", "{{ p.hh_jahr }}", "{{ p.folgejahr }}"])
    tag_row(t, widths, "{%tr endfor %}")
    ja_nein(doc, "Sind im laufenden Jahr über-/außerplanmäßige Aufwendungen/Auszahlungen "
            "erforderlich?", "fa.ausserplanmaessig")
    para(doc, "Deckungsvorschlag:", style="Abschnitt")
    widths = [3.0, 7.0, 3.0, 3.5]
    t = table(doc, widths, ["Produkt/Auftrag", "Bezeichnung", "Sachkonto", "Betrag"])
    tag_row(t, widths, "{%tr for d in fa.deckung %}")
    add_row(t, widths, ["{{ d.produkt }}", "{{ d.bezeichnung }}", "{{ d.sachkonto }}",
                        "{{ d.betrag }}"])
    tag_row(t, widths, "{%tr endfor %}")
    ja_nein(doc, "Entstehen Folgekosten?", "fa.folgekosten_noetig")
    para(doc, "Folgekosten (Hochrechnung/Schätzung):", style="Abschnitt")
    para(doc, "z.B.: Personalkosten, Wartungskosten, Reinigung, Pflege, Abschreibungen, usw.",
         style="Kleingedruckt")
    widths = [10.0, 6.5]
    t = table(doc, widths, ["Aufwandsart", "Laufende Aufwendungen pro Jahr"])
    tag_row(t, widths, "{%tr for f in fa.folgekosten %}")
    add_row(t, widths, ["{{ f.aufwandsart }}", "{{ f.betrag }}"])
    tag_row(t, widths, "{%tr endfor %}")
    ja_nein(doc, "Gibt es Erlöse / Einnahmen / Einsparungen?", "fa.erloese_noetig")
    tag(doc, "{%p for e in fa.erloese %}")
    para(doc, "{{ e.art }}: {{ e.betrag }} €")
    tag(doc, "{%p endfor %}")
    para(doc, "Erläuterung:", style="Abschnitt")
    lines(doc, "fa.erlaeuterung")
    para(doc, "Sonstige Anmerkungen:", style="Abschnitt")
    lines(doc, "fa.sonstige_anmerkungen")
    anlagen(doc)
    return doc


def zwischenbericht() -> Document:
    doc = new_document()
    header_and_footer(doc, "Informationsvorlage", "{{ betreff }}", paper=True)
    beratungsfolge(doc, "Informationsvorlage")
    tag(doc, "{%p for a in abschnitte %}")
    para(doc, "{{ a.ueberschrift }}:", style="Abschnitt")
    blocks(doc, "a.text")
    tag(doc, "{%p endfor %}")

    para(doc, "Stand der Umsetzung zum {{ stichtag }}:", style="Abschnitt")
    para(doc, "Der {{ katalog.titel }} (Stand {{ katalog.stand }}) umfasst "
         "{{ statistik.massnahmen }} Maßnahmen in {{ statistik.handlungsfelder }} "
         "Handlungsfeldern. Sie verteilen sich wie folgt auf den Stand der Umsetzung:")
    # Every header word fits its column at 8 pt ("Abgeschlossen" needs 2.1 cm plus 0.4 cm of
    # cell margins), a Handlungsfeld name of two words per line at 9 pt; together the columns
    # are exactly the text width of 16.5 cm.
    widths = [5.0, 2.6, 1.7, 1.7, 1.7, 2.2, 1.6]
    t = table(doc, widths, ["Handlungsfeld"] + [label for _, label in KATEGORIE_SPALTEN]
              + ["Summe"])
    for cell in t.rows[0].cells:
        for run in cell.paragraphs[0].runs:
            run.font.size = Pt(8)
    tag_row(t, widths, "{%tr for z in statistik.zeilen %}")
    add_row(t, widths, ["{{ z.name }}"] + [f"{{{{ z.{key} }}}}" for key, _ in KATEGORIE_SPALTEN]
            + ["{{ z.summe }}"])
    tag_row(t, widths, "{%tr endfor %}")
    total = add_row(t, widths, ["{{ statistik.gesamt.name }}"]
                    + [f"{{{{ statistik.gesamt.{key} }}}}" for key, _ in KATEGORIE_SPALTEN]
                    + ["{{ statistik.gesamt.summe }}"], style="Tabellenkopf")
    for cell in total.cells:
        shade(cell, "F2F2F2")
    for row in t.rows:
        for cell in row.cells[1:]:
            for p in cell.paragraphs:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    para(doc, "Änderungen seit dem letzten Bericht:", style="Abschnitt")
    tag(doc, "{%p if aenderungen.zeilen %}")
    para(doc, "{% if aenderungen.seit %}Seit dem letzten Bericht (Stichtag {{ aenderungen.seit }}) "
         "{% else %}Bis zum Stichtag {% endif %}hat sich der Status dieser Maßnahmen geändert:")
    widths = [2.2, 1.0, 4.6, 4.6, 4.1]
    t = table(doc, widths, ["Datum", "Nr.", "bisher", "neu", "Notiz"])
    tag_row(t, widths, "{%tr for a in aenderungen.zeilen %}")
    row = add_row(t, widths, ["{{ a.datum }}", "{{ a.nr }}", "{{ a.alt }}", "{{ a.neu }}",
                              "{{ a.notiz }}"])
    cant_split(row)
    tag_row(t, widths, "{%tr endfor %}")
    tag(doc, "{%p else %}")
    para(doc, "Seit dem letzten Bericht wurde kein Status geändert.")
    tag(doc, "{%p endif %}")

    statistik_diagramm(para(doc, "", align=WD_ALIGN_PARAGRAPH.CENTER, keep_next=True))
    para(doc, "Abbildung: Maßnahmen je Handlungsfeld nach Stand der Umsetzung",
         style="Kleingedruckt", align=WD_ALIGN_PARAGRAPH.CENTER)

    for var, title, last in (("abgeschlossen", "Abgeschlossene Maßnahmen", False),
                             ("nicht_begonnen", "Noch nicht umgesetzte Maßnahmen", True)):
        para(doc, f"{title} ({{{{ {var}|length }}}}):", style="Abschnitt")
        widths = [1.2, 11.0, 4.3]
        t = table(doc, widths, ["Nr.", "Maßnahme", "Status der Umsetzung"])
        tag_row(t, widths, f"{{%tr for m in {var} %}}")
        texts = ["{{ m.nr }}", "{{ m.text }}", "{{ m.status }}"]
        if last:  # the table right before the signature: its last row goes with the signature
            tag_row(t, widths, "{%tr if loop.last %}")
            keep_row_with_next(cant_split(add_row(t, widths, texts)))
            tag_row(t, widths, "{%tr else %}")
        cant_split(add_row(t, widths, texts))
        if last:
            tag_row(t, widths, "{%tr endif %}")
        tag_row(t, widths, "{%tr endfor %}")

    unterschrift(doc)
    anlagen(doc)
    return doc


def massnahmenkatalog() -> Document:
    doc = new_document(landscape=True)
    header_and_footer(doc, "Maßnahmenkatalog", "{{ titel }} · Stand: {{ stand }}")
    para(doc, "{{ titel }}", style="Dokumentart")
    para(doc, "Stand: {{ stand }}", style="Betreff")
    para(doc, "Status der Umsetzung (Farben der Spalte „Status der Umsetzung“):",
         style="Abschnitt")
    widths = [1.2, 6.0, 2.8]
    t = table(doc, widths, ["", "Kategorie", "Maßnahmen"])
    tag_row(t, widths, "{%tr for k in legende %}")
    add_row(t, widths, ["{% cellbg k.farbe %}", "{{ k.bezeichnung }}", "{{ k.anzahl }}"])
    tag_row(t, widths, "{%tr endfor %}")

    tag(doc, "{%p for hf in handlungsfelder %}")
    # Each Handlungsfeld starts on a new page (style "Handlungsfeld"), the first one right
    # under the legend.
    tag(doc, "{%p if loop.first %}")
    heading = para(doc, "Handlungsfeld „{{ hf.name }}“", style="Handlungsfeld")
    heading.paragraph_format.page_break_before = False
    heading.paragraph_format.space_before = Pt(18)
    tag(doc, "{%p else %}")
    para(doc, "Handlungsfeld „{{ hf.name }}“", style="Handlungsfeld")
    tag(doc, "{%p endif %}")
    para(doc, "Vision:", style="Abschnitt")
    lines(doc, "hf.vision", keep_next=True)
    widths = [5.2, 1.0, 10.0, 6.3, 4.2]
    t = table(doc, widths, ["Ziele und zukünftiger Bedarf", "Nr.",
                            "Maßnahmen/Impulse/Projektideen", "Akteurinnen und Akteure",
                            "Status der Umsetzung"])
    tag_row(t, widths, "{%tr for z in hf.ziele %}")
    tag_row(t, widths, "{%tr for m in z.massnahmen %}")
    # The goal cell is merged over its measures, so a page break inside a goal would leave
    # the measures on the next page without their goal: every row but a goal's last keeps
    # with the next one, and a goal breaks across pages only when it is longer than a page.
    # The two rows are the same otherwise: change both.
    # docxtpl drops a tag row whole, so the hints in it are for the clerk only.
    tag_row(t, widths, "{%tr if not loop.last %}",
            hint="Jede Maßnahme eines Ziels außer der letzten: „Absatz mit nächstem "
                 "zusammenhalten“, damit ein Ziel nicht über einen Seitenumbruch läuft.")
    keep_row_with_next(measure_row(t, widths))
    tag_row(t, widths, "{%tr else %}",
            hint="Die letzte Maßnahme eines Ziels: danach darf die Seite umbrechen.")
    measure_row(t, widths)
    tag_row(t, widths, "{%tr endif %}")
    tag_row(t, widths, "{%tr endfor %}")
    tag_row(t, widths, "{%tr endfor %}")
    tag(doc, "{%p if hf.weitere_massnahmen %}")
    para(doc, "Weitere Maßnahmen", style="Abschnitt")
    tag(doc, "{%p for w in hf.weitere_massnahmen %}")
    para(doc, "+ {{ w }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")

    tag(doc, "{%p if schlussbemerkung %}")
    spacer = para(doc, "")
    spacer.paragraph_format.space_before = Pt(12)
    lines(doc, "schlussbemerkung")
    tag(doc, "{%p endif %}")
    return doc


def measure_row(t, widths):
    """One measure of the catalogue: goal (merged over the goal's measures), Nr., text lines,
    actors, status on its category's colour."""
    row = add_row(t, widths, ["{% vm %}{{ z.ziel }}", "{{ m.nr }}", "", "{{ m.akteure }}",
                              "{% cellbg m.farbe %}{{ m.status }}"])
    cant_split(row)
    cell = row.cells[2]
    first = cell.paragraphs[0]
    first.add_run("{%p for zeile in m.zeilen %}")
    for text, style in (("{%p if zeile.art == 'punkt' %}", "Tabellentext"),
                        ("{{ zeile.text }}", "Katalog Aufzählung"),
                        ("{%p elif zeile.art == 'fortschritt' %}", "Tabellentext"),
                        ("{{ zeile.text }}", "Katalog Fortschritt"),
                        ("{%p else %}", "Tabellentext"),
                        ("{{ zeile.text }}", "Tabellentext"),
                        ("{%p endif %}", "Tabellentext"),
                        ("{%p endfor %}", "Tabellentext")):
        cell.add_paragraph(text, style=style)
    return row


def aenderungsuebersicht() -> Document:
    doc = new_document()
    header_and_footer(doc, "Änderungsübersicht", "{{ titel }}")
    return doc


def sitzungsvorlage() -> Document:
    """The Landkreis Esslingen's Sitzungsvorlage with its check boxes (seed 002)."""
    doc = new_document()
    header_and_footer(doc, "Sitzungsvorlage", "Sitzungsvorlage Nr. {{ nummer }}", paper=True)
    para(doc, "Nummer: {{ nummer }}", align=WD_ALIGN_PARAGRAPH.RIGHT).paragraph_format.space_after = Pt(0)
    para(doc, "den {{ datum }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    lines(doc, "adressaten", style="Kopfzeile Name")
    widths = [8.25, 8.25]
    t = table(doc, widths)
    no_borders(t)
    row = add_row(t, widths, ["", ""], style="Normal")
    left, right = row.cells
    left.paragraphs[0].add_run("{%p for o in oeffentlichkeit %}")
    left.add_paragraph("{{ o.kreuz }} {{ o.text }}", style="Normal")
    left.add_paragraph("{%p endfor %}", style="Normal")
    right.paragraphs[0].add_run("{%p for g in gremien %}")
    right.add_paragraph("{{ g.kreuz }} {{ g.kuerzel }}{% if g.datum %} {{ g.datum }}{% endif %}",
                        style="Normal")
    right.add_paragraph("{%p endfor %}", style="Normal")
    para(doc, "Betreff: {{ betreff }}", style="Betreff")
    para(doc, "Anlagen: {{ anlagen }}")
    para(doc, "Verfahrensgang:", style="Abschnitt")
    tag(doc, "{%p for v in verfahrensgang %}")
    para(doc, "{{ v.kreuz }} {{ v.text }}")
    tag(doc, "{%p endfor %}")
    para(doc, "BESCHLUSSANTRAG:", style="Abschnitt")
    lines(doc, "beschlussantrag", style="Antrag")
    para(doc, "Auswirkungen auf den Haushalt:", style="Abschnitt")
    lines(doc, "auswirkungen_haushalt")
    para(doc, "Sachdarstellung:", style="Abschnitt")
    tag(doc, "{%p for b in sachdarstellung %}")
    tag(doc, "{%p if b.ueberschrift %}")
    para(doc, "{{ b.ueberschrift }}", style="Abschnitt")
    tag(doc, "{%p elif loop.last %}")
    para(doc, "{{ b.absatz }}", keep_next=True)  # stays with the signature
    tag(doc, "{%p else %}")
    para(doc, "{{ b.absatz }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    unterschrift(doc, prefix="")
    return doc


def empfehlungen() -> Document:
    """The Landkreis Böblingen's Anlage with numbered recommendations (seed 004)."""
    doc = new_document()
    header_and_footer(doc, "{{ kennzeichnung }}", "{{ titel }}")
    para(doc, "{{ titel }}", style="Dokumentart")
    optional(doc, "untertitel", "{{ untertitel }}", style="Betreff")
    tag(doc, "{%p for b in einleitung %}")
    tag(doc, "{%p if b.arbeitsgruppen %}")
    tag(doc, "{%p for ag in b.arbeitsgruppen %}")
    para(doc, "{{ ag.thema }}", style="Arbeitsgruppe")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    para(doc, "{{ b.absatz }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    label = para(doc, "{{ kennzeichnung }}", style="Abschnitt")
    label.paragraph_format.page_break_before = True
    tag(doc, "{%p for e in empfehlungen %}")
    para(doc, "{{ e.text }}", style="Empfehlung")
    tag(doc, "{%p for punkt in e.punkte %}")
    para(doc, "{{ punkt }}", style="Empfehlung Punkt")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    return doc


def pressetext() -> Document:
    """A press or web text of the city (seed 003)."""
    doc = new_document()
    header_and_footer(doc, "Pressetext", "{{ titel }}")
    para(doc, "{{ titel }}", style="Dokumentart")
    optional(doc, "datum", "{{ datum }}", style="Kleingedruckt")
    optional(doc, "vorspann", "{{ vorspann }}", style="Betreff")
    # As on the city's website: the hints after the first paragraph and again at the end.
    lines(doc, "absaetze[:1]")
    lines(doc, "hinweise", style="Aufzählung")
    lines(doc, "absaetze[1:]")
    optional(doc, "kontaktzeile", "{{ kontaktzeile }}", style="Aufzählung")
    lines(doc, "hinweise", style="Aufzählung")
    return doc


TEMPLATES = {
    "stadt-leinfelden-echterdingen": {
        "pressetext.docx": pressetext,
        "aenderungsuebersicht.docx": aenderungsuebersicht,
        "beschlussvorlage.docx": beschlussvorlage,
        "zwischenbericht.docx": zwischenbericht,
        "massnahmenkatalog.docx": massnahmenkatalog,
    },
    "landkreis-esslingen": {"sitzungsvorlage.docx": sitzungsvorlage},
    "landkreis-boeblingen": {"empfehlungen.docx": empfehlungen},
}


# The chart's look per category: the colour of the catalogue's cells, and a pattern so that a
# paper printed in grey still tells the categories apart (LibreOffice draws these as hatches).
DIAGRAMM_MUSTER = {
    "Abgeschlossen": ("C5E0B3", None),
    "Laufend / wird fortgesetzt": ("DEEAF6", "WIDE_UPWARD_DIAGONAL"),
    "In Planung": ("FFF2CC", "LIGHT_VERTICAL"),
    "In Prüfung": ("E4DFEC", "DIAGONAL_CROSS"),
    "Noch nicht umgesetzt": ("F7CAAC", "DARK_HORIZONTAL"),
}


def statistik_diagramm(paragraph, width_mm: float = 160, height_mm: float = 95) -> None:
    """A native Word chart named „diagramm“: stacked bars, one per Handlungsfeld, one series
    per category. ratsdoc replaces its sample figures with the report's; its look is the
    template's (editable in Word). The chart XML comes from python-pptx's chart writer, which
    writes the same DrawingML chart part Word uses."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.shared import Mm
    from lxml import etree
    from pptx.chart.chart import Chart
    from pptx.chart.data import CategoryChartData
    from pptx.chart.xmlwriter import ChartXmlWriter
    from pptx.dml.color import RGBColor as PptxRGB
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
    from pptx.enum.dml import MSO_PATTERN
    from pptx.oxml import parse_xml as parse_chart
    from pptx.util import Pt as PptxPt

    data = CategoryChartData(number_format="0")
    data.categories = [f"Handlungsfeld {i}" for i in range(1, 8)]
    for n, name in enumerate(DIAGRAMM_MUSTER):
        data.add_series(name, [(i * 3 + n * 2) % 5 for i in range(7)])
    space = parse_chart(ChartXmlWriter(XL_CHART_TYPE.BAR_STACKED, data).xml.encode("utf-8"))
    chart = Chart(space, None)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.font.size = PptxPt(8)
    chart.font.name = FONT
    plot = chart.plots[0]
    plot.gap_width, plot.overlap = 60, 100
    for series, (colour, pattern) in zip(plot.series, DIAGRAMM_MUSTER.values(), strict=True):
        fill = series.format.fill
        if pattern is None:
            fill.solid()
            fill.fore_color.rgb = PptxRGB.from_string(colour)
        else:
            fill.patterned()
            fill.pattern = getattr(MSO_PATTERN, pattern)
            fill.fore_color.rgb = PptxRGB.from_string("505050")
            fill.back_color.rgb = PptxRGB.from_string(colour)
        series.format.line.color.rgb = PptxRGB.from_string("404040")
        series.format.line.width = PptxPt(0.5)
    chart.value_axis.has_major_gridlines = True
    chart.value_axis.major_gridlines.format.line.color.rgb = PptxRGB.from_string("D9D9D9")
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = "Anzahl Maßnahmen"
    # No frame around the chart (a chart space without spPr gets one in Word).
    space.append(parse_chart('<c:spPr xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/'
                             'chart" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/'
                             'main"><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr>'))
    space.append(space.find("{*}txPr"))  # schema order: spPr before txPr
    blob = etree.tostring(space, xml_declaration=True, encoding="UTF-8", standalone=True)

    document_part = paragraph.part
    part = Part(PackURI("/word/charts/chart1.xml"),
                "application/vnd.openxmlformats-officedocument.drawingml.chart+xml", blob,
                document_part.package)
    rid = document_part.relate_to(part, RT.CHART)
    run = paragraph.add_run()
    run._r.append(parse_xml(
        f'<w:drawing {nsdecls("w", "wp", "a", "r")}><wp:inline distT="0" distB="0" distL="0" '
        f'distR="0"><wp:extent cx="{Mm(width_mm)}" cy="{Mm(height_mm)}"/>'
        '<wp:effectExtent l="0" t="0" r="0" b="0"/>'
        '<wp:docPr id="100" name="diagramm" descr="Balkendiagramm: Maßnahmen je Handlungsfeld '
        'nach Stand der Umsetzung"/><wp:cNvGraphicFramePr/>'
        '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        '<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        f'r:id="{rid}"/></a:graphicData></a:graphic></wp:inline></w:drawing>'))


def main() -> None:
    parser = argparse.ArgumentParser(
        add_help=False,
        description="Fehlende Word-Vorlagen der Hausstile anlegen. Vorhandene Vorlagen werden nie "
                    "ersetzt: das Layout ändert man in der .docx-Datei selbst, in Word oder "
                    "LibreOffice.")
    parser.add_argument("-h", "--hilfe", "--help", action="help", help="diese Hilfe zeigen")
    parser.add_argument("--ziel", type=Path, default=Path("templates/docx"),
                        help="Ordner der Hausstile (Standard: templates/docx)")
    args = parser.parse_args()
    for stil, templates in TEMPLATES.items():
        folder = args.ziel / stil
        folder.mkdir(parents=True, exist_ok=True)
        for name, make in templates.items():
            target = folder / name
            if target.exists() or target.is_symlink():
                print(f"vorhanden, bleibt unverändert: {target}")
                continue
            if create(target, make()):
                print(f"angelegt: {target}")
            else:
                print(f"vorhanden, bleibt unverändert: {target}")


def create(target: Path, doc: Document) -> bool:
    """Write a new template; False, with nothing written, when the file exists by now."""
    # Property children in the order ECMA-376 prescribes (python-docx appends some last).
    schema_order(doc.element)
    schema_order(doc.styles.element)
    for part in (doc.sections[0].header.part, doc.sections[0].footer.part):
        schema_order(part.element)
    props = doc.core_properties
    props.author, props.title, props.comments = "ratsdoc", target.name, ""
    # Even a template created meanwhile is never replaced, nor left half-written.
    out = io.BytesIO()
    doc.save(out)
    try:
        write_new(target, out.getvalue())
    except FileExistsError:
        return False
    return True


if __name__ == "__main__":
    main()
