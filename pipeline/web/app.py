"""The Flask application of `ratsdoc web`: pages, forms and downloads.

Every view parses a request, calls the function the CLI calls for the same task and renders
its German result. What a view must not do: check data itself, write a data or output file
itself, or format a message the pipeline already formats.
"""

from __future__ import annotations

import collections
import datetime as dt
import hmac
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from ..errors import DatenFehler, Konflikt, Problem, RatsdocError, display_path
from ..kategorien import KATEGORIEN, Kategorie
from .users import NAME_LAENGE, Benutzer, check_password, read_users, user_named

ROLLE_OHNE_ANMELDUNG = "bearbeiten"
DATEI = re.compile(r"[a-z0-9][a-z0-9._-]{0,120}\.(docx|pdf)", re.IGNORECASE)
VORSCHAU_ANZAHL = 8  # previews kept in memory
VORSCHAU_SEITEN = 12  # pages shown as images
# Failed logins: per address and user name (guessing one clerk's password), and per address for
# any name (trying one password on many names). Only failures count; while blocked, even the
# right password is refused, so that guessing learns nothing.
FEHLVERSUCHE_NAME = "5 per 15 minutes"
FEHLVERSUCHE_ADRESSE = "20 per 15 minutes"
SPERRE_MINUTEN = 15


@dataclass(frozen=True)
class Einstellungen:
    daten: Path
    vorlagen: Path
    ausgabe: Path
    users_file: Path | None
    pdf: bool | None = None  # None: when LibreOffice is installed


def create_app(daten: Path, vorlagen: Path, ausgabe: Path, users_file: Path | None = None,
               pdf: bool | None = None) -> Flask:
    """The web application over a data folder, a templates folder and an output folder.

    With a users file that holds users, every page needs a login; without one (only allowed on
    a loopback address, see `check_start`) everyone on this computer may edit, and the history
    records the operating system's user name. `pdf`: whether „Dokumente erzeugen“ also writes
    PDF/A (None: when LibreOffice is installed).
    """
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),  # a restart ends every session
        SESSION_COOKIE_NAME="ratsdoc_sitzung",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=2_000_000,
        RATSDOC=Einstellungen(Path(daten), Path(vorlagen), Path(ausgabe),
                              Path(users_file) if users_file else None, pdf),
    )
    app.jinja_env.autoescape = True
    app.jinja_env.globals.update(KATEGORIEN=KATEGORIEN, csrf_token=_csrf_token)
    app.extensions["ratsdoc_vorschau"] = _Vorschauen()
    app.before_request(_before)
    app.after_request(_headers)
    for code in (403, 404, 405, 413, 500):
        app.register_error_handler(code, _error_page)
    app.register_error_handler(429, _too_many_logins)
    _routes(app, _login_limiter(app))
    return app


def _cfg() -> Einstellungen:
    from flask import current_app

    return current_app.config["RATSDOC"]


# --- login, roles, CSRF ------------------------------------------------------------------------


def _login_needed() -> bool:
    path = _cfg().users_file
    return path is not None and bool(read_users(path))


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _before() -> BaseResponse | None:
    if request.endpoint == "static":
        return None
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
            abort(403, "Das Formular ist abgelaufen oder stammt nicht von dieser Seite "
                       "(Sicherheitsmerkmal fehlt). Bitte die Seite neu laden und erneut senden.")
    if not _login_needed():
        g.benutzer = Benutzer(_os_user(), ROLLE_OHNE_ANMELDUNG)
        g.anmeldung = False
        return None
    g.anmeldung = True
    users_file = _cfg().users_file
    assert users_file is not None
    name = session.get("benutzer")
    user = user_named(users_file, name) if name else None
    g.benutzer = user
    if user is None and request.endpoint not in ("anmelden", "kategorien_css"):
        if request.method == "POST":
            abort(403, "Bitte zuerst anmelden.")
        return redirect(url_for("anmelden", weiter=request.full_path.rstrip("?")))
    return None


def _os_user() -> str:
    from ..record import os_user

    return os_user() or "web"


def _darf_bearbeiten() -> Benutzer:
    user: Benutzer | None = g.get("benutzer")
    if user is None or not user.darf_bearbeiten:
        abort(403, "Ihre Rolle „lesen“ erlaubt Ansehen und Herunterladen, aber keine Änderungen.")
    return user


def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response


