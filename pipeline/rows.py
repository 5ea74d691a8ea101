"""Table-row loops of a .docx body, emitted from the template's own row instead of Jinja per item.

A catalogue of 10,000 measures is one `{%tr for m in z.massnahmen %}` loop run 10,000 times:
Jinja (sandboxed) for every row, then the whole body parsed, moved into python-docx and
serialised again. Here such a loop is rendered by Jinja once per *shape* of a row – which
branches it takes (`loop.first`, `zeile.art == 'punkt'`, …) and how many lines it has – with a
marker in place of every value it shows. That row goes through what the body goes through
(strict parse, schema order, lxml's serialisation), and is kept as pieces; every row of that
shape is then the pieces joined with its values, escaped as lxml escapes them. The rows are
put into the serialised body at the end (`insert`), in place of a comment.

The template stays the single source of layout: whatever the clerk changes in the row in Word
reaches every row, because the row is rendered from the template. The shortcut is taken only
where it is exact:

- the loop body is made of table rows, plain text and tags of this kind only: `{{ a }}` and
  `{{ a.b }}` without filters, `{% if %}`/`{% elif %}`/`{% else %}` on values, comparisons and
  `loop.first`/`loop.last`/`loop.index`…, and inner `{% for x in a.b %}` loops of the same kind;
- a value that decides a branch is part of the shape; a value that is only shown is inserted;
- a row with a value that is not plain text (formatted text, a line break, a tab, a character
  XML does not allow, docxtpl's `{_{`) is rendered by Jinja into the body as before, and so is
  every row when anything is unexpected (an error then comes from Jinja, with its German
  message and place, as before).
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from jinja2 import nodes
from jinja2.ext import Extension
from markupsafe import Markup

_LOOP_ATTRS = frozenset({"first", "last", "index", "index0", "revindex", "revindex0", "length"})
_MAX_SPECS = 4096  # row loops of distinct templates in one process
_MAX_SHAPES = 512  # per loop and render; beyond that, rows are rendered by Jinja
# What makes a value take the Jinja path: characters docxtpl turns into breaks or XML refuses,
# docxtpl's escaped braces, and the private-use characters of markers.
_NOT_PLAIN = re.compile("[\x00-\x1f\ud800-\udfff\ufffe\uffff\ue000-\ue0ff]|\\{_[{%]|[}%]_\\}")
_BRACE_EDGE = "{}%_"
_WHOLE_TYPES = (str, int, bool, type(None))  # values shown or compared whole


def _plain(value: Any, usage: _Usage | None) -> bool:
    """A dict, or a plain value the loop uses only whole (never `value.attribute`)."""
    if type(value) is dict:
        return True
    used = (usage.keys | usage.slots | set(usage.iters)) if usage is not None else set()
    return type(value) in _WHOLE_TYPES and used <= {None}
_SENTINEL = re.compile("\ue010([0-9a-f]{16})(\\d+)\ue011")


class _Slow(Exception):
    """This row (or loop) takes the Jinja path."""


@dataclass
class _Usage:
    """How a loop body uses one variable: its attributes (None: the value itself) by use."""

    keys: set[str | None] = field(default_factory=set)  # decide a branch: part of the shape
    slots: set[str | None] = field(default_factory=set)  # only shown
    iters: dict[str | None, list[_Loop]] = field(default_factory=dict)  # run inner loops


@dataclass
class _Loop:
    """A loop of the body (the row loop or one inside it)."""

    target: str
    loop_attrs: set[str] = field(default_factory=set)
    usage: dict[str, _Usage] = field(default_factory=dict)  # by variable bound here or outside


@dataclass
class _Spec:
    """An emittable row loop: its analysis and its body as a template of its own."""

    loop: _Loop
    free: tuple[str, ...]  # names from outside the loop, passed to `emit`
    body: list[nodes.Node]
    template: Any = None
    key: Any = None  # see _key_function


# --- analysis (at parse time) -------------------------------------------------------------------


class _Analyse:
    def __init__(self, target: str):
        self.root = _Loop(target)
        self.bound = {target: self.root}  # names bound by this loop or an inner one → its loop
        self.free: dict[str, _Usage] = {}

    def usage(self, name: str, loop: _Loop) -> _Usage:
        if name in self.bound:
            owner = self.bound[name]
            return owner.usage.setdefault(name, _Usage())
        return self.free.setdefault(name, _Usage())

    def body(self, body: list[nodes.Node], loop: _Loop) -> None:
        for node in body:
            if isinstance(node, nodes.Output):
                for child in node.nodes:
                    if not isinstance(child, nodes.TemplateData):
                        self.value(child, loop, "slot")
            elif isinstance(node, nodes.If):
                self.test(node.test, loop)
                self.body(node.body, loop)
                for elif_ in node.elif_:
                    self.test(elif_.test, loop)
                    self.body(elif_.body, loop)
                self.body(node.else_, loop)
            elif isinstance(node, nodes.For):
                self.inner(node, loop)
            else:
                raise _Slow

    def inner(self, node: nodes.For, loop: _Loop) -> None:
        if (node.else_ or node.test is not None or node.recursive
                or not isinstance(node.target, nodes.Name) or node.target.name in self.bound
                or node.target.name == "loop"):
            raise _Slow
        iterable: nodes.Node | None = node.iter
        if isinstance(iterable, nodes.Filter) and iterable.name.startswith("_ratsdoc"):
            iterable = iterable.node  # the step counter of render._GuardLoops
        name, attr = self.path(iterable)
        inner = _Loop(node.target.name)
        self.usage(name, loop).iters.setdefault(attr, []).append(inner)
        self.bound[inner.target] = inner
        self.body(node.body, inner)
        del self.bound[inner.target]

    def path(self, node: nodes.Node | None) -> tuple[str, str | None]:
        if isinstance(node, nodes.Name) and node.name != "loop":
            return node.name, None
        if (isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name)
                and node.node.name != "loop" and not hasattr(dict, node.attr)):
            return node.node.name, node.attr
        raise _Slow

    def value(self, node: nodes.Node, loop: _Loop, use: str) -> None:
        if isinstance(node, nodes.Const) and isinstance(node.value, (str, int, bool)):
            return
        if (isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name)
                and node.node.name == "loop"):
            if node.attr not in _LOOP_ATTRS:
                raise _Slow
            loop.loop_attrs.add(node.attr)
            return
        name, attr = self.path(node)
        usage = self.usage(name, loop)
        (usage.slots if use == "slot" else usage.keys).add(attr)

    def test(self, node: nodes.Node, loop: _Loop) -> None:
        if isinstance(node, nodes.Not):
            self.test(node.node, loop)
        elif isinstance(node, (nodes.And, nodes.Or)):
            self.test(node.left, loop)
            self.test(node.right, loop)
        elif isinstance(node, nodes.Compare):
            if any(op.op not in ("eq", "ne") for op in node.ops):
                raise _Slow
            for part in (node.expr, *(op.expr for op in node.ops)):
                self.value(part, loop, "key")
        else:
            self.value(node, loop, "key")


def _first_and_last_text(body: list[nodes.Node]) -> tuple[str, str]:
    texts = [n.data for n in nodes.Template(body).find_all(nodes.TemplateData)]
    joined = [t.strip() for t in texts if t.strip()]
    return (joined[0], joined[-1]) if joined else ("", "")


def analyse(node: nodes.For) -> _Spec | None:
    """The spec of an emittable row loop, or None where Jinja keeps it."""
    if (node.else_ or node.test is not None or node.recursive
            or not isinstance(node.target, nodes.Name) or node.target.name == "loop"):
        return None
    first, last = _first_and_last_text(node.body)
    if not first.startswith("<w:tr") or not last.endswith("</w:tr>"):
        return None
    analysis = _Analyse(node.target.name)
    try:
        analysis.body(node.body, analysis.root)
    except _Slow:
        return None
    for name, usage in [*analysis.free.items(), *_all_usages(analysis.root)]:
        # A value shown whole and also by attribute, or used with and without attributes in
        # ways the shape cannot separate: leave it to Jinja.
        if None in (usage.slots | usage.keys | set(usage.iters)) and (
                len(usage.slots | usage.keys | set(usage.iters)) > 1 or usage.iters):
            return None
        if (usage.slots | usage.keys) & set(usage.iters):
            return None  # a list both shown and looped over
        del name
    analysis.root.usage.update(analysis.free)
    return _Spec(analysis.root, tuple(sorted(analysis.free)), list(node.body))


def _all_usages(loop: _Loop):
    for name, usage in loop.usage.items():
        yield name, usage
        for inners in usage.iters.values():
            for inner in inners:
                yield from _all_usages(inner)


class RowLoops(Extension):
    """Puts `emit` in place of every emittable row loop (see render._Environment._parse)."""

    def __init__(self, environment: Any):
        super().__init__(environment)
        self.specs: dict[str, _Spec] = {}
        self.replaced = 0  # loops put in place so far (compiled code then needs this process)

    def replace(self, node: nodes.For) -> nodes.Node:
        spec = analyse(node)
        if spec is None:
            return node
        key = hashlib.sha256(repr(node).encode("utf-8")).hexdigest()
        if key not in self.specs and len(self.specs) >= _MAX_SPECS:
            return node  # compiled templates refer to their specs: never drop one
        self.specs.setdefault(key, spec)
        self.replaced += 1
        iterable = node.iter
        outer = nodes.Dict([nodes.Pair(nodes.Const(name), nodes.Name(name, "load"))
                            for name in spec.free])
        call = nodes.Call(nodes.ExtensionAttribute(RowLoops.identifier, "emit"),
                          [iterable, nodes.Const(key), outer], [], None, None)
        return nodes.Output([call], lineno=node.lineno)

    def emit(self, items: Any, key: str, outer: dict[str, Any]) -> Markup:
        """The rows of one loop: emitted rows as a comment `insert` replaces, others as XML."""
        spec = self.specs[key]
        if spec.template is None:
            template = nodes.Template(spec.body, lineno=1)
            template.set_environment(self.environment)
            code = self.environment.compile(template)
            spec.template = self.environment.template_class.from_code(
                self.environment, code, self.environment.make_globals(None), None)
        collector = _COLLECTOR.get()
        items = list(items)
        out: list[str] = []
        pending: list[str] = []
        for index, item in enumerate(items):
            row = None
            if collector is not None:
                with contextlib.suppress(_Slow):
                    row = collector.row(spec, key, item, index, len(items), outer)
            if row is not None:
                pending.append(row)
                continue
            if collector is not None and collector.charge is not None:
                collector.charge(1)
            if pending:
                out.append(collector.placeholder(pending))  # type: ignore[union-attr]
                pending = []
            out.append(spec.template.render(
                {**outer, spec.loop.target: item, "loop": _LoopState(index, len(items))}))
        if pending:
            out.append(collector.placeholder(pending))  # type: ignore[union-attr]
        return Markup("".join(out))


class _LoopState:
    """What a row sees of its loop (the attributes `analyse` allows)."""

    __slots__ = ("first", "index", "index0", "last", "length", "revindex", "revindex0")

    def __init__(self, index0: int, length: int):
        self.index0, self.index, self.length = index0, index0 + 1, length
        self.revindex0, self.revindex = length - index0 - 1, length - index0
        self.first, self.last = index0 == 0, index0 == length - 1


# --- emitting (at render time) ------------------------------------------------------------------


@dataclass
class _Shape:
    pieces: list[str]  # static XML between the values
    paths: list[tuple[Any, ...]]  # where each value is: (variable, attribute or index, …)
    in_attribute: list[bool]


class Collector:
    """The rows emitted while one body renders, and how its rows are made XML.

    `finish` is a function from the rendered row XML (with value markers) to the row as the
    body's serialisation will show it (docxtpl's clean-up, strict parse, schema order, lxml).
    """

    def __init__(self, finish: Any, too_large: Any, limit: int, charge: Any = None):
        self.finish, self.too_large, self.limit = finish, too_large, limit
        self.charge = charge  # charge(n): n loop steps against the render's limits
        self.token = secrets.token_hex(8)
        self.rows: list[str] = []
        self.size = 0
        self.shapes: dict[tuple[str, Any], _Shape | None] = {}  # None: Jinja renders these
        self.count: dict[str, int] = {}

    def placeholder(self, rows: list[str]) -> str:
        self.rows.append("".join(rows))
        return f"<!--ratsdoc-rows-{self.token}-{len(self.rows) - 1}-->"

    def row(self, spec: _Spec, key: str, item: Any, index: int, length: int,
            outer: dict[str, Any]) -> str | None:
        loop = spec.loop
        # Only plain data: an object's attributes (a date's year, …) are Jinja's to find.
        if not _plain(item, loop.usage.get(loop.target)) or not all(
                _plain(outer[n], loop.usage.get(n)) for n in spec.free):
            raise _Slow
        scope = {**outer, loop.target: item}
        if self.charge is not None:  # what the Jinja path would count: the row, its inner loops
            usage = loop.usage.get(loop.target)
            inner = [item.get(a) if a is not None else item for a in (usage.iters if usage else ())]
            self.charge(1 + sum(len(v) for v in inner if isinstance(v, list)))
        if spec.key is None:
            spec.key = _key_function(loop)
        shape_key = (key, spec.key(scope, index, length))
        if shape_key in self.shapes:
            shape = self.shapes[shape_key]
        else:
            self.count[key] = self.count.get(key, 0) + 1
            shape = None if self.count[key] > _MAX_SHAPES else self._shape(spec, scope, index,
                                                                          length)
            self.shapes[shape_key] = shape
        if shape is None:
            return None
        values = []
        try:
            for path in shape.paths:
                value: Any = scope
                for step in path:
                    value = value[step]
                if type(value) is not str:
                    if type(value) is not int:
                        raise _Slow
                    value = str(value)
                values.append(value)
        except (KeyError, IndexError, TypeError):
            raise _Slow from None  # Jinja says what is missing
        if _NOT_PLAIN.search(" ".join(values)) or any(
                v[:1] in _BRACE_EDGE or v[-1:] in _BRACE_EDGE for v in values if v):
            raise _Slow  # docxtpl's {_{ … }_} could form across a value's edge
        out = [shape.pieces[0]]
        for value, attribute, piece in zip(values, shape.in_attribute, shape.pieces[1:],
                                           strict=True):
            if "&" in value or "<" in value or ">" in value or (attribute and '"' in value):
                value = _escape(value, attribute)
            out += [value, piece]
        text = "".join(out)
        self.size += len(text)
        if self.size > self.limit:
            raise self.too_large()
        return text

    def _shape(self, spec: _Spec, scope: dict[str, Any], index: int, length: int) -> _Shape | None:
        paths: list[tuple[Any, ...]] = []
        probe = {name: _probe(spec.loop.usage[name], value, (name,), paths, self.token)
                 for name, value in scope.items() if name in spec.loop.usage}
        try:
            xml = spec.template.render({**probe, "loop": _LoopState(index, length)})
            finished = self.finish(xml)
        except Exception:  # the Jinja path renders these rows and reports what is wrong
            return None
        if finished is None:
            return None
        pieces, found, in_attribute, at = [], [], [], 0
        for match in _SENTINEL.finditer(finished):
            if match.group(1) != self.token:
                return None
            pieces.append(finished[at:match.start()])
            found.append(paths[int(match.group(2))])
            in_attribute.append(finished.rfind("<", 0, match.start())
                                > finished.rfind(">", 0, match.start()))
            at = match.end()
        pieces.append(finished[at:])
        return _Shape(pieces, found, in_attribute)


def _plain_key(value: Any) -> Any:
    if type(value) is str:
        return value
    if value is None or type(value) in (int, bool, float):
        return type(value), value  # True, 1 and 1.0 are equal keys, but show differently
    raise _Slow


_LOOP_VALUES = {
    "first": lambda i, n: i == 0, "last": lambda i, n: i == n - 1,
    "index": lambda i, n: i + 1, "index0": lambda i, n: i,
    "revindex": lambda i, n: n - i, "revindex0": lambda i, n: n - i - 1,
    "length": lambda i, n: n,
}


def _key_function(loop: _Loop) -> Any:
    """scope, index, length → the shape of one item of the loop (what decides its branches)."""
    states = [_LOOP_VALUES[a] for a in sorted(loop.loop_attrs)]
    per_name = [(name, sorted(usage.keys, key=str),
                 [(attr, [_items_key_function(inner) for inner in inners])
                  for attr, inners in usage.iters.items()])
                for name, usage in loop.usage.items()]

    def key(scope: dict[str, Any], index: int, length: int) -> tuple:
        parts: list[Any] = [tuple(state(index, length) for state in states)]
        for name, keys, iters in per_name:
            if name not in scope:
                continue
            value = scope[name]
            if keys:
                parts.append(tuple(_plain_key(_get(value, attr)) for attr in keys))
            for attr, inners in iters:
                items = _get(value, attr)
                if type(items) not in (list, tuple):
                    raise _Slow
                parts += [function(items) for function in inners]
        return tuple(parts)

    return key


def _items_key_function(loop: _Loop) -> Any:
    """items → the shapes of an inner loop's items; quick for the usual inner loop, whose
    branches depend on its item's attributes and its first/last only."""
    usage = loop.usage.get(loop.target)
    if (set(loop.usage) - {loop.target} or (usage is not None and (usage.iters or None in usage.keys))
            or loop.loop_attrs - {"first", "last"}):
        key = _key_function(loop)
        target = loop.target
        return lambda items: (len(items), *(key({target: x}, i, len(items))
                                             for i, x in enumerate(items)))
    keys = sorted(usage.keys) if usage is not None else []  # type: ignore[type-var]
    ends = bool(loop.loop_attrs)

    def items_key(items: Any) -> tuple:
        try:
            shapes = tuple(tuple(_plain_key(x[attr]) for attr in keys) for x in items) if keys \
                else ()
        except (KeyError, TypeError):
            raise _Slow from None
        if keys and any(type(x) is not dict for x in items):
            raise _Slow
        return len(items), ends, shapes

    return items_key


