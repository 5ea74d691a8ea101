"""The generated papers read like the real source documents in ../shared/seeds/."""

from __future__ import annotations

import difflib

import pytest
from docx import Document

from .conftest import (
    SEEDS,
    W,
    _paragraph_text,
    body_paragraph_texts,
    letters,
    numbered_paragraph_texts,
    words,
)


def seed(prefix: str) -> str:
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not matches:
        pytest.fail(f"Seed {prefix} fehlt in {SEEDS}")
    return matches[0].read_text(encoding="utf-8")


def dehyphenate(text: str) -> str:
    """Undo the PDF extraction's end-of-line hyphenation (keep "Sprach- und")."""
    import re

    return re.sub(r"(\w)-[ \t]*\n\s*(?!und\b|oder\b)([a-zäöüß])", r"\1\2", text)


def in_order_ratio(expected: list[str], actual: list[str]) -> tuple[float, float]:
    """Share of expected words found in order in actual, and share of actual words not matched."""
    matcher = difflib.SequenceMatcher(a=expected, b=actual, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return matched / len(expected), 1 - matched / len(actual)


# Papers reproduced from data, each with the seed it reproduces.
REPRODUCED = [("000", "integrationsplan-2020"), ("002", "sitzungsvorlage-51-2016"),
              ("004", "empfehlungen-234-2014")]


@pytest.mark.parametrize(("nummer", "dokument"), REPRODUCED, ids=[n for n, _ in REPRODUCED])
def test_paper_reproduces_its_seed(built, nummer, dokument):
    expected = words(dehyphenate(seed(nummer)))
    actual = words("\n".join(numbered_paragraph_texts(built / f"{dokument}.docx")))
    found, extra = in_order_ratio(expected, actual)
    assert found >= 0.97, f"nur {found:.1%} der Wörter von Seed {nummer} in Reihenfolge"
    assert extra <= 0.05, f"{extra:.1%} zusätzliche Wörter"


def test_catalogue_reproduces_seed_001_in_order(built):
    expected = words(dehyphenate(seed("001")))
    actual = words("\n".join(body_paragraph_texts(built / "massnahmenkatalog.docx")))
    found, _ = in_order_ratio(expected, actual)
    assert found >= 0.97, f"nur {found:.1%} der Wörter von Seed 001 in Reihenfolge"


def test_every_measure_cell_is_verbatim_in_seed_001(built):
    """Each measure's text, Akteure and status, as read from the docx, stand in the seed."""
    source = letters(seed("001"))
    doc = Document(str(built / "massnahmenkatalog.docx"))
    checked = 0
    for tbl in doc.element.body.iter(f"{W}tbl"):
        rows = tbl.findall(f"{W}tr")
        head = [_paragraph_text(p) for p in rows[0].iter(f"{W}p")]
        if "Nr." not in head:
            continue
        for tr in rows[1:]:
            cells = ["\n".join(_paragraph_text(p) for p in tc.iter(f"{W}p"))
                     for tc in tr.findall(f"{W}tc")]
            for cell in cells[2:]:
                assert letters(cell) in source, cell
            assert letters(cells[1] + cells[2].split("\n")[0][:30]) in source, cells[1]
            checked += 1
    assert checked == 41


def test_pressetext_reproduces_seed_003_as_docx_and_html(built):
    from html.parser import HTMLParser

    # The web page's UI texts are not part of the article.
    source = seed("003").replace("Pfeil nach unten", "").replace("Logo: Stadt", "")
    expected = words(source)
    docx_words = words("\n".join(body_paragraph_texts(built / "pressetext-integrationsplan.docx")))
    found, extra = in_order_ratio(expected, docx_words)
    assert found >= 0.97 and extra <= 0.05, (found, extra)

    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.parts: list[str] = []

        def handle_data(self, data):
            self.parts.append(data)

    parser = Text()
    parser.feed((built / "pressetext-integrationsplan.html").read_text(encoding="utf-8"))
    html_words = words(" ".join(parser.parts[parser.parts.index("Stadt Leinfelden-Echterdingen"):]))
    found, _ = in_order_ratio(expected, html_words)
    assert found >= 0.97, found

