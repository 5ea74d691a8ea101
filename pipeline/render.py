"""Render stage: a .docx template and a context → document bytes, in a sandbox.

Templates are files that a clerk edits by hand, so this module also finds their mistakes before
anything is rendered (`template_problems`), and bounds what a template may cost when it is
rendered: time, loop steps, the size of single values and of the output (see "Limits").
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import datetime as dt
import difflib
import functools
import html
import io
import marshal
import re
import string
import time
import zipfile
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from types import CodeType
from typing import Any

from docx.opc.exceptions import OpcError
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import (
    BaseLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    nodes,
)
from jinja2.ext import Extension
from jinja2.runtime import LoopContext, markup_join, str_join
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from jinja2.utils import _PassArg, generate_lorem_ipsum, pass_context, pass_eval_context
from jinja2.visitor import NodeTransformer
from lxml import etree

from . import diagramm, markup, rows, vorlagen_cache
from .context import Bild, Dokumentinfo
from .errors import VorlagenFehler
from .markup_docx import FehlendeFormatvorlage, einsetzen
from .package import STRICT_PARSER, W, normalise_package, schema_order

# --- Limits ----------------------------------------------------------------------------------
#
# A template can ask for unbounded work: `{% for i in r %}{% for j in r %}…` with r =
# range(99999) is 10^10 steps, and the sandbox only caps a single range(). So every loop's
# items are counted (the templates' syntax tree is rewritten so that each `for` iterates through
# the filter `_steps`), every call counts as a step, a deadline is checked with the steps and
# while the output is collected, and the operations that can make one value huge in one step
# (`*`, `**`, `+`, `%`, `~`, str methods and filters with a width or a count) are checked before
# they run. Everything is cooperative and in-process, so it works the same on Windows.

TIME_LIMIT_SECONDS = 20.0  # per document
MAX_LOOP_STEPS = 5_000_000  # loop iterations and calls, per document
MAX_OUTPUT_CHARS = 50_000_000  # characters of XML per rendered part (body, header, …)
MAX_VALUE_SIZE = 10_000_000  # characters or items of one value
MAX_INT_BITS = 100_000  # bits of one integer (about 30,000 digits)
MAX_COUNT = 100_000  # counts such as |batch(n) or |slice(n), as the sandbox's range()


def _number(value: float) -> str:
    """A number the German way: 5.000.000."""
    return f"{value:,.0f}".replace(",", ".")


class _LimitExceeded(Exception):
    """A template asked for more than a limit allows; the message is German."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class _Budget:
    """What one document may still spend."""

    __slots__ = ("deadline", "steps")

    def __init__(self) -> None:
        self.deadline = time.monotonic() + TIME_LIMIT_SECONDS
        self.steps = 0

    def charge(self) -> None:
        self.steps += 1
        if self.steps > MAX_LOOP_STEPS or time.monotonic() > self.deadline:
            self.exceeded()

    def exceeded(self) -> None:
        if self.steps > MAX_LOOP_STEPS:
            raise _LimitExceeded(
                f"Abbruch nach mehr als {_number(MAX_LOOP_STEPS)} Schleifendurchläufen "
                "(eine zu große oder zu tief verschachtelte Schleife?)")
        raise _LimitExceeded(
            f"Abbruch nach {_number(TIME_LIMIT_SECONDS)} Sekunden: das Ausfüllen dauert zu lange "
            "(eine zu große oder zu tief verschachtelte Schleife?)")


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("budget", default=None)


def _charge(steps: int) -> None:
    """Count `steps` loop steps against the document's budget (rows emitted without Jinja)."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.steps += steps - 1
        budget.charge()


@contextlib.contextmanager
def _limits():
    """Everything rendered inside shares one document's budget."""
    token = _BUDGET.set(_Budget())
    try:
        yield
    finally:
        _BUDGET.reset(token)


class _Counted:
    """A loop's items, each one charged to the budget; keeps len() for loop.length."""

    __slots__ = ("budget", "items")

    def __init__(self, items: Any, budget: _Budget):
        self.items, self.budget = items, budget

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        budget, clock = self.budget, time.monotonic
        for item in self.items:
            budget.steps += 1
            if budget.steps > MAX_LOOP_STEPS or clock() > budget.deadline:
                budget.exceeded()
            yield item


def _check_size(size: int) -> None:
    if size > MAX_VALUE_SIZE:
        raise _LimitExceeded(f"ein Platzhalter erzeugt einen zu großen Wert (mehr als "
                             f"{_number(MAX_VALUE_SIZE)} Zeichen oder Einträge)")


def _check_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise _LimitExceeded("ein Platzhalter erzeugt eine zu große Zahl")


def _check_count(count: Any, limit: int = MAX_COUNT) -> None:
    if isinstance(count, int) and count > limit:
        raise _LimitExceeded(f"ein Platzhalter verlangt zu viele Einträge ({_number(count)}, "
                             f"erlaubt sind höchstens {_number(limit)})")


def _check_width(width: Any) -> None:
    if isinstance(width, int):
        _check_size(width)


_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_FORMAT_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[_,]?(?:\.(\d+))?[a-zA-Z%]?")
_MAX_WIDTH = 10_000  # of one field in "%10s" or "{:>10}"


def _check_printf(template: str) -> None:
    for match in _PRINTF_SPEC.finditer(template):
        for number in match.groups():
            if number == "*" or (number and int(number) > _MAX_WIDTH):
                raise _LimitExceeded(f"ein Platzhalter verlangt ein zu breites Feld („{match[0]}“)")


def _check_format_string(template: str) -> None:
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return  # format() itself reports it
    for _, _, spec, _ in fields:
        if not spec:
            continue
        match = _FORMAT_SPEC.fullmatch(spec)
        if "{" in spec or (match and any(n and int(n) > _MAX_WIDTH for n in match.groups())):
            raise _LimitExceeded(f"ein Platzhalter verlangt ein zu breites Feld („{{:{spec}}}“)")


def _replaced_size(text: str, old: Any, new: Any, count: Any = -1) -> int:
    old, new = str(old), str(new)
    hits = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * (len(new) - len(old))


def _joined_size(items: list, separator: Any) -> int:
    # Non-text items are counted generously: their text is not known before joining.
    return (len(str(separator)) * max(len(items) - 1, 0)
            + sum(len(x) if isinstance(x, str) else 20 for x in items))


def _check_binop(operator: str, left: Any, right: Any) -> None:
    ints = isinstance(left, int) and isinstance(right, int)
    if operator == "**":
        if ints and right > 0 and abs(left) > 1:
            _check_bits(left.bit_length() * right)
    elif operator == "*":
        if ints:
            _check_bits(left.bit_length() + right.bit_length())
        elif isinstance(right, int) and isinstance(left, (str, list, tuple)):
            _check_size(len(left) * right)
        elif isinstance(left, int) and isinstance(right, (str, list, tuple)):
            _check_size(len(right) * left)
    elif operator == "+":
        if isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
            _check_size(len(left) + len(right))
    elif operator == "%" and isinstance(left, str):
        _check_printf(left)


