"""The status list as Excel: export, a clerk's edits with openpyxl, import through apply_changes."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from docx import Document
from openpyxl import load_workbook

from pipeline.kategorien import KATEGORIEN, kategorie_aus_status

from .conftest import TEMPLATES, W, run, soffice_convert

KATALOG = "massnahmenkatalog.yaml"
SPALTEN = ["Nr", "Handlungsfeld", "Ziel", "Maßnahme", "Akteure", "Status", "Kategorie", "Datum",
           "Notiz", "Fortschritt"]


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), "-c", "user.name=t", "-c",
                           "user.email=t@example.org", *args], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def data_repo(data_copy) -> Path:
    git(data_copy, "init", "-q")
    git(data_copy, "add", ".")
    git(data_copy, "commit", "-qm", "Daten")
    return data_copy


def measures(data: Path) -> dict[int, dict]:
    katalog = yaml.safe_load((data / KATALOG).read_text(encoding="utf-8"))
    return {m["nr"]: m for hf in katalog["handlungsfelder"] for z in hf["ziele"]
            for m in z["massnahmen"]}


def export(data: Path, target: Path) -> Path:
    result = run("excel", "export", "--ausgabe", str(target), "--daten", str(data))
    assert result.exit_code == 0, result.output
    assert result.output.endswith("statusliste.xlsx (41 Maßnahmen)\n") or \
        result.output.endswith(f"{target.name} (41 Maßnahmen)\n")
    return target


def excel_import(data: Path, sheet: Path, *extra: str):
    return run("excel", "import", str(sheet), "--daten", str(data), *extra)


class Sheet:
    """A clerk's edits of an exported list, with openpyxl."""

    def __init__(self, path: Path):
        self.path = path
        self.wb = load_workbook(path)
        self.ws = self.wb["Statusliste"]

    def row_of(self, nr: int) -> int:
        return next(r for r in range(2, self.ws.max_row + 1) if self.ws.cell(r, 1).value == nr)

    def set(self, nr: int, **cells) -> None:
        row = self.row_of(nr)
        for title, value in cells.items():
            self.ws.cell(row, SPALTEN.index(title.capitalize()) + 1).value = value

    def save(self, path: Path | None = None) -> Path:
        self.wb.save(path or self.path)
        return path or self.path


