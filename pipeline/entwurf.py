"""`ratsdoc import-entwurf`: a clerk's Word draft becomes the data file of a new paper.

The draft is read with python-docx. Its title becomes the Betreff; its headings („Sachverhalt“,
„Beschlussvorschlag:“, „Finanzielle Auswirkungen“ …) choose the field their text goes to; body
text keeps bold, italic, lists and tables as the Markdown subset of `pipeline.markup`. What
cannot be mapped is kept (in the Sachverhalt, under a heading of its own) and reported. What the
draft does not say (Beratungsfolge, budget lines, signature, house style) is filled with valid
defaults and placeholders in square brackets, so that the paper builds at once; the YAML explains
every field in German comments. The file is written atomically and never over an existing one.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import EntwurfFehler, display_path
from .load import VORLAGEN_ORDNER, Quelle, parse_yaml, validate_model
from .output import write_new

ARTEN = ("beschlussvorlage", "zwischenbericht")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
OLE_KOPF = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .doc (and .xls …)
WORD_INHALT = "wordprocessingml.document.main+xml"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

# Headings of a draft (lower case, letters only) → the field their section fills.
FELDER = {
    "beschlussvorschlag": "beschlussvorschlag", "beschlussantrag": "beschlussvorschlag",
    "antrag": "beschlussvorschlag", "beschluss": "beschlussvorschlag",
    "sachverhalt": "sachverhalt", "sachdarstellung": "sachverhalt", "begründung": "sachverhalt",
    "finanzielleauswirkungen": "budget", "finanzielleauswirkung": "budget",
    "auswirkungenaufdenhaushalt": "budget", "kosten": "budget", "finanzierung": "budget",
    "budget": "budget", "haushalt": "budget",
    "zeitplan": "zeitplan", "zeitlicherablauf": "zeitplan",
    "anlagen": "anlagen", "anlage": "anlagen",
    "betreff": "betreff",
}
# Lines of a draft's head that name the kind of paper: the template prints them itself.
DOKUMENTARTEN = {"beschlussvorlage", "informationsvorlage", "sitzungsvorlage", "vorlage",
                 "zwischenbericht", "entwurf"}
ZEITPLAN_KOPF = re.compile(r"zeit|wann|datum|termin|schritt|was|maßnahme", re.IGNORECASE)
ZEITPLAN_ZEILE = re.compile(r"(?P<zeitraum>[^:–]{2,40}?)\s*(?::|\s–\s|\s-\s)\s*(?P<schritt>.+)")


@dataclass
class Ergebnis:
    pfad: Path
    hinweise: list[str]


# --- reading the draft ----------------------------------------------------------------------------


def oeffnen(datei: Path) -> Any:
    """The draft as a python-docx Document, or a German error saying what the file is instead."""
    from docx import Document

    try:
        raw = datei.read_bytes()
    except FileNotFoundError:
        raise EntwurfFehler(datei, "Datei nicht gefunden") from None
    except IsADirectoryError:
        raise EntwurfFehler(datei, "ist ein Ordner, keine Word-Datei") from None
    except OSError as exc:
        raise EntwurfFehler(datei, f"kann nicht gelesen werden ({exc.strerror})") from None
    if raw.startswith(OLE_KOPF):
        raise EntwurfFehler(datei, "ist ein Dokument im alten Word-Format (.doc); bitte in Word "
                                   "„Speichern unter“ → „Word-Dokument (*.docx)“ wählen")
    if not zipfile.is_zipfile(io.BytesIO(raw)):
        raise EntwurfFehler(datei, "ist keine Word-Datei (.docx)")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as package:
            types = package.read("[Content_Types].xml").decode("utf-8", "replace")
            package.getinfo("word/document.xml")
    except (KeyError, zipfile.BadZipFile, OSError):
        raise EntwurfFehler(datei, "ist keine Word-Datei (.docx): ein ZIP-Archiv ohne "
                                   "Word-Dokument") from None
    if WORD_INHALT not in types:
        raise EntwurfFehler(datei, "ist kein Word-Dokument (.docx), sondern eine Vorlage oder "
                                   "eine andere Office-Datei; bitte als Word-Dokument speichern")
    try:
        return Document(io.BytesIO(raw))
    except Exception as exc:  # python-docx and lxml raise many kinds
        raise EntwurfFehler(datei, f"kann nicht gelesen werden ({type(exc).__name__})") from None


@dataclass
class Stueck:
    """A piece of a section: a paragraph, a list or a table, as Markdown."""

    art: str  # "absatz", "liste", "tabelle", "ueberschrift"
    text: str
    absatz: int  # number of its first paragraph in the draft (1-based), for the notes
    zeilen: list[str] = field(default_factory=list)  # list items / table rows as plain text


@dataclass
class Abschnitt:
    titel: str | None  # None: the text before the first heading
    feld: str | None  # the field it fills, None when unmapped
    absatz: int
    ebene: int
    stuecke: list[Stueck] = field(default_factory=list)


@dataclass
class _Absatz:
    nummer: int
    text: str  # Markdown
    klar: str  # plain text
    stil: str
    ebene: int | None  # heading level; 0: the Title style
    liste: tuple[bool, int] | None  # (numbered, level)
    fett: bool  # every character bold
    bild: bool


def _bloecke(doc: Any) -> Iterator[Any]:
    """Body paragraphs and tables in order, also inside content controls."""
    def walk(parent: Any) -> Iterator[Any]:
        for child in parent.iterchildren():
            if child.tag in (f"{W}p", f"{W}tbl"):
                yield child
            elif child.tag == f"{W}sdt":
                content = child.find(f"{W}sdtContent")
                if content is not None:
                    yield from walk(content)
    yield from walk(doc.element.body)


class _Leser:
    def __init__(self, doc: Any):
        self.doc = doc
        self.nummer = 0
        self.formate = self._listenformate()

    def _listenformate(self) -> dict[tuple[str, int], bool]:
        """(numId, ilvl) → numbered (True) or bullets (False)."""
        try:
            numbering = self.doc.part.numbering_part.element
        except (KeyError, NotImplementedError):
            return {}
        abstract = {a.get(f"{W}abstractNumId"): a for a in numbering.iter(f"{W}abstractNum")}
        out = {}
        for num in numbering.iter(f"{W}num"):
            ref = num.find(f"{W}abstractNumId")
            definition = abstract.get(ref.get(f"{W}val")) if ref is not None else None
            if definition is None:
                continue
            for lvl in definition.iter(f"{W}lvl"):
                fmt = lvl.find(f"{W}numFmt")
                numbered = fmt is not None and fmt.get(f"{W}val") not in ("bullet", "none")
                out[(num.get(f"{W}numId"), int(lvl.get(f"{W}ilvl", "0")))] = numbered
        return out

    def absatz(self, p: Any) -> _Absatz:
        from docx.text.paragraph import Paragraph

        self.nummer += 1
        paragraph = Paragraph(p, self.doc._body)
        style = paragraph.style.name if paragraph.style is not None else ""
        text, klar, fett = _inline(paragraph)
        return _Absatz(self.nummer, text, klar, style, _ueberschrift_ebene(style),
                       self._liste(p, paragraph, style), fett,
                       any(True for _ in p.iter(f"{W}drawing", f"{W}pict", f"{W}object")))

    def _liste(self, p: Any, paragraph: Any, style: str) -> tuple[bool, int] | None:
        numpr = p.find(f"{W}pPr/{W}numPr")
        source = paragraph.style
        while numpr is None and source is not None:
            numpr = source.element.find(f"{W}pPr/{W}numPr")
            source = source.base_style
        # "List Bullet 2", "Aufzählungszeichen 2": the second level by its style
        named = re.search(r"\s(\d)$", style)
        by_style = int(named.group(1)) - 1 if named else 0
        if numpr is not None:
            num_id = numpr.find(f"{W}numId")
            ilvl = numpr.find(f"{W}ilvl")
            level = int(ilvl.get(f"{W}val")) if ilvl is not None else by_style
            if num_id is None or num_id.get(f"{W}val") == "0":
                return None  # numbering switched off
            key = (num_id.get(f"{W}val"), level)
            if key in self.formate:
                return self.formate[key], level
            return "number" in style.lower() or "nummer" in style.lower(), level
        lowered = style.lower()
        if lowered.startswith(("list bullet", "aufzählungszeichen")):
            return False, by_style
        if lowered.startswith(("list number", "listennummer")):
            return True, by_style
        return None

    def tabelle(self, tbl: Any) -> tuple[list[list[str]], list[list[str]]]:
        """(Markdown cells, plain cells) per row; merged cells once."""
        from docx.table import Table

        table = Table(tbl, self.doc._body)
        rows, plain = [], []
        for row in table.rows:
            seen: set[int] = set()
            cells, texts = [], []
            for cell in row.cells:
                if id(cell._tc) in seen:
                    continue
                seen.add(id(cell._tc))
                parts = [_inline(p) for p in cell.paragraphs]
                cells.append(" ".join(t for t, _, _ in parts if t).replace("\n", " "))
                texts.append(" ".join(k for _, k, _ in parts if k).replace("\n", " "))
            rows.append(cells)
            plain.append(texts)
        return rows, plain


def _ueberschrift_ebene(style: str) -> int | None:
    lowered = style.lower()
    if lowered in ("title", "titel"):
        return 0
    match = re.match(r"(heading|überschrift)\s*(\d)", lowered)
    return int(match.group(2)) if match else None


def _inline(paragraph: Any) -> tuple[str, str, bool]:
    """(Markdown, plain text, all bold) of a paragraph's runs, hyperlinks included."""
    from docx.text.run import Run

    pieces: list[tuple[str, bool, bool]] = []
    for item in paragraph.iter_inner_content():
        runs = [item] if isinstance(item, Run) else list(getattr(item, "runs", []))
        for run in runs:
            if run.text:
                pieces.append((run.text, _an(run, "bold"), _an(run, "italic")))
    merged: list[list[Any]] = []
    for text, bold, italic in pieces:
        if merged and merged[-1][1:] == [bold, italic]:
            merged[-1][0] += text
        else:
            merged.append([text, bold, italic])
    out = []
    for text, bold, italic in merged:
        marks = ("**" if bold else "") + ("*" if italic else "")
        out.append("\n".join(_umschliessen(line, marks) for line in text.split("\n")))
    plain = "".join(text for text, _, _ in pieces)
    visible = [(t, b) for t, b, _ in pieces if t.strip()]
    return "".join(out).strip(), plain.strip(), bool(visible) and all(b for _, b in visible)