def _get(value: Any, attr: str | None) -> Any:
    if attr is None:
        return value
    if type(value) is not dict or attr not in value:
        raise _Slow
    return value[attr]


def _probe(usage: _Usage, value: Any, path: tuple[Any, ...], paths: list, token: str) -> Any:
    """A copy of a value for rendering a shape: markers for what is shown, the rest as is."""
    if None in usage.keys:
        return value  # it decides a branch itself: part of the shape
    if None in usage.slots:
        paths.append(path)
        return f"\ue010{token}{len(paths) - 1}\ue011"
    if type(value) is not dict:
        # An attribute of another object (a date's year) would be rendered into the shape
        # and shown in every row of it: Jinja renders such a row (and reports a missing one).
        raise _Slow
    probe: dict[str, Any] = {}
    for attr in usage.slots - usage.keys:
        if attr is not None:
            paths.append((*path, attr))
            probe[attr] = f"\ue010{token}{len(paths) - 1}\ue011"
    for attr in usage.keys:
        if attr is not None:
            probe[attr] = value[attr]
    for attr, inners in usage.iters.items():
        if attr is not None:
            own = _merged([inner.usage[inner.target] for inner in inners
                           if inner.target in inner.usage])
            probe[attr] = [x if own is None else _probe(own, x, (*path, attr, i), paths, token)
                           for i, x in enumerate(value[attr])]
    return probe


