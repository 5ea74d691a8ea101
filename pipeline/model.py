"""Pydantic models of the data files: catalogue, budget, Körperschaft and the papers."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

from babel.numbers import NumberFormatError, format_decimal, parse_decimal
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .kategorien import Kategorie, kategorie_aus_status

# Longest text accepted in one field. docxtpl silently truncates values of about 10 MB, and a
# table cell of 100,000 characters is already some 30 pages.
MAX_TEXT_LENGTH = 100_000

# Characters XML 1.0 forbids (docxtpl would drop them silently, or break headers).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _check_text(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    bad = _XML_ILLEGAL.search(value)
    if bad:
        raise PydanticCustomError(
            "xml_zeichen",
            "enthält das Steuerzeichen U+{code}, das in Word-Dokumenten nicht erlaubt ist "
            "(Stelle {pos})",
            {"code": f"{ord(bad.group()):04X}", "pos": bad.start() + 1},
        )
    if len(value) > MAX_TEXT_LENGTH:
        raise PydanticCustomError(
            "zu_lang",
            "ist {length} Zeichen lang; erlaubt sind höchstens {limit}",
            {"length": format_decimal(len(value), locale="de_DE"),
             "limit": format_decimal(MAX_TEXT_LENGTH, locale="de_DE")},
        )
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("leer", "darf nicht leer sein")
    return value


def wie_geschrieben(value: object) -> object:
    """A number read from YAML as the text it was written as; anything else unchanged.

    YAML reads an unquoted 314007 as a number; a Produkt, a Sachkonto or a Drucksachennummer is
    an identifier, and a text field may hold a year. The loader keeps the source text of numbers
    that Python would print otherwise (04271000, 5000.50), so nothing is lost or turned octal.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return getattr(value, "quelltext", None) or str(value)


def _yaml_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(wie_geschrieben(value))