def changed_lines(repo: Path) -> list[str]:
    diff = git(repo, "diff", "--unified=0", "--", KATALOG)
    return [line for line in diff.splitlines()
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_export_edit_import_shows_in_history_catalogue_and_diff(data_repo, tmp_path):
    before = measures(data_repo)
    sheet = Sheet(export(data_repo, tmp_path / "statusliste.xlsx"))
    sheet.set(1, status="Abgeschlossen", datum=dt.date(2024, 1, 15), notiz="Coaching beendet")
    sheet.set(8, status="Umsetzung ab 2025", datum=dt.date(2024, 2, 1))
    sheet.set(24, status="Wird fortgesetzt", datum=dt.date(2024, 2, 2))
    sheet.set(6, kategorie="Noch nicht umgesetzt", datum=dt.date(2024, 2, 3))
    sheet.save()

    result = excel_import(data_repo, sheet.path)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"Maßnahme 1: „{before[1]['status']}“ → „Abgeschlossen“ (15.01.2024)",
        f"Maßnahme 6: Status „{before[6]['status']}“ bleibt; Kategorie „Noch nicht umgesetzt“ "
        "(03.02.2024)",
        f"Maßnahme 8: „{before[8]['status']}“ → „Umsetzung ab 2025“ (01.02.2024)",
        f"Maßnahme 24: „{before[24]['status']}“ → „Wird fortgesetzt“ (02.02.2024)",
        "4 Änderungen übernommen.",
    ]

    history = run("verlauf", "--daten", str(data_repo), "--vorlagen", str(TEMPLATES))
    assert history.exit_code == 0, history.output
    assert history.output.splitlines() == [
        f"15.01.2024  Nr. 1: „{before[1]['status']}“ → „Abgeschlossen“  (Coaching beendet)",
        f"01.02.2024  Nr. 8: „{before[8]['status']}“ → „Umsetzung ab 2025“",
        f"02.02.2024  Nr. 24: „{before[24]['status']}“ → „Wird fortgesetzt“",
        f"03.02.2024  Nr. 6: „{before[6]['status']}“ (Status unverändert)  (Kategorie „In Prüfung“ "
        "→ „Noch nicht umgesetzt“)",
    ]

    # Only the four measures' lines changed, comments and everything else untouched.
    status_1, status_8, status_24, status_6 = (before[n]["status"] for n in (1, 8, 24, 6))
    assert sorted(changed_lines(data_repo)) == sorted([
        f"-            status: {status_1}", "+            status: Abgeschlossen",
        "+            verlauf:", "+              - datum: 15.01.2024",
        f"+                alter_status: {status_1}", "+                neuer_status: Abgeschlossen",
        "+                notiz: Coaching beendet",
        f"-            status: {status_8}", "+            status: Umsetzung ab 2025",
        "+            verlauf:", "+              - datum: 01.02.2024",
        f"+                alter_status: {status_8}",
        "+                neuer_status: Umsetzung ab 2025",
        f"-            status: {status_24}", "+            status: Wird fortgesetzt",
        "+            verlauf:", "+              - datum: 02.02.2024",
        f"+                alter_status: {status_24}",
        "+                neuer_status: Wird fortgesetzt",
        "+            kategorie: offen",
        "+            verlauf:", "+              - datum: 03.02.2024",
        f"+                alter_status: {status_6}", f"+                neuer_status: {status_6}",
        "+                notiz: Kategorie „In Prüfung“ → „Noch nicht umgesetzt“",
    ])

    out = tmp_path / "out"
    built = run("build", "massnahmenkatalog", "--daten", str(data_repo), "--vorlagen",
                str(TEMPLATES), "--ausgabe", str(out))
    assert built.exit_code == 0, built.output
    status_cells = _status_cells(out / "massnahmenkatalog.docx")
    assert status_cells[1] == ("Abgeschlossen", KATEGORIEN[kategorie_aus_status("Abgeschlossen")].farbe)
    assert status_cells[8][0] == "Umsetzung ab 2025"
    assert status_cells[24][0] == "Wird fortgesetzt"
    assert status_cells[6] == (status_6, "F7CAAC")  # the colour of „Noch nicht umgesetzt“


def _status_cells(path: Path) -> dict[int, tuple[str, str]]:
    """Nr → (status text, cell colour) of every measure row of a built catalogue."""
    cells = {}
    for table in Document(str(path)).tables:
        for row in table.rows[1:]:
            texts = [c.text for c in row.cells]
            if len(texts) == 5 and texts[1].isdigit():
                shd = row.cells[4]._tc.find(f"{W}tcPr/{W}shd")
                cells[int(texts[1])] = (texts[4], shd.get(f"{W}fill") if shd is not None else "")
    return cells


def test_importing_the_same_sheet_twice_changes_nothing(data_copy, tmp_path):
    sheet = Sheet(export(data_copy, tmp_path / "liste.xlsx"))
    sheet.set(3, status="Wird fortgesetzt", datum=dt.date(2024, 3, 1), fortschritt="Start im März")
    sheet.set(12, kategorie="In Prüfung", datum=dt.date(2024, 3, 2), notiz="neu bewerten")
    sheet.save()
    first = excel_import(data_copy, sheet.path)
    assert first.exit_code == 0, first.output
    assert "2 Änderungen übernommen." in first.output
    after_first = (data_copy / KATALOG).read_bytes()
    assert measures(data_copy)[3]["text"].endswith("\n→Start im März")

    second = excel_import(data_copy, sheet.path)
    assert second.exit_code == 0, second.output
    assert (data_copy / KATALOG).read_bytes() == after_first
    assert "0 Änderungen übernommen." in second.output
    assert "Zeile 4: Maßnahme 3 ist schon übernommen" in second.output