def _error_page(error) -> tuple[str, int]:
    code = getattr(error, "code", 500) or 500
    titles = {403: "Nicht erlaubt", 404: "Nicht gefunden", 405: "Nicht erlaubt",
              413: "Zu groß", 500: "Fehler"}
    texts = {404: "Diese Seite oder Datei gibt es nicht.",
             405: "Diese Adresse nimmt diese Art von Anfrage nicht an.",
             413: "Die gesendeten Daten sind zu groß.",
             500: "Ein unerwarteter Fehler ist aufgetreten; es wurde nichts geändert, was nicht "
                  "schon gemeldet wurde."}
    description = getattr(error, "description", "")
    default = type(error).description if isinstance(error, HTTPException) else ""
    # Our own abort(…, German text) says more than the general text; werkzeug's are English.
    text = description if description and description != default else texts.get(code, "")
    return render_template("fehler.html", titel=titles.get(code, "Fehler"), text=text), code


def _login_limiter(app: Flask):
    """Flask-Limiter, in this process's memory (the web page is one process): a restart forgets
    the counts, as it ends every session."""
    import logging

    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    logging.getLogger("flask-limiter").setLevel(logging.ERROR)  # its own messages are English
    # The limits are tested before the password check and deducted after it: without a lock, the
    # server's threads all passed the test at once (8 failures instead of 5). One login attempt
    # per address at a time (striped locks: bounded memory), registered before the limiter's hooks.
    locks = [threading.Lock() for _ in range(64)]

    def hold() -> None:
        if request.endpoint == "anmelden" and request.method == "POST":
            lock = locks[hash(get_remote_address()) % len(locks)]
            lock.acquire()
            g.anmeldung_sperre = lock

    def release(_error: BaseException | None) -> None:
        lock = g.pop("anmeldung_sperre", None)
        if lock is not None:
            lock.release()

    app.before_request(hold)
    app.teardown_request(release)
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://",
                      strategy="fixed-window")

    def failed(response: Response) -> bool:
        return response.status_code == 401

    def per_name() -> str:
        return f"{get_remote_address()}|{_login_name().lower()}"

    def limited(view):
        view = limiter.limit(FEHLVERSUCHE_ADRESSE, methods=["POST"], deduct_when=failed)(view)
        return limiter.limit(FEHLVERSUCHE_NAME, key_func=per_name, methods=["POST"],
                             deduct_when=failed)(view)

    return limited


def _too_many_logins(error) -> tuple[str, int, dict[str, str]]:
    fehler = ("Zu viele fehlgeschlagene Anmeldungen. Bitte in "
              f"{SPERRE_MINUTEN} Minuten erneut versuchen oder die Verwaltung des Zugangs fragen.")
    weiter = request.values.get("weiter", "/")
    page = render_template("anmelden.html", fehler=fehler,
                           name=_login_name(), weiter=weiter if _safe_next(weiter) else "/")
    return page, 429, {"Retry-After": str(SPERRE_MINUTEN * 60)}


def _login_name() -> str:
    """The name typed at login, as far as a name can go: a longer text is nobody's name, and a
    form of 2 MB is neither kept as a counter nor shown again."""
    return request.form.get("benutzername", "").strip()[:NAME_LAENGE + 1]


def _safe_next(weiter: str) -> bool:
    """A path on this site, never another host (//host, \\host)."""
    return weiter.startswith("/") and not weiter.startswith("//") and "\\" not in weiter


# --- helpers -----------------------------------------------------------------------------------


def _fields_of(problems: list[Problem], first: bool) -> tuple[dict[str, list[str]], list[str]]:
    """Problems by form field: the first (papers) or last (measures) name of their field path."""
    by_field: dict[str, list[str]] = {}
    rest = []
    for problem in problems:
        names = [part for part in re.split(r"[.\[\]]", problem.feld) if part and not part.isdigit()]
        if names:
            by_field.setdefault(names[0] if first else names[-1], []).append(problem.meldung)
        else:
            rest.append(str(problem))
    return by_field, rest


def _fehlerzeilen(exc: RatsdocError) -> list[str]:
    if isinstance(exc, DatenFehler):
        return [str(p) for p in exc.probleme]
    return exc.format_message().splitlines()


def _german_datetime(iso: str) -> str:
    try:
        return dt.datetime.fromisoformat(iso).astimezone().strftime("%d.%m.%Y, %H:%M Uhr")
    except ValueError:
        return iso