def _ganze_zahl(value: object) -> object:
    """Whole numbers only: a boolean (true is 1 to Python) or a decimal number is refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]+\s*", value):
        return int(value)
    raise PydanticCustomError("ganze_zahl", "muss eine ganze Zahl sein, nicht „{wert}“",
                              {"wert": _yaml_text(value)})


def _german_date(value: object) -> object:
    """Accept TT.MM.JJJJ as clerks write it, besides ISO dates."""
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", value.strip()):
        day, month, year = (int(part) for part in value.strip().split("."))
        try:
            return dt.date(year, month, day)
        except ValueError as exc:
            raise PydanticCustomError(
                "datum", "„{value}“ ist kein gültiges Datum", {"value": value}
            ) from exc
    if isinstance(value, dt.datetime):
        return value.date()
    return value


# An amount as German writes it: 5000, 5.000, 5.000,50, -5000 (refused later as negative).
_DEUTSCHER_BETRAG = re.compile(r"[-+]?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?")
# 5.000 without quotes is the number 5 to YAML, but 5000 to a German reader.
_TAUSENDERPUNKTE = re.compile(r"[-+]?[0-9]{1,3}(?:\.[0-9]{3})+")


def _amount(value: object) -> object:
    """Amounts as numbers (5000, 5000.5) or German text ("5.000,00")."""
    if isinstance(value, bool):
        raise PydanticCustomError("betrag", "„{value}“ ist kein Betrag (Beispiel: 5000 oder "
                                  "5.000,00)", {"value": _yaml_text(value)})
    if isinstance(value, int | float):
        text = str(wie_geschrieben(value))
        if isinstance(value, float) and _TAUSENDERPUNKTE.fullmatch(text):
            raise PydanticCustomError(
                "betrag_mehrdeutig", "„{value}“ ist mehrdeutig (ohne Anführungszeichen liest YAML "
                "den Punkt als Dezimalpunkt); bitte {plain} oder „{german},00“ in Anführungszeichen "
                "schreiben", {"value": text, "plain": text.replace(".", ""), "german": text})
        try:
            amount = Decimal(text)
        except InvalidOperation:
            amount = Decimal(str(value))
        if not amount.is_finite():
            raise PydanticCustomError("betrag", "„{value}“ ist kein Betrag (Beispiel: 5000 oder "
                                      "5.000,00)", {"value": text})
        return abs(amount) if amount.is_zero() else amount  # -0 is 0
    if isinstance(value, str):
        text = value.strip().removesuffix("€").removesuffix("EUR").strip()
        try:
            if not _DEUTSCHER_BETRAG.fullmatch(text):  # babel (and Decimal) would take 1_000, 1e3
                raise NumberFormatError(text)
            return parse_decimal(text, locale="de_DE", strict=True)
        except (NumberFormatError, InvalidOperation) as exc:
            raise PydanticCustomError(
                "betrag", "„{value}“ ist kein Betrag (Beispiel: 5000 oder 5.000,00)",
                {"value": value},
            ) from exc
    return value


Text = Annotated[str, BeforeValidator(wie_geschrieben), AfterValidator(_check_text)]
Pflichttext = Annotated[str, BeforeValidator(wie_geschrieben), AfterValidator(_check_text),
                        AfterValidator(_not_blank)]
Code = Annotated[str, BeforeValidator(wie_geschrieben), Field(pattern=r"^[0-9A-Za-z./-]+$")]
Datum = Annotated[dt.date, BeforeValidator(_german_date)]
Betrag = Annotated[Decimal, BeforeValidator(_amount), Field(ge=0, max_digits=15, decimal_places=2)]
Jahr = Annotated[int, BeforeValidator(_ganze_zahl), Field(ge=1990, le=2100)]
# Of a measure or a working group. Capped: the gap check counts 1 … the highest number, and
# nr: 999999999999 made it allocate gigabytes.
MAX_NUMMER = 100_000
Nummer = Annotated[int, BeforeValidator(_ganze_zahl), Field(gt=0, le=MAX_NUMMER)]
Anzahl = Annotated[int, BeforeValidator(_ganze_zahl), Field(ge=0)]


def doppelt(nachricht: str, pfad: tuple, auch: tuple, **werte: object) -> PydanticCustomError:
    """An error at pfad (below the validated model) that also names the line of auch.

    pydantic reports a model validator's error at the model itself; the loader moves it to pfad
    and adds „(auch Zeile N)“ for auch (load.validate_model).
    """
    return PydanticCustomError("doppelt", nachricht, {**werte, "pfad": pfad, "auch": auch})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- Maßnahmenkatalog --------------------------------------------------------------------------


class Verlaufseintrag(Strict):
    """One status change of a measure."""

    datum: Datum
    alter_status: Pflichttext
    neuer_status: Pflichttext
    notiz: Text = ""
    fortschritt: Text = ""  # the progress note („→ …“) this change appended to the text
    erzwungen: bool = False  # taken over with --erzwingen despite an implausible date
    von: Text = ""  # who made the change (the web page's user); empty from the command line


class Massnahme(Strict):
    nr: Nummer
    text: Pflichttext
    akteure: Pflichttext
    status: Pflichttext
    kategorie: Kategorie | None = None  # overrides the inferred category
    seit: Datum | None = None  # when the measure was added to the catalogue (None: from the start)
    angelegt_von: Text = ""  # who added it (the web page's user); empty from the command line
    verlauf: list[Verlaufseintrag] = []

    @property
    def status_kategorie(self) -> Kategorie | None:
        return self.kategorie or kategorie_aus_status(self.status)

    def am(self, stichtag: dt.date) -> Massnahme:
        """The measure as it stood on a date: later status changes undone via the history."""
        later = [e for e in self.verlauf if e.datum > stichtag]
        if not later:
            return self
        first = min(later, key=lambda e: e.datum)
        status = first.alter_status
        kategorie = kategorie_aus_status(status) or self.status_kategorie
        text = self.text
        for entry in sorted(later, key=lambda e: e.datum, reverse=True):
            if entry.fortschritt and text.endswith(f"\n→{entry.fortschritt}"):
                text = text.removesuffix(f"\n→{entry.fortschritt}")
        return self.model_copy(update={
            "status": status, "kategorie": kategorie, "text": text,
            "verlauf": [e for e in self.verlauf if e.datum <= stichtag]})


class Ziel(Strict):
    ziel: Pflichttext
    massnahmen: list[Massnahme] = Field(min_length=1)


class Handlungsfeld(Strict):
    name: Pflichttext
    vision: list[Pflichttext] = Field(min_length=1)
    ziele: list[Ziel] = Field(min_length=1)
    weitere_massnahmen: list[Pflichttext] = []


class Katalog(Strict):
    stil: Code
    art: Literal["massnahmenkatalog"] = "massnahmenkatalog"
    titel: Pflichttext
    stand: Datum
    handlungsfelder: list[Handlungsfeld] = Field(min_length=1)
    schlussbemerkung: Text = ""

    def massnahmen(self) -> list[Massnahme]:
        return [m for hf in self.handlungsfelder for z in hf.ziele for m in z.massnahmen]

    @property
    def aktueller_stand(self) -> dt.date:
        """The date of the latest change the catalogue includes; `stand` is the earliest."""
        changes = [e.datum for m in self.massnahmen() for e in m.verlauf]
        changes += [m.seit for m in self.massnahmen() if m.seit]
        return max([self.stand, *changes])

    def am(self, stichtag: dt.date) -> Katalog:
        """The catalogue as it stood on a date: later measures left out, later changes undone."""
        fields = []
        for hf in self.handlungsfelder:
            ziele = []
            for z in hf.ziele:
                kept = [m.am(stichtag) for m in z.massnahmen if m.seit is None or m.seit <= stichtag]
                if kept:
                    ziele.append(z.model_copy(update={"massnahmen": kept}))
            if ziele:
                fields.append(hf.model_copy(update={"ziele": ziele}))
        earlier = self.model_copy(update={"handlungsfelder": fields,
                                          "stand": min(self.stand, stichtag)})
        return earlier.model_copy(update={"stand": earlier.aktueller_stand})


# --- Haushalt and Körperschaft -----------------------------------------------------------------


class Haushaltsposten(Strict):
    produkt: Code
    bezeichnung: Pflichttext
    sachkonto: Code
    ansaetze: dict[Jahr, Betrag] = Field(min_length=1)  # HH-Jahr → Betrag


class Haushalt(Strict):
    posten: list[Haushaltsposten] = Field(min_length=1)

    @model_validator(mode="after")
    def _each_line_once(self) -> Haushalt:
        # Twice with different amounts, the form „Finanzielle Auswirkungen“ would show one of them.
        first: dict[tuple[str, str], int] = {}
        for index, posten in enumerate(self.posten):
            key = (posten.produkt, posten.sachkonto)
            if key in first:
                raise doppelt("Produkt {produkt} mit Sachkonto {sachkonto} steht doppelt im "
                              "Haushalt", ("posten", index), ("posten", first[key]),
                              produkt=posten.produkt, sachkonto=posten.sachkonto)
            first[key] = index
        return self


class Stil(Strict):
    """A house style's settings (templates/docx/<stil>/stil.yaml): the body it writes for."""

    name: Pflichttext
    oberhaupt: Pflichttext  # Oberbürgermeister, Landrat, …
    amt: Text = ""
    dienststelle: Text = ""
    gremien: dict[Code, Pflichttext] = Field(min_length=1)  # Kürzel → Name


