"""Maßnahmenkatalog: the measures by Handlungsfeld and goal, with their status."""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING, Any, ClassVar

from ..context import KOERPERSCHAFT_FELDER, datum, koerperschaft, lines
from ..diagramm import Diagrammdaten
from ..kategorien import KATEGORIEN, Kategorie
from ..load import KATALOG_DATEI
from ..markup import Formatiert, zeilen
from ..model import Katalog, Massnahme
from . import Kind, Vergleichseintrag, info, register

if TYPE_CHECKING:
    from ..errors import Problem
    from ..load import Daten, Quelle


@register
class MassnahmenkatalogKind(Kind):
    art = "massnahmenkatalog"
    bezeichnung = "Maßnahmenkatalog"
    model = Katalog
    datei = KATALOG_DATEI
    pflicht_platzhalter = ("handlungsfelder",)
    felder: ClassVar[dict[str, str]] = KOERPERSCHAFT_FELDER | {
        "titel": "Titel des Katalogs",
        "stand": "Stand des Katalogs, TT.MM.JJJJ",
        "legende": "Die Statuskategorien mit Farbe und Anzahl (Schleife)",
        "legende[].bezeichnung": "Name der Kategorie, z. B. „Abgeschlossen“",
        "legende[].farbe": "Farbe der Kategorie (für {% cellbg %})",
        "legende[].anzahl": "Anzahl der Maßnahmen dieser Kategorie",
        "handlungsfelder": "Die Handlungsfelder (Schleife)",
        "handlungsfelder[].name": "Name des Handlungsfelds",
        "handlungsfelder[].vision": "Vision, je Eintrag ein Absatz (Schleife)",
        "handlungsfelder[].vision[]": "Ein Absatz der Vision",
        "handlungsfelder[].ziele": "Die Ziele des Handlungsfelds (Schleife)",
        "handlungsfelder[].ziele[].ziel": "Text des Ziels",
        "handlungsfelder[].ziele[].massnahmen": "Die Maßnahmen des Ziels (Schleife)",
        "handlungsfelder[].ziele[].massnahmen[].nr": "Nummer der Maßnahme",
        "handlungsfelder[].ziele[].massnahmen[].zeilen": "Zeilen des Maßnahmentexts (Schleife)",
        "handlungsfelder[].ziele[].massnahmen[].zeilen[].text": "Text einer Zeile",
        "handlungsfelder[].ziele[].massnahmen[].zeilen[].art":
            "„absatz“, „punkt“ (•) oder „fortschritt“ (→)",
        "handlungsfelder[].ziele[].massnahmen[].akteure": "Akteurinnen und Akteure",
        "handlungsfelder[].ziele[].massnahmen[].status": "Status der Umsetzung",
        "handlungsfelder[].ziele[].massnahmen[].kategorie": "Kategorie des Status",
        "handlungsfelder[].ziele[].massnahmen[].farbe": "Farbe der Kategorie",
        "handlungsfelder[].weitere_massnahmen": "Weitere Maßnahmen (Schleife)",
        "handlungsfelder[].weitere_massnahmen[]": "Eine weitere Maßnahme",
        "schlussbemerkung": "Schlussbemerkung, je Zeile ein Absatz",
        "schlussbemerkung[]": "Ein Absatz der Schlussbemerkung",
    }

    def info(self, name: str, doc: Katalog, daten: Daten):
        stand = doc.aktueller_stand
        return info(doc.titel, f"Stand {datum(stand)}", daten, doc, stand, "Maßnahmenkatalog")

    def anlage_titel(self, name: str, doc: Katalog, daten: Daten) -> str:
        return f"{doc.titel} (Stand {datum(doc.aktueller_stand)})"

    def am(self, doc: Katalog, stichtag: dt.date) -> Katalog:
        return doc.am(stichtag)

    def checks(self, name: str, doc: Katalog, daten: Daten, quelle: Quelle) -> list[Problem]:
        return check_katalog(doc, quelle)

    def context(self, name: str, doc: Katalog, daten: Daten) -> dict[str, Any]:
        return {
            "koerperschaft": koerperschaft(daten.stile[doc.stil]),
            "titel": doc.titel,
            "stand": datum(doc.aktueller_stand),
            "legende": legende(doc),
            "handlungsfelder": [
                {
                    "name": hf.name,
                    "vision": hf.vision,
                    "ziele": [{"ziel": z.ziel, "massnahmen": [massnahme(m) for m in z.massnahmen]}
                              for z in hf.ziele],
                    "weitere_massnahmen": hf.weitere_massnahmen,
                }
                for hf in doc.handlungsfelder
            ],
            "schlussbemerkung": lines(doc.schlussbemerkung),
        }

    def vergleichseintraege(self, snapshot: dict[str, Any]) -> dict[str, Vergleichseintrag]:
        """Every measure of a snapshot by number: its goal, text, Akteure and status."""
        entries = {}
        for hf in snapshot.get("handlungsfelder", []):
            for ziel in hf["ziele"]:
                for m in ziel["massnahmen"]:
                    label = f"Maßnahme {m['nr']}: {m['text'].split(chr(10))[0]}"
                    entries[str(m["nr"])] = (label, {
                        "Status": m["status"], "Text": m["text"], "Akteure": m["akteure"],
                        "Ziel": ziel["ziel"], "Handlungsfeld": hf["name"]})
        return entries


