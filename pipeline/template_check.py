"""A clerk's own Word file as a template: which placeholders a kind offers, and whether a file
is usable as a template of that kind (`ratsdoc vorlagen felder` and `ratsdoc vorlagen pruefen`)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .context import Bild
from .errors import DatenFehler, RatsdocError, VorlagenFehler, display_path
from .kinds import Kind, build_context, dokumentinfo, kinds
from .load import Daten
from .scaffold import BEISPIEL_ORDNER
from .validate import load_and_validate


def kind_named(art: str) -> Kind:
    if art not in kinds():
        raise RatsdocError(f"„{art}“ ist keine bekannte Art; erlaubt sind: {', '.join(kinds())}")
    return kinds()[art]


@dataclass(frozen=True)
class Beispiel:
    """A document of one kind from real data, to take example values and test renders from."""

    name: str
    daten: Daten


def find_example(art: str, daten_ordner: Path, templates: Path) -> Beispiel:
    """The first document of that kind in the data folder, else in a house style's examples."""
    folders = [daten_ordner, *sorted(templates.glob(f"*/{BEISPIEL_ORDNER}"))]
    for folder in folders:
        if not folder.is_dir():
            continue
        try:
            daten = load_and_validate(folder, templates)
        except DatenFehler:
            continue
        for name, doc in daten.dokumente.items():
            if doc.art == art:
                return Beispiel(name, daten)
    searched = ", ".join(display_path(f) for f in folders)
    raise RatsdocError(f"keine gültigen Beispieldaten der Art „{art}“ gefunden (gesucht in: "
                       f"{searched})")


def context_paths(value: Any, prefix: str = "") -> dict[str, Any]:
    """Every placeholder path of a context with its example value: a.b, a[].c for lists."""
    paths: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            paths[path] = item
            paths |= context_paths(item, path)
    elif isinstance(value, list) and value:
        paths[f"{prefix}[]"] = value[0]
        paths |= context_paths(value[0], f"{prefix}[]")
    return {p: v for p, v in paths.items() if not p.endswith("[]") or not isinstance(v, dict)}


def shown(value: Any) -> str:
    """An example value as one short line."""
    if isinstance(value, Bild):
        return "(Bild)"
    if isinstance(value, dict):
        return "(Gruppe)"
    if isinstance(value, list):
        return f"(Liste mit {len(value)} Einträgen)" if len(value) != 1 else "(Liste mit 1 Eintrag)"
    if value is None:
        return "(leer)"
    text = " ".join(str(value).split())
    return f"„{text if len(text) <= 50 else text[:49] + '…'}“"


@dataclass(frozen=True)
class Feld:
    name: str
    beschreibung: str
    beispiel: str


def placeholders(art: str, daten_ordner: Path, templates: Path) -> list[Feld]:
    """Every placeholder a kind's context offers, described, with a value from real data."""
    kind = kind_named(art)
    beispiel = find_example(art, daten_ordner, templates)
    examples = context_paths(build_context(beispiel.name, beispiel.daten))
    names = list(dict.fromkeys([*kind.felder, *examples]))
    return [Feld(n, kind.felder.get(n, "(ohne Beschreibung)"),
                 shown(examples[n]) if n in examples else "(in den Beispieldaten leer)")
            for n in names]


def check_template(path: Path, art: str, daten_ordner: Path, templates: Path) -> list[str]:
    """Everything that keeps a Word file from serving as a template of that kind, in German."""
    from .render import open_template, render_docx, template_problems, undeclared_variables

    kind = kind_named(art)
    open_template(path)  # not a .docx at all: one error, nothing else to say
    problems = template_problems(path)
    if problems:
        return problems  # the placeholders cannot be read until the tags are mended
    beispiel = find_example(art, daten_ordner, templates)
    context = build_context(beispiel.name, beispiel.daten)
    used = undeclared_variables(path, {})
    for name in sorted(used - set(context)):
        close = difflib.get_close_matches(name, list(context), n=1)
        hint = f" (meinten Sie „{close[0]}“?)" if close else ""
        problems.append(f"unbekannter Platzhalter „{name}“{hint}; `ratsdoc vorlagen felder {art}` "
                        "zeigt alle")
    for name in kind.pflicht_platzhalter:
        if name not in used:
            problems.append(f"Pflicht-Platzhalter „{{{{ {name} }}}}“ fehlt")
    if not problems:
        try:
            render_docx(path, context, dokumentinfo(beispiel.name, beispiel.daten))
        except VorlagenFehler as exc:
            problems.append(f"Probe mit den Beispieldaten „{beispiel.name}“ scheitert: "
                            f"{exc.format_message()}")
    return problems
