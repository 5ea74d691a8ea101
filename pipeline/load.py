"""Load stage: YAML files → pydantic models, with the line of every field for error messages."""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic_core
import yaml
from pydantic import BaseModel, ValidationError

from .errors import DatenFehler, Problem, display_path, os_fehlertext
from .model import UNION_TAGS, Haushalt, Katalog, Stil

STIL_DATEI = "stil.yaml"
HAUSHALT_DATEI = "haushalt.yaml"
KATALOG_DATEI = "massnahmenkatalog.yaml"
VORLAGEN_ORDNER = "vorlagen"

# Path of a field inside a file, as pydantic's loc: keys and list indexes.
Feldpfad = tuple[str | int, ...]


class Zeilen:
    """Maps field paths of one file to their 1-based line numbers.

    Built lazily from the text when first asked: only a message needs a line, and marking every
    node costs as much as reading the file.
    """

    def __init__(self, text: str | None = None) -> None:
        self._lines: dict[tuple[str, ...], int] = {}
        self._text = text

    def set(self, path: Feldpfad, line: int) -> None:
        self._lines[tuple(map(str, path))] = line

    def of(self, path: Feldpfad) -> int:
        """The line of a field, or of its nearest parent that exists in the file."""
        if self._text is not None:
            text, self._text = self._text, None
            _marked_parse(text, "", self)
        key = tuple(map(str, path))
        while key:
            if key in self._lines:
                return self._lines[key]
            key = key[:-1]
        return self._lines.get((), 1)


def feldname(path: Feldpfad) -> str:
    """handlungsfelder[2].ziele[0].nr, as the user reads it."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass
class Quelle:
    """One data file as read: its path, its raw data and its line marks."""

    pfad: Path
    daten: Any
    zeilen: Zeilen

    @property
    def name(self) -> str:
        return display_path(self.pfad)

    def problem(self, path: Feldpfad, meldung: str) -> Problem:
        return Problem(self.name, self.zeilen.of(path), feldname(path), meldung)


@dataclass
class Daten:
    """Everything in one data folder, validated."""

    ordner: Path
    stile: dict[str, Stil]  # house styles by folder name
    haushalt: Haushalt | None
    dokumente: dict[str, Any]  # document name → its model (every model has `art` and `stil`)
    quellen: dict[str, Quelle] = field(default_factory=dict)  # by document or file name
    ungueltig: set[str] = field(default_factory=set)  # files present but invalid (by key)
    fassungen: dict[str, int] = field(default_factory=dict)  # 2 for a paper's first Neufassung …

    def stil_of(self, name: str) -> Stil:
        """The house style of a document (validated to exist)."""
        return self.stile[self.dokumente[name].stil]

    @property
    def katalog(self) -> Katalog | None:
        """The data folder's Maßnahmenkatalog, if it has one."""
        return next((d for d in self.dokumente.values() if isinstance(d, Katalog)), None)


# --- YAML 1.2 --------------------------------------------------------------------------------
#
# pyyaml implements YAML 1.1, where `no` is False, `04271000` an octal number and `1:20` a
# number of minutes; ruamel.yaml, which edits the files (edit.py), implements YAML 1.2, where the
# first is text and the others are 4271000 and text. Both read the same files, so both follow
# YAML 1.2 here: booleans are only true/false, integers only decimal digits, no sexagesimal
# numbers, no merge keys. Every value these rules read as something other than text is one
# that ruamel.yaml reads as such too, so that whatever text ruamel.yaml writes without quotes
# reads back as the same text (tests/test_fuzz.py checks it).

MAX_DATEI_BYTES = 10_000_000  # per data file; the 10,000-measure benchmark catalogue has 3.9 MB
MAX_TIEFE = 32  # nesting levels; the catalogue needs 9

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP = (
    f"{_TAG}{name}" for name in ("str", "int", "float", "bool", "null", "timestamp"))