def _merged(usages: list[_Usage]) -> _Usage | None:
    """What several loops over the same list use of its items, together."""
    if not usages:
        return None
    merged = _Usage()
    for usage in usages:
        merged.keys |= usage.keys
        merged.slots |= usage.slots
        for attr, inners in usage.iters.items():
            merged.iters.setdefault(attr, []).extend(inners)
    return merged


def _escape(text: str, attribute: bool) -> str:
    """Text as lxml serialises it in a text node or an attribute (plain text: see _NOT_PLAIN)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if attribute else text


_COLLECTOR: contextvars.ContextVar[Collector | None] = contextvars.ContextVar("rows", default=None)


@contextlib.contextmanager
def collecting(collector: Collector):
    """While a body renders: emittable rows go to the collector."""
    token = _COLLECTOR.set(collector)
    try:
        yield collector
    finally:
        _COLLECTOR.reset(token)


def insert(body: bytes, collector: Collector) -> bytes:
    """The serialised body with the emitted rows in place of their comments."""
    if not collector.rows:
        return body
    pattern = re.compile(rb"<!--ratsdoc-rows-" + collector.token.encode() + rb"-(\d+)-->")
    parts, at = [], 0
    for match in pattern.finditer(body):
        parts += [body[at:match.start()], collector.rows[int(match.group(1))].encode("utf-8")]
        at = match.end()
    parts.append(body[at:])
    return b"".join(parts)


def collected_size() -> int:
    """The characters of rows emitted so far in this render (they count against its limit)."""
    collector = _COLLECTOR.get()
    return collector.size if collector is not None else 0
