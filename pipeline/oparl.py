"""Export stage: a paper as an OParl 1.1 Paper, with its Consultations and Files embedded.

The Files describe the documents the last build wrote into output/ (the .docx as master, the PDF
as its derivative), so that size and checksum are those of the files a council system receives.
Times come from the data, never from the clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from .errors import AusgabeFehler, RatsdocError, display_path
from .kinds import anlage_datei, anlage_titel, dokumentinfo, kind_of, kinds
from .load import Daten
from .output import build_lock, write_atomic

SCHEMA = "https://schema.oparl.org/1.1/"
PREFIX = "ratsdoc"  # vendor extensions are named "ratsdoc:…"
MIME = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "pdf": "application/pdf"}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("ä", "ae").replace("ö", "oe")
                  .replace("ü", "ue").replace("ß", "ss")).strip("-")


def _time(date: dt.date | None) -> str:
    # OParl requires created/modified on every object; a paper without any date gets the epoch.
    return f"{(date or dt.date(1970, 1, 1)).isoformat()}T00:00:00+00:00"


def _file(base: str, path: Path, date: dt.date | None, name: str) -> dict[str, Any]:
    data = path.read_bytes()
    extension = path.suffix.lstrip(".").lower()
    return {
        "id": f"{base}/file/{path.name}",
        "type": f"{SCHEMA}File",
        "name": name,
        "fileName": path.name,
        "mimeType": MIME[extension],
        **({"date": date.isoformat()} if date else {}),
        "size": len(data),
        "sha512Checksum": hashlib.sha512(data).hexdigest(),
        "accessUrl": f"{base}/files/{path.name}",
        "created": _time(date),
        "modified": _time(date),
    }


def _files(base: str, ausgabe: Path, document: str, date: dt.date | None, name: str):
    """The .docx as master file, and its PDF (if built) as derivative."""
    docx = ausgabe / f"{document}.docx"
    if not docx.exists():
        raise AusgabeFehler(f"{display_path(docx)} fehlt: bitte zuerst „ratsdoc build“ ausführen")
    master = _file(base, docx, date, name)
    pdf = ausgabe / f"{document}.pdf"
    derived = []
    if pdf.exists():
        derived = [_file(base, pdf, date, f"{name} (PDF/A)") | {"masterFile": master["id"]}]
        master["derivativeFile"] = [f["id"] for f in derived]
    return master, derived


def paper(name: str, daten: Daten, ausgabe: Path, base: str, intern: bool = False) -> dict[str, Any]:
    """The OParl Paper of one paper of the data folder.

    OParl is a public interface: a nichtöffentlich paper is refused unless `intern`.
    """
    doc = daten.dokumente[name]
    kind = kind_of(doc)
    if kind.oparl_typ is None:
        papers = ", ".join(k.bezeichnung for k in kinds().values() if k.oparl_typ)
        raise RatsdocError(f"„{name}“ ({kind.bezeichnung}) ist keine Drucksache; OParl "
                           f"beschreibt nur Drucksachen (Paper): {papers}")
    if kind.nichtoeffentlich(doc) and not intern:
        raise RatsdocError(f"„{name}“ ist nichtöffentlich; OParl ist eine öffentliche "
                           "Schnittstelle. Nur für ein internes System: --intern")
    stil = daten.stile[doc.stil]
    info = dokumentinfo(name, daten)
    paper_id = f"{base}/paper/{name}"

    def organization(kuerzel: str) -> str:
        return f"{base}/organization/{slug(kuerzel)}"

    main, derived = _files(base, ausgabe, name, info.datum, info.titel)
    auxiliary = []
    for anlage in kind.anlagen(doc):
        if anlage.dokument:
            other = dokumentinfo(anlage.dokument, daten)
            master, pdfs = _files(base, ausgabe, anlage.dokument, other.datum, other.titel)
            auxiliary.append(master)
            derived += pdfs
        elif anlage.datei:
            auxiliary.append(_file(base, anlage_datei(anlage, daten), info.datum,
                                   anlage_titel(anlage, daten)))

    consultations = []
    for i, beratung in enumerate(kind.beratungsfolge(doc), 1):
        art = getattr(beratung, "beschlussart", None)
        consultation = {
            "id": f"{base}/consultation/{name}-{i}",
            "type": f"{SCHEMA}Consultation",
            "paper": paper_id,
            "organization": [organization(beratung.gremium)],
            "created": _time(info.datum),
            "modified": _time(info.datum),
        }
        if art:
            consultation |= {"role": art, "authoritative": art == "Entscheidung"}
        if beratung.sitzungsdatum:
            consultation[f"{PREFIX}:sitzungsdatum"] = beratung.sitzungsdatum.isoformat()
        consultations.append(consultation)

    result: dict[str, Any] = {
        "id": paper_id,
        "type": f"{SCHEMA}Paper",
        "name": info.titel,
        "reference": kind.aktenzeichen(name, doc),
        **({"date": info.datum.isoformat()} if info.datum else {}),
        "paperType": kind.oparl_typ,
        "underDirectionOf": [f"{base}/organization/{slug(stil.dienststelle or stil.amt or stil.name)}"],
        "mainFile": main,
        "auxiliaryFile": auxiliary,
        "consultation": consultations,
        "created": _time(info.datum),
        "modified": _time(info.datum),
    }
    if derived:
        # The PDF/A derivatives, linked from their master files by derivativeFile/masterFile.
        result[f"{PREFIX}:abgeleiteteDateien"] = derived
    for key, value in kind.oparl_extras(name, doc, daten).items():
        result[f"{PREFIX}:{key}"] = value
    return result


def write_paper(name: str, daten: Daten, ausgabe: Path, base: str, intern: bool = False) -> Path:
    data = paper(name, daten, ausgabe, base.rstrip("/"), intern)
    target = ausgabe / "oparl" / f"{name}.json"
    with build_lock(ausgabe):
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode())
    return target
