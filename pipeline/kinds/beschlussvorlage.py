"""Beschlussvorlage: a paper for decision, with the form „Finanzielle Auswirkungen“."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..context import KOPF_FELDER, ankreuzen, betrag, block_felder, blocks, first_date, lines
from ..errors import display_path
from ..load import HAUSHALT_DATEI
from ..model import Beschlussvorlage
from . import VorlageMitKopf, info, register

if TYPE_CHECKING:
    from pathlib import Path

    from ..errors import Problem
    from ..load import Daten, Quelle

ZEITPLAN_SPALTEN = 3


@register
class BeschlussvorlageKind(VorlageMitKopf):
    art = "beschlussvorlage"
    bezeichnung = "Beschlussvorlage"
    bearbeitbar: ClassVar[dict[str, str]] = {"betreff": "Betreff", "beschlussvorschlag": "Beschlussvorschlag",
                                              "sachverhalt": "Sachverhalt"}
    model = Beschlussvorlage
    oparl_typ = "Beschlussvorlage"
    felder: ClassVar[dict[str, str]] = KOPF_FELDER | block_felder(
        "sachverhalt", "Sachverhalt (Schleife über Absätze und Aufzählungen)") | {
        "zeitplan": "Zeitplan, oder leer wenn die Vorlage keinen hat",
        "zeitplan.einleitung": "Einleitender Satz des Zeitplans, je Zeile ein Absatz",
        "zeitplan.einleitung[]": "Ein Absatz der Einleitung",
        "zeitplan.reihen": "Tabellenreihen des Zeitplans zu je drei Spalten (Schleife)",
        "zeitplan.reihen[].zeitraeume": "Die drei Zeiträume einer Reihe",
        "zeitplan.reihen[].zeitraeume[]": "Ein Zeitraum, z. B. „März 2020“",
        "zeitplan.reihen[].schritte": "Die drei Schritte einer Reihe",
        "zeitplan.reihen[].schritte[]": "Ein Schritt, z. B. „VKS Beschluss“",
    } | block_felder("budget", "Absätze zum Budget") | block_felder(
        "schluss", "Absätze vor der Unterschrift") | {
        "fa": "Formular „Finanzielle Auswirkungen“",
        "fa.finanzmittel": "Ankreuzfeld „Sind Finanzmittel notwendig?“",
        "fa.finanzmittel.ja": "☒ oder ☐ für Ja",
        "fa.finanzmittel.nein": "☒ oder ☐ für Nein",
        "fa.posten": "Haushaltsposten (Schleife über Tabellenzeilen)",
        "fa.posten[].produkt": "Produkt/Auftrag, z. B. 314007",
        "fa.posten[].bezeichnung": "Bezeichnung des Produkts aus dem Haushalt",
        "fa.posten[].sachkonto": "Sachkonto, z. B. 4271000",
        "fa.posten[].betrag": "Ansatz im HH-Jahr, z. B. 5.000",
        "fa.posten[].hh_jahr": "Haushaltsjahr",
        "fa.posten[].folgejahr": "Ansatz im Folgejahr oder „–“",
        "fa.ausserplanmaessig": "Ankreuzfeld über-/außerplanmäßige Aufwendungen",
        "fa.ausserplanmaessig.ja": "☒ oder ☐ für Ja",
        "fa.ausserplanmaessig.nein": "☒ oder ☐ für Nein",
        "fa.deckung": "Deckungsvorschlag (Schleife über Tabellenzeilen)",
        "fa.deckung[].produkt": "Produkt/Auftrag der Deckung",
        "fa.deckung[].bezeichnung": "Bezeichnung aus dem Haushalt",
        "fa.deckung[].sachkonto": "Sachkonto der Deckung",
        "fa.deckung[].betrag": "Betrag der Deckung",
        "fa.folgekosten_noetig": "Ankreuzfeld „Entstehen Folgekosten?“",
        "fa.folgekosten_noetig.ja": "☒ oder ☐ für Ja",
        "fa.folgekosten_noetig.nein": "☒ oder ☐ für Nein",
        "fa.folgekosten": "Folgekosten (Schleife)",
        "fa.folgekosten[].aufwandsart": "Art der laufenden Aufwendung",
        "fa.folgekosten[].betrag": "Betrag pro Jahr",
        "fa.erloese_noetig": "Ankreuzfeld „Gibt es Erlöse?“",
        "fa.erloese_noetig.ja": "☒ oder ☐ für Ja",
        "fa.erloese_noetig.nein": "☒ oder ☐ für Nein",
        "fa.erloese": "Erlöse (Schleife)",
        "fa.erloese[].art": "Art des Erlöses",
        "fa.erloese[].betrag": "Betrag des Erlöses",
        "fa.erlaeuterung": "Erläuterung, je Zeile ein Absatz",
        "fa.erlaeuterung[]": "Ein Absatz der Erläuterung",
        "fa.sonstige_anmerkungen": "Sonstige Anmerkungen, je Zeile ein Absatz",
        "fa.sonstige_anmerkungen[]": "Ein Absatz der Anmerkungen",
    }

    def info(self, name: str, doc: Beschlussvorlage, daten: Daten):
        return info(doc.betreff, doc.betreff, daten, doc, first_date(doc), "Beschlussvorlage")

    def daten_dateien(self, doc: Beschlussvorlage, daten: Daten) -> list[Path]:
        return [daten.ordner / HAUSHALT_DATEI]

    def checks(self, name: str, doc: Beschlussvorlage, daten: Daten, quelle: Quelle) -> list[Problem]:
        """Every budget line a paper names stands in the Haushalt, with the HH-Jahr."""
        if HAUSHALT_DATEI in daten.ungueltig:
            return []  # reported already
        problems = []
        finanzen = doc.finanzielle_auswirkungen
        posten_of = {(p.produkt, p.sachkonto): p for p in (daten.haushalt.posten if daten.haushalt
                                                          else [])}
        refs: list[tuple[str, int, Any]] = [("posten", i, p) for i, p in enumerate(finanzen.posten)]
        refs += [("deckungsvorschlag", i, d) for i, d in enumerate(finanzen.deckungsvorschlag)]
        for key, i, ref in refs:
            path = ("finanzielle_auswirkungen", key, i)
            posten = posten_of.get((ref.produkt, ref.sachkonto))
            if posten is None:
                problems.append(quelle.problem(
                    (*path, "produkt"),
                    f"Produkt {ref.produkt} mit Sachkonto {ref.sachkonto} steht nicht im Haushalt "
                    f"({display_path(daten.ordner / HAUSHALT_DATEI)})",
                ))
            elif key == "posten" and ref.hh_jahr not in posten.ansaetze:
                years = ", ".join(map(str, sorted(posten.ansaetze)))
                problems.append(quelle.problem(
                    (*path, "hh_jahr"),
                    f"für HH-Jahr {ref.hh_jahr} ist bei Produkt {ref.produkt} / Sachkonto "
                    f"{ref.sachkonto} kein Ansatz eingetragen (vorhanden: {years})",
                ))
        return problems

    def context(self, name: str, doc: Beschlussvorlage, daten: Daten) -> dict[str, Any]:
        fa = doc.finanzielle_auswirkungen
        haushalt = {(p.produkt, p.sachkonto): p
                    for p in (daten.haushalt.posten if daten.haushalt else [])}
        posten = []
        for ref in fa.posten:
            line = haushalt[(ref.produkt, ref.sachkonto)]
            folgejahr = line.ansaetze.get(ref.hh_jahr + 1)
            posten.append({
                "produkt": line.produkt,
                "bezeichnung": line.bezeichnung,
                "sachkonto": line.sachkonto,
                "betrag": betrag(line.ansaetze[ref.hh_jahr]),
                "hh_jahr": str(ref.hh_jahr),
                "folgejahr": betrag(folgejahr) if folgejahr is not None else "–",
            })
        deckung = [
            {"produkt": d.produkt, "bezeichnung": haushalt[(d.produkt, d.sachkonto)].bezeichnung,
             "sachkonto": d.sachkonto, "betrag": betrag(d.betrag)}
            for d in fa.deckungsvorschlag
        ]
        return self.kopf(name, doc, daten) | {
            "sachverhalt": blocks(doc.sachverhalt),
            "zeitplan": zeitplan(doc),
            "budget": blocks(doc.budget),
            "schluss": blocks(doc.schluss),
            "fa": {
                "finanzmittel": ankreuzen(bool(posten)),
                "posten": posten,
                "ausserplanmaessig": ankreuzen(bool(deckung)),
                "deckung": deckung,
                "folgekosten_noetig": ankreuzen(bool(fa.folgekosten)),
                "folgekosten": [{"aufwandsart": f.aufwandsart, "betrag": betrag(f.betrag_pro_jahr)}
                                for f in fa.folgekosten],
                "erloese_noetig": ankreuzen(bool(fa.erloese)),
                "erloese": [{"art": e.art, "betrag": betrag(e.betrag)} for e in fa.erloese],
                "erlaeuterung": lines(fa.erlaeuterung),
                "sonstige_anmerkungen": lines(fa.sonstige_anmerkungen),
            },
        }

    def oparl_extras(self, name: str, doc: Beschlussvorlage, daten: Daten) -> dict[str, Any]:
        fa = doc.finanzielle_auswirkungen
        lines_of = {(p.produkt, p.sachkonto): p
                    for p in (daten.haushalt.posten if daten.haushalt else [])}
        return {"finanzielleAuswirkungen": {
            "finanzmittelNotwendig": bool(fa.posten),
            "posten": [{"produkt": r.produkt, "sachkonto": r.sachkonto, "hhJahr": r.hh_jahr,
                        "bezeichnung": lines_of[(r.produkt, r.sachkonto)].bezeichnung,
                        "betrag": str(lines_of[(r.produkt, r.sachkonto)].ansaetze[r.hh_jahr])}
                       for r in fa.posten],
            "ausserplanmaessig": bool(fa.deckungsvorschlag),
            "folgekosten": bool(fa.folgekosten),
            "erloese": bool(fa.erloese),
        }}


def zeitplan(doc: Beschlussvorlage) -> dict[str, Any] | None:
    """The Zeitplan as rows of three columns: a row of periods over a row of steps."""
    if doc.zeitplan is None:
        return None
    steps = doc.zeitplan.schritte
    rows = []
    for start in range(0, len(steps), ZEITPLAN_SPALTEN):
        chunk = steps[start:start + ZEITPLAN_SPALTEN]
        padding = [""] * (ZEITPLAN_SPALTEN - len(chunk))
        rows.append({"zeitraeume": [s.zeitraum for s in chunk] + padding,
                     "schritte": [s.schritt for s in chunk] + padding})
    return {"einleitung": lines(doc.zeitplan.einleitung), "reihen": rows}

