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

__all__ = ["check_start", "create_app", "is_loopback", "make_server", "proxy_address", "serve"]


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: only this computer can reach such an address."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def proxy_address(proxy: str) -> str:
    """The reverse proxy's address as waitress compares it with the peer's (one IP address:
    „*“ would believe every client, a name or a network would match no request)."""
    try:
        return str(ipaddress.ip_address(proxy.strip().strip("[]")))
    except ValueError:
        raise RatsdocError(
            f"--proxy {proxy}: keine IP-Adresse; anzugeben ist die eine Adresse, von der der "
            "Reverse-Proxy die Seite abruft, z. B. --proxy 10.1.2.1 (kein Name, kein Netz, "
            "kein *)") from None


def check_start(host: str, daten: Path, users_file: Path | None,
                proxy: str | None = None) -> Path:
    """The users file to use; refuses an address others can reach while no user exists (behind
    a reverse proxy, also 127.0.0.1 is reached from the whole network)."""
    path = users_file or default_users_file(daten)
    if not daten.is_dir():
        raise RatsdocError(f"Datenordner {display_path(daten)} nicht gefunden")
    if proxy is not None:
        proxy_address(proxy)
    if (proxy is not None or not is_loopback(host)) and not read_users(path):
        where, ohne = ((f"hinter dem Proxy {proxy}", "--proxy") if proxy is not None
                       else (f"auf {host}", "--host"))
        raise RatsdocError(
            f"ratsdoc web startet {where} nur mit Anmeldung, und es ist noch kein Benutzer "
            f"eingerichtet ({display_path(path)}). Zuerst: ratsdoc benutzer neu NAME --rolle "
            f"bearbeiten; oder ohne {ohne} nur auf diesem Rechner (127.0.0.1) starten.")
    return path


def make_server(app, host: str, port: int, proxy: str | None = None):
    """A waitress server for the application. `proxy`: the address of the one reverse proxy in
    front (HTTPS); from it alone, X-Forwarded-For names the client (the login throttle counts
    per client address), from anyone else the header is dropped."""
    import logging

    from waitress import create_server

    logging.getLogger("waitress").setLevel(logging.ERROR)  # its own messages are English
    trusted = {"trusted_proxy": proxy_address(proxy), "trusted_proxy_count": 1,
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
