"""Composes the stages for the commands: load → validate → context → render → write."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .archive import Archiv, Version, file_hashes, git_commit, remove_stale_temp_files
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
    pdf: Path | None = None
    archiviert: Version | None = None


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


def inputs_of(name: str, daten: Daten, vorlagen: Path) -> dict[str, str]:
    """sha256 of every data file and the template that went into a document."""
    files = [q.pfad for q in daten.quellen.values()] + [template_for(name, daten, vorlagen)]
    return file_hashes(files)


def build(daten_ordner: Path, ausgabe: Path, vorlagen: Path, requested: tuple[str, ...] = (),
          pdf: bool = False) -> list[Ergebnis]:
    """Build documents into the output folder and archive them.

    Everything is rendered (and converted to PDF) in memory first; only then, under the build
    lock, are files written, each one atomically.
    """
    daten = load_and_validate(daten_ordner)
    rendered = render_all(daten, vorlagen, document_names(daten, requested))
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
            pdf_data = pdf_path.read_bytes() if pdf_path else None
            version = archiv.file(name, data, dokumentinfo(name, daten).datum,
                                  inputs_of(name, daten, vorlagen), commit, pdf_data)
            results.append(Ergebnis(name, target, changed, pdf_path, version))
    return results


def _up_to_date(ausgabe: Path, name: str, data: bytes) -> bool:
    docx, pdf = ausgabe / f"{name}.docx", ausgabe / f"{name}.pdf"
    return docx.exists() and pdf.exists() and docx.read_bytes() == data


def _write_if_changed(target: Path, data: bytes) -> bool:
    if target.exists() and target.read_bytes() == data:
        return False
    write_atomic(target, data)
    return True
