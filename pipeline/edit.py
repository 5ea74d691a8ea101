"""Round-trip edits of the catalogue data file with ruamel.yaml.

Comments, key order, quoting and line layout stay as the clerk wrote them; `git diff` shows only
the changed status and the new history entry. Every change is validated before the file is
replaced atomically; a batch (CSV) is applied completely or not at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from .errors import DatenFehler, Problem, display_path
from .kinds.massnahmenkatalog import check_katalog
from .load import KATALOG_DATEI, Quelle, parse_yaml, validate_model
from .model import Katalog, Kategorie, _german_date
from .output import write_atomic


@dataclass(frozen=True)
class Aenderung:
    """One requested status change."""

    nr: int
    status: str
    datum: dt.date
    notiz: str = ""
    kategorie: Kategorie | None = None
    fortschritt: str = ""


def _round_trip_yaml():
    from ruamel.yaml import YAML  # lazily: only editing needs it

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 100_000  # never re-fold long lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def parse_datum(text: str, where: str) -> dt.date:
    """A date TT.MM.JJJJ (or JJJJ-MM-TT) that is not in the future."""
    try:
        value = _german_date(text.strip())
        if isinstance(value, str):
            value = dt.date.fromisoformat(value)
        if not isinstance(value, dt.date):
            raise ValueError(text)
    except Exception:
        raise DatenFehler([Problem(where, 0, "datum", f"„{text}“ ist kein gültiges Datum "
                                   "(TT.MM.JJJJ)")]) from None
    if value > dt.date.today():
        raise DatenFehler([Problem(where, 0, "datum",
                                   f"{value:%d.%m.%Y} liegt in der Zukunft")])
    return value


def apply_changes(ordner: Path, changes: list[Aenderung], source: str) -> list[tuple[Aenderung, str]]:
    """Apply status changes to massnahmenkatalog.yaml; return (change, old status) pairs."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import LiteralScalarString

    path = ordner / KATALOG_DATEI
    if not path.exists():
        raise DatenFehler([Problem(display_path(path), 0, "", "Datei fehlt")])
    yaml = _round_trip_yaml()
    original = path.read_text(encoding="utf-8")
    document = yaml.load(original)
    measures = {
        m["nr"]: m
        for hf in document["handlungsfelder"] for z in hf["ziele"] for m in z["massnahmen"]
    }
    problems, done = [], []
    for index, change in enumerate(changes):
        where = source if len(changes) == 1 else f"{source}, Änderung {index + 1}"
        if change.nr not in measures:
            problems.append(Problem(where, 0, "nr", f"Maßnahme Nr. {change.nr} gibt es nicht "
                                    f"(vorhanden: {min(measures)} bis {max(measures)})"))
            continue
        if not change.status.strip():
            problems.append(Problem(where, 0, "status", "der neue Status darf nicht leer sein"))
            continue
        measure = measures[change.nr]
        old = str(measure["status"])
        measure["status"] = _like(old, change.status)
        if change.kategorie is not None:
            measure["kategorie"] = change.kategorie.value
        if change.fortschritt:
            measure["text"] = LiteralScalarString(f"{measure['text']}\n→{change.fortschritt}")
        entry = CommentedMap()
        entry["datum"] = change.datum.strftime("%d.%m.%Y")
        entry["alter_status"] = old
        entry["neuer_status"] = change.status
        if change.notiz:
            entry["notiz"] = change.notiz
        if "verlauf" not in measure:
            measure["verlauf"] = CommentedSeq()
        measure["verlauf"].append(entry)
        done.append((change, old))
    if problems:
        raise DatenFehler(problems)

    buffer = io.StringIO()
    yaml.dump(document, buffer)
    text = buffer.getvalue()
    _validate_catalogue_text(path, text)
    write_atomic(path, text.encode("utf-8"))
    return done


def _like(old: str, new: str):
    """Keep multi-line statuses as literal blocks."""
    from ruamel.yaml.scalarstring import LiteralScalarString

    return LiteralScalarString(new) if "\n" in new else new


def _validate_catalogue_text(path: Path, text: str) -> None:
    data, zeilen, problems = parse_yaml(text, display_path(path))
    if not problems:
        quelle = Quelle(path, data, zeilen)
        katalog, problems = validate_model(quelle, Katalog)
        if katalog is not None:
            problems = check_katalog(katalog, quelle)
    if problems:
        raise DatenFehler(problems)


def read_csv(path: Path) -> list[Aenderung]:
    """Changes from a semicolon CSV as Excel writes it: Nr;Status;Datum;Notiz."""
    name = display_path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")  # Excel's "CSV (Trennzeichen-getrennt)" on German Windows
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    if not rows or [c.strip().lower() for c in rows[0][:4]] != ["nr", "status", "datum", "notiz"]:
        raise DatenFehler([Problem(name, 1, "", "erste Zeile muss „Nr;Status;Datum;Notiz“ sein")])
    changes, problems = [], []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        row = (row + [""] * 4)[:4]
        nr, status, datum, notiz = (cell.strip() for cell in row)
        try:
            number = int(nr)
        except ValueError:
            problems.append(Problem(name, line, "Nr", f"„{nr}“ ist keine Maßnahmennummer"))
            continue
        try:
            when = parse_datum(datum, f"{name}:{line}")
        except DatenFehler as exc:
            problems.append(Problem(name, line, "Datum", exc.probleme[0].meldung))
            continue
        if not status:
            problems.append(Problem(name, line, "Status", "der neue Status darf nicht leer sein"))
            continue
        changes.append(Aenderung(number, status, when, notiz))
    if problems:
        raise DatenFehler(problems)
    if not changes:
        raise DatenFehler([Problem(name, 0, "", "enthält keine Änderungen")])
    return changes
