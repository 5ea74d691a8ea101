"""The per-user cache of template analyses: used when the template's bytes are the same, never
when they changed, and a damaged, missing or unwritable cache only costs time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from docx import Document

from .conftest import DATA, ROOT, STIL, TEMPLATES
from .test_build import DOCUMENTS


def ratsdoc(*args: str, cache: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "RATSDOC_CACHE": cache, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, check=False, timeout=300)


def build(out: Path, cache: str, templates: Path = TEMPLATES) -> subprocess.CompletedProcess:
    return ratsdoc("build", "--daten", str(DATA), "--vorlagen", str(templates), "--ausgabe",
                   str(out), cache=cache, cwd=out.parent)


def outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / f"{name}.docx").read_bytes() for name in DOCUMENTS}


def append_to_betreff(templates: Path, text: str) -> Path:
    """The Beschlussvorlage template with text added after {{ betreff }}, as a clerk might."""
    path = templates / STIL / "beschlussvorlage.docx"
    doc = Document(str(path))
    [paragraph] = [p for p in doc.paragraphs if "{{ betreff }}" in p.text][:1]
    paragraph.add_run(text)
    doc.save(str(path))
    return path


def test_cached_damaged_and_disabled_cache_give_the_same_papers(tmp_path):
    cache = tmp_path / "cache"
    first = build(tmp_path / "a", str(cache))
    assert first.returncode == 0, first.stderr
    kinds = {p.name for p in cache.iterdir()}
    assert {"fehler", "platzhalter", "jinja", "patch", "geprueft", "teil"} <= kinds
    entries = [p for p in cache.rglob("*") if p.is_file()]
    assert not [p for p in entries if p.name.startswith(".tmp-")]  # no temp files left

    second = build(tmp_path / "b", str(cache))  # every analysis from the cache
    assert second.returncode == 0, second.stderr
    assert outputs(tmp_path / "b") == outputs(tmp_path / "a")

    for entry in entries:  # a damaged cache: garbage in every entry
        entry.write_bytes(b"\x00kaputt")
    damaged = build(tmp_path / "c", str(cache))
    assert damaged.returncode == 0, damaged.stderr
    assert outputs(tmp_path / "c") == outputs(tmp_path / "a")

    disabled = build(tmp_path / "d", "")
    assert disabled.returncode == 0, disabled.stderr
    assert outputs(tmp_path / "d") == outputs(tmp_path / "a")

    blocked = tmp_path / "eine-datei"
    blocked.write_text("kein Ordner")
    unwritable = build(tmp_path / "e", str(blocked / "cache"))
    assert unwritable.returncode == 0, unwritable.stderr
    assert outputs(tmp_path / "e") == outputs(tmp_path / "a")
    assert "Traceback" not in unwritable.stderr


def test_a_template_changed_after_caching_is_analysed_again(tmp_path):
    cache = str(tmp_path / "cache")
    templates = tmp_path / "vorlagen"
    shutil.copytree(TEMPLATES, templates)
    assert build(tmp_path / "a", cache, templates).returncode == 0

    path = append_to_betreff(templates, " {{ betref }")
    result = build(tmp_path / "b", cache, templates)
    assert result.returncode == 1
    assert f"Fehler: Vorlage {path.relative_to(tmp_path)}: " in result.stderr
    assert "{{ betref }" in result.stderr
    assert "Traceback" not in result.stderr


def _check_modules(data: Path, templates: Path, cache: str, cwd: Path) -> tuple[int, str, str]:
    """Run `check` in a fresh process; (exit code, stderr, the rendering libraries it loaded)."""
    code = ("import sys\nfrom pipeline.cli import main\n"
            "try:\n    main(['check', '--daten', sys.argv[1], '--vorlagen', sys.argv[2]])\n"
            "except SystemExit as exc:\n    code = exc.code\n"
            "print(sorted(m for m in ('docxtpl', 'jinja2', 'docx') if m in sys.modules))\n"
            "sys.exit(code)")
    env = {**os.environ, "RATSDOC_CACHE": cache, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code, str(data), str(templates)],
                            capture_output=True, text=True, env=env, cwd=cwd, check=False,
                            timeout=300)
    return result.returncode, result.stderr, result.stdout.strip().splitlines()[-1]


def test_check_renders_again_only_what_changed_since_its_last_success(tmp_path):
    cache = str(tmp_path / "cache")
    data, templates = tmp_path / "daten", tmp_path / "vorlagen"
    shutil.copytree(DATA, data)
    shutil.copytree(TEMPLATES, templates)

    code, err, loaded = _check_modules(data, templates, cache, tmp_path)
    assert code == 0, err
    assert loaded == "['docx', 'docxtpl', 'jinja2']"  # the first check renders every paper
    code, err, loaded = _check_modules(data, templates, cache, tmp_path)
    assert code == 0, err
    assert loaded == "[]"  # nothing changed: no paper rendered, no docxtpl imported

    append_to_betreff(templates, " {{ betref }}")  # a template broken after a good check
    code, err, loaded = _check_modules(data, templates, cache, tmp_path)
    assert code == 1
    assert "unbekannte Platzhalter: betref" in err
    assert "Traceback" not in err



def test_old_entries_are_pruned_now_and_then(tmp_path, monkeypatch):
    from pipeline import vorlagen_cache

    cache = tmp_path / "cache"
    monkeypatch.setenv("RATSDOC_CACHE", str(cache))
    assert vorlagen_cache.remembered("probe", b"neu", lambda: b"ok") == b"ok"
    assert vorlagen_cache.remembered("probe", b"alt", lambda: b"ok") == b"ok"
    [old] = [p for p in (cache / "probe").rglob("*")
             if p.name == vorlagen_cache.entry_key("probe", b"alt")]
    two_months = time.time() - (vorlagen_cache.KEEP_DAYS + 1) * 86400
    os.utime(old, (two_months, two_months))
    # About one store in 256 prunes: a content whose key starts with 00 makes it happen now.
    content = next(c for i in range(100_000) if vorlagen_cache.entry_key(
        "probe", c := f"inhalt {i}".encode()).startswith("00"))
    computed = []
    vorlagen_cache.remembered("probe", content, lambda: computed.append(1) or b"ok")
    assert not old.exists() and computed == [1]
    kept = sorted(p.name for p in (cache / "probe").rglob("*") if p.is_file())
    assert kept == sorted(vorlagen_cache.entry_key("probe", c) for c in (b"neu", content))
    # a pruned entry is only computed again
    assert vorlagen_cache.remembered("probe", b"alt", lambda: computed.append(2) or b"ok") == b"ok"
    assert computed == [1, 2]


def test_a_library_inside_a_zip_does_not_stop_ratsdoc(tmp_path):
    """A library imported from a zip (as some installers ship them) has no file to stat."""
    with zipfile.ZipFile(tmp_path / "libs.zip", "w") as archive:
        archive.writestr("markdown_it/__init__.py", "")
    code = ("import sys; sys.path.insert(0, sys.argv[1])\n"
            "from pipeline.vorlagen_cache import code_fingerprint\n"
            "print(code_fingerprint().hex())")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    zipped, plain = (subprocess.run([sys.executable, "-c", code, path], capture_output=True,
                                    text=True, env=env, timeout=60)
                     for path in (str(tmp_path / "libs.zip"), str(tmp_path / "leer")))
    assert zipped.returncode == 0, zipped.stderr
    assert len(zipped.stdout.strip()) == 64 and zipped.stdout != plain.stdout


def test_a_template_saved_during_checks_trial_is_not_taken_for_checked(tmp_path, monkeypatch):
    """`check` keys a trial by the template's bytes before it renders: when a clerk saves the
    template meanwhile, the trial tested other bytes, and its success must not be remembered
    for the bytes it never rendered."""
    import pytest

    from pipeline import build as stages
    from pipeline.errors import RatsdocError

    monkeypatch.setenv("RATSDOC_CACHE", str(tmp_path / "cache"))
    templates = tmp_path / "vorlagen"
    shutil.copytree(TEMPLATES, templates)
    path = templates / STIL / "beschlussvorlage.docx"
    good = path.read_bytes()
    broken = append_to_betreff(templates, " {{ betreff.gibt_es_nicht }}").read_bytes()
    render_all = stages.render_all

    def clerk_saves_the_good_one(*args, **kwargs):
        path.write_bytes(good)
        return render_all(*args, **kwargs)

    monkeypatch.setattr(stages, "render_all", clerk_saves_the_good_one)
    stages.check(DATA, templates, tmp_path / "out")  # the trial rendered the good bytes
    monkeypatch.setattr(stages, "render_all", render_all)
    path.write_bytes(broken)  # the bytes the first key was made of come back
    with pytest.raises(RatsdocError) as raised:
        stages.check(DATA, templates, tmp_path / "out")
    assert "gibt_es_nicht" in raised.value.format_message()