def test_impossible_date_in_row_7_names_sheet_row_and_column(data_copy, tmp_path):
    original = (data_copy / KATALOG).read_bytes()
    sheet = Sheet(export(data_copy, tmp_path / "liste.xlsx"))
    assert sheet.row_of(6) == 7
    sheet.set(6, status="Abgeschlossen", datum="31.02.2024")
    sheet.set(2, status="Abgeschlossen", datum=dt.date(2024, 1, 10))  # a good row: not written
    sheet.save()
    result = excel_import(data_copy, sheet.path)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "Statusliste, Zeile 7, Spalte Datum: „31.02.2024“ ist kein gültiges Datum" in result.output
    assert result.output.startswith(f"Fehler: {sheet.path}: 1 Problem:")
    assert (data_copy / KATALOG).read_bytes() == original


@pytest.mark.parametrize(("edit", "message"), [
    ({"status": "Abgeschlossen"}, "Spalte Datum: bitte das Datum der Änderung eintragen"),
    ({"datum": dt.date(2024, 1, 2)}, "Spalte Datum: ein Datum, aber keine Änderung"),
    ({"status": "Abgeschlossen", "datum": dt.date(2099, 1, 1)}, "Spalte Datum: 01.01.2099 liegt "
     "in der Zukunft"),
    ({"status": "Abgeschlossen", "datum": dt.date(2020, 1, 1)}, "Spalte Datum: 01.01.2020 liegt vor "
     "dem Stand des Katalogs (30.11.2023)"),
    ({"status": "", "datum": dt.date(2024, 1, 2)}, "Spalte Status: darf nicht leer sein"),
    ({"kategorie": "Pausiert", "datum": dt.date(2024, 1, 2)}, "Spalte Kategorie: „Pausiert“ ist "
     "keine Kategorie"),
    ({"maßnahme": "Anderer Text"}, "Spalte Maßnahme: darf in der Liste nicht geändert werden"),
    ({"akteure": "Jemand anderes"}, "Spalte Akteure: darf in der Liste nicht geändert werden"),
    ({"status": "Abgeschlossen", "datum": dt.date(2024, 1, 2), "fortschritt": "eins\nzwei"},
     "Spalte Fortschritt: eine Fortschrittsnotiz ist eine Zeile"),
])
def test_bad_rows_are_refused_with_their_place(data_copy, tmp_path, edit, message):
    original = (data_copy / KATALOG).read_bytes()
    sheet = Sheet(export(data_copy, tmp_path / "liste.xlsx"))
    if "maßnahme" in edit:
        sheet.ws.cell(sheet.row_of(9), SPALTEN.index("Maßnahme") + 1).value = edit.pop("maßnahme")
    sheet.set(9, **edit)
    sheet.save()
    result = excel_import(data_copy, sheet.path)
    assert result.exit_code == 1, result.output
    assert f"Statusliste, Zeile 10, {message}" in result.output
    assert (data_copy / KATALOG).read_bytes() == original


def test_a_new_status_without_category_keeps_the_one_the_row_shows(data_copy, tmp_path):
    sheet = Sheet(export(data_copy, tmp_path / "liste.xlsx"))
    sheet.set(4, status="Pausiert bis Herbst", datum=dt.date(2024, 4, 1))
    sheet.save()
    result = excel_import(data_copy, sheet.path)
    assert result.exit_code == 0, result.output
    m = measures(data_copy)[4]
    assert (m["status"], m["kategorie"]) == ("Pausiert bis Herbst", "laufend")
    assert run("check", "--daten", str(data_copy), "--vorlagen", str(TEMPLATES)).exit_code == 0


def test_rows_whose_measure_changed_since_the_export_are_conflicts(data_copy, tmp_path):
    sheet = Sheet(export(data_copy, tmp_path / "liste.xlsx"))
    changed = run("status", "5", "Abgeschlossen", "--datum", "10.01.2024", "--daten", str(data_copy))
    assert changed.exit_code == 0, changed.output
    after_status = (data_copy / KATALOG).read_bytes()

    sheet.set(5, notiz="Broschüre verteilt", datum=dt.date(2024, 1, 12))
    sheet.set(7, status="Wird fortgesetzt", datum=dt.date(2024, 1, 12))
    sheet.save()
    result = excel_import(data_copy, sheet.path)
    assert result.exit_code == 1
    assert ("Statusliste, Zeile 6: Konflikt: Maßnahme 5 wurde seit dem Export der Liste geändert "
            "(Status jetzt „Abgeschlossen“)") in result.output
    assert "Zeile 8" not in result.output
    assert (data_copy / KATALOG).read_bytes() == after_status

    # Rows of other measures are still taken from the older list: the data version is per row.
    sheet = Sheet(sheet.path)
    sheet.set(5, notiz=None, datum=None)
    sheet.save()
    result = excel_import(data_copy, sheet.path)
    assert result.exit_code == 0, result.output
    assert "älteren Stand der Daten" in result.output
    assert measures(data_copy)[7]["status"] == "Wird fortgesetzt"
    assert measures(data_copy)[5]["status"] == "Abgeschlossen"


