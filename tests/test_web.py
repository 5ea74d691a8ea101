"""ratsdoc web: a real server on a free loopback port, real HTTP, real Chromium.

The HTTP tests run the server with waitress, as `ratsdoc web` does, and talk to it with
urllib/http.client; the browser tests (slow) drive Debian's Chromium through Playwright. Nothing
is mocked: the data are copies of the shipped data, the output folders are fresh.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import io
import json
import os
import re
import shutil
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document

from pipeline.web import check_start, create_app

from .conftest import ROOT, TEMPLATES, run

VENDOR = Path(__file__).parent / "vendor"
KATALOG = "massnahmenkatalog.yaml"
PAPIER = "integrationsplan-2020"


# --- a real server -----------------------------------------------------------------------------


@contextlib.contextmanager
def served(daten: Path, ausgabe: Path, users_file: Path | None = None,
           pdf: bool | None = False, proxy: str | None = None) -> Iterator[str]:
    """The app served by waitress on a free loopback port, in a thread; yields its address."""
    from pipeline.web import make_server

    app = create_app(daten, TEMPLATES, ausgabe, users_file, pdf=pdf)
    server = make_server(app, "127.0.0.1", 0, proxy)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop(server, thread)


def stop(server, thread: threading.Thread) -> None:
    """Stop waitress from inside its own loop: requests finished, sockets closed, loop ended."""

    def close_all() -> None:
        server.task_dispatcher.shutdown(timeout=10)
        for channel in list(server._map.values()):
            if channel is not server.trigger:
                channel.close()
        server.trigger.close()

    server.trigger.pull_trigger(close_all)
    thread.join(timeout=15)
    assert not thread.is_alive(), "der Server hat nicht angehalten"


class Client:
    """A browser without JavaScript: cookies, forms, redirects followed."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str, dict[str, str]]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, fields: dict[str, str], token: bool = True) -> tuple[int, str, dict]:
        if token:
            fields = {"csrf_token": self.token(), **fields}
        data = urllib.parse.urlencode(fields).encode()
        return self._open(urllib.request.Request(self.base + path, data=data, method="POST"))

    def token(self) -> str:
        """The session's CSRF token, as every page's forms carry it."""
        status, page, _ = self.get("/")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found, f"kein Sicherheitsmerkmal ({status})"
        return found.group(1)

    def _open(self, request) -> tuple[int, str, dict[str, str]]:
        try:
            with self.opener.open(request, timeout=120) as response:
                body = response.read()
                return response.status, _text(body, response.headers), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, _text(error.read(), error.headers), dict(error.headers)

    def raw(self, path: str) -> int:
        """GET a path exactly as written (no normalisation of ../ or %2F by the client)."""
        host = urllib.parse.urlsplit(self.base)
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        connection.putrequest("GET", path, skip_host=False, skip_accept_encoding=True)
        connection.endheaders()
        status = connection.getresponse().status
        connection.close()
        return status


def _text(body: bytes, headers) -> str:
    return body.decode("utf-8") if "text" in headers.get("Content-Type", "") else ""


def _field_error(page: str, field: str) -> str:
    found = re.search(rf'<p class="feldfehler" id="{field}-fehler">(.*?)</p>', page, re.S)
    return re.sub(r"<[^>]+>", " ", found.group(1)) if found else ""


def _login(client: Client, name: str, passwort: str) -> tuple[int, str, dict]:
    return client.post("/anmelden", {"benutzername": name, "passwort": passwort})


# --- starting ----------------------------------------------------------------------------------


def test_open_address_without_users_is_refused_with_a_german_message(data_copy, tmp_path):
    users_file = tmp_path / "keine-benutzer.json"
    result = run("web", "--host", "0.0.0.0", "--daten", str(data_copy), "--benutzer", str(users_file))
    assert result.exit_code == 1
    assert "Fehler: ratsdoc web startet auf 0.0.0.0 nur mit Anmeldung" in result.output
    assert "ratsdoc benutzer neu" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_open_address_with_users_and_loopback_without_are_allowed(data_copy, users, tmp_path):
    assert check_start("0.0.0.0", data_copy, users) == users
    assert check_start("127.0.0.1", data_copy, tmp_path / "fehlt.json") == tmp_path / "fehlt.json"
    assert check_start("::1", data_copy, None) == data_copy.resolve().parent / "ratsdoc-benutzer.json"


