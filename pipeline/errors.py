"""The error hierarchy: every error a user can meet is a ClickException with a German message."""

from __future__ import annotations

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


class AusgabeFehler(RatsdocError):
    """Writing to output/ failed or is not allowed right now."""


class EntwurfFehler(RatsdocError):
    """A Word draft that cannot be imported, or an import that would overwrite a paper."""

    def __init__(self, entwurf: Path | None, meldung: str):
        super().__init__(f"Entwurf {display_path(entwurf)}: {meldung}" if entwurf else meldung)
