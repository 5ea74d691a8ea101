"""Shared fixtures: the shipped data, a built output folder, and docx reading helpers."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

from pipeline.cli import main

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TEMPLATES = ROOT / "templates" / "docx"
STIL = "stadt-leinfelden-echterdingen"
SEEDS = ROOT.parent / "shared" / "seeds"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def soffice_convert(sources: list[Path], target_format: str, outdir: Path,
                    infilter: str = "MS Word 2007 XML") -> None:
    """Convert with the real LibreOffice: own profile, input filter, time limit, checked output."""
    if shutil.which("soffice") is None:
        pytest.fail("LibreOffice fehlt: apt-get install libreoffice-writer-nogui")
    outdir.mkdir(parents=True, exist_ok=True)
    profile = outdir.parent / f"lo-profile-{outdir.name}"
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
         f"--infilter={infilter}", "--convert-to", target_format, "--outdir", str(outdir),
         *map(str, sources)],
        check=True, capture_output=True, timeout=300,
    )
    extension = target_format.split(":")[0]
    for source in sources:
        converted = outdir / f"{source.stem}.{extension}"
        assert converted.exists() and converted.stat().st_size > 0, converted


def run(*args: str):
    """Run the CLI in-process; exceptions other than click's exit show up as result.exception."""
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """The shipped data built once into a fresh output folder."""
    out = tmp_path_factory.mktemp("output")
    result = run("build", "--daten", str(DATA), "--vorlagen", str(TEMPLATES), "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def ausgabe(tmp_path) -> Path:
    """An output folder of the test's own (not created yet)."""
    return tmp_path / "output"


@pytest.fixture
def users(tmp_path) -> Path:
    """A users file of the web page: mueller may edit, gast may read."""
    from pipeline.web.users import add_user

    path = tmp_path / "ratsdoc-benutzer.json"
    add_user(path, "mueller", "bearbeiten", "mueller-geheim-1")
    add_user(path, "gast", "lesen", "gast-geheim-123")
    return path


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A copy of the shipped data that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def body_paragraph_texts(path: Path) -> list[str]:
    """Text of every paragraph of the body, tables included, in document order."""
    doc = Document(str(path))
    return [_paragraph_text(p) for p in doc.element.body.iter(f"{W}p")]


def numbered_paragraph_texts(path: Path) -> list[str]:
    """Body paragraphs with the labels Word's numbering shows before them ("1.", "a.", "AG 2:").

    Bullets are left out; counters follow numbering.xml, restarting the deeper levels.
    """
    doc = Document(str(path))
    numbering = doc.part.numbering_part.element
    abstract_of = {n.get(f"{W}numId"): n.find(f"{W}abstractNumId").get(f"{W}val")
                   for n in numbering.iter(f"{W}num")}
    levels = {(a.get(f"{W}abstractNumId"), lvl.get(f"{W}ilvl")): lvl
              for a in numbering.iter(f"{W}abstractNum") for lvl in a.iter(f"{W}lvl")}
    style_numpr = {s.style_id: s.element.find(f"{W}pPr/{W}numPr") for s in doc.styles}
    counters: dict[str, dict[int, int]] = {}
    texts = []
    for p in doc.element.body.iter(f"{W}p"):
        text = _paragraph_text(p)
        style = p.find(f"{W}pPr/{W}pStyle")
        numpr = p.find(f"{W}pPr/{W}numPr")
        if numpr is None and style is not None:
            numpr = style_numpr.get(style.get(f"{W}val"))
        if numpr is not None and numpr.find(f"{W}numId") is not None:
            abstract = abstract_of.get(numpr.find(f"{W}numId").get(f"{W}val"))
            ilvl_el = numpr.find(f"{W}ilvl")
            ilvl = int(ilvl_el.get(f"{W}val")) if ilvl_el is not None else 0
            lvl = levels.get((abstract, str(ilvl)))
            if lvl is not None and lvl.find(f"{W}numFmt").get(f"{W}val") != "bullet":
                count = counters.setdefault(abstract, {})
                count[ilvl] = count.get(ilvl, 0) + 1
                for deeper in [k for k in count if k > ilvl]:
                    del count[deeper]
                label = lvl.find(f"{W}lvlText").get(f"{W}val")
                for level, value in count.items():
                    fmt = levels[(abstract, str(level))].find(f"{W}numFmt").get(f"{W}val")
                    shown = chr(ord("a") + value - 1) if fmt == "lowerLetter" else str(value)
                    label = label.replace(f"%{level + 1}", shown)
                text = f"{label}\t{text}"
        texts.append(text)
    return texts


def _paragraph_text(p) -> str:
    parts = []
    for el in p.iter(f"{W}t", f"{W}br", f"{W}tab"):
        if el.tag == f"{W}t":
            parts.append(el.text or "")
        elif el.tag == f"{W}br":
            # A page break is layout, not text (LibreOffice writes pageBreakBefore as one).
            if el.get(f"{W}type") != "page":
                parts.append("\n")
        else:
            parts.append("\t")
    return "".join(parts)


def words(text: str) -> list[str]:
    return re.findall(r"[\wÄÖÜäöüß]+(?:[-./][\wÄÖÜäöüß]+)*", text.lower())


def words_in_order(source: str, shown: str) -> bool:
    """Every word of source appears in shown, in the same order: what text in the Markdown
    subset keeps (numbers aside: the "1." of a numbered list becomes Word's numbering)."""
    at = 0
    for word in re.findall(r"\w+", source):
        if word.isdigit():
            continue
        at = shown.find(word, at)
        if at < 0:
            return False
        at += len(word)
    return True


def letters(text: str) -> str:
    """Only letters and digits, lower case: line breaks and hyphenation vanish."""
    return re.sub(r"[^0-9a-zäöüß]", "", text.lower())


def pytest_collection_modifyitems(items) -> None:
    # Every LibreOffice run takes seconds: those tests are slow as well.
    for item in items:
        if item.get_closest_marker("libreoffice"):
            item.add_marker(pytest.mark.slow)
        # xdist needs every worker to collect the same ids; an id made from generated bytes (a zip
        # with its timestamp) differs between workers and fails the whole run in CI.
        params = getattr(getattr(item, "callspec", None), "params", {})
        if any(isinstance(value, bytes | bytearray) and len(value) > 64 for value in params.values()) \
                and len(item.nodeid) > 400:
            raise pytest.UsageError(f"{item.nodeid[:120]}…: give parametrize ids= for generated bytes")
