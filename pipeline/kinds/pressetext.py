"""Pressetext: a press or web text whose facts come from data, as .docx and HTML."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..context import KOERPERSCHAFT_FELDER, datum, koerperschaft
from ..markup import formatiert
from ..model import Pressetext, einsetzen, platzhalter_probleme
from . import Kind, info, kind_of, register

if TYPE_CHECKING:
    from pathlib import Path

    from ..errors import Problem
    from ..load import Daten, Quelle


@register
class PressetextKind(Kind):
    art = "pressetext"
    bezeichnung = "Pressetext"
    bearbeitbar: ClassVar[dict[str, str]] = {"titel": "Titel", "vorspann": "Vorspann", "absaetze": "Absätze"}
    model = Pressetext
    weitere_vorlagen = ("pressetext.html",)
    pflicht_platzhalter = ("titel",)
    felder: ClassVar[dict[str, str]] = KOERPERSCHAFT_FELDER | {
        "titel": "Überschrift",
        "datum": "Datum TT.MM.JJJJ oder leer",
        "vorspann": "Vorspann (fett), Fakten eingesetzt",
        "hinweise": "Hinweise „Hier können Sie …“ (Schleife)",
        "hinweise[]": "Ein Hinweis",
        "absaetze": "Absätze, Fakten eingesetzt (Schleife)",
        "absaetze[]": "Ein Absatz",
        "kontaktzeile": "Kontaktzeile am Ende",
    }

    def info(self, name: str, doc: Pressetext, daten: Daten):
        return info(doc.titel, doc.titel, daten, doc, doc.datum, "Pressetext")

    def checks(self, name: str, doc: Pressetext, daten: Daten, quelle: Quelle) -> list[Problem]:
        problems = [quelle.problem(path, meldung) for path, text in doc.texte()
                    for meldung in platzhalter_probleme(text, doc.fakten)]
        if doc.bezug is not None:
            paper = daten.dokumente.get(doc.bezug)
            if paper is None:
                problems.append(quelle.problem(("bezug",), f"Dokument „{doc.bezug}“ gibt es nicht"))
            elif kind_of(paper).nichtoeffentlich(paper):
                problems.append(quelle.problem(("bezug",), f"„{doc.bezug}“ ist nichtöffentlich; "
                                               "darüber gibt es keinen Pressetext"))
        return problems

    def context(self, name: str, doc: Pressetext, daten: Daten) -> dict[str, Any]:
        def fill(text: str) -> str:
            return einsetzen(text, doc.fakten)

        return {
            "koerperschaft": koerperschaft(daten.stile[doc.stil]),
            "titel": doc.titel,
            "datum": datum(doc.datum) if doc.datum else "",
            "vorspann": formatiert(fill(doc.vorspann)),
            "hinweise": doc.hinweise,
            "absaetze": [formatiert(fill(a)) for a in doc.absaetze],
            "kontaktzeile": fill(doc.kontaktzeile),
        }

    def weitere_ausgaben(self, name: str, doc: Pressetext, daten: Daten,
                         templates: Path) -> dict[str, bytes]:
        """The web version beside the .docx, from the same context."""
        from ..render import render_html

        html = templates / doc.stil / self.weitere_vorlagen[0]
        return {".html": render_html(html, self.context(name, doc, daten))}
