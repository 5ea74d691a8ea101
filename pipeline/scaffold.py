"""`ratsdoc init`: a new data folder with the example data of a house style."""

from __future__ import annotations

from pathlib import Path

from .errors import AusgabeFehler, display_path
from .load import STIL_DATEI
from .output import write_atomic

BEISPIEL_ORDNER = "beispiel"


def styles(vorlagen: Path) -> list[str]:
    return sorted(p.parent.name for p in vorlagen.glob(f"*/{STIL_DATEI}"))


def init_folder(ordner: Path, vorlagen: Path, stil: str) -> list[Path]:
    """Copy templates/docx/<stil>/beispiel/ into a new (or empty) data folder."""
    source = vorlagen / stil / BEISPIEL_ORDNER
    if stil not in styles(vorlagen):
        known = ", ".join(styles(vorlagen)) or "keine"
        raise AusgabeFehler(f"Hausstil „{stil}“ gibt es nicht; vorhanden sind: {known}")
    if not source.is_dir():
        raise AusgabeFehler(f"Hausstil „{stil}“ hat keine Beispieldaten ({display_path(source)})")
    if ordner.exists() and any(ordner.iterdir()):
        raise AusgabeFehler(f"{display_path(ordner)} ist nicht leer; bitte einen neuen Ordner angeben")
    written = []
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        target = ordner / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, path.read_bytes())
        written.append(target)
    return written
