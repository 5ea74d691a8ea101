"""Round-trip edits of the catalogue data file with ruamel.yaml.

Comments, key order, quoting and line layout stay as the clerk wrote them; `git diff` shows only
the changed status and the new history entry. Every change is validated before the file is
replaced atomically; a batch (CSV) is applied completely or not at all.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DatenFehler, Konflikt, Problem, display_path, os_fehlertext
from .kategorien import KATEGORIEN, kategorie_aus_status
from .kinds.massnahmenkatalog import check_katalog
from .load import KATALOG_DATEI, Quelle, liest_als_text, parse_yaml, read_text, validate_model
from .model import Katalog, Kategorie, Massnahme, _german_date
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
    von: str = ""  # who asks for it; recorded in the history entry when given


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
                  erzwingen: bool = False, erwartet: dict[int, str] | None = None
                  ) -> Aenderungsbericht:
    """Apply status changes to massnahmenkatalog.yaml under the data folder's lock: all or none.

    A change the history already holds (same Nr, Status and Datum) is skipped with a note. A date
    before the measure's last history entry or before the catalogue's Stand is refused unless
    `erzwingen`, which the history then records. `erwartet` maps measure numbers to the
    `massnahme_stand` a form was loaded with: when a measure changed since, Konflikt is raised
    and nothing is written.
    """
    with data_lock(ordner):
        return _apply_changes(ordner, changes, source, erzwingen, erwartet or {})


def massnahme_stand(massnahme: Massnahme) -> str:
    """A fingerprint of a measure's values: it changes whenever anything of the measure does."""
    return _fingerprint(massnahme.model_dump(mode="json"))


def massnahme_felder(massnahme: Massnahme) -> dict[str, str]:
    """A measure's values as a form shows them (for a conflict: what is stored now)."""
    kategorie = massnahme.status_kategorie
    return {"status": massnahme.status,
            "kategorie": KATEGORIEN[kategorie].bezeichnung if kategorie else "",
            "text": massnahme.text}


def _fingerprint(value: object) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True)
                          .encode("utf-8")).hexdigest()


def read_katalog(ordner: Path) -> Katalog:
    """The data folder's catalogue, read and checked like `ratsdoc check` checks it."""
    path = ordner / KATALOG_DATEI
    if not path.exists():
        raise DatenFehler([Problem(display_path(path), 0, "", "Datei fehlt")])
    text, problems = read_text(path)
    if text is None:
        raise DatenFehler(problems)
    return validate_catalogue_text(path, text)


def apply_changes_locked(ordner: Path, changes: list[Aenderung], source: str,
                         erzwingen: bool = False) -> Aenderungsbericht:
    """apply_changes for a caller that already holds `data_lock(ordner)`, so that what it decided
    from the data (e.g. the Excel import's conflicts) still holds when the changes are written."""
    return _apply_changes(ordner, changes, source, erzwingen, {})


