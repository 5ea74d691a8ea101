"""The status categories of measures and the rule that infers them (no pydantic: the CLI
imports this at start-up)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum


class Kategorie(StrEnum):
    """Status categories used for statistics and colouring."""

    ABGESCHLOSSEN = "abgeschlossen"
    LAUFEND = "laufend"
    GEPLANT = "geplant"
    IN_PRUEFUNG = "in_pruefung"
    OFFEN = "offen"


@dataclass(frozen=True)
class KategorieInfo:
    bezeichnung: str
    farbe: str  # cell shading, hex RGB
    muster: str  # hatch of the chart's bars (matplotlib), so that grey print tells them apart


KATEGORIEN: dict[Kategorie, KategorieInfo] = {
    Kategorie.ABGESCHLOSSEN: KategorieInfo("Abgeschlossen", "C5E0B3", ""),
    Kategorie.LAUFEND: KategorieInfo("Laufend / wird fortgesetzt", "DEEAF6", "////"),
    Kategorie.GEPLANT: KategorieInfo("In Planung", "FFF2CC", "...."),
    Kategorie.IN_PRUEFUNG: KategorieInfo("In Prüfung", "E4DFEC", "xxxx"),
    Kategorie.OFFEN: KategorieInfo("Noch nicht umgesetzt", "F7CAAC", "OO"),
}

# The rule that infers a category from the status text: the first pattern that matches the
# lower-cased status wins. Order matters: "Noch nicht umgesetzt – Realisierung wird weiterhin
# geprüft" is in Prüfung, not offen; "Abgeschlossen / Weitere Durchführung in Planung" is
# abgeschlossen.
KATEGORIE_REGELN: tuple[tuple[re.Pattern[str], Kategorie], ...] = (
    (re.compile(r"^abgeschlossen|^erledigt|^umgesetzt"), Kategorie.ABGESCHLOSSEN),
    (re.compile(r"geprüft|prüfung"), Kategorie.IN_PRUEFUNG),
    (re.compile(r"noch nicht umgesetzt|nicht begonnen|offen"), Kategorie.OFFEN),
    (re.compile(r"in planung|geplant|umsetzung im|umsetzung ab"), Kategorie.GEPLANT),
    (re.compile(r"fortgesetzt|laufend|läuft|in umsetzung|wird umgesetzt"), Kategorie.LAUFEND),
)


@functools.lru_cache(maxsize=4096)  # a catalogue repeats a few dozen status texts
def kategorie_aus_status(status: str) -> Kategorie | None:
    """Infer the category from a status text, or None when no rule matches."""
    text = " ".join(status.lower().split())
    for pattern, kategorie in KATEGORIE_REGELN:
        if pattern.search(text):
            return kategorie
    return None
