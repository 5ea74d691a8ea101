"""OParl 1.1 export, validated against the specification's JSON schemas."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from .conftest import DATA, TEMPLATES, run

SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "oparl-1.1-schema"


def validate(obj: dict, kind: str) -> None:
    schema_file = SCHEMAS / f"{kind}.json"
    if not schema_file.exists():
        pytest.fail(f"OParl-Schema fehlt: {schema_file}")
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}"
              for e in Draft7Validator(json.loads(schema_file.read_text())).iter_errors(obj)]
    assert errors == [], kind


def export(out: Path, name: str) -> dict:
    result = run("oparl", name, "--daten", str(DATA), "--vorlagen", str(TEMPLATES), "--ausgabe",
                 str(out), "--basis-url", "https://rats.example.org/oparl")
    assert result.exit_code == 0, result.output
    return json.loads((out / "oparl" / f"{name}.json").read_text(encoding="utf-8"))


def check_all(paper: dict) -> None:
    validate(paper, "Paper")
    for consultation in paper["consultation"]:
        validate(consultation, "Consultation")
    for file in [paper["mainFile"], *paper["auxiliaryFile"],
                 *paper.get("ratsdoc:abgeleiteteDateien", [])]:
        validate(file, "File")


def test_oparl_paper_of_the_beschlussvorlage(built):
    paper = export(built, "integrationsplan-2020")
    check_all(paper)
    assert paper["name"] == "Erarbeitung eines Integrationsplans für die Stadt Leinfelden-Echterdingen"
    assert (paper["date"], paper["paperType"]) == ("2020-03-10", "Beschlussvorlage")
    [consultation] = paper["consultation"]
    assert consultation["role"] == "Entscheidung" and consultation["authoritative"] is True
    assert consultation["organization"] == ["https://rats.example.org/oparl/organization/vks"]
    main = paper["mainFile"]
    data = (built / "integrationsplan-2020.docx").read_bytes()
    assert (main["size"], main["sha512Checksum"]) == (len(data), hashlib.sha512(data).hexdigest())
    finance = paper["ratsdoc:finanzielleAuswirkungen"]
    assert finance["finanzmittelNotwendig"] is True
    assert finance["posten"] == [{"produkt": "314007", "sachkonto": "4271000", "hhJahr": 2020,
                                  "bezeichnung": "Integrationsmaßnahmen für Ausländer",
                                  "betrag": "5000"}]


def test_oparl_zwischenbericht_with_anlage_and_status(built):
    paper = export(built, "zwischenbericht-2023")
    check_all(paper)
    assert paper["paperType"] == "Informationsvorlage"
    assert [f["fileName"] for f in paper["auxiliaryFile"]] == ["massnahmenkatalog.docx"]
    assert paper["consultation"][0]["authoritative"] is False
    assert paper["ratsdoc:massnahmenStatus"]["gesamt"]["summe"] == 41


@pytest.mark.libreoffice
def test_oparl_links_docx_and_pdf(tmp_path):
    out = tmp_path / "out"
    assert run("build", "--pdf", "integrationsplan-2020", "--daten", str(DATA), "--vorlagen",
               str(TEMPLATES), "--ausgabe", str(out)).exit_code == 0
    paper = export(out, "integrationsplan-2020")
    check_all(paper)
    [pdf] = paper["ratsdoc:abgeleiteteDateien"]
    assert pdf["mimeType"] == "application/pdf"
    assert pdf["masterFile"] == paper["mainFile"]["id"]
    assert paper["mainFile"]["derivativeFile"] == [pdf["id"]]
    assert pdf["sha512Checksum"] == hashlib.sha512((out / "integrationsplan-2020.pdf")
                                                   .read_bytes()).hexdigest()


def test_oparl_without_a_build_says_what_to_do(tmp_path):
    result = run("oparl", "integrationsplan-2020", "--daten", str(DATA), "--vorlagen",
                 str(TEMPLATES), "--ausgabe", str(tmp_path))
    assert result.exit_code == 1
    assert result.output == (f"Fehler: {tmp_path / 'integrationsplan-2020.docx'} fehlt: bitte "
                             "zuerst „ratsdoc build“ ausführen\n")


PAPERS = sorted(p.stem for p in (DATA / "vorlagen").glob("*.yaml") if not p.stem.startswith("pressetext"))


@pytest.mark.parametrize("name", PAPERS)
def test_every_shipped_paper_exports_valid_oparl(built, name):
    paper = export(built, name)
    check_all(paper)
    data = (built / f"{name}.docx").read_bytes()
    assert paper["mainFile"]["sha512Checksum"] == hashlib.sha512(data).hexdigest()


def test_oparl_county_papers(built):
    sitzungsvorlage = export(built, "sitzungsvorlage-51-2016")
    assert (sitzungsvorlage["reference"], sitzungsvorlage["paperType"], sitzungsvorlage["date"]) == (
        "51/2016", "Sitzungsvorlage", "2016-05-20")
    [soa] = sitzungsvorlage["consultation"]
    assert soa["organization"] == ["https://rats.example.org/oparl/organization/soa"]
    assert soa["ratsdoc:sitzungsdatum"] == "2016-06-09"
    anlage = export(built, "empfehlungen-234-2014")
    assert (anlage["reference"], anlage["paperType"]) == ("Anlage 2 zu KT-Drucks. Nr. 234/2014", "Anlage")
    assert anlage["consultation"] == [] and "date" not in anlage


def test_oparl_refuses_a_press_text(built):
    result = run("oparl", "pressetext-integrationsplan", "--daten", str(DATA), "--vorlagen",
                 str(TEMPLATES), "--ausgabe", str(built))
    assert result.exit_code == 1
    assert result.output == ("Fehler: „pressetext-integrationsplan“ (Pressetext) ist keine "
                             "Drucksache; OParl beschreibt nur Drucksachen (Paper): "
                             "Beschlussvorlage, Empfehlungen (Anlage), Sitzungsvorlage, "
                             "Zwischenbericht\n")
    assert not (built / "oparl" / "pressetext-integrationsplan.json").exists()