def _apply_changes(ordner: Path, changes: list[Aenderung], source: str,
                   erzwingen: bool, erwartet: dict[int, str]) -> Aenderungsbericht:
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
    if erwartet:
        now = {m.nr: m for m in katalog.massnahmen()} if katalog else {}
        for nr, stand in erwartet.items():
            if nr in now and massnahme_stand(now[nr]) != stand:
                raise Konflikt(f"Maßnahme {nr}", massnahme_felder(now[nr]))
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
        validate_catalogue_text(path, original)  # names what is wrong with the file
        raise DatenFehler([Problem(name, 0, "", "enthält keine Maßnahmen")])
    problems = []
    bericht = Aenderungsbericht()
    written: list[tuple[Aenderung, str]] = []
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
        old = old_status.get(change.nr, str(measure["status"]))
        old_status[change.nr] = change.status  # a second change of the same measure starts here
        notiz = change.notiz
        if change.kategorie is not None:
            before = _kategorie_of(measure)
            if change.status == old and change.kategorie != before:
                # The status stays: the history entry (old = new status) records the category.
                label = KATEGORIEN[change.kategorie].bezeichnung
                was = f"„{KATEGORIEN[before].bezeichnung}“ → " if before else ""
                notiz = "; ".join(filter(None, [f"Kategorie {was}„{label}“", notiz]))
            measure["kategorie"] = change.kategorie.value
        measure["status"] = _als_text(change.status)
        if change.fortschritt:
            measure["text"] = _als_text(f"{measure['text']}\n→{change.fortschritt}")
        entry = CommentedMap()
        entry["datum"] = change.datum.strftime("%d.%m.%Y")
        entry["alter_status"] = _als_text(old)
        entry["neuer_status"] = _als_text(change.status)
        if notiz:
            entry["notiz"] = _als_text(notiz)
        if change.fortschritt:
            entry["fortschritt"] = _als_text(change.fortschritt)
        if erzwingen:
            entry["erzwungen"] = True
        if change.von:
            entry["von"] = _als_text(change.von)
        if "verlauf" not in measure:
            measure["verlauf"] = CommentedSeq()
        measure["verlauf"].append(entry)
        bericht.uebernommen.append((change, old))
        written.append((dataclasses.replace(change, notiz=notiz), old))  # as the file has it
    if problems:
        raise DatenFehler(problems)
    if not bericht.uebernommen:
        return bericht  # nothing new: the file stays byte for byte as it is

    buffer = io.StringIO()
    yaml.dump(document, buffer)
    text = buffer.getvalue()
    katalog = validate_catalogue_text(path, text)
    _check_written(katalog, written, name)
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


def validate_catalogue_text(path: Path, text: str) -> Katalog:
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
SPALTEN = {"nr": True, "status": True, "datum": True, "notiz": False, "kategorie": False,
           "fortschritt": False}
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
        try:
            chosen = kategorie_named(cells.get("kategorie", ""))
        except ValueError:
            problems.append(Problem(name, line, "Kategorie", f"„{cells['kategorie']}“ ist keine "
                                    f"Kategorie; erlaubt sind: {', '.join(KATEGORIEN)}"))
            continue
        changes.append(Aenderung(int(nr), status, when, cells.get("notiz", ""), chosen,
                                 cells.get("fortschritt", "")))
    if problems:
        raise DatenFehler(problems)
    if not changes:
        raise DatenFehler([Problem(name, 0, "", "enthält keine Änderungen")])
    return changes


def kategorie_named(text: str) -> Kategorie | None:
    """A category by its key or its German label; None when empty; ValueError when unknown."""
    wanted = " ".join(text.split()).lower()
    if not wanted:
        return None
    for kategorie, info in KATEGORIEN.items():
        if wanted in (kategorie.value, info.bezeichnung.lower()):
            return kategorie
    raise ValueError(text)


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


