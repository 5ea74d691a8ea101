"""Found in review: the record holds where a retry reuses a name, a last entry is edited, or a
Neufassung is submitted before it was built."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pipeline.archive import Archiv, ArchivFehler, sha256

from .conftest import TEMPLATES, run

DAY = dt.date(2024, 1, 1)


def test_a_pdf_filed_after_an_abandoned_attempt_is_checked(tmp_path, monkeypatch):
    out = tmp_path / "out"
    docx = b"Fassung 1"
    Archiv.open(out).file("katalog", docx, DAY, {}, None)  # `ratsdoc build`

    def killed(self, relative, data):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:  # `build --pdf`, killed before the file is placed
        patch.setattr(Archiv, "_place", killed)
        with pytest.raises(KeyboardInterrupt):
            Archiv.open(out).file("katalog", docx, DAY, {}, None, b"%PDF erster Versuch", docx)
    archive = Archiv.open(out)  # the next `build --pdf`
    assert archive.recover() == ["katalog v1: von einem abgebrochenen Build unvollständig, "
                                 "verworfen"]
    archive.file("katalog", docx, DAY, {}, None, b"%PDF zweiter Versuch", docx)
    assert run("archiv", "pruefen", "--ausgabe", str(out)).exit_code == 0

    pdf = out / "archiv" / "katalog" / "2024-01-01_v1.pdf"
    pdf.chmod(0o644)
    pdf.write_bytes(b"%PDF gefaelscht")
    result = run("archiv", "pruefen", "--ausgabe", str(out))
    assert result.exit_code == 1, result.output
    assert "2024-01-01_v1.pdf: verändert (Prüfsumme stimmt nicht)" in result.output
    pdf.unlink()
    result = run("archiv", "pruefen", "--ausgabe", str(out))
    assert result.exit_code == 1, result.output
    assert "2024-01-01_v1.pdf: fehlt" in result.output


def test_an_edited_last_version_is_not_sealed_by_the_next_build(tmp_path):
    out = tmp_path / "out"
    archive = Archiv.open(out)
    archive.file("katalog", b"Fassung 1", DAY, {}, None)
    archive.file("katalog", b"Fassung 2", DAY, {}, None)
    target = out / "archiv" / "katalog" / "2024-01-01_v2.docx"
    target.chmod(0o644)
    target.write_bytes(b"Fassung 2, nachtraeglich geaendert")
    log = out / "archiv" / "manifest.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines()
    last = json.loads(lines[-1])
    last["docx_sha256"] = sha256(target.read_bytes())  # the file replaced, its hash made to fit
    log.write_text("\n".join([*lines[:-1], json.dumps(last, ensure_ascii=False)]) + "\n",
                   encoding="utf-8")
    edited = log.read_bytes()

    build = Archiv.open(out)  # what the next build does
    assert build.recover() == []
    with pytest.raises(ArchivFehler, match="der Eintrag zu katalog v2 passt nicht zu seiner "
                                           "Ankündigung"):
        build.require_intact()
    assert log.read_bytes() == edited  # nothing chained after the edited line
    result = run("archiv", "pruefen", "--ausgabe", str(out))
    assert result.exit_code == 1, result.output
    assert "der Eintrag zu katalog v2 passt nicht zu seiner Ankündigung" in result.output


def test_a_neufassung_is_built_before_it_is_submitted(data_copy, tmp_path):
    out = tmp_path / "out"
    args = ["--daten", str(data_copy), "--vorlagen", str(TEMPLATES), "--ausgabe", str(out)]
    assert run("build", "integrationsplan-2020", *args).exit_code == 0
    assert run("einreichen", "integrationsplan-2020", *args).exit_code == 0
    assert run("einreichen", "integrationsplan-2020", "--neufassung", *args).exit_code == 0
    again = run("einreichen", "integrationsplan-2020", *args)
    assert again.exit_code == 1
    assert ("„integrationsplan-2020“: die Neufassung ist noch nicht erzeugt (Version v1 wurde "
            "schon eingereicht); bitte zuerst „ratsdoc build integrationsplan-2020“ ausführen"
            ) in again.output
    entries = [json.loads(line) for line in
               (out / "archiv" / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["version"] for e in entries if e["ereignis"] == "eingereicht"] == [1]

    assert run("build", "integrationsplan-2020", *args).exit_code == 0  # v2, „Neufassung“
    submitted = run("einreichen", "integrationsplan-2020", *args)
    assert submitted.exit_code == 0, submitted.output
    assert "v2" in submitted.output


def test_a_foreign_file_beside_the_log_is_found(tmp_path):
    out = tmp_path / "out"
    Archiv.open(out).file("katalog", b"Fassung 1", DAY, {}, None)
    assert run("archiv", "pruefen", "--ausgabe", str(out)).exit_code == 0
    (out / "archiv" / "2024-01-01_v2.docx").write_bytes(b"fremd")
    result = run("archiv", "pruefen", "--ausgabe", str(out))
    assert result.exit_code == 1, result.output
    assert "2024-01-01_v2.docx: steht in keinem Eintrag des Archivs" in result.output
    with pytest.raises(ArchivFehler, match=r"2024-01-01_v2\.docx: steht in keinem Eintrag"):
        Archiv.open(out).require_intact()


def test_an_empty_placeholder_left_without_hard_links_does_not_block_the_next_pdf(tmp_path):
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    out = tmp_path / "out"
    docx = b"Fassung 1"
    Archiv.open(out).file("katalog", docx, DAY, {}, None)
    killed = textwrap.dedent(f"""
        import datetime, os, signal
        from pathlib import Path
        from pipeline.archive import Archiv
        def no_link(source, target):
            raise OSError(1, "keine harten Links")  # FAT/exFAT
        def die(source, target):
            os.kill(os.getpid(), signal.SIGKILL)  # killed after the name was claimed
        os.link, os.replace = no_link, die
        Archiv.open(Path({str(out)!r})).file("katalog", {docx!r}, datetime.date(2024, 1, 1), {{}},
                                            None, b"%PDF", {docx!r})
    """)
    proc = subprocess.run([sys.executable, "-c", killed], cwd=Path(__file__).parents[1],
                          check=False)
    assert proc.returncode == -9
    placeholder = out / "archiv" / "katalog" / "2024-01-01_v1.pdf"
    assert placeholder.read_bytes() == b""
    archive = Archiv.open(out)
    assert archive.recover() == ["katalog v1: von einem abgebrochenen Build unvollständig, "
                                 "verworfen"]
    archive.require_intact()
    archive.file("katalog", docx, DAY, {}, None, b"%PDF", docx)
    assert Archiv.open(out).latest("katalog").pdf == "katalog/2024-01-01_v1.pdf"
    assert placeholder.read_bytes() == b"%PDF"
    assert run("archiv", "pruefen", "--ausgabe", str(out)).exit_code == 0


def test_an_archived_file_is_never_replaced_even_when_empty(tmp_path):
    out = tmp_path / "out"
    archive = Archiv.open(out)
    archive.file("katalog", b"Fassung 1", DAY, {}, None, snapshot=b"")
    assert (out / "archiv" / "katalog" / "2024-01-01_v1.json").read_bytes() == b""
    with pytest.raises(ArchivFehler, match="existiert schon"):
        archive._place("katalog/2024-01-01_v1.json", b"anders")
