"""Load stage: YAML files → pydantic models, with the line of every field for error messages."""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .errors import DatenFehler, Problem, display_path
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


# --- YAML with line marks ----------------------------------------------------------------------

_YAML_PROBLEMS = {
    "mapping values are not allowed": "Doppelpunkt an unerwarteter Stelle "
    "(Text mit „: “ in Anführungszeichen setzen)",
    "could not find expected ':'": "erwarteter Doppelpunkt fehlt",
    "found character that cannot start any token": "Zeichen, mit dem kein Wert beginnen kann "
    "(Tabulator? In YAML nur Leerzeichen zum Einrücken verwenden)",
    "did not find expected key": "Einrückung passt nicht (erwarteter Schlüssel fehlt)",
    "did not find expected '-' indicator": "Einrückung passt nicht (erwartetes „-“ fehlt)",
    "found unexpected end of stream": "Datei endet mitten in einem Wert "
    "(Anführungszeichen nicht geschlossen?)",
    "found undefined alias": "unbekannter Verweis (*alias)",
    "expected <block end>, but found '-'": "Einrückung der Liste passt nicht",
    "expected <block end>, but found '<block mapping start>'": "Einrückung passt nicht",
    "expected <block end>, but found '<scalar>'": "Einrückung passt nicht",
}


class _YamlSyntaxError(Exception):
    def __init__(self, line: int, message: str):
        self.line, self.message = line, message


def _german_yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    problem = (exc.problem or str(exc)).strip()
    for english, german in _YAML_PROBLEMS.items():
        if problem.startswith(english):
            return f"YAML-Syntaxfehler: {german}"
    return f"YAML-Syntaxfehler ({problem})"


def read_yaml(path: Path) -> tuple[Any, Zeilen, list[Problem]]:
    """Parse a YAML file with pyyaml's C loader, keeping the line of every node."""
    name = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, Zeilen(), [Problem(name, 0, "", f"ist nicht UTF-8-kodiert ({exc.reason})")]
    except OSError as exc:
        return None, Zeilen(), [Problem(name, 0, "", f"kann nicht gelesen werden ({exc.strerror})")]
    return parse_yaml(text, name)


class _DuplicateKey(Exception):
    pass


class _FastLoader(yaml.CSafeLoader):
    """pyyaml's C loader, refusing duplicate keys (which pyyaml would silently accept)."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep)
        if len(mapping) != len(node.value):  # a key stood twice; the slow path says where
            raise _DuplicateKey
        return mapping



def parse_yaml(text: str, name: str) -> tuple[Any, Zeilen, list[Problem]]:
    """Parse YAML text; name is the file name used in messages.

    Well-formed files take the fast path (the C loader) with lazily built line marks; anything
    unusual (a syntax error, a duplicate key, an impossible date) is parsed again node by node,
    which finds every problem with its line.
    """
    try:
        data = yaml.load(text, Loader=_FastLoader)
    except (yaml.YAMLError, _DuplicateKey, ValueError, TypeError):
        return _marked_parse(text, name, Zeilen())
    if data is None:
        return None, Zeilen(), [Problem(name, 1, "", "Datei ist leer")]
    return data, Zeilen(text), []


def _marked_parse(text: str, name: str, zeilen: Zeilen) -> tuple[Any, Zeilen, list[Problem]]:
    """Parse node by node, marking the line of every field and collecting problems."""
    loader = yaml.CSafeLoader(text)
    problems: list[Problem] = []
    try:
        node = loader.get_single_node()
        if node is None:
            return None, zeilen, [Problem(name, 1, "", "Datei ist leer")]
        data = _construct(loader, node, (), zeilen, problems, name)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        return None, zeilen, [Problem(name, line, "", _german_yaml_problem(exc))]
    except yaml.YAMLError as exc:
        return None, zeilen, [Problem(name, 1, "", f"YAML-Fehler ({exc})")]
    finally:
        loader.dispose()
    return data, zeilen, problems


def _construct(loader, node, path: Feldpfad, zeilen: Zeilen, problems: list[Problem], name: str,
               line: int | None = None):
    # A mapping value's line is its key's line: "unterzeichner:" rather than its first child.
    zeilen.set(path, line or node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = _scalar(loader, key_node)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str | int) or isinstance(key, bool):
                key = str(key)
            if key in seen:
                problems.append(
                    Problem(name, line, feldname((*path, key)),
                            f"Schlüssel ist doppelt (auch Zeile {seen[key]})")
                )
                continue
            seen[key] = line
            result[key] = _construct(loader, value_node, (*path, key), zeilen, problems, name, line)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(loader, item, (*path, index), zeilen, problems, name)
            for index, item in enumerate(node.value)
        ]
    return _scalar(loader, node)


def _scalar(loader, node):
    if not isinstance(node, yaml.ScalarNode):
        return str(node.value)
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, yaml.constructor.ConstructorError):
        # e.g. 2020-02-30 matches the timestamp pattern but is no date: hand the text on, so that
        # validation reports it as a field error with its line.
        return node.value


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
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def german_message(error: dict[str, Any], model: type[BaseModel]) -> str:
    """Translate one pydantic error into German."""
    kind, ctx = error["type"], error.get("ctx", {})
    given = _shown(error.get("input"))
    if kind == "missing":
        return "Pflichtfeld fehlt"
    if kind == "extra_forbidden":
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
        return f"muss größer als {ctx.get('gt')} sein, nicht „{given}“"
    if kind == "greater_than_equal":
        return f"muss mindestens {ctx.get('ge')} sein, nicht „{given}“"
    if kind == "less_than_equal":
        return f"darf höchstens {ctx.get('le')} sein, nicht „{given}“"
    if kind.startswith("decimal"):
        return f"„{given}“ ist kein gültiger Betrag (höchstens zwei Nachkommastellen)"
    if kind == "string_pattern_mismatch":
        return f"„{given}“ ist keine gültige Kennung (nur Ziffern, Buchstaben, . / -)"
    if kind == "frozen_instance":
        return "darf nicht geändert werden"
    # Our own PydanticCustomErrors carry German text already.
    return error["msg"]


def validate_model(quelle: Quelle, model: type[BaseModel]) -> tuple[Any, list[Problem]]:
    """Validate raw data against a model; return the instance or the problems."""
    try:
        return model.model_validate(quelle.daten), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(part for part in error["loc"] if not _is_tag(part))
            problems.append(quelle.problem(loc, german_message({**error, "loc": loc}, model)))
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
    for path in sorted((ordner / VORLAGEN_ORDNER).glob("*.yaml")):
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
