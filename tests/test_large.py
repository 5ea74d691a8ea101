"""Large input: a 1 MB measure text and a catalogue of 5,000 measures, in bounded memory."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from docx import Document

from .conftest import TEMPLATES, W
from .test_bad_input import build_fails

MEMORY_LIMIT_MB = 1024


def big_catalogue(data: Path, measures: int, per_goal: int = 5) -> None:
    """Replace the shipped catalogue by one with many measures, cycling the real texts."""
    katalog = yaml.safe_load((data / "massnahmenkatalog.yaml").read_text(encoding="utf-8"))
    real = [m for hf in katalog["handlungsfelder"] for z in hf["ziele"] for m in z["massnahmen"]]
    fields = katalog["handlungsfelder"]
    goals_per_field = -(-measures // per_goal // len(fields))
    number = 0
    for hf in fields:
        hf["ziele"] = []
        for g in range(goals_per_field):
            goal = {"ziel": f"Ziel {g + 1} im Handlungsfeld {hf['name']}", "massnahmen": []}
            while len(goal["massnahmen"]) < per_goal and number < measures:
                template = real[number % len(real)]
                number += 1
                goal["massnahmen"].append({**template, "nr": number})
            if goal["massnahmen"]:
                hf["ziele"].append(goal)
    katalog["handlungsfelder"] = [hf for hf in fields if hf["ziele"]]
    (data / "massnahmenkatalog.yaml").write_text(yaml.safe_dump(katalog, allow_unicode=True),
                                                 encoding="utf-8")


def test_one_megabyte_measure_text_fails_cleanly(data_copy, tmp_path):
    path = data_copy / "massnahmenkatalog.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("text: Ausbau von Förderinstrumenten",
                                 "text: " + "Förderung " * 100_000 + "Ausbau", 1), encoding="utf-8")
    katalog = yaml.safe_load(path.read_text(encoding="utf-8"))
    length = len(katalog["handlungsfelder"][0]["ziele"][0]["massnahmen"][0]["text"])
    assert length > 1_000_000
    lines = build_fails(data_copy, tmp_path)
    assert lines[1].endswith(f"handlungsfelder[0].ziele[0].massnahmen[0].text: ist "
                             f"{length:,} Zeichen lang; erlaubt sind höchstens 100.000"
                             .replace(",", "."))


@pytest.mark.slow
def test_catalogue_of_5000_measures_builds_in_bounded_memory(data_copy, tmp_path):
    big_catalogue(data_copy, 5000)
    out = tmp_path / "out"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "build", "massnahmenkatalog", "--daten", str(data_copy),
         "--vorlagen", str(TEMPLATES), "--ausgabe", str(out)],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert before / 1024 < MEMORY_LIMIT_MB
    assert peak_mb < MEMORY_LIMIT_MB, f"Spitzenspeicher {peak_mb:.0f} MB"
    doc = Document(str(out / "massnahmenkatalog.docx"))
    numbers = [tr.findall(f"{W}tc")[1] for tbl in doc.element.body.iter(f"{W}tbl")
               for tr in tbl.findall(f"{W}tr")[1:] if len(tr.findall(f"{W}tc")) == 5]
    texts = ["".join(t.text or "" for t in tc.iter(f"{W}t")) for tc in numbers]
    assert texts == [str(n) for n in range(1, 5001)]