def _umschliessen(text: str, marks: str) -> str:
    """**text** with the spaces around it outside the marks (Markdown needs them there)."""
    core = text.strip()
    if not marks or not core:
        return text
    lead, trail = text[:len(text) - len(text.lstrip())], text[len(text.rstrip()):]
    return f"{lead}{marks}{core}{marks[::-1]}{trail}"


def _an(run: Any, name: str) -> bool:
    """A run's bold/italic, also through its character style (e.g. „Strong“)."""
    value = getattr(run.font, name)
    style = run.style
    while value is None and style is not None:
        value = getattr(style.font, name)
        style = style.base_style
    return bool(value)


def _schluessel(text: str) -> str:
    return re.sub(r"[^a-zäöüß]", "", text.lower())


def lesen(doc: Any, art: str) -> tuple[str | None, str, list[Abschnitt], list[str]]:
    """The draft's title, Drucksache, its sections and notes."""
    leser = _Leser(doc)
    hinweise: list[str] = []
    titel: tuple[str, int] | None = None  # text, paragraph
    titel_stil = False  # the title is in the Title style
    betreff_zeile: str | None = None
    drucksache = ""
    abschnitte: list[Abschnitt] = [Abschnitt(None, None, 1, 0)]
    offen_liste: list[tuple[bool, int, str, str]] = []  # items of the list being read
    liste_start = 0

    def schliesse_liste() -> None:
        nonlocal offen_liste
        if offen_liste:
            abschnitte[-1].stuecke.append(Stueck("liste", _markdown_liste(offen_liste),
                                                 liste_start, [k for *_, k in offen_liste]))
            offen_liste = []

    for element in _bloecke(doc):
        if element.tag == f"{W}tbl":
            schliesse_liste()
            rows, plain = leser.tabelle(element)
            if any(any(c for c in r) for r in rows):
                abschnitte[-1].stuecke.append(Stueck("tabelle", _markdown_tabelle(rows),
                                                     leser.nummer + 1,
                                                     [" | ".join(r) for r in plain]))
            continue
        p = leser.absatz(element)
        if p.bild:
            hinweise.append(f"Absatz {p.nummer}: ein Bild wurde nicht übernommen")
        if not p.klar:
            continue
        key = _schluessel(p.klar)
        feld = _feld(art, key) if len(p.klar) <= 60 else None
        heading = p.ebene is not None and p.ebene > 0
        starts_section = feld is not None and (heading or p.fett or len(p.klar) <= 40)
        if len(abschnitte) == 1 and not starts_section and p.liste is None:
            # The head of the draft: title, Betreff, Drucksache, the kind of paper.
            if match := re.match(r"betreff\s*:\s*(.+)", p.klar, re.IGNORECASE):
                betreff_zeile = match.group(1).strip()
                continue
            if match := re.match(r"drucksache(?:\s*nr\.?)?\s*:?\s*(\S.*)", p.klar, re.IGNORECASE):
                drucksache = match.group(1).strip()
                continue
            if key in DOKUMENTARTEN:
                hinweise.append(f"Absatz {p.nummer}: „{p.klar}“ nicht übernommen (die "
                                "Word-Vorlage schreibt die Art des Papiers selbst)")
                continue
            if p.ebene == 0 and not titel_stil:
                # The Title style wins over a first heading or paragraph taken before it.
                if titel is not None:  # then text before the first heading, reported so
                    abschnitte[0].stuecke.insert(0, Stueck("absatz", titel[0], titel[1],
                                                           [titel[0]]))
                titel, titel_stil = (p.klar, p.nummer), True
                continue
            if titel is None:
                titel = (p.klar, p.nummer)
                continue
        if starts_section:
            schliesse_liste()
            abschnitte.append(Abschnitt(p.klar.rstrip(":").strip(),
                                        None if feld == "abschnitt" else feld, p.nummer,
                                        p.ebene or 1))
            continue
        if heading:
            schliesse_liste()
            current = abschnitte[-1]
            if current.titel is not None and p.ebene is not None and p.ebene > current.ebene:
                current.stuecke.append(Stueck("ueberschrift", f"### {p.text}", p.nummer,
                                              [p.klar]))
            else:  # a section of its own
                abschnitte.append(Abschnitt(p.klar.rstrip(":").strip(), None, p.nummer,
                                            p.ebene or 1))
            continue
        if p.liste is not None:
            if not offen_liste:
                liste_start = p.nummer
            offen_liste.append((p.liste[0], p.liste[1], p.text, p.klar))
            continue
        schliesse_liste()
        abschnitte[-1].stuecke.append(Stueck("absatz", p.text, p.nummer, [p.klar]))
    schliesse_liste()
    betreff = betreff_zeile or (titel[0] if titel else None)
    return betreff, drucksache, abschnitte, hinweise