def _german_date(iso: str) -> str:
    try:
        return dt.date.fromisoformat(iso).strftime("%d.%m.%Y")
    except ValueError:
        return iso or "ohne Datum"


def _libreoffice() -> bool:
    from ..pdf import ExportFehler, soffice_path

    try:
        soffice_path()
    except ExportFehler:
        return False
    return True


def _paper_kind(name: str):
    """The kind of a paper by its data file's `art`; 404 for a name that is no paper."""
    from ..edit import paper_path
    from ..kinds import kinds
    from ..load import read_yaml

    try:
        path = paper_path(_cfg().daten, name)
    except DatenFehler:
        abort(404)
    data, _, _ = read_yaml(path)
    art = data.get("art") if isinstance(data, dict) else None
    if art not in kinds() or kinds()[art].datei:
        abort(404)
    return kinds()[art]


class _Vorschauen:
    """The last few previews (docx bytes and page images), by a random id."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: collections.OrderedDict[str, dict[str, Any]] = collections.OrderedDict()

    def add(self, entry: dict[str, Any]) -> str:
        key = secrets.token_urlsafe(12)
        with self.lock:
            self.items[key] = entry
            while len(self.items) > VORSCHAU_ANZAHL:
                self.items.popitem(last=False)
        return key

    def get(self, key: str) -> dict[str, Any]:
        with self.lock:
            entry = self.items.get(key)
        if entry is None:
            abort(404)
        return entry


def _page_images(name: str, docx: bytes) -> list[bytes]:
    """The preview's pages as PNG (LibreOffice + pdftoppm), or [] when either is missing."""
    from ..pdf import convert_to_pdfa

    if not _libreoffice() or shutil.which("pdftoppm") is None:
        return []
    pdf = convert_to_pdfa({name: docx}, {}, timeout=120)[name]
    with tempfile.TemporaryDirectory(prefix="ratsdoc-vorschau-") as tmp:
        source = Path(tmp) / "vorschau.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-l", str(VORSCHAU_SEITEN), str(source),
                        str(Path(tmp) / "seite")], check=True, capture_output=True, timeout=120)
        return [p.read_bytes() for p in sorted(Path(tmp).glob("seite*.png"))]


# --- the pages ---------------------------------------------------------------------------------