def test_benutzer_neu_stores_only_an_argon2_hash_beside_the_data(data_copy):
    result = run("benutzer", "neu", "mueller", "--rolle", "bearbeiten", "--passwort-stdin",
                 "--daten", str(data_copy))
    assert result.exit_code == 1 and "zu kurz" in result.output  # no stdin: empty password
    from click.testing import CliRunner

    from pipeline.cli import main

    result = CliRunner().invoke(main, ["benutzer", "neu", "mueller", "--rolle", "bearbeiten",
                                       "--passwort-stdin", "--daten", str(data_copy)],
                                input="ein langes Passwort\n")
    assert result.exit_code == 0, result.output
    path = data_copy.parent / "ratsdoc-benutzer.json"
    text = path.read_text(encoding="utf-8")
    assert "$argon2id$" in text and "ein langes Passwort" not in text
    assert path.stat().st_mode & 0o077 == 0
    assert not (data_copy / "ratsdoc-benutzer.json").exists()
    result = CliRunner().invoke(main, ["benutzer", "neu", "x", "--rolle", "bearbeiten",
                                       "--daten", str(data_copy)], input="passwort-eins\npasswort-zwei\n"
                                "passwort-eins\npasswort-eins\n")
    assert "die beiden Eingaben stimmen nicht überein" in result.output
    assert result.exit_code == 0, result.output


# --- HTTP: security ----------------------------------------------------------------------------


def test_post_without_csrf_token_is_refused_and_writes_nothing(data_copy, ausgabe):
    before = (data_copy / KATALOG).read_bytes()
    with served(data_copy, ausgabe) as base:
        client = Client(base)
        client.get("/katalog/3")  # a session exists; its token is simply not sent
        for path in ("/katalog/3", "/katalog/neu", f"/vorlagen/{PAPIER}", "/erzeugen"):
            status, page, _ = client.post(path, {"status": "Abgeschlossen", "stand": "x"},
                                          token=False)
            assert status == 403, path
            assert "Sicherheitsmerkmal fehlt" in page
        status, _, _ = client.post("/katalog/3", {"status": "Abgeschlossen", "csrf_token": "falsch"},
                                   token=False)
        assert status == 403
    assert (data_copy / KATALOG).read_bytes() == before
    assert not ausgabe.exists() or not list(ausgabe.glob("*.docx"))


def test_paths_in_urls_never_reach_outside_data_and_output(data_copy, ausgabe, tmp_path):
    (tmp_path / "geheim.docx").write_bytes(b"PK geheim")
    with served(data_copy, ausgabe) as base:
        client = Client(base)
        assert client.post("/erzeugen", {})[0] == 200
        assert client.raw("/ausgabe/massnahmenkatalog.docx") == 200
        assert client.raw("/archiv/massnahmenkatalog/2023-11-30_v1.docx") == 200
        for path in ("/ausgabe/../geheim.docx", "/ausgabe/..%2fgeheim.docx", "/ausgabe/..%2F..%2Fgeheim.docx",
                     "/ausgabe/%2e%2e%2fgeheim.docx", "/ausgabe/.ratsdoc-cache.json",
                     "/ausgabe/..%5cgeheim.docx", "/archiv/massnahmenkatalog/..%2f..%2f..%2fgeheim.docx",
                     "/archiv/..%2f..%2fgeheim.docx/x.docx", "/archiv/archiv/manifest.jsonl",
                     "/archiv/massnahmenkatalog/..%2fmanifest.jsonl",
                     "/vorlagen/..%2fmassnahmenkatalog", "/vorlagen/..%2f..%2fdata%2fhaushalt",
                     "/static/..%2f__init__.py", "/static/../app.py", "/katalog/..%2f..%2fetc",
                     "/vorschau/x/seite-1.png", "/ausgabe/%00.docx"):
            assert client.raw(path) == 404, path


