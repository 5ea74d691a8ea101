"""German texts for click's own messages (usage, help, errors).

click wraps its texts in gettext but ships no German catalogue, so its modules' ``_`` and
``ngettext`` are pointed at this table. Texts not listed stay English.
"""

from __future__ import annotations

import click.core
import click.decorators
import click.exceptions
import click.formatting
import click.parser
import click.termui
import click.types

GERMAN = {
    "Usage:": "Aufruf:",
    "Options": "Optionen",
    "Commands": "Befehle",
    "Show this message and exit.": "Diese Hilfe anzeigen und beenden.",
    "Show the version and exit.": "Version anzeigen und beenden.",
    "Error: {message}": "Fehler: {message}",
    "Error: The two entered values do not match.": "Fehler: die beiden Eingaben stimmen nicht "
    "überein.",
    "Repeat for confirmation": "Zur Bestätigung wiederholen",
    "Error: invalid input": "Fehler: ungültige Eingabe",
    "Try '{command} {option}' for help.": "Hilfe mit „{command} {option}“.",
    "No such option: {name}": "Unbekannte Option: {name}",
    "No such option {name!r}.": "Unbekannte Option {name!r}.",
    "No such command {name!r}.": "Unbekannter Befehl {name!r}.",
    "Missing command.": "Befehl fehlt.",
    "Missing argument": "Argument fehlt",
    "Missing option": "Option fehlt",
    "Missing parameter": "Angabe fehlt",
    "Missing {param_type}": "{param_type} fehlt",
    "Missing parameter: {param_name}": "Angabe fehlt: {param_name}",
    "Invalid value for {param_hint}: {message}": "Ungültiger Wert für {param_hint}: {message}",
    "Invalid value: {message}": "Ungültiger Wert: {message}",
    "Option {name!r} requires an argument.": "Option {name!r} braucht einen Wert.",
    "Option {name!r} does not take a value.": "Option {name!r} nimmt keinen Wert.",
    "Aborted!": "Abgebrochen.",
    "default: {default}": "Vorgabe: {default}",
    "required": "Pflicht",
    "{name} {filename!r} does not exist.": "{name} {filename!r} existiert nicht.",
    "{name} {filename!r} is a file.": "{name} {filename!r} ist eine Datei.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} ist ein Ordner.",
    "{value!r} is not a valid {number_type}.": "{value!r} ist keine gültige Zahl.",
    "{value!r} is not one of {choices}.": "{value!r} ist keiner der Werte {choices}.",
    "{value} is not in the range {range}.": "{value} liegt nicht im Bereich {range}.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} ist nicht lesbar.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} ist nicht beschreibbar.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} ist nicht ausführbar.",
    "unknown error": "unbekannter Fehler",
    "Could not open file {filename!r}: {message}": "Datei {filename!r} lässt sich nicht öffnen: "
    "{message}",
    "Invalid start character for option ({option})": "Ungültiges erstes Zeichen einer Option "
    "({option})",
    "Argument {name!r} takes {nargs} values.": "Argument {name!r} braucht {nargs} Werte.",
    "Choose from:\n\t{choices}": "Zur Wahl stehen:\n\t{choices}",
    "file": "Datei",
    "directory": "Ordner",
    "path": "Pfad",
}

GERMAN_PLURAL = {
    "Did you mean {possibility}?": "Meinten Sie {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Meinten Sie einen von: {possibilities}?)",
    "Got unexpected extra argument ({args})": "Unerwartetes zusätzliches Argument ({args})",
    "Got unexpected extra arguments ({args})": "Unerwartete zusätzliche Argumente ({args})",
    "Option {name!r} requires {nargs} arguments.": "Option {name!r} braucht {nargs} Werte.",
    "{value!r} is not {choice}.": "{value!r} ist nicht erlaubt; möglich ist nur {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} ist nicht erlaubt; möglich sind: {choices}.",
    "{value!r} does not match the format {format}.": "{value!r} passt nicht zum Format {format}.",
    "{value!r} does not match the formats {formats}.": "{value!r} passt zu keinem der Formate "
    "{formats}.",
    "Takes {nargs} values but 1 was given.": "Braucht {nargs} Werte, angegeben ist einer.",
    "Takes {nargs} values but {len} were given.": "Braucht {nargs} Werte, angegeben sind {len}.",
}


def gettext(message: str) -> str:
    return GERMAN.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    chosen = singular if n == 1 else plural
    return GERMAN_PLURAL.get(chosen) or GERMAN.get(chosen, chosen)


def install() -> None:
    for module in (click.core, click.decorators, click.exceptions, click.formatting,
                   click.parser, click.termui, click.types):
        if hasattr(module, "_"):
            setattr(module, "_", gettext)  # noqa: B010 (the modules do not declare it)
        if hasattr(module, "ngettext"):
            setattr(module, "ngettext", ngettext)  # noqa: B010