def _routes(app: Flask, login_limited) -> None:
    @app.get("/kategorien.css")
    def kategorien_css() -> Response:
        css = "".join(f".kat-{k.value}{{background:#{info.farbe}}}\n" for k, info in KATEGORIEN.items())
        return Response(css, mimetype="text/css")

    @app.route("/anmelden", methods=["GET", "POST"])
    @login_limited
    def anmelden():
        if not g.anmeldung:
            return redirect(url_for("uebersicht"))
        weiter = request.values.get("weiter", "/")
        if not _safe_next(weiter):
            weiter = "/"
        fehler = ""
        name = ""
        if request.method == "POST":
            name = _login_name()
            users_file = _cfg().users_file
            assert users_file is not None
            user = check_password(users_file, name, request.form.get("passwort", ""))
            if user is not None:
                session.clear()  # a new session: no fixation
                session["benutzer"] = user.name
                _csrf_token()
                return redirect(weiter, 303)
            fehler = "Benutzername oder Passwort ist falsch."
        return render_template("anmelden.html", fehler=fehler, name=name,
                               weiter=weiter), 401 if fehler else 200

    @app.post("/abmelden")
    def abmelden():
        session.clear()
        return redirect(url_for("anmelden") if g.anmeldung else url_for("uebersicht"), 303)

    @app.get("/")
    def uebersicht():
        return _uebersicht_page()

    @app.post("/erzeugen")
    def erzeugen():
        from ..build import bericht_zeilen, build

        _darf_bearbeiten()
        cfg = _cfg()
        pdf = _libreoffice() if cfg.pdf is None else cfg.pdf
        try:
            bericht = build(cfg.daten, cfg.ausgabe, cfg.vorlagen, pdf=pdf)
        except RatsdocError as exc:
            return _uebersicht_page(fehler=_fehlerzeilen(exc), status=422)
        return _uebersicht_page(zeilen=bericht_zeilen(bericht, cfg.ausgabe), mit_pdf=pdf)

    @app.get("/ausgabe/<datei>")
    def ausgabe_datei(datei: str):
        if not DATEI.fullmatch(datei):  # first: no separator, no dot-dot, no NUL reaches a path
            abort(404)
        folder = _cfg().ausgabe.resolve()
        path = (folder / datei).resolve()
        if path.parent != folder or not path.is_file():
            abort(404)
        return send_file(path, as_attachment=True, download_name=datei)

    @app.get("/katalog")
    def katalog():
        from ..edit import read_katalog

        wanted = request.args.get("kategorie", "")
        try:
            chosen = Kategorie(wanted) if wanted else None
        except ValueError:
            chosen = None
        try:
            doc = read_katalog(_cfg().daten)
        except RatsdocError as exc:
            return render_template("katalog.html", fehler=_fehlerzeilen(exc), felder=[],
                                   gewaehlt=wanted, anzahl={}, gesamt=0), 500
        anzahl = collections.Counter(m.status_kategorie for m in doc.massnahmen())
        felder = []
        for hf in doc.handlungsfelder:
            ziele = []
            for z in hf.ziele:
                shown = [m for m in z.massnahmen if chosen is None or m.status_kategorie == chosen]
                if shown:
                    ziele.append((z.ziel, shown))
            if ziele:
                felder.append((hf.name, ziele))
        return render_template("katalog.html", felder=felder, gewaehlt=chosen.value if chosen else "",
                               anzahl=anzahl, gesamt=len(doc.massnahmen()), titel=doc.titel,
                               stand=doc.aktueller_stand, fehler=[])

    @app.route("/katalog/<int:nr>", methods=["GET", "POST"])
    def massnahme(nr: int):
        return _massnahme_page(nr)

    @app.route("/katalog/neu", methods=["GET", "POST"])
    def massnahme_neu():
        return _neu_page()

    @app.route("/vorlagen/<name>", methods=["GET", "POST"])
    def vorlage(name: str):
        return _vorlage_page(name)

    @app.get("/vorschau/<key>/seite-<int:seite>.png")
    def vorschau_seite(key: str, seite: int):
        entry = app.extensions["ratsdoc_vorschau"].get(key)
        if not 1 <= seite <= len(entry["seiten"]):
            abort(404)
        return Response(entry["seiten"][seite - 1], mimetype="image/png")

    @app.get("/vorschau/<key>/<datei>")
    def vorschau_docx(key: str, datei: str):
        entry = app.extensions["ratsdoc_vorschau"].get(key)
        if datei != f"{entry['name']}-vorschau.docx":
            abort(404)
        import io

        return send_file(io.BytesIO(entry["docx"]), as_attachment=True, download_name=datei,
                         mimetype="application/vnd.openxmlformats-officedocument"
                                  ".wordprocessingml.document")

    @app.get("/archiv")
    def archiv():
        return _archiv_page(pruefen="pruefen" in request.args)

    @app.get("/archiv/vergleich")
    def vergleich():
        import io

        from ..compare import aenderungsuebersicht

        cfg = _cfg()
        dokument = request.args.get("dokument", "")
        try:
            a, b = int(request.args.get("a", "")), int(request.args.get("b", ""))
        except ValueError:
            return _archiv_page(fehler=["Bitte zwei Versionen wählen."], status=422)
        try:
            name, data = aenderungsuebersicht(cfg.daten, cfg.vorlagen, cfg.ausgabe, dokument, a, b)
        except RatsdocError as exc:
            return _archiv_page(fehler=_fehlerzeilen(exc), status=422)
        return send_file(io.BytesIO(data), as_attachment=True, download_name=name,
                         mimetype="application/vnd.openxmlformats-officedocument"
                                  ".wordprocessingml.document")

    @app.get("/archiv/<dokument>/<datei>")
    def archiv_datei(dokument: str, datei: str):
        from ..archive import Archiv

        if not DATEI.fullmatch(datei) or not DATEI.fullmatch(f"{dokument}.docx"):
            abort(404)
        archive = Archiv.open(_cfg().ausgabe)
        relative = f"{dokument}/{datei}"
        if relative not in {p for v in archive.versionen for p in v.dateien()}:
            abort(404)
        path = (archive.ordner / relative).resolve()
        if not path.is_relative_to(archive.ordner.resolve()) or not path.is_file():
            abort(404)
        return send_file(path, as_attachment=True, download_name=f"{dokument}_{datei}")