def test_login_roles_and_session_cookie(data_copy, ausgabe, users):
    before = (data_copy / KATALOG).read_bytes()
    with served(data_copy, ausgabe, users) as base:
        client = Client(base)
        status, page, _ = client.get("/katalog")
        assert status == 200 and "Benutzername" in page and "Passwort" in page and "Anmelden" in page
        status, page, _ = _login(client, "mueller", "falsch-falsch")
        assert status == 401 and "Benutzername oder Passwort ist falsch." in page
        status, page, _ = _login(client, "niemand", "mueller-geheim-1")
        assert status == 401
        assert client.post("/katalog/3", {"status": "x"})[0] == 403  # not logged in
        # read only: view and download, nothing else
        reader = Client(base)
        status, page, _ = _login(reader, "gast", "gast-geheim-123")
        assert status == 200 and "gast" in page and "Übersicht" in page
        cookie = next(c for c in reader.jar if c.name == "ratsdoc_sitzung")
        assert cookie.has_nonstandard_attr("HttpOnly")
        assert (cookie.get_nonstandard_attr("SameSite") or "").lower() == "strict"
        status, page, _ = reader.get("/katalog/3")
        assert status == 200 and "Speichern" not in page
        status, page, _ = reader.post("/katalog/3", {"status": "Abgeschlossen", "stand": ""})
        assert status == 403 and "lesen" in page
        assert reader.post("/erzeugen", {})[0] == 403
        assert reader.post("/katalog/neu", {"handlungsfeld": "Arbeit", "ziel": "z", "text": "t",
                                            "akteure": "a", "status": "s"})[0] == 403
        assert reader.post(f"/vorlagen/{PAPIER}", {"betreff": "Neu", "aktion": "speichern"})[0] == 403
        assert reader.post(f"/vorlagen/{PAPIER}", {"aktion": "einreichen"})[0] == 403
        assert (data_copy / KATALOG).read_bytes() == before
        # editing: saves, and the history says who
        editor = Client(base)
        assert _login(editor, "mueller", "mueller-geheim-1")[0] == 200
        status, page, _ = editor.get("/katalog/3")
        stand = re.search(r'name="stand" value="([^"]+)"', page).group(1)
        status, page, _ = editor.post("/katalog/3", {"status": "Wird fortgesetzt", "stand": stand,
                                                     "datum": "15.01.2024", "kategorie": "",
                                                     "notiz": "", "fortschritt": ""})
        assert status == 200 and "Maßnahme 3 gespeichert." in page
        assert "von: mueller" in (data_copy / KATALOG).read_text(encoding="utf-8")
        # logging out ends the session
        assert editor.post("/abmelden", {})[0] == 200
        assert "Anmelden" in editor.get("/katalog/3")[1]
        # a redirect after login stays on this site
        other = Client(base)
        other.get("/anmelden?weiter=//example.org/")
        status, page, _ = other.post("/anmelden?weiter=//example.org/", {
            "benutzername": "gast", "passwort": "gast-geheim-123", "weiter": "//example.org/"})
        assert status == 200 and "Übersicht" in page


def test_guessing_passwords_is_stopped_and_learns_nothing(data_copy, ausgabe, users):
    with served(data_copy, ausgabe, users) as base:
        attacker = Client(base)
        for attempt in range(5):
            status, page, _ = _login(attacker, "mueller", f"geraten-{attempt:04d}")
            assert status == 401 and "Benutzername oder Passwort ist falsch." in page, attempt
        # blocked now: even the right password is refused, in German, with the time to wait
        status, page, headers = _login(attacker, "Mueller ", "mueller-geheim-1")
        assert status == 429
        assert "Zu viele fehlgeschlagene Anmeldungen. Bitte in 15 Minuten erneut versuchen" in page
        assert headers["Retry-After"] == "900"
        assert "Passwort" in attacker.get("/katalog")[1]  # still not logged in
        # another clerk at the same address is not locked out by it, and successes never count
        colleague = Client(base)
        for _ in range(6):
            assert _login(colleague, "gast", "gast-geheim-123")[0] == 200
        # one password tried on many names: the address is stopped after 20 failures in all (5 + 15)
        for number in range(15):
            assert _login(attacker, f"name{number}", "sommer2024")[0] == 401
        status, page, _ = _login(attacker, "gast", "gast-geheim-123")
        assert status == 429 and "Zu viele fehlgeschlagene Anmeldungen" in page


def _from(base: str, address: str) -> Client:
    """A client whose requests the proxy in front says come from `address`."""
    client = Client(base)
    client.opener.addheaders = [("X-Forwarded-For", address)]
    return client


@pytest.mark.parametrize("proxy", ["127.0.0.1", None], ids=["proxy", "ohne-proxy"])
def test_behind_a_proxy_each_clerk_has_their_own_address(data_copy, ausgabe, users, proxy):
    with served(data_copy, ausgabe, users, proxy=proxy) as base:
        attacker = _from(base, "10.0.0.66")
        for attempt in range(5):
            assert _login(attacker, "mueller", f"geraten-{attempt}")[0] == 401
        assert _login(attacker, "mueller", "mueller-geheim-1")[0] == 429
        # mueller at another desk: behind the proxy not locked out; without one the header is
        # anybody's to write, so it changes nothing
        status, page, _ = _login(_from(base, "10.0.0.7"), "mueller", "mueller-geheim-1")
        assert status == (200 if proxy else 429), page


