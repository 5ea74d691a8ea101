"""The status list as an Excel workbook: export for the clerks, import of what they changed.

The sheet „Statusliste“ has one row per measure. Nr, Handlungsfeld, Ziel, Maßnahme and Akteure
are locked (sheet protection without a password); Status, Kategorie, Datum, Notiz and Fortschritt
are open. A hidden sheet „ratsdoc“ records the sha256 of the catalogue file the list was made
from and, per measure, a fingerprint of the measure and of its row as exported. The import
takes over only rows that differ from their export, through `edit.apply_changes_locked` (history,
comments kept, all or none), and refuses rows whose measure changed since the export.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .edit import Aenderung, Aenderungsbericht, apply_changes_locked, parse_datum, schon_im_verlauf
from .errors import DatenFehler, EingabeFehler, Problem, display_path
from .kategorien import KATEGORIEN, Kategorie, kategorie_aus_status
from .load import KATALOG_DATEI
from .model import Katalog, Massnahme
from .output import data_lock, write_atomic

BLATT = "Statusliste"
INFO_BLATT = "ratsdoc"
KENNUNG = "ratsdoc-statusliste"
FORMAT = 1

# Column title, width, editable.
SPALTEN: tuple[tuple[str, int, bool], ...] = (
    ("Nr", 5, False),
    ("Handlungsfeld", 16, False),
    ("Ziel", 30, False),
    ("Maßnahme", 50, False),
    ("Akteure", 26, False),
    ("Status", 22, True),
    ("Kategorie", 23, True),
    ("Datum", 11, True),
    ("Notiz", 24, True),
    ("Fortschritt", 24, True),
)
TITEL = [s[0] for s in SPALTEN]
FESTE = [s[0] for s in SPALTEN if not s[2]]
EXCEL_MAX_ZEICHEN = 32_767  # Excel's limit for one cell


# --- reading the catalogue -----------------------------------------------------------------------


def read_katalog(ordner: Path) -> tuple[Katalog, bytes]:
    """The catalogue of a data folder, validated, with the bytes it was read from."""
    from .edit import validate_catalogue_text

    path = ordner / KATALOG_DATEI
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DatenFehler([Problem(display_path(path), 0, "",
                                   f"kann nicht gelesen werden ({exc.strerror})")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatenFehler([Problem(display_path(path), 0, "",
                                   f"ist nicht UTF-8-kodiert ({exc.reason})")]) from None
    return validate_catalogue_text(path, text), raw


def _sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def _fingerprint(hf: str, ziel: str, m: Massnahme) -> str:
    """Changes whenever anything about the measure changes: its place, text, status, history."""
    return _sha(json.dumps([hf, ziel, m.model_dump(mode="json")], ensure_ascii=False,
                           sort_keys=True))


def _text(value: str) -> str:
    """A text as its cell holds it (Excel cuts cells at 32,767 characters)."""
    if len(value) > EXCEL_MAX_ZEICHEN:
        return value[:EXCEL_MAX_ZEICHEN - 1] + "…"
    return value


def _label(k: Kategorie | None) -> str:
    return KATEGORIEN[k].bezeichnung if k else ""


@dataclass(frozen=True)
class _Zeile:
    """One measure as its row shows it."""

    nr: int
    werte: tuple[Any, ...]  # in the order of SPALTEN
    fingerprint: str

    @property
    def zeilen_hash(self) -> str:
        return _sha(json.dumps([_norm(v) for v in self.werte], ensure_ascii=False))


def _rows(katalog: Katalog) -> list[_Zeile]:
    rows = []
    for hf in katalog.handlungsfelder:
        for ziel in hf.ziele:
            for m in ziel.massnahmen:
                werte = (m.nr, _text(hf.name), _text(ziel.ziel), _text(m.text), _text(m.akteure),
                         _text(m.status), _label(m.status_kategorie), None, "", "")
                rows.append(_Zeile(m.nr, werte, _fingerprint(hf.name, ziel.ziel, m)))
    return rows


def _norm(value: Any) -> str:
    """A cell value as text, the same whether written by us or read back from Excel."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