def _feld(art: str, key: str) -> str | None:
    """The field a heading names; in a Zwischenbericht, any other known heading („Sachverhalt“)
    starts a section of its own ("abschnitt")."""
    feld = FELDER.get(key)
    if art == "zwischenbericht" and feld not in (None, "beschlussvorschlag", "anlagen", "betreff"):
        return "abschnitt"
    return feld


def _markdown_liste(items: list[tuple[bool, int, str, str]]) -> str:
    """List items as Markdown: "- " or "1. ", nested items indented under their parent."""
    lines = []
    counters: dict[int, int] = {}
    indent: dict[int, int] = {0: 0}
    base = min(level for _, level, _, _ in items)
    for numbered, level, text, _ in items:
        level -= base
        for deeper in [k for k in counters if k > level]:
            del counters[deeper]
        if level not in indent:
            level = max(indent)  # a level skipped: under the deepest known one
        counters[level] = counters.get(level, 0) + 1
        marker = f"{counters[level]}. " if numbered else "- "
        lines.append(" " * indent[level] + marker + text.replace("\n", " "))
        indent[level + 1] = indent[level] + len(marker)
        for deeper in [k for k in indent if k > level + 1]:
            del indent[deeper]
    return "\n".join(lines)


def _markdown_tabelle(rows: list[list[str]]) -> str:
    width = max(len(r) for r in rows)

    def line(cells: list[str]) -> str:
        cells = [c.replace("|", "\\|").strip() for c in cells] + [""] * (width - len(cells))
        return "| " + " | ".join(cells) + " |"

    head = [re.sub(r"^\*\*(.*)\*\*$", r"\1", c.strip()) for c in rows[0]]  # bold anyway
    return "\n".join([line(head), "|" + "|".join(["---"] * width) + "|",
                      *(line(r) for r in rows[1:])])