def _uebersicht_page(zeilen: list[tuple[str, str]] | None = None, fehler: list[str] | None = None,
                     mit_pdf: bool = False, status: int = 200):
    from ..archive import Archiv
    from ..kinds import dokumentinfo, kind_of
    from ..record import german_time
    from ..validate import load_and_validate

    cfg = _cfg()
    papiere = []
    datenfehler: list[str] = []
    try:
        daten = load_and_validate(cfg.daten, cfg.vorlagen)
        archive = Archiv.open(cfg.ausgabe)
    except RatsdocError as exc:
        datenfehler = _fehlerzeilen(exc)
    else:
        for name, doc in daten.dokumente.items():
            kind = kind_of(doc)
            state = archive.einreichung(name)
            latest = archive.latest(name)
            papiere.append({
                "name": name,
                "titel": dokumentinfo(name, daten).titel,
                "art": kind.bezeichnung,
                "zustand": (f"eingereicht am {german_time(state.zeit)}" if state.version
                            else "Entwurf"),
                "version": (f"v{latest.version} (Stand {_german_date(latest.datum)})"
                            if latest else "noch keine"),
                "docx": (cfg.ausgabe / f"{name}.docx").is_file(),
                "pdf": (cfg.ausgabe / f"{name}.pdf").is_file(),
                "seite": url_for("katalog") if kind.datei else url_for("vorlage", name=name),
            })
    return render_template("uebersicht.html", papiere=papiere, datenfehler=datenfehler,
                           zeilen=zeilen, fehler=fehler or [], mit_pdf=mit_pdf,
                           libreoffice=_libreoffice() if cfg.pdf is None else cfg.pdf), status


def _find_measure(nr: int):
    from ..edit import read_katalog

    try:
        doc = read_katalog(_cfg().daten)
    except RatsdocError as exc:
        abort(500, exc.format_message())
    for hf in doc.handlungsfelder:
        for z in hf.ziele:
            for m in z.massnahmen:
                if m.nr == nr:
                    return hf.name, z.ziel, m
    abort(404)


def _massnahme_page(nr: int):
    from ..edit import Aenderung, apply_changes, massnahme_stand, parse_datum

    handlungsfeld, ziel, measure = _find_measure(nr)
    form: dict[str, str] = {"status": measure.status,
                            "kategorie": measure.kategorie.value if measure.kategorie else "",
                            "datum": dt.date.today().strftime("%d.%m.%Y"), "notiz": "",
                            "fortschritt": ""}
    stand = massnahme_stand(measure)
    fehler: dict[str, list[str]] = {}
    allgemein: list[str] = []
    konflikt: list[tuple[str, str, str]] = []
    status = 200
    if request.method == "POST":
        user = _darf_bearbeiten()
        form = {key: request.form.get(key, "") for key in form}
        loaded = request.form.get("stand", "")
        kategorie = None
        try:
            kategorie = Kategorie(form["kategorie"]) if form["kategorie"] else None
        except ValueError:
            fehler["kategorie"] = [f"„{form['kategorie']}“ ist keine Kategorie"]
        try:
            when = parse_datum(form["datum"], "Datum") if form["datum"].strip() else dt.date.today()
        except DatenFehler as exc:
            fehler.setdefault("datum", []).extend(p.meldung for p in exc.probleme)
            when = None
        if not fehler and when is not None:
            change = Aenderung(nr, form["status"].strip(), when, form["notiz"].strip(), kategorie,
                               form["fortschritt"].strip(), von=user.name)
            try:
                bericht = apply_changes(_cfg().daten, [change], "Webseite", erwartet={nr: loaded})
            except Konflikt as exc:
                mine = {"status": form["status"], "kategorie": (
                    KATEGORIEN[kategorie].bezeichnung if kategorie else "automatisch"),
                        "text": measure.text}
                labels = {"status": "Status", "kategorie": "Kategorie", "text": "Maßnahme"}
                konflikt = [(labels[k], mine[k], v) for k, v in exc.aktuell.items()
                            if k == "status" or mine[k] != v]
                _, _, measure = _find_measure(nr)
                stand = massnahme_stand(measure)
                status = 409
            except DatenFehler as exc:
                fehler, allgemein = _fields_of(exc.probleme, first=False)
                if "text" in fehler:
                    fehler.setdefault("fortschritt", []).extend(fehler.pop("text"))
                status = 422
            except RatsdocError as exc:
                allgemein = _fehlerzeilen(exc)
                status = 422
            else:
                for note in bericht.uebersprungen:
                    flash(note)
                flash(f"Maßnahme {nr} gespeichert.")
                return redirect(url_for("massnahme", nr=nr), 303)
        else:
            status = 422
    return render_template("massnahme.html", nr=nr, m=measure, handlungsfeld=handlungsfeld,
                           ziel=ziel, form=form, stand=stand, fehler=fehler, allgemein=allgemein,
                           konflikt=konflikt), status