def test_a_huge_name_is_neither_kept_nor_shown_again(data_copy, ausgabe, users):
    with served(data_copy, ausgabe, users) as base:
        status, page, _ = _login(Client(base), "x" * 200_000, "falsch-falsch")
        assert status == 401 and "x" * 65 in page and "x" * 66 not in page


def test_the_archive_records_who_submitted_a_paper(data_copy, ausgabe, users):
    with served(data_copy, ausgabe, users) as base:
        editor = Client(base)
        assert _login(editor, "mueller", "mueller-geheim-1")[0] == 200
        assert "archiviert:" in editor.post("/erzeugen", {})[1]
        paper = editor.get(f"/vorlagen/{PAPIER}")[1]
        form = {k: _textarea(paper, k) for k in ("betreff", "beschlussvorschlag", "sachverhalt")}
        status, page, _ = editor.post(f"/vorlagen/{PAPIER}", {"aktion": "einreichen", **form})
        assert status == 200 and f"eingereicht: {PAPIER} Version v1" in page
        assert re.search(r"Eingereicht am \d\d\.\d\d\.\d{4} von mueller \(Version v1\)", page)
        entries = [json.loads(line) for line in
                   (ausgabe / "archiv" / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
        assert [e.get("von") for e in entries if e["ereignis"] == "eingereicht"] == ["mueller"]
        reader = Client(base)
        assert _login(reader, "gast", "gast-geheim-123")[0] == 200
        assert re.search(r"<td>\d\d\.\d\d\.\d{4}[^<]* \(mueller\)</td>", reader.get("/archiv")[1])


def test_everything_shown_is_escaped(data_copy, ausgabe):
    evil = '<script>alert(1)</script> & "Zitat"'
    with served(data_copy, ausgabe) as base:
        client = Client(base)
        status, page, _ = client.post("/katalog/neu", {
            "handlungsfeld": "Arbeit", "ziel": evil, "text": evil, "akteure": "<b>fett</b>",
            "status": "In Planung", "kategorie": ""})
        assert status == 200, page
        for path in ("/katalog", "/katalog/42"):
            page = client.get(path)[1]
            assert "<script>alert(1)</script>" not in page and "<b>fett</b>" not in page
            assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Zitat&#34;" in page
        headers = client.get("/katalog")[2]
        assert "script-src 'self'" in headers["Content-Security-Policy"]


# --- HTTP: forms without JavaScript ---------------------------------------------------------------


def test_validation_errors_appear_at_their_field_and_nothing_is_written(data_copy, ausgabe):
    before = (data_copy / KATALOG).read_bytes()
    paper = data_copy / "vorlagen" / f"{PAPIER}.yaml"
    paper_before = paper.read_bytes()
    with served(data_copy, ausgabe) as base:
        client = Client(base)
        page = client.get("/katalog/3")[1]
        stand = re.search(r'name="stand" value="([^"]+)"', page).group(1)
        status, page, _ = client.post("/katalog/3", {"status": "Wird fortgesetzt", "stand": stand,
                                                     "datum": "31.02.2024", "kategorie": "",
                                                     "notiz": "", "fortschritt": ""})
        assert status == 422
        assert "„31.02.2024“ ist kein gültiges Datum" in _field_error(page, "datum")
        assert 'id="datum" name="datum" aria-invalid="true"' in page
        status, page, _ = client.post("/katalog/3", {"status": " ", "stand": stand, "datum": "",
                                                     "kategorie": "", "notiz": "", "fortschritt": ""})
        assert status == 422 and "darf nicht leer sein" in _field_error(page, "status")
        status, page, _ = client.post("/katalog/3", {"status": "Abgeschlossen", "stand": stand,
                                                     "datum": "", "kategorie": "",
                                                     "notiz": "Steuer\x01zeichen", "fortschritt": ""})
        assert status == 422 and "Steuerzeichen U+0001" in _field_error(page, "notiz")
        status, page, _ = client.post("/katalog/neu", {"handlungsfeld": "Arbeit", "ziel": "Ein Ziel",
                                                       "text": "", "akteure": "", "status": "",
                                                       "kategorie": ""})
        assert status == 422
        for field in ("text", "akteure", "status"):
            assert "darf nicht leer sein" in _field_error(page, field), field
        fields = client.get(f"/vorlagen/{PAPIER}")[1]
        stand = re.search(r'name="stand" value="([^"]+)"', fields).group(1)
        status, page, _ = client.post(f"/vorlagen/{PAPIER}", {
            "aktion": "speichern", "stand": stand, "betreff": "", "beschlussvorschlag": "Ja.",
            "sachverhalt": ""})
        assert status == 422
        assert "darf nicht leer sein" in _field_error(page, "betreff")
        assert "mindestens 1" in _field_error(page, "sachverhalt")
    assert (data_copy / KATALOG).read_bytes() == before
    assert paper.read_bytes() == paper_before


def test_a_stale_form_is_refused_with_both_values(data_copy, ausgabe):
    with served(data_copy, ausgabe) as base:
        one, two = Client(base), Client(base)
        stand = re.search(r'name="stand" value="([^"]+)"', one.get(f"/vorlagen/{PAPIER}")[1]).group(1)
        two_page = two.get(f"/vorlagen/{PAPIER}")[1]
        stand_two = re.search(r'name="stand" value="([^"]+)"', two_page).group(1)
        texts = {"beschlussvorschlag": "Die Verwaltung wird beauftragt.", "sachverhalt": "Absatz."}
        status, page, _ = one.post(f"/vorlagen/{PAPIER}", {"aktion": "speichern", "stand": stand,
                                                           "betreff": "Betreff von eins", **texts})
        assert status == 200 and "gespeichert." in page
        saved = (data_copy / "vorlagen" / f"{PAPIER}.yaml").read_bytes()
        status, page, _ = two.post(f"/vorlagen/{PAPIER}", {"aktion": "speichern", "stand": stand_two,
                                                           "betreff": "Betreff von zwei", **texts})
        assert status == 409
        assert "Die Daten wurden inzwischen geändert" in page
        assert "Betreff von eins" in page and "Betreff von zwei" in page
        assert (data_copy / "vorlagen" / f"{PAPIER}.yaml").read_bytes() == saved


def test_build_archive_check_and_comparison_through_the_page(data_copy, ausgabe):
    with served(data_copy, ausgabe) as base:
        client = Client(base)
        status, page, _ = client.post("/erzeugen", {})
        assert status == 200 and "Dokumente erzeugt" in page
        assert "geschrieben:</span> " in page and "massnahmenkatalog.docx" in page
        page = client.get("/katalog/3")[1]
        stand = re.search(r'name="stand" value="([^"]+)"', page).group(1)
        assert client.post("/katalog/3", {"status": "Abgeschlossen", "stand": stand, "datum": "15.01.2024",
                                          "kategorie": "", "notiz": "", "fortschritt": ""})[0] == 200
        assert "archiviert:" in client.post("/erzeugen", {})[1]
        status, page, _ = client.get("/archiv")
        assert "v2" in page and "Vergleichen" in page
        status, page, _ = client.get("/archiv?pruefen=1")
        assert "Archiv in Ordnung:" in page
        request = urllib.request.Request(base + "/archiv/vergleich?dokument=massnahmenkatalog&a=1&b=2")
        with urllib.request.urlopen(request, timeout=60) as response:
            assert "massnahmenkatalog_aenderungen_v1_v2.docx" in response.headers["Content-Disposition"]
            data = response.read()
        body = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
        assert "<w:ins " in body and "Abgeschlossen" in body
        status, page, _ = client.get("/archiv/vergleich?dokument=massnahmenkatalog&a=1&b=9")
        assert status == 422 and "Version v9" in page
        # submitting: refused while the paper's output is older than its data
        paper = client.get(f"/vorlagen/{PAPIER}")[1]
        stand = re.search(r'name="stand" value="([^"]+)"', paper).group(1)
        form = {k: _textarea(paper, k) for k in ("betreff", "beschlussvorschlag", "sachverhalt")}
        assert client.post(f"/vorlagen/{PAPIER}", {"aktion": "speichern", "stand": stand,
                                                   **form, "betreff": "Neuer Betreff"})[0] == 200
        status, page, _ = client.post(f"/vorlagen/{PAPIER}", {"aktion": "einreichen",
                                                              **form, "betreff": "Neuer Betreff"})
        assert status == 422 and "seit dem letzten Build geändert" in page
        assert "Übersicht → „Dokumente erzeugen“" in page
        client.post("/erzeugen", {})
        status, page, _ = client.post(f"/vorlagen/{PAPIER}", {"aktion": "einreichen",
                                                              **form, "betreff": "Neuer Betreff"})
        assert status == 200 and f"eingereicht: {PAPIER} Version v2" in page
        assert "readonly" in page and ">Speichern<" not in page
        assert client.post(f"/vorlagen/{PAPIER}", {"aktion": "speichern", "stand": stand,
                                                   **form})[0] == 403
        assert "eingereicht am" in client.get("/")[1]


def _textarea(page: str, name: str) -> str:
    import html

    found = re.search(rf'<textarea id="{name}" name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, name
    return html.unescape(found.group(1))


# --- the browser -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium fehlt: apt-get install chromium")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield instance
        instance.close()


def _page(browser, **options):
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900},
                                  accept_downloads=True, **options)
    context.set_default_timeout(30_000)
    return context, context.new_page()


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True,
                          text=True, env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                                          "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
                          ).stdout