def _checked_call_args(obj: Any, args: tuple) -> tuple:
    """Check a str or list method that can grow a value; returns the (materialised) args."""
    owner, name = getattr(obj, "__self__", None), getattr(obj, "__name__", "")
    if isinstance(owner, str):
        if name in ("ljust", "rjust", "center", "zfill"):
            _check_width(args[0])
        elif name == "expandtabs":
            _check_size(len(owner) + owner.count("\t") * (args[0] if isinstance(args[0], int) else 8))
        elif name == "replace" and len(args) >= 2:
            _check_size(_replaced_size(owner, *args[:3]))
        elif name == "join":
            items = list(args[0])
            _check_size(_joined_size(items, owner))
            return (items, *args[1:])
    elif isinstance(owner, list) and name == "extend":
        items = list(args[0])
        _check_size(len(owner) + len(items))
        return (items, *args[1:])
    return args


def _filter_join(value: Any, d: Any = "", attribute: Any = None) -> list:
    items = list(value)
    _check_size(_joined_size(items, d))
    return items


def _filter_sum(iterable: Any, attribute: Any = None, start: Any = 0) -> list | None:
    if not isinstance(start, (list, tuple)):
        return None
    items = list(iterable)
    _check_size(len(start) + sum(len(x) for x in items if isinstance(x, (str, list, tuple))))
    return items


def _filter_indent(s: Any, width: Any = 4, first: Any = False, blank: Any = False) -> None:
    text = str(s)
    per_line = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    _check_size(len(text) + (text.count("\n") + 1) * per_line)


_FILTER_CHECKS = {
    "center": lambda value, width=80: _check_width(width),
    "indent": _filter_indent,
    "format": lambda value, *args, **kwargs: _check_printf(str(value)),
    "replace": lambda s, old, new, count=None: _check_size(_replaced_size(str(s), old, new, count)),
    "join": _filter_join,
    "sum": _filter_sum,
    "batch": lambda value, linecount, fill_with=None: (
        _check_count(linecount) if fill_with is not None else None),
    "slice": lambda value, slices, fill_with=None: _check_count(slices),
}


def _checked_filter(func: Any, check: Any) -> Any:
    """A filter that runs `check` on its arguments first; check may return a new first argument."""
    skip = 0 if _PassArg.from_obj(func) is None else 1  # eval_ctx or environment comes first

    @functools.wraps(func)
    def checked(*args: Any, **kwargs: Any) -> Any:
        replaced = check(*args[skip:], **kwargs)
        if replaced is not None:
            args = (*args[:skip], replaced, *args[skip + 1:])
        return func(*args, **kwargs)

    return checked


def _lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    _check_count(n, 1000)
    _check_count(max, 1000)
    return generate_lorem_ipsum(n, html, min, max)


@pass_context  # so that it is never folded into a constant at compile time
def _steps(context: Any, items: Any) -> Any:
    """A loop's items, counted (the filter _GuardLoops puts on every for)."""
    budget = _BUDGET.get()
    return items if budget is None else _Counted(items, budget)


_STEPS_FILTER = "_ratsdoc_steps"


class _Limits(Extension):
    """What the rewritten templates call: see _GuardLoops."""

    identifier = "ratsdoc.limits"

    def __init__(self, environment: Any):
        super().__init__(environment)
        environment.filters[_STEPS_FILTER] = _steps

    @pass_eval_context
    def joined(self, eval_ctx: Any, *parts: Any) -> str:
        """`a ~ b`, with the size checked before the text is built."""
        _check_size(sum(len(str(p)) for p in parts))
        return markup_join(parts) if eval_ctx.autoescape else str_join(parts)


