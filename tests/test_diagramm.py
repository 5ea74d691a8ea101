"""The Zwischenbericht's chart: a native Word chart in the template, filled with the report's
figures (no drawing library); a `{{ diagramm }}` placeholder still gets a picture."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from docx import Document
from lxml import etree

from pipeline.kategorien import KATEGORIEN, kategorie_aus_status

from .conftest import DATA, ROOT, STIL, TEMPLATES, run
from .ooxml import validation_errors
from .test_build import raw_measures

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
CHART_PART = "word/charts/chart1.xml"
REPORT = "zwischenbericht-2023"


def chart_series(docx: Path) -> list[tuple[str, list[str], list[int]]]:
    """(series name, categories, values) of the document's chart, read from its part."""
    with zipfile.ZipFile(docx) as package:
        root = etree.fromstring(package.read(CHART_PART))
    result = []
    for ser in root.iter(f"{C}ser"):
        name = ser.find(f"{C}tx//{C}v").text
        categories = [v.text for v in ser.find(f"{C}cat").iter(f"{C}v")]
        values = [int(v.text) for v in ser.find(f"{C}val").iter(f"{C}v")]
        result.append((name, categories, values))
    return result


def test_chart_carries_the_reports_figures(built):
    series = chart_series(built / f"{REPORT}.docx")
    fields = list(dict.fromkeys(hf for hf, _, _ in raw_measures()))
    counts = Counter((hf, kategorie_aus_status(m["status"])) for hf, _, m in raw_measures())
    assert [name for name, _, _ in series] == [i.bezeichnung for i in KATEGORIEN.values()]
    for (_, categories, values), kategorie in zip(series, KATEGORIEN, strict=True):
        assert categories == fields[::-1]  # the first Handlungsfeld is the top bar
        assert values == [counts[(hf, kategorie)] for hf in fields[::-1]]
    assert sum(sum(v) for _, _, v in series) == 41
    with zipfile.ZipFile(built / f"{REPORT}.docx") as package:
        assert not [n for n in package.namelist() if n.startswith("word/media/")]  # no picture
        chart = package.read(CHART_PART)
    assert b"externalData" not in chart  # no stale workbook behind the figures
    for pattern in (b'prst="wdUpDiag"', b'prst="ltVert"', b'prst="diagCross"', b'prst="dkHorz"'):
        assert pattern in chart  # grey print tells the categories apart


