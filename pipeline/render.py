"""Render stage: a .docx template and a context → document bytes, in a sandbox."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import (
    BaseLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
)
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from .context import Bild, Dokumentinfo
from .errors import VorlagenFehler
from .package import normalise_package


class _NoFiles(BaseLoader):
    """Templates may not include, import or extend other files."""

    def get_source(self, environment, template):
        raise TemplateNotFound(template)


def make_environment() -> SandboxedEnvironment:
    """Jinja for templates: sandboxed, autoescaped, loud about unknown names, no file access."""
    return SandboxedEnvironment(autoescape=True, undefined=StrictUndefined, loader=_NoFiles())


def open_template(path: Path) -> DocxTemplate:
    """Open a .docx template; tolerate the duplicate zip entries LibreOffice can write."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise VorlagenFehler(path, "Datei nicht gefunden") from None
    except OSError as exc:
        raise VorlagenFehler(path, f"kann nicht gelesen werden ({exc.strerror})") from None
    try:
        return DocxTemplate(io.BytesIO(_without_duplicate_entries(raw)))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise VorlagenFehler(path, f"ist keine gültige .docx-Datei ({exc})") from None


def _without_duplicate_entries(raw: bytes) -> bytes:
    # LibreOffice can save docProps/core.xml twice (docxtpl #558); python-docx then fails.
    with zipfile.ZipFile(io.BytesIO(raw)) as src:
        names = [info.filename for info in src.infolist()]
        if len(names) == len(set(names)):
            return raw
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for name in dict.fromkeys(names):
                dst.writestr(name, src.read(name))  # read() returns the last entry of a name
        return out.getvalue()


def _pictures(template: DocxTemplate, value: Any) -> Any:
    if isinstance(value, Bild):
        return InlineImage(template, io.BytesIO(value.png), width=Mm(value.breite_mm))
    if isinstance(value, dict):
        return {k: _pictures(template, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_pictures(template, v) for v in value]
    return value


def undeclared_variables(path: Path, context: dict[str, Any]) -> set[str]:
    """Top-level names the template uses that the context does not supply."""
    template = open_template(path)
    try:
        return template.get_undeclared_template_variables(make_environment(), context)
    except TemplateSyntaxError as exc:
        raise VorlagenFehler(path, f"Platzhalter-Syntaxfehler: {exc.message}") from None


def render_docx(path: Path, context: dict[str, Any], info: Dokumentinfo) -> bytes:
    """Render one template to deterministic .docx bytes."""
    missing = undeclared_variables(path, context)
    if missing:
        raise VorlagenFehler(path, f"unbekannte Platzhalter: {', '.join(sorted(missing))}")
    template = open_template(path)
    try:
        template.render(_pictures(template, context), make_environment(), autoescape=True)
    except (SecurityError, OverflowError) as exc:  # the sandbox raises OverflowError for range()
        raise VorlagenFehler(path, f"unerlaubter Zugriff in einem Platzhalter ({exc})") from None
    except UndefinedError as exc:
        raise VorlagenFehler(path, f"unbekannter Platzhalter: {_undefined_name(exc)}") from None
    except TemplateNotFound as exc:
        raise VorlagenFehler(path, f"Vorlagen dürfen keine anderen Dateien einbinden ({exc})") from None
    except TemplateError as exc:
        raise VorlagenFehler(path, f"Platzhalter-Fehler: {exc}") from None
    except Exception as exc:
        raise VorlagenFehler(path, f"Fehler beim Ausfüllen ({type(exc).__name__}: {exc})") from None
    _set_core_properties(template, info)
    out = io.BytesIO()
    template.save(out)
    return normalise_package(out.getvalue(), path)


def _undefined_name(exc: UndefinedError) -> str:
    text = str(exc)
    match = re.search(r"has no attribute '([^']+)'", text) or re.search(r"'([^']+)' is undefined", text)
    return f"„{match.group(1)}“" if match else text


CORE_PROPERTY_LIMIT = 255  # python-docx refuses longer core properties


def _property(text: str) -> str:
    """A core property within python-docx's limit; line breaks become spaces."""
    text = " ".join(text.split())
    return text if len(text) <= CORE_PROPERTY_LIMIT else text[:CORE_PROPERTY_LIMIT - 1] + "…"


def _set_core_properties(template: DocxTemplate, info: Dokumentinfo) -> None:
    # Set through python-docx, not template tags: docxtpl would escape "&" twice here.
    props = template.docx.core_properties
    when = dt.datetime.combine(info.datum, dt.time(), tzinfo=dt.UTC)
    props.title = _property(info.titel)
    props.subject = _property(info.betreff)
    props.author = _property(info.autor)
    props.last_modified_by = _property(info.autor)
    props.keywords = _property(info.schlagworte)
    props.language = "de-DE"
    props.created = when
    props.modified = when
    props.last_printed = when
    props.revision = 1
    props.comments = ""
    props.category = ""
    props.identifier = ""