class _GuardLoops(NodeTransformer):
    """Rewrites `{% for x in items %}` to iterate `items|_ratsdoc_steps` (a filter is a plain
    function call, cheaper than a sandboxed call), and `a ~ b` to `_Limits.joined(a, b)`, before
    the template is compiled."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, _STEPS_FILTER, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        function = nodes.ExtensionAttribute(_Limits.identifier, "joined", lineno=node.lineno)
        return nodes.Call(function, node.nodes, [], None, None, lineno=node.lineno)


class _RowLoops(NodeTransformer):
    """Puts rows.RowLoops.emit in place of the table-row loops it can emit (innermost first)."""

    def __init__(self, extension: rows.RowLoops):
        self.extension = extension

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        return self.extension.replace(node)

    def _keep(self, node: nodes.Node) -> nodes.Node:
        # Output captured, filtered or escaped otherwise than the body's: rows emitted later
        # would escape that (and a captured block printed many times, the size limit).
        return node

    visit_AssignBlock = visit_FilterBlock = visit_Macro = visit_CallBlock = _keep
    visit_EvalContextModifier = visit_ScopedEvalContextModifier = _keep


class _NoFiles(BaseLoader):
    """Templates may not include, import or extend other files."""

    def get_source(self, environment, template):
        raise TemplateNotFound(template)


class _Environment(SandboxedEnvironment):
    """The sandbox, with the limits above, remembering compiled templates: docxtpl compiles the
    whole document body with from_string for every render, which is most of the cost of a small
    paper."""

    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def __init__(self, **options):
        super().__init__(**options)
        self._compiled: dict[str, Any] = {}
        for name, check in _FILTER_CHECKS.items():
            self.filters[name] = _checked_filter(self.filters[name], check)
        self.globals["lipsum"] = _lipsum

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        if source not in self._compiled:
            if len(self._compiled) >= 32:
                self._compiled.clear()
            fresh: list[Any] = []
            code = vorlagen_cache.remembered("jinja", source.encode(),
                                             lambda: self._compiled_code(source, fresh))
            compiled = fresh[0] if fresh else self._remembered_code(source, code)
            if compiled is None:
                compiled = self.compile(source)
            self._compiled[source] = self.template_class.from_code(
                self, compiled, self.make_globals(None), None)
        return self._compiled[source]

    def _row_loops(self) -> rows.RowLoops:
        row_loops = self.extensions[rows.RowLoops.identifier]
        assert isinstance(row_loops, rows.RowLoops)
        return row_loops

    def _compiled_code(self, source: str, fresh: list[Any]) -> bytes:
        """The code to remember for a source, marshalled, after the number of row loops it
        emits (rows.RowLoops keeps their shapes in the process that parsed the source)."""
        before = self._row_loops().replaced
        fresh.append(self.compile(source))
        loops = self._row_loops().replaced - before
        return loops.to_bytes(4, "big") + marshal.dumps(fresh[0])

    def _remembered_code(self, source: str, code: bytes) -> Any:
        """Remembered code, or None when it cannot be used (damaged, or its row loops differ)."""
        loops = int.from_bytes(code[:4], "big")
        if loops:
            # Parsing (without generating code) gives this process the row loops' shapes.
            before = self._row_loops().replaced
            self._parse(source, None, None)
            if self._row_loops().replaced - before != loops:
                return None
        try:
            compiled = marshal.loads(code[4:])
        except (EOFError, ValueError, TypeError):
            return None  # a damaged cache entry (its checksum passed: another ratsdoc's?)
        # Jinja's module code defines `root`; anything else was not written by this method.
        return compiled if isinstance(compiled, CodeType) and "root" in compiled.co_names else None

    def _parse(self, source, name, filename):
        tree = _GuardLoops().visit(super()._parse(source, name, filename))
        tree = _RowLoops(self.extensions[rows.RowLoops.identifier]).visit(tree)
        tree.set_environment(self)
        return tree

    def call(self, context, obj, /, *args, **kwargs):
        budget = _BUDGET.get()
        if budget is not None:
            budget.charge()  # recursive macros have no loop to count
        if args:
            if isinstance(obj, LoopContext):  # loop(children) in a recursive for
                args = (_steps(context, args[0]), *args[1:])
            else:
                args = _checked_call_args(obj, args)
        return super().call(context, obj, *args, **kwargs)

    def call_binop(self, context, operator, left, right):
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value):
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        template = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            _check_format_string(template)
            return wrapper(*args, **kwargs)

        return checked

    def concat(self, pieces):
        """Join rendered output, stopping at MAX_OUTPUT_CHARS and at the deadline."""
        if isinstance(pieces, list):  # a {% set %} block's or a macro's buffer
            if sum(map(len, pieces)) > MAX_OUTPUT_CHARS:
                raise _output_too_large()
            return "".join(pieces)
        budget, collected, size, iterator = _BUDGET.get(), [], 0, iter(pieces)
        while chunk := list(islice(iterator, 512)):
            size += sum(map(len, chunk))
            # Rows emitted without Jinja are put into the body later: they count here too.
            if size + rows.collected_size() > MAX_OUTPUT_CHARS:
                raise _output_too_large()
            if budget is not None and time.monotonic() > budget.deadline:
                # One more item first: a loop step of the template then stops it, so that the
                # message names the paragraph (a race with the chunk boundary otherwise).
                next(iterator, None)
                budget.exceeded()
            collected += chunk
        return "".join(collected)


def _output_too_large() -> _LimitExceeded:
    return _LimitExceeded(f"Abbruch: das Dokument würde größer als "
                          f"{_number(MAX_OUTPUT_CHARS / 1_000_000)} MB")


@functools.cache
def make_environment() -> SandboxedEnvironment:
    """Jinja for templates: sandboxed, autoescaped, loud about unknown names, no file access,
    with the limits above."""
    return _Environment(autoescape=True, undefined=StrictUndefined, loader=_NoFiles(),
                        extensions=[_Limits, rows.RowLoops])


class _StrictTemplate(DocxTemplate):
    """docxtpl, with the rendered body parsed strictly and put into schema order.

    docxtpl parses the rendered body with recover=True, which silently drops whatever is not
    well-formed (pitfalls.md). Here that parse is strict, so a broken body is an error instead.
    """

    def patch_xml(self, src_xml):
        return _patched_xml(src_xml)

    def render_xml_part(self, src_xml, part, context, jinja_env=None):
        try:
            return super().render_xml_part(src_xml, part, context, jinja_env)
        except Exception as exc:
            # Remember where it happened: the template line is a paragraph (docxtpl starts a
            # line at every <w:p>).
            line = _template_line(exc)
            if line is not None:
                exc.ratsdoc_place = _place_near(_UNITS.get(_part_kind(part), ""),
                                                _line_text(_lines(src_xml), line))
            raise

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

    rows: rows.Collector | None = None

    def build_xml(self, context, jinja_env=None):
        source = self.get_xml()
        self._changes_grid = bool(_GRID_TAGS.search(source))
        # Table rows of simple loops are emitted from their rendered shape (rows.py) and put
        # into the body after python-docx serialised it; not when tags may change the grid.
        self.rows = None if self._changes_grid else rows.Collector(
            functools.partial(self._finish_row, source[:source.index(">") + 1]),
            _output_too_large, MAX_OUTPUT_CHARS, _charge)
        # Formatted text (Markdown) in the body shows as markers, replaced in fix_tables;
        # headers and footers, rendered later, show its source text.
        with markup.fuer_word() as self._formatiert, (
                rows.collecting(self.rows) if self.rows else contextlib.nullcontext()):
            return super().build_xml(context, jinja_env)

    def _finish_row(self, body_start: str, xml: str) -> str | None:
        """Rendered rows as the body's serialisation shows them: what render_xml_part,
        fix_tables and python-docx do to them, or None when a row needs more (pictures)."""
        xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        xml = self.resolve_listing(xml)
        if "docPr" in xml or "<!--" in xml:
            return None  # pictures are numbered through the whole body; comments keep entities
        root = etree.fromstring(f"{body_start}<w:tbl>{xml}</w:tbl></w:body>", STRICT_PARSER)
        schema_order(root, ("tcPr",))
        text = etree.tostring(root, encoding="UTF-8").decode("utf-8")
        start = text.index("<w:tbl>", text.index(">", text.index("<w:body"))) + len("<w:tbl>")
        return text[start:text.rindex("</w:tbl>")]

    def fix_tables(self, xml):
        try:
            tree = etree.fromstring(xml, STRICT_PARSER)
        except etree.XMLSyntaxError as exc:
            raise _BrokenXml(_text_before(xml, exc)) from None
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
    def patch() -> str:
        return DocxTemplate.patch_xml(None, src_xml)

    try:
        return vorlagen_cache.remembered("patch", src_xml.encode(), lambda: patch().encode()).decode()
    except UnicodeDecodeError:
        return patch()  # an entry that is not UTF-8 was not written here


# Tags that can leave a table row with another number of cells than its grid.
_GRID_TAGS = re.compile(r"{%-?\s*(?:tc\s|colspan\s|hm\s*-?%})")


class _BrokenXml(Exception):
    """The rendered body is not well-formed XML; carries the text just before the fault."""

    def __init__(self, text_before: str):
        super().__init__(text_before)
        self.text_before = text_before


def _text_before(xml: str, exc: etree.XMLSyntaxError) -> str:
    line, column = exc.position if exc.position else (1, 0)
    offset = sum(len(x) + 1 for x in xml.split("\n")[:max(line - 1, 0)]) + column
    return _plain_text(xml[max(0, offset - 4000):offset])[-40:].strip()


def _grid_matches(tree) -> bool:
    for table in tree.iter(f"{W}tbl"):
        columns = len(table.findall(f"{W}tblGrid/{W}gridCol"))
        for row in table.iter(f"{W}tr"):
            cells = sum(int(span.get(f"{W}val")) if (span := tc.find(f"{W}tcPr/{W}gridSpan"))
                        is not None else 1 for tc in row.findall(f"{W}tc"))
            if cells != columns:
                return False
    return True


def open_template(path: Path, raw: bytes | None = None) -> DocxTemplate:
    """Open a .docx template (from these bytes of it, if given); tolerate the duplicate zip
    entries LibreOffice can write."""
    from .docxsafe import check_docx, read_docx

    # No entity bombs, no huge parts, a real zip: checked before parsing.
    if raw is None:
        raw = read_docx(path)
    else:
        check_docx(path, raw)
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


# --- A template's mistakes, found without rendering it -----------------------------------------
#
# docxtpl and Jinja see a part of the document (the body, a header, …) as one text in which
# Word has split the tags over runs. Here every paragraph's text is read joined across its runs,
# so that each mistake can be reported with the paragraph a clerk can find in Word.

_DELIMITERS = {"{{": "}}", "{%": "%}", "{#": "#}"}
_WHAT = {"{{": "Platzhalter", "{%": "Befehl", "{#": "Kommentar"}
_STRAIGHT = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})  # docxtpl does this in tags
_TYPOGRAPHIC_QUOTES = "„‚«»‹›"  # … but not this
_DOCXTPL_PREFIX = re.compile(r"\{([{%#])(p|tr|tc|r) ")
_KEYWORD = re.compile(r"\{%[-+]?\s*([A-Za-z_]\w*)?")
_BRACKETS = {"(": ")", "[": "]", "{": "}"}
_BLOCKS = ("if", "for", "macro", "call", "filter", "with", "autoescape", "block", "set")
_SAMPLE_OPENER = {"if": "{% if x %}", "for": "{% for x in y %}", "macro": "{% macro m() %}",
                  "call": "{% call m() %}", "filter": "{% filter upper %}", "with": "{% with %}",
                  "autoescape": "{% autoescape true %}", "block": "{% block b %}",
                  "set": "{% set x %}"}
_FILE_TAGS = ("include", "import", "from", "extends")
_CELL_TAGS = ("vm", "hm", "cellbg", "colspan")  # docxtpl's own, for table cells
_KNOWN_TAGS = sorted({*_BLOCKS, *(f"end{b}" for b in _BLOCKS), "elif", "else", "print", "raw",
                      "endraw", *_FILE_TAGS, *_CELL_TAGS})
_UNITS = {"document": "", "header": "in der Kopfzeile ", "footer": "in der Fußzeile ",
          "footnotes": "in den Fußnoten "}
_PROPERTIES = {"title": "Titel", "subject": "Thema", "author": "Autor", "comments": "Kommentare",
               "identifier": "Kennung", "language": "Sprache"}  # those docxtpl renders


@dataclass
class _Paragraph:
    text: str  # its runs' text, joined
    where: str  # German: "im Absatz „…“", "in Tabelle 1, Zeile 2, Spalte 1 („…“)"
    cell: Any = None  # the w:tc it stands in


@dataclass
class _Tag:
    text: str  # as written
    code: str  # as Jinja sees it: straight quotes, without docxtpl's p/tr/tc/r
    prefix: str  # docxtpl's p, tr, tc or r, or ""
    keyword: str  # of a {% %} tag: if, endfor, …
    paragraph: _Paragraph

    @property
    def shown(self) -> str:
        return f"„{_excerpt(self.text)}“"


def template_problems(path: Path) -> list[str]:
    """Every mistake in a .docx template that shows without rendering it, as German sentences.

    Each sentence names the place: the paragraph by its first words („im Absatz „Sachverhalt:
    {{ sachverh…““), a table cell by table, row and column, or the header, footer, footnotes
    or document property. The file is not named: `VorlagenFehler(path, …)` adds it. Found:

    - unbalanced `{{ }}`, `{% %}`, `{# #}`, brackets and quotes, per paragraph (a tag must
      end in the paragraph where it starts), and typographic quotes („…“) inside a tag;
    - Jinja syntax errors of every tag, and `{% if %}`/`{% for %}`/… blocks that are not
      closed, closed twice or closed by the wrong `{% end… %}`;
    - docxtpl's rules: `{%p %}` replaces its whole paragraph, `{%tr %}` its row and `{%tc %}`
      its cell (text beside it would be lost), they may not contain `%` or `}`; `{%tr %}`,
      `{%tc %}`, `{% vm %}`, `{% hm %}`, `{% cellbg %}` and `{% colspan %}` belong in tables;
    - `{% include %}`, `{% import %}`, `{% extends %}` (templates may not read other files).

    Returns [] for a good template. Raises VorlagenFehler when the file is missing or not a
    .docx. Cached per file version (path, mtime, size, change time, inode), so checking
    before every render is free. `undeclared_variables` lists the placeholders a template uses.
    """
    try:
        version = _file_version(path)
    except FileNotFoundError:
        raise VorlagenFehler(path, "Datei nicht gefunden") from None
    return list(_template_problems(path, version))


def _file_version(path: Path) -> tuple[int, ...]:
    """What changes when a file is saved or replaced: also a copy that keeps the time and size
    (Windows Explorer, `cp -p`) changes the inode and the change time."""
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size, stat.st_ctime_ns, stat.st_ino


@functools.lru_cache(maxsize=64)
def _template_problems(path: Path, version: tuple[int, ...]) -> tuple[str, ...]:
    return _problems_of(path, _read_template(path))


def _read_template(path: Path) -> bytes:
    """The template's bytes, checked (no entity bombs, no huge parts, a real zip); VorlagenFehler
    in German when it is missing, unreadable or no .docx."""
    from .docxsafe import read_docx

    return read_docx(path)


@functools.lru_cache(maxsize=16)
def _problems_of(path: Path, raw: bytes) -> tuple[str, ...]:
    """template_problems of these bytes of the template (those that are rendered)."""
    return tuple(vorlagen_cache.analysed("fehler", raw, lambda: _analyse_problems(path, raw)))


def _analyse_problems(path: Path, raw: bytes) -> list[str]:
    template = open_template(path, raw)
    try:
        units = list(_units(template))
    except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError, OpcError):
        raise VorlagenFehler(path, "ist keine gültige .docx-Datei") from None
    problems: list[str] = []
    for unit, paragraphs, source in units:
        problems += _unit_problems(unit, paragraphs, source)
    return list(dict.fromkeys(problems))


def _units(template: DocxTemplate):
    """Each text docxtpl renders as one Jinja template: (place, paragraphs, its Jinja source)."""
    document = template.get_docx()
    yield "", _paragraphs(document.element.body, ""), lambda: _patched_xml(template.get_xml())
    for rel in document.part.rels.values():
        if rel.reltype in (template.HEADER_URI, template.FOOTER_URI) and not rel.is_external:
            part = rel.target_part
            unit = _UNITS[_part_kind(part)]
            yield (unit, _paragraphs(etree.fromstring(part.blob), unit),
                   lambda part=part: _patched_xml(template.get_part_xml(part)))
    for part in document.part.package.parts:
        if part.content_type.endswith(".footnotes+xml"):
            unit = _UNITS["footnotes"]
            yield (unit, _paragraphs(etree.fromstring(part.blob), unit),
                   lambda part=part: _patched_xml(part.blob.decode("utf-8")))
    for name, german in _PROPERTIES.items():
        value = getattr(document.core_properties, name) or ""
        if "{" in value or "}" in value:
            unit = f"in der Dokumenteigenschaft „{german}“ "
            yield unit, [_Paragraph(value, unit.strip())], lambda value=value: value


def _part_kind(part: Any) -> str:
    match = re.search(r"/(document|header|footer|footnotes)\d*\.xml$", str(part.partname))
    return match.group(1) if match else "document"


def _paragraphs(root: Any, unit: str) -> list[_Paragraph]:
    """The paragraphs of one part that hold a brace, with their places."""
    tables = list(root.iter(f"{W}tbl"))
    found = []
    for p in root.iter(f"{W}p"):
        text = "".join(t.text or "" for t in p.iter(f"{W}t")
                       if next(t.iterancestors(f"{W}p")) is p)  # not a text box's paragraphs
        if "{" not in text and "}" not in text:
            continue
        cell = next(p.iterancestors(f"{W}tc"), None)
        if cell is None:
            found.append(_Paragraph(text, f"{unit}im Absatz „{_excerpt(text)}“"))
            continue
        row = next(cell.iterancestors(f"{W}tr"))
        table = next(row.iterancestors(f"{W}tbl"))
        rows = [r for r in table.iter(f"{W}tr") if next(r.iterancestors(f"{W}tbl")) is table]
        cells = [c for c in row.iter(f"{W}tc") if next(c.iterancestors(f"{W}tr")) is row]
        found.append(_Paragraph(text, f"{unit}in Tabelle {tables.index(table) + 1}, Zeile "
                                      f"{rows.index(row) + 1}, Spalte {cells.index(cell) + 1} "
                                      f"(„{_excerpt(text)}“)", cell))
    return found


def _excerpt(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def _unit_problems(unit: str, paragraphs: list[_Paragraph], source: Any) -> list[str]:
    problems: list[str] = []
    tags: list[_Tag] = []
    for paragraph in paragraphs:
        spans, found = _scan(paragraph.text)
        problems += [f"{problem} {paragraph.where}" for problem in found]
        tags += [_tag(paragraph.text[start:end], paragraph) for start, end in spans]
    balanced = not problems
    checks = [(tag, _tag_rule(tag)) for tag in tags]
    problems += [f"{problem} {tag.paragraph.where}" for tag, (problem, _) in checks if problem]
    problems += _lost_text_problems(tags)
    blocks = _block_problems(tags) if balanced else []  # else only follow-up mistakes
    if not problems and not blocks:
        # Jinja on docxtpl's version of the whole part; compiling every tag on its own (to
        # name the paragraph) is only needed when that fails.
        compiled = _compile_problems(unit, _with_lines(source()))
        if not compiled:
            return []
    else:
        compiled = []
    invalid = {id(tag): problem for tag, (_, code) in checks
               if code and (problem := _syntax_problem(tag, code))}
    problems += [f"{problem} {tag.paragraph.where}" for tag, _ in checks
                 if (problem := invalid.get(id(tag)))]
    # A block whose opening tag is invalid is reported for that alone.
    problems += [problem for problem, tag in blocks if id(tag) not in invalid]
    return problems or compiled


def _tag(text: str, paragraph: _Paragraph) -> _Tag:
    code = text.translate(_STRAIGHT)
    prefix = ""
    if match := _DOCXTPL_PREFIX.match(code):
        prefix = match.group(2)
        code = code[:2] + code[2 + len(prefix):]
    keyword = ""
    if code.startswith("{%"):
        found = _KEYWORD.match(code)
        keyword = (found.group(1) or "") if found else ""
    return _Tag(text, code, prefix, keyword, paragraph)


def _scan(text: str) -> tuple[list[tuple[int, int]], list[str]]:
    """The tags of one paragraph (start, end), and its unbalanced delimiters as sentences."""
    code = text.translate(_STRAIGHT)
    spans, problems, at = [], [], 0
    while (at := _next_delimiter(code, at)) >= 0:
        pair = code[at:at + 2]
        if pair in _DELIMITERS:
            end, problem = _tag_end(code, at, text)
            if problem:
                problems.append(problem)
            else:
                spans.append((at, end))
                if _RAW.fullmatch(code, at, end) and (last := _ENDRAW.search(code, end)):
                    spans.append(last.span())  # what stands between is text, not tags
                    end = last.end()
            at = end
        else:
            opener = {"}}": "{{", "%}": "{%", "#}": "{#"}[pair]
            problems.append(f"„{pair}“ ohne öffnendes „{opener}“")
            at += 2
    return spans, problems


_RAW = re.compile(r"\{%[-+]?\s*raw\s*[-+]?%\}")
_ENDRAW = re.compile(r"\{%[-+]?\s*endraw\s*[-+]?%\}")
_ANY_DELIMITER = re.compile(r"\{\{|\{%|\{#|\}\}|%\}|#\}")


def _next_delimiter(code: str, start: int) -> int:
    match = _ANY_DELIMITER.search(code, start)
    return match.start() if match else -1


def _tag_end(code: str, start: int, text: str) -> tuple[int, str | None]:
    """Where the tag starting at `start` ends, like Jinja's lexer (strings, brackets), or the
    sentence saying why it does not, with where to go on scanning."""
    opener = code[start:start + 2]
    closer, what = _DELIMITERS[opener], _WHAT[opener]

    def named(end: int) -> str:  # the tag, if the paragraph holds more than the tag
        shown = text[start:end].strip()
        return "" if shown == text.strip() else f" „{_excerpt(shown)}“"

    if opener == "{#":
        end = code.find("#}", start + 2)
        if end < 0:
            return len(code), f"Kommentar{named(len(code))} nicht geschlossen („#}}“ fehlt)"
        return end + 2, None
    expected: list[str] = []  # closing brackets
    at = start + 2
    while at < len(code):
        char = code[at]
        if char in _TYPOGRAPHIC_QUOTES:
            end = code.find(closer, at)
            end = len(code) if end < 0 else end + 2
            return end, (f"{what}{named(end)} mit typografischen Anführungszeichen („{char}“) "
                         "statt geraden (\" oder ')")
        if char in "\"'":
            end = at + 1
            while end < len(code) and code[end] != char:
                end += 2 if code[end] == "\\" else 1
            if end >= len(code):
                return len(code), (f"Anführungszeichen {char} im {what}{named(len(code))} "
                                   "nicht geschlossen")
            at = end + 1
            continue
        if not expected:
            if code.startswith(closer, at):
                return at + 2, None
            wrong = next((c for c in ("}}", "%}", "#}") if code.startswith(c, at)), None)
            if wrong:
                return at + 2, f"{what}{named(at + 2)} mit „{wrong}“ statt „{closer}“ geschlossen"
            if code.startswith(("{{", "{%", "{#"), at) or char == "}":
                # `{{ betreff }`: one brace missing; or the next tag starts first
                end = at + 1 if char == "}" else at
                return end, f"{what}{named(end)} nicht geschlossen („{closer}“ fehlt)"
        if char in _BRACKETS:
            expected.append(_BRACKETS[char])
        elif char in ")]}":
            if expected and expected[-1] == char:
                expected.pop()
            else:
                end = code.find(closer, at)
                end = len(code) if end < 0 else end + 2
                problem = (f"Klammer „{_opening(expected[-1])}“ im {what}{named(end)} nicht "
                           "geschlossen" if expected else
                           f"Klammer „{char}“ ohne öffnende Klammer im {what}{named(end)}")
                return end, problem
        at += 1
    if expected:
        return len(code), (f"Klammer „{_opening(expected[-1])}“ im {what}{named(len(code))} "
                           f"nicht geschlossen")
    return len(code), f"{what}{named(len(code))} nicht geschlossen („{closer}“ fehlt)"


def _opening(closing: str) -> str:
    return {v: k for k, v in _BRACKETS.items()}[closing]


def _tag_rule(tag: _Tag) -> tuple[str | None, str | None]:
    """What is wrong with one tag on its own (a sentence without the place), or else the Jinja
    source that checks its syntax."""
    if tag.prefix:
        raw = tag.text.translate(_STRAIGHT)
        forbidden = "#}" if raw.startswith("{#") else "%}"
        if any(char in raw[2 + len(tag.prefix) + 1:-2] for char in forbidden):
            return (f"in {tag.shown} dürfen die Zeichen „{forbidden[0]}“ und „}}“ nicht "
                    "vorkommen"), None
        if tag.prefix in ("tr", "tc") and tag.paragraph.cell is None:
            return f"{tag.shown} steht nicht in einer Tabelle", None
    kind, keyword, source = tag.code[:2], tag.keyword, tag.code
    if kind == "{#" or keyword in ("raw", "endraw"):
        return None, None
    if kind == "{{" or keyword == "print":
        return None, source
    if not keyword:
        return f"Befehl {tag.shown} ohne Namen", None
    if keyword in _FILE_TAGS:
        return f"Vorlagen dürfen keine anderen Dateien einbinden: {tag.shown}", None
    if keyword in _CELL_TAGS:
        if tag.paragraph.cell is None:
            return f"{tag.shown} wirkt nur in einer Tabellenzelle", None
        if keyword in ("vm", "hm"):
            plain = re.fullmatch(r"\{%\s*(vm|hm)\s*%\}", tag.code)
            return (None if plain else f"{tag.shown}: „{{% {keyword} %}}“ steht ohne Angaben"), None
        argument = re.fullmatch(r"\{%\s*(?:cellbg|colspan)\s+([^%]+?)\s*%\}", tag.code)
        if not argument:
            return f"{tag.shown}: nach „{keyword}“ fehlt ein Wert", None
        return None, f"{{{{ {argument.group(1)} }}}}"
    if keyword in _BLOCKS:
        return None, source + ("" if keyword == "set" and "=" in source else f"{{% end{keyword} %}}")
    if keyword in ("elif", "else"):
        return None, f"{{% if x %}}{source}{{% endif %}}"
    if keyword.startswith("end") and keyword[3:] in _BLOCKS:
        return None, _SAMPLE_OPENER[keyword[3:]] + source
    guess = _meant(keyword)
    return f"unbekannter Befehl {tag.shown}" + (f" (gemeint: „{guess}“?)" if guess else ""), None


def _meant(keyword: str) -> str:
    """A known tag name, or the known one a misspelt name is closest to, or ""."""
    if not keyword or keyword in _KNOWN_TAGS:
        return keyword
    guess = difflib.get_close_matches(keyword, _KNOWN_TAGS, n=1)
    return guess[0] if guess else ""


def _syntax_problem(tag: _Tag, source: str) -> str | None:
    what = _WHAT[tag.code[:2]]
    try:
        make_environment().compile(source)
    except TemplateSyntaxError as exc:
        return f"ungültiger {what} {tag.shown}{_detail(exc.message or '')}"
    except Exception:  # e.g. RecursionError for brackets nested a thousand deep
        return f"ungültiger {what} {tag.shown}"
    return None


_COMMENT = re.compile(r"\{#.*?#\}", re.S)


def _lost_text_problems(tags: list[_Tag]) -> list[str]:
    """docxtpl replaces the whole paragraph of a {%p %}, row of a {%tr %}, cell of a {%tc %}."""
    problems, seen = [], set()
    for tag in tags:
        if tag.prefix == "p":
            scope, element, text = "den ganzen Absatz", None, tag.paragraph.text
        elif tag.prefix in ("tr", "tc") and tag.paragraph.cell is not None:
            cell = tag.paragraph.cell
            element = cell if tag.prefix == "tc" else next(cell.iterancestors(f"{W}tr"))
            scope = "die ganze Tabellenzelle" if tag.prefix == "tc" else "die ganze Tabellenzeile"
            text = "".join(t.text or "" for t in element.iter(f"{W}t"))
        else:
            continue
        key = id(tag.paragraph) if element is None else element
        # A comment {# … #} beside the tag is a note for the clerk, meant to disappear.
        rest = _COMMENT.sub("", text.replace(tag.text, "", 1)).strip()
        if rest and key not in seen:
            seen.add(key)
            problems.append(f"Text „{_excerpt(rest)}“ neben {tag.shown} ginge verloren (der "
                            f"Befehl ersetzt {scope}) {tag.paragraph.where}")
    return problems


def _block_problems(tags: list[_Tag]) -> list[tuple[str, _Tag]]:
    """{% if %}, {% for %}, … not closed, or closed without being opened: (sentence, its tag)."""
    problems: list[tuple[str, _Tag]] = []
    stack: list[list] = []  # [keyword, opening tag, has an else]
    for tag in tags:
        keyword = _meant(tag.keyword)  # a misspelt {% endfro %} counts as meant, reported once
        if keyword == "raw" or (keyword in _BLOCKS and not (keyword == "set" and "=" in tag.code)):
            stack.append([keyword, tag, False])
        elif keyword in ("elif", "else"):
            parents = ("if",) if keyword == "elif" else ("if", "for")
            at = _innermost(stack, parents)
            if at is None:
                problems.append((f"unerwartetes {tag.shown} (kein passendes "
                                 f"{' oder '.join(f'„{{% {p} %}}“' for p in parents)}) "
                                 f"{tag.paragraph.where}", tag))
                continue
            problems += _unclosed(stack[at + 1:], tag)
            del stack[at + 1:]
            if stack[at][2]:
                problems.append((f"unerwartetes {tag.shown} nach „{{% else %}}“ (zu "
                                 f"{stack[at][1].shown}) {tag.paragraph.where}", tag))
            elif keyword == "else":
                stack[at][2] = True
        elif keyword.startswith("end") and keyword[3:] in (*_BLOCKS, "raw"):
            at = _innermost(stack, (keyword[3:],))
            if at is None:
                problems.append((f"unerwartetes {tag.shown} (kein passendes "
                                 f"„{{% {keyword[3:]} %}}“) {tag.paragraph.where}", tag))
                continue
            problems += _unclosed(stack[at + 1:], tag)
            del stack[at:]
    return problems + _unclosed(stack, None)


def _innermost(stack: list[list], keywords: tuple[str, ...]) -> int | None:
    return next((i for i in range(len(stack) - 1, -1, -1) if stack[i][0] in keywords), None)


def _unclosed(entries: list[list], before: _Tag | None) -> list[tuple[str, _Tag]]:
    problems = []
    for keyword, tag, _ in entries:
        missing = f"„{{% end{keyword} %}}“ fehlt"
        if before is not None:
            missing += f" vor {before.shown} {before.paragraph.where}"
        problems.append((f"{tag.shown} wird nicht geschlossen ({missing}) {tag.paragraph.where}",
                         tag))
    return problems


def _compile_problems(unit: str, source: str) -> list[str]:
    try:
        make_environment().from_string(source)  # also fills the cache the render uses
    except TemplateSyntaxError as exc:
        place = _place_near(unit, _line_text(source.split("\n"), exc.lineno))
        return [f"Fehler in einem Platzhalter{_detail(exc.message or '')} {place}".rstrip()]
    except Exception:
        return [f"Fehler in einem Platzhalter {unit}".rstrip()]
    return []


def _with_lines(xml: str) -> str:
    """A part as docxtpl hands it to Jinja: a line for every paragraph."""
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)


def _lines(xml: str) -> list[str]:
    return _with_lines(xml).split("\n")


def _line_text(lines: list[str], lineno: int | None) -> str:
    """The text of a template line's paragraph (or of what follows it on the line, such as the
    tags of {%p %} paragraphs that docxtpl removed), or of the nearest line before with text."""
    for number in range(min(lineno or 1, len(lines)) - 1, -1, -1):
        line = lines[number]
        end = line.rfind("</w:p>")
        text = _plain_text(line[:end]) if end >= 0 else ""
        if text := text or _plain_text(line):
            return text
    return ""


def _plain_text(xml: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", xml)).split())


def _place_near(unit: str, text: str) -> str:
    return f"{unit}in der Nähe des Absatzes „{_excerpt(text)}“" if text else unit.strip()


def _template_line(exc: BaseException) -> int | None:
    """The template line where an exception was raised (Jinja adds it to the traceback)."""
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


# Jinja's syntax errors in German; a message not listed here is left out rather than shown in
# English.
def _token(described: str) -> str | None:
    words = {"end of print statement": "„}}“", "end of statement block": "„%}“",
             "end of comment": "„#}“", "begin of print statement": "„{{“",
             "begin of statement block": "„{%“", "begin of comment": "„{#“",
             "end of template": "das Ende", "template data / text": "Text", "name": "ein Name",
             "integer": "eine Zahl", "float": "eine Zahl",
             "string": "ein Text in Anführungszeichen"}
    if described in words:
        return words[described]
    return None if not described or " " in described else f"„{described}“"


def _unexpected_char(match: re.Match) -> str:
    try:
        char = ast.literal_eval(match.group(1))
    except (ValueError, SyntaxError):
        return "unerlaubtes Zeichen"
    if char in _TYPOGRAPHIC_QUOTES + "“”‘’":
        return "typografische Anführungszeichen; bitte gerade Anführungszeichen (\" oder ') schreiben"
    return f"unerlaubtes Zeichen „{char}“" if char.isprintable() else f"unerlaubtes Zeichen U+{ord(char):04X}"


def _expected(match: re.Match) -> str:
    wanted, got = _token(match.group(1)), _token(match.group(2))
    if wanted and got:
        return f"erwartet: {wanted}; gefunden: {got}"
    return f"unerwartet: {got}" if got else ""


def _unknown_filter(kind: str, names: Any) -> Any:
    def message(match: re.Match) -> str:
        guess = difflib.get_close_matches(match.group(1), sorted(names()), n=1)
        return f"unbekannter {kind} „{match.group(1)}“" + (f", gemeint: „{guess[0]}“?" if guess else "")
    return message


_SYNTAX_MESSAGES = [
    (r"unexpected char (.+) at \d+", _unexpected_char),
    (r"unexpected '(.+)', expected '(.+)'",
     lambda m: f"„{m.group(1)}“ passt nicht, erwartet war „{m.group(2)}“"),
    (r"expected token '(.+)', got '(.*)'", _expected),
    (r"unexpected end of template, expected '(.+)'\.?",
     lambda m: f"zu früh zu Ende, erwartet: {_token(m.group(1)) or 'mehr'}"),
    (r"Expected an expression, got .*", lambda m: "hier fehlt ein Wert"),
    (r"unexpected '(.+)'", lambda m: f"unerwartet: {_token(m.group(1)) or 'ein Zeichen'}"),
    (r"tag name expected", lambda m: "der Name des Befehls fehlt"),
    (r"Encountered unknown tag '(\w+)'.*", lambda m: f"unbekannter Befehl „{m.group(1)}“"),
    (r"Unexpected end of template.*", lambda m: "ein Befehl wird nicht geschlossen"),
    (r"expected name or number", lambda m: "nach dem Punkt fehlt ein Name"),
    (r"expected subscript expression", lambda m: "in den eckigen Klammern fehlt ein Wert"),
    (r"invalid syntax for function call expression", lambda m: "ungültiger Aufruf"),
    (r"can't assign to .*", lambda m: "hier kann nichts zugewiesen werden"),
    (r"Invalid character in identifier", lambda m: "ungültiges Zeichen in einem Namen"),
    (r"You cannot chain multiple tests with is", lambda m: "zwei „is“ hintereinander"),
    (r"No filter named '(.+?)'.*",
     _unknown_filter("Filter", lambda: [n for n in make_environment().filters if n[0] != "_"])),
    (r"No test named '(.+?)'.*", _unknown_filter("Test", lambda: make_environment().tests)),
    (r"non-default argument follows default argument",
     lambda m: "ein Parameter ohne Vorgabe folgt einem mit Vorgabe"),
    (r"expected call", lambda m: "hier fehlt ein Aufruf"),
    (r"block '(.+)' defined twice", lambda m: f"Block „{m.group(1)}“ doppelt"),
]


def _detail(message: str) -> str:
    """Jinja's English message as a German parenthesis, or "" for one not known."""
    for pattern, german in _SYNTAX_MESSAGES:
        if match := re.fullmatch(pattern, message.strip(), re.DOTALL):
            text = german(match)
            return f" ({text})" if text else ""
    return ""


# The smallest valid PNG (1×1, grey): a trial render (`check`) needs no real chart.
PROBE_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000376ef9240000000a49444154789c"
    "63680000008200815cc7b1ba0000000049454e44ae426082")