def test_build_and_check_import_no_drawing_library(tmp_path):
    code = ("import sys\nfrom pathlib import Path\nfrom pipeline.build import build, check\n"
            f"check(Path({str(DATA)!r}), Path({str(TEMPLATES)!r}), Path({str(tmp_path / 'c')!r}))\n"
            f"build(Path({str(DATA)!r}), Path({str(tmp_path / 'out')!r}), Path({str(TEMPLATES)!r}))\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'PIL')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "out" / f"{REPORT}.docx").exists()


def _templates_with(tmp_path: Path, change) -> Path:
    templates = tmp_path / "vorlagen"
    shutil.copytree(TEMPLATES, templates)
    change(templates / STIL / "zwischenbericht.docx")
    return templates


def _picture_placeholder_instead_of_chart(path: Path) -> None:
    doc = Document(str(path))
    [paragraph] = [p for p in doc.paragraphs if p._p.xpath(".//c:chart")]
    for r in list(paragraph.runs):
        r._r.getparent().remove(r._r)
    paragraph.add_run("{{ diagramm }}")
    doc.save(str(path))


@pytest.mark.slow
def test_a_picture_placeholder_still_gets_the_drawn_chart(tmp_path):
    templates = _templates_with(tmp_path, _picture_placeholder_instead_of_chart)
    out = tmp_path / "out"
    result = run("build", REPORT, "--daten", str(DATA), "--vorlagen", str(templates),
                 "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    doc = Document(str(out / f"{REPORT}.docx"))
    [shape] = doc.inline_shapes
    assert shape.width.mm > 150
    with zipfile.ZipFile(out / f"{REPORT}.docx") as package:
        [png] = [n for n in package.namelist() if n.startswith("word/media/")]
        assert package.read(png)[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(package.read(png)) > 20_000  # a drawn chart, not check's 1-pixel probe
    assert validation_errors(out / f"{REPORT}.docx") == []


def _edit_chart(path: Path, edit) -> None:
    """Change the template's chart part in place, as Word would save it."""
    with zipfile.ZipFile(path) as source:
        entries = {info: source.read(info.filename) for info in source.infolist()}
    for info, data in entries.items():
        if info.filename == CHART_PART:
            root = etree.fromstring(data)
            edit(root)
            entries[info] = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                           standalone=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries.items():
            target.writestr(info, data)


def _chart_with_four_series(path: Path) -> None:
    def drop_last(root) -> None:
        last = list(root.iter(f"{C}ser"))[-1]
        last.getparent().remove(last)

    _edit_chart(path, drop_last)


def _style_by_name(docx_or_template: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(docx_or_template) as package:
        root = etree.fromstring(package.read(CHART_PART))
    return {ser.find(f"{C}tx//{C}v").text: etree.tostring(ser.find(f"{C}spPr"))
            for ser in root.iter(f"{C}ser")}


def test_a_series_moved_in_word_keeps_its_look_and_its_figures(tmp_path, built):
    def move_first_series_last(root) -> None:
        series = list(root.iter(f"{C}ser"))
        series[-1].addnext(series[0])  # XML order changed; names and styles stay together

    templates = _templates_with(tmp_path, lambda path: _edit_chart(path, move_first_series_last))
    result = run("build", REPORT, "--daten", str(DATA), "--vorlagen", str(templates),
                 "--ausgabe", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    moved = tmp_path / "out" / f"{REPORT}.docx"
    assert _style_by_name(moved) == _style_by_name(templates / STIL / "zwischenbericht.docx")
    assert sorted(chart_series(moved)) == sorted(chart_series(built / f"{REPORT}.docx"))


def test_unnamed_series_take_the_figures_in_their_display_order(tmp_path, built):
    def rename_and_reverse_order(root) -> None:
        series = list(root.iter(f"{C}ser"))
        for number, ser in enumerate(series):
            ser.find(f"{C}tx//{C}v").text = f"Reihe {number + 1}"
            ser.find(f"{C}order").set("val", str(len(series) - 1 - number))

    templates = _templates_with(tmp_path, lambda path: _edit_chart(path, rename_and_reverse_order))
    result = run("build", REPORT, "--daten", str(DATA), "--vorlagen", str(templates),
                 "--ausgabe", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    expected = chart_series(built / f"{REPORT}.docx")
    assert chart_series(tmp_path / "out" / f"{REPORT}.docx") == expected[::-1]


def test_the_number_format_set_in_word_stays(tmp_path):
    def thousands(root) -> None:
        for code in root.iter(f"{C}formatCode"):
            if code.getparent().getparent().getparent().tag == f"{C}val":
                code.text = "#,##0"

    templates = _templates_with(tmp_path, lambda path: _edit_chart(path, thousands))
    result = run("build", REPORT, "--daten", str(DATA), "--vorlagen", str(templates),
                 "--ausgabe", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "out" / f"{REPORT}.docx") as package:
        root = etree.fromstring(package.read(CHART_PART))
    formats = [ser.findtext(f"{C}val/{C}numRef/{C}numCache/{C}formatCode")
               for ser in root.iter(f"{C}ser")]
    assert formats == ["#,##0"] * 5
    assert sum(sum(v) for _, _, v in chart_series(tmp_path / "out" / f"{REPORT}.docx")) == 41


def test_a_chart_that_cannot_take_the_figures_is_a_german_error(tmp_path):
    templates = _templates_with(tmp_path, _chart_with_four_series)
    result = run("build", REPORT, "--daten", str(DATA), "--vorlagen", str(templates),
                 "--ausgabe", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert ("Diagramm „diagramm“: das Diagramm hat 4 Datenreihen, erwartet werden 5 "
            "(Abgeschlossen, Laufend / wird fortgesetzt, In Planung, In Prüfung, Noch nicht "
            "umgesetzt)") in result.output
    assert str(templates / STIL / "zwischenbericht.docx") in result.output
    assert not (tmp_path / "out" / f"{REPORT}.docx").exists()