def check_katalog(katalog: Katalog, quelle: Quelle) -> list[Problem]:
    """Measure numbers unique and without gaps; every status has a category."""
    problems: list[Problem] = []
    first_seen: dict[int, tuple] = {}  # number → path of its first measure
    for h, hf in enumerate(katalog.handlungsfelder):
        for z, ziel in enumerate(hf.ziele):
            for m, measure in enumerate(ziel.massnahmen):
                path = ("handlungsfelder", h, "ziele", z, "massnahmen", m)
                if measure.nr in first_seen:
                    first_line = quelle.zeilen.of((*first_seen[measure.nr], "nr"))
                    problems.append(quelle.problem(
                        (*path, "nr"),
                        f"Nummer {measure.nr} ist doppelt vergeben (auch Zeile {first_line})",
                    ))
                else:
                    first_seen[measure.nr] = path
                if measure.status_kategorie is None:
                    erlaubt = ", ".join(KATEGORIEN)
                    problems.append(quelle.problem(
                        (*path, "status"),
                        f"Kategorie lässt sich aus „{measure.status}“ nicht ableiten; bitte "
                        f"„kategorie“ angeben ({erlaubt})",
                    ))
    if first_seen:
        missing = sorted(set(range(1, max(first_seen) + 1)) - set(first_seen))
        if missing:
            listed = ", ".join(map(str, missing[:10])) + (" …" if len(missing) > 10 else "")
            problems.append(quelle.problem(
                ("handlungsfelder",),
                f"Nummer(n) {listed} fehlen (Maßnahmen sind von 1 bis {max(first_seen)} "
                "lückenlos zu nummerieren)",
            ))
    return problems


def _zeile(text: str) -> dict[str, str]:
    if isinstance(text, Formatiert) and text.ist_block:
        art = "absatz"  # a heading, list or table in Markdown: its own paragraphs
    elif text.startswith("•"):
        art = "punkt"
    elif text.startswith("→"):
        art = "fortschritt"
    else:
        art = "absatz"
    return {"text": text, "art": art}


def massnahme(m: Massnahme) -> dict[str, Any]:
    kategorie = m.status_kategorie
    assert kategorie is not None  # guaranteed by check_katalog
    return {
        "nr": str(m.nr),
        "zeilen": [_zeile(t) for t in zeilen(m.text)],
        "akteure": m.akteure,
        "status": m.status,
        "kategorie": KATEGORIEN[kategorie].bezeichnung,
        "farbe": KATEGORIEN[kategorie].farbe,
    }


def statistik(katalog: Katalog) -> dict[str, Any]:
    """Handlungsfeld × Kategorie counts with row and column totals."""
    rows = []
    totals = dict.fromkeys(Kategorie, 0)
    for hf in katalog.handlungsfelder:
        counts = dict.fromkeys(Kategorie, 0)
        for z in hf.ziele:
            for m in z.massnahmen:
                kategorie = m.status_kategorie
                assert kategorie is not None  # guaranteed by check_katalog
                counts[kategorie] += 1
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
    return [{"bezeichnung": i.bezeichnung, "farbe": i.farbe, "anzahl": str(counts[k.value])}
            for k, i in KATEGORIEN.items()]


def diagrammdaten(stat: dict[str, Any]) -> Diagrammdaten:
    """The figures of the Word chart: one bar per Handlungsfeld, one segment per category."""
    rows = stat["zeilen"][::-1]  # a bar chart's first category is the bottom bar
    return Diagrammdaten([r["name"] for r in rows],
                         [(i.bezeichnung, [r[k.value] for r in rows]) for k, i in KATEGORIEN.items()])


def balkendiagramm(stat: dict[str, Any]) -> bytes:
    """A stacked bar chart of Handlungsfeld × Kategorie, as PNG bytes (deterministic)."""
    # Imported lazily, and without pyplot (a second of start-up): a Figure draws by itself.
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    rows = stat["zeilen"]
    names = [_umbruch(r["name"]) for r in rows][::-1]
    with matplotlib.rc_context({"hatch.linewidth": 0.6, "hatch.color": "#505050",
                         "font.family": "sans-serif",
                         "font.sans-serif": ["Liberation Sans", "Arial", "DejaVu Sans"],
                         "font.size": 8, "svg.hashsalt": "ratsdoc"}):
        fig = Figure(figsize=(6.3, 3.8), dpi=200)
        ax = fig.add_subplot()
        left = [0] * len(rows)
        for kategorie, kinfo in KATEGORIEN.items():
            values = [r[kategorie.value] for r in rows][::-1]
            # Colour and hatch: council papers are mostly printed in grey.
            ax.barh(names, values, left=left, color=f"#{kinfo.farbe}", edgecolor="#404040",
                    linewidth=0.5, hatch=kinfo.muster, label=kinfo.bezeichnung)
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_xlabel("Anzahl Maßnahmen")
        ax.xaxis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10],
                                               integer=True))
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
