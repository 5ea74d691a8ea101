"""Context stage, shared parts: German formats and the pieces every paper kind's context uses.

Each kind builds its own context in `pipeline/kinds/`; what they share lives here.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from babel.dates import format_date
from babel.numbers import format_decimal

from .markup import formatiert, formatiert_inline, zeilen

if TYPE_CHECKING:
    from .diagramm import Diagrammdaten
    from .load import Daten
    from .model import Block, Stil, VorlageBasis

LOCALE = "de_DE"
ANKREUZEN = ("☒", "☐")  # checked, unchecked


@dataclass(frozen=True)
class Bild:
    """A picture for the template, drawn only when a document is written (`check` does not
    need it); the render stage turns it into an InlineImage."""

    zeichnen: Callable[[], bytes]
    breite_mm: float
    # For a Word chart of the same name in the template (pipeline.diagramm): its figures.
    daten: Diagrammdaten | None = None

    @functools.cached_property
    def png(self) -> bytes:
        return self.zeichnen()


@dataclass(frozen=True)
class Dokumentinfo:
    """What goes into docProps/core.xml; set by python-docx, never through template tags."""

    titel: str
    betreff: str
    autor: str
    datum: dt.date | None  # None: the paper carries no date
    schlagworte: str


# --- German formats ----------------------------------------------------------------------------


def datum(value: dt.date | None) -> str:
    """10.03.2020"""
    return format_date(value, "dd.MM.yyyy", locale=LOCALE) if value else "Termin folgt"


def langes_datum(value: dt.date) -> str:
    """20. Mai 2016"""
    return format_date(value, "d. MMMM yyyy", locale=LOCALE)


def betrag(value: Decimal) -> str:
    """5.000 for whole euros, 5.000,50 otherwise (as the city's form writes them)."""
    pattern = "#,##0" if value == value.to_integral_value() else "#,##0.00"
    return format_decimal(value, format=pattern, locale=LOCALE)


def ankreuzen(ja: bool) -> dict[str, str]:
    checked, unchecked = ANKREUZEN
    return {"ja": checked if ja else unchecked, "nein": unchecked if ja else checked}


def kreuz(ja: bool) -> str:
    return ANKREUZEN[0] if ja else ANKREUZEN[1]


# --- shared parts ------------------------------------------------------------------------------


def blocks(items: list[Block]) -> list[dict[str, Any]]:
    """Paragraphs and lists; a paragraph may use the Markdown subset, a list item bold/italic."""
    return [
        {"absatz": formatiert(b.absatz) if b.absatz is not None else None,
         "liste": [formatiert_inline(punkt) for punkt in b.liste or []],
         "strich": b.zeichen == "strich"}
        for b in items
    ]


def lines(text: str) -> list[str]:
    return text.split("\n") if text else []


def koerperschaft(stil: Stil) -> dict[str, str]:
    """The body a house style writes for, as the header shows it."""
    return {"name": stil.name, "amt": stil.amt, "dienststelle": stil.dienststelle,
            "oberhaupt": stil.oberhaupt}


def autor(stil: Stil) -> str:
    return ", ".join(part for part in (stil.name, stil.amt, stil.dienststelle) if part)


def unterzeichner(paper: Any, stil: Stil) -> dict[str, str]:
    """Name and function; the function defaults to the head of the house style."""
    return {"name": paper.unterzeichner.name,
            "funktion": paper.unterzeichner.funktion or stil.oberhaupt}


def anlagen_titel(titles: list[str]) -> list[str]:
    return titles or ["Keine"]


def kopf(paper: VorlageBasis, daten: Daten, anlagen: list[str]) -> dict[str, Any]:
    """The header every city paper shares: Körperschaft, Beratungsfolge, Betreff, signature."""
    k = daten.stile[paper.stil]
    return {
        "koerperschaft": koerperschaft(k),
        "drucksache": paper.drucksache,
        "betreff": paper.betreff,
        "beratungsfolge": [
            {
                "gremium": k.gremien[b.gremium],
                "kuerzel": b.gremium,
                "datum": datum(b.sitzungsdatum),
                "oeffentlichkeit": b.oeffentlichkeit,
                "beschlussart": b.beschlussart,
            }
            for b in paper.beratungsfolge
        ],
        "beschlussvorschlag": zeilen(paper.beschlussvorschlag),
        "unterzeichner": unterzeichner(paper, k),
        "anlagen": anlagen_titel(anlagen),
    }


# Descriptions of the placeholders `kopf` supplies (for `ratsdoc vorlagen felder`).
KOERPERSCHAFT_FELDER = {
    "koerperschaft": "Die Körperschaft des Hausstils (aus stil.yaml)",
    "koerperschaft.name": "Name der Körperschaft, z. B. „Stadt Leinfelden-Echterdingen“",
    "koerperschaft.amt": "Amt, das das Dokument schreibt",
    "koerperschaft.dienststelle": "Dienststelle innerhalb des Amts",
    "koerperschaft.oberhaupt": "Oberbürgermeister, Landrat …",
}
KOPF_FELDER = KOERPERSCHAFT_FELDER | {
    "drucksache": "Vorlagennummer (Drucksache), leer wenn noch nicht vergeben",
    "betreff": "Betreff der Vorlage",
    "beratungsfolge": "Liste der Beratungen (Schleife: {%tr for b in beratungsfolge %})",
    "beratungsfolge[].gremium": "Name des Gremiums, z. B. „Gemeinderat“",
    "beratungsfolge[].kuerzel": "Kürzel des Gremiums, z. B. „GR“",
    "beratungsfolge[].datum": "Sitzungsdatum TT.MM.JJJJ oder „Termin folgt“",
    "beratungsfolge[].oeffentlichkeit": "„öffentlich“ oder „nichtöffentlich“",
    "beratungsfolge[].beschlussart": "Vorberatung, Entscheidung oder Kenntnisnahme",
    "beschlussvorschlag": "Beschlussvorschlag, je Zeile ein Absatz (Schleife)",
    "beschlussvorschlag[]": "Ein Absatz des Beschlussvorschlags",
    "unterzeichner": "Wer unterschreibt",
    "unterzeichner.name": "Name der Unterzeichnerin oder des Unterzeichners",
    "unterzeichner.funktion": "Funktion, z. B. „Oberbürgermeister“",
    "anlagen": "Titel der Anlagen (Schleife), „Keine“ wenn es keine gibt",
    "anlagen[]": "Titel einer Anlage",
    "neufassung": "„Neufassung“ nach einer erneuten Einreichung, sonst leer",
    "nichtoeffentlich": "„NICHTÖFFENTLICH“ bei einer nichtöffentlichen Vorlage, sonst leer",
}

BLOCK_FELDER = {
    "absatz": "Ein Absatz Text (leer bei einer Aufzählung); in Markdown auch mehrere Absätze, "
              "Zwischenüberschriften, Listen und Tabellen",
    "liste": "Punkte einer Aufzählung (Schleife)",
    "liste[]": "Ein Punkt der Aufzählung",
    "strich": "wahr, wenn die Aufzählung Striche (–) statt Punkte hat",
}


def block_felder(prefix: str, beschreibung: str) -> dict[str, str]:
    """Descriptions of a list of text blocks (see `blocks`) under a key."""
    return {prefix: beschreibung} | {f"{prefix}[].{k}": v for k, v in BLOCK_FELDER.items()}


def first_date(paper: VorlageBasis) -> dt.date | None:
    return next((b.sitzungsdatum for b in paper.beratungsfolge if b.sitzungsdatum), None)
