"""Context stage: models → the plain dicts and lists that the .docx templates see."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from .kategorien import KATEGORIEN, Kategorie
from .load import Daten
from .model import (
    OEFFENTLICHKEIT,
    VERFAHRENSGANG,
    Arbeitsgruppen,
    Beschlussvorlage,
    Block,
    Empfehlungen,
    Katalog,
    Massnahme,
    Pressetext,
    Sitzungsvorlage,
    Ueberschrift,
    VorlageBasis,
    Zwischenbericht,
    einsetzen,
)

LOCALE = "de_DE"
ANKREUZEN = ("☒", "☐")  # checked, unchecked
ZEITPLAN_SPALTEN = 3


@dataclass(frozen=True)
class Bild:
    """A picture for the template; the render stage turns it into an InlineImage."""

    png: bytes
    breite_mm: float


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


def betrag(value: Decimal) -> str:
    """5.000 for whole euros, 5.000,50 otherwise (as the city's form writes them)."""
    pattern = "#,##0" if value == value.to_integral_value() else "#,##0.00"
    return format_decimal(value, format=pattern, locale=LOCALE)


def ankreuzen(ja: bool) -> dict[str, str]:
    checked, unchecked = ANKREUZEN
    return {"ja": checked if ja else unchecked, "nein": unchecked if ja else checked}


# --- shared parts ------------------------------------------------------------------------------


def blocks(items: list[Block]) -> list[dict[str, Any]]:
    return [
        {"absatz": b.absatz, "liste": b.liste or [], "strich": b.zeichen == "strich"}
        for b in items
    ]


def lines(text: str) -> list[str]:
    return text.split("\n") if text else []


def kopf(vorlage: VorlageBasis, daten: Daten) -> dict[str, Any]:
    """The header every paper shares: Körperschaft, Beratungsfolge, Betreff, signature."""
    k = daten.stile[vorlage.stil]
    return {
        "koerperschaft": koerperschaft(k),
        "drucksache": vorlage.drucksache,
        "betreff": vorlage.betreff,
        "beratungsfolge": [
            {
                "gremium": k.gremien[b.gremium],
                "kuerzel": b.gremium,
                "datum": datum(b.sitzungsdatum),
                "oeffentlichkeit": b.oeffentlichkeit,
                "beschlussart": b.beschlussart,
            }
            for b in vorlage.beratungsfolge
        ],
        "beschlussvorschlag": lines(vorlage.beschlussvorschlag),
        "unterzeichner": unterzeichner(vorlage, k),
        "anlagen": [anlage_titel(a, daten) for a in vorlage.anlagen] or ["Keine"],
    }


def unterzeichner(vorlage, stil) -> dict[str, str]:
    """Name and function; the function defaults to the head of the house style."""
    return {"name": vorlage.unterzeichner.name,
            "funktion": vorlage.unterzeichner.funktion or stil.oberhaupt}


def kreuz(ja: bool) -> str:
    return ANKREUZEN[0] if ja else ANKREUZEN[1]


def koerperschaft(stil) -> dict[str, str]:
    """The body a house style writes for, as the header shows it."""
    return {"name": stil.name, "amt": stil.amt, "dienststelle": stil.dienststelle,
            "oberhaupt": stil.oberhaupt}


def anlage_titel(anlage, daten: Daten) -> str:
    if anlage.titel.strip():
        return anlage.titel
    if anlage.dokument == "massnahmenkatalog" and daten.katalog:
        return f"{daten.katalog.titel} (Stand {datum(daten.katalog.stand)})"
    return daten.vorlagen[anlage.dokument].betreff


def first_date(vorlage: VorlageBasis) -> dt.date | None:
    return next((b.sitzungsdatum for b in vorlage.beratungsfolge if b.sitzungsdatum), None)


# --- Beschlussvorlage --------------------------------------------------------------------------


def beschlussvorlage(vorlage: Beschlussvorlage, daten: Daten) -> dict[str, Any]:
    fa = vorlage.finanzielle_auswirkungen
    haushalt = {(p.produkt, p.sachkonto): p for p in (daten.haushalt.posten if daten.haushalt else [])}
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
    context = kopf(vorlage, daten) | {
        "sachverhalt": blocks(vorlage.sachverhalt),
        "zeitplan": zeitplan(vorlage),
        "budget": blocks(vorlage.budget),
        "schluss": blocks(vorlage.schluss),
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
    return context


def zeitplan(vorlage: Beschlussvorlage) -> dict[str, Any] | None:
    """The Zeitplan as rows of three columns: a row of periods over a row of steps."""
    if vorlage.zeitplan is None:
        return None
    steps = vorlage.zeitplan.schritte
    rows = []
    for start in range(0, len(steps), ZEITPLAN_SPALTEN):
        chunk = steps[start:start + ZEITPLAN_SPALTEN]
        padding = [""] * (ZEITPLAN_SPALTEN - len(chunk))
        rows.append({"zeitraeume": [s.zeitraum for s in chunk] + padding,
                     "schritte": [s.schritt for s in chunk] + padding})
    return {"einleitung": lines(vorlage.zeitplan.einleitung), "reihen": rows}


# --- Maßnahmenkatalog --------------------------------------------------------------------------


def _zeile(text: str) -> dict[str, str]:
    if text.startswith("•"):
        art = "punkt"
    elif text.startswith("→"):
        art = "fortschritt"
    else:
        art = "absatz"
    return {"text": text, "art": art}


def massnahme(m: Massnahme) -> dict[str, Any]:
    kategorie = m.status_kategorie
    assert kategorie is not None  # guaranteed by validate.check_katalog
    return {
        "nr": str(m.nr),
        "zeilen": [_zeile(t) for t in m.text.split("\n")],
        "akteure": m.akteure,
        "status": m.status,
        "kategorie": KATEGORIEN[kategorie].bezeichnung,
        "farbe": KATEGORIEN[kategorie].farbe,
    }


def statistik(katalog: Katalog, stichtag: dt.date | None = None) -> dict[str, Any]:
    """Handlungsfeld × Kategorie counts with row and column totals, as of a Stichtag."""
    rows = []
    totals = dict.fromkeys(Kategorie, 0)
    for hf in katalog.handlungsfelder:
        counts = dict.fromkeys(Kategorie, 0)
        for z in hf.ziele:
            for m in z.massnahmen:
                counts[(m.am(stichtag) if stichtag else m).status_kategorie] += 1
        for k, n in counts.items():
            totals[k] += n
        rows.append({"name": hf.name, **{k.value: n for k, n in counts.items()},
                     "summe": sum(counts.values())})
    gesamt = {"name": "Summe", **{k.value: n for k, n in totals.items()},
              "summe": sum(totals.values())}
    return {"zeilen": rows, "gesamt": gesamt, "massnahmen": gesamt["summe"],
            "handlungsfelder": len(rows)}


def legende(katalog: Katalog) -> list[dict[str, str]]:
    counts = statistik(katalog)["gesamt"]
    return [{"bezeichnung": info.bezeichnung, "farbe": info.farbe, "anzahl": str(counts[k.value])}
            for k, info in KATEGORIEN.items()]


def katalog(daten: Daten) -> dict[str, Any]:
    kat = daten.katalog
    assert kat is not None
    return {
        "koerperschaft": koerperschaft(daten.stile[kat.stil]),
        "titel": kat.titel,
        "stand": datum(kat.stand),
        "legende": legende(kat),
        "handlungsfelder": [
            {
                "name": hf.name,
                "vision": hf.vision,
                "ziele": [{"ziel": z.ziel, "massnahmen": [massnahme(m) for m in z.massnahmen]}
                          for z in hf.ziele],
                "weitere_massnahmen": hf.weitere_massnahmen,
            }
            for hf in kat.handlungsfelder
        ],
        "schlussbemerkung": lines(kat.schlussbemerkung),
    }


# --- Zwischenbericht ---------------------------------------------------------------------------


def _kurz(m: Massnahme) -> dict[str, str]:
    return {"nr": str(m.nr), "text": m.text.split("\n")[0], "status": m.status}


def zwischenbericht(vorlage: Zwischenbericht, daten: Daten) -> dict[str, Any]:
    kat = daten.katalog
    assert kat is not None
    # Figures as of the Stichtag: status changes dated later are undone via the history.
    alle = [m.am(vorlage.stichtag) for m in kat.massnahmen()]
    stat = statistik(kat, vorlage.stichtag)
    return kopf(vorlage, daten) | {
        "stichtag": datum(vorlage.stichtag),
        "katalog": {"titel": kat.titel, "stand": datum(kat.stand)},
        "abschnitte": [{"ueberschrift": a.ueberschrift, "text": blocks(a.text)}
                       for a in vorlage.abschnitte],
        "statistik": stat,
        "kategorien": [{"schluessel": k.value, "bezeichnung": i.bezeichnung}
                       for k, i in KATEGORIEN.items()],
        "diagramm": Bild(balkendiagramm(stat), breite_mm=160),
        "aenderungen": aenderungen(vorlage, daten),
        "abgeschlossen": [_kurz(m) for m in alle if m.status_kategorie == Kategorie.ABGESCHLOSSEN],
        "nicht_begonnen": [_kurz(m) for m in alle if m.status_kategorie == Kategorie.OFFEN],
    }


def vorheriger_stichtag(vorlage: Zwischenbericht, daten: Daten) -> dt.date | None:
    """The Stichtag of the latest earlier Zwischenbericht in the data folder, if any."""
    earlier = [v.stichtag for v in daten.vorlagen.values()
               if isinstance(v, Zwischenbericht) and v.stichtag < vorlage.stichtag]
    return max(earlier, default=None)


def aenderungen(vorlage: Zwischenbericht, daten: Daten) -> dict[str, Any]:
    """Status changes after the previous report's Stichtag, up to and including this one's."""
    kat = daten.katalog
    assert kat is not None
    since = vorheriger_stichtag(vorlage, daten)
    rows = sorted(
        ((e.datum, m.nr, e) for m in kat.massnahmen() for e in m.verlauf
         if (since is None or e.datum > since) and e.datum <= vorlage.stichtag),
        key=lambda row: (row[0], row[1]),
    )
    return {
        "seit": datum(since) if since else "",
        "zeilen": [{"datum": datum(when), "nr": str(nr), "alt": e.alter_status,
                    "neu": e.neuer_status, "notiz": e.notiz} for when, nr, e in rows],
    }


def balkendiagramm(stat: dict[str, Any]) -> bytes:
    """A stacked bar chart of Handlungsfeld × Kategorie, as PNG bytes (deterministic)."""
    import matplotlib  # imported lazily: it costs half a second at start-up

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure

    rows = stat["zeilen"]
    names = [_umbruch(r["name"]) for r in rows][::-1]
    with plt.rc_context({"font.family": "sans-serif",
                         "font.sans-serif": ["Liberation Sans", "Arial", "DejaVu Sans"],
                         "font.size": 8, "svg.hashsalt": "ratsdoc"}):
        fig = Figure(figsize=(6.3, 3.8), dpi=200)
        ax = fig.add_subplot()
        left = [0] * len(rows)
        for kategorie, info in KATEGORIEN.items():
            values = [r[kategorie.value] for r in rows][::-1]
            ax.barh(names, values, left=left, color=f"#{info.farbe}", edgecolor="#404040",
                    linewidth=0.5, label=info.bezeichnung)
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_xlabel("Anzahl Maßnahmen")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(loc="upper center", bbox_to_anchor=(0.4, -0.16), ncol=3, frameon=False,
                  fontsize=7)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def _umbruch(name: str, width: int = 28) -> str:
    """Wrap long Handlungsfeld names onto two lines for the chart's axis."""
    if len(name) <= width:
        return name
    words, first = name.split(), ""
    while words and len(first) + len(words[0]) < width:
        first += (" " if first else "") + words.pop(0)
    return first + "\n" + " ".join(words)


# --- documents ---------------------------------------------------------------------------------


# --- Sitzungsvorlage (Landkreis Esslingen) and Empfehlungen (Landkreis Böblingen) -------------


def sitzungsvorlage(vorlage: Sitzungsvorlage, daten: Daten) -> dict[str, Any]:
    stil = daten.stile[vorlage.stil]
    termine = {b.gremium: b.sitzungsdatum for b in vorlage.beratungsfolge}
    return {
        "koerperschaft": koerperschaft(stil),
        "nummer": vorlage.nummer,
        "datum": format_date(vorlage.datum, "d. MMMM yyyy", locale=LOCALE),
        "adressaten": vorlage.adressaten,
        "oeffentlichkeit": [{"kreuz": kreuz(vorlage.oeffentlichkeit == o),
                             "text": o[:1].upper() + o[1:]} for o in OEFFENTLICHKEIT],
        "gremien": [{"kreuz": kreuz(k in termine), "kuerzel": k,
                     "datum": datum(termine[k]) if termine.get(k) else ""}
                    for k in stil.gremien],
        "betreff": vorlage.betreff,
        "anlagen": str(vorlage.anlagen),
        "verfahrensgang": [{"kreuz": kreuz(vorlage.verfahrensgang == o), "text": o}
                           for o in VERFAHRENSGANG],
        "beschlussantrag": vorlage.beschlussantrag,
        "auswirkungen_haushalt": lines(vorlage.auswirkungen_haushalt),
        "sachdarstellung": [{"ueberschrift": b.ueberschrift, "absatz": None}
                            if isinstance(b, Ueberschrift) else {"ueberschrift": None, "absatz": b}
                            for b in vorlage.sachdarstellung],
        "unterzeichner": unterzeichner(vorlage, stil),
    }


def empfehlungen(vorlage: Empfehlungen, daten: Daten) -> dict[str, Any]:
    return {
        "koerperschaft": koerperschaft(daten.stile[vorlage.stil]),
        "kennzeichnung": vorlage.kennzeichnung,
        "titel": vorlage.titel,
        "untertitel": vorlage.untertitel,
        "einleitung": [
            {"absatz": None, "arbeitsgruppen": [{"nr": str(a.nr), "thema": a.thema}
                                                for a in b.arbeitsgruppen]}
            if isinstance(b, Arbeitsgruppen) else {"absatz": b, "arbeitsgruppen": []}
            for b in vorlage.einleitung
        ],
        "empfehlungen": [{"text": e.text, "punkte": e.punkte} for e in vorlage.empfehlungen],
    }


def pressetext(vorlage: Pressetext, daten: Daten) -> dict[str, Any]:
    def fill(text: str) -> str:
        return einsetzen(text, vorlage.fakten)

    return {
        "koerperschaft": koerperschaft(daten.stile[vorlage.stil]),
        "titel": vorlage.titel,
        "datum": datum(vorlage.datum) if vorlage.datum else "",
        "vorspann": fill(vorlage.vorspann),
        "hinweise": vorlage.hinweise,
        "absaetze": [fill(a) for a in vorlage.absaetze],
        "kontaktzeile": fill(vorlage.kontaktzeile),
    }


def dokumentinfo(name: str, daten: Daten) -> Dokumentinfo:
    k = daten.stil_of(name)
    autor = ", ".join(part for part in (k.name, k.amt, k.dienststelle) if part)
    if name == "massnahmenkatalog":
        kat = daten.katalog
        assert kat is not None
        return Dokumentinfo(kat.titel, f"Stand {datum(kat.stand)}", autor, kat.stand,
                            "Maßnahmenkatalog")
    vorlage = daten.vorlagen[name]
    if isinstance(vorlage, Zwischenbericht):
        return Dokumentinfo(vorlage.betreff, vorlage.betreff, autor, vorlage.stichtag,
                            "Informationsvorlage; Zwischenbericht")
    if isinstance(vorlage, Sitzungsvorlage):
        return Dokumentinfo(vorlage.betreff, f"Sitzungsvorlage Nr. {vorlage.nummer}", autor,
                            vorlage.datum, "Sitzungsvorlage")
    if isinstance(vorlage, Pressetext):
        return Dokumentinfo(vorlage.titel, vorlage.titel, autor, vorlage.datum, "Pressetext")
    if isinstance(vorlage, Empfehlungen):
        return Dokumentinfo(vorlage.titel, vorlage.kennzeichnung, autor, vorlage.datum,
                            "Empfehlungen; Anlage")
    when = first_date(vorlage) or (daten.katalog.stand if daten.katalog else dt.date(2000, 1, 1))
    return Dokumentinfo(vorlage.betreff, vorlage.betreff, autor, when, "Beschlussvorlage")


def build_context(name: str, daten: Daten) -> dict[str, Any]:
    if name == "massnahmenkatalog":
        return katalog(daten)
    vorlage = daten.vorlagen[name]
    builders = {"beschlussvorlage": beschlussvorlage, "zwischenbericht": zwischenbericht,
                "sitzungsvorlage": sitzungsvorlage, "empfehlungen": empfehlungen,
                "pressetext": pressetext}
    return builders[vorlage.art](vorlage, daten)
