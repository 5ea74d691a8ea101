"""The templates: valid, and still working after a clerk saved them in LibreOffice."""

from __future__ import annotations

import pytest

from .conftest import DATA, STIL, TEMPLATES, body_paragraph_texts, run, soffice_convert
from .ooxml import validation_errors
from .test_build import DOCUMENTS


@pytest.mark.parametrize("template", sorted(str(p.relative_to(TEMPLATES))
                                            for p in TEMPLATES.glob("*/*.docx")))
def test_template_is_valid_wordprocessingml(template):
    assert validation_errors(TEMPLATES / template) == []


@pytest.mark.libreoffice
def test_templates_saved_by_libreoffice_render_the_same_text(built, tmp_path):
    import shutil

    saved = tmp_path / "templates"
    shutil.copytree(TEMPLATES, saved)
    for style in saved.iterdir():
        soffice_convert(sorted((TEMPLATES / style.name).glob("*.docx")), "docx:MS Word 2007 XML",
                        style)
    out = tmp_path / "out"
    result = run("build", "--daten", str(DATA), "--vorlagen", str(saved), "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    for name in DOCUMENTS:
        original = [t for t in body_paragraph_texts(built / f"{name}.docx") if t.strip()]
        resaved = [t for t in body_paragraph_texts(out / f"{name}.docx") if t.strip()]
        assert resaved == original, name
        assert validation_errors(out / f"{name}.docx") == [], name


@pytest.mark.libreoffice
def test_comparison_template_saved_by_libreoffice_renders_the_same_header(tmp_path):
    import datetime as dt
    import io

    from docx import Document

    from pipeline.context import Dokumentinfo
    from pipeline.render import render_docx

    saved = tmp_path / "templates"
    soffice_convert([TEMPLATES / STIL / "aenderungsuebersicht.docx"], "docx:MS Word 2007 XML",
                    saved)
    context = {"koerperschaft": {"name": "Stadt & Land", "amt": "Amt", "dienststelle": ""},
               "titel": "Änderungsübersicht v1 → v2"}
    info = Dokumentinfo("T", "T", "A", dt.date(2024, 1, 1), "K")
    texts = []
    for folder in (TEMPLATES / STIL, saved):
        doc = Document(io.BytesIO(render_docx(folder / "aenderungsuebersicht.docx", context, info)))
        section = doc.sections[0]
        texts.append(([p.text for p in section.header.paragraphs],
                      [p.text for p in section.footer.paragraphs]))
    assert texts[1] == texts[0]
    assert texts[0][0][0] == "Stadt & Land"
