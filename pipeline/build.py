"""Composes the stages for the commands: load → validate → context → render → write."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from . import vorlagen_cache
from .archive import Archiv, Version, file_hashes, git_commit, remove_stale_temp_files
from .errors import DatenFehler, Problem, display_path
from .kinds import anlage_datei, anlagen_of, as_of, build_context, dokumentinfo, kind_of, template_for
from .load import STIL_DATEI, Daten
from .output import build_lock, data_lock, ensure_free_space, write_atomic
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
    festgeschrieben: str | None = None  # submitted (time): not rendered again


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
    attached = [anlage_datei(a, daten) for a in anlagen_of(name, daten) if a.datei]
    files = [*data, *kind.daten_dateien(doc, daten), *attached, style / STIL_DATEI,
             template_for(name, daten, templates), *(style / t for t in kind.weitere_vorlagen)]
    return sorted({f for f in files if f.exists()})


def snapshot(name: str, daten: Daten) -> bytes:
    """The data a version was rendered from, as JSON: the document and what it shows."""
    doc = daten.dokumente[name]
    daten = as_of(daten, kind_of(doc).stichtag(doc))
    payload = {
        "format": 1,
        "dokument": name,
        "art": doc.art,
        "daten": {n: daten.dokumente[n].model_dump(mode="json")
                  for n in dependencies(name, daten) if n in daten.dokumente},
        "haushalt": (daten.haushalt.model_dump(mode="json")
                     if daten.haushalt and kind_of(doc).daten_dateien(doc, daten) else None),
    }
    return _json_indent_1(payload) + b"\n"


def _json_indent_1(payload: object) -> bytes:
    """`json.dumps(payload, ensure_ascii=False, indent=1)` as UTF-8, byte for byte.

    Python's encoder is pure Python once it indents (0.3 s for a catalogue of 10,000 measures);
    pydantic's writes the same text in a tenth of that for JSON without fractional numbers,
    which print differently there (1e16 against 1e+16). Those take the slow way.
    """
    import pydantic_core

    try:
        fast = pydantic_core.to_json(payload, indent=1, inf_nan_mode="constants")
        fractions: list[str] = []
        json.loads(fast, parse_float=fractions.append, parse_constant=fractions.append)
    except (ValueError, TypeError, pydantic_core.PydanticSerializationError):
        fractions = ["?"]
    if not fractions:
        return fast
    return json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8")


def cache_key(name: str, daten: Daten, templates: Path) -> str:
    """The hash of everything a document's rendering depends on: ratsdoc, its template and
    style, the data files it shows, its Fassung (a Neufassung says so in its header)."""
    digest = hashlib.sha256(vorlagen_cache.code_fingerprint())
    digest.update(f"fassung={daten.fassungen.get(name, 1)}".encode())
    for path in input_files(name, daten, templates):
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _read_cache(ausgabe: Path) -> dict[str, dict[str, str]]:
    """The output cache's entries; what is damaged or not an entry is left out (rendered anew)."""
    try:
        cache = json.loads((ausgabe / CACHE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(cache, dict):
        return {}
    return {name: entry for name, entry in cache.items() if isinstance(entry, dict)
            and all(isinstance(value, str) for value in entry.values())}


def _cached_output(ausgabe: Path, name: str, key: str, cache: dict) -> bytes | None:
    """The existing output of a document if it was rendered from exactly these inputs."""
    entry, target = cache.get(name), ausgabe / f"{name}.docx"
    if not entry or entry.get("schluessel") != key or not target.exists():
        return None
    data = target.read_bytes()
    return data if hashlib.sha256(data).hexdigest() == entry.get("sha256") else None


def render_all(daten: Daten, templates: Path, names: list[str],
               probe: bool = False) -> dict[str, bytes]:
    """Render every named document in memory; nothing is written here."""
    from .render import render_docx  # docxtpl, Jinja and python-docx: only when rendering

    return {
        name: render_docx(template_for(name, daten, templates), build_context(name, daten),
                          dokumentinfo(name, daten), probe)
        for name in names
    }


def check(daten_ordner: Path, templates: Path, ausgabe: Path) -> tuple[list[str], list[str]]:
    """Validate data and templates by rendering everything in memory; (names, warnings)."""
    with data_lock(daten_ordner, lesen=True):
        daten = load_and_validate(daten_ordner, templates)
        names = document_names(daten)
        archiv = Archiv.open(ausgabe)
        daten.fassungen = {n: archiv.einreichung(n).fassung for n in names}
        # Keyed by the files as loaded: an edit saved while earlier papers render is not
        # taken for checked.
        keys = {name: cache_key(name, daten, templates) for name in names}
    for name in names:
        # A document whose inputs are byte for byte those of an earlier successful trial is
        # not rendered again (remembered per user, like the template analyses).
        tried: list[bool] = []
        vorlagen_cache.remembered("probe", keys[name].encode(),
                                  functools.partial(_probe, daten, templates, name, tried))
        if tried and cache_key(name, daten, templates) != keys[name]:
            # A template saved during the trial: it tested other bytes than the key's.
            vorlagen_cache.forget("probe", keys[name].encode())
    return names, warnings(daten, templates, archiv, names)


def _probe(daten: Daten, templates: Path, name: str, tried: list[bool]) -> bytes:
    tried.append(True)
    render_all(daten, templates, [name], probe=True)  # charts need not be drawn to check
    doc = daten.dokumente[name]
    kind_of(doc).weitere_ausgaben(name, doc, daten, templates)  # e.g. the Pressetext's HTML
    return b"ok"  # only a successful trial is remembered


def preview(daten_ordner: Path, templates: Path, ausgabe: Path, name: str) -> bytes:
    """One document rendered in memory as `build` would render it now; nothing is written."""
    daten = load_and_validate(daten_ordner, templates)
    document_names(daten, (name,))
    archiv = Archiv.open(ausgabe)
    daten.fassungen = {name: archiv.einreichung(name).fassung}
    return render_all(daten, templates, [name])[name]


@dataclass
class Bericht:
    """What a build did, document by document, and what the clerk should look at."""

    ergebnisse: list[Ergebnis] = field(default_factory=list)
    warnungen: list[str] = field(default_factory=list)
    hinweise: list[str] = field(default_factory=list)


def build(daten_ordner: Path, ausgabe: Path, templates: Path, requested: tuple[str, ...] = (),
          pdf: bool = False) -> Bericht:
    """Build documents into the output folder and archive them.

    Everything is rendered (and converted to PDF) in memory first; only then, under the build
    lock, are files written, each one atomically. A submitted paper is never rendered again.
    """
    with data_lock(daten_ordner, lesen=True):  # never half of a clerk's edit
        daten = load_and_validate(daten_ordner, templates)
        names = document_names(daten, requested)
        archiv = Archiv.open(ausgabe)
        frozen = {n: state for n in names if (state := archiv.einreichung(n)).version is not None}
        daten.fassungen = {n: archiv.einreichung(n).fassung for n in names}
        live = [n for n in names if n not in frozen]
        # The output cache's keys and the archive's input hashes of the files as loaded: an
        # edit saved after the lock is released belongs to the next build.
        keys = {name: cache_key(name, daten, templates) for name in live}
        eingaben = {name: file_hashes(input_files(name, daten, templates)) for name in live}
    bericht = Bericht()
    bericht.warnungen = warnings(daten, templates, archiv, names)
    # Documents whose inputs are unchanged since the last build are not rendered again.
    cache = _read_cache(ausgabe)
    rendered = {name: data for name in live
                if (data := _cached_output(ausgabe, name, keys[name], cache)) is not None}
    rendered |= render_all(daten, templates, [n for n in live if n not in rendered])
    rendered = {name: rendered[name] for name in live}
    further = {name: kind_of(daten.dokumente[name]).weitere_ausgaben(
        name, daten.dokumente[name], daten, templates) for name in live}
    # A PDF is only ever the conversion of exactly the .docx beside it (and in the archive).
    pdfs: dict[str, bytes] = {}
    if pdf:
        from .pdf import convert_to_pdfa

        stale = {n: d for n, d in rendered.items() if not _pdf_up_to_date(ausgabe, n, d, cache)}
        pdfs = convert_to_pdfa(stale, {n: dokumentinfo(n, daten).titel for n in stale})
    commit = git_commit(daten_ordner)
    snapshots = {name: snapshot(name, daten) for name in rendered}
    with build_lock(ausgabe):
        remove_stale_temp_files(ausgabe)
        # Room for everything (output, archive copies, snapshots, PDFs) before the first write:
        # a full disk then stops the build with nothing changed rather than half-way.
        ensure_free_space(ausgabe, 2 * _bytes_to_write(ausgabe, rendered, snapshots, pdfs, further)
                          + 64 * 1024)
        archiv = Archiv.open(ausgabe)
        bericht.hinweise += archiv.recover()
        archiv.require_intact()
        for name, state in frozen.items():
            assert state.version is not None
            restored = _write_if_changed(ausgabe / f"{name}.docx",
                                         (archiv.ordner / state.version.docx).read_bytes())
            bericht.ergebnisse.append(Ergebnis(name, ausgabe / f"{name}.docx", restored,
                                               festgeschrieben=state.zeit))
        for name, data in rendered.items():
            target = ausgabe / f"{name}.docx"
            entry = cache.setdefault(name, {})
            pdf_path: Path | None = ausgabe / f"{name}.pdf"
            if name in pdfs:
                write_atomic(ausgabe / f"{name}.pdf", pdfs[name])
                entry["pdf_aus"] = _sha(data)
            elif entry.get("pdf_aus") != _sha(data) or not (ausgabe / f"{name}.pdf").exists():
                (ausgabe / f"{name}.pdf").unlink(missing_ok=True)  # never a PDF of other bytes
                entry.pop("pdf_aus", None)
                pdf_path = None
            changed = _write_if_changed(target, data)
            written = tuple(path for suffix, content in further[name].items()
                            if _write_if_changed(path := ausgabe / f"{name}{suffix}", content))
            pdf_data = pdf_path.read_bytes() if pdf_path and pdf else None
            version = archiv.file(name, data, dokumentinfo(name, daten).datum,
                                  eingaben[name], commit,
                                  pdf_data, data if pdf_data else None, snapshots[name])
            bericht.ergebnisse.append(Ergebnis(name, target, changed, pdf_path if pdf else None,
                                               version, written))
            entry |= {"schluessel": keys[name], "sha256": _sha(data)}
        write_atomic(ausgabe / CACHE_NAME, json.dumps(cache, indent=1).encode("utf-8"))
    return bericht


def bericht_zeilen(bericht: Bericht, ausgabe: Path) -> list[tuple[str, str]]:
    """What a build did, line by line as the clerk reads it: (kind of line, German text).

    The kinds: "hinweis", "festgeschrieben", "geschrieben", "unverändert", "archiviert",
    "warnung". `ratsdoc build` prints them; the web page lists them.
    """
    from .record import german_time

    lines = [("hinweis", note) for note in bericht.hinweise]
    for result in bericht.ergebnisse:
        if result.festgeschrieben is not None:
            lines.append(("festgeschrieben", f"{result.name} (eingereicht am "
                                             f"{german_time(result.festgeschrieben)})"))
            continue
        state = "geschrieben" if result.geaendert else "unverändert"
        lines.append((state, display_path(result.pfad)))
        lines += [("geschrieben", display_path(path)) for path in result.weitere]
        if result.archiviert is not None:
            lines.append(("archiviert", f"{display_path(ausgabe / 'archiv' / result.archiviert.docx)}"
                                        f" (Version {result.archiviert.version})"))
    lines += [("warnung", warning) for warning in bericht.warnungen]
    return lines


def _bytes_to_write(ausgabe: Path, rendered: dict[str, bytes], snapshots: dict[str, bytes],
                    pdfs: dict[str, bytes], further: dict[str, dict[str, bytes]]) -> int:
    """What a build may write: every changed document with its archive copies."""
    total = sum(len(p) for p in pdfs.values())
    for name, data in rendered.items():
        target = ausgabe / f"{name}.docx"
        if not target.exists() or target.stat().st_size != len(data) or target.read_bytes() != data:
            total += 2 * len(data) + len(snapshots[name]) + sum(map(len, further[name].values()))
    return total


def warnings(daten: Daten, templates: Path, archiv: Archiv, names: list[str]) -> list[str]:
    """Placeholders left in papers not yet submitted; data changed after a submission."""
    from .record import changed_inputs, german_time, placeholders

    found = []
    for name in names:
        state = archiv.einreichung(name)
        if state.version is None:
            found += [f"{p} (vor dem Einreichen ersetzen)" for p in placeholders(name, daten)]
            continue
        own = display_path(daten.quellen[name].pfad)
        current = file_hashes(input_files(name, daten, templates))
        if own in changed_inputs(state.version.eingaben, current):
            found.append(f"{own}: nach der Einreichung am {german_time(state.zeit)} geändert; "
                         f"die eingereichte Fassung bleibt unverändert (eine neue Fassung: "
                         f"ratsdoc einreichen {name} --neufassung)")
    return found


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _pdf_up_to_date(ausgabe: Path, name: str, data: bytes, cache: dict) -> bool:
    """The PDF in output/ was converted from exactly these .docx bytes."""
    return (ausgabe / f"{name}.pdf").exists() and cache.get(name, {}).get("pdf_aus") == _sha(data)


def _write_if_changed(target: Path, data: bytes) -> bool:
    if target.exists() and target.read_bytes() == data:
        return False
    write_atomic(target, data)
    return True