@pytest.mark.slow
def test_a_clerks_whole_journey_in_chromium(browser, data_copy, ausgabe, tmp_path):
    _git(data_copy, "init", "-q")
    _git(data_copy, "add", "-A")
    _git(data_copy, "commit", "-qm", "Ausgangsstand")
    comments = [line for line in (data_copy / KATALOG).read_text(encoding="utf-8").splitlines()
                if line.lstrip().startswith("#") or " # " in line]
    assert comments
    with served(data_copy, ausgabe, pdf=None) as base:
        context, page = _page(browser)
        # 1. the status of measure 3
        page.goto(f"{base}/katalog")
        page.get_by_role("link", name="Maßnahme 3 bearbeiten").click()
        page.get_by_label("Status", exact=True).fill("Wird fortgesetzt")
        page.get_by_label("Datum").fill("15.01.2024")
        page.get_by_label("Notiz").fill("Projekt gestartet")
        page.get_by_role("button", name="Speichern").click()
        page.get_by_text("Maßnahme 3 gespeichert.").wait_for()
        assert page.locator("table").filter(has_text="Projekt gestartet").count() == 1
        # 2. a new measure
        page.goto(f"{base}/katalog")
        page.get_by_role("link", name="Neue Maßnahme").click()
        page.get_by_label("Handlungsfeld").select_option("Wohnen und Unterbringung")
        page.get_by_label("Ziel").fill("Belegung leerstehender Häuser und Wohnungen")
        page.get_by_label("Maßnahme").fill("Sprachcafé für neue Mieterinnen und Mieter")
        page.get_by_label("Akteure").fill("Kontaktstelle für Integration")
        page.get_by_label("Status", exact=True).fill("In Planung")
        page.get_by_role("button", name="Speichern").click()
        page.get_by_text("Maßnahme 42 angelegt und gespeichert.").wait_for()
        # 3. the Sachverhalt of a paper
        page.goto(f"{base}/vorlagen/{PAPIER}")
        sachverhalt = page.get_by_label("Sachverhalt")
        sachverhalt.fill(sachverhalt.input_value() + "\n\nDer Gemeinderat wurde am 01.02.2024 unterrichtet.")
        page.get_by_role("button", name="Speichern").click()
        page.get_by_text("gespeichert.", exact=True).wait_for()
        # 4. build, then download the catalogue
        page.goto(base)
        page.get_by_role("button", name="Dokumente erzeugen").click()
        page.get_by_role("heading", name="Dokumente erzeugt").wait_for(timeout=240_000)
        assert page.get_by_text("massnahmenkatalog.docx").count() >= 1
        with page.expect_download() as download:
            page.get_by_role("link", name="Word massnahmenkatalog.docx").click()
        target = tmp_path / "katalog.docx"
        download.value.save_as(target)
        page.goto(f"{base}/katalog")
        context.close()
    rows = [[cell.text for cell in row.cells] for table in Document(str(target)).tables
            for row in table.rows]
    three = next(r for r in rows if len(r) > 4 and r[1].strip() == "3")  # goal, Nr, text, …
    assert "Wird fortgesetzt" in three
    assert any("Sprachcafé für neue Mieterinnen und Mieter" in cell for r in rows for cell in r)
    diff = _git(data_copy, "diff")
    assert "-            status: In Planung ab 2024" in diff
    assert "+            status: Wird fortgesetzt" in diff
    assert re.search(r"^\+ +von: \S+", diff, re.M)
    assert "+            text: Sprachcafé für neue Mieterinnen und Mieter" in diff
    assert "+  - Der Gemeinderat wurde am 01.02.2024 unterrichtet." in diff
    after = (data_copy / KATALOG).read_text(encoding="utf-8").splitlines()
    assert [line for line in comments if line not in after] == []


