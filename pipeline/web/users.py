"""The users of the web page: names, roles and argon2 password hashes in one JSON file.

The file lies beside the data folder (`<daten>/../ratsdoc-benutzer.json`), never in it and never
in git: it holds no passwords, but its hashes are still worth guessing at.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import RatsdocError, display_path, os_fehlertext
from ..output import write_atomic

ROLLEN = ("lesen", "bearbeiten")
DATEINAME = "ratsdoc-benutzer.json"
NAME_LAENGE = 64
NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._@-]{{0,{NAME_LAENGE - 1}}}")
MIN_PASSWORT = 10


class BenutzerFehler(RatsdocError):
    """The users file cannot be read or written, or a user's details are not acceptable."""


@dataclass(frozen=True)
class Benutzer:
    name: str
    rolle: str  # "lesen" or "bearbeiten"

    @property
    def darf_bearbeiten(self) -> bool:
        return self.rolle == "bearbeiten"


def default_users_file(daten: Path) -> Path:
    """Beside the data folder, so that it never lands in the data's git repository."""
    return daten.resolve().parent / DATEINAME


def read_users(path: Path) -> dict[str, dict[str, str]]:
    """name → {"rolle", "hash"}; empty when the file does not exist."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise BenutzerFehler(f"{display_path(path)} kann nicht gelesen werden: "
                             f"{os_fehlertext(exc)}") from None
    try:
        users = json.loads(raw)["benutzer"]
        if not isinstance(users, dict) or not all(
                isinstance(u, dict) and u.get("rolle") in ROLLEN and isinstance(u.get("hash"), str)
                for u in users.values()):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise BenutzerFehler(f"{display_path(path)} ist beschädigt (erwartet: die Datei, die "
                             "„ratsdoc benutzer neu“ schreibt)") from None
    return users


def _hasher():
    from argon2 import PasswordHasher  # lazily: only the web page and `benutzer` need it

    return PasswordHasher()


def add_user(path: Path, name: str, rolle: str, passwort: str) -> bool:
    """Add a user, or set a known user's role and password; True when the user is new."""
    if not NAME.fullmatch(name):
        raise BenutzerFehler(f"„{name}“ ist als Benutzername nicht möglich: erlaubt sind Buchstaben "
                             "ohne Umlaute, Ziffern und . _ @ - (höchstens 64 Zeichen)")
    if rolle not in ROLLEN:
        raise BenutzerFehler(f"Rolle „{rolle}“ gibt es nicht; erlaubt sind: {', '.join(ROLLEN)}")
    if len(passwort) < MIN_PASSWORT:
        raise BenutzerFehler(f"das Passwort ist zu kurz: mindestens {MIN_PASSWORT} Zeichen")
    users = read_users(path)
    new = name not in users
    users[name] = {"rolle": rolle, "hash": _hasher().hash(passwort)}
    text = json.dumps({"format": 1, "benutzer": users}, ensure_ascii=False, indent=1) + "\n"
    write_atomic(path, text.encode("utf-8"))
    try:
        os.chmod(path, 0o600)  # only its owner reads the hashes
    except OSError:
        pass
    return new


# A hash of no real password: an unknown name costs the same time as a wrong password.
_KEIN_HASH: list[str] = []


def check_password(path: Path, name: str, passwort: str) -> Benutzer | None:
    """The user if name and password match, else None (in the same time either way)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    users = read_users(path)
    hasher = _hasher()
    entry = users.get(name)
    if entry is None:
        if not _KEIN_HASH:
            _KEIN_HASH.append(hasher.hash(os.urandom(16).hex()))
        try:
            hasher.verify(_KEIN_HASH[0], passwort)
        except VerificationError:
            pass
        return None
    try:
        hasher.verify(entry["hash"], passwort)
    except (VerificationError, InvalidHashError):
        return None
    return Benutzer(name, entry["rolle"])


def user_named(path: Path, name: str) -> Benutzer | None:
    """The user as the file has them now (a removed user or a changed role takes effect)."""
    entry = read_users(path).get(name)
    return Benutzer(name, entry["rolle"]) if entry else None