def _pictures(template: DocxTemplate, context: dict[str, Any], probe: bool,
              used: frozenset[str]) -> dict[str, Any]:
    """Pictures (top-level context values) the template places as `{{ name }}` become docxtpl
    InlineImages of this template; the others are never drawn."""
    return {k: InlineImage(template, io.BytesIO(PROBE_PNG if probe else v.png),
                           width=Mm(v.breite_mm))
            if isinstance(v, Bild) and k in used else v for k, v in context.items()}


def _fill_charts(path: Path, template: DocxTemplate, context: dict[str, Any],
                 used: frozenset[str]) -> None:
    """Word charts named like a picture placeholder take that picture's figures.

    LibreOffice does not keep a chart's name when it saves a .docx („Object1“): a picture the
    template neither names a chart after nor places as `{{ name }}` takes the one chart not
    named after a picture; among several such charts, none is guessed (a German error).
    """
    charts = None
    for name, value in context.items():
        if not isinstance(value, Bild) or value.daten is None:
            continue
        if charts is None:
            charts = diagramm.charts_named(template.docx)
        part = charts.get(name)
        if part is None and name not in used:
            others = [n for n in charts if n not in context]
            if len(others) > 1:
                raise VorlagenFehler(path, f"kein Diagramm namens „{name}“, aber mehrere andere "
                                           f"({', '.join(f'„{n}“' for n in others)}); bitte "
                                           f"eines „{name}“ nennen")
            part = charts[others[0]] if others else None
        if part is None:
            continue
        try:
            part._blob = diagramm.fill(part.blob, value.daten)
        except (diagramm.DiagrammFehler, etree.XMLSyntaxError, ValueError) as exc:
            raise VorlagenFehler(path, f"Diagramm „{name}“: {exc}") from None


