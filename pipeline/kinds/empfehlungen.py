"""Empfehlungen of the Landkreis Böblingen: numbered recommendations, as an Anlage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..context import KOERPERSCHAFT_FELDER, koerperschaft
from ..model import Arbeitsgruppen, Empfehlungen
from . import Kind, info, register

if TYPE_CHECKING:
    from ..load import Daten


@register
class EmpfehlungenKind(Kind):
    art = "empfehlungen"
    bezeichnung = "Empfehlungen (Anlage)"
    bearbeitbar: ClassVar[dict[str, str]] = {"titel": "Titel", "untertitel": "Untertitel"}
    model = Empfehlungen
    oparl_typ = "Anlage"
    pflicht_platzhalter = ("titel",)
    felder: ClassVar[dict[str, str]] = KOERPERSCHAFT_FELDER | {
        "kennzeichnung": "Kennzeichnung, z. B. „Anlage 2 zu KT-Drucks. Nr. 234/2014“",
        "titel": "Titel",
        "untertitel": "Untertitel",
        "einleitung": "Einleitung: Absätze und Listen von Arbeitsgruppen (Schleife)",
        "einleitung[].absatz": "Ein Absatz oder leer",
        "einleitung[].arbeitsgruppen": "Arbeitsgruppen (Schleife) oder leer",
        "einleitung[].arbeitsgruppen[].nr": "Nummer der Arbeitsgruppe",
        "einleitung[].arbeitsgruppen[].thema": "Thema der Arbeitsgruppe",
        "empfehlungen": "Die Empfehlungen (Schleife, nummeriert)",
        "empfehlungen[].text": "Text der Empfehlung",
        "empfehlungen[].punkte": "Unterpunkte a., b., … (Schleife)",
        "empfehlungen[].punkte[]": "Ein Unterpunkt",
    }

    def info(self, name: str, doc: Empfehlungen, daten: Daten):
        return info(doc.titel, doc.kennzeichnung, daten, doc, doc.datum, "Empfehlungen; Anlage")

    def aktenzeichen(self, name: str, doc: Empfehlungen) -> str:
        return doc.kennzeichnung

    def context(self, name: str, doc: Empfehlungen, daten: Daten) -> dict[str, Any]:
        return {
            "koerperschaft": koerperschaft(daten.stile[doc.stil]),
            "kennzeichnung": doc.kennzeichnung,
            "titel": doc.titel,
            "untertitel": doc.untertitel,
            "einleitung": [
                {"absatz": None, "arbeitsgruppen": [{"nr": str(a.nr), "thema": a.thema}
                                                    for a in b.arbeitsgruppen]}
                if isinstance(b, Arbeitsgruppen) else {"absatz": b, "arbeitsgruppen": []}
                for b in doc.einleitung
            ],
            "empfehlungen": [{"text": e.text, "punkte": e.punkte} for e in doc.empfehlungen],
        }
