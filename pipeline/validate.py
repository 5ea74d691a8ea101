"""Validate stage: checks across fields and files that a schema alone cannot express."""

from __future__ import annotations

from pathlib import Path

from .errors import DatenFehler, Problem, display_path
from .kategorien import KATEGORIEN
from .load import Daten, Quelle, load_folder
from .model import (
    Beschlussvorlage,
    Katalog,
    Pressetext,
    Zwischenbericht,
    anlagen_of,
    beratungsfolge_of,
    unbekannte_platzhalter,
)

KATALOG_NAME = "massnahmenkatalog"


def check_katalog(katalog: Katalog, quelle: Quelle) -> list[Problem]:
    """Measure numbers unique and without gaps; every status has a category."""
    problems: list[Problem] = []
    first_seen: dict[int, tuple] = {}  # number → path of its first measure
    for h, hf in enumerate(katalog.handlungsfelder):
        for z, ziel in enumerate(hf.ziele):
            for m, massnahme in enumerate(ziel.massnahmen):
                path = ("handlungsfelder", h, "ziele", z, "massnahmen", m)
                if massnahme.nr in first_seen:
                    first_line = quelle.zeilen.of((*first_seen[massnahme.nr], "nr"))
                    problems.append(quelle.problem(
                        (*path, "nr"),
                        f"Nummer {massnahme.nr} ist doppelt vergeben (auch Zeile {first_line})",
                    ))
                else:
                    first_seen[massnahme.nr] = path
                if massnahme.status_kategorie is None:
                    erlaubt = ", ".join(KATEGORIEN)
                    problems.append(quelle.problem(
                        (*path, "status"),
                        f"Kategorie lässt sich aus „{massnahme.status}“ nicht ableiten; bitte "
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


def check_vorlage(name: str, vorlage, daten: Daten) -> list[Problem]:
    """References of a paper: Gremien, budget lines and Anlagen must exist."""
    quelle = daten.quellen[name]
    problems: list[Problem] = []
    stil = daten.stile.get(vorlage.stil)
    gremien = stil.gremien if stil else {}
    for i, beratung in enumerate(beratungsfolge_of(vorlage)):
        if stil and beratung.gremium not in gremien:
            problems.append(quelle.problem(
                ("beratungsfolge", i, "gremium"),
                f"Gremium „{beratung.gremium}“ ist im Hausstil „{vorlage.stil}“ nicht "
                f"eingetragen; bekannt sind: {', '.join(gremien)}",
            ))
    for i, anlage in enumerate(anlagen_of(vorlage)):
        # A document whose file is invalid was reported already; do not report it twice.
        if anlage.dokument is None or anlage.dokument in daten.ungueltig:
            continue
        if anlage.dokument not in _document_names(daten):
            problems.append(quelle.problem(
                ("anlagen", i, "dokument"),
                f"Dokument „{anlage.dokument}“ gibt es nicht; bekannt sind: "
                f"{', '.join(sorted(_document_names(daten)))}",
            ))
    if isinstance(vorlage, Pressetext):
        for path, text in vorlage.texte():
            for name in unbekannte_platzhalter(text, vorlage.fakten):
                problems.append(quelle.problem(
                    path, f"Platzhalter {{{name}}} steht nicht unter „fakten“"))
    if isinstance(vorlage, Beschlussvorlage):
        if "haushalt.yaml" not in daten.ungueltig:
            problems += _check_budget_references(vorlage, quelle, daten)
    elif (isinstance(vorlage, Zwischenbericht) and daten.katalog is None
          and KATALOG_NAME not in daten.ungueltig):
        problems.append(quelle.problem(
            ("art",), f"ein Zwischenbericht braucht den Maßnahmenkatalog ({_katalog_file(daten)})"
        ))
    return problems


def _check_budget_references(vorlage: Beschlussvorlage, quelle: Quelle, daten: Daten):
    problems = []
    finanzen = vorlage.finanzielle_auswirkungen
    lines = {(p.produkt, p.sachkonto): p for p in (daten.haushalt.posten if daten.haushalt else [])}
    refs = [("posten", i, p) for i, p in enumerate(finanzen.posten)]
    refs += [("deckungsvorschlag", i, d) for i, d in enumerate(finanzen.deckungsvorschlag)]
    for key, i, ref in refs:
        path = ("finanzielle_auswirkungen", key, i)
        posten = lines.get((ref.produkt, ref.sachkonto))
        if posten is None:
            problems.append(quelle.problem(
                (*path, "produkt"),
                f"Produkt {ref.produkt} mit Sachkonto {ref.sachkonto} steht nicht im Haushalt "
                f"({_file(daten, 'haushalt.yaml')})",
            ))
        elif key == "posten" and ref.hh_jahr not in posten.ansaetze:
            years = ", ".join(map(str, sorted(posten.ansaetze)))
            problems.append(quelle.problem(
                (*path, "hh_jahr"),
                f"für HH-Jahr {ref.hh_jahr} ist bei Produkt {ref.produkt} / Sachkonto "
                f"{ref.sachkonto} kein Ansatz eingetragen (vorhanden: {years})",
            ))
    return problems


def _document_names(daten: Daten) -> set[str]:
    return set(daten.vorlagen) | ({KATALOG_NAME} if daten.katalog else set())


def _file(daten: Daten, filename: str) -> str:
    return display_path(daten.ordner / filename)


def _katalog_file(daten: Daten) -> str:
    return _file(daten, "massnahmenkatalog.yaml")


def check_stil(document, quelle: Quelle, daten: Daten) -> list[Problem]:
    if document.stil in daten.stile:
        return []
    known = ", ".join(sorted(daten.stile)) or "keine"
    return [quelle.problem(("stil",), f"Hausstil „{document.stil}“ gibt es nicht; vorhanden "
                                      f"sind: {known}")]


def load_and_validate(ordner: Path, vorlagen: Path) -> Daten:
    """Load a data folder and run every check; raise one DatenFehler with all problems."""
    daten, problems = load_folder(ordner, vorlagen)
    if daten is not None:
        for name, document in [(KATALOG_NAME, daten.katalog), *daten.vorlagen.items()]:
            if document is not None:
                problems += check_stil(document, daten.quellen[name], daten)
        if daten.katalog is not None:
            problems += check_katalog(daten.katalog, daten.quellen[KATALOG_NAME])
        if KATALOG_NAME in daten.vorlagen:
            problems.append(daten.quellen[KATALOG_NAME].problem(
                (), "der Name „massnahmenkatalog“ ist für den Katalog reserviert"
            ))
        for name, vorlage in daten.vorlagen.items():
            problems += check_vorlage(name, vorlage, daten)
    if problems:
        raise DatenFehler(problems)
    assert daten is not None
    return daten
