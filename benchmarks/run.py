"""ratsdoc benchmarks, side by side with what a user would otherwise do.

    python benchmarks/run.py            # the full table (a few minutes)
    python benchmarks/run.py --klein    # the smoke run CI does (smallest sizes)

Every comparison runs in the same session, interleaved, each measurement in a fresh child process
(so peak memory is that of the case alone); the table shows medians and ratios.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEMPLATES = ROOT / "templates" / "docx"
DATA = ROOT / "data"


# --- data sets ---------------------------------------------------------------------------------


def catalogue_folder(measures: int, target: Path) -> Path:
    """A data folder whose catalogue has `measures` measures cycled from the real 41."""
    import yaml

    target.mkdir(parents=True, exist_ok=True)
    katalog = yaml.safe_load((DATA / "massnahmenkatalog.yaml").read_text(encoding="utf-8"))
    real = [m for hf in katalog["handlungsfelder"] for z in hf["ziele"] for m in z["massnahmen"]]
    fields, per_goal = katalog["handlungsfelder"], 4
    number = 0
    goals = -(-measures // per_goal // len(fields))
    for hf in fields:
        hf["ziele"] = []
        for g in range(goals):
            goal = {"ziel": f"Ziel {g + 1}: {hf['name']}", "massnahmen": []}
            while len(goal["massnahmen"]) < per_goal and number < measures:
                number += 1
                goal["massnahmen"].append({**real[(number - 1) % len(real)], "nr": number})
            if goal["massnahmen"]:
                hf["ziele"].append(goal)
    katalog["handlungsfelder"] = [hf for hf in fields if hf["ziele"]]
    (target / "massnahmenkatalog.yaml").write_text(
        yaml.safe_dump(katalog, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def papers_folder(count: int, target: Path) -> Path:
    """The shipped data with `count` variants of the shipped Beschlussvorlage."""
    shutil.copytree(DATA, target)
    original = (DATA / "vorlagen" / "integrationsplan-2020.yaml").read_text(encoding="utf-8")
    for i in range(1, count):
        text = original.replace("betreff: Erarbeitung eines Integrationsplans",
                                f"betreff: Variante {i} – Erarbeitung eines Integrationsplans", 1)
        (target / "vorlagen" / f"variante-{i:03d}.yaml").write_text(text, encoding="utf-8")
    return target


def baseline_template(target: Path) -> Path:
    """The plain docxtpl template a developer would write: one table, one row loop."""
    from docx import Document

    doc = Document()
    doc.add_heading("{{ titel }}", level=1)
    table = doc.add_table(rows=3, cols=4)
    for cell, text in zip(table.rows[0].cells, ["Nr.", "Maßnahme", "Akteure", "Status"],
                          strict=True):
        cell.text = text
    table.rows[1].cells[0].text = "{%tr for m in massnahmen %}"
    for cell, text in zip(table.rows[2].cells, ["{{ m.nr }}", "{{ m.text }}", "{{ m.akteure }}",
                                                "{{ m.status }}"], strict=True):
        cell.text = text
    row = table.add_row()
    row.cells[0].text = "{%tr endfor %}"
    doc.save(target)
    return target


def catalogue_rows(folder: Path, target: Path) -> Path:
    """The measures of a catalogue as the JSON the JSON-based peers render (written beforehand)."""
    import yaml

    katalog = yaml.load((folder / "massnahmenkatalog.yaml").read_text(encoding="utf-8"),
                        Loader=yaml.CSafeLoader)
    rows = [{k: str(m[k]) for k in ("nr", "text", "akteure", "status")}
            for hf in katalog["handlungsfelder"] for z in hf["ziele"] for m in z["massnahmen"]]
    target.write_text(json.dumps({"titel": katalog["titel"], "massnahmen": rows},
                                 ensure_ascii=False), encoding="utf-8")
    return target


def docxtemplater_template(target: Path) -> Path:
    """The same plain table for docxtemplater: the row between {#massnahmen} and {/massnahmen}."""
    from docx import Document

    doc = Document()
    doc.add_heading("{titel}", level=1)
    table = doc.add_table(rows=2, cols=4)
    for row, texts in zip(table.rows, (["Nr.", "Maßnahme", "Akteure", "Status"],
                                       ["{#massnahmen}{nr}", "{text}", "{akteure}",
                                        "{status}{/massnahmen}"]), strict=True):
        for cell, text in zip(row.cells, texts, strict=True):
            cell.text = text
    doc.save(target)
    return target


PEER = ROOT / "benchmarks" / ".peer"  # git-ignored: docxtemplater and pizzip from npm
PEER_SCRIPT = """\
const fs = require("fs");
const PizZip = require("pizzip");
const Docxtemplater = require("docxtemplater");
const [template, data, out] = process.argv.slice(2);
const doc = new Docxtemplater(new PizZip(fs.readFileSync(template, "binary")),
                              {paragraphLoop: true, linebreaks: true});
doc.render(JSON.parse(fs.readFileSync(data, "utf8")));
fs.writeFileSync(out, doc.getZip().generate({type: "nodebuffer", compression: "DEFLATE"}));
"""


def docxtemplater_peer() -> tuple[Path | None, str]:
    """The Node script rendering with docxtemplater, installed on first use; or (None, why)."""
    if not (shutil.which("node") and shutil.which("npm")):
        return None, "node or npm missing"
    if not (PEER / "node_modules" / "docxtemplater").is_dir():
        PEER.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(["npm", "install", "--prefix", str(PEER), "--no-audit", "--no-fund",
                            "--no-save", "docxtemplater", "pizzip"],
                           capture_output=True, check=True, timeout=600)
        except (OSError, subprocess.SubprocessError) as exc:
            return None, f"npm install failed ({type(exc).__name__})"
    script = PEER / "render.js"
    script.write_text(PEER_SCRIPT, encoding="utf-8")
    return script, ""


# --- the measured cases (each runs in a child process) -----------------------------------------


def case_ratsdoc_catalogue(folder: Path) -> None:
    from pipeline.kinds import build_context, dokumentinfo
    from pipeline.render import render_docx
    from pipeline.validate import load_and_validate

    daten = load_and_validate(folder, TEMPLATES)
    render_docx(TEMPLATES / daten.katalog.stil / "massnahmenkatalog.docx",
                build_context("massnahmenkatalog", daten), dokumentinfo("massnahmenkatalog", daten))


def case_baseline_catalogue(folder: Path, template: Path) -> None:
    import yaml
    from docxtpl import DocxTemplate

    with open(folder / "massnahmenkatalog.yaml", encoding="utf-8") as handle:
        katalog = yaml.load(handle, Loader=yaml.CSafeLoader)
    rows = [m for hf in katalog["handlungsfelder"] for z in hf["ziele"] for m in z["massnahmen"]]
    tpl = DocxTemplate(template)
    tpl.render({"titel": katalog["titel"], "massnahmen": rows}, autoescape=True)
    tpl.save(io.BytesIO())


def case_json_catalogue(rows: Path, template: Path, out: Path) -> None:
    """The plain docxtpl table from the JSON rows."""
    from docxtpl import DocxTemplate

    with open(rows, encoding="utf-8") as handle:
        data = json.load(handle)
    tpl = DocxTemplate(template)
    tpl.render(data, autoescape=True)
    tpl.save(out)


def case_floor_catalogue(docx: Path) -> float:
    """Serialise document.xml and zip the package; returns the seconds of that part alone."""
    from lxml import etree

    with zipfile.ZipFile(docx) as z:
        entries = {name: z.read(name) for name in z.namelist()}
    tree = etree.fromstring(entries["word/document.xml"], etree.XMLParser(huge_tree=True))
    start = time.perf_counter()
    entries["word/document.xml"] = etree.tostring(tree, xml_declaration=True, encoding="UTF-8",
                                                  standalone=True)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return time.perf_counter() - start


def case_ratsdoc_papers(folder: Path, out: Path) -> None:
    from pipeline.build import build

    build(folder, out, TEMPLATES)


def case_baseline_papers(folder: Path) -> None:
    """100 plain docxtpl renders of the Beschlussvorlage template in one process."""
    import yaml
    from docxtpl import DocxTemplate

    for path in sorted((folder / "vorlagen").glob("*.yaml")):
        with open(path, encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=yaml.CSafeLoader)
        if data.get("art") != "beschlussvorlage":
            continue
        tpl = DocxTemplate(TEMPLATES / data["stil"] / "beschlussvorlage.docx")
        context = _plain_beschlussvorlage_context(data)
        tpl.render(context, autoescape=True)
        tpl.save(io.BytesIO())


def _plain_beschlussvorlage_context(data: dict) -> dict:
    """What a developer's own script would hand the template, without validation."""
    blocks = [{"absatz": b, "liste": [], "strich": False} if isinstance(b, str)
              else {"absatz": None, "liste": b["liste"], "strich": b.get("zeichen") == "strich"}
              for b in data["sachverhalt"]]
    box = {"ja": "☒", "nein": "☐"}
    return {
        "koerperschaft": {"name": "Stadt Leinfelden-Echterdingen", "amt": "", "dienststelle": ""},
        "drucksache": "", "betreff": data["betreff"],
        "beratungsfolge": [{"gremium": b["gremium"], "datum": str(b["sitzungsdatum"]),
                            "oeffentlichkeit": b["oeffentlichkeit"],
                            "beschlussart": b["beschlussart"]} for b in data["beratungsfolge"]],
        "beschlussvorschlag": [data["beschlussvorschlag"]], "sachverhalt": blocks,
        "zeitplan": None, "budget": [], "schluss": [], "unterzeichner": data["unterzeichner"],
        "anlagen": ["Keine"],
        "fa": {"finanzmittel": box, "posten": [], "ausserplanmaessig": box, "deckung": [],
               "folgekosten_noetig": box, "folgekosten": [], "erloese_noetig": box, "erloese": [],
               "erlaeuterung": [], "sonstige_anmerkungen": []},
    }


def case_ratsdoc_pdf(folder: Path, count: int) -> None:
    from pipeline.build import render_all
    from pipeline.pdf import convert_to_pdfa
    from pipeline.validate import load_and_validate

    daten = load_and_validate(folder, TEMPLATES)
    names = sorted(n for n, d in daten.dokumente.items() if d.art == "beschlussvorlage")[:count]
    rendered = render_all(daten, TEMPLATES, names)
    convert_to_pdfa(rendered, {})


def case_separate_pdf(folder: Path, count: int) -> None:
    """What a user does by hand: one soffice call per document."""
    from pipeline.build import render_all
    from pipeline.validate import load_and_validate

    daten = load_and_validate(folder, TEMPLATES)
    names = sorted(n for n, d in daten.dokumente.items() if d.art == "beschlussvorlage")[:count]
    rendered = render_all(daten, TEMPLATES, names)
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in rendered.items():
            source = Path(tmp) / f"{name}.docx"
            source.write_bytes(data)
            subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", tmp,
                            str(source)], capture_output=True, check=True, timeout=300)