@pytest.mark.slow
def test_two_pages_saving_the_same_measure(browser, data_copy, ausgabe):
    with served(data_copy, ausgabe) as base:
        context, first = _page(browser)
        second = context.new_page()
        for page in (first, second):
            page.goto(f"{base}/katalog/5")
        first.evaluate("window.ohneNeuladen = true")
        first.get_by_label("Status", exact=True).fill("Abgeschlossen")
        first.get_by_role("button", name="Speichern").click()
        first.get_by_text("Maßnahme 5 gespeichert.").wait_for()
        # htmx replaced the content: the page was not loaded anew, and the message has the focus
        assert first.evaluate("window.ohneNeuladen === true")
        assert first.evaluate("document.activeElement.textContent") == "Maßnahme 5 gespeichert."
        saved = (data_copy / KATALOG).read_bytes()
        second.get_by_label("Status", exact=True).fill("Noch nicht umgesetzt")
        second.get_by_role("button", name="Speichern").click()
        alert = second.get_by_role("alert").filter(has_text="Die Daten wurden inzwischen geändert")
        alert.wait_for()
        assert "Noch nicht umgesetzt" in alert.inner_text() and "Abgeschlossen" in alert.inner_text()
        assert (data_copy / KATALOG).read_bytes() == saved
        # the form keeps the clerk's input; saving now is a conscious decision
        assert second.get_by_label("Status", exact=True).input_value() == "Noch nicht umgesetzt"
        context.close()