class Zahl(int):
    """An integer as read from YAML, with the text it was written as (04271000, +5).

    Only numbers written otherwise than Python prints them are Zahl: identifiers such as a
    Sachkonto keep their leading zeros (model.wie_geschrieben).
    """

    quelltext: str


class Kommazahl(float):
    """A decimal number as read from YAML, with the text it was written as (5000.50, 5.000)."""

    quelltext: str


def _zahl(text: str) -> int:
    value = int(text)
    if str(value) == text:
        return value
    number = Zahl(value)
    number.quelltext = text
    return number


def _kommazahl(text: str) -> float:
    number = Kommazahl(text.lower().replace(".inf", "inf").replace(".nan", "nan"))
    number.quelltext = text
    return number


_TIMESTAMPS = yaml.constructor.SafeConstructor()


def _timestamp(text: str) -> Any:
    try:
        return _TIMESTAMPS.construct_yaml_timestamp(yaml.ScalarNode(_TIMESTAMP, text))
    except ValueError:
        # 2020-02-30 looks like a date but is none: hand the text on, so that validation reports
        # it as a field error with its line.
        return text


_CONSTRUCT = {
    _BOOL: lambda text: text in ("true", "True", "TRUE"),
    _NULL: lambda text: None,
    _INT: _zahl,
    _FLOAT: _kommazahl,
    _TIMESTAMP: _timestamp,
}


class Yaml12Loader(yaml.CSafeLoader):
    """pyyaml's C loader with YAML 1.2 rules (its own implicit resolvers and constructors).

    read_yaml uses only its C parser and this resolver table (see _build); the class itself also
    works with yaml.load, with the same values, which the tests compare.
    """

    yaml_implicit_resolvers: dict = {}  # noqa: RUF012 (pyyaml's own class attributes)
    yaml_constructors: typing.ClassVar[dict] = {
        tag: function for tag, function in yaml.constructor.SafeConstructor.yaml_constructors.items()
        # binary, set, omap, pairs: no data file needs them; merge keys (<<) are not YAML 1.2
        if tag in (None, _STR, f"{_TAG}seq", f"{_TAG}map")
    }


_TIMESTAMP_PATTERN = next(pattern for tag, pattern in yaml.resolver.Resolver.yaml_implicit_resolvers["2"]
                          if tag == _TIMESTAMP).pattern