def undeclared_variables(path: Path, context: dict[str, Any]) -> set[str]:
    """Top-level names the template uses that the context does not supply.

    With an empty context: every top-level placeholder name the template uses (`betreff`,
    `koerperschaft`, the lists its loops run over), in the body, headers and footers. Raises
    VorlagenFehler for a template with syntax errors (see `template_problems`).
    """
    return set(_template_variables(path, _file_version(path))) - set(context)


@functools.lru_cache(maxsize=64)
def _template_variables(path: Path, version: tuple[int, ...]) -> frozenset[str]:
    """All top-level names a template uses (cached per file version: parsing costs ~30 ms)."""
    return _variables_of(path, _read_template(path))


@functools.lru_cache(maxsize=16)
def _variables_of(path: Path, raw: bytes) -> frozenset[str]:
    """_template_variables of these bytes of the template (those that are rendered)."""
    return frozenset(vorlagen_cache.analysed("platzhalter", raw,
                                             lambda: _analyse_variables(path, raw)))


def _analyse_variables(path: Path, raw: bytes) -> list[str]:
    template = open_template(path, raw)
    try:
        return sorted(template.get_undeclared_template_variables(make_environment()))
    except TemplateSyntaxError:
        problems = template_problems(path)
        raise VorlagenFehler(path, _listing(problems) if problems else
                             "Fehler in einem Platzhalter (Stelle nicht gefunden)") from None