def add_measure(ordner: Path, handlungsfeld: str, ziel: str, text: str, akteure: str,
                status: str, datum: dt.date, kategorie: Kategorie | None = None,
                von: str = "") -> int:
    """Add a measure with the next free number under a goal (a new goal when the text is new).

    The measure records the date it was added (`seit`), so that reports as of an earlier
    Stichtag leave it out, and who added it (`angelegt_von`) when given. Returns its number.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    with data_lock(ordner):
        path = ordner / KATALOG_DATEI
        if not path.exists():
            raise DatenFehler([Problem(display_path(path), 0, "", "Datei fehlt")])
        yaml = _round_trip_yaml()
        document = yaml.load(path.read_text(encoding="utf-8"))
        fields = {str(hf["name"]): hf for hf in document["handlungsfelder"]}
        if handlungsfeld not in fields:
            raise DatenFehler([Problem(display_path(path), 0, "handlungsfeld",
                                       f"Handlungsfeld „{handlungsfeld}“ gibt es nicht; "
                                       f"vorhanden sind: {', '.join(fields)}")])
        numbers = [int(m["nr"]) for hf in document["handlungsfelder"] for z in hf["ziele"]
                   for m in z["massnahmen"]]
        number = max(numbers, default=0) + 1
        measure = CommentedMap()
        measure["nr"] = number
        measure["text"] = _als_text(text)
        measure["akteure"] = _als_text(akteure)
        measure["status"] = _als_text(status)
        if kategorie is not None:
            measure["kategorie"] = kategorie.value
        measure["seit"] = datum.strftime("%d.%m.%Y")
        if von:
            measure["angelegt_von"] = _als_text(von)
        goals = fields[handlungsfeld]["ziele"]
        goal = next((z for z in goals if " ".join(str(z["ziel"]).split()) == " ".join(ziel.split())),
                    None)
        if goal is None:
            goal = CommentedMap()
            goal["ziel"] = _als_text(ziel)
            goal["massnahmen"] = CommentedSeq()
            goals.append(goal)
        goal["massnahmen"].append(measure)
        buffer = io.StringIO()
        yaml.dump(document, buffer)
        validate_catalogue_text(path, buffer.getvalue())
        write_atomic(path, buffer.getvalue().encode("utf-8"))
    return number


# --- the fields of a paper ------------------------------------------------------------------
#
# A paper's text fields as a form shows them: a text field as it is; a list of paragraphs
# (Sachverhalt, Beschlussantrag, …) as paragraphs separated by blank lines, a bullet list as
# lines starting with „• “ (or „– “ for dashes), a heading as a line starting with „## “.

_PUNKT, _STRICH, _UEBERSCHRIFT = "• ", "– ", "## "
VORLAGEN_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}", re.IGNORECASE)


def paper_path(ordner: Path, name: str) -> Path:
    """The data file of a paper (vorlagen/NAME.yaml); a name that is not one is refused."""
    from .load import VORLAGEN_ORDNER

    path = ordner / VORLAGEN_ORDNER / f"{name}.yaml"
    if not VORLAGEN_NAME.fullmatch(name) or ".." in name or not path.is_file():
        raise DatenFehler([Problem(display_path(ordner / VORLAGEN_ORDNER), 0, "",
                                   f"keine Vorlage „{name}“")])
    return path


def block_text(item: object) -> str | None:
    """One entry of a paragraph list as text, or None when it has no text form."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        keys = set(item)
        if keys == {"absatz"} and isinstance(item["absatz"], str):
            return item["absatz"]
        if keys == {"ueberschrift"} and isinstance(item["ueberschrift"], str):
            return _UEBERSCHRIFT + item["ueberschrift"]
        if keys in ({"liste"}, {"liste", "zeichen"}) and isinstance(item["liste"], list) \
                and all(isinstance(e, str) and "\n" not in e for e in item["liste"]):
            mark = _STRICH if item.get("zeichen") == "strich" else _PUNKT
            return "\n".join(mark + e for e in item["liste"])
    return None


def field_text(value: object) -> str | None:
    """A paper's field as form text, or None when the form cannot show it (nested data)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        texts = [block_text(item) for item in value]
        if any(t is None for t in texts):
            return None
        return "\n\n".join(t for t in texts if t is not None)
    return None if value is not None else ""


def text_blocks(text: str) -> list[object]:
    """Form text back to a list: paragraphs, bullet lists, headings (the inverse of field_text)."""
    blocks: list[object] = []
    for chunk in re.split(r"\n[ \t]*\n", form_text(text)):
        chunk = chunk.strip("\n")
        if not chunk.strip():
            continue
        lines = chunk.split("\n")
        for mark, zeichen in ((_PUNKT, "punkt"), (_STRICH, "strich")):
            if all(line.startswith(mark) for line in lines):
                entries = [line[len(mark):].strip() for line in lines]
                blocks.append({"liste": entries} if zeichen == "punkt"
                              else {"zeichen": "strich", "liste": entries})
                break
        else:
            if len(lines) == 1 and chunk.startswith(_UEBERSCHRIFT):
                blocks.append({"ueberschrift": chunk[len(_UEBERSCHRIFT):].strip()})
            else:
                blocks.append(chunk)
    return blocks


def form_text(text: str) -> str:
    """Form text as browsers send it: CR LF line ends, trailing blanks."""
    lines = _normalised(text).split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def paper_texts(ordner: Path, name: str, keys: list[str]) -> dict[str, str | None]:
    """The named fields of a paper as form text (None: not editable in a form)."""
    path = paper_path(ordner, name)
    text, problems = read_text(path)
    if text is None:
        raise DatenFehler(problems)
    data, _, problems = parse_yaml(text, display_path(path))
    if problems:
        raise DatenFehler(problems)
    data = data if isinstance(data, dict) else {}
    return {key: field_text(data.get(key)) for key in keys}


def felder_stand(texts: dict[str, str | None]) -> str:
    """The fingerprint of a paper's form fields, carried by the form to detect a conflict."""
    return _fingerprint(texts)


