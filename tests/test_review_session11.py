"""Found in review of the caches (vorlagen_cache.py, build's output cache) and of rows.py:
each test failed before its fix."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import marshal
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from docx import Document

from pipeline import build as build_module
from pipeline.archive import Archiv
from pipeline.errors import VorlagenFehler

from .conftest import DATA, ROOT, STIL, TEMPLATES
from .test_build import DOCUMENTS
from .test_diagramm import chart_series
from .test_rows_review import _cell, _emitted_and_jinja, _loop, _template
from .test_vorlagen_cache import append_to_betreff

# --- rows.py ----------------------------------------------------------------------------------


def test_attributes_of_inner_loop_items_that_are_not_dicts(tmp_path, monkeypatch):
    # _probe left a non-dict item of an inner loop as it is: its attribute was rendered into
    # the row's shape, and every row with as many inner items repeated the first row's values.
    cell = _cell("{% for d in m.termine %}{{ d.year }};{% endfor %}")
    path = _template(tmp_path / "t.docx", _loop("{%tr for m in xs %}", cell))
    context = {"xs": [{"termine": [dt.date(2020, 1, 1)]}, {"termine": [dt.date(2021, 1, 1)]}]}
    emitted, jinja = _emitted_and_jinja(path, context, monkeypatch)
    assert "2020;" in jinja and "2021;" in jinja
    assert emitted == jinja


# --- vorlagen_cache.code_fingerprint ----------------------------------------------------------


def _fingerprint_with(shadow: Path) -> str:
    code = "from pipeline.vorlagen_cache import code_fingerprint; print(code_fingerprint().hex())"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shadow), str(ROOT)])}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, check=True, timeout=120)
    return result.stdout.strip()


def test_fingerprint_follows_an_upgrade_of_every_library_that_shapes_the_output(tmp_path):
    # PyYAML reads the data files, MarkupSafe escapes every value, Pillow writes the PNG of a
    # drawn chart: an upgrade of any can change a paper, so the output cache (keyed by the
    # fingerprint) must not serve old bytes.
    import markupsafe
    import PIL
    import yaml

    for module in (yaml, markupsafe, PIL):
        package = Path(module.__file__).parent
        fingerprints = set()
        for variant in ("old", "new"):
            shadow = tmp_path / module.__name__ / variant
            shutil.copytree(package, shadow / package.name)
            if variant == "new":
                with (shadow / package.name / "__init__.py").open("a") as out:
                    out.write("\n# upgraded\n")
            fingerprints.add(_fingerprint_with(shadow))
        assert len(fingerprints) == 2, f"{module.__name__} upgrade not seen"


# --- build's output cache ---------------------------------------------------------------------


def test_an_edit_saved_while_a_build_runs_is_built_by_the_next_build(tmp_path, data_copy,
                                                                     monkeypatch):
    # The build loads the data under the data lock; a clerk's edit saved right after that (in
    # the web form, under the same lock) must reach the next build, not be hidden by the
    # output cache keyed by the edited files.
    out = tmp_path / "out"
    name = "integrationsplan-2020"
    source = data_copy / "vorlagen" / f"{name}.yaml"
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    locked = build_module.data_lock

    @contextlib.contextmanager
    def lock_then_clerk_saves(*args, **kwargs):
        with locked(*args, **kwargs):
            yield
        with locked(data_copy):  # as the web form saves: under the data lock
            text = source.read_text(encoding="utf-8")
            source.write_text(text.replace("Erarbeitung eines", "Fortschreibung des"),
                              encoding="utf-8")

    with monkeypatch.context() as m:
        m.setattr(build_module, "data_lock", lock_then_clerk_saves)
        build_module.build(data_copy, out, TEMPLATES, (name,))
    # The archived version says it was made from the file as loaded, not as saved later.
    [version] = Archiv.open(out).of(name)
    assert before in version.eingaben.values()
    build_module.build(data_copy, out, TEMPLATES, (name,))
    text = "\n".join(p.text for p in Document(str(out / f"{name}.docx")).paragraphs)
    assert "Fortschreibung des Integrationsplans" in text


# --- vorlagen_cache: entries with a good checksum but foreign content ---------------------------


def _build(data: Path, out: Path, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "RATSDOC_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pipeline", "build", "--daten", str(data),
                           "--vorlagen", str(TEMPLATES), "--ausgabe", str(out)],
                          capture_output=True, text=True, env=env, check=False, timeout=300)


def test_foreign_entries_with_a_good_checksum_are_computed_anew(tmp_path):
    # The checksum tells a damaged entry; one written by something else (another tool, another
    # format) passes it. Compiled code that is not a code object, and a patched part that is
    # not UTF-8, ended in a traceback or a misleading German error.
    cache = tmp_path / "cache"
    first = _build(DATA, tmp_path / "a", cache)
    assert first.returncode == 0, first.stderr
    foreign = {"jinja": b"\0\0\0\0" + marshal.dumps(5), "patch": b"\xff\xfe kein UTF-8"}
    for kind, payload in foreign.items():
        for entry in (p for p in (cache / kind).rglob("*") if p.is_file()):
            entry.write_bytes(hashlib.sha256(payload).digest() + payload)
    second = _build(DATA, tmp_path / "b", cache)
    assert second.returncode == 0, second.stderr
    assert "Traceback" not in second.stderr
    for name in DOCUMENTS:
        assert (tmp_path / "b" / f"{name}.docx").read_bytes() == \
            (tmp_path / "a" / f"{name}.docx").read_bytes()


def test_a_template_saved_during_its_analysis_leaves_no_wrong_entry(tmp_path, monkeypatch):
    # The analysis read the file again after the cache had read it for the key: a template
    # saved in between was analysed, and its result remembered for the earlier bytes. When
    # those bytes came back (a restored copy), their mistake was not reported.
    from pipeline import render

    monkeypatch.setenv("RATSDOC_CACHE", str(tmp_path / "cache"))
    path = tmp_path / STIL / "beschlussvorlage.docx"
    path.parent.mkdir()
    good = (TEMPLATES / STIL / "beschlussvorlage.docx").read_bytes()
    path.write_bytes(good)
    broken = append_to_betreff(tmp_path, " {{ betref }").read_bytes()
    assert path.read_bytes() == broken
    opened = render.open_template

    def clerk_saves_the_good_one(*args, **kwargs):
        path.write_bytes(good)  # saved in Word while ratsdoc analyses the broken one
        return opened(*args, **kwargs)

    render._template_problems.cache_clear()
    with monkeypatch.context() as m:
        m.setattr(render, "open_template", clerk_saves_the_good_one)
        render.template_problems(path)
    render._template_problems.cache_clear()
    assert render.template_problems(path) == []
    render._template_problems.cache_clear()
    path.write_bytes(broken)  # the broken copy restored
    assert any("{{ betref }" in problem for problem in render.template_problems(path))


def test_a_damaged_output_cache_is_rendered_anew(tmp_path):
    # Valid JSON of another shape in .ratsdoc-cache.json (edited by hand, a sync conflict)
    # ended the build in an AttributeError.
    name = "integrationsplan-2020"
    for index, content in enumerate(("null", "[]", f'{{"{name}": "x"}}',
                                     f'{{"{name}": {{"schluessel": 5}}}}')):
        out = tmp_path / str(index)
        out.mkdir()
        (out / build_module.CACHE_NAME).write_text(content, encoding="utf-8")
        build_module.build(DATA, out, TEMPLATES, (name,))
        assert (out / f"{name}.docx").read_bytes() == (tmp_path / "0" / f"{name}.docx").read_bytes()


# --- diagramm.py: a chart renamed by LibreOffice -----------------------------------------------


def _renamed_charts(path: Path, *names: str) -> None:
    """The chart's drawing named as LibreOffice 7.4 names it on saving („Object1“; the name
    „diagramm“ is lost), once per name (more than one: the same chart shown again)."""
    with zipfile.ZipFile(path) as source:
        entries = {info: source.read(info.filename) for info in source.infolist()}
    for info, data in entries.items():
        if info.filename == "word/document.xml":
            xml = data.decode()
            start = xml.index("<w:r><w:drawing")
            end = xml.index("</w:drawing></w:r>", start) + len("</w:drawing></w:r>")
            run = xml[start:end]
            runs = "".join(re.sub(r'name="diagramm"', f'name="{name}"', run) for name in names)
            entries[info] = (xml[:start] + runs + xml[end:]).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries.items():
            target.writestr(info, data)


def test_a_chart_renamed_by_libreoffice_still_gets_the_figures(tmp_path, built):
    # A Zwischenbericht template saved in LibreOffice: its chart is „Object1“ now, and the
    # report showed the template's sample figures without a word.
    templates = tmp_path / "vorlagen"
    shutil.copytree(TEMPLATES, templates)
    _renamed_charts(templates / STIL / "zwischenbericht.docx", "Object1")
    report = "zwischenbericht-2023"
    build_module.build(DATA, tmp_path / "out", templates, (report,))
    assert chart_series(tmp_path / "out" / f"{report}.docx") == \
        chart_series(built / f"{report}.docx")


def test_several_charts_none_named_after_the_figures_is_a_german_error(tmp_path):
    templates = tmp_path / "vorlagen"
    shutil.copytree(TEMPLATES, templates)
    _renamed_charts(templates / STIL / "zwischenbericht.docx", "Object1", "Object2")
    with pytest.raises(VorlagenFehler) as caught:
        build_module.build(DATA, tmp_path / "out", templates, ("zwischenbericht-2023",))
    assert "kein Diagramm namens „diagramm“" in str(caught.value)
    assert "„Object1“, „Object2“" in str(caught.value)


# --- render.render_docx: the bytes checked are the bytes rendered --------------------------------


def test_a_template_saved_between_its_check_and_its_render(tmp_path, monkeypatch):
    # render_docx checked the template's mistakes on one read of the file and rendered another:
    # a broken template saved in between (`{{ betref }`) lost the Betreff paragraph without a
    # word, as docxtpl's clean-up does (pitfalls.md).
    from pipeline import render
    from pipeline.kinds import build_context, dokumentinfo
    from pipeline.validate import load_and_validate

    monkeypatch.setenv("RATSDOC_CACHE", "")
    templates = tmp_path / "vorlagen"
    shutil.copytree(TEMPLATES, templates)
    path = templates / STIL / "beschlussvorlage.docx"
    good = path.read_bytes()
    broken = append_to_betreff(templates, " {{ betref }").read_bytes()
    path.write_bytes(good)
    name = "integrationsplan-2020"
    daten = load_and_validate(DATA, templates)
    opened = render.open_template

    def clerk_saves_the_broken_one(*args, **kwargs):
        path.write_bytes(broken)
        return opened(*args, **kwargs)

    monkeypatch.setattr(render, "open_template", clerk_saves_the_broken_one)
    try:
        docx = render.render_docx(path, build_context(name, daten), dokumentinfo(name, daten))
    except VorlagenFehler as exc:
        assert "betref" in str(exc)  # the broken one, checked
        return
    text = "\n".join(p.text for p in Document(io.BytesIO(docx)).paragraphs)
    assert "Erarbeitung eines Integrationsplans" in text


def test_a_copy_that_keeps_time_and_size_is_analysed_anew(tmp_path, monkeypatch):
    # Windows Explorer and `cp -p` keep the modification time; with the same size the
    # in-process cache took the restored copy for the file it had analysed (the web page runs
    # for weeks).
    from pipeline import render

    monkeypatch.setenv("RATSDOC_CACHE", "")
    path = tmp_path / STIL / "beschlussvorlage.docx"
    path.parent.mkdir(parents=True)
    good = (TEMPLATES / STIL / "beschlussvorlage.docx").read_bytes()
    path.write_bytes(good)
    broken = append_to_betreff(tmp_path, " {{ betref }").read_bytes()

    def padded(data: bytes, size: int) -> bytes:
        out = io.BytesIO(data)
        with zipfile.ZipFile(out, "a") as archive:
            archive.comment = b" " * (size - len(data))
        return out.getvalue()

    size = max(len(good), len(broken)) + 16
    good, broken = padded(good, size), padded(broken, size)
    assert len(good) == len(broken)
    path.write_bytes(good)
    stamp = path.stat().st_mtime_ns
    assert render.template_problems(path) == []
    with open(path, "r+b") as target:  # as `cp -p` does: the same file, rewritten, old time
        target.write(broken)
    os.utime(path, ns=(stamp, stamp))
    assert path.stat().st_size == size and path.stat().st_mtime_ns == stamp
    assert any("{{ betref }" in problem for problem in render.template_problems(path))
