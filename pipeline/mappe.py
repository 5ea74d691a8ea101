"""Sitzungsmappe: a Vorlage and its Anlagen as one PDF with a bookmark for each part."""

from __future__ import annotations

import io
from pathlib import Path

from .build import document_names, render_all
from .kinds import anlage_titel, anlagen_of, as_of, dokumentinfo, stichtag_of
from .output import build_lock, write_atomic
from .pdf import convert_to_pdfa
from .validate import load_and_validate

MAPPEN_ORDNER = "mappen"


def build_mappe(daten_ordner: Path, vorlagen: Path, ausgabe: Path, name: str) -> Path:
    """Render the Vorlage and its generated Anlagen, convert them in one run, and merge."""
    from pypdf import PdfWriter

    daten = load_and_validate(daten_ordner, vorlagen)
    document_names(daten, (name,))  # unknown names get the usual message
    anlagen = anlagen_of(name, daten)
    parts = [name] + [a.dokument for a in anlagen if a.dokument]
    # The Anlagen show the world as of the paper's Stichtag, as the paper itself does.
    daten = as_of(daten, stichtag_of(name, daten))
    rendered = render_all(daten, vorlagen, list(dict.fromkeys(parts)))
    pdfs = convert_to_pdfa(rendered, {n: dokumentinfo(n, daten).titel for n in rendered})

    writer = PdfWriter()
    titles = {name: dokumentinfo(name, daten).titel}
    titles |= {a.dokument: f"Anlage: {anlage_titel(a, daten)}" for a in anlagen if a.dokument}
    for part in dict.fromkeys(parts):
        writer.append(io.BytesIO(pdfs[part]), outline_item=titles[part])
    writer.add_metadata({"/Title": f"Sitzungsmappe: {titles[name]}",
                         "/Author": daten.stil_of(name).name})
    out = io.BytesIO()
    writer.write(out)
    target = ausgabe / MAPPEN_ORDNER / f"{name}.pdf"
    with build_lock(ausgabe):
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, out.getvalue())
    return target