def _neu_page():
    from ..edit import add_measure, read_katalog

    try:
        doc = read_katalog(_cfg().daten)
    except RatsdocError as exc:
        abort(500, exc.format_message())
    form = {key: request.form.get(key, "") for key in
            ("handlungsfeld", "ziel", "text", "akteure", "status", "kategorie")}
    fehler: dict[str, list[str]] = {}
    allgemein: list[str] = []
    status = 200
    if request.method == "POST":
        user = _darf_bearbeiten()
        kategorie = None
        try:
            kategorie = Kategorie(form["kategorie"]) if form["kategorie"] else None
        except ValueError:
            fehler["kategorie"] = [f"„{form['kategorie']}“ ist keine Kategorie"]
        if not form["ziel"].strip():
            fehler["ziel"] = ["darf nicht leer sein"]
        if not fehler:
            try:
                nr = add_measure(_cfg().daten, form["handlungsfeld"], form["ziel"].strip(),
                                 form["text"].strip(), form["akteure"].strip(),
                                 form["status"].strip(), dt.date.today(), kategorie, user.name)
            except DatenFehler as exc:
                fehler, allgemein = _fields_of(exc.probleme, first=False)
            except RatsdocError as exc:
                allgemein = _fehlerzeilen(exc)
            else:
                flash(f"Maßnahme {nr} angelegt und gespeichert.")
                return redirect(url_for("massnahme", nr=nr), 303)
        status = 422
    ziele = sorted({z.ziel for hf in doc.handlungsfelder for z in hf.ziele})
    return render_template("neu.html", handlungsfelder=[hf.name for hf in doc.handlungsfelder],
                           ziele=ziele, form=form, fehler=fehler, allgemein=allgemein), status


def _vorlage_page(name: str):
    from ..archive import Archiv
    from ..edit import felder_stand, paper_texts, set_fields
    from ..record import german_time

    kind = _paper_kind(name)
    cfg = _cfg()
    labels = kind.bearbeitbar
    try:
        current = paper_texts(cfg.daten, name, list(labels))
    except RatsdocError as exc:
        abort(500, exc.format_message())
    state = Archiv.open(cfg.ausgabe).einreichung(name)
    von = f" von {state.von}" if state.von else ""
    eingereicht = (f"Eingereicht am {german_time(state.zeit)}{von} (Version "
                   f"v{state.version.version}); die Vorlage wird nicht mehr verändert."
                   if state.version else "")
    form = {key: value or "" for key, value in current.items()}
    stand = felder_stand(current)
    fehler: dict[str, list[str]] = {}
    allgemein: list[str] = []
    konflikt: list[tuple[str, str, str]] = []
    vorschau: dict[str, Any] | None = None
    status = 200
    if request.method == "POST":
        aktion = request.form.get("aktion", "speichern")
        sent = {key: request.form.get(key, form[key]) for key in labels if current[key] is not None}
        if aktion == "vorschau":
            vorschau, allgemein, fehler = _preview(name, sent, {k: v or "" for k, v in
                                                                current.items()})
            form |= sent
            status = 422 if allgemein or fehler else 200
        elif eingereicht:
            abort(403, "Die Vorlage ist eingereicht und wird nicht mehr verändert.")
        elif aktion == "einreichen":
            _darf_bearbeiten()
            from ..edit import form_text
            from ..record import einreichen

            if any(form_text(sent[k]) != form_text(current[k] or "") for k in sent):
                allgemein = ["Die Eingaben sind noch nicht gespeichert: bitte zuerst „Speichern“, "
                             "dann auf der Übersicht „Dokumente erzeugen“, dann „Einreichen“."]
                form |= sent
                status = 422
            else:
                try:
                    done = einreichen(name, cfg.daten, cfg.vorlagen, cfg.ausgabe, von=g.benutzer.name)
                except RatsdocError as exc:
                    allgemein = _fehlerzeilen(exc)
                    if "ratsdoc build" in exc.format_message():
                        allgemein.append("Auf dieser Seite heißt das: Übersicht → „Dokumente "
                                         "erzeugen“.")
                    status = 422
                else:
                    flash(f"eingereicht: {name} Version v{done.version} am "
                          f"{german_time(done.zeit)}; sie wird nicht mehr verändert.")
                    return redirect(url_for("vorlage", name=name), 303)
        else:
            _darf_bearbeiten()
            try:
                changed = set_fields(cfg.daten, name, sent, request.form.get("stand", ""))
            except Konflikt as exc:
                konflikt = [(labels[k], sent[k], v) for k, v in exc.aktuell.items()
                            if k in sent and sent[k] != v]
                form |= sent
                stand = felder_stand(paper_texts(cfg.daten, name, list(labels)))
                status = 409
            except DatenFehler as exc:
                fehler, allgemein = _fields_of(exc.probleme, first=True)
                form |= sent
                status = 422
            except RatsdocError as exc:
                allgemein = _fehlerzeilen(exc)
                form |= sent
                status = 422
            else:
                flash("gespeichert." if changed else "Keine Änderung; nichts gespeichert.")
                return redirect(url_for("vorlage", name=name), 303)
    return render_template("vorlage.html", name=name, art=kind.bezeichnung, labels=labels,
                           form=form, fest={k for k, v in current.items() if v is None},
                           stand=stand, fehler=fehler, allgemein=allgemein, konflikt=konflikt,
                           eingereicht=eingereicht, vorschau=vorschau,
                           libreoffice=_libreoffice()), status


