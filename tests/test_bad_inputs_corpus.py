"""The corpus in tests/bad_inputs/: broken variants of the shipped data, each with its messages.

A case names a data file and the text replacements that break it, and lists the exact lines the
CLI must print after its header line. In those lines, {datei} is the case's file, {datei:NAME}
another data file, {zeile:TEXT} the line where TEXT first stands in the case's file after the
change ({zeile#2:TEXT} the second time, {zeile:NAME|TEXT} in another file).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from .test_bad_input import build_fails

CORPUS = sorted((Path(__file__).parent / "bad_inputs").glob("*.yaml"))
_PLACEHOLDER = re.compile(r"\{(datei|zeile)(?:#(\d+))?(?::([^{}]*))?\}")


def apply_case(case: dict, data: Path) -> None:
    for change in case["aendern"]:
        path = data / change.get("datei", case["datei"])
        text = path.read_text(encoding="utf-8")
        if change["ersetze"] == "__ALLES__":
            text = change["durch"]
        else:
            assert change["ersetze"] in text, f"{change['ersetze']!r} steht nicht in {path.name}"
            text = text.replace(change["ersetze"], change["durch"], 1)
        path.write_text(text, encoding="utf-8")


def expand(line: str, case: dict, data: Path) -> str:
    def substitute(match: re.Match) -> str:
        kind, occurrence, argument = match.group(1), int(match.group(2) or 1), match.group(3)
        if kind == "datei":
            return str(data / (argument or case["datei"]))
        filename, _, needle = argument.rpartition("|")
        lines = (data / (filename or case["datei"])).read_text(encoding="utf-8").splitlines()
        hits = [number for number, text in enumerate(lines, 1) if needle in text]
        return str(hits[occurrence - 1])

    return _PLACEHOLDER.sub(substitute, line)


def test_corpus_has_at_least_25_cases():
    assert len(CORPUS) >= 25


@pytest.mark.parametrize("case_file", CORPUS, ids=[p.stem for p in CORPUS])
def test_bad_input(case_file, data_copy, tmp_path):
    case = yaml.safe_load(case_file.read_text(encoding="utf-8"))
    apply_case(case, data_copy)
    expected = [expand(line, case, data_copy) for line in case["erwartet"]]
    lines = build_fails(data_copy, tmp_path)
    count = len(expected)
    assert lines[0] == ("Fehler: 1 Problem in den Daten:" if count == 1
                        else f"Fehler: {count} Probleme in den Daten:")
    assert lines[1:] == expected
