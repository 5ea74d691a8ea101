"""Composes the stages for the commands: load → validate → context → render → write."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .archive import Archiv, Version, file_hashes, git_commit, remove_stale_temp_files
from .errors import DatenFehler, Problem, display_path
from .kinds import anlagen_of, build_context, dokumentinfo, kind_of, template_for
from .load import STIL_DATEI, Daten
from .output import build_lock, write_atomic
from .render import render_docx
from .validate import load_and_validate


@dataclass(frozen=True)
class Ergebnis:
    """One document of a build: where it went and whether its bytes changed."""

    name: str
    pfad: Path
    geaendert: bool
    pdf: Path | None = None
    archiviert: Version | None = None
    weitere: tuple[Path, ...] = ()  # further outputs written beside the .docx (e.g. HTML)


def document_names(daten: Daten, requested: tuple[str, ...] = ()) -> list[str]:
    available = list(daten.dokumente)
    unknown = [n for n in requested if n not in available]
    if unknown:
        raise DatenFehler([
            Problem(display_path(daten.ordner), 0, "",
                    f"kein Dokument „{n}“; vorhanden sind: {', '.join(available)}")
            for n in unknown
        ])
    return list(dict.fromkeys(requested)) if requested else available


CACHE_NAME = ".ratsdoc-cache.json"


def dependencies(name: str, daten: Daten) -> list[str]:
    """The documents whose data a document shows: itself, its Anlagen, what its kind needs."""
    doc = daten.dokumente[name]
    names = [name, *(a.dokument for a in anlagen_of(name, daten) if a.dokument),
             *kind_of(doc).braucht(name, doc, daten)]
    return list(dict.fromkeys(names))


def input_files(name: str, daten: Daten, templates: Path) -> list[Path]:
    """Every file a document's bytes depend on: data files, house style, templates."""
    doc = daten.dokumente[name]
    kind = kind_of(doc)
    data = [daten.quellen[n].pfad for n in dependencies(name, daten)]
    style = templates / doc.stil
    files = [*data, *kind.daten_dateien(doc, daten), style / STIL_DATEI,
             template_for(name, daten, templates), *(style / t for t in kind.weitere_vorlagen)]
    return sorted({f for f in files if f.exists()})


def snapshot(name: str, daten: Daten) -> bytes:
    """The data a version was rendered from, as JSON: the document and what it shows."""
    doc = daten.dokumente[name]
    payload = {
        "format": 1,
        "dokument": name,
        "art": doc.art,
        "daten": {n: daten.dokumente[n].model_dump(mode="json")
                  for n in dependencies(name, daten) if n in daten.dokumente},
        "haushalt": (daten.haushalt.model_dump(mode="json")
                     if daten.haushalt and kind_of(doc).daten_dateien(doc, daten) else None),
    }
    return (json.dumps(payload, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


@functools.cache
def _code_fingerprint() -> str:
    """ratsdoc's own source and the versions of the libraries that shape the output."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    for package in ("docxtpl", "python-docx", "jinja2", "babel", "matplotlib", "lxml"):
        digest.update(f"{package}={version(package)}".encode())
    return digest.hexdigest()


def cache_key(name: str, daten: Daten, templates: Path) -> str:
    digest = hashlib.sha256(_code_fingerprint().encode())
    for path in input_files(name, daten, templates):
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _read_cache(ausgabe: Path) -> dict[str, dict[str, str]]:
    try:
        return json.loads((ausgabe / CACHE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _cached_output(ausgabe: Path, name: str, key: str, cache: dict) -> bytes | None:
    """The existing output of a document if it was rendered from exactly these inputs."""
    entry, target = cache.get(name), ausgabe / f"{name}.docx"
    if not entry or entry.get("schluessel") != key or not target.exists():
        return None
    data = target.read_bytes()
    return data if hashlib.sha256(data).hexdigest() == entry.get("sha256") else None


def render_all(daten: Daten, templates: Path, names: list[str]) -> dict[str, bytes]:
    """Render every named document in memory; nothing is written here."""
    return {
        name: render_docx(template_for(name, daten, templates), build_context(name, daten),
                          dokumentinfo(name, daten))
        for name in names
    }


def check(daten_ordner: Path, templates: Path) -> list[str]:
    """Validate data and templates by rendering everything in memory."""
    daten = load_and_validate(daten_ordner, templates)
    names = document_names(daten)
    render_all(daten, templates, names)
    for name in names:
        doc = daten.dokumente[name]
        kind_of(doc).weitere_ausgaben(name, doc, daten, templates)
    return names


def build(daten_ordner: Path, ausgabe: Path, templates: Path, requested: tuple[str, ...] = (),
          pdf: bool = False) -> list[Ergebnis]:
    """Build documents into the output folder and archive them.

    Everything is rendered (and converted to PDF) in memory first; only then, under the build
    lock, are files written, each one atomically.
    """
    daten = load_and_validate(daten_ordner, templates)
    names = document_names(daten, requested)
    # Documents whose inputs are unchanged since the last build are not rendered again.
    cache = _read_cache(ausgabe)
    keys = {name: cache_key(name, daten, templates) for name in names}
    rendered = {name: data for name in names
                if (data := _cached_output(ausgabe, name, keys[name], cache)) is not None}
    rendered |= render_all(daten, templates, [n for n in names if n not in rendered])
    rendered = {name: rendered[name] for name in names}
    further = {name: kind_of(daten.dokumente[name]).weitere_ausgaben(
        name, daten.dokumente[name], daten, templates) for name in names}
    pdfs: dict[str, bytes] = {}
    if pdf:
        from .pdf import convert_to_pdfa

        # Only documents whose .docx changed (or whose PDF is missing) go through LibreOffice.
        stale = {n: d for n, d in rendered.items() if not _up_to_date(ausgabe, n, d)}
        pdfs = convert_to_pdfa(stale, {n: dokumentinfo(n, daten).titel for n in stale})
    commit = git_commit(daten_ordner)
    results = []
    with build_lock(ausgabe):
        remove_stale_temp_files(ausgabe)
        archiv = Archiv.open(ausgabe)
        for name, data in rendered.items():
            target = ausgabe / f"{name}.docx"
            pdf_path = ausgabe / f"{name}.pdf" if pdf else None
            if pdf_path is not None and name in pdfs:
                write_atomic(pdf_path, pdfs[name])  # the PDF first: a .docx up to date vouches for it
            changed = _write_if_changed(target, data)
            written = tuple(path for suffix, content in further[name].items()
                            if _write_if_changed(path := ausgabe / f"{name}{suffix}", content))
            pdf_data = pdf_path.read_bytes() if pdf_path else None
            version = archiv.file(name, data, dokumentinfo(name, daten).datum,
                                  file_hashes(input_files(name, daten, templates)), commit,
                                  pdf_data, snapshot(name, daten))
            results.append(Ergebnis(name, target, changed, pdf_path, version, written))
            cache[name] = {"schluessel": keys[name], "sha256": hashlib.sha256(data).hexdigest()}
        archiv.save()
        write_atomic(ausgabe / CACHE_NAME, json.dumps(cache, indent=1).encode("utf-8"))
    return results


def _up_to_date(ausgabe: Path, name: str, data: bytes) -> bool:
    docx, pdf = ausgabe / f"{name}.docx", ausgabe / f"{name}.pdf"
    return docx.exists() and pdf.exists() and docx.read_bytes() == data


def _write_if_changed(target: Path, data: bytes) -> bool:
    if target.exists() and target.read_bytes() == data:
        return False
    write_atomic(target, data)
    return True