def _preview(name: str, sent: dict[str, str], current: dict[str, str]
             ) -> tuple[dict[str, Any] | None, list[str], dict[str, list[str]]]:
    """Render the paper with the form's texts (in a copy of the data folder: nothing is saved)."""
    from flask import current_app

    from ..build import preview
    from ..edit import set_fields

    cfg = _cfg()
    with tempfile.TemporaryDirectory(prefix="ratsdoc-vorschau-") as tmp:
        copy = Path(tmp) / cfg.daten.name
        shutil.copytree(cfg.daten, copy, ignore=shutil.ignore_patterns(".git", "*.lock"))
        try:
            changed = set_fields(copy, name, sent)
            docx = preview(copy, cfg.vorlagen, cfg.ausgabe, name)
            seiten = _page_images(name, docx)
        except DatenFehler as exc:
            fehler, rest = _fields_of(exc.probleme, first=True)
            return None, [line.replace(display_path(copy), display_path(cfg.daten)) for line in rest], fehler
        except RatsdocError as exc:
            return None, [line.replace(display_path(copy), display_path(cfg.daten))
                          for line in _fehlerzeilen(exc)], {}
    key = current_app.extensions["ratsdoc_vorschau"].add({"name": name, "docx": docx,
                                                          "seiten": seiten})
    return {"key": key, "seiten": len(seiten), "ungespeichert": bool(changed),
            "datei": f"{name}-vorschau.docx"}, [], {}


def _archiv_page(pruefen: bool = False, fehler: list[str] | None = None, status: int = 200):
    from ..archive import Archiv

    cfg = _cfg()
    try:
        archive = Archiv.open(cfg.ausgabe)
    except RatsdocError as exc:
        return render_template("archiv.html", dokumente={}, fehler=_fehlerzeilen(exc),
                               pruefung=None), 500
    dokumente: dict[str, list[dict[str, Any]]] = {}
    for v in archive.versionen:
        dokumente.setdefault(v.dokument, []).append({
            "version": v.version, "stand": _german_date(v.datum),
            "zeit": _german_datetime(v.zeit),
            "eingereicht": (_german_datetime(v.eingereicht) + (f" ({v.eingereicht_von})"
                                                               if v.eingereicht_von else "")
                            if v.eingereicht else ""),
            "docx": Path(v.docx).name, "pdf": Path(v.pdf).name if v.pdf else ""})
    pruefung = None
    if pruefen:
        problems, notes = archive.check()
        pruefung = {"probleme": problems, "hinweise": notes,
                    "ok": f"Archiv in Ordnung: {len(archive.versionen)} Versionen, "
                          f"{archive.anzahl_dateien()} Dateien geprüft." if not problems else ""}
    return render_template("archiv.html", dokumente=dokumente, fehler=fehler or [],
                           pruefung=pruefung), status
