"""Migrate a Maßnahmenkatalog from Word (.docx) into a commented massnahmenkatalog.yaml.

The document is laid out like seed 001 or like our own built catalogue: a title, then per
Handlungsfeld a heading paragraph („Handlungsfeld „Arbeit““), a „Vision:“ paragraph followed by
its lines, and a table whose columns are found by their header text (Ziel…, Nr, Maßnahme…,
Akteur…, Status…), in any order. A goal cell may be merged vertically over its measures
(w:vMerge), repeated, or left blank below its first measure. „Weitere Maßnahmen“ after a table
are kept; paragraphs after the last table are the Schlussbemerkung. The colour of a status cell
gives the category when it is one of ours and differs from the one the status text names.

Every problem is reported with its place in the document (table, row, column) and nothing is
written; the YAML written is read back with the project's own reader before it is placed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import AusgabeFehler, EingabeFehler, RatsdocError, display_path
from .kategorien import KATEGORIEN, Kategorie, kategorie_aus_status
from .load import KATALOG_DATEI, STIL_DATEI, Quelle, Zeilen, parse_yaml, validate_model
from .model import Katalog
from .output import data_lock, write_atomic, write_new
from .paket import open_package, parse_xml, read_part

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"

_HANDLUNGSFELD = re.compile(r"^Handlungsfeld\b\s*(?:\d+\s*)?[:.\-–]?\s*(.+)$", re.S)
_VISION = re.compile(r"^Vision(?:en)?\b\s*:?\s*(.*)$", re.S | re.I)
_WEITERE = re.compile(r"^Weitere\s+Ma(ß|ss)nahmen\s*:?$", re.I)
_STAND = re.compile(r"\bStand\s*:?\s*(\d{1,2})\.(\d{1,2})\.(\d{4})")
_QUOTES = {"„": "“", "\"": "\"", "“": "”", "»": "«", "«": "»", "‚": "‘", "'": "'"}
_FARBEN = {info.farbe.upper(): k for k, info in KATEGORIEN.items()}

# Column roles, found by header text; the order of the checks matters.
ROLLEN = ("nr", "status", "akteure", "ziel", "text")
_ROLLE = {
    "nr": re.compile(r"^(nr\b|nr\.|nummer|lfd)"),
    "status": re.compile(r"status"),
    "akteure": re.compile(r"akteur"),
    "ziel": re.compile(r"ziel"),
    "text": re.compile(r"ma(ß|ss)nahme"),
}
_ROLLEN_NAME = {"nr": "Nr.", "status": "Status…", "akteure": "Akteur…", "ziel": "Ziel…",
                "text": "Maßnahme…"}


@dataclass
class Ergebnis:
    pfad: Path
    handlungsfelder: int
    massnahmen: int
    hinweise: list[str]


# --- reading the document ------------------------------------------------------------------------


@dataclass
class _Absatz:
    text: str
    stil: str  # style id and name, lower case
    liste: bool  # a list paragraph (Word numbering: bullets)
    nummer: int  # position among the body's paragraphs, 1-based

    @property
    def leer(self) -> bool:
        return not self.text.strip()


@dataclass
class _Tabelle:
    element: Any
    nummer: int  # 1-based, counting every table of the body


class _Dokument:
    """The body of a .docx as paragraphs and tables, with the style facts we need."""

    def __init__(self, path: Path):
        with open_package(path, "docx") as package:
            main = _main_part(package, path)
            root = parse_xml(read_part(package, path, main), path, main)
            names = set(package.namelist())
            styles = _styles(package, path) if "word/styles.xml" in names else {}
        self.stile = styles
        body = root.find(f"{W}body")
        if body is None:
            raise EingabeFehler(path, ["enthält keinen Textkörper (w:body)"])
        self.bloecke: list[_Absatz | _Tabelle] = []
        self._walk(body)

    def _walk(self, parent: Any) -> None:
        for child in parent:
            if child.tag == f"{W}p":
                count = sum(isinstance(b, _Absatz) for b in self.bloecke) + 1
                self.bloecke.append(_Absatz(_text(child), self._stil(child), self.is_list(child),
                                            count))
            elif child.tag == f"{W}tbl":
                count = sum(isinstance(b, _Tabelle) for b in self.bloecke) + 1
                self.bloecke.append(_Tabelle(child, count))
            elif child.tag in (f"{W}sdt", f"{W}sdtContent", f"{W}customXml", f"{W}ins"):
                self._walk(child)

    def _stil(self, p: Any) -> str:
        style = p.find(f"{W}pPr/{W}pStyle")
        ident = style.get(f"{W}val") if style is not None else ""
        name, _ = self.stile.get(ident, ("", False))
        return f"{ident} {name}".lower().strip()

    def is_list(self, p: Any) -> bool:
        num = p.find(f"{W}pPr/{W}numPr/{W}numId")
        if num is not None:
            return num.get(f"{W}val") not in (None, "0")
        style = p.find(f"{W}pPr/{W}pStyle")
        return bool(style is not None and self.stile.get(style.get(f"{W}val"), ("", False))[1])


def _main_part(package: Any, path: Path) -> str:
    if "_rels/.rels" in package.namelist():
        rels = parse_xml(read_part(package, path, "_rels/.rels"), path, "_rels/.rels")
        for rel in rels.iter(f"{_REL}Relationship"):
            if rel.get("Type") == _OFFICE_DOCUMENT:
                return str(rel.get("Target", "")).lstrip("/")
    return "word/document.xml"


def _styles(package: Any, path: Path) -> dict[str, tuple[str, bool]]:
    """Style id → (name, is a list style)."""
    root = parse_xml(read_part(package, path, "word/styles.xml"), path, "word/styles.xml")
    styles = {}
    for style in root.iter(f"{W}style"):
        name = style.find(f"{W}name")
        num = style.find(f"{W}pPr/{W}numPr/{W}numId")
        styles[style.get(f"{W}styleId", "")] = (
            name.get(f"{W}val", "") if name is not None else "",
            num is not None and num.get(f"{W}val") not in (None, "0"))
    return styles


def _text(p: Any) -> str:
    """A paragraph's text: runs, line breaks as \\n, tabs; deleted text and field codes left out."""
    parts = []
    for el in p.iter(f"{W}t", f"{W}br", f"{W}cr", f"{W}tab", f"{W}noBreakHyphen"):
        if el.tag == f"{W}t":
            parts.append(el.text or "")
        elif el.tag in (f"{W}br", f"{W}cr"):
            if el.get(f"{W}type") not in ("page", "column"):
                parts.append("\n")
        elif el.tag == f"{W}tab":
            if el.getparent().tag == f"{W}r":  # not a tab stop of the paragraph's properties
                parts.append("\t")
        else:
            parts.append("-")
    return "".join(parts)


