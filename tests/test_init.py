"""`ratsdoc init` creates a working data folder for every house style."""

from __future__ import annotations

import pytest

from .conftest import TEMPLATES, run
from .ooxml import validation_errors

STYLES = sorted(p.parent.name for p in TEMPLATES.glob("*/stil.yaml"))


def test_every_style_has_example_data():
    assert len(STYLES) >= 3
    assert all((TEMPLATES / s / "beispiel").is_dir() for s in STYLES)


@pytest.mark.parametrize("stil", STYLES)
def test_init_creates_a_folder_that_builds(stil, tmp_path):
    folder, out = tmp_path / "daten", tmp_path / "out"
    result = run("init", str(folder), "--stil", stil, "--vorlagen", str(TEMPLATES))
    assert result.exit_code == 0, result.output
    created = sorted(p.relative_to(folder) for p in folder.rglob("*.yaml"))
    assert len(result.output.splitlines()) == len(created) > 0
    assert run("check", "--daten", str(folder), "--vorlagen", str(TEMPLATES)).exit_code == 0
    result = run("build", "--daten", str(folder), "--vorlagen", str(TEMPLATES), "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    documents = sorted(out.glob("*.docx"))
    assert documents
    for docx in documents:
        assert validation_errors(docx) == [], docx.name


def test_init_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "daten").mkdir()
    (tmp_path / "daten" / "notiz.txt").write_text("x")
    result = run("init", str(tmp_path / "daten"), "--stil", STYLES[0], "--vorlagen", str(TEMPLATES))
    assert result.exit_code == 1
    assert result.output == (f"Fehler: {tmp_path / 'daten'} ist nicht leer; bitte einen neuen "
                             "Ordner angeben\n")


def test_init_names_the_known_styles(tmp_path):
    result = run("init", str(tmp_path / "d"), "--stil", "stadt-stuttgart", "--vorlagen",
                 str(TEMPLATES))
    assert result.exit_code == 1
    assert result.output == ("Fehler: Hausstil „stadt-stuttgart“ gibt es nicht; vorhanden sind: "
                             f"{', '.join(STYLES)}\n")
    assert not (tmp_path / "d").exists()