CASES = {
    "ratsdoc_catalogue": lambda a: case_ratsdoc_catalogue(Path(a[0])),
    "baseline_catalogue": lambda a: case_baseline_catalogue(Path(a[0]), Path(a[1])),
    "floor_catalogue": lambda a: case_floor_catalogue(Path(a[0])),
    "json_catalogue": lambda a: case_json_catalogue(Path(a[0]), Path(a[1]), Path(a[2])),
    "ratsdoc_papers": lambda a: case_ratsdoc_papers(Path(a[0]), Path(a[1])),
    "baseline_papers": lambda a: case_baseline_papers(Path(a[0])),
    "ratsdoc_pdf": lambda a: case_ratsdoc_pdf(Path(a[0]), int(a[1])),
    "separate_pdf": lambda a: case_separate_pdf(Path(a[0]), int(a[1])),
}


def child(case: str, args: list[str]) -> None:
    start = time.perf_counter()
    inner = CASES[case](args)
    seconds = inner if isinstance(inner, float) else time.perf_counter() - start
    peak = _peak_mb()
    print(json.dumps({"s": seconds, "mb": peak}))


def _peak_mb() -> float:
    # ru_maxrss survives exec from the forking parent; VmHWM belongs to this process image alone.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(case: str, *args: object) -> dict:
    result = subprocess.run([sys.executable, __file__, "--kind", case, *map(str, args)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def process_seconds(*command: str, cache: Path | None = None) -> float:
    """Wall time of one process; `cache` is its RATSDOC_CACHE (the template analysis cache)."""
    env = None if cache is None else {**os.environ, "RATSDOC_CACHE": str(cache)}
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, env=env)
    return time.perf_counter() - start


# --- the report --------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def fmt(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds < 10 else f"{seconds:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--klein", action="store_true", help="smoke run at the smallest sizes")
    parser.add_argument("--kind", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.kind:
        child(args.kind, rest)
        return

    sizes = [41] if args.klein else [41, 1000, 10000]
    papers, pdf_docs = (5, 3) if args.klein else (100, 20)
    reps = 1 if args.klein else 5
    lines = [f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}, {platform.system()} {platform.release()}",
             f"Repetitions: {reps} (median); each measurement in a fresh process", ""]

    with tempfile.TemporaryDirectory(prefix="ratsdoc-bench-") as tmp:
        tmp = Path(tmp)
        template = baseline_template(tmp / "baseline.docx")

        lines += catalogue_section(tmp, template, sizes, reps)
        lines += ["", f"2. Many papers ({papers} Beschlussvorlagen + catalogue + Zwischenbericht)", "",
                  "| case | time |", "|---|---:|"]
        folder = papers_folder(papers, tmp / "papers")
        out = tmp / "papers-out"
        first, baseline, noop = [], [], []
        for i in range(reps):
            shutil.rmtree(out, ignore_errors=True)
            first.append(measure("ratsdoc_papers", folder, out)["s"])
            noop.append(measure("ratsdoc_papers", folder, out)["s"])
            baseline.append(measure("baseline_papers", folder)["s"])
            del i
        lines += [f"| ratsdoc build, fresh output (validated, archived) | {fmt(median(first))} |",
                  f"| {papers} plain docxtpl renders in one process | {fmt(median(baseline))} |",
                  f"| ratsdoc/baseline | {median(first) / median(baseline):.2f} |",
                  f"| ratsdoc no-op rebuild (nothing changed, nothing rewritten) | "
                  f"{fmt(median(noop))} |"]

        if shutil.which("soffice"):
            lines += ["", f"3. PDF ({pdf_docs} documents)", "", "| case | time |", "|---|---:|"]
            batch, separate = [], []
            for _ in range(max(1, reps // 2)):
                batch.append(measure("ratsdoc_pdf", folder, pdf_docs)["s"])
                separate.append(measure("separate_pdf", folder, pdf_docs)["s"])
            lines += [f"| ratsdoc: one LibreOffice run (PDF/A, checked) | {fmt(median(batch))} |",
                      f"| {pdf_docs} separate `soffice --convert-to pdf` calls | "
                      f"{fmt(median(separate))} |",
                      f"| speed-up | {median(separate) / median(batch):.1f}× |"]

        lines += ["", "4. Cold start (whole process)", "", "| command | time |", "|---|---:|"]
        ratsdoc = [sys.executable, "-m", "pipeline"]
        helps = [process_seconds(*ratsdoc, "--help") for _ in range(max(3, reps))]
        checks = [process_seconds(*ratsdoc, "check", "--daten", str(DATA), "--vorlagen",
                                  str(TEMPLATES)) for _ in range(max(3, reps))]
        lines += [f"| `ratsdoc --help` | {fmt(median(helps))} |",
                  f"| `ratsdoc check` (shipped data) | {fmt(median(checks))} |"]
        lines += clerk_speed(tmp, reps, 200 if args.klein else 10_000)
    if not args.klein:  # CI runs the tests and the web page's own checks anyway
        lines += test_suite_and_web()
    print("\n".join(lines))


def test_suite_and_web() -> list[str]:
    """Issue 16: the default `pytest` run (two workers, slow tests left out) and the web page."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    summary = (result.stdout.strip().splitlines() or ["(keine Ausgabe)"])[-1].strip("= ")
    lines = ["", "7. The test suite", "", "| case | time | goal |", "|---|---:|---:|",
             f"| default `python -m pytest` ({summary}) | {fmt(seconds)} | ≤ 120 s |"]
    web = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "web.py")], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    table = [line for line in web.stdout.splitlines() if line.startswith("|")]
    return [*lines, "", "8. The web page (`benchmarks/web.py`, median of 15)", "", *table]


def catalogue_section(tmp: Path, template: Path, sizes: list[int], reps: int) -> list[str]:
    """Issue 16: the catalogue, each case a whole fresh process, interleaved, side by side."""
    peer, why = docxtemplater_peer()
    peer_template = docxtemplater_template(tmp / "docxtemplater.docx")
    ratsdoc = [sys.executable, "-m", "pipeline", "build", "massnahmenkatalog"]
    me = [sys.executable, __file__, "--kind"]
    lines = ["1. Catalogue (YAML or JSON file → .docx), each case a whole fresh process", "",
             "| measures | ratsdoc build, cold | baseline: pyyaml C + plain docxtpl | "
             "docxtemplater (Node, JSON) | docxtpl from JSON | ratsdoc / baseline | "
             "ratsdoc / docxtemplater | render only, in process | floor (serialise + zip) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for size in sizes:
        folder = catalogue_folder(size, tmp / f"kat{size}")
        rows = catalogue_rows(folder, tmp / f"kat{size}.json")
        produced = tmp / f"kat{size}.docx"
        _write_catalogue(folder, produced)
        runs: dict[str, list[float]] = {"r": [], "b": [], "n": [], "j": [], "i": [], "f": []}
        for i in range(reps if size < 10000 else max(3, reps - 2)):
            out = tmp / f"kat{size}-out-{i}"  # cold: a fresh output folder, archive included
            runs["r"].append(process_seconds(*ratsdoc, "--daten", str(folder), "--vorlagen",
                                             str(TEMPLATES), "--ausgabe", str(out)))
            runs["b"].append(process_seconds(*me, "baseline_catalogue", str(folder),
                                             str(template)))
            if peer is not None:
                runs["n"].append(process_seconds("node", str(peer), str(peer_template),
                                                 str(rows), str(tmp / "peer-out.docx")))
            runs["j"].append(process_seconds(*me, "json_catalogue", str(rows), str(template),
                                             str(tmp / "json-out.docx")))
            runs["i"].append(measure("ratsdoc_catalogue", folder)["s"])
            runs["f"].append(measure("floor_catalogue", produced)["s"])
            shutil.rmtree(out, ignore_errors=True)
        r, b, j, i_, f = (median(runs[k]) for k in "rbjif")
        n = median(runs["n"]) if runs["n"] else None
        lines.append(f"| {size:,} | {fmt(r)} | {fmt(b)} | {fmt(n) if n else '–'} | {fmt(j)} | "
                     f"{r / b:.2f} | {f'{r / n:.2f}' if n else '–'} | {fmt(i_)} | {fmt(f)} |")
    lines += ["", "Goals at 10,000: ratsdoc / docxtemplater ≤ 1.0, ratsdoc / baseline ≤ 0.5. "
              "ratsdoc: `python -m pipeline build massnahmenkatalog` into an empty output folder "
              "(validated, rendered, written, archived with its data snapshot); the others render "
              "a plain four-column table."]
    if peer is None:
        lines.append(f"docxtemplater skipped: {why}.")
    return lines


def clerk_speed(tmp: Path, reps: int, versions: int) -> list[str]:
    """Issue 16: cold start ratios against a process that only imports docxtpl, and the
    archive at scale (filled through the archive's own code)."""
    ratsdoc = [sys.executable, "-m", "pipeline"]
    # Bytecode for ratsdoc's own modules, as `pip install .` or a first run would leave it (an
    # editable install under PYTHONDONTWRITEBYTECODE=1, as on the CI machines, has none; the
    # libraries compared against always have theirs).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "pipeline")], check=True)
    data = tmp / "clerk-data"
    shutil.copytree(DATA, data, dirs_exist_ok=True)
    folders = ["--daten", str(data), "--vorlagen", str(TEMPLATES)]
    runs: dict[str, list[float]] = {k: [] for k in ("import", "check", "check_changed", "cold",
                                                     "rebuild", "check_first", "cold_first")}
    cache = tmp / "clerk-cache"  # the template analysis cache, as after a clerk's first run
    process_seconds(*ratsdoc, "check", *folders, cache=cache)
    for i in range(max(3, reps)):
        out, first_out = tmp / f"clerk-out-{i}", tmp / f"clerk-first-out-{i}"
        runs["import"].append(process_seconds(sys.executable, "-c", "import docxtpl"))
        runs["check"].append(process_seconds(*ratsdoc, "check", *folders, "--ausgabe", str(out),
                                             cache=cache))
        runs["cold"].append(process_seconds(*ratsdoc, "build", *folders, "--ausgabe", str(out),
                                            cache=cache))
        runs["check_first"].append(process_seconds(*ratsdoc, "check", *folders, "--ausgabe",
                                                   str(first_out), cache=tmp / f"leer-{i}-a"))
        runs["cold_first"].append(process_seconds(*ratsdoc, "build", *folders, "--ausgabe",
                                                  str(first_out), cache=tmp / f"leer-{i}-b"))
        subprocess.run([*ratsdoc, "status", "5", f"Wird fortgesetzt ({i})", "--datum",
                        "15.01.2024", "--daten", str(data)], capture_output=True, check=True)
        runs["check_changed"].append(process_seconds(*ratsdoc, "check", *folders, "--ausgabe",
                                                     str(out), cache=cache))
        runs["rebuild"].append(process_seconds(*ratsdoc, "build", *folders, "--ausgabe", str(out),
                                               cache=cache))
    base = median(runs["import"])
    lines = ["", "5. Where clerks feel it (ratios to a process that only imports docxtpl)", "",
             "| case | time | ratio | goal |", "|---|---:|---:|---:|",
             f"| `python -c 'import docxtpl'` | {fmt(base)} | 1.0 | |"]
    for key, label, goal in (
            ("cold", "cold `ratsdoc build`, empty output", "≤ 4"),
            ("check", "`ratsdoc check`, nothing changed since the last check", "≤ 3"),
            ("check_changed", "`ratsdoc check` after one status change", "≤ 3"),
            ("rebuild", "rebuild after one status change", "≤ 3"),
            ("cold_first", "cold build, empty output and empty template cache", ""),
            ("check_first", "`ratsdoc check`, empty template cache", "")):
        value = median(runs[key])
        lines.append(f"| {label} | {fmt(value)} | {value / base:.1f} | {goal} |")

    # The archive at scale: one folder with `versions` archived versions of the catalogue.
    big, empty = tmp / "clerk-big", tmp / "clerk-empty"
    fill_archive(big, versions)
    filing = {"big": [], "empty": []}
    for i in range(max(3, reps)):
        subprocess.run([*ratsdoc, "status", "6", f"Wird neu geprüft ({i})", "--datum",
                        "16.01.2024", "--daten", str(data)], capture_output=True, check=True)
        for name, out in (("big", big), ("empty", empty)):
            filing[name].append(process_seconds(*ratsdoc, "build", "massnahmenkatalog", *folders,
                                                "--ausgabe", str(out)))
    files = sorted(str(f) for f in (big / "archiv").glob("*/*"))
    pruefen = [process_seconds(*ratsdoc, "archiv", "pruefen", "--ausgabe", str(big))
               for _ in range(max(3, reps))]
    sums = [process_seconds("sha256sum", *files) for _ in range(max(3, reps))]
    b, e, pr, su = (median(filing["big"]), median(filing["empty"]), median(pruefen), median(sums))
    lines += ["", f"6. The archive at scale ({versions:,} archived versions, {len(files):,} files)",
              "", "| case | time | ratio | goal |", "|---|---:|---:|---:|",
              f"| build filing one new version, empty archive | {fmt(e)} | 1.0 | |",
              f"| the same build, archive with {versions:,} versions | {fmt(b)} | {b / e:.2f} | "
              "≤ 1.5 |",
              f"| `sha256sum` over the archived files | {fmt(su)} | 1.0 | |",
              f"| `ratsdoc archiv pruefen` | {fmt(pr)} | {pr / su:.2f} | ≤ 1.5 |"]
    return lines


def fill_archive(ausgabe: Path, versions: int) -> None:
    """File generated versions of the catalogue through the archive's own code."""
    import datetime as dt

    from pipeline.archive import Archiv

    archiv = Archiv.open(ausgabe)
    day = dt.date(2020, 1, 1)
    for i in range(versions):
        archiv.file("massnahmenkatalog", f"Fassung {i}".encode(), day + dt.timedelta(days=i // 30),
                    {}, None, snapshot=f'{{"fassung": {i}}}'.encode())


def _write_catalogue(folder: Path, target: Path) -> None:
    from pipeline.kinds import build_context, dokumentinfo
    from pipeline.render import render_docx
    from pipeline.validate import load_and_validate

    daten = load_and_validate(folder, TEMPLATES)
    target.write_bytes(render_docx(TEMPLATES / daten.katalog.stil / "massnahmenkatalog.docx",
                                   build_context("massnahmenkatalog", daten),
                                   dokumentinfo("massnahmenkatalog", daten)))


if __name__ == "__main__":
    main()
