"""The registry of paper kinds: every kind as an Anlage of every other, placeholders, templates."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

from pipeline.kinds import kinds

from .conftest import DATA, TEMPLATES, body_paragraph_texts, run

# One shipped document of every kind.
SHIPPED = {
    "beschlussvorlage": "integrationsplan-2020",
    "zwischenbericht": "zwischenbericht-2023",
    "massnahmenkatalog": "massnahmenkatalog",
    "pressetext": "pressetext-integrationsplan",
    "sitzungsvorlage": "sitzungsvorlage-51-2016",
    "empfehlungen": "empfehlungen-234-2014",
}


def data_file(folder: Path, name: str) -> Path:
    return folder / f"{name}.yaml" if name == "massnahmenkatalog" else folder / "vorlagen" / f"{name}.yaml"


def set_anlagen(folder: Path, name: str, anlagen: list) -> None:
    path = data_file(folder, name)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["anlagen"] = anlagen
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def assert_clean_end(result) -> None:
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        assert result.output.startswith("Fehler: "), result.output


def test_every_shipped_kind_is_registered():
    assert set(SHIPPED) == set(kinds())


@pytest.mark.slow
@pytest.mark.parametrize("paper_art", sorted(SHIPPED))
def test_every_kind_as_anlage_of_every_paper_kind(tmp_path, paper_art):
    paper = SHIPPED[paper_art]
    for anlage_art, anlage in sorted(SHIPPED.items()):
        data = tmp_path / f"{paper_art}-{anlage_art}"
        shutil.copytree(DATA, data)
        set_anlagen(data, paper, [{"dokument": anlage}])
        result = run("check", "--daten", str(data), "--vorlagen", str(TEMPLATES))
        assert_clean_end(result)
        takes_anlagen = paper_art in ("beschlussvorlage", "zwischenbericht", "sitzungsvorlage")
        if not takes_anlagen:
            assert result.exit_code == 1 and "anlagen: unbekanntes Feld" in result.output, result.output
        elif anlage == paper:
            assert result.exit_code == 1
            assert "anlagen[0].dokument: eine Vorlage kann nicht ihre eigene Anlage sein" in result.output
        else:
            assert result.exit_code == 0, (paper_art, anlage_art, result.output)


@pytest.mark.parametrize("anlage_art", ["empfehlungen", "pressetext", "sitzungsvorlage"])
def test_a_paper_lists_the_title_of_any_kind_as_anlage(tmp_path, anlage_art):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    set_anlagen(data, "integrationsplan-2020", [{"dokument": SHIPPED[anlage_art]}])
    out = tmp_path / "out"
    result = run("build", "integrationsplan-2020", "--daten", str(data), "--vorlagen",
                 str(TEMPLATES), "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    anlage = yaml.safe_load(data_file(data, SHIPPED[anlage_art]).read_text(encoding="utf-8"))
    title = anlage.get("betreff") or anlage["titel"]
    assert title in body_paragraph_texts(out / "integrationsplan-2020.docx")


def test_a_cycle_of_anlagen_is_refused(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    set_anlagen(data, "integrationsplan-2020", [{"dokument": "sitzungsvorlage-51-2016"}])
    set_anlagen(data, "sitzungsvorlage-51-2016", [{"dokument": "integrationsplan-2020"}])
    result = run("check", "--daten", str(data), "--vorlagen", str(TEMPLATES))
    assert result.exit_code == 1
    assert ("anlagen[0].dokument: Anlagen bilden einen Kreis: integrationsplan-2020 → "
            "sitzungsvorlage-51-2016 → integrationsplan-2020") in result.output


def test_a_sitzungsvorlage_lists_anlagen_and_counts_them(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    set_anlagen(data, "sitzungsvorlage-51-2016", ["Lageplan", {"dokument": "massnahmenkatalog"}])
    out = tmp_path / "out"
    result = run("build", "sitzungsvorlage-51-2016", "--daten", str(data), "--vorlagen",
                 str(TEMPLATES), "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    assert any(t.replace("\t", " ").strip().endswith("Anlagen: 2")
               for t in body_paragraph_texts(out / "sitzungsvorlage-51-2016.docx")), result.output


# --- placeholders ------------------------------------------------------------------------------


@pytest.mark.parametrize("art", sorted(SHIPPED))
def test_every_placeholder_of_every_kind_is_described(art):
    from pipeline.kinds import build_context
    from pipeline.template_check import context_paths, find_example

    beispiel = find_example(art, DATA, TEMPLATES)
    offered = context_paths(build_context(beispiel.name, beispiel.daten))
    described = kinds()[art].felder
    assert sorted(set(offered) - set(described)) == []
    # No description of a placeholder that the context does not have (stale after a change).
    tops = {path.split(".")[0].split("[")[0] for path in offered}
    assert sorted({p.split(".")[0].split("[")[0] for p in described} - tops) == []


def test_felder_lists_betreff_with_description_and_example():
    result = run("vorlagen", "felder", "beschlussvorlage", "--daten", str(DATA), "--vorlagen",
                 str(TEMPLATES))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    at = lines.index("betreff")
    assert lines[at + 1] == "    Betreff der Vorlage"
    assert lines[at + 2] == ("    Beispiel: „Erarbeitung eines Integrationsplans für die "
                             "Stadt…“")


def test_felder_of_an_unknown_kind_names_the_known_ones():
    result = run("vorlagen", "felder", "protokoll", "--daten", str(DATA), "--vorlagen", str(TEMPLATES))
    assert result.exit_code == 1
    assert result.output == ("Fehler: „protokoll“ ist keine bekannte Art; erlaubt sind: "
                             f"{', '.join(kinds())}\n")


# --- checking a clerk's Word file as a template ------------------------------------------------


def shipped_templates() -> list[tuple[str, str]]:
    return sorted((f"{style.name}/{kind.template_name}", art)
                  for style in TEMPLATES.iterdir() if style.is_dir()
                  for art, kind in kinds().items() if (style / kind.template_name).exists())


def edited_copy(source: Path, target: Path, old: str, new: str) -> Path:
    """A copy of a template whose body XML has `old` replaced by `new` once."""
    out = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                text = data.decode("utf-8")
                assert old in text, old
                data = text.replace(old, new, 1).encode("utf-8")
            dst.writestr(info, data)
    target.write_bytes(out.getvalue())
    return target


@pytest.mark.parametrize(("template", "art"), shipped_templates())
def test_pruefen_accepts_every_shipped_template(template, art):
    result = run("vorlagen", "pruefen", str(TEMPLATES / template), "--art", art, "--daten",
                 str(DATA), "--vorlagen", str(TEMPLATES))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("In Ordnung: ")


BESCHLUSSVORLAGE = TEMPLATES / "stadt-leinfelden-echterdingen" / "beschlussvorlage.docx"


def test_pruefen_names_a_misspelled_placeholder(tmp_path):
    copy = edited_copy(BESCHLUSSVORLAGE, tmp_path / "kopie.docx", "{{ betreff }}", "{{ betref }}")
    result = run("vorlagen", "pruefen", str(copy), "--art", "beschlussvorlage", "--daten",
                 str(DATA), "--vorlagen", str(TEMPLATES))
    assert result.exit_code == 1
    assert "unbekannter Platzhalter „betref“ (meinten Sie „betreff“?)" in result.output


def test_pruefen_names_a_missing_required_placeholder(tmp_path):
    source = TEMPLATES / "stadt-leinfelden-echterdingen" / "beschlussvorlage.docx"
    copy = tmp_path / "ohne-betreff.docx"
    out = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("word/") and info.filename.endswith(".xml"):
                data = data.replace(b"{{ betreff }}", b"{{ drucksache }}")
            dst.writestr(info, data)
    copy.write_bytes(out.getvalue())
    result = run("vorlagen", "pruefen", str(copy), "--art", "beschlussvorlage", "--daten",
                 str(DATA), "--vorlagen", str(TEMPLATES))
    assert result.exit_code == 1
    assert "- Pflicht-Platzhalter „{{ betreff }}“ fehlt" in result.output.splitlines()


def test_pruefen_names_the_paragraph_of_a_broken_tag(tmp_path):
    copy = edited_copy(BESCHLUSSVORLAGE, tmp_path / "kopie.docx", "{{ betreff }}", "{{ betreff }")
    result = run("vorlagen", "pruefen", str(copy), "--art", "beschlussvorlage", "--daten",
                 str(DATA), "--vorlagen", str(TEMPLATES))
    assert result.exit_code == 1
    assert "{{ betreff }" in result.output and "Absatz" in result.output, result.output


def test_pruefen_refuses_a_file_that_is_no_docx(tmp_path):
    fake = tmp_path / "briefkopf.docx"
    fake.write_text("kein Word", encoding="utf-8")
    result = run("vorlagen", "pruefen", str(fake), "--art", "beschlussvorlage")
    assert result.exit_code == 1
    assert result.output.startswith("Fehler: Vorlage ")
    assert "ist keine gültige .docx-Datei" in result.output