def _listing(problems: list[str]) -> str:
    if len(problems) == 1:
        return problems[0]
    return "\n".join([f"{len(problems)} Probleme:", *problems])


def render_docx(path: Path, context: dict[str, Any], info: Dokumentinfo,
                probe: bool = False) -> bytes:
    """Render one template to deterministic .docx bytes.

    The template is checked first (`template_problems`); rendering is bounded by
    TIME_LIMIT_SECONDS, MAX_LOOP_STEPS, MAX_OUTPUT_CHARS and MAX_VALUE_SIZE. Every failure is a
    VorlagenFehler in German. A `probe` (for `check`) puts a placeholder for every picture and
    returns b"" once the template has rendered.
    """
    raw = _read_template(path)  # read once: the bytes checked are the bytes rendered
    problems = _problems_of(path, raw)
    if problems:
        raise VorlagenFehler(path, _listing(list(problems)))
    used = _variables_of(path, raw)
    missing = used - set(context)
    if missing:
        raise VorlagenFehler(path, f"unbekannte Platzhalter: {', '.join(sorted(missing))}")
    template = open_template(path, raw)
    try:
        with _limits():
            template.render(_pictures(template, context, probe, used), make_environment(),
                            autoescape=True)
    except FehlendeFormatvorlage as exc:
        raise VorlagenFehler(path, exc.meldung()) from None
    except Exception as exc:
        raise VorlagenFehler(path, _render_error(exc, getattr(exc, "ratsdoc_place", ""))) from None
    _fill_charts(path, template, context, used)
    if probe:
        return b""  # a trial (`check`) needs no package: the body was parsed strictly already
    _set_core_properties(template, info)
    out = io.BytesIO()
    template.save(out)
    collector = template.rows
    return normalise_package(out.getvalue(), path,
                             None if collector is None else lambda body: rows.insert(body, collector))


