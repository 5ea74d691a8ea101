"""The registry of paper kinds.

Each kind (Beschlussvorlage, Zwischenbericht, Maßnahmenkatalog, …) is one module of this package
with one `Kind` subclass: its model, its template, its context builder, its checks, the documents
it depends on, its title as an Anlage and its OParl paper type. The rest of ratsdoc asks the
registry and never which kind a document is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel

from ..context import Dokumentinfo, autor
from ..errors import Problem

if TYPE_CHECKING:
    from ..load import Daten, Quelle
    from ..model import Anlage


# An entry of a comparison: its heading, and its fields by German name.
Vergleichseintrag = tuple[str, dict[str, str]]


class Kind:
    """One kind of document. Subclasses set the class attributes and override what differs."""

    art: ClassVar[str]  # the value of `art:` in the data file
    bezeichnung: ClassVar[str]  # German name shown to users
    model: ClassVar[type[BaseModel]]
    # A kind kept in one fixed file of the data folder (the catalogue), instead of vorlagen/*.yaml.
    datei: ClassVar[str | None] = None
    oparl_typ: ClassVar[str | None] = None  # OParl paperType; None: not a Paper of its own
    # Placeholders a usable template of this kind must contain.
    pflicht_platzhalter: ClassVar[tuple[str, ...]] = ()
    # Placeholder → German description; `ratsdoc vorlagen felder` lists them with example values.
    felder: ClassVar[dict[str, str]] = {}
    # Further files of the house style this kind renders besides its .docx (e.g. HTML).
    weitere_vorlagen: ClassVar[tuple[str, ...]] = ()
    # Text fields a form may edit (data key → German label); lists of paragraphs included.
    bearbeitbar: ClassVar[dict[str, str]] = {}

    @property
    def template_name(self) -> str:
        return f"{self.art}.docx"

    def context(self, name: str, doc: Any, daten: Daten) -> dict[str, Any]:
        raise NotImplementedError

    def info(self, name: str, doc: Any, daten: Daten) -> Dokumentinfo:
        """What goes into the document's core properties (title, subject, date)."""
        raise NotImplementedError

    def anlage_titel(self, name: str, doc: Any, daten: Daten) -> str:
        """The title under which another paper lists this document as its Anlage."""
        return self.info(name, doc, daten).titel

    def anlagen(self, doc: Any) -> list[Anlage]:
        """The Anlagen this document lists."""
        return []

    def beratungsfolge(self, doc: Any) -> list[Any]:
        """The committees this document passes through (each with gremium, sitzungsdatum)."""
        return []

    def checks(self, name: str, doc: Any, daten: Daten, quelle: Quelle) -> list[Problem]:
        """Checks across fields and files that the model alone cannot express."""
        return []

    def braucht(self, name: str, doc: Any, daten: Daten) -> list[str]:
        """Other documents whose content this one shows, besides its Anlagen' titles."""
        return []

    def daten_dateien(self, doc: Any, daten: Daten) -> list[Path]:
        """Shared data files (not documents) this one reads, e.g. the Haushalt."""
        return []

    def aktenzeichen(self, name: str, doc: Any) -> str:
        """The paper's official number (Drucksache), or its name."""
        return getattr(doc, "drucksache", "") or name

    def oparl_extras(self, name: str, doc: Any, daten: Daten) -> dict[str, Any]:
        """Vendor extensions of the OParl Paper (keys without the prefix)."""
        return {}

    def nichtoeffentlich(self, doc: Any) -> bool:
        """Whether the paper is discussed behind closed doors (in any of its Beratungen)."""
        return any(getattr(b, "oeffentlichkeit", "öffentlich") != "öffentlich"
                   for b in self.beratungsfolge(doc))

    def stichtag(self, doc: Any) -> dt.date | None:
        """The date as of which this paper and its Anlagen show the world, if it has one."""
        return None

    def am(self, doc: Any, stichtag: dt.date) -> Any:
        """This document as it stood on a date (only what keeps a history changes)."""
        return doc

    def weitere_ausgaben(self, name: str, doc: Any, daten: Daten,
                         templates: Path) -> dict[str, bytes]:
        """Further outputs beside the .docx, by file suffix (e.g. the Pressetext's HTML)."""
        return {}

    def vergleichseintraege(self, snapshot: dict[str, Any]) -> dict[str, Vergleichseintrag] | None:
        """For `archiv vergleich`: the entries of an archived data snapshot by key, each with a
        heading and its fields (name → text); None when this kind is not compared."""
        return None


