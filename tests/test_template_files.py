"""The committed .docx templates own the layout.

tools/make_templates.py only creates templates that are missing and never touches an existing
one; an edit a clerk makes in LibreOffice reaches the built paper; and the layout rules the
templates carry hold on the pages LibreOffice lays out (signature, goal cells, first page,
table headers, the gap below the page header).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from docx import Document
from docx.shared import Emu
from pypdf import PdfReader

from .conftest import (
    DATA,
    ROOT,
    STIL,
    TEMPLATES,
    W,
    _paragraph_text,
    body_paragraph_texts,
    letters,
    run,
    soffice_convert,
)
from .ooxml import validation_errors
from .test_build import DOCUMENTS, catalogue_rows, cell_text, raw_katalog, raw_measures

TOOL = ROOT / "tools" / "make_templates.py"
COMMITTED = sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.glob("*/*.docx"))
SIGNED = ("integrationsplan-2020", "zwischenbericht-2023", "sitzungsvorlage-51-2016")


def make_templates(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.run([sys.executable, str(TOOL), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=os.environ | {"PYTHONPATH": path})


def hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file below the folder (so a stray or missing file shows, too)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def copy_without_docx(target: Path) -> None:
    """stil.yaml, pressetext.html and the examples of every house style, but no template."""
    shutil.copytree(TEMPLATES, target, ignore=shutil.ignore_patterns("*.docx"), dirs_exist_ok=True)


def build(templates: Path, out: Path, *names: str) -> None:
    result = run("build", *names, "--daten", str(DATA), "--vorlagen", str(templates),
                 "--ausgabe", str(out))
    assert result.exit_code == 0, result.output


# --- the tool never overwrites -----------------------------------------------------------------


@pytest.mark.parametrize(("args", "shown"), [
    ((), Path("templates/docx")),
    (("--ziel", "templates/docx"), Path("templates/docx")),
    (("--ziel=templates/docx",), Path("templates/docx")),
    (("--ziel", str(TEMPLATES)), TEMPLATES),
], ids=repr)
def test_tool_leaves_the_committed_templates_byte_identical(args, shown):
    before = hashes(TEMPLATES)
    result = make_templates(*args)
    assert result.returncode == 0, result.stderr
    assert hashes(TEMPLATES) == before
    assert sorted(result.stdout.splitlines()) == sorted(
        f"vorhanden, bleibt unverändert: {shown / name}" for name in COMMITTED)


@pytest.mark.parametrize("args", [("--hilfe",), ("--help",), ("-h",)], ids=repr)
def test_tool_help_changes_nothing_and_offers_no_overwriting(args):
    before = hashes(TEMPLATES)
    result = make_templates(*args)
    assert result.returncode == 0, result.stderr
    assert hashes(TEMPLATES) == before
    assert "--ziel" in result.stdout
    assert "ueberschreiben" not in result.stdout


@pytest.mark.parametrize("args", [("--ueberschreiben",), ("--ziel", "templates/docx",
                                                         "--ueberschreiben")], ids=repr)
def test_the_overwrite_option_is_gone(args):
    before = hashes(TEMPLATES)
    result = make_templates(*args)
    assert result.returncode == 2
    assert "--ueberschreiben" in result.stderr
    assert hashes(TEMPLATES) == before


def test_tool_keeps_a_clerks_edit_in_a_copy_and_adds_only_what_is_missing(tmp_path):
    copy = tmp_path / "vorlagen"
    shutil.copytree(TEMPLATES, copy)
    edited = copy / STIL / "beschlussvorlage.docx"
    set_heading(edited, "Sachverhalt:", "Sachverhalt und Begründung:")
    (copy / STIL / "zwischenbericht.docx").unlink()
    shutil.rmtree(copy / "landkreis-boeblingen")
    kept = hashes(copy)

    result = make_templates("--ziel", str(copy), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    created = {f"{STIL}/zwischenbericht.docx", "landkreis-boeblingen/empfehlungen.docx"}
    after = hashes(copy)
    assert {name: after[name] for name in kept} == kept  # the edit and every other file stay
    assert set(after) - set(kept) == created
    assert sorted(line for line in result.stdout.splitlines() if line.startswith("angelegt: ")) \
        == sorted(f"angelegt: {copy / name}" for name in created)
    assert "Sachverhalt und Begründung:" in body_paragraph_texts(edited)
    for name in created:
        assert validation_errors(copy / name) == [], name

    result = make_templates(f"--ziel={copy}", cwd=tmp_path)  # again: now nothing is missing
    assert result.returncode == 0, result.stderr
    assert "angelegt" not in result.stdout
    assert hashes(copy) == after


def test_tool_creates_every_template_in_an_empty_folder_and_they_build(tmp_path):
    fresh = tmp_path / "neu"
    umask = os.umask(0)
    os.umask(umask)
    result = make_templates("--ziel", str(fresh), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file()) \
        == COMMITTED
    assert sorted(result.stdout.splitlines()) == sorted(f"angelegt: {fresh / n}" for n in COMMITTED)
    for name in COMMITTED:
        assert validation_errors(fresh / name) == [], name
        assert (fresh / name).stat().st_mode & 0o777 == 0o666 & ~umask, name  # not mkstemp's 0600

    copy_without_docx(fresh)
    out = tmp_path / "papiere"
    build(fresh, out)
    for name in DOCUMENTS:
        texts = body_paragraph_texts(out / f"{name}.docx")
        source = DATA / "massnahmenkatalog.yaml" if name == "massnahmenkatalog" else \
            DATA / "vorlagen" / f"{name}.yaml"
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
        heading = raw.get("betreff") or raw["titel"]
        assert any(heading in t for t in texts), name
        assert validation_errors(out / f"{name}.docx") == [], name
    _, rows = catalogue_rows(out / "massnahmenkatalog.docx")
    assert [cell_text(cells[1]) for cells in rows] == [str(m["nr"]) for _, _, m in raw_measures()]


# --- an edit in LibreOffice reaches the paper --------------------------------------------------


def set_heading(path: Path, old: str, new: str) -> None:
    """Change the text of the body paragraph that reads `old`, as a clerk would."""
    doc = Document(str(path))
    [paragraph] = [p for p in doc.paragraphs if p.text == old]
    paragraph.runs[0].text = new
    for extra in paragraph.runs[1:]:
        extra._r.getparent().remove(extra._r)
    doc.save(str(path))


@pytest.mark.libreoffice
def test_a_heading_changed_in_libreoffice_survives_a_build(tmp_path):
    templates = tmp_path / "vorlagen"
    shutil.copytree(TEMPLATES, templates)
    template = templates / STIL / "beschlussvorlage.docx"
    set_heading(template, "Sachverhalt:", "Sachverhalt und Begründung:")
    saved = tmp_path / "gespeichert"
    soffice_convert([template], "docx:MS Word 2007 XML", saved)
    with zipfile.ZipFile(saved / "beschlussvorlage.docx") as package:
        assert b"LibreOffice" in package.read("docProps/app.xml")  # really saved by LibreOffice
    shutil.copyfile(saved / "beschlussvorlage.docx", template)

    out = tmp_path / "papiere"
    build(templates, out, "integrationsplan-2020")
    texts = [t for t in body_paragraph_texts(out / "integrationsplan-2020.docx") if t.strip()]
    assert "Sachverhalt:" not in texts
    at = texts.index("Sachverhalt und Begründung:")
    raw = yaml.safe_load((DATA / "vorlagen" / "integrationsplan-2020.yaml").read_text("utf-8"))
    assert texts[at + 1] == raw["sachverhalt"][0]
    assert validation_errors(out / "integrationsplan-2020.docx") == []


# --- the layout, on the pages LibreOffice lays out ---------------------------------------------


@pytest.fixture(scope="module")
def pdfs(built, tmp_path_factory) -> Path:
    """Every shipped paper laid out by the real LibreOffice."""
    folder = tmp_path_factory.mktemp("pdf")
    soffice_convert([built / f"{name}.docx" for name in DOCUMENTS], "pdf", folder)
    return folder


@pytest.fixture(scope="module")
def pages(pdfs) -> dict[str, list[str]]:
    """The text of every page of every shipped paper."""
    return {name: [page.extract_text() for page in PdfReader(pdfs / f"{name}.pdf").pages]
            for name in DOCUMENTS}


def page_of(pages: list[str], text: str) -> list[int]:
    key = letters(text)
    return [n for n, page in enumerate(pages) if key in letters(page)]


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", SIGNED)
def test_the_signature_never_stands_alone_on_a_page(built, pages, name):
    doc = Document(str(built / f"{name}.docx"))
    body = list(doc.element.body.iterchildren(f"{W}p", f"{W}tbl"))
    [at] = [n for n, el in enumerate(body)
            if el.tag == f"{W}p" and (style := el.find(f"{W}pPr/{W}pStyle")) is not None
            and style.get(f"{W}val") == "Unterschrift"]
    before = body[at - 1]
    if before.tag == f"{W}tbl":  # the last row of a table: its longest cell
        text = max((cell_text(tc) for tc in before.findall(f"{W}tr")[-1].findall(f"{W}tc")),
                   key=len)
    else:
        text = _paragraph_text(before)
    assert text.strip(), "the element before the signature has text"
    [signature_page] = page_of(pages[name], _paragraph_text(body[at]))
    assert signature_page in page_of(pages[name], text), (name, text)


@pytest.mark.libreoffice
def test_every_page_with_a_goals_measures_shows_the_goal(pages):
    catalogue = pages["massnahmenkatalog"]
    goals: dict[str, list[str]] = {}
    for _, goal, m in raw_measures():
        goals.setdefault(goal, []).append(m["text"].split("\n")[0])
    assert any(len(first_lines) > 1 for first_lines in goals.values())
    for goal, first_lines in goals.items():
        shown = set(page_of(catalogue, goal))
        for line in first_lines:
            on = page_of(catalogue, line)
            assert on, line
            assert set(on) <= shown, (goal, line, on, shown)


@pytest.mark.libreoffice
def test_the_first_handlungsfeld_starts_on_the_first_page(pages):
    catalogue = pages["massnahmenkatalog"]
    first = raw_katalog()["handlungsfelder"][0]
    assert page_of(catalogue, f"Handlungsfeld „{first['name']}“") == [0]
    assert 0 in page_of(catalogue, raw_measures()[0][2]["text"].split("\n")[0])


@pytest.mark.libreoffice
def test_no_word_of_the_statistics_header_is_broken(built, pages):
    doc = Document(str(built / "zwischenbericht-2023.docx"))
    [header] = [t.rows[0] for t in doc.tables if t.rows[0].cells[0].text == "Handlungsfeld"]
    words = {w for cell in header.cells for w in cell.text.split()}
    assert "Abgeschlossen" in words
    [page] = [p for p in pages["zwischenbericht-2023"] if "Stand der Umsetzung zum" in p]
    for word in words:
        assert re.search(rf"(?<!\w){re.escape(word)}(?!\w)", page), word


@pytest.mark.libreoffice
def test_text_keeps_a_gap_below_the_page_header(built, pdfs):
    """On every page the first line of the body, a repeated table header row included, stands
    clearly below the last line of the page header (whose rule is 4 pt under that line): 28 pt
    from baseline to baseline; the templates of before gave 15.6 to 21.7 pt."""
    for name in DOCUMENTS:
        section = Document(str(built / f"{name}.docx")).sections[0]
        body_top = Emu(section.page_height - section.top_margin).pt
        for number, page in enumerate(PdfReader(pdfs / f"{name}.pdf").pages, start=1):
            baselines = []

            def visit(text, cm, tm, font, size, baselines=baselines):
                if text.strip():
                    baselines.append(tm[4] * cm[1] + tm[5] * cm[3] + cm[5])

            page.extract_text(visitor_text=visit)
            header = min(y for y in baselines if y > body_top)
            body = [y for y in baselines if y <= body_top]
            assert body, (name, number)
            assert header - max(body) >= 28, (name, number, header - max(body))