def _lines(text: str) -> str:
    """Trim each line and leading/trailing empty lines; inner empty lines stay."""
    lines = [line.strip() for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


# --- the catalogue's structure -------------------------------------------------------------------


@dataclass
class _Massnahme:
    werte: dict[str, str]  # role → text
    orte: dict[str, str]  # role → place
    ort: str  # the row
    kategorie: Kategorie | None


@dataclass
class _Ziel:
    text: str
    ort: str
    massnahmen: list[_Massnahme] = field(default_factory=list)


@dataclass
class _Handlungsfeld:
    name: str
    ort: str
    vision: list[str] = field(default_factory=list)
    vision_gesehen: bool = False
    ziele: list[_Ziel] = field(default_factory=list)
    tabellen: list[int] = field(default_factory=list)
    nach: list[tuple[_Absatz, bool]] = field(default_factory=list)  # (paragraph, under „Weitere“)


class _Leser:
    """Reads the blocks of a document into Handlungsfelder; collects problems and notes."""

    def __init__(self, doc: _Dokument):
        self.doc = doc
        self.problems: list[str] = []
        self.hinweise: list[str] = []
        self.titel: str | None = None
        self.titel_ort = "Titel (erster Absatz)"
        self.stand: dt.date | None = None
        self.felder: list[_Handlungsfeld] = []
        self.schluss = ""
        self.weitere: dict[int, list[str]] = {}
        self._titled = False  # the title was taken from a title style

    def read(self) -> None:
        blocks = self.doc.bloecke
        by_name = any(isinstance(b, _Absatz) and _HANDLUNGSFELD.match(b.text.strip())
                      for b in blocks)
        state = "start"
        for block in blocks:
            if isinstance(block, _Tabelle):
                if self._table(block):
                    state = "tabelle"
                continue
            text = block.text.strip()
            name = self._heading(block, by_name)
            if name is not None:
                self.felder.append(_Handlungsfeld(name, f"Handlungsfeld „{name}“ (Absatz "
                                                  f"{block.nummer})"))
                state = "kopf"
                continue
            if state == "start":
                self._preamble(block)
            elif state == "kopf":
                vision = _VISION.match(text)
                if vision:
                    self.felder[-1].vision_gesehen = True
                    if vision.group(1).strip():
                        self.felder[-1].vision.append(_lines(vision.group(1)))
                    state = "vision"
                elif text:
                    self.hinweise.append(f"Absatz {block.nummer} („{_kurz(text)}“) vor der Vision "
                                         "nicht übernommen")
            elif state == "vision":
                if text:
                    self.felder[-1].vision.append(_lines(block.text))
            elif state in ("tabelle", "weitere"):
                if state == "tabelle" and _WEITERE.match(text):
                    state = "weitere"
                    continue
                self.felder[-1].nach.append((block, state == "weitere"))
        self._after_tables()

    def _preamble(self, block: _Absatz) -> None:
        text = block.text.strip()
        stand = _STAND.search(text)
        if stand:
            day, month, year = (int(g) for g in stand.groups())
            try:
                self.stand = dt.date(year, month, day)
            except ValueError:
                self.problems.append(f"Absatz {block.nummer}: „{stand.group(0)}“ ist kein "
                                     "gültiges Datum")
            return
        if not text:
            return
        titled = any(s in block.stil for s in ("title", "titel", "dokumentart"))
        if self.titel is None or (titled and not self._titled):
            self.titel, self._titled = _lines(block.text), titled
            self.titel_ort = f"Titel (Absatz {block.nummer})"

    def _heading(self, block: _Absatz, by_name: bool) -> str | None:
        text = block.text.strip()
        if by_name:
            match = _HANDLUNGSFELD.match(text)
            return _unquote(_lines(match.group(1))) if match else None
        if re.search(r"heading|berschrift", block.stil) and text and not _VISION.match(text) \
                and not _WEITERE.match(text):
            return _lines(text)
        return None

    def _table(self, table: _Tabelle) -> bool:
        """Read a catalogue table into the current Handlungsfeld; False for other tables."""
        rows = table.element.findall(f"{W}tr")
        if not rows:
            return False
        header = {pos: _lines(self._cell_text(tc)) for pos, _, tc in _cells(rows[0])}
        roles: dict[str, int] = {}
        for pos, text in header.items():
            key = " ".join(text.lower().split())
            role = next((r for r in ROLLEN if _ROLLE[r].search(key)), None)
            if role is None:
                continue
            if role in roles:
                self.problems.append(f"Tabelle {table.nummer}, Zeile 1: zwei Spalten für "
                                     f"„{_ROLLEN_NAME[role]}“ („{header[roles[role]]}“, „{text}“)")
            roles[role] = pos
        if len(roles) < 3:
            return False  # not a catalogue table (e.g. the legend)
        missing = [_ROLLEN_NAME[r] for r in ROLLEN if r not in roles]
        if missing:
            shown = ", ".join(f"„{t}“" for t in header.values())
            self.problems.append(f"Tabelle {table.nummer}, Zeile 1: Spalte(n) "
                                 f"{', '.join(missing)} nicht gefunden (Kopfzeile: {shown})")
            return True
        if not self.felder:
            self.problems.append(f"Tabelle {table.nummer}: steht vor dem ersten Handlungsfeld "
                                 "(Absatz „Handlungsfeld „…““ fehlt)")
            return True
        hf = self.felder[-1]
        if hf.nach:  # a paragraph between two tables of one Handlungsfeld
            self._loose(hf)
        hf.tabellen.append(table.nummer)
        titles = {role: header[pos] for role, pos in roles.items()}
        header_texts = [header[roles[r]] for r in ROLLEN]
        for number, row in enumerate(rows[1:], start=2):
            self._row(table.nummer, number, row, roles, titles, header_texts, hf)
        return True

    def _row(self, table: int, number: int, row: Any, roles: dict[str, int],
             titles: dict[str, str], header_texts: list[str], hf: _Handlungsfeld) -> None:
        by_pos = {}
        for pos, span, tc in _cells(row):
            for p in range(pos, pos + span):
                by_pos[p] = tc
        cells = {role: by_pos.get(pos) for role, pos in roles.items()}
        values = {role: _lines(self._cell_text(tc)) if tc is not None else ""
                  for role, tc in cells.items()}
        if [values[r] for r in ROLLEN] == header_texts or not any(values.values()):
            return  # a repeated header row, or an empty row
        where = f"Tabelle {table}, Zeile {number}"
        places = {role: f"{where}, Spalte „{titles[role]}“" for role in ROLLEN}

        ziel_cell = cells["ziel"]
        merge = ziel_cell.find(f"{W}tcPr/{W}vMerge") if ziel_cell is not None else None
        continues = merge is not None and merge.get(f"{W}val", "continue") == "continue"
        restarts = merge is not None and not continues
        same = continues or (not restarts and (not values["ziel"] or (
            hf.ziele and values["ziel"] == hf.ziele[-1].text)))
        if same and not hf.ziele:
            self.problems.append(f"{places['ziel']}: leer, und darüber steht kein Ziel")
            return
        if not same:
            hf.ziele.append(_Ziel(values["ziel"], places["ziel"]))

        fill = None
        status_cell = cells["status"]
        shd = status_cell.find(f"{W}tcPr/{W}shd") if status_cell is not None else None
        if shd is not None:
            fill = _FARBEN.get(str(shd.get(f"{W}fill", "")).upper())
        kategorie = fill if fill is not None and fill != kategorie_aus_status(values["status"]) \
            else None
        werte = {role: values[role] for role in ("nr", "text", "akteure", "status")}
        hf.ziele[-1].massnahmen.append(_Massnahme(werte, places, where, kategorie))

    def _cell_text(self, tc: Any) -> str:
        lines = []
        for p in tc.iter(f"{W}p"):
            text = _text(p)
            if self.doc.is_list(p) and text.strip() and not text.lstrip().startswith("•"):
                text = "• " + text.strip()
            lines.append(text)
        return "\n".join(lines)

    def _loose(self, hf: _Handlungsfeld) -> None:
        for block, _ in hf.nach:
            if not block.leer:
                self.hinweise.append(f"Absatz {block.nummer} („{_kurz(block.text)}“) nach "
                                     f"Tabelle {hf.tabellen[-1]} nicht übernommen")
        hf.nach = []

    def _after_tables(self) -> None:
        """Split what follows each Handlungsfeld's table into Weitere Maßnahmen and paragraphs
        not taken over; what follows the last one's is the Schlussbemerkung."""
        for index, hf in enumerate(self.felder):
            if not hf.tabellen:
                self.problems.append(f"{hf.ort}: keine Tabelle mit Maßnahmen (Ziele | Nr. | "
                                     "Maßnahmen | Akteure | Status) gefunden")
            weitere = [b for b, w in hf.nach if w]
            loose = [b for b, w in hf.nach if not w]
            if index < len(self.felder) - 1:
                notes = [_note(b.text) for b in weitere if not b.leer]
            elif weitere:
                notes, rest = _split_notes(weitere)
                self.schluss = _lines("\n".join(b.text for b in rest))
            else:
                notes, loose = [], []
                self.schluss = _lines("\n".join(b.text for b, _ in hf.nach))
            self.weitere[index] = notes
            for block in loose:
                if not block.leer:
                    self.hinweise.append(f"Absatz {block.nummer} („{_kurz(block.text)}“) nach "
                                         f"Tabelle {hf.tabellen[-1]} nicht übernommen")


def _split_notes(blocks: list[_Absatz]) -> tuple[list[str], list[_Absatz]]:
    """The Weitere Maßnahmen of the last Handlungsfeld, and the paragraphs after them: marked
    notes („+ …“, bullets) end at the first unmarked paragraph, unmarked ones at an empty one."""
    notes: list[str] = []
    marked: bool | None = None
    for position, block in enumerate(blocks):
        if block.leer:
            if notes and marked is False:
                return notes, blocks[position:]
            continue
        has_mark = block.text.strip().startswith(("+", "•")) or block.liste
        if marked is None:
            marked = has_mark
        if marked and not has_mark:
            return notes, blocks[position:]
        notes.append(_note(block.text))
    return notes, []


def _cells(row: Any) -> list[tuple[int, int, Any]]:
    """(grid position, span, cell) of a table row."""
    before = row.find(f"{W}trPr/{W}gridBefore")
    pos = int(before.get(f"{W}val", "0")) if before is not None else 0
    cells = []
    for tc in row.iter(f"{W}tc"):
        if tc.getparent() is not row and tc.getparent().tag != f"{W}sdtContent":
            continue  # a cell of a nested table
        span_el = tc.find(f"{W}tcPr/{W}gridSpan")
        span = int(span_el.get(f"{W}val", "1")) if span_el is not None else 1
        cells.append((pos, span, tc))
        pos += span
    return cells


def _note(text: str) -> str:
    text = _lines(text)
    if text.startswith("+ "):
        return text[2:]
    return text[1:].lstrip() if text.startswith("+") else text


def _unquote(name: str) -> str:
    if len(name) >= 2 and name[0] in _QUOTES and name.endswith(_QUOTES[name[0]]):
        return name[1:-1]
    return name


def _kurz(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 50 else text[:47] + "…"


# --- data, checks, YAML --------------------------------------------------------------------------


def _data(leser: _Leser, stil: str, stand: dt.date) -> tuple[dict[str, Any], Zeilen, list[str]]:
    """The catalogue as data, and for every field its place (as synthetic line numbers)."""
    zeilen = Zeilen()
    places = ["", "Dokument"]
    zeilen.set((), 1)

    def mark(path: tuple[str | int, ...], place: str) -> None:
        zeilen.set(path, len(places))
        places.append(place)

    data: dict[str, Any] = {"stil": stil}
    if leser.titel is not None:
        data["titel"] = leser.titel
    mark(("titel",), leser.titel_ort)
    data["stand"] = stand
    data["handlungsfelder"] = []
    for h, hf in enumerate(leser.felder):
        hpath: tuple[str | int, ...] = ("handlungsfelder", h)
        mark(hpath, hf.ort)
        if not hf.tabellen:
            mark((*hpath, "ziele"), "")  # reported by the reader already
        mark((*hpath, "vision"), f"{hf.ort}, Vision" + ("" if hf.vision_gesehen else
                                                          " (Absatz „Vision:“ fehlt)"))
        feld: dict[str, Any] = {"name": hf.name, "vision": hf.vision, "ziele": []}
        for z, ziel in enumerate(hf.ziele):
            zpath = (*hpath, "ziele", z)
            mark(zpath, ziel.ort)
            entry: dict[str, Any] = {"ziel": ziel.text, "massnahmen": []}
            for m, massnahme in enumerate(ziel.massnahmen):
                mpath = (*zpath, "massnahmen", m)
                mark(mpath, massnahme.ort)
                werte: dict[str, Any] = dict(massnahme.werte)
                nr = werte["nr"].strip().removesuffix(".")
                werte["nr"] = int(nr) if nr.isdigit() else werte["nr"]
                if massnahme.kategorie is not None:
                    werte["kategorie"] = massnahme.kategorie.value
                for role in ("nr", "text", "akteure", "status"):
                    mark((*mpath, role), massnahme.orte[role])
                mark((*mpath, "kategorie"), massnahme.orte["status"])
                entry["massnahmen"].append(werte)
            feld["ziele"].append(entry)
        feld["weitere_massnahmen"] = leser.weitere.get(h, [])
        for w in range(len(feld["weitere_massnahmen"])):
            mark((*hpath, "weitere_massnahmen", w), f"{hf.ort}, Weitere Maßnahmen, Eintrag {w + 1}")
        data["handlungsfelder"].append(feld)
    if leser.schluss:
        data["schlussbemerkung"] = leser.schluss
    mark(("schlussbemerkung",), "Schlussbemerkung (nach der letzten Tabelle)")
    return data, zeilen, places


def _validate(data: dict[str, Any], zeilen: Zeilen, places: list[str],
              path: Path) -> tuple[Katalog | None, list[str]]:
    from .kinds.massnahmenkatalog import check_katalog

    quelle = Quelle(path, data, zeilen)
    katalog, problems = validate_model(quelle, Katalog)
    if katalog is not None:
        problems = check_katalog(katalog, quelle)

    def place(line: int) -> str:
        return places[line] if 0 < line < len(places) else "Dokument"

    texts = []
    for p in problems:
        if not place(p.zeile):
            continue
        message = re.sub(r"\(auch Zeile (\d+)\)", lambda m: f"(auch {place(int(m.group(1)))})",
                         p.meldung)
        message = message.replace("bitte „kategorie“ angeben", "bitte die Zelle in der Farbe "
                                  "einer Kategorie einfärben oder später „kategorie“ angeben")
        texts.append(f"{place(p.zeile)}: {message}")
    return katalog, texts


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.width = 100_000
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


class _Skalare:
    """Choose for each text the YAML style that the project's reader (pyyaml, YAML 1.1) reads
    back as exactly this text: a literal block for several lines, else plain, else quoted."""

    def __init__(self) -> None:
        self.yaml = _yaml()

    def __call__(self, text: str) -> Any:
        import yaml as pyyaml
        from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

        candidate = LiteralScalarString(text) if "\n" in text else text
        buffer = io.StringIO()
        self.yaml.dump({"x": candidate}, buffer)
        try:
            back = pyyaml.load(buffer.getvalue(), Loader=pyyaml.CSafeLoader)
        except pyyaml.YAMLError:
            back = None
        return candidate if back == {"x": text} else DoubleQuotedScalarString(text)


def _document(katalog: Katalog, quelle: Path, sha: str, stand_gefunden: bool,
              farben: set[int]) -> str:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    skalar = _Skalare()

    def seq(items: list[Any]) -> CommentedSeq:
        return CommentedSeq(items)

    root = CommentedMap()
    root["stil"] = katalog.stil
    root["titel"] = skalar(katalog.titel)
    root["stand"] = katalog.stand
    if not stand_gefunden:
        root.yaml_add_eol_comment("kein „Stand: TT.MM.JJJJ“ im Dokument: Tag der Übernahme",
                                  "stand")
    fields = CommentedSeq()
    for hf in katalog.handlungsfelder:
        feld = CommentedMap()
        feld["name"] = skalar(hf.name)
        feld["vision"] = seq([skalar(v) for v in hf.vision])
        ziele = CommentedSeq()
        for z in hf.ziele:
            ziel = CommentedMap()
            ziel["ziel"] = skalar(z.ziel)
            massnahmen = CommentedSeq()
            for m in z.massnahmen:
                entry = CommentedMap()
                entry["nr"] = m.nr
                entry["text"] = skalar(m.text)
                entry["akteure"] = skalar(m.akteure)
                entry["status"] = skalar(m.status)
                if m.kategorie is not None:
                    entry["kategorie"] = m.kategorie.value
                    if m.nr in farben:
                        entry.yaml_add_eol_comment("aus der Farbe der Statuszelle", "kategorie")
                massnahmen.append(entry)
            ziel["massnahmen"] = massnahmen
            ziele.append(ziel)
        feld["ziele"] = ziele
        feld["weitere_massnahmen"] = seq([skalar(w) for w in hf.weitere_massnahmen])
        fields.append(feld)
    root["handlungsfelder"] = fields
    if katalog.schlussbemerkung:
        root["schlussbemerkung"] = skalar(katalog.schlussbemerkung)
    now = dt.datetime.now().astimezone()
    root.yaml_set_start_comment(
        f"{katalog.titel.splitlines()[0]}\n"
        f"Übernommen aus {quelle.name} (sha256 {sha[:16]}…)\n"
        f"mit „ratsdoc import-katalog“ am {now:%d.%m.%Y} um {now:%H:%M} Uhr.\n"
        "Bitte prüfen (Texte, Status, Kategorien), dann „ratsdoc check“.")
    buffer = io.StringIO()
    _yaml().dump(root, buffer)
    return buffer.getvalue()


# --- the command ---------------------------------------------------------------------------------


def default_stil(vorlagen: Path) -> str:
    """The house style that has a catalogue template, when there is exactly one."""
    found = sorted(d.name for d in vorlagen.glob("*")
                   if (d / STIL_DATEI).is_file() and (d / "massnahmenkatalog.docx").is_file())
    if len(found) != 1:
        shown = ", ".join(found) or "keiner"
        raise RatsdocError(f"Bitte den Hausstil mit --stil angeben (Hausstile mit "
                           f"Maßnahmenkatalog-Vorlage in {display_path(vorlagen)}: {shown})")
    return found[0]


def import_katalog(quelle: Path, ziel: Path, stil: str, ueberschreiben: bool = False) -> Ergebnis:
    """Read a Word catalogue and write it as YAML to `ziel`: completely or not at all."""
    if ziel.exists() and not ueberschreiben:
        raise AusgabeFehler(f"{display_path(ziel)} gibt es schon; mit --ueberschreiben ersetzen")
    if not ziel.parent.is_dir():
        raise AusgabeFehler(f"Ordner {display_path(ziel.parent)} gibt es nicht")
    doc = _Dokument(quelle)
    leser = _Leser(doc)
    leser.read()
    if not leser.felder:
        raise EingabeFehler(quelle, [*leser.problems, "kein Handlungsfeld gefunden (Absatz "
                                     "„Handlungsfeld „…““ mit einer Tabelle Ziele | Nr. | "
                                     "Maßnahmen | Akteure | Status)"])
    stand = leser.stand or dt.date.today()
    data, zeilen, places = _data(leser, stil, stand)
    katalog, problems = _validate(data, zeilen, places, quelle)
    problems = leser.problems + problems
    if problems or katalog is None:
        raise EingabeFehler(quelle, problems)

    farben = {m.nr for m in katalog.massnahmen() if m.kategorie is not None}
    sha = hashlib.sha256(quelle.read_bytes()).hexdigest()
    text = _document(katalog, quelle, sha, leser.stand is not None, farben)
    _same_when_read_back(text, katalog, ziel)
    with data_lock(ziel.parent):
        _write(ziel, text.encode("utf-8"), ueberschreiben)
    return Ergebnis(ziel, len(katalog.handlungsfelder), len(katalog.massnahmen()), leser.hinweise)


def _same_when_read_back(text: str, katalog: Katalog, ziel: Path) -> None:
    """The YAML must read back, with the reader `ratsdoc check` uses, as exactly this catalogue."""
    data, zeilen, problems = parse_yaml(text, display_path(ziel))
    back = None
    if not problems:
        back, problems = validate_model(Quelle(ziel, data, zeilen), Katalog)
    if back != katalog:
        detail = "; ".join(map(str, problems)) or "abweichende Werte"
        raise RatsdocError(f"interner Fehler: die erzeugten YAML-Daten lesen sich anders zurück "
                           f"({detail}); nichts geschrieben")


def _write(ziel: Path, data: bytes, ueberschreiben: bool) -> None:
    if ueberschreiben:
        write_atomic(ziel, data)
        return
    try:
        write_new(ziel, data)  # refuses to replace, even a file created meanwhile
    except FileExistsError:
        raise AusgabeFehler(f"{display_path(ziel)} gibt es schon; mit --ueberschreiben "
                            "ersetzen") from None


__all__ = ["KATALOG_DATEI", "Ergebnis", "default_stil", "import_katalog"]
