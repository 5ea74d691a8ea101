"""The ratsdoc command line: thin click commands over pipeline.build."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__, clitext
from .errors import display_path, os_fehlertext
from .kategorien import Kategorie

clitext.install()

CONTEXT = {"help_option_names": ["-h", "--hilfe", "--help"], "max_content_width": 100}

daten_option = click.option(
    "--daten", "daten", type=click.Path(path_type=Path), default=Path("data"),
    show_default=True, help="Ordner mit den Daten (YAML).",
)
vorlagen_option = click.option(
    "--vorlagen", "vorlagen", type=click.Path(path_type=Path), default=Path("templates/docx"),
    show_default=True, help="Ordner der Hausstile: je Stil ein Unterordner mit stil.yaml und den "
    "Word-Vorlagen (.docx).",
)


class _Hauptbefehl(click.Group):
    """The ratsdoc group: exit code 1 for every error a user can cause, usage errors included.

    click exits with 2 on a usage error; the README promises 0 for success and 1 for any error.
    An operating-system error or exhausted memory that no command turned into a message ends
    with a German message too, never a traceback.
    """

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        _tolerant_output()
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.ClickException as exc:
            exc.show()
            sys.exit(1)
        except click.Abort:
            click.echo("Abgebrochen.", err=True)
            sys.exit(1)
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            click.echo(f"Fehler: Datei- oder Ordnerzugriff fehlgeschlagen{where}: "
                       f"{os_fehlertext(exc)}", err=True)
            sys.exit(1)
        except MemoryError:
            click.echo("Fehler: nicht genug Arbeitsspeicher; sind die Daten ungewöhnlich groß?",
                       err=True)
            sys.exit(1)
        except RecursionError:
            click.echo("Fehler: die Daten sind zu tief verschachtelt", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _tolerant_output() -> None:
    """Output that cannot encode → or „ (Windows: cp1252 when redirected to a file) shows „?“
    instead of ending in a traceback after the work is done."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="replace")
            except (ValueError, OSError):
                pass


