"""Render stage: a .docx template and a context → document bytes, in a sandbox."""

from __future__ import annotations

import datetime as dt
import functools
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
from lxml import etree

from . import markup
from .context import Bild, Dokumentinfo
from .errors import VorlagenFehler
from .markup_docx import FehlendeFormatvorlage, einsetzen
from .package import STRICT_PARSER, W, normalise_package, schema_order


class _NoFiles(BaseLoader):
    """Templates may not include, import or extend other files."""

    def get_source(self, environment, template):
        raise TemplateNotFound(template)


class _Environment(SandboxedEnvironment):
    """The sandbox, remembering compiled templates: docxtpl compiles the whole document body
    with from_string for every render, which is most of the cost of a small paper."""

    def __init__(self, **options):
        super().__init__(**options)
        self._compiled: dict[str, Any] = {}

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        if source not in self._compiled:
            if len(self._compiled) >= 32:
                self._compiled.clear()
            self._compiled[source] = super().from_string(source)
        return self._compiled[source]


@functools.cache
def make_environment() -> SandboxedEnvironment:
    """Jinja for templates: sandboxed, autoescaped, loud about unknown names, no file access."""
    return _Environment(autoescape=True, undefined=StrictUndefined, loader=_NoFiles())


class _StrictTemplate(DocxTemplate):
    """docxtpl, with the rendered body parsed strictly and put into schema order.

    docxtpl parses the rendered body with recover=True, which silently drops whatever is not
    well-formed (pitfalls.md). Here that parse is strict, so a broken body is an error instead.
    """

    def patch_xml(self, src_xml):
        return _patched_xml(src_xml)

    def resolve_listing(self, xml):
        """docxtpl's pass that turns \t \n \a \f in values into Word breaks, applied only to
        the paragraphs that contain one: on a large catalogue the full pass costs half a second."""
        out, done = [], 0
        for match in _LISTING_CHARS.finditer(xml):
            at = match.start()
            if at < done:
                continue
            start = max(xml.rfind("<w:p>", done, at), xml.rfind("<w:p ", done, at))
            if start < 0 or xml.find("</w:p>", start, at) >= 0:
                continue  # between paragraphs: docxtpl leaves it alone as well
            end = xml.find("</w:p>", at)
            if end < 0:
                break
            end += len("</w:p>")
            out += [xml[done:start], super().resolve_listing(xml[start:end])]
            done = end
        out.append(xml[done:])
        return "".join(out)

    def build_xml(self, context, jinja_env=None):
        self._changes_grid = bool(_GRID_TAGS.search(self.get_xml()))
        # Formatted text (Markdown) in the body shows as markers, replaced in fix_tables;
        # headers and footers, rendered later, show its source text.
        with markup.fuer_word() as self._formatiert:
            return super().build_xml(context, jinja_env)

    def fix_tables(self, xml):
        try:
            tree = etree.fromstring(xml, STRICT_PARSER)
        except etree.XMLSyntaxError as exc:
            raise _BrokenXml(str(exc)) from None
        if self._changes_grid and not _grid_matches(tree):
            # Column loops or spans changed a row's cell count: let docxtpl fix the grid.
            tree = super().fix_tables(xml)
        schema_order(tree, ("tcPr",))  # {% cellbg %} puts w:shd first
        einsetzen(tree, self._formatiert, self.docx)
        return tree


_LISTING_CHARS = re.compile("[\t\n\a\f]")


@functools.lru_cache(maxsize=32)
def _patched_xml(src_xml: str) -> str:
    """docxtpl's tag clean-up of a template part: pure, and the same for every render."""
    return DocxTemplate.patch_xml(None, src_xml)


# Tags that can leave a table row with another number of cells than its grid.
_GRID_TAGS = re.compile(r"{%-?\s*(?:tc\s|colspan\s|hm\s*-?%})")


class _BrokenXml(Exception):
    pass


def _grid_matches(tree) -> bool:
    for table in tree.iter(f"{W}tbl"):
        columns = len(table.findall(f"{W}tblGrid/{W}gridCol"))
        for row in table.iter(f"{W}tr"):
            cells = sum(int(span.get(f"{W}val")) if (span := tc.find(f"{W}tcPr/{W}gridSpan"))
                        is not None else 1 for tc in row.findall(f"{W}tc"))
            if cells != columns:
                return False
    return True


def open_template(path: Path) -> DocxTemplate:
    """Open a .docx template; tolerate the duplicate zip entries LibreOffice can write."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise VorlagenFehler(path, "Datei nicht gefunden") from None
    except OSError as exc:
        raise VorlagenFehler(path, f"kann nicht gelesen werden ({exc.strerror})") from None
    try:
        return _StrictTemplate(io.BytesIO(_without_duplicate_entries(raw)))
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


def _pictures(template: DocxTemplate, context: dict[str, Any]) -> dict[str, Any]:
    """Pictures (top-level context values) become docxtpl InlineImages of this template."""
    return {k: InlineImage(template, io.BytesIO(v.png), width=Mm(v.breite_mm))
            if isinstance(v, Bild) else v for k, v in context.items()}


def undeclared_variables(path: Path, context: dict[str, Any]) -> set[str]:
    """Top-level names the template uses that the context does not supply."""
    return set(_template_variables(path, path.stat().st_mtime_ns, path.stat().st_size)) - set(context)


@functools.lru_cache(maxsize=64)
def _template_variables(path: Path, mtime_ns: int, size: int) -> frozenset[str]:
    """All top-level names a template uses (cached per file version: parsing costs ~30 ms)."""
    template = open_template(path)
    try:
        return frozenset(template.get_undeclared_template_variables(make_environment()))
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
    except _BrokenXml as exc:
        raise VorlagenFehler(path, f"erzeugt ungültiges XML im Dokument ({exc})") from None
    except FehlendeFormatvorlage as exc:
        raise VorlagenFehler(path, exc.meldung()) from None
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
    props.title = _property(info.titel)
    props.subject = _property(info.betreff)
    props.author = _property(info.autor)
    props.last_modified_by = _property(info.autor)
    props.keywords = _property(info.schlagworte)
    props.language = "de-DE"
    if info.datum is None:
        # No date in the data: none in the document either (not the template's).
        for tag in ("created", "modified", "lastPrinted"):
            for element in props._element.findall(f".//{{*}}{tag}"):
                element.getparent().remove(element)
    else:
        when = dt.datetime.combine(info.datum, dt.time(), tzinfo=dt.UTC)
        props.created = props.modified = props.last_printed = when
    props.revision = 1
    props.comments = ""
    props.category = ""
    props.identifier = ""


def render_html(path: Path, context: dict[str, Any]) -> bytes:
    """Render an HTML template (Jinja, same sandbox, autoescaped) to UTF-8 bytes."""
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VorlagenFehler(path, "Datei nicht gefunden") from None
    try:
        with markup.fuer_html():
            return make_environment().from_string(source).render(context).encode("utf-8")
    except UndefinedError as exc:
        raise VorlagenFehler(path, f"unbekannter Platzhalter: {_undefined_name(exc)}") from None
    except (SecurityError, TemplateError) as exc:
        raise VorlagenFehler(path, f"Platzhalter-Fehler: {exc}") from None
