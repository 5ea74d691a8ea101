"""Papers as records: placeholders a clerk still has to fill, and submitting a paper
(`ratsdoc einreichen`), after which it is never rendered again."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .archive import Archiv, ArchivFehler
from .errors import Problem, RatsdocError
from .kinds import kind_of
from .load import Daten, Feldpfad
from .output import build_lock

# Text in square brackets that a clerk has to replace: „[Name]“, „[Platzhalter: …]“.
PLATZHALTER = re.compile(r"\[[^\[\]\n]{1,120}\]")


def placeholders(name: str, daten: Daten) -> list[Problem]:
    """Every placeholder in square brackets in a document's data file, with file:line:field."""
    quelle = daten.quellen[name]
    return [quelle.problem(path, f"Platzhalter {match} ist noch auszufüllen")
            for path, text in _texts(quelle.daten, ()) if "[" in text
            for match in PLATZHALTER.findall(text)]


def _texts(value: Any, path: Feldpfad) -> Iterator[tuple[Feldpfad, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, (*path, str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _texts(item, (*path, i))


def missing_dates(name: str, daten: Daten) -> list[Problem]:
    """A paper goes to a committee on a date: every Beratung needs its Sitzungsdatum."""
    doc = daten.dokumente[name]
    quelle = daten.quellen[name]
    return [quelle.problem(("beratungsfolge", i, "sitzungsdatum"),
                           "Sitzungsdatum fehlt („Termin folgt“ kann nicht eingereicht werden)")
            for i, beratung in enumerate(kind_of(doc).beratungsfolge(doc))
            if getattr(beratung, "sitzungsdatum", None) is None]


@dataclass(frozen=True)
class Eingereicht:
    name: str
    version: int
    zeit: str


def submit(name: str, daten: Daten, ausgabe: Path, inputs: dict[str, str],
           von: str = "") -> Eingereicht:
    """File the paper's current archived version as the submitted record.

    `inputs` are the current hashes of the files the paper is rendered from; `von` is who
    submits it (recorded in the archive's log).
    """
    problems = placeholders(name, daten) + missing_dates(name, daten)
    if problems:
        count = f"{len(problems)} Problem" + ("" if len(problems) == 1 else "e")
        raise RatsdocError("\n".join([f"„{name}“ kann noch nicht eingereicht werden ({count}):",
                                       *map(str, sorted(problems))]))
    with build_lock(ausgabe):
        archiv = Archiv.open(ausgabe)
        archiv.require_intact()
        state = archiv.einreichung(name)
        if state.version is not None:
            raise ArchivFehler(f"„{name}“ wurde schon eingereicht (Version v{state.version.version}, "
                               f"{german_time(state.zeit)}); für eine neue Fassung: ratsdoc "
                               f"einreichen {name} --neufassung")
        latest = archiv.latest(name)
        current = ausgabe / f"{name}.docx"
        if latest is None or not current.exists() or \
                _sha(current.read_bytes()) != latest.docx_sha256:
            raise ArchivFehler(f"„{name}“ ist nicht auf dem neuesten Stand; bitte zuerst "
                               f"„ratsdoc build {name}“ ausführen")
        if latest.eingereicht:  # a Neufassung not built yet: its paper says „Neufassung“
            raise ArchivFehler(f"„{name}“: die Neufassung ist noch nicht erzeugt (Version "
                               f"v{latest.version} wurde schon eingereicht); bitte zuerst "
                               f"„ratsdoc build {name}“ ausführen")
        stale = changed_inputs(latest.eingaben, inputs)
        if stale:
            raise ArchivFehler(f"„{name}“: seit dem letzten Build geändert: {', '.join(stale)}; "
                               f"bitte zuerst „ratsdoc build {name}“ ausführen")
        return Eingereicht(name, latest.version, archiv.submit(name, latest, von))


def einreichen(name: str, daten_ordner: Path, vorlagen: Path, ausgabe: Path,
               von: str = "") -> Eingereicht:
    """`ratsdoc einreichen NAME`: the data validated, the paper named, then `submit`."""
    from .archive import file_hashes
    from .build import document_names, input_files
    from .validate import load_and_validate

    daten = load_and_validate(daten_ordner, vorlagen)
    document_names(daten, (name,))
    return submit(name, daten, ausgabe, file_hashes(input_files(name, daten, vorlagen)), von)


def neufassung_beginnen(name: str, daten_ordner: Path, vorlagen: Path, ausgabe: Path,
                        von: str = "") -> int:
    """`ratsdoc einreichen NAME --neufassung`: the data validated, the paper named, `revise`."""
    from .build import document_names
    from .validate import load_and_validate

    document_names(load_and_validate(daten_ordner, vorlagen), (name,))
    return revise(name, ausgabe, von)


def revise(name: str, ausgabe: Path, von: str = "") -> int:
    """Start a Neufassung of a submitted paper: it is rendered again, marked as such."""
    with build_lock(ausgabe):
        archiv = Archiv.open(ausgabe)
        archiv.require_intact()
        if archiv.einreichung(name).version is None:
            raise ArchivFehler(f"„{name}“ ist nicht eingereicht; eine Neufassung gibt es nur für "
                               "eingereichte Vorlagen")
        return archiv.revise(name, von)


def changed_inputs(recorded: dict[str, str], current: dict[str, str]) -> list[str]:
    """Files whose hash differs between a version's record and now (added, changed, removed)."""
    return sorted(path for path in set(recorded) | set(current)
                  if recorded.get(path) != current.get(path))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def os_user() -> str:
    """The operating system's user name: who acts, where no login names anybody."""
    import getpass

    try:
        name = getpass.getuser()
    except (OSError, KeyError, ImportError):
        return ""
    # From the environment: bytes in another encoding arrive as surrogates, which no UTF-8 file
    # (the archive's log, the catalogue) can hold.
    return os.fsencode(name).decode("utf-8", "replace")


def german_time(iso: str) -> str:
    """2024-03-01T09:30:00+00:00 → 01.03.2024"""
    return f"{iso[8:10]}.{iso[5:7]}.{iso[0:4]}" if len(iso) >= 10 else iso