# --- export --------------------------------------------------------------------------------------


def export_statusliste(ordner: Path, ziel: Path, ueberschreiben: bool = False) -> int:
    """Write the status list of a data folder's catalogue to `ziel`; the number of measures.

    An existing list with edits not yet imported (or a file that is no status list) is only
    replaced with `ueberschreiben`: a clerk's work is never lost to a new export.
    """
    with data_lock(ordner, lesen=True):
        katalog, raw = read_katalog(ordner)
    if ziel.exists() and not ueberschreiben:
        _refuse_to_replace(ziel, katalog)
    data = _workbook_bytes(katalog, _sha(raw))
    try:
        ziel.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(ziel, data)
    except OSError as exc:
        from .errors import AusgabeFehler

        raise AusgabeFehler(f"{display_path(ziel)} kann nicht geschrieben werden "
                            f"({exc.strerror})") from None
    return len(katalog.massnahmen())


def _refuse_to_replace(ziel: Path, katalog: Katalog) -> None:
    from .errors import AusgabeFehler

    name = display_path(ziel)
    try:
        rows, _, fingerprints = _read_workbook(ziel)
    except EingabeFehler:
        raise AusgabeFehler(f"{name} gibt es schon und ist keine Statusliste von ratsdoc; mit "
                            "--ueberschreiben ersetzen") from None
    pending: set[int] = set()
    _changes(rows, fingerprints, katalog, name, pending)
    if pending:
        shown = ", ".join(map(str, sorted(pending)))
        raise AusgabeFehler(f"{name} enthält Eintragungen, die noch nicht übernommen sind (Zeile "
                            f"{shown}); zuerst „ratsdoc excel import {name}“, oder mit "
                            "--ueberschreiben ersetzen")