@click.group(cls=_Hauptbefehl, context_settings=CONTEXT, options_metavar="[OPTIONEN]",
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


ausgabe_option = click.option(
    "--ausgabe", "ausgabe", type=click.Path(path_type=Path), default=Path("output"),
    show_default=True, help="Ordner für die erzeugten Dokumente und das Archiv.",
)


@main.command(context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.argument("namen", nargs=-1, metavar="[NAME]...")
@daten_option
@vorlagen_option
@ausgabe_option
@click.option("--pdf", is_flag=True, help="Zusätzlich PDF/A-2b mit LibreOffice erzeugen.")
def build(namen: tuple[str, ...], daten: Path, vorlagen: Path, ausgabe: Path, pdf: bool) -> None:
    """Erzeugt alle Dokumente aus den Daten, oder nur die genannten, und archiviert sie.

    Zuerst werden alle Daten geprüft; geschrieben wird erst, wenn jedes Dokument fehlerfrei
    erzeugt wurde. NAME ist der Dateiname ohne Endung, z. B. massnahmenkatalog. Jede
    geänderte Fassung kommt als neue Version ins Archiv (AUSGABE/archiv/).

    \b
    Beispiele:
      ratsdoc build
      ratsdoc build --pdf
      ratsdoc build massnahmenkatalog --ausgabe /tmp/papiere
    """
    from .build import build as run_build

    for result in run_build(daten, ausgabe, vorlagen, namen, pdf=pdf):
        state = "geschrieben" if result.geaendert else "unverändert"
        click.echo(f"{state}: {display_path(result.pfad)}")
        if result.html is not None:
            click.echo(f"geschrieben: {display_path(result.html)}")
        if result.archiviert is not None:
            click.echo(f"archiviert: {display_path(ausgabe / 'archiv' / result.archiviert.docx)} "
                       f"(Version {result.archiviert.version})")


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


@main.group(context_settings=CONTEXT, options_metavar="[OPTIONEN]",
            subcommand_metavar="BEFEHL [ARGUMENTE]...")
def archiv() -> None:
    """Das Archiv aller erzeugten Fassungen: auflisten, prüfen, vergleichen.

    \b
    Beispiele:
      ratsdoc archiv liste
      ratsdoc archiv pruefen
    """


@archiv.command(context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.argument("dokument", required=False)
@ausgabe_option
def liste(dokument: str | None, ausgabe: Path) -> None:
    """Listet die archivierten Versionen, auf Wunsch nur die eines Dokuments.

    \b
    Beispiel:
      ratsdoc archiv liste massnahmenkatalog
    """
    from .archive import Archiv, ArchivFehler

    archive = Archiv.open(ausgabe)
    versions = archive.of(dokument) if dokument else archive.versionen
    if dokument and not versions and archive.versionen:
        known = ", ".join(dict.fromkeys(v.dokument for v in archive.versionen))
        raise ArchivFehler(f"„{dokument}“ ist im Archiv nicht bekannt; archiviert sind: {known}")
    if not versions:
        click.echo("Das Archiv ist leer.")
    for v in versions:
        pdf = " + PDF" if v.pdf else ""
        click.echo(f"{v.dokument}  v{v.version}  Stand {v.datum or 'ohne Datum'}  {v.docx}{pdf}  "
                   f"(archiviert {v.zeit})")


@archiv.command(context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@ausgabe_option
def pruefen(ausgabe: Path) -> None:
    """Prüft jede archivierte Datei gegen die Prüfsumme im Manifest.

    Der Exit-Code ist 1, wenn eine Datei fehlt oder verändert wurde.

    \b
    Beispiel:
      ratsdoc archiv pruefen --ausgabe output
    """
    from .archive import Archiv, ArchivFehler

    archive = Archiv.open(ausgabe)
    problems, notes = archive.check()
    for note in notes:
        click.echo(f"Hinweis: {note}")
    if problems:
        raise ArchivFehler("\n".join([f"{len(problems)} Datei(en) im Archiv fehlen oder wurden "
                                       "verändert:", *problems]))
    count = sum(1 + (v.pdf is not None) for v in archive.versionen)
    click.echo(f"Archiv in Ordnung: {len(archive.versionen)} Versionen, {count} Dateien geprüft.")


@main.command(context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.argument("nr", type=int)
@click.argument("status")
@click.option("--kategorie", type=click.Choice([k.value for k in Kategorie]),
              help="Kategorie festlegen, statt sie aus dem Status abzuleiten.")
@click.option("--datum", help="Datum der Änderung, TT.MM.JJJJ (Vorgabe: heute).")
@click.option("--notiz", default="", help="Notiz für den Verlauf.")
@click.option("--fortschritt", default="", help="Fortschrittsnotiz (→ …) an den Maßnahmentext anfügen.")
@daten_option
def status(nr: int, status: str, kategorie: str | None, datum: str | None, notiz: str,
           fortschritt: str, daten: Path) -> None:
    """Ändert den Status einer Maßnahme im Maßnahmenkatalog und schreibt den Verlauf fort.

    Die Datei behält Kommentare, Reihenfolge und Layout; nur die geänderten Zeilen und der neue
    Verlaufseintrag kommen hinzu.

    \b
    Beispiel:
      ratsdoc status 3 "Wird fortgesetzt" --datum 15.03.2024 --notiz "Projekt gestartet"
    """
    import datetime as dt

    from .edit import Aenderung, apply_changes, parse_datum

    when = parse_datum(datum, "--datum") if datum else dt.date.today()
    change = Aenderung(nr, status, when, notiz, Kategorie(kategorie) if kategorie else None,
                       fortschritt)
    for done, old in apply_changes(daten, [change], "ratsdoc status"):
        click.echo(f"Maßnahme {done.nr}: „{old}“ → „{done.status}“ ({done.datum:%d.%m.%Y})")


@main.command("status-import", context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.argument("csv_datei", type=click.Path(path_type=Path, exists=True, dir_okay=False),
                metavar="CSV-DATEI")
@daten_option
def status_import(csv_datei: Path, daten: Path) -> None:
    """Übernimmt mehrere Statusänderungen aus einer CSV-Datei: alle oder keine.

    Die CSV-Datei hat die Spalten Nr;Status;Datum;Notiz (Semikolon, wie Excel sie speichert).

    \b
    Beispiel:
      ratsdoc status-import aenderungen.csv
    """
    from .edit import apply_changes, read_csv

    done = apply_changes(daten, read_csv(csv_datei), display_path(csv_datei))
    for change, old in done:
        click.echo(f"Maßnahme {change.nr}: „{old}“ → „{change.status}“ ({change.datum:%d.%m.%Y})")
    click.echo(f"{len(done)} Änderungen übernommen.")


@main.command(context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.argument("nr", type=int, required=False)
@daten_option
@vorlagen_option
def verlauf(nr: int | None, daten: Path, vorlagen: Path) -> None:
    """Zeigt den Verlauf der Statusänderungen, für alle Maßnahmen oder eine.

    \b
    Beispiel:
      ratsdoc verlauf 3
    """
    from .validate import load_and_validate

    katalog = load_and_validate(daten, vorlagen).katalog
    measures = [m for m in (katalog.massnahmen() if katalog else []) if nr in (None, m.nr)]
    if nr is not None and not measures:
        raise click.ClickException(f"Maßnahme Nr. {nr} gibt es nicht")
    entries = [(e.datum, m.nr, e) for m in measures for e in m.verlauf]
    if not entries:
        click.echo("Noch keine Statusänderungen erfasst.")
    for when, number, e in sorted(entries, key=lambda x: (x[0], x[1])):
        note = f"  ({e.notiz})" if e.notiz else ""
        click.echo(f"{when:%d.%m.%Y}  Nr. {number}: „{e.alter_status}“ → „{e.neuer_status}“{note}")


@archiv.command(context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.argument("dokument")
@click.argument("version_a", metavar="VERSION-A")
@click.argument("version_b", metavar="VERSION-B")
@daten_option
@vorlagen_option
@ausgabe_option
def vergleich(dokument: str, version_a: str, version_b: str, daten: Path, vorlagen: Path,
              ausgabe: Path) -> None:
    """Schreibt eine Änderungsübersicht zweier Katalogversionen als Word-Überarbeitungen.

    Jede Maßnahme, deren Status oder Text sich geändert hat, erscheint mit alt → neu als
    nachverfolgte Änderung, so dass Word und LibreOffice sie im Überarbeitungsbereich zeigen.

    \b
    Beispiel:
      ratsdoc archiv vergleich massnahmenkatalog v1 v2
    """
    from .archive import Archiv
    from .compare import compare
    from .context import koerperschaft
    from .output import build_lock, write_atomic
    from .validate import load_and_validate

    geladen = load_and_validate(daten, vorlagen)
    if dokument != "massnahmenkatalog" or geladen.katalog is None:
        raise click.ClickException(f"„{dokument}“ ist kein Maßnahmenkatalog; verglichen werden "
                                   "nur Kataloge")
    archive = Archiv.open(ausgabe)
    alt, neu = (archive.find(dokument, _version_number(v)) for v in (version_a, version_b))
    data = compare(archive, dokument, alt, neu,
                   vorlagen / geladen.katalog.stil / "aenderungsuebersicht.docx",
                   koerperschaft(geladen.stil_of(dokument)))
    target = ausgabe / f"{dokument}_aenderungen_v{alt.version}_v{neu.version}.docx"
    with build_lock(ausgabe):
        write_atomic(target, data)
    click.echo(f"geschrieben: {display_path(target)}")


def _http_url(text: str) -> str:
    """An http(s) address with a host: javascript:, file: or a bare word would end up as links."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
        valid = (parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
                 and text.isprintable() and not any(c.isspace() for c in text))
    except ValueError:
        valid = False
    if not valid:
        raise click.BadParameter(f"„{text}“ ist keine Internetadresse mit http:// oder https:// "
                                 "(Beispiel: https://ratsinfo.example.org/oparl/v1.1)")
    return text


def _version_number(text: str) -> int:
    digits = text.lower().removeprefix("v")
    if not digits.isdigit():
        raise click.BadParameter(f"„{text}“ ist keine Version (Beispiel: v2)")
    return int(digits)


@main.command(context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.argument("vorlage")
@daten_option
@vorlagen_option
@ausgabe_option
def mappe(vorlage: str, daten: Path, vorlagen: Path, ausgabe: Path) -> None:
    """Schreibt die Sitzungsmappe: die Vorlage und ihre Anlagen als ein PDF mit Lesezeichen.

    \b
    Beispiel:
      ratsdoc mappe zwischenbericht-2023
    """
    from .mappe import build_mappe

    target = build_mappe(daten, vorlagen, ausgabe, vorlage)
    click.echo(f"geschrieben: {display_path(target)}")


@main.command(context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.argument("vorlage")
@daten_option
@vorlagen_option
@ausgabe_option
@click.option("--basis-url", default="https://ratsinfo.example.org/oparl/v1.1", show_default=True,
              callback=lambda ctx, param, value: _http_url(value),
              help="Adresse (http:// oder https://), unter der das Ratsinformationssystem die "
              "Objekte anbietet.")
def oparl(vorlage: str, daten: Path, vorlagen: Path, ausgabe: Path, basis_url: str) -> None:
    """Schreibt eine Vorlage als OParl-1.1-Paper (JSON) mit Beratungen und Dateien.

    Die Dateien beschreiben die zuletzt mit „ratsdoc build“ erzeugten Dokumente in AUSGABE.

    \b
    Beispiel:
      ratsdoc build --pdf && ratsdoc oparl integrationsplan-2020
    """
    from .build import document_names
    from .oparl import write_paper
    from .validate import load_and_validate

    geladen = load_and_validate(daten, vorlagen)
    document_names(geladen, (vorlage,))
    if vorlage not in geladen.vorlagen:
        raise click.ClickException(f"„{vorlage}“ ist keine Vorlage")
    click.echo(f"geschrieben: {display_path(write_paper(vorlage, geladen, ausgabe, basis_url))}")


@main.command(context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.argument("ordner", type=click.Path(path_type=Path))
@click.option("--stil", required=True, help="Hausstil, z. B. stadt-leinfelden-echterdingen.")
@vorlagen_option
def init(ordner: Path, stil: str, vorlagen: Path) -> None:
    """Legt einen neuen Datenordner mit Beispieldaten eines Hausstils an.

    \b
    Beispiel:
      ratsdoc init meine-daten --stil landkreis-esslingen
      ratsdoc build --daten meine-daten
    """
    from .scaffold import init_folder

    for path in init_folder(ordner, vorlagen, stil):
        click.echo(f"angelegt: {display_path(path)}")
