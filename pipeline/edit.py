"""Round-trip edits of the catalogue data file with ruamel.yaml.

Comments, key order, quoting and line layout stay as the clerk wrote them; `git diff` shows only
the changed status and the new history entry. Every change is validated before the file is
replaced atomically; a batch (CSV) is applied completely or not at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import DatenFehler, Problem, display_path, os_fehlertext
from .load import KATALOG_DATEI, Quelle, liest_als_text, parse_yaml, read_text, validate_model
from .model import Katalog, Kategorie, _german_date
from .output import write_atomic
from .validate import check_katalog


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
    except Exception:
        raise DatenFehler([Problem(where, 0, "datum", f"„{text}“ ist kein gültiges Datum "
                                   "(TT.MM.JJJJ)")]) from None
    if value > dt.date.today():
        raise DatenFehler([Problem(where, 0, "datum",
                                   f"{value:%d.%m.%Y} liegt in der Zukunft")])
    return value


def apply_changes(ordner: Path, changes: list[Aenderung], source: str) -> list[tuple[Aenderung, str]]:
    """Apply status changes to massnahmenkatalog.yaml; return (change, old status) pairs."""
    from ruamel.yaml import YAMLError
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    path = ordner / KATALOG_DATEI
    name = display_path(path)
    if not path.exists():
        raise DatenFehler([Problem(name, 0, "", "Datei fehlt")])
    original, problems = read_text(path)
    if original is None:
        raise DatenFehler(problems)
    # Our reader first: it refuses what ruamel.yaml would read otherwise or choke on (aliases,
    # %YAML 1.1, nesting), and its reading of the old statuses is the one validation uses.
    data, zeilen, problems = parse_yaml(original, name)
    if problems:
        raise DatenFehler(problems)
    katalog, _ = validate_model(Quelle(path, data, zeilen), Katalog)
    old_status = {m.nr: m.status for m in katalog.massnahmen()} if katalog else {}
    yaml = _round_trip_yaml()
    try:
        document = yaml.load(original)
        measures = {
            m["nr"]: m
            for hf in document["handlungsfelder"] for z in hf["ziele"] for m in z["massnahmen"]
            if isinstance(m["nr"], int) and not isinstance(m["nr"], bool)
        }
    except (YAMLError, KeyError, TypeError, IndexError):
        measures = {}
    if not measures:
        _validate_catalogue_text(path, original)  # names what is wrong with the file
        raise DatenFehler([Problem(name, 0, "", "enthält keine Maßnahmen")])
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
        old = old_status.get(change.nr, str(measure["status"]))
        old_status[change.nr] = change.status  # a second change of the same measure starts here
        measure["status"] = _als_text(change.status)
        if change.kategorie is not None:
            measure["kategorie"] = change.kategorie.value
        if change.fortschritt:
            measure["text"] = _als_text(f"{measure['text']}\n→{change.fortschritt}")
        entry = CommentedMap()
        entry["datum"] = change.datum.strftime("%d.%m.%Y")
        entry["alter_status"] = _als_text(old)
        entry["neuer_status"] = _als_text(change.status)
        if change.notiz:
            entry["notiz"] = _als_text(change.notiz)
        if "verlauf" not in measure:
            measure["verlauf"] = CommentedSeq()
        measure["verlauf"].append(entry)
        done.append((change, old))
    if problems:
        raise DatenFehler(problems)

    buffer = io.StringIO()
    yaml.dump(document, buffer)
    text = buffer.getvalue()
    katalog = _validate_catalogue_text(path, text)
    _check_written(katalog, done, name)
    write_atomic(path, text.encode("utf-8"))
    return done


def _als_text(value: str):
    """A text for ruamel.yaml to write so that our reader reads back exactly this text.

    ruamel.yaml and our reader both follow YAML 1.2 (load.py), so ruamel.yaml's own quoting
    suffices; quoting what our reader would not read as text without quotes (true, 04271000,
    2024-01-15) keeps them in step even if one of them changes. Multi-line texts stay literal
    blocks.
    """
    from ruamel.yaml.scalarstring import LiteralScalarString, SingleQuotedScalarString

    value = _normalised(value)
    if "\n" in value:
        return LiteralScalarString(value)
    return value if liest_als_text(value) else SingleQuotedScalarString(value)


def _check_written(katalog: Katalog, done: list[tuple[Aenderung, str]], name: str) -> None:
    """The written file reads back as the changes meant: status and history entries, verbatim."""
    by_nr = {m.nr: m for m in katalog.massnahmen()}
    for nr in {change.nr for change, _ in done}:
        mine = [(change, old) for change, old in done if change.nr == nr]
        measure = by_nr[nr]
        got = [measure.status] + [(e.alter_status, e.neuer_status, e.notiz)
                                  for e in measure.verlauf[-len(mine):]]
        wanted = [_normalised(mine[-1][0].status)] + [
            (_normalised(old), _normalised(change.status), _normalised(change.notiz))
            for change, old in mine]
        if got != wanted:
            raise DatenFehler([Problem(name, 0, "", f"Maßnahme {nr}: der Status "
                                       f"„{mine[-1][0].status}“ lässt sich nicht unverändert "
                                       "speichern")])


def _normalised(text: str) -> str:
    """Line breaks as a YAML reader sees them: CR, CR LF, NEL, LS and PS become LF (libyaml
    reads the last three as line breaks, ruamel.yaml writes them as they are)."""
    return _LINE_BREAKS.sub("\n", text)


_LINE_BREAKS = re.compile("\r\n|[\r\x85\u2028\u2029]")


def _validate_catalogue_text(path: Path, text: str) -> Katalog:
    data, zeilen, problems = parse_yaml(text, display_path(path))
    katalog = None
    if not problems:
        quelle = Quelle(path, data, zeilen)
        katalog, problems = validate_model(quelle, Katalog)
        if katalog is not None:
            problems = check_katalog(katalog, quelle)
    if problems:
        raise DatenFehler(problems)
    assert katalog is not None
    return katalog


# --- CSV ---------------------------------------------------------------------------------------

# The columns of a status CSV (lower case) and whether each is required. Another column is an
# error, never silently dropped.
SPALTEN = {"nr": True, "status": True, "datum": True, "notiz": False}
MAX_CSV_BYTES = 10_000_000
_ALS_CSV_SPEICHERN = ("bitte in Excel „Datei → Speichern unter“ mit dem Dateityp „CSV UTF-8 "
                      "(durch Trennzeichen getrennt)“ speichern")
_BINAER = {
    b"PK\x03\x04": "ist eine Excel-Arbeitsmappe (.xlsx) oder ein anderes ZIP-Archiv, keine "
                   "CSV-Datei",
    b"\xd0\xcf\x11\xe0": "ist eine Excel-Arbeitsmappe im alten Format (.xls), keine CSV-Datei",
    b"%PDF": "ist ein PDF, keine CSV-Datei",
    b"{\\rtf": "ist ein RTF-Dokument, keine CSV-Datei",
}


def decode_csv(raw: bytes, name: str) -> str:
    """The text of a CSV file as Excel and editors write it.

    UTF-8 with or without BOM, UTF-16 with BOM (Excel's „Unicode-Text“), else Windows-1252
    (Excel's „CSV (Trennzeichen-getrennt)“ on German Windows). Other files get a message saying
    what to do.
    """
    for magic, what in _BINAER.items():
        if raw.startswith(magic):
            raise DatenFehler([Problem(name, 0, "", f"{what}; {_ALS_CSV_SPEICHERN}")])
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise DatenFehler([Problem(name, 0, "", "ist als UTF-16 gespeichert, aber beschädigt; "
                                       + _ALS_CSV_SPEICHERN)]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            line = raw[:exc.start].count(b"\n") + raw[:exc.start].count(b"\r") - \
                raw[:exc.start].count(b"\r\n") + 1
            raise DatenFehler([Problem(
                name, line, "", f"enthält das Byte 0x{raw[exc.start]:02X}, das weder in UTF-8 "
                f"noch in Windows-1252 ein Zeichen ist (keine Textdatei?); {_ALS_CSV_SPEICHERN}")
            ]) from None
    if "\x00" in text:
        raise DatenFehler([Problem(name, 0, "", f"ist keine Textdatei; {_ALS_CSV_SPEICHERN}")])
    return text


def read_csv(path: Path) -> list[Aenderung]:
    """Changes from a CSV as Excel writes it: Nr;Status;Datum;Notiz (or with tabs or commas)."""
    name = display_path(path)
    try:
        if path.stat().st_size > MAX_CSV_BYTES:
            raise DatenFehler([Problem(name, 0, "", "ist größer als 10 MB; so viele Änderungen "
                                       "bitte in mehreren Dateien")])
        raw = path.read_bytes()
    except OSError as exc:
        raise DatenFehler([Problem(name, 0, "", f"kann nicht gelesen werden "
                                   f"({os_fehlertext(exc)})")]) from None
    text = decode_csv(raw, name)
    rows = _rows(text, name)
    if not rows:
        raise DatenFehler([Problem(name, 0, "", "ist leer; erwartet wird die Kopfzeile "
                                   "„Nr;Status;Datum;Notiz“ und eine Zeile je Änderung")])
    first_line, header = rows[0]
    columns = _columns(header, name, first_line)
    changes, problems = [], []
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        extra = [cell for cell in row[len(header):] if cell.strip()]
        if extra:
            problems.append(Problem(name, line, "", f"hat {len(row)} Zellen, die Kopfzeile nur "
                                    f"{len(header)} (überzählig: „{extra[0].strip()}“)"))
            continue
        cells = {key: (row[index].strip() if index < len(row) else "")
                 for key, index in columns.items()}
        nr, status, datum = cells["nr"], cells["status"], cells["datum"]
        if not re.fullmatch(r"[0-9]+", nr):
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
        changes.append(Aenderung(int(nr), status, when, cells.get("notiz", "")))
    if problems:
        raise DatenFehler(problems)
    if not changes:
        raise DatenFehler([Problem(name, 0, "", "enthält keine Änderungen")])
    return changes


def _rows(text: str, name: str) -> list[tuple[int, list[str]]]:
    """(line where the row starts, cells) for every row; LF, CRLF and CR (old Mac Excel) alike."""
    header_line = text.lstrip("\r\n").split("\n", 1)[0].split("\r", 1)[0]
    delimiter = max((";", "\t", ","), key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows, line = [], 1
    try:
        for row in reader:
            rows.append((line, row))
            line = reader.line_num + 1
    except csv.Error:
        raise DatenFehler([Problem(name, line, "", "Zeile lässt sich nicht lesen (Anführungszeichen "
                                   "nicht geschlossen?)")]) from None
    return [(number, row) for number, row in rows if row]


def _columns(header: list[str], name: str, line: int) -> dict[str, int]:
    """Column index of each known column; an unknown, doubled or missing one is an error."""
    columns: dict[str, int] = {}
    problems = []
    for index, cell in enumerate(header):
        key = cell.strip().lower()
        if not key:
            continue
        if key not in SPALTEN:
            problems.append(Problem(name, line, "", f"Spalte „{cell.strip()}“ ist unbekannt; "
                                    f"erlaubt sind: {', '.join(k.capitalize() for k in SPALTEN)}"))
        elif key in columns:
            problems.append(Problem(name, line, "", f"Spalte „{cell.strip()}“ steht doppelt"))
        else:
            columns[key] = index
    missing = [k.capitalize() for k, required in SPALTEN.items() if required and k not in columns]
    if missing and not problems and not columns:
        problems.append(Problem(name, line, "", "erste Zeile muss „Nr;Status;Datum;Notiz“ sein"))
    elif missing:
        problems.append(Problem(name, line, "", f"Spalte(n) {', '.join(missing)} fehlen; erwartet "
                                "wird „Nr;Status;Datum;Notiz“"))
    if problems:
        raise DatenFehler(problems)
    return columns