def set_fields(ordner: Path, name: str, changes: dict[str, str], erwartet: str | None = None
               ) -> list[str]:
    """Set text fields of a paper (vorlagen/NAME.yaml), keeping comments and layout.

    Under the data folder's lock: the fields are compared with `erwartet` (a `felder_stand` of
    the same keys; Konflikt when they changed since), then changed in the round-trip document
    (list entries that stay the same keep their lines), the whole paper is validated, and only
    then the file is replaced. Returns the keys that changed.
    """
    with data_lock(ordner):
        return _set_fields(ordner, name, changes, erwartet)


def _set_fields(ordner: Path, name: str, changes: dict[str, str], erwartet: str | None
                ) -> list[str]:
    import difflib

    from .kinds import kinds

    path = paper_path(ordner, name)
    shown = display_path(path)
    current = paper_texts(ordner, name, list(changes))
    if erwartet is not None and felder_stand(current) != erwartet:
        raise Konflikt(f"Vorlage {name}", {k: v or "" for k, v in current.items()})
    fixed = [key for key, value in current.items() if value is None]
    if fixed:
        raise DatenFehler([Problem(shown, 0, key, "lässt sich nur in der Datei selbst "
                                   "bearbeiten") for key in fixed])
    wanted = {key: form_text(value) for key, value in changes.items()}
    changed = [key for key in changes if form_text(current[key] or "") != wanted[key]]
    if not changed:
        return []
    yaml = _round_trip_yaml()
    document = yaml.load(path.read_text(encoding="utf-8"))
    for key in changed:
        old = document.get(key)
        if isinstance(old, list):
            new = text_blocks(wanted[key])
            old_texts = [block_text(item) for item in old]
            new_texts = [block_text(item) for item in new]
            matcher = difflib.SequenceMatcher(a=old_texts, b=new_texts, autojunk=False)
            # What follows the list (a blank line, a comment) belongs to its last entry, whichever
            # that is afterwards: an entry appended comes before it, not after.
            comments: Any = old  # a CommentedSeq
            tail = comments.ca.items.pop(len(old) - 1, None) if old else None
            # From the end, so that the positions of earlier operations stay valid.
            for op, a1, a2, b1, b2 in reversed(matcher.get_opcodes()):
                if op == "equal":
                    continue
                for index in range(a2 - 1, a1 - 1, -1):
                    del old[index]
                for offset, item in enumerate(new[b1:b2]):
                    old.insert(a1 + offset, _als_yaml(item))
            if tail is not None and old:
                comments.ca.items[len(old) - 1] = tail
        else:
            document[key] = _als_text(wanted[key])
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    text = buffer.getvalue()
    data, zeilen, problems = parse_yaml(text, shown)
    if not problems:
        art = data.get("art") if isinstance(data, dict) else None
        model = kinds()[art].model if art in kinds() else None
        if model is not None:
            _, problems = validate_model(Quelle(path, data, zeilen), model)
    if problems:
        raise DatenFehler(problems)
    # What was written reads back as what the form meant (quoting, line breaks, lists).
    meant = {key: field_text(text_blocks(wanted[key])) if isinstance(document.get(key), list)
             else wanted[key] for key in changed}
    wrong = [key for key in changed if field_text(data.get(key)) != meant[key]]
    if wrong:
        raise DatenFehler([Problem(shown, 0, key, "lässt sich nicht unverändert speichern")
                           for key in wrong])
    write_atomic(path, text.encode("utf-8"))
    return changed


def _als_yaml(item: object):
    """A block of text_blocks as ruamel.yaml should write it."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(item, str):
        return _als_text(item)
    assert isinstance(item, dict)
    mapping = CommentedMap()
    for key, value in item.items():
        if isinstance(value, list):
            seq = CommentedSeq()
            seq.extend(_als_text(v) for v in value)
            mapping[key] = seq
        else:
            mapping[key] = _als_text(value)
    return mapping