@pytest.mark.slow
def test_forms_work_with_the_keyboard_alone(browser, data_copy, ausgabe):
    with served(data_copy, ausgabe) as base:
        context, page = _page(browser)
        page.goto(f"{base}/katalog/7")
        page.get_by_label("Status", exact=True).focus()
        page.keyboard.press("Control+A")
        page.keyboard.type("Abgeschlossen")
        reached = []
        for _ in range(15):  # Kategorie, Datum, Notiz, Fortschritt, then Speichern
            page.keyboard.press("Tab")
            reached.append(page.evaluate("document.activeElement.id || document.activeElement.textContent"))
            if reached[-1] == "Speichern":
                break
        assert reached[:4] == ["kategorie", "datum", "notiz", "fortschritt"]
        assert reached[-1] == "Speichern"
        page.keyboard.press("Enter")
        page.get_by_text("Maßnahme 7 gespeichert.").wait_for()
        assert "status: Abgeschlossen" in (data_copy / KATALOG).read_text(encoding="utf-8")
        # every control of every form is reached by Tab
        for path in ("/katalog/neu", f"/vorlagen/{PAPIER}", "/katalog", "/archiv"):
            page.goto(base + path)
            wanted = set(page.evaluate(
                "Array.from(document.querySelectorAll('main input:not([type=hidden]), main select,"
                " main textarea, main button')).map(e => e.id || e.textContent.trim())"))
            seen: set[str] = set()
            for _ in range(60):
                page.keyboard.press("Tab")
                seen.add(page.evaluate(
                    "document.activeElement.id || document.activeElement.textContent.trim()"))
            assert wanted <= seen, (path, wanted - seen)
        context.close()


@pytest.mark.slow
def test_forms_work_without_javascript(browser, data_copy, ausgabe):
    with served(data_copy, ausgabe) as base:
        context, page = _page(browser, java_script_enabled=False)
        page.goto(f"{base}/katalog?kategorie=abgeschlossen")
        assert page.get_by_label("Kategorie", exact=True).input_value() == "abgeschlossen"
        page.goto(f"{base}/katalog/9")
        page.get_by_label("Status", exact=True).fill("Abgeschlossen")
        page.get_by_role("button", name="Speichern").click()
        page.get_by_text("Maßnahme 9 gespeichert.").wait_for()
        page.get_by_label("Datum").fill("kein Datum")
        page.get_by_role("button", name="Speichern").click()
        assert "ist kein gültiges Datum" in page.locator("#datum-fehler").inner_text()
        context.close()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
                    reason="Seitenbilder brauchen LibreOffice und pdftoppm")
