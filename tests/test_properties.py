"""Property: arbitrary text in a measure survives data → docx → reread."""

from __future__ import annotations

import datetime as dt
import io

from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.kinds import build_context, dokumentinfo
from pipeline.load import Daten
from pipeline.markup import Formatiert, zeilen
from pipeline.model import Katalog, Stil
from pipeline.render import render_docx

from .conftest import STIL, TEMPLATES, W, _paragraph_text, words_in_order

# XML 1.0 forbids these; the schema refuses them (see test_bad_input). Surrogates cannot be
# encoded at all. docxtpl turns "{_{" and friends back into "{{", a documented normalisation.
FORBIDDEN = set(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]))
text_strategy = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=FORBIDDEN | {"\r"}),
    min_size=1, max_size=300,
).filter(lambda s: s.strip() and not any(t in s for t in ("{_", "_}", "%_", "_%")))


def catalogue_with(text: str, akteure: str) -> Daten:
    katalog = Katalog.model_validate({
        "stil": STIL, "titel": "Katalog", "stand": dt.date(2024, 1, 31),
        "handlungsfelder": [{"name": "Feld", "vision": ["Vision"], "ziele": [
            {"ziel": "Ziel", "massnahmen": [
                {"nr": 1, "text": text, "akteure": akteure, "status": "Wird fortgesetzt"}]}]}],
    })
    stil = Stil(name="Stadt", oberhaupt="Bürgermeister", gremien={"GR": "Gemeinderat"})
    return Daten(TEMPLATES, {STIL: stil}, None, {"massnahmenkatalog": katalog})


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(text=text_strategy, akteure=text_strategy)
def test_measure_text_survives_render_and_reread(text, akteure):
    daten = catalogue_with(text, akteure)
    data = render_docx(TEMPLATES / STIL / "massnahmenkatalog.docx",
                       build_context("massnahmenkatalog", daten),
                       dokumentinfo("massnahmenkatalog", daten))
    doc = Document(io.BytesIO(data))
    table = [t for t in doc.element.body.iter(f"{W}tbl")][-1]
    row = table.findall(f"{W}tr")[1]
    cells = ["\n".join(_paragraph_text(p) for p in tc.iter(f"{W}p")) for tc in row.findall(f"{W}tc")]
    if any(isinstance(line, Formatiert) for line in zeilen(text)):
        # The Markdown subset shows formatting instead of its marks: every word stays, in order.
        assert words_in_order(text, cells[2]), (text, cells[2])
    else:
        assert cells[2] == text
    assert cells[3] == akteure