def test_the_exported_sheet_is_laid_out_for_clerks(data_copy, tmp_path):
    path = export(data_copy, tmp_path / "liste.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Statusliste", "ratsdoc"]
    assert wb["ratsdoc"].sheet_state == "hidden"
    ws = wb["Statusliste"]
    assert [c.value for c in ws[1]] == SPALTEN
    assert ws.freeze_panes == "B2"
    assert ws.auto_filter.ref == "A1:J42"
    assert ws.protection.sheet and not ws.protection.password
    assert ws.column_dimensions["D"].width > ws.column_dimensions["A"].width
    data = measures(data_copy)
    for r in range(2, 43):
        nr = ws.cell(r, 1).value
        m = data[nr]
        assert ws.cell(r, 4).value == m["text"] and ws.cell(r, 6).value == m["status"]
        kategorie = m.get("kategorie") or kategorie_aus_status(m["status"])
        assert ws.cell(r, 7).value == KATEGORIEN[kategorie].bezeichnung
        assert ws.cell(r, 6).fill.fgColor.rgb.endswith(KATEGORIEN[kategorie].farbe)
        locked = [ws.cell(r, c).protection.locked for c in range(1, 11)]
        assert locked == [True] * 5 + [False] * 5
        assert ws.cell(r, 4).alignment.wrap_text
        assert ws.cell(r, 8).number_format == "DD.MM.YYYY"
    lists = [v for v in ws.data_validations.dataValidation if v.type == "list"]
    assert len(lists) == 1 and str(lists[0].sqref) == "G2:G42"
    assert lists[0].formula1 == '"' + ",".join(i.bezeichnung for i in KATEGORIEN.values()) + '"'
    dates = [v for v in ws.data_validations.dataValidation if v.type == "date"]
    assert len(dates) == 1 and str(dates[0].sqref) == "H2:H42"
    info = wb["ratsdoc"]
    assert info["B2"].value == hashlib.sha256((data_copy / KATALOG).read_bytes()).hexdigest()
    assert [info.cell(r, 1).value for r in range(5, 46)] == sorted(data)


def test_a_typed_date_text_and_a_category_key_are_understood(data_copy, tmp_path):
    sheet = Sheet(export(data_copy, tmp_path / "liste.xlsx"))
    sheet.set(10, kategorie="in_pruefung", datum="05.03.2024")
    sheet.save()
    result = excel_import(data_copy, sheet.path)
    assert result.exit_code == 0, result.output
    m = measures(data_copy)[10]
    assert m["kategorie"] == "in_pruefung"
    assert m["verlauf"][0]["datum"] == "05.03.2024"


@pytest.mark.parametrize(("content", "message"), [
    (b"Nr;Status;Datum;Notiz\n3;Abgeschlossen;15.01.2024;\n",
     "es ist eine Textdatei (CSV?), kein ZIP-Archiv"),
    ("docx", "es ist ein Word-Dokument (.docx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
     "es ist eine Datei im alten Office-Format (.doc/.xls); bitte als .docx/.xlsx speichern"),
], ids=["csv", "docx", "xls"])
def test_a_file_that_is_no_xlsx_gets_a_german_message(data_copy, tmp_path, built, content,
                                                      message):
    target = tmp_path / "liste.xlsx"
    if content == "docx":
        shutil.copy(built / "massnahmenkatalog.docx", target)
    else:
        target.write_bytes(content)
    original = (data_copy / KATALOG).read_bytes()
    result = excel_import(data_copy, target)
    assert result.exit_code == 1
    assert result.output == (f"Fehler: {target}: 1 Problem:\nist keine Excel-Arbeitsmappe "
                             f"(.xlsx): {message}\n")
    assert (data_copy / KATALOG).read_bytes() == original