# --- the paper ------------------------------------------------------------------------------------


def _bloecke_aus(stuecke: list[Stueck]) -> list[str]:
    return [s.text for s in stuecke]


def _zeilen_aus(stuecke: list[Stueck]) -> str:
    """Pieces as a text of which every line is a paragraph. A list or table may follow a line
    directly, but ends only at an empty line (else the next line would join it)."""
    out: list[str] = []
    for n, s in enumerate(stuecke):
        out.append(s.text)
        if s.art in ("liste", "tabelle") and n < len(stuecke) - 1:
            out.append("")
    return "\n".join(out)


def _zeitplan(stuecke: list[Stueck]) -> dict[str, Any] | None:
    """Steps from a table (period | step) or lines „März 2020: Beschluss“; the rest introduces."""
    schritte: list[dict[str, str]] = []
    einleitung: list[str] = []
    for s in stuecke:
        if s.art == "tabelle":
            rows = [r.split(" | ") for r in s.zeilen]
            if rows and len(rows[0]) >= 2 and any(ZEITPLAN_KOPF.search(c) for c in rows[0]):
                rows = rows[1:]
            schritte += [{"zeitraum": r[0].strip(), "schritt": " ".join(r[1:]).strip()}
                         for r in rows if len(r) >= 2 and r[0].strip() and r[1].strip()]
            continue
        for line in s.zeilen:
            match = ZEITPLAN_ZEILE.fullmatch(line.strip())
            if s.art == "liste" and match:
                schritte.append({"zeitraum": match.group("zeitraum").strip(),
                                 "schritt": match.group("schritt").strip()})
            elif s.art != "liste" and match and not line.rstrip().endswith(":"):
                schritte.append({"zeitraum": match.group("zeitraum").strip(),
                                 "schritt": match.group("schritt").strip()})
            else:
                einleitung.append(line)
    if not schritte:
        return None
    return {"einleitung": "\n".join(einleitung), "schritte": schritte}