def _render_error(exc: Exception, place: str) -> str:
    """A failure while rendering, in German, with its place when known."""
    at = f" {place}" if place else ""
    if isinstance(exc, _LimitExceeded):
        return exc.message + at
    if isinstance(exc, SecurityError):
        match = re.search(r"attribute '([^']+)'", str(exc))
        detail = f" („{match.group(1)}“)" if match else " (Aufruf)" if "callable" in str(exc) else ""
        return f"unerlaubter Zugriff in einem Platzhalter{detail}{at}"
    if isinstance(exc, UndefinedError):
        return f"unbekannter Platzhalter: {_undefined_name(exc)}"
    if isinstance(exc, TemplateNotFound):
        return f"Vorlagen dürfen keine anderen Dateien einbinden („{exc.name}“){at}"
    if isinstance(exc, TemplateError):
        return f"Fehler in einem Platzhalter{_detail(exc.message or '')}{at}"
    if isinstance(exc, OverflowError):
        if str(exc).startswith("Range too big"):  # the sandbox's range()
            return (f"unerlaubter Zugriff in einem Platzhalter: range() darf höchstens "
                    f"{_number(100_000)} Zahlen liefern{at}")
        return f"eine Zahl ist zu groß{at}"
    if isinstance(exc, _BrokenXml):
        after = f" (nach „{exc.text_before}“)" if exc.text_before else ""
        return f"erzeugt ungültiges XML im Dokument{after}"
    if isinstance(exc, etree.XMLSyntaxError):
        return "erzeugt ungültiges XML in einer Kopf- oder Fußzeile"
    if isinstance(exc, RecursionError):
        return f"zu tief verschachtelt (ruft sich ein Makro selbst auf?){at}"
    if isinstance(exc, ZeroDivisionError):
        return f"Division durch null{at}"
    if isinstance(exc, MemoryError):
        return f"zu wenig Arbeitsspeicher (erzeugt die Vorlage zu große Werte?){at}"
    if isinstance(exc, TypeError):
        return f"ein Platzhalter verknüpft unpassende Werte (etwa Text und Zahl){at}"
    if isinstance(exc, ValueError):
        return f"ungültiger Wert in einem Platzhalter{at}"
    return f"Fehler beim Ausfüllen{at}"


def _undefined_name(exc: UndefinedError) -> str:
    text = str(exc)
    match = re.search(r"has no attribute '([^']+)'", text) or re.search(r"'([^']+)' is undefined", text)
    if match:
        return f"„{match.group(1)}“"
    match = re.search(r"has no element (.+)$", text)
    return f"Element {match.group(1)}" if match else "(Name nicht bekannt)"


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
    """Render an HTML template (Jinja, same sandbox and limits, autoescaped) to UTF-8 bytes."""
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VorlagenFehler(path, "Datei nicht gefunden") from None
    try:
        template = make_environment().from_string(source)
    except TemplateSyntaxError as exc:
        raise VorlagenFehler(path, f"Fehler in einem Platzhalter{_detail(exc.message or '')} "
                                   f"in Zeile {exc.lineno}") from None
    try:
        with _limits(), markup.fuer_html():
            return template.render(context).encode("utf-8")
    except Exception as exc:
        line = _template_line(exc)
        raise VorlagenFehler(path, _render_error(exc, f"in Zeile {line}" if line else "")) from None
