"""Composes the stages for the commands: load → validate → context → render → write."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .archive import Archiv, Version, file_hashes, git_commit, remove_stale_temp_files
from .context import build_context, dokumentinfo
from .errors import DatenFehler, Problem, display_path
from .load import Daten
from .model import Zwischenbericht, anlagen_of
from .output import build_lock, write_atomic
from .render import render_docx, render_html
from .validate import KATALOG_NAME, load_and_validate


@dataclass(frozen=True)
class Ergebnis:
    """One document of a build: where it went and whether its bytes changed."""

    name: str
    pfad: Path
    geaendert: bool
    pdf: Path | None = None
    archiviert: Version | None = None
    html: Path | None = None


def template_for(name: str, daten: Daten, vorlagen: Path) -> Path:
    """templates/docx/<stil>/<art>.docx"""
    if name == KATALOG_NAME:
        return vorlagen / daten.katalog.stil / "massnahmenkatalog.docx"
    vorlage = daten.vorlagen[name]
    return vorlagen / vorlage.stil / f"{vorlage.art}.docx"


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


CACHE_NAME = ".ratsdoc-cache.json"


def dependencies(name: str, daten: Daten) -> list[Path]:
    """The data files a document's content can depend on."""
    shared = [q.pfad for key, q in daten.quellen.items() if key not in daten.vorlagen]
    if name == KATALOG_NAME:
        return shared
    vorlage = daten.vorlagen[name]
    own = [daten.quellen[name].pfad]
    anlagen = [daten.quellen[a.dokument].pfad for a in anlagen_of(vorlage)
               if a.dokument and a.dokument in daten.vorlagen]
    # A Zwischenbericht looks up the Stichtag of the previous report.
    reports = [daten.quellen[n].pfad for n, v in daten.vorlagen.items()
               if isinstance(v, Zwischenbericht)] if isinstance(vorlage, Zwischenbericht) else []
    return sorted(set(shared + own + anlagen + reports))


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


def cache_key(name: str, daten: Daten, vorlagen: Path) -> str:
    digest = hashlib.sha256(_code_fingerprint().encode())
    for path in [template_for(name, daten, vorlagen), *dependencies(name, daten)]:
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


def render_all(daten: Daten, vorlagen: Path, names: list[str]) -> dict[str, bytes]:
    """Render every named document in memory; nothing is written here."""
    return {
        name: render_docx(template_for(name, daten, vorlagen), build_context(name, daten),
                          dokumentinfo(name, daten))
        for name in names
    }


def check(daten_ordner: Path, vorlagen: Path) -> list[str]:
    """Validate data and templates by rendering everything in memory."""
    daten = load_and_validate(daten_ordner, vorlagen)
    names = document_names(daten)
    render_all(daten, vorlagen, names)
    return names


def inputs_of(name: str, daten: Daten, vorlagen: Path) -> dict[str, str]:
    """sha256 of the data files and the template that went into a document."""
    return file_hashes([*dependencies(name, daten), template_for(name, daten, vorlagen)])


def build(daten_ordner: Path, ausgabe: Path, vorlagen: Path, requested: tuple[str, ...] = (),
          pdf: bool = False) -> list[Ergebnis]:
    """Build documents into the output folder and archive them.

    Everything is rendered (and converted to PDF) in memory first; only then, under the build
    lock, are files written, each one atomically.
    """
    daten = load_and_validate(daten_ordner, vorlagen)
    names = document_names(daten, requested)
    # Documents whose inputs are unchanged since the last build are not rendered again.
    cache = _read_cache(ausgabe)
    keys = {name: cache_key(name, daten, vorlagen) for name in names}
    rendered = {name: data for name in names
                if (data := _cached_output(ausgabe, name, keys[name], cache)) is not None}
    rendered |= render_all(daten, vorlagen, [n for n in names if n not in rendered])
    rendered = {name: rendered[name] for name in names}
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
            if name in pdfs:  # the PDF first: a .docx up to date vouches for its PDF
                write_atomic(pdf_path, pdfs[name])
            changed = _write_if_changed(target, data)
            html_path = None
            if daten.vorlagen.get(name) is not None and daten.vorlagen[name].art == "pressetext":
                # The web version beside the .docx, from the same context.
                html_path = ausgabe / f"{name}.html"
                html = render_html(template_for(name, daten, vorlagen).with_suffix(".html"),
                                   build_context(name, daten))
                if not _write_if_changed(html_path, html):
                    html_path = None
            pdf_data = pdf_path.read_bytes() if pdf_path else None
            version = archiv.file(name, data, dokumentinfo(name, daten).datum,
                                  inputs_of(name, daten, vorlagen), commit, pdf_data)
            results.append(Ergebnis(name, target, changed, pdf_path, version, html_path))
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
