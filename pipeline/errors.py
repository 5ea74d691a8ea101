"""The error hierarchy: every error a user can meet is a ClickException with a German message."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

import click


def display_path(path: Path) -> str:
    """A path as the user typed it: relative to the working folder where possible."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


class RatsdocError(click.ClickException):
    """Base class; printed as 'Fehler: …' without a traceback, exit code 1."""

    def show(self, file=None) -> None:
        click.echo(f"Fehler: {self.format_message()}", err=True, file=file)


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one data file, at one line and field."""

    datei: str
    zeile: int
    feld: str
    meldung: str

    def __str__(self) -> str:
        location = f"{self.datei}:{self.zeile}" if self.zeile else self.datei
        return f"{location}: {self.feld}: {self.meldung}" if self.feld else f"{location}: {self.meldung}"


class DatenFehler(RatsdocError):
    """All problems found in the data, reported together."""

    def __init__(self, probleme: list[Problem]):
        self.probleme = sorted(set(probleme))
        count = len(self.probleme)
        head = "1 Problem in den Daten:" if count == 1 else f"{count} Probleme in den Daten:"
        super().__init__("\n".join([head, *map(str, self.probleme)]))


class VorlagenFehler(RatsdocError):
    """A .docx template is missing, broken, or asks for something the data does not supply."""

    def __init__(self, vorlage: Path, meldung: str):
        self.vorlage = vorlage
        super().__init__(f"Vorlage {display_path(vorlage)}: {meldung}")


class Konflikt(RatsdocError):
    """Data changed since a form was loaded: nothing was written.

    `aktuell` holds the values as they are now (form field → text), to show beside the user's.
    """

    def __init__(self, was: str, aktuell: dict[str, str]):
        self.aktuell = aktuell
        super().__init__(f"{was}: die Daten wurden inzwischen geändert; es wurde nichts "
                         "gespeichert")


class AusgabeFehler(RatsdocError):
    """Writing to output/ failed or is not allowed right now."""


# German texts for the operating system's errors: its own (strerror) are English on most systems.
_OS_TEXTE_NACH_NAME = {
    "ENOSPC": "kein Platz mehr auf dem Datenträger",
    "EDQUOT": "Speicherkontingent (Quota) erschöpft",
    "EFBIG": "Datei zu groß für den Datenträger",
    "EROFS": "der Datenträger ist schreibgeschützt",
    "EACCES": "keine Berechtigung (oder die Datei ist in einem anderen Programm geöffnet, "
              "z. B. in Word)",
    "EPERM": "keine Berechtigung",
    "ENOENT": "Datei oder Ordner nicht gefunden",
    "ENOTDIR": "ein Teil des Pfads ist kein Ordner",
    "EISDIR": "ist ein Ordner, keine Datei",
    "EEXIST": "existiert bereits",
    "EIO": "Ein-/Ausgabefehler des Datenträgers",
    "ENAMETOOLONG": "Dateiname zu lang",
    "EMFILE": "zu viele offene Dateien",
    "EBUSY": "Datei oder Gerät ist belegt",
    "ETXTBSY": "Datei ist belegt",
    "EXDEV": "Verschieben über Laufwerksgrenzen nicht möglich",
}
# Not every name exists on every system (Windows lacks some): only those that do.
_OS_TEXTE = {getattr(errno, name): text for name, text in _OS_TEXTE_NACH_NAME.items()
             if hasattr(errno, name)}
_PLATZMANGEL = {getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG")
                if hasattr(errno, name)}


def os_fehlertext(exc: OSError) -> str:
    """The German reason of an operating-system error (no English strerror)."""
    if exc.errno in _OS_TEXTE:
        return _OS_TEXTE[exc.errno]
    if isinstance(exc, PermissionError):
        return _OS_TEXTE_NACH_NAME["EACCES"]
    if exc.errno is None:
        return "Fehler des Betriebssystems"
    return f"Fehler des Betriebssystems ({errno.errorcode.get(exc.errno, f'Nr. {exc.errno}')})"


def ist_platzmangel(exc: OSError) -> bool:
    return exc.errno in _PLATZMANGEL


def schreibfehler(path: Path, exc: OSError) -> AusgabeFehler:
    """The German error for a failed write of path."""
    if ist_platzmangel(exc):
        return AusgabeFehler(f"Kein Platz mehr auf dem Datenträger beim Schreiben von "
                             f"{display_path(path)}; bisherige Dateien sind unverändert. "
                             "Bitte Platz schaffen und erneut versuchen.")
    return AusgabeFehler(f"{display_path(path)} kann nicht geschrieben werden: {os_fehlertext(exc)}")


class EingabeFehler(RatsdocError):
    """Problems in a file from outside (an Excel sheet, a Word catalogue), each with its place.

    A place is what the clerk finds in Excel or Word: „Statusliste, Zeile 7, Spalte Datum“ or
    „Tabelle 3, Zeile 5, Spalte „Nr.““. Problems are listed in the order given.
    """

    def __init__(self, datei: Path, probleme: list[str]):
        self.datei = datei
        self.probleme = list(dict.fromkeys(probleme))
        count = len(self.probleme)
        head = "1 Problem:" if count == 1 else f"{count} Probleme:"
        super().__init__("\n".join([f"{display_path(datei)}: {head}", *self.probleme]))

class EntwurfFehler(RatsdocError):
    """A Word draft that cannot be imported, or an import that would overwrite a paper."""

    def __init__(self, entwurf: Path | None, meldung: str):
        super().__init__(f"Entwurf {display_path(entwurf)}: {meldung}" if entwurf else meldung)
