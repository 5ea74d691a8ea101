"""Änderungsübersicht: two archived versions compared by their data, as Word tracked changes."""

from __future__ import annotations

import datetime as dt
import difflib
import io
import re
from pathlib import Path

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from .archive import Archiv, ArchivFehler, Version
from .context import Dokumentinfo, datum
from .errors import VorlagenFehler
from .package import normalise_package
from .render import render_docx

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
AUTHOR = "ratsdoc"


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


REQUIRED_STYLES = ("Dokumentart", "Abschnitt")


def compare(archiv: Archiv, alt: Version, neu: Version, template: Path,
            koerperschaft: dict[str, str]) -> bytes:
    """The Änderungsübersicht between two archived versions, from their data snapshots."""
    from .kinds import kinds

    old_snapshot, new_snapshot = archiv.snapshot(alt), archiv.snapshot(neu)
    kind = kinds()[new_snapshot["art"]]
    old = kind.vergleichseintraege(old_snapshot["daten"][alt.dokument])
    new = kind.vergleichseintraege(new_snapshot["daten"][neu.dokument])
    if old is None or new is None:
        comparable = ", ".join(k.bezeichnung for k in kinds().values()
                               if k.vergleichseintraege({}) is not None)
        raise ArchivFehler(f"„{neu.dokument}“ ({kind.bezeichnung}) wird nicht verglichen; "
                           f"verglichen werden: {comparable}")
    document = new_snapshot["daten"][neu.dokument]
    name = document.get("titel") or document.get("betreff") or neu.dokument
    titel = f"Änderungsübersicht: {name}"
    info = Dokumentinfo(titel, f"Version {alt.version} → Version {neu.version}",
                        koerperschaft["name"], _date(neu), "Änderungsübersicht")
    # The template's header and footer hold placeholders: render it first, then append the body.
    doc = Document(io.BytesIO(render_docx(template, {"koerperschaft": koerperschaft,
                                                     "titel": titel}, info)))
    names = {style.name for style in doc.styles}
    missing = [style for style in REQUIRED_STYLES if style not in names]
    if missing:
        raise VorlagenFehler(template, "Formatvorlage(n) fehlen: " + ", ".join(missing)
                             + " (in Word: Start → Formatvorlagen)")
    when = f"{(_date(neu) or dt.date(1970, 1, 1)).isoformat()}T00:00:00Z"
    doc.add_paragraph(titel, style="Dokumentart")
    doc.add_paragraph(
        f"Version {alt.version} ({_stand(alt)}) → Version {neu.version} ({_stand(neu)}). "
        "Änderungen sind als Überarbeitungen markiert (Word: Überprüfen → Nachverfolgung).")
    changes = _Changes(doc, when)
    count = 0
    for key in sorted(set(old) | set(new), key=lambda k: (0, int(k)) if k.isdigit() else (1, k)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        count += 1
        heading = (b or a or (key, {}))[0]
        doc.add_paragraph(heading, style="Abschnitt")
        if a is None:
            doc.add_paragraph("Neu hinzugekommen.")
        elif b is None:
            doc.add_paragraph("Entfallen.")
        a_fields, b_fields = (a[1] if a else {}), (b[1] if b else {})
        for field in dict.fromkeys([*a_fields, *b_fields]):
            before, after = a_fields.get(field, ""), b_fields.get(field, "")
            if before != after:
                changes.paragraph(field, before, after, whole=field == "Status")
    if not count:
        doc.add_paragraph("Zwischen den beiden Versionen hat sich nichts geändert.")
    out = io.BytesIO()
    doc.save(out)
    return normalise_package(out.getvalue(), template)


def _date(version: Version) -> dt.date | None:
    return dt.date.fromisoformat(version.datum) if version.datum else None


def _stand(version: Version) -> str:
    when = _date(version)
    return f"Stand {datum(when)}" if when else "ohne Datum"


def aenderungsuebersicht(daten_ordner: Path, vorlagen: Path, ausgabe: Path, dokument: str,
                         version_a: int, version_b: int) -> tuple[str, bytes]:
    """`ratsdoc archiv vergleich`: (file name, bytes) of the Änderungsübersicht of two versions."""
    from .build import document_names
    from .context import koerperschaft
    from .validate import load_and_validate

    geladen = load_and_validate(daten_ordner, vorlagen)
    document_names(geladen, (dokument,))
    archive = Archiv.open(ausgabe)
    alt, neu = archive.find(dokument, version_a), archive.find(dokument, version_b)
    template = vorlagen / geladen.dokumente[dokument].stil / "aenderungsuebersicht.docx"
    data = compare(archive, alt, neu, template, koerperschaft(geladen.stil_of(dokument)))
    return f"{dokument}_aenderungen_v{alt.version}_v{neu.version}.docx", data
