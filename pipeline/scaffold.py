"""`ratsdoc init`: a new data folder with the example data of a house style."""

from __future__ import annotations

from pathlib import Path

from .errors import AusgabeFehler, display_path
from .load import STIL_DATEI
from .output import write_atomic, write_new

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


SKELETTE = Path(__file__).parent / "kinds" / "skelette"


def new_paper(ordner: Path, templates: Path, art: str, name: str, stil: str | None) -> Path:
    """Write vorlagen/NAME.yaml: the skeleton of a kind, explained, with placeholders."""
    import datetime as dt
    import re

    from .kinds import kinds
    from .load import VORLAGEN_ORDNER, load_styles

    skeleton = SKELETTE / f"{art}.yaml"
    if art not in kinds():
        raise AusgabeFehler(f"„{art}“ ist keine bekannte Art; erlaubt sind: {', '.join(kinds())}")
    if not skeleton.exists():
        raise AusgabeFehler(f"„{art}“ wird nicht neu angelegt: {kinds()[art].bezeichnung} steht in "
                            f"{kinds()[art].datei}")
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name):
        raise AusgabeFehler(f"„{name}“ taugt nicht als Name: nur Kleinbuchstaben, Ziffern, „-“, "
                            "„_“ und „.“ (er wird der Dateiname)")
    target = ordner / VORLAGEN_ORDNER / f"{name}.yaml"
    if target.exists() or (ordner / f"{name}.yaml").exists():
        raise AusgabeFehler(f"{display_path(target)} gibt es schon; bitte einen anderen Namen wählen")
    problems: list = []
    stile = load_styles(templates, problems)
    template = kinds()[art].template_name
    usable = [s for s in stile if (templates / s / template).exists()]
    chosen = stil or (usable[0] if len(usable) == 1 else None)
    if chosen not in usable:
        raise AusgabeFehler(f"Hausstil für eine {kinds()[art].bezeichnung} mit --stil angeben; "
                            f"möglich sind: {', '.join(usable) or 'keine'}")
    assert chosen is not None
    text = skeleton.read_text(encoding="utf-8")
    text = (text.replace("{stil}", chosen)
            .replace("{gremium}", next(iter(stile[chosen].gremien)))
            .replace("{heute}", f"{dt.date.today():%d.%m.%Y}"))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_new(target, text.encode("utf-8"))
    except FileExistsError:
        raise AusgabeFehler(f"{display_path(target)} gibt es schon; bitte einen anderen Namen "
                            "wählen") from None
    return target
