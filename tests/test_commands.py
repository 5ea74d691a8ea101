"""Every command that takes a document name, with every shipped document: an answer, never a traceback."""

from __future__ import annotations

import pytest

from .conftest import DATA, TEMPLATES, run

DOCUMENTS = ["massnahmenkatalog", *sorted(p.stem for p in (DATA / "vorlagen").glob("*.yaml"))]
COMMANDS = [("build", "{doc}"), ("oparl", "{doc}"), ("archiv", "liste", "{doc}"),
            ("archiv", "vergleich", "{doc}", "v1", "v1"), ("verlauf", "3")]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_no_command_ends_in_a_traceback(tmp_path, document):
    out = tmp_path / "output"
    for command in COMMANDS:
        args = [part.format(doc=document) for part in command]
        folders = {"verlauf": ["--daten", str(DATA)], "archiv": ["--ausgabe", str(out)]}.get(
            args[0], ["--daten", str(DATA), "--vorlagen", str(TEMPLATES), "--ausgabe", str(out)])
        result = run(*args, *folders)
        assert result.exit_code in (0, 1), (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            args, repr(result.exception))
        assert "Traceback" not in result.output
        if result.exit_code == 1:
            assert result.output.startswith("Fehler: "), (args, result.output)
