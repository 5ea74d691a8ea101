"""Composes the stages for the commands: load → validate → context → render → write."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .context import build_context, dokumentinfo
from .errors import DatenFehler, Problem, display_path
from .load import Daten
from .model import Zwischenbericht
from .output import build_lock, write_atomic
from .render import render_docx
from .validate import KATALOG_NAME, load_and_validate


@dataclass(frozen=True)
class Ergebnis:
    """One document of a build: where it went and whether its bytes changed."""

    name: str
    pfad: Path
    geaendert: bool


def template_for(name: str, daten: Daten, vorlagen: Path) -> Path:
    if name == KATALOG_NAME:
        return vorlagen / "massnahmenkatalog.docx"
    art = "zwischenbericht" if isinstance(daten.vorlagen[name], Zwischenbericht) else "beschlussvorlage"
    return vorlagen / f"{art}.docx"


def document_names(daten: Daten, requested: tuple[str, ...] = ()) -> list[str]:
    available = ([KATALOG_NAME] if daten.katalog else []) + sorted(daten.vorlagen)
    unknown = [n for n in requested if n not in available]
    if unknown:
        raise DatenFehler([
            Problem(display_path(daten.ordner), 0, "",
                    f"kein Dokument „{n}“; vorhanden sind: {', '.join(available)}")
            for n in unknown
        ])
    return list(dict.fromkeys(requested)) if requested else available


def render_all(daten: Daten, vorlagen: Path, names: list[str]) -> dict[str, bytes]:
    """Render every named document in memory; nothing is written here."""
    return {
        name: render_docx(template_for(name, daten, vorlagen), build_context(name, daten),
                          dokumentinfo(name, daten))
        for name in names
    }


def check(daten_ordner: Path, vorlagen: Path) -> list[str]:
    """Validate data and templates by rendering everything in memory."""
    daten = load_and_validate(daten_ordner)
    names = document_names(daten)
    render_all(daten, vorlagen, names)
    return names


def build(daten_ordner: Path, ausgabe: Path, vorlagen: Path,
          requested: tuple[str, ...] = ()) -> list[Ergebnis]:
    """Build documents into the output folder; write only once all of them rendered."""
    daten = load_and_validate(daten_ordner)
    rendered = render_all(daten, vorlagen, document_names(daten, requested))
    results = []
    with build_lock(ausgabe):
        for name, data in rendered.items():
            target = ausgabe / f"{name}.docx"
            changed = not target.exists() or target.read_bytes() != data
            if changed:
                write_atomic(target, data)
            results.append(Ergebnis(name, target, changed))
    return results
