"""Round-trip edits of the catalogue data file with ruamel.yaml.

Comments, key order, quoting and line layout stay as the clerk wrote them; `git diff` shows only
the changed status and the new history entry. Every change is validated before the file is
replaced atomically; a batch (CSV) is applied completely or not at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DatenFehler, Problem, display_path
from .kategorien import KATEGORIEN, kategorie_aus_status
from .kinds.massnahmenkatalog import check_katalog
from .load import KATALOG_DATEI, Quelle, parse_yaml, validate_model
from .model import Katalog, Kategorie, _german_date
from .output import data_lock, write_atomic


@dataclass(frozen=True)
class Aenderung:
    """One requested status change."""

    nr: int
    status: str
    datum: dt.date
    notiz: str = ""
    kategorie: Kategorie | None = None
    fortschritt: str = ""
    stelle: str = ""  # where the change came from, for messages (e.g. a sheet row)


def schon_im_verlauf(eintraege: Iterable[tuple[str, dt.date | None]], change: Aenderung) -> bool:
    """Does a history (pairs of new status and date) already hold this change (same Status and
    Datum)? Such a change is skipped, so that a batch can be applied twice."""
    return any(status == change.status and datum == change.datum for status, datum in eintraege)


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


@dataclass
class Aenderungsbericht:
    """What a batch of status changes did."""

    uebernommen: list[tuple[Aenderung, str]] = field(default_factory=list)  # (change, old status)
    uebersprungen: list[str] = field(default_factory=list)  # notes on changes already recorded


def apply_changes(ordner: Path, changes: list[Aenderung], source: str,
                  erzwingen: bool = False) -> Aenderungsbericht:
    """Apply status changes to massnahmenkatalog.yaml under the data folder's lock: all or none.

    A change the history already holds (same Nr, Status and Datum) is skipped with a note. A date
    before the measure's last history entry or before the catalogue's Stand is refused unless
    `erzwingen`, which the history then records.
    """
    with data_lock(ordner):
        return _apply_changes(ordner, changes, source, erzwingen)


def apply_changes_locked(ordner: Path, changes: list[Aenderung], source: str,
                         erzwingen: bool = False) -> Aenderungsbericht:
    """apply_changes for a caller that already holds `data_lock(ordner)`, so that what it decided
    from the data (e.g. the Excel import's conflicts) still holds when the changes are written."""
    return _apply_changes(ordner, changes, source, erzwingen)


def _apply_changes(ordner: Path, changes: list[Aenderung], source: str,
                   erzwingen: bool) -> Aenderungsbericht:
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
    problems: list[Problem] = []
    bericht = Aenderungsbericht()
    start = _as_date(document.get("stand"))
    for index, change in enumerate(changes):
        where = change.stelle or (source if len(changes) == 1 else f"{source}, Änderung {index + 1}")
        if change.nr not in measures:
            problems.append(Problem(where, 0, "nr", f"Maßnahme Nr. {change.nr} gibt es nicht "
                                    f"(vorhanden: {min(measures)} bis {max(measures)})"))
            continue
        if not change.status.strip():
            problems.append(Problem(where, 0, "status", "der neue Status darf nicht leer sein"))
            continue
        measure = measures[change.nr]
        history = list(measure.get("verlauf") or [])
        if schon_im_verlauf(((str(e.get("neuer_status")), _as_date(e.get("datum")))
                             for e in history), change):
            bericht.uebersprungen.append(
                f"Maßnahme {change.nr}: „{change.status}“ am {change.datum:%d.%m.%Y} ist schon "
                "im Verlauf; übersprungen")
            continue
        latest = max((d for e in history if (d := _as_date(e.get("datum")))), default=None)
        if not erzwingen and latest is not None and change.datum < latest:
            problems.append(Problem(where, 0, "datum", f"{change.datum:%d.%m.%Y} liegt vor der "
                                    f"letzten Änderung dieser Maßnahme ({latest:%d.%m.%Y}); mit "
                                    "--erzwingen trotzdem übernehmen"))
            continue
        if not erzwingen and start is not None and change.datum < start:
            problems.append(Problem(where, 0, "datum", f"{change.datum:%d.%m.%Y} liegt vor dem "
                                    f"Stand des Katalogs ({start:%d.%m.%Y}); mit --erzwingen "
                                    "trotzdem übernehmen"))
            continue
        old = str(measure["status"])
        notiz = change.notiz
        if change.kategorie is not None:
            before = _kategorie_of(measure)
            if change.status == old and change.kategorie != before:
                # The status stays: the history entry (old = new status) records the category.
                label = KATEGORIEN[change.kategorie].bezeichnung
                was = f"„{KATEGORIEN[before].bezeichnung}“ → " if before else ""
                notiz = "; ".join(filter(None, [f"Kategorie {was}„{label}“", notiz]))
            measure["kategorie"] = change.kategorie.value
        measure["status"] = _like(old, change.status)
        if change.fortschritt:
            measure["text"] = LiteralScalarString(f"{measure['text']}\n→{change.fortschritt}")
        entry = CommentedMap()
        entry["datum"] = change.datum.strftime("%d.%m.%Y")
        entry["alter_status"] = old
        entry["neuer_status"] = change.status
        if notiz:
            entry["notiz"] = notiz
        if change.fortschritt:
            entry["fortschritt"] = change.fortschritt
        if erzwingen:
            entry["erzwungen"] = True
        if "verlauf" not in measure:
            measure["verlauf"] = CommentedSeq()
        measure["verlauf"].append(entry)
        bericht.uebernommen.append((change, old))
    if problems:
        raise DatenFehler(problems)
    if not bericht.uebernommen:
        return bericht  # nothing new: the file stays byte for byte as it is

    buffer = io.StringIO()
    yaml.dump(document, buffer)
    text = buffer.getvalue()
    _validate_catalogue_text(path, text)
    write_atomic(path, text.encode("utf-8"))
    return bericht


def _kategorie_of(measure) -> Kategorie | None:
    """The category of a measure as ruamel reads it: its `kategorie`, or the one inferred."""
    try:
        return Kategorie(str(measure["kategorie"])) if measure.get("kategorie") else \
            kategorie_aus_status(str(measure["status"]))
    except ValueError:
        return None


def _as_date(value: object) -> dt.date | None:
    """A date as ruamel reads it (a date, or the text TT.MM.JJJJ / JJJJ-MM-TT), or None."""
    if isinstance(value, dt.date):
        return value
    try:
        parsed = _german_date(str(value).strip())
        return parsed if isinstance(parsed, dt.date) else dt.date.fromisoformat(str(parsed))
    except ValueError:
        return None


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