def test_preview_shows_the_pages_of_the_unsaved_paper(browser, data_copy, ausgabe):
    paper = data_copy / "vorlagen" / f"{PAPIER}.yaml"
    before = paper.read_bytes()
    with served(data_copy, ausgabe) as base:
        context, page = _page(browser)
        page.goto(f"{base}/vorlagen/{PAPIER}")
        page.get_by_label("Betreff").fill("Ein Betreff nur für die Vorschau")
        page.get_by_role("button", name="Vorschau").click()
        first = page.get_by_role("img", name=re.compile("Seite 1 von"))
        first.wait_for(timeout=120_000)
        assert page.evaluate("document.querySelector('.seiten img').naturalWidth") > 100
        assert "mit den noch nicht gespeicherten Eingaben" in page.content()
        with page.expect_download() as download:
            page.get_by_role("link", name="Vorschau als Word-Datei herunterladen").click()
        text = "\n".join(p.text for p in Document(download.value.path()).paragraphs)
        assert "Ein Betreff nur für die Vorschau" in text
        context.close()
    assert paper.read_bytes() == before


AXE_PAGES = ("/", "/katalog", "/katalog?kategorie=laufend", "/katalog/3", "/katalog/neu",
             f"/vorlagen/{PAPIER}", "/vorlagen/sitzungsvorlage-51-2016", "/archiv", "/archiv?pruefen=1",
             "/gibt-es-nicht")


def _axe(page) -> list[str]:
    page.add_script_tag(content=(VENDOR / "axe.min.js").read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.slow
def test_no_serious_accessibility_violation_on_any_page(browser, data_copy, ausgabe, users):
    found: dict[str, list[str]] = {}
    with served(data_copy, ausgabe) as base:
        context, page = _page(browser, bypass_csp=True)
        page.goto(base)
        page.get_by_role("button", name="Dokumente erzeugen").click()
        page.get_by_role("heading", name="Dokumente erzeugt").wait_for(timeout=120_000)
        found["/ (nach Dokumente erzeugen)"] = _axe(page)
        for path in AXE_PAGES:
            page.goto(base + path)
            found[path] = _axe(page)
        # the states after a form: errors at fields, a conflict, a saved message
        page.goto(f"{base}/katalog/3")
        page.get_by_label("Datum").fill("31.02.2024")
        page.get_by_role("button", name="Speichern").click()
        page.locator("#datum-fehler").wait_for()
        found["/katalog/3 (Fehler)"] = _axe(page)
        other = context.new_page()
        other.goto(f"{base}/katalog/3")
        page.get_by_label("Datum").fill("15.01.2024")
        page.get_by_role("button", name="Speichern").click()
        page.get_by_text("Maßnahme 3 gespeichert.").wait_for()
        found["/katalog/3 (gespeichert)"] = _axe(page)
        other.get_by_role("button", name="Speichern").click()
        other.get_by_text("Die Daten wurden inzwischen geändert").wait_for()
        found["/katalog/3 (Konflikt)"] = _axe(other)
        context.close()
    with served(data_copy, ausgabe, users) as base:
        context, page = _page(browser, bypass_csp=True)
        page.goto(base)
        found["/anmelden"] = _axe(page)
        page.get_by_label("Benutzername").fill("gast")
        page.get_by_label("Passwort").fill("falsch-falsch")
        page.get_by_role("button", name="Anmelden").click()
        page.get_by_text("Benutzername oder Passwort ist falsch.").wait_for()
        found["/anmelden (falsch)"] = _axe(page)
        page.get_by_label("Passwort").fill("gast-geheim-123")
        page.get_by_role("button", name="Anmelden").click()
        page.get_by_role("heading", name="Übersicht").wait_for()
        page.goto(f"{base}/vorlagen/{PAPIER}")
        found["/vorlagen (lesen)"] = _axe(page)
        context.close()
    assert {path: v for path, v in found.items() if v} == {}
    assert len(found) >= len(AXE_PAGES) + 6


@pytest.mark.slow
def test_screenshots_of_catalogue_and_paper_pages(browser, data_copy, ausgabe, tmp_path):
    """The README's pictures; RATSDOC_SCREENSHOTS=1 writes them into docs/."""
    folder = ROOT / "docs" if os.environ.get("RATSDOC_SCREENSHOTS") else tmp_path
    folder.mkdir(exist_ok=True)
    with served(data_copy, ausgabe) as base:
        context, page = _page(browser)
        page.goto(f"{base}/katalog")
        page.screenshot(path=str(folder / "web-katalog.png"))
        page.goto(f"{base}/vorlagen/{PAPIER}")
        page.screenshot(path=str(folder / "web-vorlage.png"))
        context.close()
    for name in ("web-katalog.png", "web-vorlage.png"):
        data = (folder / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 20_000