def _anlagen(stuecke: list[Stueck]) -> list[str]:
    titles = []
    for s in stuecke:
        lines = [part for line in s.zeilen for part in line.split("\n")]
        titles += [re.sub(r"^(anlage\s*\d*\s*[:.–-]\s*)", "", line.strip(), flags=re.IGNORECASE)
                   for line in lines if line.strip()]
    return [t for t in titles if t]


@dataclass
class Papier:
    """The fields of the new paper and what to tell the clerk."""

    felder: dict[str, Any]
    hinweise: list[str]
    platzhalter: set[str]  # fields filled with placeholders or defaults (for the comments)


def papier(art: str, betreff: str | None, drucksache: str, abschnitte: list[Abschnitt],
           hinweise: list[str]) -> Papier:
    felder: dict[str, Any] = {"drucksache": drucksache}
    platzhalter: set[str] = set()
    sammeln: dict[str, list[Stueck]] = {}
    unzugeordnet: list[Stueck] = []
    zb_abschnitte: list[dict[str, Any]] = []
    vorweg: list[Stueck] = []  # a Zwischenbericht's text before its first heading
    for a in abschnitte:
        if not a.stuecke:
            if a.titel is not None and a.feld is None and art != "zwischenbericht":
                unzugeordnet.append(Stueck("ueberschrift", f"### {a.titel}", a.absatz))
                hinweise.append(f"Absatz {a.absatz}: Abschnitt „{a.titel}“ ist leer; als "
                                "Zwischenüberschrift in den Sachverhalt übernommen")
            elif a.titel is not None:
                hinweise.append(f"Absatz {a.absatz}: Abschnitt „{a.titel}“ ist leer und wurde "
                                "nicht übernommen")
            continue
        if a.titel is None:  # before the first heading
            first, last = a.stuecke[0].absatz, a.stuecke[-1].absatz
            where = f"Absatz {first}" if first == last else f"Absatz {first}–{last}"
            target = "den ersten Abschnitt" if art == "zwischenbericht" else "den Sachverhalt"
            hinweise.append(f"{where}: Text vor der ersten Überschrift in {target} übernommen")
            if art == "zwischenbericht":
                vorweg = a.stuecke  # goes into the first section
            else:
                sammeln.setdefault("sachverhalt", []).extend(a.stuecke)
            continue
        if a.feld == "betreff":
            text = " ".join(s.text for s in a.stuecke if s.art == "absatz")
            if text and not betreff:
                betreff = text
            continue
        if a.feld == "zeitplan" and art == "beschlussvorlage":
            plan = _zeitplan(a.stuecke)
            if plan is not None and "zeitplan" not in felder:
                felder["zeitplan"] = plan
                continue
            hinweise.append(f"Absatz {a.absatz}: im Abschnitt „{a.titel}“ sind keine Zeitpunkte "
                            "(„März 2020: Beschluss“ oder eine Tabelle) zu erkennen; in den "
                            f"Sachverhalt unter „### {a.titel}“ übernommen")
            unzugeordnet += [Stueck("ueberschrift", f"### {a.titel}", a.absatz), *a.stuecke]
            continue
        if a.feld is None:
            if art == "zwischenbericht":
                zb_abschnitte.append({"ueberschrift": a.titel, "text": _bloecke_aus(a.stuecke)})
                continue
            hinweise.append(f"Absatz {a.absatz}: Abschnitt „{a.titel}“ ist keinem Feld "
                            f"zugeordnet; in den Sachverhalt unter „### {a.titel}“ übernommen")
            unzugeordnet += [Stueck("ueberschrift", f"### {a.titel}", a.absatz), *a.stuecke]
            continue
        sammeln.setdefault(a.feld, []).extend(a.stuecke)

    if betreff:
        felder["betreff"] = betreff
    else:
        felder["betreff"] = "[Betreff]"
        platzhalter.add("betreff")
        hinweise.append("kein Titel gefunden: Betreff ist ein Platzhalter")
    if "beschlussvorschlag" in sammeln:
        felder["beschlussvorschlag"] = _zeilen_aus(sammeln.pop("beschlussvorschlag"))
    else:
        felder["beschlussvorschlag"] = "[Beschlussvorschlag]"
        platzhalter.add("beschlussvorschlag")
        hinweise.append("kein Abschnitt „Beschlussvorschlag“: Platzhalter eingesetzt")
    anlagen = _anlagen(sammeln.pop("anlagen", []))
    felder["anlagen"] = [] if [_schluessel(t) for t in anlagen] == ["keine"] else anlagen
    if art == "beschlussvorlage":
        sachverhalt = _bloecke_aus(sammeln.pop("sachverhalt", []) + unzugeordnet)
        if not sachverhalt:
            sachverhalt = ["[Sachverhalt]"]
            platzhalter.add("sachverhalt")
            hinweise.append("kein Sachverhalt gefunden: Platzhalter eingesetzt")
        felder["sachverhalt"] = sachverhalt
        felder["budget"] = _bloecke_aus(sammeln.pop("budget", []))
    else:
        if vorweg and zb_abschnitte:
            zb_abschnitte[0]["text"][:0] = _bloecke_aus(vorweg)
        elif vorweg:
            zb_abschnitte.append({"ueberschrift": "Sachverhalt", "text": _bloecke_aus(vorweg)})
        felder["abschnitte"] = zb_abschnitte
    return Papier(felder, hinweise, platzhalter)


