"""`ratsdoc web`: a local web page for the clerks over the same functions as the CLI.

The application (`create_app`) is a door like pipeline/cli.py: it parses forms, calls the
functions of the pipeline's stages (build, edit, record, archive, compare) and shows their
German results. No rule of the data lives here.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from ..errors import RatsdocError, display_path
from .app import create_app
from .users import default_users_file, read_users

__all__ = ["check_start", "create_app", "is_loopback", "make_server", "serve"]


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: only this computer can reach such an address."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_start(host: str, daten: Path, users_file: Path | None) -> Path:
    """The users file to use; refuses an address others can reach while no user exists."""
    path = users_file or default_users_file(daten)
    if not daten.is_dir():
        raise RatsdocError(f"Datenordner {display_path(daten)} nicht gefunden")
    if not is_loopback(host) and not read_users(path):
        raise RatsdocError(
            f"ratsdoc web startet auf {host} nur mit Anmeldung, und es ist noch kein Benutzer "
            f"eingerichtet ({display_path(path)}). Zuerst: ratsdoc benutzer neu NAME --rolle "
            "bearbeiten; oder ohne --host nur auf diesem Rechner (127.0.0.1) starten.")
    return path


def make_server(app, host: str, port: int, proxy: str | None = None):
    """A waitress server for the application. `proxy`: the address of the one reverse proxy in
    front (HTTPS); from it alone, X-Forwarded-For names the client (the login throttle counts
    per client address), from anyone else the header is dropped."""
    import logging

    from waitress import create_server

    logging.getLogger("waitress").setLevel(logging.ERROR)  # its own messages are English
    trusted = {"trusted_proxy": proxy, "trusted_proxy_count": 1,
               "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"}} if proxy else {}
    return create_server(app, host=host, port=port, threads=4, ident="ratsdoc", **trusted)


def serve(app, host: str, port: int, echo=print, proxy: str | None = None) -> None:
    """Serve the application with waitress until Ctrl+C."""
    server = make_server(app, host, port, proxy)
    shown = f"[{host}]" if ":" in host else host
    echo(f"ratsdoc web läuft: http://{shown}:{getattr(server, 'effective_port', port)}/ (beenden mit Strg+C)")
    try:
        server.run()
    except KeyboardInterrupt:
        echo("ratsdoc web beendet.")
    finally:
        server.close()
