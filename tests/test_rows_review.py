"""Found in review of pipeline/rows.py: inputs where emitted rows differed from the Jinja path
(each held now: the emission steps aside or keeps to the same limits).

Every test renders one small .docx template twice in this process: once as shipped (rows
emitted where rows.py can) and once with the emission switched off (RowLoops.replace returns
the loop unchanged, as tests/test_rows.py's `jinja_only` does). The reference is the second.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest

from pipeline import render, rows
from pipeline.context import Dokumentinfo
from pipeline.errors import VorlagenFehler

from .conftest import STIL, TEMPLATES

SOURCE = TEMPLATES / STIL / "massnahmenkatalog.docx"
INFO = Dokumentinfo("T", "B", "A", None, "")
# What the catalogue template's header needs.
BASE = {"koerperschaft": {"name": "K", "amt": "", "dienststelle": "", "oberhaupt": ""},
        "stand": "S", "titel": "T"}


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RATSDOC_CACHE", str(tmp_path / "cache"))
    _fresh()
    yield
    _fresh()


def _fresh() -> None:
    render.make_environment.cache_clear()
    render._template_variables.cache_clear()
    render._template_problems.cache_clear()


def _template(path: Path, body: str) -> Path:
    """The catalogue template with its body (up to the sectPr) replaced."""
    with zipfile.ZipFile(SOURCE) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                xml = data.decode()
                start = xml.index("<w:body>") + len("<w:body>")
                data = (xml[:start] + body + xml[xml.index("<w:sectPr"):]).encode()
            dst.writestr(info, data)
    return path


def _cell(text: str) -> str:
    return (f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="2000"/></w:tcPr><w:p><w:r><w:t>{text}'
            f'</w:t></w:r></w:p></w:tc>')


def _loop(head: str, *cells: str) -> str:
    """A table whose only row is repeated by `{%tr for … %}` (head)."""
    pad = "".join(_cell("") for _ in cells[1:])
    grid = '<w:gridCol w:w="2000"/>' * len(cells)
    return (f'<w:tbl><w:tblPr><w:tblW w:type="auto" w:w="0"/></w:tblPr><w:tblGrid>{grid}'
            f'</w:tblGrid><w:tr>{_cell(head)}{pad}</w:tr><w:tr>{"".join(cells)}</w:tr>'
            f'<w:tr>{_cell("{%tr endfor %}")}{pad}</w:tr></w:tbl><w:p/>')


def _para(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def _render(path: Path, context: dict) -> str:
    """The body, or the German error message."""
    _fresh()
    try:
        docx = render.render_docx(path, {**BASE, **context}, INFO)
    except VorlagenFehler as exc:
        return f"Fehler: {exc}"
    return zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode()


def _emitted_and_jinja(path: Path, context: dict, monkeypatch) -> tuple[str, str]:
    seen: list[int] = []
    original = rows.Collector.placeholder

    def counting(self: rows.Collector, pending: list[str]) -> str:
        seen.append(len(pending))
        return original(self, pending)

    monkeypatch.setattr(rows.Collector, "placeholder", counting)
    emitted = _render(path, context)
    with monkeypatch.context() as m:
        m.setattr(rows.RowLoops, "replace", lambda self, node: node)
        jinja = _render(path, context)
    return emitted, jinja


# --- 1. Limits --------------------------------------------------------------------------------


def test_captured_rows_multiply_past_the_output_limit(tmp_path, monkeypatch):
    # A hostile template: the rows are captured in {% set %} and the capture is output 500
    # times. Jinja stops at MAX_OUTPUT_CHARS; with emitted rows the capture is a 40-character
    # comment, so the limit never sees the rows, and `insert` (after the limits) multiplies them.
    body = (_para("{%p set t %}") + _loop("{%tr for m in xs %}", _cell("{{ m.a }}"))
            + _para("{%p endset %}") + _para("{% for i in range(500) %}{{ t }}{% endfor %}"))
    path = _template(tmp_path / "t.docx", body)
    context = {"xs": [{"a": "y" * 500} for _ in range(200)]}
    emitted, jinja = _emitted_and_jinja(path, context, monkeypatch)
    assert jinja.startswith("Fehler:") and "größer als 50 MB" in jinja
    assert emitted == jinja, f"emitted: {len(emitted):,} characters of body instead of the error"


def test_output_limit_counts_emitted_rows_apart_from_the_rest(tmp_path, monkeypatch):
    # The collector's size and Jinja's concat size are checked separately against the same
    # limit, so a body can grow to about twice MAX_OUTPUT_CHARS.
    monkeypatch.setattr(render, "MAX_OUTPUT_CHARS", 500_000)
    body = _para("{{ gross }}") + _loop("{%tr for m in xs %}", _cell("{{ m.a }}"))
    path = _template(tmp_path / "t.docx", body)
    context = {"gross": "x" * 300_000, "xs": [{"a": "y" * 1000} for _ in range(300)]}
    emitted, jinja = _emitted_and_jinja(path, context, monkeypatch)
    assert jinja.startswith("Fehler:")
    assert emitted == jinja


def test_inner_loops_of_emitted_rows_count_as_steps(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "MAX_LOOP_STEPS", 5_000)
    cell = _cell("{% for w in m.l %}{% endfor %}{{ m.a }}")
    path = _template(tmp_path / "t.docx", _loop("{%tr for m in xs %}", cell))
    context = {"xs": [{"a": str(i), "l": list(range(100))} for i in range(200)]}  # 20,200 steps
    emitted, jinja = _emitted_and_jinja(path, context, monkeypatch)
    assert "Schleifendurchläufen" in jinja
    # The same limit stops it; the place named is the row loop's paragraph, not the inner one's.
    assert emitted.split(" in der Nähe")[0] == jinja.split(" in der Nähe")[0]


# --- 2. What encloses the loop --------------------------------------------------------------


@pytest.mark.parametrize(("before", "after"), [
    ("{% filter replace('Alt', 'Neu') %}", "{% endfilter %}"),
    ("{%p set t %}", "{%p endset %}" + "</w:t></w:r></w:p><w:p><w:r><w:t>"
     "{{ t|replace('Alt', 'Neu') }}"),
], ids=["filter-block", "set-block"])
def test_output_filters_around_the_loop_reach_the_rows(tmp_path, monkeypatch, before, after):
    body = _para(before) + _loop("{%tr for m in xs %}", _cell("{{ m.a }}")) + _para(after)
    path = _template(tmp_path / "t.docx", body)
    emitted, jinja = _emitted_and_jinja(path, {"xs": [{"a": "Alt"}]}, monkeypatch)
    assert "Neu" in jinja
    assert emitted == jinja


def test_autoescape_false_around_the_loop(tmp_path, monkeypatch):
    body = (_para("{% autoescape false %}") + _loop("{%tr for m in xs %}", _cell("{{ m.a }}"))
            + _para("{% endautoescape %}"))
    path = _template(tmp_path / "t.docx", body)
    emitted, jinja = _emitted_and_jinja(path, {"xs": [{"a": "x</w:t><w:t>y"}]}, monkeypatch)
    assert emitted == jinja


# --- 3. Values the shape gets wrong ----------------------------------------------------------


@pytest.mark.parametrize("items", [
    [{"t": "a"}, {"t": "b"}],
    ["a", "b"],
], ids=["dicts", "strings"])
def test_a_list_both_shown_and_looped_over(tmp_path, monkeypatch, items):
    # `{{ m.l }}` shows the probe list: Python's repr of the private-use markers, with the
    # render's random token, in every row.
    inner = "{{ w.t }}" if isinstance(items[0], dict) else "{{ w }}"
    cell = _cell("{{ m.l }}|{% for w in m.l %}" + inner + "{% endfor %}")
    path = _template(tmp_path / "t.docx", _loop("{%tr for m in xs %}", cell))
    emitted, jinja = _emitted_and_jinja(path, {"xs": [{"l": items}, {"l": items[::-1]}]},
                                        monkeypatch)
    assert "\\ue010" not in emitted
    assert emitted == jinja


@pytest.mark.parametrize("items", [[1, 2, 3], [dt.date(2020, 1, 1), dt.date(2021, 1, 1)]],
                         ids=["ints", "dates"])
def test_attributes_of_items_that_are_not_dicts(tmp_path, monkeypatch, items):
    # _probe leaves a non-dict value as it is: its attribute is rendered into the shape, and
    # every row of that shape repeats the first item's value.
    attr = "real" if isinstance(items[0], int) else "year"
    path = _template(tmp_path / "t.docx", _loop("{%tr for n in xs %}", _cell(f"{{{{ n.{attr} }}}}")))
    emitted, jinja = _emitted_and_jinja(path, {"xs": items}, monkeypatch)
    assert emitted == jinja


def test_placeholder_in_an_xml_comment(tmp_path, monkeypatch):
    # A value in a comment: Jinja's escaping (&#34; &#39;) stays as written in a comment and
    # "--" makes the body ill-formed (an error); the emitted row escapes as for an attribute
    # and writes "--" into the comment (a .docx that Word cannot open).
    path = _template(tmp_path / "t.docx", _loop("{%tr for m in xs %}", _cell("x<!-- {{ m.a }} -->")))
    emitted, jinja = _emitted_and_jinja(path, {"xs": [{"a": "it's \"q\""}]}, monkeypatch)
    assert emitted == jinja


def test_double_hyphen_in_a_commented_value_is_the_same_error(tmp_path, monkeypatch):
    path = _template(tmp_path / "t.docx", _loop("{%tr for m in xs %}", _cell("x<!-- {{ m.a }} -->")))
    emitted, jinja = _emitted_and_jinja(path, {"xs": [{"a": "a--b"}]}, monkeypatch)
    assert jinja.startswith("Fehler:") and "ungültiges XML" in jinja
    assert emitted == jinja  # not a body Word cannot open


@pytest.mark.parametrize(("cell", "items"), [
    ("{{ m.a }}{{ m.b }}", [{"a": "a}", "b": "_}b"}, {"a": "x{_", "b": "{y"}]),
    ("%{{ m.a }}", [{"a": "_} z"}]),
], ids=["two-values", "text-and-value"])
def test_docxtpl_brace_escapes_across_a_value_boundary(tmp_path, monkeypatch, cell, items):
    # docxtpl replaces {_{ }_} {_% %_} in the rendered XML; a pair made of the end of one value
    # and the start of the next (or of the text beside it) is replaced on the Jinja path only.
    path = _template(tmp_path / "t.docx", _loop("{%tr for m in xs %}", _cell(cell)))
    emitted, jinja = _emitted_and_jinja(path, {"xs": items}, monkeypatch)
    assert emitted == jinja
