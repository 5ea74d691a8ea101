"""Review of session 11's additions (login throttle, `von` in the archive, nested lists, cache pruning)."""

from __future__ import annotations

import concurrent.futures
import urllib.parse
import urllib.request

from .test_web import Client, served


def test_parallel_wrong_passwords_are_held_to_five(data_copy, ausgabe, users):
    """The limits are tested before the password check and counted after it: the server's four
    threads must not all pass the test before one failure is counted."""
    with served(data_copy, ausgabe, users) as base:
        clients = [Client(base) for _ in range(16)]
        tokens = [c.token() for c in clients]

        def attempt(number: int) -> int:
            client = clients[number]
            data = urllib.parse.urlencode({"csrf_token": tokens[number], "benutzername": "mueller",
                                           "passwort": f"geraten-{number:04d}"}).encode()
            return client._open(urllib.request.Request(base + "/anmelden", data=data, method="POST"))[0]

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(attempt, range(16)))
        assert statuses.count(401) <= 5, statuses


def _submit_as(monkeypatch, tmp_path, data_copy, user: str):
    from .conftest import TEMPLATES, run

    out = tmp_path / "out"
    args = ["--daten", str(data_copy), "--vorlagen", str(TEMPLATES), "--ausgabe", str(out)]
    assert run("build", "integrationsplan-2020", *args).exit_code == 0
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(variable, user)
    return out, run("einreichen", "integrationsplan-2020", *args)


def test_a_user_name_the_system_cannot_encode_still_submits(monkeypatch, tmp_path, data_copy):
    # A user name from an environment in another encoding (Latin-1 bytes under a UTF-8 locale)
    # reaches Python with surrogates; the log is UTF-8.
    out, result = _submit_as(monkeypatch, tmp_path, data_copy, "m\udcfcller")
    assert result.exit_code == 0, (result.output, result.exception)
    from pipeline.archive import Archiv

    archiv = Archiv.open(out)
    assert archiv.einreichung("integrationsplan-2020").von == "m\ufffdller"
    assert archiv.check(contents=True)[0] == []


def _old(path, days: int = 400) -> None:
    import os
    import time

    then = time.time() - days * 86400
    os.utime(path, (then, then), follow_symlinks=False)


def test_pruning_a_cache_set_to_a_documents_folder_deletes_only_cache_entries(tmp_path, monkeypatch):
    from pipeline import vorlagen_cache

    documents = tmp_path / "Dokumente"
    monkeypatch.setenv("RATSDOC_CACHE", str(documents))
    letter = documents / "Projekte" / "2024" / "bericht.docx"
    letter.parent.mkdir(parents=True)
    letter.write_bytes(b"ein Brief")
    _old(letter)
    assert vorlagen_cache.remembered("probe", b"alt", lambda: b"ok") == b"ok"
    [entry] = [p for p in (documents / "probe").rglob("*") if p.is_file()]
    _old(entry)
    assert vorlagen_cache.prune(documents) == 1
    assert letter.read_bytes() == b"ein Brief" and not entry.exists()


def test_pruning_follows_no_symbolic_link(tmp_path):
    from pipeline import vorlagen_cache

    elsewhere = tmp_path / "anderswo" / "ab"
    elsewhere.mkdir(parents=True)
    foreign = elsewhere / ("ab" + "0" * 62)
    foreign.write_bytes(b"fremd")
    _old(foreign)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "probe").symlink_to(tmp_path / "anderswo", target_is_directory=True)
    (cache / "teil" / "cd").mkdir(parents=True)
    (cache / "teil" / "cd" / ("cd" + "1" * 62)).symlink_to(foreign)
    vorlagen_cache.prune(cache)
    assert foreign.read_bytes() == b"fremd"


DEEP = """Schwerpunkte:

- Sprache
  - Sprachkurse
    - Abendkurs
- Arbeit

1. Erstens
   1. Unterpunkt
      1. Noch tiefer
2. Zweitens"""


def _levels(docx, style_name: str) -> list[tuple[str, int]]:
    from docx import Document

    from .conftest import W, _paragraph_text
    from .test_markdown import style_ids, style_of

    doc = Document(str(docx))
    style = style_ids(doc)[style_name]

    def level(p) -> int:
        ilvl = p.find(f"{W}pPr/{W}numPr/{W}ilvl")
        return int(ilvl.get(f"{W}val")) if ilvl is not None else 0

    return [(_paragraph_text(p), level(p)) for p in doc.element.body.iter(f"{W}p")
            if style_of(p) == style]


def test_a_third_list_level_stays_below_its_parent(data_copy, tmp_path):
    """The templates have two list levels: a list nested deeper keeps the deepest one, never
    jumps back to the first (where it looked like an item of the outer list)."""
    import yaml

    from .ooxml import validation_errors
    from .test_markdown import VORLAGE, build, edit_yaml

    path = data_copy / VORLAGE
    edit_yaml(path, sachverhalt=[DEEP, *yaml.safe_load(path.read_text(encoding="utf-8"))["sachverhalt"]])
    docx = build(data_copy, tmp_path, "integrationsplan-2020") / "integrationsplan-2020.docx"
    assert _levels(docx, "Aufzählung")[:4] == [
        ("Sprache", 0), ("Sprachkurse", 1), ("Abendkurs", 1), ("Arbeit", 0)]
    assert _levels(docx, "Nummerierung")[:4] == [
        ("Erstens", 0), ("Unterpunkt", 1), ("Noch tiefer", 1), ("Zweitens", 0)]
    assert validation_errors(docx) == []


def test_the_blocked_login_page_is_a_working_form_with_the_escaped_target(data_copy, ausgabe, users):
    import re

    from markupsafe import escape

    with served(data_copy, ausgabe, users) as base:
        attacker = Client(base)
        target = '/katalog?kategorie="><b>x</b>'
        for attempt in range(6):
            status, page, _ = attacker.post("/anmelden", {
                "benutzername": " MUELLER", "passwort": f"falsch-{attempt}", "weiter": target})
        assert status == 429
        assert '"><b>x' not in page and str(escape(target)) in page
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token and token.group(1) == attacker.token()
        assert 'value="MUELLER"' in page  # the name as typed, so the clerk sees what was refused
