"""Validate stage: checks across fields and files that a schema alone cannot express.

The checks every document shares live here (house style, Gremien, Anlagen); each kind adds its
own through the registry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import DatenFehler, Problem, display_path
from .kinds import kind_of
from .load import Daten, Quelle, load_folder


def check_stil(doc: Any, quelle: Quelle, daten: Daten) -> list[Problem]:
    if doc.stil in daten.stile:
        return []
    known = ", ".join(sorted(daten.stile)) or "keine"
    return [quelle.problem(("stil",), f"Hausstil „{doc.stil}“ gibt es nicht; vorhanden "
                                      f"sind: {known}")]


def check_gremien(doc: Any, quelle: Quelle, daten: Daten) -> list[Problem]:
    """Every committee of the Beratungsfolge is one of the house style's Gremien."""
    stil = daten.stile.get(doc.stil)
    if stil is None:
        return []
    return [
        quelle.problem(("beratungsfolge", i, "gremium"),
                       f"Gremium „{b.gremium}“ ist im Hausstil „{doc.stil}“ nicht eingetragen; "
                       f"bekannt sind: {', '.join(stil.gremien)}")
        for i, b in enumerate(kind_of(doc).beratungsfolge(doc)) if b.gremium not in stil.gremien
    ]


def check_anlagen(name: str, doc: Any, quelle: Quelle, daten: Daten) -> list[Problem]:
    """Every Anlage names a document that exists, is not the paper itself, and forms no cycle."""
    problems = []
    for i, anlage in enumerate(kind_of(doc).anlagen(doc)):
        if anlage.datei is not None:
            problems += [quelle.problem(("anlagen", i, "datei"), p)
                         for p in file_problems(anlage.datei, daten.ordner)]
        # A document whose file is invalid was reported already; do not report it twice.
        if anlage.dokument is None or anlage.dokument in daten.ungueltig:
            continue
        path = ("anlagen", i, "dokument")
        if anlage.dokument not in daten.dokumente:
            problems.append(quelle.problem(
                path, f"Dokument „{anlage.dokument}“ gibt es nicht; bekannt sind: "
                      f"{', '.join(sorted(daten.dokumente))}"))
        elif anlage.dokument == name:
            problems.append(quelle.problem(path, "eine Vorlage kann nicht ihre eigene Anlage sein"))
        elif (cycle := _cycle(name, anlage.dokument, daten)) is not None:
            problems.append(quelle.problem(
                path, f"Anlagen bilden einen Kreis: {' → '.join([name, *cycle])}"))
    return problems


ANLAGE_ENDUNGEN = {".pdf": b"%PDF-", ".docx": b"PK\x03\x04"}
MAX_ANLAGE_BYTES = 100 * 1024 * 1024


def file_problems(datei: str, ordner: Path) -> list[str]:
    """A file Anlage lies in the data folder, exists, and is a PDF or Word file of sane size."""
    path = (ordner / datei).resolve()
    if not path.is_relative_to(ordner.resolve()):
        return [f"„{datei}“ liegt außerhalb des Datenordners; Anlagen gehören in den Datenordner "
                "(z. B. anlagen/lageplan.pdf)"]
    if path.suffix.lower() not in ANLAGE_ENDUNGEN:
        return [f"„{datei}“: als Anlage gehen nur PDF- und Word-Dateien (.pdf, .docx)"]
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(5)
    except FileNotFoundError:
        return [f"Datei „{datei}“ fehlt ({display_path(path)})"]
    except OSError as exc:
        return [f"Datei „{datei}“ kann nicht gelesen werden ({exc.strerror})"]
    if size > MAX_ANLAGE_BYTES:
        return [f"„{datei}“ ist {size // (1024 * 1024)} MB groß; erlaubt sind höchstens "
                f"{MAX_ANLAGE_BYTES // (1024 * 1024)} MB"]
    if not head.startswith(ANLAGE_ENDUNGEN[path.suffix.lower()][:len(head)]) or not head:
        return [f"„{datei}“ ist keine gültige {path.suffix.lower().lstrip('.').upper()}-Datei"]
    return []


def _cycle(start: str, via: str, daten: Daten) -> list[str] | None:
    """The chain of Anlagen from `via` back to `start`, if there is one."""
    seen: set[str] = set()
    stack = [(via, [via])]
    while stack:
        current, chain = stack.pop()
        if current in seen or current not in daten.dokumente:
            continue
        seen.add(current)
        doc = daten.dokumente[current]
        for anlage in kind_of(doc).anlagen(doc):
            if anlage.dokument == start:
                return [*chain, start]
            if anlage.dokument:
                stack.append((anlage.dokument, [*chain, anlage.dokument]))
    return None


def check_document(name: str, doc: Any, daten: Daten) -> list[Problem]:
    quelle = daten.quellen[name]
    kind = kind_of(doc)
    return (check_stil(doc, quelle, daten) + check_gremien(doc, quelle, daten)
            + check_anlagen(name, doc, quelle, daten) + kind.checks(name, doc, daten, quelle))


def load_and_validate(ordner: Path, templates: Path) -> Daten:
    """Load a data folder and run every check; raise one DatenFehler with all problems."""
    daten, problems = load_folder(ordner, templates)
    if daten is not None:
        for name, doc in daten.dokumente.items():
            problems += check_document(name, doc, daten)
    if problems:
        raise DatenFehler(problems)
    assert daten is not None
    return daten