for _tag, _pattern, _first in (
    (_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (_INT, r"^[-+]?[0-9]+$", "-+0123456789"),
    (_FLOAT, r"""^(?:[-+]?[0-9]+\.[0-9]*(?:[eE][-+]?[0-9]+)?
                 |[-+]?\.[0-9]+
                 |[-+]?[0-9]+[eE][-+]?[0-9]+
                 |[-+]?\.(?:inf|Inf|INF)
                 |\.(?:nan|NaN|NAN))$""", "-+0123456789."),
    (_NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (_TIMESTAMP, _TIMESTAMP_PATTERN, "0123456789"),
):
    Yaml12Loader.add_implicit_resolver(_tag, re.compile(_pattern, re.X), list(_first))
def _constructor(function: typing.Callable[[str], Any]) -> typing.Callable[[Any, Any], Any]:
    return lambda loader, node: function(node.value)


for _tag, _function in _CONSTRUCT.items():
    Yaml12Loader.add_constructor(_tag, _constructor(_function))


def resolve(text: str) -> str:
    """The tag YAML 1.2 (as ratsdoc reads it) gives a plain, unquoted scalar."""
    for tag, pattern in Yaml12Loader.yaml_implicit_resolvers.get(text[:1], ()):
        if pattern.match(text):
            return tag
    return _STR


def liest_als_text(text: str) -> bool:
    """Whether text, written without quotes, reads back as this very text."""
    return resolve(text) == _STR


# --- reading YAML with line marks --------------------------------------------------------------

_YAML_PROBLEMS = {
    "mapping values are not allowed": "Doppelpunkt an unerwarteter Stelle "
    "(Text mit „: “ in Anführungszeichen setzen)",
    "could not find expected ':'": "erwarteter Doppelpunkt fehlt",
    "found unexpected ':'": "Doppelpunkt an unerwarteter Stelle "
    "(Text mit „: “ in Anführungszeichen setzen)",
    "found character that cannot start any token": "Zeichen, mit dem kein Wert beginnen kann "
    "(Tabulator? In YAML nur Leerzeichen zum Einrücken verwenden)",
    "found a tab character": "Tabulator in der Einrückung (in YAML nur Leerzeichen zum Einrücken "
    "verwenden)",
    "did not find expected key": "Einrückung passt nicht (erwarteter Schlüssel fehlt)",
    "did not find expected '-' indicator": "Einrückung passt nicht (erwartetes „-“ fehlt)",
    "block sequence entries are not allowed": "Listeneintrag „- “ an unerwarteter Stelle "
    "(Einrückung prüfen)",
    "did not find expected node content": "Wert fehlt oder beginnt mit einem unerlaubten Zeichen "
    "(Text in Anführungszeichen setzen)",
    "found unexpected end of stream": "Datei endet mitten in einem Wert "
    "(Anführungszeichen nicht geschlossen?)",
    "did not find expected ',' or ']'": "Liste in [ ] nicht geschlossen oder Komma fehlt",
    "did not find expected ',' or '}'": "Zuordnung in { } nicht geschlossen oder Komma fehlt",
    "found undefined alias": "Verweis mit „*“ ohne passenden Anker "
    "(Text, der mit „*“ beginnt, in Anführungszeichen setzen)",
    "found duplicate anchor": "Anker mit „&“ doppelt vergeben",
    "did not find expected alphabetic or numeric character": "nach „&“ oder „*“ fehlt ein Name "
    "(Text, der mit „&“ oder „*“ beginnt, in Anführungszeichen setzen)",
    "did not find expected comment or line break": "unerwarteter Text nach „|“ oder „>“",
    "found an indentation indicator equal to 0": "Einrückungsangabe 0 nach „|“ oder „>“ ist "
    "nicht erlaubt",
    "found unknown escape character": "unbekannte Escape-Sequenz mit „\\“ in doppelten "
    "Anführungszeichen (einfache Anführungszeichen verwenden oder „\\\\“ schreiben)",
    "did not find expected hexdecimal number": "unvollständige Escape-Sequenz mit „\\“ in doppelten "
    "Anführungszeichen",
    "found invalid Unicode character escape code": "ungültiges Zeichen in einer Escape-Sequenz mit "
    "„\\“",
    "found unexpected document indicator": "„---“ oder „...“ am Zeilenanfang mitten in einem Text "
    "(Text in Anführungszeichen setzen)",
    "did not find expected <document start>": "unerwarteter Inhalt; eine Zeile „---“ fehlt",
    "found undefined tag handle": "unbekannte Typangabe mit „!“ (Text, der mit „!“ beginnt, in "
    "Anführungszeichen setzen)",
    "did not find expected tag URI": "ungültige Typangabe mit „!“ (Text, der mit „!“ beginnt, in "
    "Anführungszeichen setzen)",
    "did not find the expected '>'": "ungültige Typangabe mit „!<“",
    "did not find expected '!'": "ungültige Typangabe mit „!“",
    "did not find URI escaped octet": "ungültige Typangabe mit „!“",
    "did not find expected whitespace": "Leerzeichen fehlt (nach einer Typangabe oder Direktive)",
}
_DIRECTIVE_PROBLEM = "ungültige Zeile mit „%“ am Anfang (YAML-Direktive; bitte entfernen)"
_ZEICHEN_PROBLEM = "Zeichen {code} ist in YAML-Dateien nicht erlaubt (Steuerzeichen; bitte entfernen)"


def _german_yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    problem = (exc.problem or "").strip()
    for english, german in _YAML_PROBLEMS.items():
        if problem.startswith(english):
            return f"YAML-Syntaxfehler: {german}"
    if "directive" in problem or "version" in problem or "YAML document" in problem or \
            "non-alphabetical" in problem:
        return f"YAML-Syntaxfehler: {_DIRECTIVE_PROBLEM}"
    return "YAML-Syntaxfehler (Einrückung, Doppelpunkte und Anführungszeichen prüfen)"


def read_text(path: Path) -> tuple[str | None, list[Problem]]:
    """A data file's text: at most MAX_DATEI_BYTES, UTF-8 (a BOM is allowed)."""
    name = display_path(path)
    try:
        size = path.stat().st_size
        if size > MAX_DATEI_BYTES:
            return None, [Problem(name, 0, "", f"ist {_megabytes(size)} groß; erlaubt sind "
                                  f"höchstens {_megabytes(MAX_DATEI_BYTES)} je Datendatei")]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(name, 0, "", f"kann nicht gelesen werden ({os_fehlertext(exc)})")]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [Problem(name, 1, "", "ist als UTF-16 („Unicode“) gespeichert; bitte als "
                              "UTF-8 speichern (im Editor: Speichern unter → Codierung „UTF-8“)")]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        byte = raw[exc.start:exc.start + 1]
        guess = byte.decode("cp1252", errors="replace")
        shown = f", in Windows-1252 „{guess}“" if guess.isprintable() and guess != "\ufffd" else ""
        return None, [Problem(name, line, "", f"ist nicht als UTF-8 gespeichert (Byte "
                              f"0x{byte.hex().upper()}{shown}); bitte als UTF-8 speichern (im "
                              "Editor: Speichern unter → Codierung „UTF-8“)")]


def _megabytes(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB".replace(".", ",")


def read_yaml(path: Path) -> tuple[Any, Zeilen, list[Problem]]:
    """Parse a YAML file, keeping the line of every node."""
    text, problems = read_text(path)
    if text is None:
        return None, Zeilen(), problems
    return parse_yaml(text, display_path(path))


class _Abbruch(Exception):
    """A problem that ends reading a file: (line, message)."""

    def __init__(self, line: int, message: str):
        self.line, self.message = line, message


class _Doppelt(Exception):
    """A key stood twice: read again with line marks, which says where."""


def parse_yaml(text: str, name: str) -> tuple[Any, Zeilen, list[Problem]]:
    """Parse YAML text; name is the file name used in messages.

    The first pass builds the values without line marks (Zeilen marks them lazily when a message
    needs a line); a file with a duplicate key is read a second time with marks, which finds
    every duplicate with its line.
    """
    try:
        data, problems = _build(text, name, None)
    except _Doppelt:
        return _marked_parse(text, name, Zeilen())
    if problems or data is None:
        return None, Zeilen(), problems or [Problem(name, 1, "", "Datei ist leer")]
    return data, Zeilen(text), []


def _marked_parse(text: str, name: str, zeilen: Zeilen) -> tuple[Any, Zeilen, list[Problem]]:
    """Parse, marking the line of every field and collecting problems."""
    data, problems = _build(text, name, zeilen)
    if data is None and not problems:
        problems = [Problem(name, 1, "", "Datei ist leer")]
    return data, zeilen, problems


class _Offen:
    """A mapping or list being built: its value, its field path, the key awaiting its value."""

    __slots__ = ("ist_map", "key", "key_line", "lines", "path", "skip", "value")

    def __init__(self, value, path):
        self.value, self.path = value, path
        self.ist_map = isinstance(value, dict)
        self.key = self.key_line = None
        self.skip = False  # the pending value belongs to a duplicate key
        self.lines: dict[Any, int] = {}


def _build(text: str, name: str, zeilen: Zeilen | None) -> tuple[Any, list[Problem]]:
    """Build Python values from the C parser's events, with YAML 1.2 rules.

    Working from events rather than pyyaml's composer keeps memory and time linear in the file:
    aliases (which could expand a few lines into gigabytes, "billion laughs") are refused where
    they stand, nesting is capped (pyyaml's recursive composer crashes the interpreter at some
    ten thousand levels), and nothing is built twice. With zeilen, every field's line is marked
    and duplicate keys are reported; without, a duplicate key raises _Doppelt.
    """
    loader = Yaml12Loader(text)
    problems: list[Problem] = []
    stack: list[_Offen] = []
    root: Any = None
    documents = 0
    try:
        while True:
            try:
                event: Any = loader.get_event()
            except yaml.MarkedYAMLError as exc:
                mark = exc.problem_mark or exc.context_mark
                raise _Abbruch(mark.line + 1 if mark else 1, _german_yaml_problem(exc)) from None
            except yaml.reader.ReaderError as exc:
                line = text.encode("utf-8", "surrogatepass")[:exc.position].count(b"\n") + 1
                raise _Abbruch(line, _ZEICHEN_PROBLEM.format(code=f"U+{exc.character:04X}")) from None
            kind = type(event)
            line = event.start_mark.line + 1
            if kind is yaml.ScalarEvent:
                value = _scalar(event, line)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                _check_collection(event, line, stack)
                parent = stack[-1] if stack else None
                path = _child_path(parent, zeilen, line)
                stack.append(_Offen({} if kind is yaml.MappingStartEvent else [], path))
                continue
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                value = stack.pop().value
            elif kind is yaml.AliasEvent:
                raise _Abbruch(line, f"Verweise mit „*“ (hier „*{event.anchor}“) werden nicht "
                               "unterstützt; bitte den Wert an dieser Stelle ausschreiben")
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _Abbruch(line, "enthält mehrere YAML-Dokumente (Zeile „---“); je Datei "
                                   "ist nur eines erlaubt")
                if event.version not in (None, (1, 2)):
                    raise _Abbruch(line, f"„%YAML {event.version[0]}.{event.version[1]}“ wird nicht "
                                   "unterstützt (ratsdoc liest YAML 1.2); bitte die Zeile löschen")
                continue
            elif kind is yaml.StreamEndEvent:
                break
            else:
                continue
            if not stack:
                root = value
                if zeilen is not None and kind is yaml.ScalarEvent:
                    zeilen.set((), line)
                continue
            _attach(stack[-1], value, event, line, zeilen, problems, name)
    except _Abbruch as stop:
        return None, [Problem(name, stop.line, "", stop.message)]
    finally:
        loader.dispose()
    return root, problems


def _scalar(event: yaml.ScalarEvent, line: int) -> Any:
    text, tag = event.value, event.tag
    if tag is None:
        if not event.implicit[0]:
            return text  # quoted: always text
        kind = resolve(text)
        return text if kind == _STR else _CONSTRUCT[kind](text)
    if tag in ("!", _STR):
        return text
    raise _Abbruch(line, _unsupported_tag(tag))


def _unsupported_tag(tag: str) -> str:
    shown = tag.replace(_TAG, "!!")
    return (f"Typangaben wie „{shown}“ werden nicht unterstützt; bitte weglassen (Text, der mit "
            "„!“ beginnt, in Anführungszeichen setzen)")


def _check_collection(event, line: int, stack: list[_Offen]) -> None:
    if event.tag not in (None, "!", f"{_TAG}map", f"{_TAG}seq"):
        raise _Abbruch(line, _unsupported_tag(event.tag))
    if len(stack) >= MAX_TIEFE:
        raise _Abbruch(line, f"ist zu tief verschachtelt (mehr als {MAX_TIEFE} Ebenen)")
    if stack and stack[-1].ist_map and stack[-1].key is None:
        raise _Abbruch(line, "ein Schlüssel muss ein einfacher Wert sein, keine Liste oder "
                       "Zuordnung")


def _child_path(parent: _Offen | None, zeilen: Zeilen | None, line: int) -> Feldpfad | None:
    """The field path of a collection that starts here (None: no marks wanted or skipped)."""
    if zeilen is None or (parent is not None and (parent.path is None or parent.skip)):
        return None
    if parent is None:
        zeilen.set((), line)
        return ()
    if parent.ist_map:
        path = (*parent.path, parent.key)
        zeilen.set(path, parent.key_line)  # a mapping value's line is its key's line
    else:
        path = (*parent.path, len(parent.value))
        zeilen.set(path, line)
    return path


def _attach(frame: _Offen, value: Any, event, line: int, zeilen: Zeilen | None,
            problems: list[Problem], name: str) -> None:
    if not frame.ist_map:
        if frame.path is not None and zeilen is not None and type(event) is yaml.ScalarEvent:
            zeilen.set((*frame.path, len(frame.value)), line)
        frame.value.append(value)
        return
    if frame.key is None:  # value is a key
        if not isinstance(value, str | int) or isinstance(value, bool):
            value = event.value  # true, 1.5, ~ as keys: as written
        frame.key, frame.key_line = value, line
        if value in frame.value or value in frame.lines:
            if zeilen is None:
                raise _Doppelt
            if frame.path is not None:
                problems.append(Problem(name, line, feldname((*frame.path, value)),
                                        f"Schlüssel ist doppelt (auch Zeile {frame.lines[value]})"))
            frame.skip = True
        elif zeilen is not None:
            frame.lines[value] = line
        return
    if not frame.skip:
        if frame.path is not None and zeilen is not None and type(event) is yaml.ScalarEvent:
            zeilen.set((*frame.path, frame.key), frame.key_line)
        frame.value[frame.key] = value
    frame.key = frame.key_line = None
    frame.skip = False


# --- pydantic errors in German -----------------------------------------------------------------


def _allowed_fields(model: type[BaseModel], loc: Feldpfad) -> list[str]:
    """The fields allowed at the parent of loc, for the 'unknown field' message."""
    current: Any = model
    for part in loc[:-1]:
        current = _inner_type(current, part)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_type(annotation: Any, part: str | int) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        info = annotation.model_fields.get(str(part))
        return _unwrap(info.annotation) if info else None
    origin = typing.get_origin(annotation)
    if origin is list and isinstance(part, int):
        return _unwrap(typing.get_args(annotation)[0])
    if origin is dict:
        return _unwrap(typing.get_args(annotation)[1])
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip Optional[...] and Annotated[...] down to the model or container type."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        options = [_unwrap(a) for a in typing.get_args(annotation) if a is not type(None)]
        # Text or block (model.AbsatzOderUeberschrift): the fields are the block's.
        models = [a for a in options if isinstance(a, type) and issubclass(a, BaseModel)]
        return options[0] if len(options) == 1 else (models[0] if len(models) == 1 else None)
    return annotation


def _shown(value: Any) -> str:
    """A value as the clerk wrote it: true rather than True, 04271000 rather than 1143296."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "leer"
    else:
        text = getattr(value, "quelltext", None) or str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def german_message(error: dict[str, Any], model: type[BaseModel]) -> str:
    """Translate one pydantic error into German."""
    kind, ctx = error["type"], error.get("ctx", {})
    given = _shown(error.get("input"))
    if kind == "missing":
        return "Pflichtfeld fehlt"
    if kind == "extra_forbidden":
        key = error["loc"][-1] if error["loc"] else ""
        if isinstance(key, str) and (key[:1].isupper() or " " in key.strip()):
            # Field names are lower case: this is text with a colon, read as „key: value“.
            return (f"„{_shown(key)}: …“ wurde als Feld gelesen; ist es Text mit Doppelpunkt? "
                    f"Dann den ganzen Text in Anführungszeichen setzen: \"{_shown(key)}: …\"")
        allowed = _allowed_fields(model, error["loc"])
        hint = f"; erlaubt sind: {', '.join(allowed)}" if allowed else ""
        return f"unbekanntes Feld (Tippfehler?){hint}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"muss eine ganze Zahl sein, nicht „{given}“"
    if kind in ("string_type",):
        return f"muss Text sein, nicht „{given}“"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"„{given}“ ist kein gültiges Datum (TT.MM.JJJJ oder JJJJ-MM-TT)"
    expected = str(ctx.get("expected", "")).replace("' or '", "', '")
    if kind == "literal_error":
        return f"„{given}“ ist nicht erlaubt; erlaubt sind: {expected}"
    if kind == "enum":
        return f"„{given}“ ist keine bekannte Kategorie; erlaubt sind: {expected}"
    if kind in ("too_short",):
        count = ctx.get("min_length")
        return f"braucht mindestens {count} {'Eintrag' if count == 1 else 'Einträge'}"
    if kind in ("list_type",):
        return "muss eine Liste sein (Einträge mit „- “)"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "muss eine Zuordnung sein (Einträge der Form „schluessel: wert“)"
    if kind in ("bool_type", "bool_parsing"):
        return f"muss ja oder nein sein (true/false), nicht „{given}“"
    if kind == "greater_than":
        return f"muss größer als {_grenze(ctx.get('gt'))} sein, nicht „{given}“"
    if kind == "greater_than_equal":
        return f"muss mindestens {_grenze(ctx.get('ge'))} sein, nicht „{given}“"
    if kind == "less_than_equal":
        return f"darf höchstens {_grenze(ctx.get('le'))} sein, nicht „{given}“"
    if kind.startswith("decimal"):
        return f"„{given}“ ist kein gültiger Betrag (höchstens zwei Nachkommastellen)"
    if kind == "string_pattern_mismatch":
        return f"„{given}“ ist keine gültige Kennung (nur Ziffern, Buchstaben, . / -)"
    if kind == "frozen_instance":
        return "darf nicht geändert werden"
    if kind in ("float_type", "float_parsing", "finite_number"):
        return f"muss eine Zahl sein, nicht „{given}“"
    if kind in ("string_too_long", "too_long"):
        return "ist zu lang"
    if kind in _PYDANTIC_ERROR_TYPES:  # one of pydantic's own, not translated above: no English
        return f"„{given}“ ist hier nicht erlaubt"
    # Our own PydanticCustomErrors carry German text already.
    return error["msg"]


def _grenze(value: Any) -> str:
    """A limit as German writes it: 100.000, but 1990 (a year) without a point."""
    if isinstance(value, int) and value >= 10_000:
        return f"{value:,}".replace(",", ".")
    return str(value)


_PYDANTIC_ERROR_TYPES = frozenset(typing.get_args(pydantic_core.core_schema.ErrorType))


def validate_model(quelle: Quelle, model: type[BaseModel]) -> tuple[Any, list[Problem]]:
    """Validate raw data against a model; return the instance or the problems."""
    try:
        return model.model_validate(quelle.daten), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(part for part in error["loc"] if not _is_tag(part))
            ctx = error.get("ctx") or {}
            meldung = german_message({**error, "loc": loc}, model)
            if "pfad" in ctx:  # model.doppelt: the error belongs to a field below the model
                if "auch" in ctx:
                    meldung += f" (auch Zeile {quelle.zeilen.of((*loc, *ctx['auch']))})"
                loc = (*loc, *ctx["pfad"])
            problems.append(quelle.problem(loc, meldung))
        return None, problems


def _is_tag(part: Any) -> bool:
    # pydantic adds validator tags such as "function-after[...]" to loc: not field names.
    return isinstance(part, str) and (("[" in part and part.endswith("]")) or part == "[key]"
                                      or part in UNION_TAGS)


# --- the data folder ---------------------------------------------------------------------------


def load_styles(templates: Path, problems: list[Problem]) -> dict[str, Stil]:
    """Every house style under the templates folder: <stil>/stil.yaml."""
    stile = {}
    for path in sorted(templates.glob(f"*/{STIL_DATEI}")):
        data, zeilen, found = read_yaml(path)
        problems.extend(found)
        if data is not None:
            stil, found = validate_model(Quelle(path, data, zeilen), Stil)
            problems.extend(found)
            if stil is not None:
                stile[path.parent.name] = stil
    if not stile and not problems:
        problems.append(Problem(display_path(templates), 0, "",
                                f"keine Hausstile gefunden (Ordner mit {STIL_DATEI})"))
    return stile


def load_folder(ordner: Path, templates: Path) -> tuple[Daten | None, list[Problem]]:
    """Read and validate every data file of a folder; collect every problem on the way."""
    from .kinds import kinds

    problems: list[Problem] = []
    if not ordner.is_dir():
        raise DatenFehler([Problem(display_path(ordner), 0, "", "Datenordner nicht gefunden")])
    papers_found = sorted((ordner / VORLAGEN_ORDNER).glob("*.yaml"))
    if not papers_found and not any((ordner / f).exists() for f in (HAUSHALT_DATEI, KATALOG_DATEI)):
        raise DatenFehler([Problem(
            display_path(ordner), 0, "",
            f"enthält keine Daten (weder {HAUSHALT_DATEI} noch {KATALOG_DATEI} noch "
            f"{VORLAGEN_ORDNER}/*.yaml); richtiger Ordner? Anderer Ordner mit --daten ORDNER, "
            "ein neuer mit „ratsdoc init ORDNER --stil NAME“")])
    stile = load_styles(templates, problems)
    quellen: dict[str, Quelle] = {}
    ungueltig: set[str] = set()
    dokumente: dict[str, Any] = {}

    def read(key: str, path: Path, model: type[BaseModel]) -> Any:
        data, zeilen, found = read_yaml(path)
        problems.extend(found)
        quelle = quellen[key] = Quelle(path, data, zeilen)
        if data is None:
            ungueltig.add(key)
            return None
        instance, found = validate_model(quelle, model)
        problems.extend(found)
        if instance is None:
            ungueltig.add(key)
        return instance

    haushalt = None
    if (ordner / HAUSHALT_DATEI).exists():
        haushalt = read(HAUSHALT_DATEI, ordner / HAUSHALT_DATEI, Haushalt)

    # Kinds kept in a fixed file of their own (the catalogue), then the papers in vorlagen/.
    fixed = {kind.datei: kind for kind in kinds().values() if kind.datei}
    for filename, kind in fixed.items():
        name = Path(filename).stem
        if (ordner / filename).exists():
            instance = read(name, ordner / filename, kind.model)
            if instance is not None:
                dokumente[name] = instance
    paper_kinds = [art for art, kind in kinds().items() if not kind.datei]
    for path in papers_found:
        if path.stem in dokumente or f"{path.stem}.yaml" in fixed:
            problems.append(Problem(display_path(path), 0, "",
                                    f"der Name „{path.stem}“ ist für {path.stem}.yaml reserviert"))
            continue
        data, zeilen, found = read_yaml(path)
        problems.extend(found)
        quelle = quellen[path.stem] = Quelle(path, data, zeilen)
        if data is None:
            continue
        art = data.get("art") if isinstance(data, dict) else None
        if not isinstance(art, str) or art not in paper_kinds:
            meldung = (
                "Pflichtfeld fehlt" if art is None
                else f"„{_shown(art)}“ ist keine bekannte Art; erlaubt sind: {', '.join(paper_kinds)}"
            )
            problems.append(quelle.problem(("art",), meldung))
            continue
        instance, found = validate_model(quelle, kinds()[art].model)
        problems.extend(found)
        if instance is not None:
            dokumente[path.stem] = instance
        else:
            ungueltig.add(path.stem)

    return Daten(ordner, stile, haushalt, dokumente, quellen, ungueltig), problems
