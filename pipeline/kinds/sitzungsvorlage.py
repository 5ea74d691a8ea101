"""Sitzungsvorlage of the Landkreis Esslingen: check boxes for Öffentlichkeit and committees."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..context import KOERPERSCHAFT_FELDER, datum, koerperschaft, kreuz, langes_datum, lines, unterzeichner
from ..model import OEFFENTLICHKEIT, VERFAHRENSGANG, Anlage, Sitzungsvorlage, Ueberschrift
from . import NICHTOEFFENTLICH, Kind, info, neufassung, register

if TYPE_CHECKING:
    from ..load import Daten


@register
class SitzungsvorlageKind(Kind):
    art = "sitzungsvorlage"
    bezeichnung = "Sitzungsvorlage"
    bearbeitbar: ClassVar[dict[str, str]] = {"betreff": "Betreff", "beschlussantrag": "Beschlussantrag",
                                              "sachdarstellung": "Sachdarstellung",
                                              "auswirkungen_haushalt": "Auswirkungen auf den Haushalt"}
    model = Sitzungsvorlage
    oparl_typ = "Sitzungsvorlage"
    pflicht_platzhalter = ("betreff",)
    felder: ClassVar[dict[str, str]] = KOERPERSCHAFT_FELDER | {
        "nummer": "Nummer der Sitzungsvorlage, z. B. „51/2016“",
        "datum": "Datum der Vorlage, z. B. „20. Mai 2016“",
        "adressaten": "Adressaten (Schleife)",
        "adressaten[]": "Ein Adressat",
        "oeffentlichkeit": "Ankreuzfelder der Öffentlichkeit (Schleife)",
        "oeffentlichkeit[].kreuz": "☒ oder ☐",
        "oeffentlichkeit[].text": "z. B. „Öffentlich“",
        "gremien": "Ein Ankreuzfeld je Gremium des Hausstils (Schleife)",
        "gremien[].kreuz": "☒ wenn die Vorlage in diesem Gremium beraten wird",
        "gremien[].kuerzel": "Kürzel des Gremiums",
        "gremien[].datum": "Sitzungsdatum oder leer",
        "betreff": "Betreff",
        "anlagen": "Anzahl der Anlagen",
        "verfahrensgang": "Ankreuzfelder des Verfahrensgangs (Schleife)",
        "verfahrensgang[].kreuz": "☒ oder ☐",
        "verfahrensgang[].text": "z. B. „Einbringung zur späteren Beratung“",
        "beschlussantrag": "Punkte des Beschlussantrags (Schleife, nummeriert)",
        "beschlussantrag[]": "Ein Punkt des Beschlussantrags",
        "auswirkungen_haushalt": "Auswirkungen auf den Haushalt, je Zeile ein Absatz",
        "auswirkungen_haushalt[]": "Ein Absatz",
        "sachdarstellung": "Sachdarstellung: Absätze und Zwischenüberschriften (Schleife)",
        "sachdarstellung[].ueberschrift": "Zwischenüberschrift oder leer",
        "sachdarstellung[].absatz": "Absatz oder leer",
        "unterzeichner": "Wer unterschreibt",
        "unterzeichner.name": "Name",
        "unterzeichner.funktion": "Funktion, z. B. „Landrat“",
        "neufassung": "„Neufassung“ nach einer erneuten Einreichung, sonst leer",
        "nichtoeffentlich": "„NICHTÖFFENTLICH“ bei einer nichtöffentlichen Vorlage, sonst leer",
    }

    def info(self, name: str, doc: Sitzungsvorlage, daten: Daten):
        return info(doc.betreff, f"Sitzungsvorlage Nr. {doc.nummer}", daten, doc, doc.datum,
                    "Sitzungsvorlage")

    def anlage_titel(self, name: str, doc: Sitzungsvorlage, daten: Daten) -> str:
        return doc.betreff

    def anlagen(self, doc: Sitzungsvorlage) -> list[Anlage]:
        return list(doc.anlagen) if isinstance(doc.anlagen, list) else []

    def beratungsfolge(self, doc: Sitzungsvorlage) -> list[Any]:
        return list(doc.beratungsfolge)

    def nichtoeffentlich(self, doc: Sitzungsvorlage) -> bool:
        return doc.oeffentlichkeit != "öffentlich"

    def aktenzeichen(self, name: str, doc: Sitzungsvorlage) -> str:
        return doc.nummer

    def context(self, name: str, doc: Sitzungsvorlage, daten: Daten) -> dict[str, Any]:
        stil = daten.stile[doc.stil]
        termine = {b.gremium: b.sitzungsdatum for b in doc.beratungsfolge}
        anzahl = len(doc.anlagen) if isinstance(doc.anlagen, list) else doc.anlagen
        return {
            "koerperschaft": koerperschaft(stil),
            "nummer": doc.nummer,
            "datum": langes_datum(doc.datum),
            "adressaten": doc.adressaten,
            "oeffentlichkeit": [{"kreuz": kreuz(doc.oeffentlichkeit == o),
                                 "text": o[:1].upper() + o[1:]} for o in OEFFENTLICHKEIT],
            "gremien": [{"kreuz": kreuz(k in termine), "kuerzel": k,
                         "datum": datum(termine[k]) if termine.get(k) else ""}
                        for k in stil.gremien],
            "betreff": doc.betreff,
            "anlagen": str(anzahl),
            "verfahrensgang": [{"kreuz": kreuz(doc.verfahrensgang == o), "text": o}
                               for o in VERFAHRENSGANG],
            "beschlussantrag": doc.beschlussantrag,
            "auswirkungen_haushalt": lines(doc.auswirkungen_haushalt),
            "sachdarstellung": [{"ueberschrift": b.ueberschrift, "absatz": None}
                                if isinstance(b, Ueberschrift)
                                else {"ueberschrift": None, "absatz": b}
                                for b in doc.sachdarstellung],
            "unterzeichner": unterzeichner(doc, stil),
            "neufassung": neufassung(name, daten),
            "nichtoeffentlich": NICHTOEFFENTLICH if self.nichtoeffentlich(doc) else "",
        }