def test_a_workbook_not_made_by_ratsdoc_is_refused(data_copy, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Statusliste"
    wb.active.append(SPALTEN)
    wb.save(tmp_path / "fremd.xlsx")
    result = excel_import(data_copy, tmp_path / "fremd.xlsx")
    assert result.exit_code == 1
    assert "wurde nicht mit „ratsdoc excel export“ erstellt" in result.output


@pytest.mark.libreoffice
def test_libreoffice_reads_the_sheet_with_the_same_values(data_copy, tmp_path):
    path = export(data_copy, tmp_path / "statusliste.xlsx")
    sheet = Sheet(path)
    sheet.set(2, status="Abgeschlossen", datum=dt.date(2024, 1, 15), notiz="„Notiz“ & mehr")
    sheet.save()
    soffice_convert([path], "csv:Text - txt - csv (StarCalc):44,34,76,1", tmp_path / "csv",
                    infilter="Calc MS Excel 2007 XML")
    with (tmp_path / "csv" / "statusliste.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == SPALTEN
    assert len(rows) == 42
    data = measures(data_copy)
    for row in rows[1:]:
        m = data[int(row[0])]
        kategorie = m.get("kategorie") or kategorie_aus_status(m["status"])
        assert row[3] == m["text"] and row[4] == m["akteure"]
        assert row[6] == KATEGORIEN[kategorie].bezeichnung
        if row[0] != "2":
            assert row[5] == m["status"] and row[7:] == ["", "", ""]
    assert rows[2][5:] == ["Abgeschlossen", KATEGORIEN[kategorie_aus_status(data[2]["status"])]
                           .bezeichnung, "15.01.2024", "„Notiz“ & mehr", ""]

    # A sheet saved again by LibreOffice Calc is still a status list ratsdoc imports.
    soffice_convert([path], "xlsx:Calc MS Excel 2007 XML", tmp_path / "calc",
                    infilter="Calc MS Excel 2007 XML")
    result = excel_import(data_copy, tmp_path / "calc" / "statusliste.xlsx")
    assert result.exit_code == 0, result.output
    assert result.output.endswith("1 Änderung übernommen.\n")
    assert measures(data_copy)[2]["verlauf"][0]["notiz"] == "„Notiz“ & mehr"


def test_a_new_export_never_replaces_entries_not_yet_imported(data_copy, tmp_path):
    path = export(data_copy, tmp_path / "statusliste.xlsx")
    sheet = Sheet(path)
    sheet.set(3, status="Wird fortgesetzt", datum=dt.date(2024, 3, 1))
    sheet.save()
    edited = path.read_bytes()
    again = run("excel", "export", "--ausgabe", str(path), "--daten", str(data_copy))
    assert again.exit_code == 1
    assert again.output == (f"Fehler: {path} enthält Eintragungen, die noch nicht übernommen sind "
                            f"(Zeile 4); zuerst „ratsdoc excel import {path}“, oder mit "
                            "--ueberschreiben ersetzen\n")
    assert path.read_bytes() == edited

    assert excel_import(data_copy, path).exit_code == 0
    export(data_copy, path)  # all taken over: a fresh list replaces it
    assert Sheet(path).ws.cell(4, 6).value == "Wird fortgesetzt"
    assert Sheet(path).ws.cell(4, 8).value is None

    (tmp_path / "fremd.xlsx").write_bytes(b"meine eigene Tabelle")
    foreign = run("excel", "export", "--ausgabe", str(tmp_path / "fremd.xlsx"), "--daten",
                  str(data_copy))
    assert foreign.exit_code == 1 and "ist keine Statusliste von ratsdoc" in foreign.output
    forced = run("excel", "export", "--ausgabe", str(tmp_path / "fremd.xlsx"), "--daten",
                 str(data_copy), "--ueberschreiben")
    assert forced.exit_code == 0, forced.output
    assert load_workbook(tmp_path / "fremd.xlsx").sheetnames == ["Statusliste", "ratsdoc"]
