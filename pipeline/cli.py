"""The ratsdoc command line: thin click commands over pipeline.build."""

from __future__ import annotations

from pathlib import Path

import click

from . import __version__, clitext
from .errors import display_path

clitext.install()

CONTEXT = {"help_option_names": ["-h", "--hilfe", "--help"], "max_content_width": 100}

daten_option = click.option(
    "--daten", "daten", type=click.Path(path_type=Path), default=Path("data"),
    show_default=True, help="Ordner mit den Daten (YAML).",
)
vorlagen_option = click.option(
    "--vorlagen", "vorlagen", type=click.Path(path_type=Path), default=Path("templates/docx"),
    show_default=True, help="Ordner mit den Word-Vorlagen (.docx).",
)


@click.group(context_settings=CONTEXT, options_metavar="[OPTIONEN]",
             subcommand_metavar="BEFEHL [ARGUMENTE]...")
@click.version_option(__version__, "--version", message="ratsdoc %(version)s",
                      help="Version anzeigen und beenden.")
def main() -> None:
    """ratsdoc erzeugt Sitzungsvorlagen und Maßnahmenkataloge aus geprüften Daten.

    \b
    Beispiel:
      ratsdoc check
      ratsdoc build
    """


@main.command(context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.argument("namen", nargs=-1, metavar="[NAME]...")
@daten_option
@vorlagen_option
@click.option("--ausgabe", "ausgabe", type=click.Path(path_type=Path), default=Path("output"),
              show_default=True, help="Ordner für die erzeugten Dokumente.")
def build(namen: tuple[str, ...], daten: Path, vorlagen: Path, ausgabe: Path) -> None:
    """Erzeugt alle Dokumente aus den Daten, oder nur die genannten.

    Zuerst werden alle Daten geprüft; geschrieben wird erst, wenn jedes Dokument fehlerfrei
    erzeugt wurde. NAME ist der Dateiname ohne Endung, z. B. massnahmenkatalog.

    \b
    Beispiele:
      ratsdoc build
      ratsdoc build massnahmenkatalog --ausgabe /tmp/papiere
    """
    from .build import build as run_build

    for result in run_build(daten, ausgabe, vorlagen, namen):
        state = "geschrieben" if result.geaendert else "unverändert"
        click.echo(f"{state}: {display_path(result.pfad)}")


@main.command(context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@daten_option
@vorlagen_option
def check(daten: Path, vorlagen: Path) -> None:
    """Prüft Daten und Vorlagen, ohne etwas zu schreiben.

    Dabei wird jedes Dokument probeweise im Speicher erzeugt, so dass auch Platzhalter in den
    Vorlagen auffallen, die die Daten nicht liefern.

    \b
    Beispiel:
      ratsdoc check --daten data
    """
    from .build import check as run_check

    names = run_check(daten, vorlagen)
    click.echo(f"In Ordnung: {len(names)} Dokumente ({', '.join(names)}).")
