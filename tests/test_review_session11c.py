"""Review of session 11's last commits: `ratsdoc web --proxy` (real processes, real server)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT


def _web(*args: str) -> tuple[int | None, str]:
    """`ratsdoc web …` as a process; (exit code, output), exit code None when it kept serving."""
    command = [sys.executable, "-c", "from pipeline.cli import main; main()", "web", "--port",
               "0", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as process:
        try:
            output, _ = process.communicate(timeout=20)
            return process.returncode, output
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            return None, output


@pytest.mark.parametrize("proxy", ["*", "localhost", "10.1.2.300", "10.0.0.0/8", "proxy.stadt"])
def test_a_proxy_value_that_is_no_single_address_is_a_german_error(data_copy, tmp_path, proxy):
    # „*“ made waitress believe X-Forwarded-For from every client (the throttle was evaded by
    # writing another address into each request); a name or a network was never matched, so
    # the proxy's requests all counted as one computer again, without a word.
    code, output = _web("--daten", str(data_copy), "--benutzer", str(tmp_path / "b.json"),
                        "--proxy", proxy)
    assert code == 1, output
    assert "Fehler: --proxy" in output and "Traceback" not in output


def test_a_proxy_in_front_needs_users_even_on_loopback(data_copy, tmp_path):
    # Behind a reverse proxy on the same computer the page listens on 127.0.0.1, but the whole
    # network reaches it through the proxy: without users everyone could edit as this computer's
    # user.
    code, output = _web("--daten", str(data_copy), "--benutzer", str(tmp_path / "keine.json"),
                        "--proxy", "127.0.0.1")
    assert code == 1, output
    assert "nur mit Anmeldung" in output and "Traceback" not in output


def test_an_ipv6_proxy_is_matched_as_waitress_writes_it(data_copy, ausgabe_users):
    from pipeline.web import create_app, make_server

    from .conftest import TEMPLATES

    daten, ausgabe, users = ausgabe_users
    server = make_server(create_app(daten, TEMPLATES, ausgabe, users), "127.0.0.1", 0,
                         "[0:0::1]")
    try:
        assert server.adj.trusted_proxy == "::1"
    finally:
        server.close()


@pytest.fixture
def ausgabe_users(data_copy, ausgabe, users) -> tuple[Path, Path, Path]:
    return data_copy, ausgabe, users