def _workbook_bytes(katalog: Katalog, daten_sha: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    rows = _rows(katalog)
    last = len(rows) + 1
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = BLATT
    wb.properties.creator = "ratsdoc"
    wb.properties.title = f"Statusliste: {katalog.titel}"[:255]

    thin = Side(style="thin", color="A6A6A6")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="D9D9D9")
    open_fill = PatternFill("solid", fgColor="FFFFFF")
    wrap = Alignment(wrap_text=True, vertical="top")
    column = {title: get_column_letter(i) for i, title in enumerate(TITEL, start=1)}

    for i, (title, width, _) in enumerate(SPALTEN, start=1):
        cell = ws.cell(row=1, column=i, value=title)
        cell.font = Font(bold=True)
        cell.fill = head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.border = border
        ws.column_dimensions[get_column_letter(i)].width = width
    ws[f"{column['Datum']}1"].comment = Comment(
        "Datum der Änderung (TT.MM.JJJJ). Nur ausfüllen, wenn sich in dieser Zeile etwas "
        "ändert.", "ratsdoc", width=260, height=80)
    ws[f"{column['Fortschritt']}1"].comment = Comment(
        "Eine Zeile, die als „→ …“ an den Text der Maßnahme angefügt wird.", "ratsdoc",
        width=260, height=60)

    for r, row in enumerate(rows, start=2):
        for c, (value, (title, _, editable)) in enumerate(zip(row.werte, SPALTEN, strict=True),
                                                          start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text, never a formula
            cell.alignment = wrap
            cell.border = border
            if editable:
                cell.protection = Protection(locked=False)
                cell.fill = open_fill
            if title == "Datum":
                cell.number_format = "DD.MM.YYYY"
        ws.row_dimensions[r].height = _height(row.werte)
        kategorie = katalog_kategorie(row.werte[TITEL.index("Kategorie")])
        if kategorie is not None:
            ws.cell(row=r, column=TITEL.index("Status") + 1).fill = PatternFill(
                "solid", fgColor=KATEGORIEN[kategorie].farbe)

    # The status colour follows a category chosen in the dropdown.
    status_range = f"{column['Status']}2:{column['Status']}{last}"
    for info in KATEGORIEN.values():
        ws.conditional_formatting.add(status_range, FormulaRule(
            formula=[f'${column["Kategorie"]}2="{info.bezeichnung}"'],
            fill=PatternFill("solid", bgColor=info.farbe, fgColor=info.farbe)))

    choices = DataValidation(
        type="list", formula1='"' + ",".join(i.bezeichnung for i in KATEGORIEN.values()) + '"',
        allow_blank=True, showErrorMessage=True, errorTitle="Kategorie",
        error="Bitte eine Kategorie aus der Liste wählen.", promptTitle="Kategorie",
        prompt="Kategorie aus der Liste wählen", showInputMessage=True)
    choices.add(f"{column['Kategorie']}2:{column['Kategorie']}{last}")
    dates = DataValidation(
        type="date", operator="greaterThanOrEqual", formula1="36526", allow_blank=True,
        showErrorMessage=True, errorTitle="Datum", error="Bitte ein Datum TT.MM.JJJJ eingeben.",
        promptTitle="Datum der Änderung", prompt="TT.MM.JJJJ, nur bei einer Änderung",
        showInputMessage=True)
    dates.add(f"{column['Datum']}2:{column['Datum']}{last}")
    ws.add_data_validation(choices)
    ws.add_data_validation(dates)

    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(SPALTEN))}{last}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    # All columns on one page across; LibreOffice reads Excel's "fitToHeight=0" (as many pages
    # as needed) as one page, so allow plenty of pages instead.
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 99
    ws.print_options.gridLines = False
    # Protected without a password: the clerk may filter, sort and resize, not edit locked cells.
    ws.protection.sheet = True
    ws.protection.autoFilter = False
    ws.protection.sort = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False

    info = wb.create_sheet(INFO_BLATT)
    info.append([KENNUNG, FORMAT])
    info.append(["daten-sha256", daten_sha])
    info.append(["erstellt", dt.datetime.now().astimezone().isoformat(timespec="seconds")])
    info.append(["Nr", "massnahme-sha256", "zeile-sha256"])
    for row in rows:
        info.append([row.nr, row.fingerprint, row.zeilen_hash])
    info.sheet_state = "hidden"
    info.protection.sheet = True

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _height(werte: tuple[Any, ...]) -> float:
    """A row height (points) that shows every wrapped line: neither Excel nor LibreOffice fits
    rows written by openpyxl on opening."""
    lines = 1
    for value, (_, width, _) in zip(werte, SPALTEN, strict=True):
        if isinstance(value, str):
            per_line = max(1, width)  # characters of German text per line, on the safe side
            lines = max(lines, sum(max(1, -(-len(part) // per_line)) for part in value.split("\n")))
    return min(409.0, 15.0 * lines + 2)  # 409 pt is Excel's largest row height


def katalog_kategorie(text: object) -> Kategorie | None:
    """A category from its label („In Prüfung“) or key („in_pruefung“), or None."""
    wanted = " ".join(str(text or "").split()).casefold()
    for kategorie, info in KATEGORIEN.items():
        if wanted in (info.bezeichnung.casefold(), kategorie.value, kategorie.value.replace("_", " ")):
            return kategorie
    return None


# --- import --------------------------------------------------------------------------------------


@dataclass
class Importbericht:
    """What an import did: the changes taken over, and notes."""

    bericht: Aenderungsbericht
    zeilen: int  # rows read
    hinweise: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Gelesen:
    row: int
    werte: dict[str, Any]


def _place(row: int, column: str | None = None) -> str:
    return f"{BLATT}, Zeile {row}" + (f", Spalte {column}" if column else "")


def _read_workbook(path: Path) -> tuple[list[_Gelesen], dict[str, str], dict[int, tuple[str, str]]]:
    """The rows of the sheet, the info entries and the per-measure fingerprints."""
    from openpyxl import load_workbook

    from .paket import check_all_parts, open_package

    with open_package(path, "xlsx") as package:
        check_all_parts(package, path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise EingabeFehler(path, [f"kann nicht als Excel-Arbeitsmappe gelesen werden ({exc})"]) \
            from None
    try:
        if BLATT not in wb.sheetnames:
            raise EingabeFehler(path, [f"Tabellenblatt „{BLATT}“ fehlt (vorhanden: "
                                       f"{', '.join(wb.sheetnames)})"])
        if INFO_BLATT not in wb.sheetnames:
            raise EingabeFehler(path, [f"wurde nicht mit „ratsdoc excel export“ erstellt (das "
                                       f"verborgene Blatt „{INFO_BLATT}“ fehlt)"])
        info_rows = list(wb[INFO_BLATT].iter_rows(values_only=True))
        sheet_rows = list(wb[BLATT].iter_rows(values_only=True))
    finally:
        wb.close()

    if not info_rows or not info_rows[0] or info_rows[0][0] != KENNUNG:
        raise EingabeFehler(path, [f"wurde nicht mit „ratsdoc excel export“ erstellt (Blatt "
                                   f"„{INFO_BLATT}“ ohne Kennung)"])
    infos = {str(r[0]): str(r[1]) for r in info_rows[1:3] if r and len(r) > 1}
    fingerprints: dict[int, tuple[str, str]] = {}
    for r in info_rows[4:]:
        if r and len(r) >= 3 and isinstance(r[0], int | float) and r[1] and r[2]:
            fingerprints[int(r[0])] = (str(r[1]), str(r[2]))

    if not sheet_rows:
        raise EingabeFehler(path, [f"{BLATT}: das Blatt ist leer"])
    header = [_norm(v) for v in sheet_rows[0]]
    where = {}
    problems = []
    for title in TITEL:
        if title in header:
            where[title] = header.index(title)
        else:
            problems.append(f"{_place(1)}: Spalte „{title}“ fehlt")
    if problems:
        raise EingabeFehler(path, problems)
    rows = []
    for number, values in enumerate(sheet_rows[1:], start=2):
        values = tuple(values) + (None,) * (len(header) - len(values))
        rows.append(_Gelesen(number, {t: values[i] for t, i in where.items()}))
    return rows, infos, fingerprints


def import_statusliste(path: Path, ordner: Path, erzwingen: bool = False) -> Importbericht:
    """Take over the rows of a status list that differ from their export: all or none."""
    rows, infos, fingerprints = _read_workbook(path)
    name = display_path(path)
    with data_lock(ordner):
        katalog, raw = read_katalog(ordner)
        changes, hinweise, problems = _changes(rows, fingerprints, katalog, name)
        if problems:
            raise EingabeFehler(path, problems)
        if infos.get("daten-sha256") != _sha(raw) and changes:
            hinweise.insert(0, "Die Liste wurde aus einem älteren Stand der Daten erstellt; "
                            "ihre Zeilen wurden einzeln geprüft.")
        try:
            bericht = apply_changes_locked(ordner, changes, name, erzwingen)
        except DatenFehler as exc:
            raise _in_sheet_terms(exc, path, changes) from None
    return Importbericht(bericht, len(rows), hinweise)


def _in_sheet_terms(exc: DatenFehler, path: Path, changes: list[Aenderung]) -> Exception:
    """apply_changes names a change by its `stelle`; say it as a place in the sheet."""
    stellen = {c.stelle for c in changes}
    spalte = {"datum": "Datum", "status": "Status", "nr": "Nr", "kategorie": "Kategorie"}
    if not all(p.datei in stellen for p in exc.probleme):
        return exc  # a problem of the data file itself: its own message names file and line
    return EingabeFehler(path, [
        f"{p.datei}, Spalte {spalte.get(p.feld, p.feld)}: {p.meldung}" if p.feld
        else f"{p.datei}: {p.meldung}" for p in exc.probleme])


def _changes(rows: list[_Gelesen], fingerprints: dict[int, tuple[str, str]], katalog: Katalog,
             name: str, pending: set[int] | None = None
             ) -> tuple[list[Aenderung], list[str], list[str]]:
    """The changes the sheet asks for, notes, and the problems (places in the sheet).

    `pending` receives the rows that hold a change or a problem, i.e. entries not taken over.
    """
    pending = set() if pending is None else pending
    current = {row.nr: row for row in _rows(katalog)}
    measures = {m.nr: m for m in katalog.massnahmen()}
    changes: list[Aenderung] = []
    hinweise: list[str] = []
    problems: list[str] = []
    seen: dict[int, int] = {}
    for gelesen in rows:
        before = len(problems) + len(changes)
        try:
            werte, r = gelesen.werte, gelesen.row
            if all(_norm(v) == "" for v in werte.values()):
                continue
            nr = _number(werte["Nr"])
            if nr is None:
                problems.append(f"{_place(r, 'Nr')}: „{_norm(werte['Nr'])}“ ist keine Maßnahmennummer")
                continue
            if nr in seen:
                problems.append(f"{_place(r, 'Nr')}: Maßnahme {nr} steht doppelt in der Liste (auch "
                                f"Zeile {seen[nr]})")
                continue
            seen[nr] = r
            if nr not in fingerprints:
                problems.append(f"{_place(r, 'Nr')}: Maßnahme {nr} stand nicht in der exportierten "
                                "Liste; neue Maßnahmen werden im Katalog angelegt, nicht hier")
                continue
            measure_print, row_print = fingerprints[nr]
            sheet_print = _sha(json.dumps([_norm(werte[t]) for t in TITEL], ensure_ascii=False))
            if sheet_print == row_print:
                continue  # the clerk changed nothing in this row
            if nr not in measures:
                problems.append(f"{_place(r)}: Konflikt: Maßnahme {nr} gibt es in den Daten nicht mehr")
                continue
            measure = measures[nr]
            found, wunsch = _parse(gelesen, name)
            if wunsch is None:
                problems += found
                continue
            if current[nr].fingerprint != measure_print:
                # The measure changed since the export: only a change already taken over passes.
                recorded = (wunsch.datum is not None and measure.status == wunsch.status
                            and schon_im_verlauf(((e.neuer_status, e.datum) for e in measure.verlauf),
                                                 Aenderung(nr, wunsch.status, wunsch.datum)))
                if recorded:
                    hinweise.append(f"{_place(r)}: Maßnahme {nr} ist schon übernommen")
                else:
                    problems.append(
                        f"{_place(r)}: Konflikt: Maßnahme {nr} wurde seit dem Export der Liste "
                        f"geändert (Status jetzt „{measure.status}“); bitte eine neue Liste "
                        "exportieren und die Änderung dort eintragen")
                continue
            locked = [t for t in FESTE if _norm(werte[t]) != _norm(current[nr].werte[TITEL.index(t)])]
            if locked:
                problems += [f"{_place(r, t)}: darf in der Liste nicht geändert werden (nur Status, "
                             "Kategorie, Datum, Notiz und Fortschritt werden übernommen)" for t in locked]
                continue
            found, change = _change(r, wunsch, measure)
            problems += found
            if change is not None:
                changes.append(change)
        finally:
            if len(problems) + len(changes) > before:
                pending.add(gelesen.row)
    return changes, hinweise, problems


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _norm(value).removesuffix(".")
    return int(text) if text.isdigit() else None


@dataclass(frozen=True)
class _Wunsch:
    """What an edited row asks for."""

    status: str
    label: str  # the Kategorie cell as written
    kategorie: Kategorie | None
    datum: dt.date | None
    notiz: str
    fortschritt: str


def _parse(gelesen: _Gelesen, name: str) -> tuple[list[str], _Wunsch | None]:
    """The editable cells of a row, checked; or the problems with their places."""
    from pydantic import TypeAdapter, ValidationError

    from .model import Text

    werte, r = gelesen.werte, gelesen.row
    problems: list[str] = []
    texts: dict[str, str] = {}
    for title in ("Status", "Notiz", "Fortschritt"):
        try:  # the data's own text rule: no control characters, not too long
            texts[title] = TypeAdapter(Text).validate_python(_norm(werte[title]))
        except ValidationError as exc:
            problems.append(f"{_place(r, title)}: {exc.errors()[0]['msg']}")
            texts[title] = "?"
    if not texts["Status"]:
        problems.append(f"{_place(r, 'Status')}: darf nicht leer sein")
    if "\n" in texts["Fortschritt"]:
        problems.append(f"{_place(r, 'Fortschritt')}: eine Fortschrittsnotiz ist eine Zeile; "
                        "bitte ohne Zeilenumbruch")
    label = _norm(werte["Kategorie"])
    kategorie = katalog_kategorie(label) if label else None
    if label and kategorie is None:
        erlaubt = ", ".join(f"„{i.bezeichnung}“" for i in KATEGORIEN.values())
        problems.append(f"{_place(r, 'Kategorie')}: „{label}“ ist keine Kategorie; erlaubt sind: "
                        f"{erlaubt}")
    elif not label:
        problems.append(f"{_place(r, 'Kategorie')}: bitte eine Kategorie aus der Liste wählen")
    datum: dt.date | None = None
    if _norm(werte["Datum"]):
        try:
            datum = _date(werte["Datum"], name, r)
        except DatenFehler as exc:
            problems.append(f"{_place(r, 'Datum')}: {exc.probleme[0].meldung}")
    if problems:
        return problems, None
    return [], _Wunsch(texts["Status"], label, kategorie, datum, texts["Notiz"],
                       texts["Fortschritt"])


def _change(r: int, w: _Wunsch, m: Massnahme) -> tuple[list[str], Aenderung | None]:
    """The change an edited row asks for, measured against the measure as exported."""
    kategorie_changed = w.kategorie is not None and w.kategorie != m.status_kategorie
    changed = w.status != m.status or kategorie_changed or w.notiz or w.fortschritt
    if not changed:
        if w.datum is not None:
            return [f"{_place(r, 'Datum')}: ein Datum, aber keine Änderung an Status, Kategorie, "
                    "Notiz oder Fortschritt; bitte die Änderung eintragen oder das Datum "
                    "löschen"], None
        return [], None  # e.g. only spaces added, or the category written as its key
    if w.datum is None:
        return [f"{_place(r, 'Datum')}: bitte das Datum der Änderung eintragen (TT.MM.JJJJ)"], None
    explicit = w.kategorie if kategorie_changed else None
    if explicit is None and w.status != m.status and kategorie_aus_status(w.status) is None:
        explicit = w.kategorie  # the new status names no category: keep the one the row shows
    return [], Aenderung(m.nr, w.status, w.datum, w.notiz, explicit, w.fortschritt,
                         stelle=_place(r))


def _date(value: Any, name: str, row: int) -> dt.date:
    """A date from a cell: an Excel date, an Excel serial number, or text TT.MM.JJJJ; never in
    the future (edit.parse_datum's rule)."""
    where = f"{name}, {_place(row, 'Datum')}"
    if isinstance(value, dt.datetime):
        value = value.date()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel

        try:
            value = from_excel(value).date()
        except (ValueError, OverflowError, AttributeError):
            raise DatenFehler([Problem(where, 0, "datum", f"„{_norm(value)}“ ist kein gültiges "
                                       "Datum (TT.MM.JJJJ)")]) from None
    if isinstance(value, dt.date):
        value = value.strftime("%d.%m.%Y")
    return parse_datum(str(value), where)
