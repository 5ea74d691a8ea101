"""Änderungsübersicht: two archived catalogue versions compared, as Word tracked changes."""

from __future__ import annotations

import datetime as dt
import difflib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from .archive import Archiv, ArchivFehler, Version
from .context import Dokumentinfo, datum
from .package import normalise_package
from .render import render_docx

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
AUTHOR = "ratsdoc"


@dataclass(frozen=True)
class Eintrag:
    nr: str
    text: str
    status: str


def _cell_text(tc) -> str:
    lines = []
    for p in tc.iter(f"{W}p"):
        parts = []
        for el in p.iter(f"{W}t", f"{W}br", f"{W}tab"):
            parts.append(el.text or "" if el.tag == f"{W}t" else ("\n" if el.tag == f"{W}br" else "\t"))
        lines.append("".join(parts))
    return "\n".join(lines)


def read_measures(docx: bytes) -> dict[str, Eintrag]:
    """The measures of an archived catalogue, read back from its tables."""
    doc = Document(io.BytesIO(docx))
    result = {}
    for tbl in doc.element.body.iter(f"{W}tbl"):
        rows = tbl.findall(f"{W}tr")
        header = [_cell_text(tc) for tc in rows[0].findall(f"{W}tc")] if rows else []
        if len(header) != 5 or header[1] != "Nr.":
            continue
        for tr in rows[1:]:
            cells = [_cell_text(tc) for tc in tr.findall(f"{W}tc")]
            result[cells[1]] = Eintrag(cells[1], cells[2], cells[4])
    return result


def _run(text: str, deleted: bool = False, bold: bool = False):
    run = OxmlElement("w:r")
    if bold:
        rpr = OxmlElement("w:rPr")
        rpr.append(OxmlElement("w:b"))
        run.append(rpr)
    for i, line in enumerate(text.split("\n")):
        if i:
            run.append(OxmlElement("w:br"))
        t = OxmlElement("w:delText" if deleted else "w:t")
        t.set(qn("xml:space"), "preserve")
        t.text = line
        run.append(t)
    return run


def _tracked(kind: str, text: str, change_id: int, when: str):
    wrapper = OxmlElement(f"w:{kind}")
    wrapper.set(qn("w:id"), str(change_id))
    wrapper.set(qn("w:author"), AUTHOR)
    wrapper.set(qn("w:date"), when)
    wrapper.append(_run(text, deleted=kind == "del"))
    return wrapper


class _Changes:
    """Appends paragraphs whose differences are w:del / w:ins revisions."""

    def __init__(self, doc, when: str):
        self.doc, self.when, self.next_id = doc, when, 1

    def paragraph(self, label: str, old: str, new: str, whole: bool = False) -> None:
        """One paragraph: the label, then old → new, word by word unless whole."""
        p = self.doc.add_paragraph()
        p._p.append(_run(f"{label}: ", bold=True))
        if whole:
            old_tokens, new_tokens = [old], [new]
        else:
            old_tokens, new_tokens = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
        matcher = difflib.SequenceMatcher(a=old_tokens, b=new_tokens, autojunk=False)
        for op, a1, a2, b1, b2 in matcher.get_opcodes():
            if op == "equal":
                p._p.append(_run("".join(old_tokens[a1:a2])))
                continue
            if a2 > a1:
                p._p.append(_tracked("del", "".join(old_tokens[a1:a2]), self.next_id, self.when))
                self.next_id += 1
            if b2 > b1:
                p._p.append(_tracked("ins", "".join(new_tokens[b1:b2]), self.next_id, self.when))
                self.next_id += 1


def compare(archiv: Archiv, dokument: str, alt: Version, neu: Version, vorlage: Path,
            koerperschaft: dict[str, str]) -> bytes:
    """Build the Änderungsübersicht between two versions of a catalogue."""
    old = read_measures((archiv.ordner / alt.docx).read_bytes())
    new = read_measures((archiv.ordner / neu.docx).read_bytes())
    if not old or not new:
        raise ArchivFehler(f"„{dokument}“ ist kein Maßnahmenkatalog; verglichen werden nur Kataloge")
    titel = f"Änderungsübersicht {dokument} v{alt.version} → v{neu.version}"
    info = Dokumentinfo(titel, titel, koerperschaft["name"], dt.date.fromisoformat(neu.datum),
                        "Änderungsübersicht")
    # The template's header and footer hold placeholders: render it first, then append the body.
    doc = Document(io.BytesIO(render_docx(vorlage, {"koerperschaft": koerperschaft, "titel": titel},
                                          info)))
    when = dt.datetime.fromisoformat(neu.datum).strftime("%Y-%m-%dT00:00:00Z")
    doc.add_paragraph(f"Änderungsübersicht {dokument}", style="Dokumentart")
    doc.add_paragraph(
        f"Version {alt.version} (Stand {datum(dt.date.fromisoformat(alt.datum))}) → Version "
        f"{neu.version} (Stand {datum(dt.date.fromisoformat(neu.datum))}). Änderungen sind als "
        "Überarbeitungen markiert (Word: Überprüfen → Nachverfolgung).")
    changes = _Changes(doc, when)
    count = 0
    for nr in sorted(set(old) | set(new), key=lambda n: int(n) if n.isdigit() else 0):
        a, b = old.get(nr), new.get(nr)
        if a == b:
            continue
        count += 1
        doc.add_paragraph(f"Maßnahme {nr}", style="Abschnitt")
        a_text, a_status = (a.text, a.status) if a else ("", "")
        b_text, b_status = (b.text, b.status) if b else ("", "")
        if a_status != b_status:
            changes.paragraph("Status", a_status, b_status, whole=True)
        if a_text != b_text:
            changes.paragraph("Text", a_text, b_text)
    if not count:
        doc.add_paragraph("Zwischen den beiden Versionen hat sich keine Maßnahme geändert.")
    out = io.BytesIO()
    doc.save(out)
    return normalise_package(out.getvalue(), vorlage)
