"""Zwischenbericht: an Informationsvorlage on the catalogue, with its figures as of a Stichtag."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from ..context import KOPF_FELDER, Bild, block_felder, blocks, datum
from ..errors import display_path
from ..kategorien import KATEGORIEN, Kategorie
from ..load import KATALOG_DATEI
from ..markup import formatiert_inline
from ..model import Massnahme, Zwischenbericht
from . import VorlageMitKopf, as_of, info, register
from .massnahmenkatalog import balkendiagramm, diagrammdaten, statistik

if TYPE_CHECKING:
    from ..errors import Problem
    from ..load import Daten, Quelle


@register
class ZwischenberichtKind(VorlageMitKopf):
    art = "zwischenbericht"
    bezeichnung = "Zwischenbericht"
    bearbeitbar: ClassVar[dict[str, str]] = {"betreff": "Betreff", "beschlussvorschlag": "Beschlussvorschlag"}
    model = Zwischenbericht
    oparl_typ = "Informationsvorlage"
    felder: ClassVar[dict[str, str]] = KOPF_FELDER | {
        "stichtag": "Stichtag des Berichts, TT.MM.JJJJ",
        "katalog": "Der Maßnahmenkatalog, über den berichtet wird",
        "katalog.titel": "Titel des Katalogs",
        "katalog.stand": "Stand des Katalogs",
        "abschnitte": "Abschnitte des Berichts (Schleife)",
        "abschnitte[].ueberschrift": "Überschrift des Abschnitts",
    } | block_felder("abschnitte[].text", "Text des Abschnitts (Schleife)") | {
        "statistik": "Zahlen Handlungsfeld × Kategorie zum Stichtag",
        "statistik.zeilen": "Eine Zeile je Handlungsfeld (Schleife)",
        "statistik.zeilen[].name": "Name des Handlungsfelds",
        **{f"statistik.zeilen[].{k.value}": f"Anzahl „{i.bezeichnung}“"
           for k, i in KATEGORIEN.items()},
        "statistik.zeilen[].summe": "Anzahl aller Maßnahmen des Handlungsfelds",
        "statistik.gesamt": "Die Summenzeile",
        "statistik.gesamt.name": "„Summe“",
        **{f"statistik.gesamt.{k.value}": f"Anzahl „{i.bezeichnung}“ insgesamt"
           for k, i in KATEGORIEN.items()},
        "statistik.gesamt.summe": "Anzahl aller Maßnahmen",
        "statistik.massnahmen": "Anzahl aller Maßnahmen",
        "statistik.handlungsfelder": "Anzahl der Handlungsfelder",
        "kategorien": "Die Statuskategorien (Schleife)",
        "kategorien[].schluessel": "Schlüssel der Kategorie, z. B. „abgeschlossen“",
        "kategorien[].bezeichnung": "Name der Kategorie",
        "diagramm": "Balkendiagramm Handlungsfeld × Kategorie: ein Word-Diagramm namens "
                    "„diagramm“ (gestapelte Balken, eine Datenreihe je Kategorie) erhält die "
                    "Zahlen; {{ diagramm }} setzt es stattdessen als Bild ein",
        "aenderungen": "Statusänderungen seit dem letzten Bericht",
        "aenderungen.seit": "Stichtag des letzten Berichts (leer beim ersten)",
        "aenderungen.zeilen": "Die Änderungen (Schleife)",
        "aenderungen.zeilen[].datum": "Datum der Änderung",
        "aenderungen.zeilen[].nr": "Nummer der Maßnahme",
        "aenderungen.zeilen[].alt": "Status vorher",
        "aenderungen.zeilen[].neu": "Status nachher",
        "aenderungen.zeilen[].notiz": "Notiz zur Änderung",
        "abgeschlossen": "Abgeschlossene Maßnahmen zum Stichtag (Schleife)",
        "abgeschlossen[].nr": "Nummer",
        "abgeschlossen[].text": "Erste Zeile des Maßnahmentexts",
        "abgeschlossen[].status": "Status",
        "nicht_begonnen": "Noch nicht umgesetzte Maßnahmen zum Stichtag (Schleife)",
        "nicht_begonnen[].nr": "Nummer",
        "nicht_begonnen[].text": "Erste Zeile des Maßnahmentexts",
        "nicht_begonnen[].status": "Status",
    }

    def info(self, name: str, doc: Zwischenbericht, daten: Daten):
        return info(doc.betreff, doc.betreff, daten, doc, doc.stichtag,
                    "Informationsvorlage; Zwischenbericht")

    def stichtag(self, doc: Zwischenbericht) -> dt.date:
        return doc.stichtag

    def braucht(self, name: str, doc: Zwischenbericht, daten: Daten) -> list[str]:
        # The catalogue's figures, and the Stichtag of the previous report.
        return [n for n, d in daten.dokumente.items()
                if n != name and d.art in ("massnahmenkatalog", self.art)]

    def checks(self, name: str, doc: Zwischenbericht, daten: Daten, quelle: Quelle) -> list[Problem]:
        if daten.katalog is None and "massnahmenkatalog" not in daten.ungueltig:
            return [quelle.problem(("art",), "ein Zwischenbericht braucht den Maßnahmenkatalog "
                                   f"({display_path(daten.ordner / KATALOG_DATEI)})")]
        return []

    def context(self, name: str, doc: Zwischenbericht, daten: Daten) -> dict[str, Any]:
        # Everything as of the Stichtag: later measures left out, later changes undone.
        daten = as_of(daten, doc.stichtag)
        kat = daten.katalog
        assert kat is not None  # checked
        alle = kat.massnahmen()
        stat = statistik(kat)
        return self.kopf(name, doc, daten) | {
            "stichtag": datum(doc.stichtag),
            "katalog": {"titel": kat.titel, "stand": datum(kat.aktueller_stand)},
            "abschnitte": [{"ueberschrift": a.ueberschrift, "text": blocks(a.text)}
                           for a in doc.abschnitte],
            "statistik": stat,
            "kategorien": [{"schluessel": k.value, "bezeichnung": i.bezeichnung}
                           for k, i in KATEGORIEN.items()],
            "diagramm": Bild(lambda: balkendiagramm(stat), breite_mm=160,
                             daten=diagrammdaten(stat)),
            "aenderungen": aenderungen(doc, daten),
            "abgeschlossen": [_kurz(m) for m in alle
                              if m.status_kategorie == Kategorie.ABGESCHLOSSEN],
            "nicht_begonnen": [_kurz(m) for m in alle if m.status_kategorie == Kategorie.OFFEN],
        }

    def oparl_extras(self, name: str, doc: Zwischenbericht, daten: Daten) -> dict[str, Any]:
        kat = as_of(daten, doc.stichtag).katalog
        if kat is None:
            return {}
        stat = statistik(kat)
        return {"massnahmenStatus": {
            "stichtag": doc.stichtag.isoformat(),
            "gesamt": {k: v for k, v in stat["gesamt"].items() if k != "name"},
            "handlungsfelder": stat["zeilen"],
        }}


def _kurz(m: Massnahme) -> dict[str, str]:
    return {"nr": str(m.nr), "text": formatiert_inline(m.text.split("\n")[0]), "status": m.status}


def vorheriger_stichtag(doc: Zwischenbericht, daten: Daten) -> dt.date | None:
    """The Stichtag of the latest earlier Zwischenbericht in the data folder, if any."""
    earlier = [d.stichtag for d in daten.dokumente.values()
               if isinstance(d, Zwischenbericht) and d.stichtag < doc.stichtag]
    return max(earlier, default=None)


def aenderungen(doc: Zwischenbericht, daten: Daten) -> dict[str, Any]:
    """Status changes after the previous report's Stichtag, up to and including this one's."""
    kat = daten.katalog
    assert kat is not None
    since = vorheriger_stichtag(doc, daten)
    rows = sorted(
        ((e.datum, m.nr, e) for m in kat.massnahmen() for e in m.verlauf
         if (since is None or e.datum > since) and e.datum <= doc.stichtag),
        key=lambda row: (row[0], row[1]),
    )
    return {
        "seit": datum(since) if since else "",
        "zeilen": [{"datum": datum(when), "nr": str(nr), "alt": e.alter_status,
                    "neu": e.neuer_status, "notiz": e.notiz} for when, nr, e in rows],
    }