# --- Vorlagen ----------------------------------------------------------------------------------


class Beratung(Strict):
    gremium: Code
    sitzungsdatum: Datum | None = None  # None: "Termin folgt"
    oeffentlichkeit: Literal["öffentlich", "nichtöffentlich"]
    beschlussart: Literal["Vorberatung", "Entscheidung", "Kenntnisnahme"]


class Block(Strict):
    """One block of running text: a paragraph, or a bullet list."""

    absatz: Text | None = None
    liste: list[Pflichttext] | None = None
    zeichen: Literal["punkt", "strich"] = "punkt"

    @model_validator(mode="before")
    @classmethod
    def _paragraph_from_string(cls, value: object) -> object:
        return {"absatz": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _exactly_one(self) -> Block:
        if (self.absatz is None) == (self.liste is None):
            raise PydanticCustomError(
                "block", "braucht genau eines von „absatz“ (Text) oder „liste“ (Aufzählung)"
            )
        return self


class Zeitplanschritt(Strict):
    zeitraum: Pflichttext
    schritt: Pflichttext


class Zeitplan(Strict):
    einleitung: Text = ""
    schritte: list[Zeitplanschritt] = Field(min_length=1)


class Unterzeichner(Strict):
    name: Pflichttext
    funktion: Text = ""  # empty: the head of the house style (Oberbürgermeister, Landrat)


class PostenVerweis(Strict):
    """A budget line of the Haushalt, named by Produkt and Sachkonto, for one HH-Jahr."""

    produkt: Code
    sachkonto: Code
    hh_jahr: Jahr


class Deckung(Strict):
    produkt: Code
    sachkonto: Code
    betrag: Betrag


class Folgekosten(Strict):
    aufwandsart: Pflichttext
    betrag_pro_jahr: Betrag


class Erloes(Strict):
    art: Pflichttext
    betrag: Betrag


class FinanzielleAuswirkungen(Strict):
    posten: list[PostenVerweis] = []
    deckungsvorschlag: list[Deckung] = []
    folgekosten: list[Folgekosten] = []
    erloese: list[Erloes] = []
    erlaeuterung: Text = ""
    sonstige_anmerkungen: Text = ""


class Anlage(Strict):
    """An attachment: a document of this data folder, a file (PDF or docx) in the data folder,
    or only the title of something handed out otherwise."""

    titel: Text = ""
    dokument: Code | None = None
    datei: Text | None = None  # relative to the data folder, e.g. anlagen/lageplan.pdf

    @model_validator(mode="before")
    @classmethod
    def _title_from_string(cls, value: object) -> object:
        return {"titel": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _title_or_document(self) -> Anlage:
        if self.dokument is not None and self.datei is not None:
            raise PydanticCustomError("anlage", "braucht „dokument“ oder „datei“, nicht beides")
        if not self.titel.strip() and self.dokument is None and not self.datei:
            raise PydanticCustomError("anlage", "braucht „titel“, „dokument“ oder „datei“")
        return self


class VorlageBasis(Strict):
    stil: Code
    drucksache: Text = ""
    betreff: Pflichttext
    beratungsfolge: list[Beratung] = Field(min_length=1)
    beschlussvorschlag: Pflichttext
    unterzeichner: Unterzeichner
    anlagen: list[Anlage] = []


class Beschlussvorlage(VorlageBasis):
    art: Literal["beschlussvorlage"]
    sachverhalt: list[Block] = Field(min_length=1)
    zeitplan: Zeitplan | None = None
    budget: list[Block] = []
    schluss: list[Block] = []
    finanzielle_auswirkungen: FinanzielleAuswirkungen = FinanzielleAuswirkungen()


class Abschnitt(Strict):
    ueberschrift: Pflichttext
    text: list[Block] = Field(min_length=1)


class Zwischenbericht(VorlageBasis):
    art: Literal["zwischenbericht"]
    stichtag: Datum
    abschnitte: list[Abschnitt] = []


# --- Sitzungsvorlage (Landkreis Esslingen) ---------------------------------------------------

OEFFENTLICHKEIT = ("öffentlich", "nichtöffentlich",
                   "nichtöffentlich bis zum Abschluss der Vorberatung")
VERFAHRENSGANG = ("Einbringung zur späteren Beratung", "Vorberatung für den Kreistag",
                  "Abschließender Beschluss im Ausschuss")


class Ausschusstermin(Strict):
    gremium: Code
    sitzungsdatum: Datum | None = None


class Ueberschrift(Strict):
    ueberschrift: Pflichttext


# Tags of the unions below; they appear in pydantic's error locations only.
UNION_TAGS = ("Absatz", "Block", "Anzahl", "Liste")

# A count of Anlagen, or the list of them; chosen by the value's type, so that a mistake is
# reported once.
AnzahlOderAnlagen = Annotated[
    Annotated[Anzahl, Tag("Anzahl")] | Annotated[list[Anlage], Tag("Liste")],
    Discriminator(lambda value: "Liste" if isinstance(value, list) else "Anzahl"),
]


def _absatz_oder_block(value: object) -> str:
    # Choose the branch by the value's type, so that a mistake inside a block is reported once,
    # and not a second time as "muss Text sein".
    # (A model instance comes here when a validated document is serialised for the archive.)
    return "Block" if isinstance(value, dict | BaseModel) else "Absatz"


# A list entry that is a paragraph of text, or a mapping of a block type.
AbsatzOderUeberschrift = Annotated[
    Annotated[Pflichttext, Tag("Absatz")] | Annotated[Ueberschrift, Tag("Block")],
    Discriminator(_absatz_oder_block),
]


class Sitzungsvorlage(Strict):
    """A county's Sitzungsvorlage with check boxes (seed 002)."""

    stil: Code
    art: Literal["sitzungsvorlage"]
    nummer: Pflichttext
    datum: Datum
    adressaten: list[Pflichttext] = []
    oeffentlichkeit: Literal[OEFFENTLICHKEIT]  # type: ignore[valid-type]
    beratungsfolge: list[Ausschusstermin] = Field(min_length=1)
    betreff: Pflichttext
    # Their count, as the form shows it, or the Anlagen themselves (the form shows their count).
    anlagen: AnzahlOderAnlagen = 0
    verfahrensgang: Literal[VERFAHRENSGANG]  # type: ignore[valid-type]
    beschlussantrag: list[Pflichttext] = Field(min_length=1)
    auswirkungen_haushalt: Pflichttext
    sachdarstellung: list[AbsatzOderUeberschrift] = Field(min_length=1)
    unterzeichner: Unterzeichner


# --- Empfehlungen (Landkreis Böblingen) ------------------------------------------------------


class Arbeitsgruppe(Strict):
    nr: Nummer
    thema: Pflichttext


class Arbeitsgruppen(Strict):
    arbeitsgruppen: list[Arbeitsgruppe] = Field(min_length=1)

    @model_validator(mode="after")
    def _each_number_once(self) -> Arbeitsgruppen:
        first: dict[int, int] = {}
        for index, gruppe in enumerate(self.arbeitsgruppen):
            if gruppe.nr in first:
                raise doppelt("Nummer {nr} ist doppelt vergeben", ("arbeitsgruppen", index, "nr"),
                              ("arbeitsgruppen", first[gruppe.nr], "nr"), nr=gruppe.nr)
            first[gruppe.nr] = index
        return self


AbsatzOderArbeitsgruppen = Annotated[
    Annotated[Pflichttext, Tag("Absatz")] | Annotated[Arbeitsgruppen, Tag("Block")],
    Discriminator(_absatz_oder_block),
]


class Empfehlung(Strict):
    text: Pflichttext
    punkte: list[Pflichttext] = []


class Empfehlungen(Strict):
    """Numbered recommendations with lettered sub-items, as an Anlage (seed 004)."""

    stil: Code
    art: Literal["empfehlungen"]
    kennzeichnung: Pflichttext  # "Anlage 2 zu KT-Drucks. Nr. 234/2014"
    titel: Pflichttext
    untertitel: Text = ""
    datum: Datum | None = None
    einleitung: list[AbsatzOderArbeitsgruppen] = []
    empfehlungen: list[Empfehlung] = Field(min_length=1)


# --- Pressetext ------------------------------------------------------------------------------

# A Pressetext's vorspann, absaetze and kontaktzeile name facts as {name} or {gruppe.name}
# (a name starts with a letter and holds letters, digits and _). Every other brace is a mistake,
# except a literal one, written \{ and \} ("Preise \{ab 5 €\}" shows "Preise {ab 5 €}").
# Doubled braces are refused rather than read as one: {{ stadt }} is what a Word template
# would say, and here it would silently print "{ stadt }".
_NAME = r"[^\W\d_]\w*"
_PLATZHALTER = re.compile(rf"\{{({_NAME}(?:\.{_NAME})?)\}}")
_HINWEIS = "eine geschweifte Klammer als Text schreibt man \\{ und \\}"


class Pressetext(Strict):
    """A press or web text whose facts come from data: {name} in the text stands for a fact."""

    stil: Code
    art: Literal["pressetext"]
    bezug: Code | None = None  # the paper this text reports on
    titel: Pflichttext
    datum: Datum | None = None
    fakten: dict[str, Text | dict[str, Text]] = {}
    vorspann: Text = ""
    hinweise: list[Pflichttext] = []
    absaetze: list[Pflichttext] = Field(min_length=1)
    kontaktzeile: Text = ""

    def texte(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Every text that may hold placeholders, with its field path."""
        return ([(("vorspann",), self.vorspann), (("kontaktzeile",), self.kontaktzeile)]
                + [(("absaetze", i), a) for i, a in enumerate(self.absaetze)])


def platzhalter_probleme(text: str, fakten: dict) -> list[str]:
    r"""Every placeholder mistake in a Pressetext text, as German sentences (without the place).

    A placeholder must be {name} or {gruppe.name} and stand under „fakten“; any other brace is a
    mistake unless written \{ or \}. An unknown name reads „Platzhalter {name} steht nicht unter
    „fakten““.
    """
    return [meldung for meldung, _ in _probleme(text, fakten)]


def unbekannte_platzhalter(text: str, fakten: dict) -> list[str]:
    """Every placeholder mistake, as the text between the braces, for callers that print
    „Platzhalter {X} steht nicht unter „fakten““: a name that is not a fact, or a malformed
    placeholder as written ("kontakt[name]", " name "). `platzhalter_probleme` says more."""
    return [name for _, name in _probleme(text, fakten)]


def einsetzen(text: str, fakten: dict) -> str:
    r"""Replace {name} and {gruppe.name} by the facts and \{ \} by braces (validated before by
    platzhalter_probleme; anything else stays as written)."""
    out = []
    for art, wert, roh in _teile(text):
        out.append(wert if art == "text" else (_fakt(wert, fakten) or roh) if art == "fakt" else roh)
    return "".join(out)


def _probleme(text: str, fakten: dict) -> list[tuple[str, str]]:
    """(German sentence, the text between the braces) for every mistake, in text order."""
    found = []
    for art, wert, roh in _teile(text):
        if art == "fehler":
            found.append((wert, roh[1:-1] if roh.endswith("}") else roh[1:]))
        elif art == "fakt" and _fakt(wert, fakten) is None:
            gruppe = fakten.get(wert) if "." not in wert else None
            if isinstance(gruppe, dict) and gruppe:
                beispiele = ", ".join(f"{{{wert}.{key}}}" for key in gruppe)
                found.append((f"Platzhalter {roh} ist eine Gruppe von Fakten; gemeint ist "
                              f"eines von: {beispiele}", wert))
            else:
                found.append((f"Platzhalter {roh} steht nicht unter „fakten“", wert))
    return found


def _teile(text: str) -> list[tuple[str, str, str]]:
    """The text split into ("text", text, ""), ("fakt", name, as written) and
    ("fehler", German sentence, as written)."""
    teile: list[tuple[str, str, str]] = []
    puffer: list[str] = []

    def fehler(meldung: str, roh: str) -> None:
        teile.append(("text", "".join(puffer), ""))
        puffer.clear()
        teile.append(("fehler", meldung, roh))

    i = 0
    while i < len(text):
        zeichen = text[i]
        if zeichen == "\\" and text[i + 1:i + 2] in ("{", "}"):
            puffer.append(text[i + 1])
            i += 2
        elif zeichen == "}":
            fehler(f"„}}“ ohne öffnende Klammer „{{“ ({_HINWEIS})", "}")
            i += 1
        elif zeichen != "{":
            puffer.append(zeichen)
            i += 1
        elif treffer := _PLATZHALTER.match(text, i):
            teile.append(("text", "".join(puffer), ""))
            puffer.clear()
            teile.append(("fakt", treffer.group(1), treffer.group(0)))
            i = treffer.end()
        elif text.startswith("{{", i):
            ende = text.find("}}", i)
            roh = text[i:ende + 2] if ende >= 0 else text[i:]
            name = roh[2:-2].strip() if ende >= 0 else ""
            if re.fullmatch(rf"{_NAME}(?:\.{_NAME})?", name):
                fehler(f"„{roh}“: ein Fakt wird mit einfachen Klammern eingesetzt: {{{name}}}", roh)
            else:
                fehler(f"„{_kurz(roh)}“: doppelte geschweifte Klammern; ein Fakt wird als "
                       f"{{name}} eingesetzt, {_HINWEIS}", roh)
            i += len(roh)
        else:
            zu, auf = text.find("}", i + 1), text.find("{", i + 1)
            if zu < 0 or 0 <= auf < zu:
                roh = text[i:auf if auf >= 0 else len(text)]
                fehler(f"„{_kurz(roh)}“: die schließende Klammer „}}“ fehlt ({_HINWEIS})", roh)
                i += len(roh)
                continue
            roh = text[i:zu + 1]
            name = roh[1:-1].strip()
            if name != roh[1:-1] and re.fullmatch(rf"{_NAME}(?:\.{_NAME})?", name):
                fehler(f"Platzhalter „{roh}“ ohne Leerzeichen schreiben: {{{name}}}", roh)
            else:
                fehler(f"„{_kurz(roh)}“ ist kein gültiger Platzhalter; erlaubt sind {{name}} und "
                       f"{{gruppe.name}} ({_HINWEIS})", roh)
            i = zu + 1
    teile.append(("text", "".join(puffer), ""))
    return [teil for teil in teile if teil[0] != "text" or teil[1]]


def _kurz(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _fakt(name: str, fakten: dict) -> str | None:
    value: object = fakten
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None