# --- the YAML file --------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Multi-line text as a literal block and list items indented, as in the shipped files."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _text(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)


_Dumper.add_representer(str, _text)
_Dumper.add_representer(type(None), lambda dumper, _: dumper.represent_scalar(
    "tag:yaml.org,2002:null", ""))  # an empty date reads "sitzungsdatum:" (Termin folgt)


def _yaml(key: str, value: Any) -> str:
    return yaml.dump({key: value}, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     width=100, default_flow_style=False)


def _kommentar(*lines: str) -> str:
    return "".join(f"# {line}\n" if line else "#\n" for line in lines)


def yaml_text(art: str, stil: str, gremien: dict[str, str], oberhaupt: str, entwurf: Path,
              p: Papier, heute: dt.date) -> str:
    f = p.felder
    gremium = "GR" if "GR" in gremien else next(iter(gremien))
    kuerzel = ", ".join(f"{k} = {v}" for k, v in gremien.items())
    art_name = "Beschlussvorlage" if art == "beschlussvorlage" else "Zwischenbericht"
    out = [_kommentar(
        f"{art_name}, übernommen aus dem Word-Entwurf „{entwurf.name}“ "
        f"(ratsdoc import-entwurf, {heute.strftime('%d.%m.%Y')}).",
        "Text in [eckigen Klammern] ist ein Platzhalter: vor dem Einreichen ersetzen",
        "(ratsdoc build warnt, ratsdoc einreichen verweigert ihn).",
        "Fett (**…**), kursiv (*…*), Listen (- … / 1. …), Zwischenüberschriften (### …) und",
        "Tabellen (| … |) sind Markdown, wie im README unter „Formatted text“ beschrieben.")]
    out.append("\n" + _kommentar("Hausstil: Ordner unter templates/docx/ mit Briefkopf, Gremien "
                                 "und Word-Vorlagen.")
               + _yaml("stil", stil) + _yaml("art", art))
    out.append(_kommentar("Drucksachennummer, sobald sie vergeben ist (leer: keine).")
               + _yaml("drucksache", f["drucksache"]))
    out.append(_kommentar("Betreff: aus dem Titel des Entwurfs." if "betreff" not in p.platzhalter
                          else "TODO: Betreff eintragen (der Entwurf hat keinen Titel).")
               + _yaml("betreff", f["betreff"]))
    if art == "zwischenbericht":
        out.append(_kommentar(
            "Stichtag: der Maßnahmenkatalog wird so gezeigt, wie er an diesem Tag stand.",
            "TODO: Stichtag prüfen (eingesetzt: der Tag des Imports).")
            + _yaml("stichtag", heute.strftime("%d.%m.%Y")))
    beschlussart = "Entscheidung" if art == "beschlussvorlage" else "Kenntnisnahme"
    out.append("\n" + _kommentar(
        "Beratungsfolge: je Sitzung ein Eintrag.",
        f"  gremium: Kürzel aus stil.yaml ({kuerzel})",
        "  sitzungsdatum: TT.MM.JJJJ; leer: „Termin folgt“",
        "  oeffentlichkeit: öffentlich oder nichtöffentlich",
        "  beschlussart: Vorberatung, Entscheidung oder Kenntnisnahme",
        "TODO: Gremium und Sitzungsdatum eintragen – der Entwurf nennt sie nicht.")
        + _yaml("beratungsfolge", [{"gremium": gremium, "sitzungsdatum": None,
                                    "oeffentlichkeit": "öffentlich",
                                    "beschlussart": beschlussart}]))
    out.append("\n" + _kommentar(
        "Beschlussvorschlag: jede Zeile ist ein Absatz."
        if "beschlussvorschlag" not in p.platzhalter
        else "TODO: Beschlussvorschlag eintragen (der Entwurf hat keinen); jede Zeile ein Absatz.")
        + _yaml("beschlussvorschlag", f["beschlussvorschlag"]))
    if art == "beschlussvorlage":
        out.append("\n" + _kommentar(
            "Sachverhalt: je Eintrag ein Absatz, eine Liste oder eine Tabelle (Markdown).")
            + _yaml("sachverhalt", f["sachverhalt"]))
        if "zeitplan" in f:
            out.append("\n" + _kommentar(
                "Zeitplan: ein einleitender Satz und die Schritte (Zeitraum, Schritt).")
                + _yaml("zeitplan", f["zeitplan"]))
        out.append("\n" + _kommentar(
            "Budget: Absätze zu den Kosten (aus „Finanzielle Auswirkungen“, „Budget“ …).")
            + _yaml("budget", f["budget"]))
    else:
        out.append("\n" + _kommentar(
            "Abschnitte: je Überschrift des Entwurfs ein Abschnitt mit seinen Absätzen.",
            "Die Zahlen zum Maßnahmenkatalog berechnet ratsdoc selbst (massnahmenkatalog.yaml).")
            + _yaml("abschnitte", f["abschnitte"]))
    out.append("\n" + _kommentar(
        f"Unterschrift: Name, und Funktion (leer: {oberhaupt}, aus stil.yaml).",
        "TODO: Name eintragen.")
        + _yaml("unterzeichner", {"name": "[Name]", "funktion": ""}))
    if art == "beschlussvorlage":
        out.append("\n" + _kommentar(
            "Formular „Finanzielle Auswirkungen“: Haushaltsposten aus haushalt.yaml (Produkt,",
            "Sachkonto, HH-Jahr). Ohne Posten kreuzt das Formular „Nein“ an.",
            "TODO: Posten eintragen, wenn Finanzmittel nötig sind, z. B.",
            '  posten:',
            '    - {produkt: "314007", sachkonto: "4271000", hh_jahr: 2020}',
            "Ebenso möglich: deckungsvorschlag, folgekosten, erloese, erlaeuterung.")
            + _yaml("finanzielle_auswirkungen", {"posten": []}))
    out.append("\n" + _kommentar(
        "Anlagen: Titel, oder {dokument: name} für ein Dokument dieses Datenordners;",
        "leer: „Keine“.") + _yaml("anlagen", f["anlagen"]))
    return "".join(out)


