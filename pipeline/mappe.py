"""Sitzungsmappe: a Vorlage and its Anlagen as one PDF with a bookmark for each part."""

from __future__ import annotations

import io
from pathlib import Path

from .build import document_names, render_all
from .kinds import anlage_datei, anlage_titel, anlagen_of, as_of, dokumentinfo, stichtag_of
from .output import build_lock, write_atomic
from .pdf import convert_to_pdfa
from .validate import load_and_validate

MAPPEN_ORDNER = "mappen"


def build_mappe(daten_ordner: Path, templates: Path, ausgabe: Path,
                name: str) -> tuple[Path, list[str]]:
    """Render the paper and its Anlagen, convert them in one LibreOffice run, and merge.

    Returns the Mappe and notes on Anlagen that are only a title (not contained).
    """
    from pypdf import PdfWriter

    daten = load_and_validate(daten_ordner, templates)
    document_names(daten, (name,))  # unknown names get the usual message
    anlagen = anlagen_of(name, daten)
    # The Anlagen show the world as of the paper's Stichtag, as the paper itself does.
    daten = as_of(daten, stichtag_of(name, daten))
    documents = list(dict.fromkeys([name] + [a.dokument for a in anlagen if a.dokument]))
    to_convert = render_all(daten, templates, documents)
    expected = {n: dokumentinfo(n, daten).titel for n in documents}
    parts: list[tuple[str, str]] = [(name, dokumentinfo(name, daten).titel)]  # (key, bookmark)
    ready: dict[str, bytes] = {}
    notes = []
    for i, anlage in enumerate(anlagen, 1):
        bookmark = f"Anlage: {anlage_titel(anlage, daten)}"
        if anlage.dokument:
            parts.append((anlage.dokument, bookmark))
        elif anlage.datei:
            key, data = f"anlage-{i}", anlage_datei(anlage, daten).read_bytes()
            if anlage.datei.lower().endswith(".pdf"):
                ready[key] = data
            else:
                to_convert[key] = data  # a clerk's Word file: converted in the same run
            parts.append((key, bookmark))
        else:
            notes.append(f"Anlage „{anlage.titel}“ ist nicht als Datei vorhanden und fehlt in "
                         "der Mappe (als „datei:“ angeben, um sie aufzunehmen)")
    pdfs = convert_to_pdfa(to_convert, expected) | ready

    writer = PdfWriter()
    for key, bookmark in dict.fromkeys(parts):
        writer.append(io.BytesIO(pdfs[key]), outline_item=bookmark)
    writer.add_metadata({"/Title": f"Sitzungsmappe: {parts[0][1]}",
                         "/Author": daten.stil_of(name).name})
    out = io.BytesIO()
    writer.write(out)
    target = ausgabe / MAPPEN_ORDNER / f"{name}.pdf"
    with build_lock(ausgabe):
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, out.getvalue())
    return target, notes