class VorlageMitKopf(Kind):
    """A paper with Betreff, Beratungsfolge, Beschlussvorschlag, signature and Anlagen."""

    pflicht_platzhalter = ("betreff",)

    def anlagen(self, doc: Any) -> list[Anlage]:
        return list(doc.anlagen)

    def beratungsfolge(self, doc: Any) -> list[Any]:
        return list(doc.beratungsfolge)

    def anlage_titel(self, name: str, doc: Any, daten: Daten) -> str:
        return str(doc.betreff)

    def kopf(self, name: str, doc: Any, daten: Daten) -> dict[str, Any]:
        from ..context import kopf

        return kopf(doc, daten, [anlage_titel(a, daten) for a in doc.anlagen]) | {
            "neufassung": neufassung(name, daten),
            "nichtoeffentlich": NICHTOEFFENTLICH if self.nichtoeffentlich(doc) else ""}


REGISTRY: dict[str, Kind] = {}


def register(cls: type[Kind]) -> type[Kind]:
    REGISTRY[cls.art] = cls()
    return cls


def kind_of(doc: Any) -> Kind:
    """The kind of a loaded document (every model has an `art` field)."""
    return REGISTRY[doc.art]


def kinds() -> dict[str, Kind]:
    _load_kinds()
    return REGISTRY


def _load_kinds() -> None:
    # Importing the modules registers their kinds.
    from . import (  # noqa: F401
        beschlussvorlage,
        empfehlungen,
        massnahmenkatalog,
        pressetext,
        sitzungsvorlage,
        zwischenbericht,
    )



# --- what the other stages ask ----------------------------------------------------------------


def build_context(name: str, daten: Daten) -> dict[str, Any]:
    doc = daten.dokumente[name]
    return kind_of(doc).context(name, doc, daten)


def dokumentinfo(name: str, daten: Daten) -> Dokumentinfo:
    doc = daten.dokumente[name]
    return kind_of(doc).info(name, doc, daten)


def anlage_titel(anlage: Anlage, daten: Daten) -> str:
    if anlage.titel.strip():
        return anlage.titel
    if anlage.datei:
        return Path(anlage.datei).name
    assert anlage.dokument is not None
    doc = daten.dokumente[anlage.dokument]
    return kind_of(doc).anlage_titel(anlage.dokument, doc, daten)


def anlagen_of(name: str, daten: Daten) -> list[Anlage]:
    doc = daten.dokumente[name]
    return kind_of(doc).anlagen(doc)


def anlage_datei(anlage: Anlage, daten: Daten) -> Path:
    """The file of a file Anlage (validated to lie in the data folder)."""
    assert anlage.datei is not None
    return daten.ordner / anlage.datei


# The marker on every page of a paper discussed behind closed doors.
NICHTOEFFENTLICH = "NICHTÖFFENTLICH"


def neufassung(name: str, daten: Daten) -> str:
    """The visible marker of a paper's Neufassung after submission: „Neufassung“, „2. Neufassung“."""
    fassung = daten.fassungen.get(name, 1)
    return "" if fassung < 2 else ("Neufassung" if fassung == 2 else f"{fassung - 1}. Neufassung")


def as_of(daten: Daten, stichtag: dt.date | None) -> Daten:
    """The data folder as it stood on a date: every document as of then."""
    if stichtag is None:
        return daten
    return dataclasses.replace(daten, dokumente={
        name: kind_of(doc).am(doc, stichtag) for name, doc in daten.dokumente.items()})


def stichtag_of(name: str, daten: Daten) -> dt.date | None:
    doc = daten.dokumente[name]
    return kind_of(doc).stichtag(doc)


def template_for(name: str, daten: Daten, templates: Path) -> Path:
    """templates/docx/<stil>/<art>.docx"""
    doc = daten.dokumente[name]
    return templates / doc.stil / kind_of(doc).template_name


def info(titel: str, betreff: str, daten: Daten, doc: Any, datum: dt.date | None,
         schlagworte: str) -> Dokumentinfo:
    """Dokumentinfo with the author of the document's house style."""
    return Dokumentinfo(titel, betreff, autor(daten.stile[doc.stil]), datum, schlagworte)


_load_kinds()  # last: the kind modules import the names above