# --- the command ----------------------------------------------------------------------------------


def stil_waehlen(art: str, daten: Path, stile: dict[str, Any], vorlagen: Path,
                stil: str | None) -> str:
    """The house style: as asked, else the one most papers of the folder use, else the first
    that has a template of this kind."""
    known = sorted(name for name in stile if (vorlagen / name / f"{art}.docx").exists())
    if stil is not None:
        if stil not in known:
            raise EntwurfFehler(None, f"Hausstil „{stil}“ hat keine Vorlage „{art}.docx“; "
                                      f"möglich: {', '.join(known) or 'keiner'}")
        return stil
    if not known:
        raise EntwurfFehler(None, f"kein Hausstil unter {display_path(vorlagen)} hat eine Vorlage "
                                  f"„{art}.docx“")
    used: Counter[str] = Counter()
    for path in sorted((daten / VORLAGEN_ORDNER).glob("*.yaml")):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # `ratsdoc check` reports it; here it only does not count
        if isinstance(data, dict) and data.get("stil") in known:
            used[str(data["stil"])] += 1
    return used.most_common(1)[0][0] if used else known[0]


def importiere(entwurf: Path, name: str, art: str, daten: Path, vorlagen: Path,
               stil: str | None = None, heute: dt.date | None = None) -> Ergebnis:
    """Read the draft and write data/vorlagen/NAME.yaml; the notes say what to look at."""
    from .errors import DatenFehler
    from .kinds import kinds
    from .load import KATALOG_DATEI, load_styles
    from .output import data_lock

    if art not in ARTEN:
        raise EntwurfFehler(None, f"Art „{art}“ wird nicht unterstützt; möglich: {', '.join(ARTEN)}")
    if not NAME.fullmatch(name):
        raise EntwurfFehler(None, f"„{name}“ taugt nicht als Name: erlaubt sind Buchstaben ohne "
                                  "Umlaute, Ziffern, - und _ (Beispiel: integrationsplan-2024)")
    reserved = {Path(k.datei).stem for k in kinds().values() if k.datei} | {"haushalt"}
    if name in reserved:
        raise EntwurfFehler(None, f"der Name „{name}“ ist für {name}.yaml reserviert")
    if not daten.is_dir():
        raise EntwurfFehler(None, f"Datenordner {display_path(daten)} nicht gefunden")
    ziel = daten / VORLAGEN_ORDNER / f"{name}.yaml"
    if ziel.exists():
        raise EntwurfFehler(None, f"{display_path(ziel)} existiert schon und wird nicht "
                                  "überschrieben; bitte einen anderen Namen wählen")
    doc = oeffnen(entwurf)
    problems: list[Any] = []
    stile = load_styles(vorlagen, problems)
    stil = stil_waehlen(art, daten, stile, vorlagen, stil)
    if stil not in stile:
        raise DatenFehler(problems)
    hausstil = stile[stil]
    betreff, drucksache, abschnitte, hinweise = lesen(doc, art)
    p = papier(art, betreff, drucksache, abschnitte, hinweise)
    today = heute or dt.date.today()
    text = yaml_text(art, stil, {str(k): v for k, v in hausstil.gremien.items()},
                     hausstil.oberhaupt, entwurf, p, today)
    # What is written must load: checked with the same reader and model as every data file.
    data, zeilen, problems = parse_yaml(text, display_path(ziel))
    if not problems:
        _, problems = validate_model(Quelle(ziel, data, zeilen), kinds()[art].model)
    if problems:
        raise EntwurfFehler(entwurf, "der übernommene Text ist so nicht verwendbar:\n"
                            + "\n".join(str(problem) for problem in problems))
    ziel.parent.mkdir(parents=True, exist_ok=True)
    with data_lock(daten):
        try:
            write_new(ziel, text.encode("utf-8"))
        except FileExistsError:
            raise EntwurfFehler(None, f"{display_path(ziel)} existiert schon und wird nicht "
                                      "überschrieben; bitte einen anderen Namen wählen") from None
    fehlt = "Haushaltsposten" if art == "beschlussvorlage" else "Stichtag"
    hinweise = [*p.hinweise, f"Hausstil: {stil}",
                f"Beratungsfolge, Unterschrift und {fehlt} sind Vorgaben oder Platzhalter: bitte "
                "in der Datei ergänzen (# TODO)"]
    if art == "zwischenbericht" and not (daten / KATALOG_DATEI).exists():
        hinweise.append(f"ein Zwischenbericht braucht den Maßnahmenkatalog ({KATALOG_DATEI}) "
                        "im Datenordner")
    return Ergebnis(ziel, hinweise)


