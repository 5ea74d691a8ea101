"""The ratsdoc command line: thin click commands over pipeline.build."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__, clitext
from .errors import display_path, os_fehlertext
from .kategorien import KATEGORIEN, Kategorie

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
        run = super().main  # click types main() with overloads that a pass-through cannot match
        if not standalone_mode:
            return run(*args, standalone_mode=False, **kwargs)  # type: ignore[call-overload]
        _tolerant_output()
        try:
            code = run(*args, standalone_mode=False, **kwargs)  # type: ignore[call-overload]
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
    from .build import bericht_zeilen
    from .build import build as run_build

    bericht = run_build(daten, ausgabe, vorlagen, namen, pdf=pdf)
    for kind, text in bericht_zeilen(bericht, ausgabe):
        if kind == "warnung":
            click.echo(f"Warnung: {text}", err=True)
        else:
            click.echo(f"{'Hinweis' if kind == 'hinweis' else kind}: {text}")


def _warn(warnungen: list[str]) -> None:
    for warning in warnungen:
        click.echo(f"Warnung: {warning}", err=True)


@main.command(context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@daten_option
@vorlagen_option
@ausgabe_option
def check(daten: Path, vorlagen: Path, ausgabe: Path) -> None:
    """Prüft Daten und Vorlagen, ohne etwas zu schreiben.

    Dabei wird jedes Dokument probeweise im Speicher erzeugt, so dass auch Platzhalter in den
    Vorlagen auffallen, die die Daten nicht liefern.

    \b
    Beispiel:
      ratsdoc check --daten data
    """
    from .build import check as run_check

    names, warnungen = run_check(daten, vorlagen, ausgabe)
    click.echo(f"In Ordnung: {len(names)} Dokumente ({', '.join(names)}).")
    _warn(warnungen)


@main.command(context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.argument("name")
@click.option("--neufassung", is_flag=True,
              help="Eine eingereichte Vorlage wieder freigeben, als „Neufassung“ markiert.")
@daten_option
@vorlagen_option
@ausgabe_option
def einreichen(name: str, neufassung: bool, daten: Path, vorlagen: Path, ausgabe: Path) -> None:
    """Reicht eine Vorlage ein: ihre aktuelle Fassung wird festgeschrieben.

    Danach erzeugt „ratsdoc build“ diese Vorlage nie wieder neu, was sich auch an Daten oder
    Word-Vorlagen ändert. Eingereicht werden kann nur, was keine Platzhalter in eckigen Klammern
    mehr enthält und dessen Sitzungstermine feststehen. Mit --neufassung wird eine eingereichte
    Vorlage wieder freigegeben; sie trägt dann den Vermerk „Neufassung“.

    \b
    Beispiele:
      ratsdoc build integrationsplan-2020 && ratsdoc einreichen integrationsplan-2020
      ratsdoc einreichen integrationsplan-2020 --neufassung
    """
    from .record import einreichen as submit
    from .record import german_time, neufassung_beginnen, os_user

    if neufassung:
        fassung = neufassung_beginnen(name, daten, vorlagen, ausgabe, von=os_user())
        click.echo(f"Neufassung ({fassung}. Fassung) von „{name}“ begonnen; „ratsdoc build "
                   f"{name}“ erzeugt sie, „ratsdoc einreichen {name}“ reicht sie ein.")
        return
    done = submit(name, daten, vorlagen, ausgabe, von=os_user())
    click.echo(f"eingereicht: {name} Version v{done.version} am {german_time(done.zeit)}; sie "
               "wird nicht mehr verändert.")


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
    click.echo(f"Archiv in Ordnung: {archive.anzahl_versionen()} Versionen, "
               f"{archive.anzahl_dateien()} Dateien geprüft.")


erzwingen_option = click.option(
    "--erzwingen", is_flag=True,
    help="Auch ein Datum vor der letzten Änderung oder vor dem Stand des Katalogs übernehmen "
    "(wird im Verlauf vermerkt).")


def _report(bericht) -> None:
    for change, old in bericht.uebernommen:
        if old != change.status:
            click.echo(f"Maßnahme {change.nr}: „{old}“ → „{change.status}“ "
                       f"({change.datum:%d.%m.%Y})")
            continue
        what = [f"Kategorie „{KATEGORIEN[change.kategorie].bezeichnung}“" if change.kategorie
                else "", f"Notiz „{change.notiz}“" if change.notiz else "",
                f"Fortschritt „→{change.fortschritt}“" if change.fortschritt else ""]
        click.echo(f"Maßnahme {change.nr}: Status „{old}“ bleibt; {', '.join(filter(None, what))} "
                   f"({change.datum:%d.%m.%Y})")
    for note in bericht.uebersprungen:
        click.echo(f"Hinweis: {note}")


@main.command(context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.argument("nr", type=int)
@click.argument("status")
@click.option("--kategorie", type=click.Choice([k.value for k in Kategorie]),
              help="Kategorie festlegen, statt sie aus dem Status abzuleiten.")
@click.option("--datum", help="Datum der Änderung, TT.MM.JJJJ (Vorgabe: heute).")
@click.option("--notiz", default="", help="Notiz für den Verlauf.")
@click.option("--fortschritt", default="", help="Fortschrittsnotiz (→ …) an den Maßnahmentext anfügen.")
@erzwingen_option
@daten_option
def status(nr: int, status: str, kategorie: str | None, datum: str | None, notiz: str,
           fortschritt: str, erzwingen: bool, daten: Path) -> None:
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
    _report(apply_changes(daten, [change], "ratsdoc status", erzwingen))


@main.command("status-import", context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.argument("csv_datei", type=click.Path(path_type=Path, exists=True, dir_okay=False),
                metavar="CSV-DATEI")
@erzwingen_option
@daten_option
def status_import(csv_datei: Path, erzwingen: bool, daten: Path) -> None:
    """Übernimmt mehrere Statusänderungen aus einer CSV-Datei: alle oder keine.

    Die CSV-Datei hat die Spalten Nr;Status;Datum;Notiz (Semikolon, wie Excel sie speichert).

    \b
    Beispiel:
      ratsdoc status-import aenderungen.csv
    """
    from .edit import apply_changes, read_csv

    bericht = apply_changes(daten, read_csv(csv_datei), display_path(csv_datei), erzwingen)
    _report(bericht)
    count = len(bericht.uebernommen)
    click.echo(f"{count} {'Änderung' if count == 1 else 'Änderungen'} übernommen.")


@main.group(context_settings=CONTEXT, options_metavar="[OPTIONEN]",
            subcommand_metavar="BEFEHL [ARGUMENTE]...")
def excel() -> None:
    """Die Statusliste als Excel-Tabelle: exportieren, ausfüllen lassen, übernehmen.

    \b
    Beispiele:
      ratsdoc excel export
      ratsdoc excel import output/statusliste.xlsx
    """


@excel.command("export", context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.option("--ausgabe", "ausgabe", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("output/statusliste.xlsx"), show_default=True,
              help="Die zu schreibende Excel-Datei.")
@click.option("--ueberschreiben", is_flag=True,
              help="Eine Liste ersetzen, deren Eintragungen noch nicht übernommen sind.")
@daten_option
def excel_export(ausgabe: Path, ueberschreiben: bool, daten: Path) -> None:
    """Schreibt die Statusliste aller Maßnahmen als Excel-Tabelle (.xlsx).

    Status, Kategorie (Auswahlliste), Datum, Notiz und Fortschritt können ausgefüllt werden;
    die übrigen Spalten sind gesperrt (Blattschutz ohne Kennwort). Eine verborgene Angabe hält
    fest, aus welchem Stand der Daten die Liste stammt. Eine vorhandene Liste mit Eintragungen,
    die noch nicht übernommen sind, wird nur mit --ueberschreiben ersetzt.

    \b
    Beispiel:
      ratsdoc excel export --ausgabe output/statusliste.xlsx
    """
    from .excel import export_statusliste

    count = export_statusliste(daten, ausgabe, ueberschreiben)
    click.echo(f"geschrieben: {display_path(ausgabe)} ({count} Maßnahmen)")


@excel.command("import", context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.argument("datei", type=click.Path(path_type=Path, dir_okay=False), metavar="DATEI.xlsx")
@erzwingen_option
@daten_option
def excel_import(datei: Path, erzwingen: bool, daten: Path) -> None:
    """Übernimmt die geänderten Zeilen einer Statusliste: alle oder keine.

    Übernommen werden Zeilen, in denen Status, Kategorie, Datum, Notiz oder Fortschritt
    geändert wurden; jede Änderung kommt in den Verlauf. Wurde eine Maßnahme seit dem Export
    anderweitig geändert, ist das ein Konflikt, und nichts wird geschrieben. Ein zweiter
    Import derselben Datei ändert nichts.

    \b
    Beispiel:
      ratsdoc excel import output/statusliste.xlsx
    """
    from .excel import import_statusliste

    ergebnis = import_statusliste(datei, daten, erzwingen)
    for note in ergebnis.hinweise:
        click.echo(f"Hinweis: {note}")
    _report(ergebnis.bericht)
    count = len(ergebnis.bericht.uebernommen)
    click.echo(f"{count} {'Änderung' if count == 1 else 'Änderungen'} übernommen.")


@main.command("import-katalog", context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.argument("katalog", type=click.Path(path_type=Path, dir_okay=False),
                metavar="KATALOG.docx")
@click.option("--ziel", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("data") / "massnahmenkatalog.yaml", show_default=True,
              help="Die zu schreibende YAML-Datei.")
@click.option("--ueberschreiben", is_flag=True, help="Eine vorhandene Zieldatei ersetzen.")
@click.option("--stil", help="Hausstil des Katalogs (Vorgabe: der einzige mit einer "
              "Maßnahmenkatalog-Vorlage).")
@vorlagen_option
def import_katalog(katalog: Path, ziel: Path, ueberschreiben: bool, stil: str | None,
                   vorlagen: Path) -> None:
    """Übernimmt einen Maßnahmenkatalog aus Word (.docx) als YAML-Daten.

    Erkannt werden je Handlungsfeld die Überschrift „Handlungsfeld „…““, die Vision und die
    Tabelle mit den Spalten Ziele, Nr., Maßnahmen, Akteure und Status (in beliebiger
    Reihenfolge; Ziel-Zellen verbunden, wiederholt oder leer), dazu „Weitere Maßnahmen“ und
    die Schlussbemerkung. Was sich nicht lesen lässt, wird mit Tabelle, Zeile und Spalte
    gemeldet, und nichts wird geschrieben. Eine vorhandene Datei wird nur mit --ueberschreiben
    ersetzt.

    \b
    Beispiel:
      ratsdoc import-katalog Massnahmenkatalog.docx --ziel data/massnahmenkatalog.yaml
    """
    from .import_katalog import default_stil
    from .import_katalog import import_katalog as run_import

    ergebnis = run_import(katalog, ziel, stil or default_stil(vorlagen), ueberschreiben)
    for note in ergebnis.hinweise:
        click.echo(f"Hinweis: {note}")
    click.echo(f"geschrieben: {display_path(ergebnis.pfad)} ({ergebnis.handlungsfelder} "
               f"Handlungsfelder, {ergebnis.massnahmen} Maßnahmen)")


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
        if e.fortschritt:
            note += f"  →{e.fortschritt}"
        change = (f"„{e.alter_status}“ → „{e.neuer_status}“" if e.alter_status != e.neuer_status
                  else f"„{e.neuer_status}“ (Status unverändert)")
        click.echo(f"{when:%d.%m.%Y}  Nr. {number}: {change}{note}")


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
    from .compare import aenderungsuebersicht
    from .output import build_lock, write_atomic

    name, data = aenderungsuebersicht(daten, vorlagen, ausgabe, dokument,
                                      _version_number(version_a), _version_number(version_b))
    target = ausgabe / name
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

    target, notes = build_mappe(daten, vorlagen, ausgabe, vorlage)
    for note in notes:
        click.echo(f"Hinweis: {note}")
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
@click.option("--intern", is_flag=True,
              help="Auch nichtöffentliche Vorlagen ausgeben (nur für interne Systeme).")
def oparl(vorlage: str, daten: Path, vorlagen: Path, ausgabe: Path, basis_url: str,
          intern: bool) -> None:
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
    target = write_paper(vorlage, geladen, ausgabe, basis_url, intern)
    click.echo(f"geschrieben: {display_path(target)}")


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


@main.command("import-entwurf", context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.argument("entwurf", type=click.Path(path_type=Path), metavar="ENTWURF.docx")
@click.argument("name")
@click.option("--art", required=True, help="Art der Vorlage: beschlussvorlage oder zwischenbericht.")
@click.option("--stil", default=None, help="Hausstil (Vorgabe: der Stil der übrigen Vorlagen im "
              "Datenordner).")
@daten_option
@vorlagen_option
def import_entwurf(entwurf: Path, name: str, art: str, stil: str | None, daten: Path,
                   vorlagen: Path) -> None:
    """Übernimmt einen Word-Entwurf als neue Vorlage DATEN/vorlagen/NAME.yaml.

    Der Titel wird zum Betreff; Überschriften wie „Beschlussvorschlag“, „Sachverhalt“,
    „Finanzielle Auswirkungen“ oder „Zeitplan“ bestimmen das Feld ihres Textes. Fett, kursiv,
    Listen und Tabellen bleiben erhalten (als Markdown). Was der Entwurf nicht enthält
    (Beratungsfolge, Unterschrift, Haushaltsposten), steht als Vorgabe oder [Platzhalter] in der
    Datei. Eine vorhandene Datei wird nie überschrieben.

    \b
    Beispiel:
      ratsdoc import-entwurf entwurf.docx integrationsplan-2024 --art beschlussvorlage
      ratsdoc build integrationsplan-2024
    """
    from .entwurf import importiere

    ergebnis = importiere(entwurf, name, art, daten, vorlagen, stil)
    click.echo(f"angelegt: {display_path(ergebnis.pfad)}")
    for hinweis in ergebnis.hinweise:
        click.echo(f"Hinweis: {hinweis}")
    click.echo(f"Weiter: die Datei ergänzen, dann „ratsdoc build {name}“.")


@main.group(context_settings=CONTEXT, options_metavar="[OPTIONEN]",
            subcommand_metavar="BEFEHL [ARGUMENTE]...")
def vorlagen() -> None:
    """Word-Vorlagen: verfügbare Platzhalter zeigen, eine eigene Word-Datei prüfen.

    \b
    Beispiele:
      ratsdoc vorlagen felder beschlussvorlage
      ratsdoc vorlagen pruefen briefkopf.docx --art beschlussvorlage
    """


art_argument = click.argument("art", metavar="ART")


@vorlagen.command(context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@art_argument
@daten_option
@vorlagen_option
def felder(art: str, daten: Path, vorlagen: Path) -> None:
    """Zeigt jeden Platzhalter, den eine Art von Vorlage anbietet, mit Beispielwert.

    ART ist z. B. beschlussvorlage, zwischenbericht, massnahmenkatalog. Die Beispielwerte
    stammen aus den Daten (oder den Beispieldaten des Hausstils). In der Word-Vorlage steht ein
    Platzhalter als {{ name }}; Einträge mit [] sind Listen, über die eine Schleife läuft.

    \b
    Beispiel:
      ratsdoc vorlagen felder beschlussvorlage
    """
    from .template_check import placeholders

    for feld in placeholders(art, daten, vorlagen):
        click.echo(f"{feld.name}\n    {feld.beschreibung}\n    Beispiel: {feld.beispiel}")


@vorlagen.command("pruefen", context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.argument("datei", type=click.Path(path_type=Path, dir_okay=False), metavar="DATEI.docx")
@click.option("--art", required=True, help="Art der Vorlage, z. B. beschlussvorlage.")
@daten_option
@vorlagen_option
def vorlagen_pruefen(datei: Path, art: str, daten: Path, vorlagen: Path) -> None:
    """Prüft eine Word-Datei als Vorlage einer Art: Platzhalter, Schreibfehler, Probelauf.

    Exit-Code 0, wenn die Datei so verwendet werden kann; sonst 1 mit der Liste der Probleme.

    \b
    Beispiel:
      ratsdoc vorlagen pruefen unser-briefkopf.docx --art beschlussvorlage
    """
    from .errors import VorlagenFehler
    from .template_check import check_template

    problems = check_template(datei, art, daten, vorlagen)
    if problems:
        head = "ist als Vorlage der Art „{}“ nicht verwendbar ({} {}):".format(
            art, len(problems), "Problem" if len(problems) == 1 else "Probleme")
        raise VorlagenFehler(datei, "\n".join([head, *(f"- {p}" for p in problems)]))
    click.echo(f"In Ordnung: {display_path(datei)} ist als Vorlage der Art „{art}“ verwendbar.")


@main.command(context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.argument("art", metavar="ART")
@click.argument("name")
@click.option("--stil", help="Hausstil (nötig, wenn mehrere Hausstile diese Art kennen).")
@daten_option
@vorlagen_option
def neu(art: str, name: str, stil: str | None, daten: Path, vorlagen: Path) -> None:
    """Legt eine neue Vorlage an: DATEN/vorlagen/NAME.yaml mit erklärten Feldern.

    Alles in [eckigen Klammern] ist danach auszufüllen; „ratsdoc check“ weist darauf hin.

    \b
    Beispiel:
      ratsdoc neu beschlussvorlage sprachcafe-2026
    """
    from .scaffold import new_paper

    target = new_paper(daten, vorlagen, art, name, stil)
    click.echo(f"angelegt: {display_path(target)}")


@main.group(context_settings=CONTEXT, options_metavar="[OPTIONEN]",
            subcommand_metavar="BEFEHL [ARGUMENTE]...")
def massnahme() -> None:
    """Maßnahmen des Maßnahmenkatalogs anlegen.

    \b
    Beispiel:
      ratsdoc massnahme neu --handlungsfeld "Wohnen und Unterbringung" --ziel "…" \\
        --text "Sprachcafé" --akteure "Kontaktstelle" --status "In Planung"
    """


@massnahme.command("neu", context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.option("--handlungsfeld", required=True, help="Name des Handlungsfelds, wie im Katalog.")
@click.option("--ziel", required=True, help="Text des Ziels; ein neuer Text legt ein neues Ziel an.")
@click.option("--text", "text", required=True, help="Text der Maßnahme.")
@click.option("--akteure", required=True, help="Akteurinnen und Akteure.")
@click.option("--status", "status_text", required=True, help="Status der Umsetzung.")
@click.option("--kategorie", type=click.Choice([k.value for k in Kategorie]),
              help="Kategorie festlegen, statt sie aus dem Status abzuleiten.")
@click.option("--datum", help="Seit wann die Maßnahme im Katalog steht, TT.MM.JJJJ (Vorgabe: heute).")
@daten_option
def massnahme_neu(handlungsfeld: str, ziel: str, text: str, akteure: str, status_text: str,
                  kategorie: str | None, datum: str | None, daten: Path) -> None:
    """Fügt eine Maßnahme mit der nächsten freien Nummer hinzu.

    Kommentare und Layout der Datei bleiben; die Maßnahme vermerkt, seit wann sie im Katalog
    steht, so dass frühere Berichte sie nicht zeigen.
    """
    import datetime as dt

    from .edit import add_measure, parse_datum

    when = parse_datum(datum, "--datum") if datum else dt.date.today()
    number = add_measure(daten, handlungsfeld, ziel, text, akteure, status_text, when,
                         Kategorie(kategorie) if kategorie else None)
    click.echo(f"Maßnahme {number} angelegt ({when:%d.%m.%Y}).")


benutzer_option = click.option(
    "--benutzer", "benutzer_datei", type=click.Path(path_type=Path, dir_okay=False),
    help="Datei der Benutzer (Vorgabe: ratsdoc-benutzer.json neben dem Datenordner).")


@main.command(context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@daten_option
@vorlagen_option
@ausgabe_option
@click.option("--host", default="127.0.0.1", show_default=True, metavar="ADRESSE",
              help="Adresse, auf der die Seite erreichbar ist; eine andere als 127.0.0.1 nur mit "
              "eingerichteten Benutzern.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              metavar="ZAHL",
              help="Port (0: ein freier).")
@benutzer_option
@click.option("--proxy", metavar="ADRESSE",
              help="Adresse des Reverse-Proxys (HTTPS) vor der Seite: nur ihm wird geglaubt, "
              "wer anfragt (X-Forwarded-For), damit die Sperre nach Fehlversuchen jeden "
              "Rechner einzeln zählt; nur mit eingerichteten Benutzern.")
def web(daten: Path, vorlagen: Path, ausgabe: Path, host: str, port: int,
        benutzer_datei: Path | None, proxy: str | None) -> None:
    """Startet die Webseite für die Sachbearbeitung (im Browser: http://127.0.0.1:8080/).

    Übersicht, Maßnahmenkatalog, Vorlagen und Archiv, mit denselben Prüfungen wie die Befehle.
    Auf 127.0.0.1 (nur dieser Rechner) ohne Anmeldung, solange keine Benutzer eingerichtet
    sind; auf jeder anderen Adresse nur mit Benutzern (ratsdoc benutzer neu).

    \b
    Beispiele:
      ratsdoc web
      ratsdoc web --host 0.0.0.0 --port 8080
      ratsdoc web --host 10.1.2.3 --proxy 10.1.2.1
    """
    from .web import check_start, create_app, serve

    users_file = check_start(host, daten, benutzer_datei, proxy)
    serve(create_app(daten, vorlagen, ausgabe, users_file), host, port, echo=click.echo,
          proxy=proxy)


@main.group(context_settings=CONTEXT, options_metavar="[OPTIONEN]",
            subcommand_metavar="BEFEHL [ARGUMENTE]...")
def benutzer() -> None:
    """Benutzer der Webseite (ratsdoc web) einrichten.

    \b
    Beispiel:
      ratsdoc benutzer neu mueller --rolle bearbeiten
    """


@benutzer.command("neu", context_settings=CONTEXT, options_metavar="[OPTIONEN]")
@click.argument("name")
@click.option("--rolle", required=True, type=click.Choice(["lesen", "bearbeiten"]),
              help="lesen: ansehen und herunterladen; bearbeiten: auch ändern, erzeugen, einreichen.")
@click.option("--passwort-stdin", is_flag=True,
              help="Das Passwort aus der Standardeingabe lesen (erste Zeile), statt es abzufragen.")
@benutzer_option
@daten_option
def benutzer_neu(name: str, rolle: str, passwort_stdin: bool, benutzer_datei: Path | None,
                 daten: Path) -> None:
    """Richtet einen Benutzer ein (oder setzt Rolle und Passwort eines vorhandenen neu).

    Gespeichert wird nur ein argon2-Hash des Passworts, in einer Datei neben dem Datenordner
    (nicht im Datenordner, nicht in git).

    \b
    Beispiele:
      ratsdoc benutzer neu mueller --rolle bearbeiten
      echo "geheimes Passwort" | ratsdoc benutzer neu gast --rolle lesen --passwort-stdin
    """
    from .web.users import add_user, default_users_file

    path = benutzer_datei or default_users_file(daten)
    if passwort_stdin:
        passwort = click.get_text_stream("stdin").readline().rstrip("\r\n")
    else:
        passwort = click.prompt("Passwort", hide_input=True,
                                confirmation_prompt="Passwort wiederholen")
    new = add_user(path, name, rolle, passwort)
    click.echo(f"Benutzer „{name}“ {'angelegt' if new else 'geändert'} (Rolle {rolle}) in "
               f"{display_path(path)}.")
