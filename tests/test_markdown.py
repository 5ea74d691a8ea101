"""Formatted text (the Markdown subset): built with the CLI from data, reopened, checked in the XML."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from docx import Document

from pipeline.markup import formatiert, zeilen

from .conftest import STIL, TEMPLATES, W, _paragraph_text, run, soffice_convert
from .ooxml import validation_errors

VORLAGE = "vorlagen/integrationsplan-2020.yaml"

SACHVERHALT = """Ein Absatz mit **fett** und *kursiv*; Bürger*innen bleiben Bürger*innen.

### Zwischenüberschrift

1. erstens
2. zweitens
3. drittens

| Jahr | Betrag |
|------|-------:|
| 2020 | 5.000 |
| 2021 | 6.000 |

Eine zweite Liste:

1. eins
2. zwei

- Punkt **a**
- Punkt b

# kein Titel, [ein Link](https://example.org), <b>HTML</b>, `Code` und _unterstrichen_"""


def edit_yaml(path: Path, **changes) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def build(data: Path, tmp_path: Path, *names: str, templates: Path = TEMPLATES) -> Path:
    out = tmp_path / "output"
    result = run("build", *names, "--daten", str(data), "--vorlagen", str(templates),
                 "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    return out


def style_ids(doc) -> dict[str, str]:
    """Style name → styleId of a document."""
    return {s.name: s.style_id for s in doc.styles}


def body_elements(doc, start: str, end: str) -> list:
    """The body's paragraphs and tables between two paragraphs (by their text)."""
    children = list(doc.element.body)
    texts = [_paragraph_text(c) if c.tag == f"{W}p" else None for c in children]
    first, last = texts.index(start), texts.index(end)
    return children[first + 1:last]


def style_of(p) -> str | None:
    style = p.find(f"{W}pPr/{W}pStyle")
    return style.get(f"{W}val") if style is not None else None


def built_with_sachverhalt(data: Path, tmp_path: Path, text: str) -> Path:
    """The shipped Beschlussvorlage with `text` as its first Sachverhalt paragraph, built."""
    path = data / VORLAGE
    shipped = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit_yaml(path, sachverhalt=[text, *shipped["sachverhalt"]])
    return build(data, tmp_path, "integrationsplan-2020") / "integrationsplan-2020.docx"


@pytest.fixture
def paper(data_copy, tmp_path) -> Path:
    """The shipped Beschlussvorlage with the formatted Sachverhalt, built."""
    return built_with_sachverhalt(data_copy, tmp_path, SACHVERHALT)


def test_sachverhalt_in_markdown_becomes_word_formatting(paper):
    doc = Document(str(paper))
    ids = style_ids(doc)
    part = body_elements(doc, "Sachverhalt:", "Leinfelden-Echterdingen ist eine internationale "
                         "Stadt. Und das nicht nur, weil auf unserer Gemarkung der Flughafen "
                         "liegt, sondern, weil gleichzeitig mit der Überschreitung der 40.000 "
                         "Einwohnermarke im Jahr 2017, auch die Marke von 7.000 Einwohnern, die "
                         "einen ausländischen Pass besitzen erfolgte. Mehr als 120 verschiedene "
                         "Nationalitäten leben in unserer Stadt. Das sind 17,5 % unserer "
                         "Bevölkerung. Hinzu kommen viele Bürgerinnen und Bürgern mit "
                         "Migrationsbiographie. Dazu zählen Menschen, die eingebürgert sind und "
                         "einen deutschen Pass haben. Oder Menschen die hier geboren, aber deren "
                         "Eltern einst zugewandert sind, sowie Spätaussiedler ebenfalls mit "
                         "deutschem Pass, die nach Leinfelden-Echterdingen gekommen sind. "
                         "Insgesamt also gut ein Drittel der Bürgerschaft aus unserer Stadt haben "
                         "internationale Wurzeln. Sie alle machen unsere Stadtgesellschaft "
                         "vielfältig und lebendig. Insofern verstehen wir Zuwanderung als "
                         "Bereicherung und Chance für unsere Stadt.")
    texts = [_paragraph_text(e) if e.tag == f"{W}p" else "<Tabelle>" for e in part]
    assert texts == [
        "Ein Absatz mit fett und kursiv; Bürger*innen bleiben Bürger*innen.",
        "Zwischenüberschrift", "erstens", "zweitens", "drittens", "<Tabelle>",
        "Eine zweite Liste:", "eins", "zwei", "Punkt a", "Punkt b",
        "# kein Titel, [ein Link](https://example.org), <b>HTML</b>, `Code` und _unterstrichen_",
    ]
    # **fett** is a bold run, *kursiv* an italic one; the gender star is text
    runs = {"".join(t.text for t in r.iter(f"{W}t")): r for r in part[0].iter(f"{W}r")}
    assert runs["fett"].find(f"{W}rPr/{W}b") is not None
    assert runs["kursiv"].find(f"{W}rPr/{W}i") is not None
    assert runs["fett"].find(f"{W}rPr/{W}i") is None
    assert all(r.find(f"{W}rPr") is None for text, r in runs.items() if "Bürger" in text)
    # the heading in the template's own style
    assert style_of(part[1]) == ids["Zwischenüberschrift"]
    # bullets: the template's „Aufzählung“, bold inside an item
    assert [style_of(p) for p in part[9:11]] == [ids["Aufzählung"]] * 2
    assert any(r.find(f"{W}rPr/{W}b") is not None for r in part[9].iter(f"{W}r"))
    # what is outside the subset is a plain paragraph, as typed
    assert part[11].find(f".//{W}b") is None and style_of(part[11]) is None


def test_two_numbered_lists_each_start_at_one(paper):
    doc = Document(str(paper))
    ids = style_ids(doc)
    numbered = [p for p in doc.element.body.iter(f"{W}p")
                if style_of(p) == ids["Nummerierung"]]
    assert [_paragraph_text(p) for p in numbered] == ["erstens", "zweitens", "drittens", "eins",
                                                      "zwei"]
    num_ids = [p.find(f"{W}pPr/{W}numPr/{W}numId").get(f"{W}val") for p in numbered]
    levels = {p.find(f"{W}pPr/{W}numPr/{W}ilvl").get(f"{W}val") for p in numbered}
    assert levels == {"0"}
    assert num_ids[0] == num_ids[1] == num_ids[2] != num_ids[3] == num_ids[4]
    numbering = doc.part.numbering_part.element
    style_num = doc.styles["Nummerierung"].element.find(f"{W}pPr/{W}numPr/{W}numId").get(f"{W}val")
    abstract_of = {n.get(f"{W}numId"): n.find(f"{W}abstractNumId").get(f"{W}val")
                   for n in numbering.iter(f"{W}num")}
    for num_id in (num_ids[0], num_ids[3]):
        num = next(n for n in numbering.iter(f"{W}num") if n.get(f"{W}numId") == num_id)
        # an instance of the style's own list definition that restarts at 1
        assert abstract_of[num_id] == abstract_of[style_num]
        override = num.find(f"{W}lvlOverride")
        assert override.get(f"{W}ilvl") == "0"
        assert override.find(f"{W}startOverride").get(f"{W}val") == "1"
    assert validation_errors(paper) == []


def test_pipe_table_becomes_a_word_table_with_a_header_row(paper):
    doc = Document(str(paper))
    ids = style_ids(doc)
    table = next(t for t in doc.element.body.iter(f"{W}tbl")
                 if t.find(f"{W}tblPr/{W}tblStyle") is not None
                 and t.find(f"{W}tblPr/{W}tblStyle").get(f"{W}val") == ids["Texttabelle"])
    rows = table.findall(f"{W}tr")
    cells = [[_paragraph_text(tc.find(f"{W}p")) for tc in tr.findall(f"{W}tc")] for tr in rows]
    assert cells == [["Jahr", "Betrag"], ["2020", "5.000"], ["2021", "6.000"]]
    assert len(table.findall(f"{W}tblGrid/{W}gridCol")) == 2
    assert rows[0].find(f"{W}trPr/{W}tblHeader") is not None  # repeats on every page
    assert all(r.find(f"{W}trPr/{W}tblHeader") is None for r in rows[1:])
    head = [style_of(tc.find(f"{W}p")) for tc in rows[0].findall(f"{W}tc")]
    body = [style_of(tc.find(f"{W}p")) for tr in rows[1:] for tc in tr.findall(f"{W}tc")]
    assert head == [ids["Tabellenkopf"]] * 2 and body == [ids["Tabellentext"]] * 4
    # "-------:" aligns the column right
    assert [tc.find(f"{W}p/{W}pPr/{W}jc") is not None for tc in rows[1].findall(f"{W}tc")] == \
        [False, True]
    assert table.getnext().tag == f"{W}p"  # never two tables that Word would join


def test_markup_cannot_inject_word_xml(data_copy, tmp_path):
    nasty = ('**</w:t></w:r><w:r><w:t>fett</w:t>** & <w:p/> "x" ]]> \ue0000\ue001 '
             '\ue000deadbeefdeadbeef0\ue001')
    path = data_copy / VORLAGE
    edit_yaml(path, sachverhalt=[nasty, "| <w:tbl> | b |\n|---|---|\n| ]]> | & |"])
    out = build(data_copy, tmp_path, "integrationsplan-2020") / "integrationsplan-2020.docx"
    assert validation_errors(out) == []
    doc = Document(str(out))
    texts = [_paragraph_text(p) for p in doc.element.body.iter(f"{W}p")]
    bold = texts.index('</w:t></w:r><w:r><w:t>fett</w:t> & <w:p/> "x" ]]> \ue0000\ue001 '
                       '\ue000deadbeefdeadbeef0\ue001')
    paragraph = list(doc.element.body.iter(f"{W}p"))[bold]
    assert paragraph.find(f".//{W}r/{W}rPr/{W}b") is not None
    assert paragraph.find(f".//{W}r").find(f"{W}t").text == "</w:t></w:r><w:r><w:t>fett</w:t>"
    assert "<w:tbl>" in texts and "]]>" in texts and "&" in texts


def test_text_that_only_looks_like_markdown_stays_as_typed(data_copy, tmp_path):
    typed = ["5 * 3 * 2 = 30, Bürger*innen, Nr. #4, A | B, Sprach- und Integrationskurse",
             "# Überschrift erster Ebene\n* Stern-Aufzählung\n3. beginnt bei drei\n- \n"
             "[Link](x) <i>html</i> __unterstrichen__"]
    assert all(formatiert(t) is t for t in typed)  # no Markdown path for them
    edit_yaml(data_copy / VORLAGE, sachverhalt=typed)
    out = build(data_copy, tmp_path, "integrationsplan-2020") / "integrationsplan-2020.docx"
    doc = Document(str(out))
    texts = [_paragraph_text(p) for p in doc.element.body.iter(f"{W}p")]
    assert typed[0] in texts and typed[1] in texts
    assert not list(doc.element.body.iter(f"{W}b"))


def test_beschlussvorschlag_keeps_a_paragraph_per_line_and_gains_lists(data_copy, tmp_path):
    text = "Die Verwaltung wird beauftragt,\n\n1. einen Plan zu **erarbeiten**,\n2. zu berichten."
    assert zeilen(text)[:2] == ["Die Verwaltung wird beauftragt,", ""]
    edit_yaml(data_copy / VORLAGE, beschlussvorschlag=text)
    out = build(data_copy, tmp_path, "integrationsplan-2020") / "integrationsplan-2020.docx"
    doc = Document(str(out))
    part = body_elements(doc, "Beschlussvorschlag:", "Sachverhalt:")
    assert [_paragraph_text(p) for p in part] == [
        "Die Verwaltung wird beauftragt,", "", "einen Plan zu erarbeiten,", "zu berichten."]
    ids = style_ids(doc)
    assert [style_of(p) for p in part[2:]] == [ids["Nummerierung"]] * 2
    assert part[2].find(f"{W}pPr/{W}numPr/{W}numId") is not None


def test_zwischenbericht_section_in_markdown(data_copy, tmp_path):
    path = data_copy / "vorlagen" / "zwischenbericht-2023.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["abschnitte"][0]["text"] = ["### Schwerpunkte\n\n- **Sprache**\n- Arbeit"]
    edit_yaml(path, abschnitte=data["abschnitte"])
    out = build(data_copy, tmp_path, "zwischenbericht-2023") / "zwischenbericht-2023.docx"
    doc = Document(str(out))
    ids = style_ids(doc)
    paragraphs = {_paragraph_text(p): p for p in doc.element.body.iter(f"{W}p")}
    assert style_of(paragraphs["Schwerpunkte"]) == ids["Zwischenüberschrift"]
    assert style_of(paragraphs["Sprache"]) == ids["Aufzählung"]
    assert paragraphs["Sprache"].find(f".//{W}b") is not None
    assert validation_errors(out) == []


def test_measure_text_in_markdown_in_the_catalogue_cell(data_copy, tmp_path):
    path = data_copy / "massnahmenkatalog.yaml"
    text = path.read_text(encoding="utf-8")
    old = "Verstetigung des Projekts „LEmietet“\n"
    assert old in text
    path.write_text(text.replace(old, "Verstetigung des Projekts **„LEmietet“**\n\n"
                                 "              1. Ratgeber\n              2. Broschüre\n", 1),
                    encoding="utf-8")
    out = build(data_copy, tmp_path, "massnahmenkatalog") / "massnahmenkatalog.docx"
    doc = Document(str(out))
    ids = style_ids(doc)
    cell = next(tc for tc in doc.element.body.iter(f"{W}tc")
                if _paragraph_text(tc.find(f"{W}p")) == "Verstetigung des Projekts „LEmietet“")
    paragraphs = cell.findall(f"{W}p")
    assert paragraphs[0].find(f".//{W}b") is not None
    items = [p for p in paragraphs if style_of(p) == ids["Tabelle Nummerierung"]]
    assert [_paragraph_text(p) for p in items] == ["Ratgeber", "Broschüre"]
    # the measure's own • lines keep the template's style for them
    bullets = [p for p in paragraphs if _paragraph_text(p).startswith("•")]
    assert bullets and {style_of(p) for p in bullets} == {ids["Katalog Aufzählung"]}
    assert validation_errors(out) == []


def test_pressetext_html_shows_the_formatting_escaped(data_copy, tmp_path):
    path = data_copy / "vorlagen" / "pressetext-integrationsplan.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit_yaml(path, absaetze=["Ein **wichtiger** Satz <script>x</script>\n\n- eins\n- zwei",
                              *data["absaetze"][1:]])
    out = build(data_copy, tmp_path, "pressetext-integrationsplan")
    page = (out / "pressetext-integrationsplan.html").read_text(encoding="utf-8")
    assert ("<p>Ein <strong>wichtiger</strong> Satz &lt;script&gt;x&lt;/script&gt;</p>\n"
            "<ul><li>eins</li><li>zwei</li></ul>\n<p></p>") in page
    doc = Document(str(out / "pressetext-integrationsplan.docx"))
    assert [_paragraph_text(p) for p in doc.element.body.iter(f"{W}p")
            if style_of(p) == style_ids(doc)["Aufzählung"]][:2] == ["eins", "zwei"]


def templates_with(tmp_path: Path, name: str, edit) -> Path:
    """A copy of the templates with one part of one template changed by edit(name, bytes)."""
    root = tmp_path / "templates"
    shutil.copytree(TEMPLATES, root)
    path = root / STIL / name
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buffer, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, edit(info.filename, src.read(info)))
    path.write_bytes(buffer.getvalue())
    return root


def test_a_removed_style_is_a_german_template_error(data_copy, tmp_path):
    def without_heading_style(part: str, data: bytes) -> bytes:
        if part != "word/styles.xml":
            return data
        start = data.index(b'<w:style w:type="paragraph" w:customStyle="1" '
                           b'w:styleId="Zwischenueberschrift">')
        return data[:start] + data[data.index(b"</w:style>", start) + len(b"</w:style>"):]

    root = templates_with(tmp_path, "beschlussvorlage.docx", without_heading_style)
    edit_yaml(data_copy / VORLAGE, sachverhalt=["### Neu", "Text"])
    out = tmp_path / "output"
    result = run("build", "integrationsplan-2020", "--daten", str(data_copy), "--vorlagen",
                 str(root), "--ausgabe", str(out))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.splitlines() == [
        f"Fehler: Vorlage {root / STIL / 'beschlussvorlage.docx'}: die Formatvorlage "
        "„Zwischenüberschrift“ fehlt; sie wird für Zwischenüberschriften (### …) im Text gebraucht "
        "(in Word unter Start → Formatvorlagen wieder anlegen)"]
    # without the heading, the same template still serves
    edit_yaml(data_copy / VORLAGE, sachverhalt=["**Neu**", "Text"])
    result = run("build", "integrationsplan-2020", "--daten", str(data_copy), "--vorlagen",
                 str(root), "--ausgabe", str(out))
    assert result.exit_code == 0, result.output


def test_a_placeholder_amid_text_keeps_its_paragraph(data_copy, tmp_path):
    def with_prefix(part: str, data: bytes) -> bytes:
        if part != "word/document.xml":
            return data
        return data.replace(b">{{ b.absatz }}<", b">Hinweis: {{ b.absatz }} (Ende)<", 1)

    root = templates_with(tmp_path, "beschlussvorlage.docx", with_prefix)
    edit_yaml(data_copy / VORLAGE, sachverhalt=["Das ist **wichtig**:\n\n- eins\n- zwei"])
    out = tmp_path / "output"
    result = run("build", "integrationsplan-2020", "--daten", str(data_copy), "--vorlagen",
                 str(root), "--ausgabe", str(out))
    assert result.exit_code == 0, result.output
    doc = Document(str(out / "integrationsplan-2020.docx"))
    part = body_elements(doc, "Sachverhalt:", "gez. Roland Klenk")
    assert _paragraph_text(part[0]) == "Hinweis: Das ist wichtig:\n\n- eins\n- zwei (Ende)"
    assert [r.find(f"{W}t").text for r in part[0].iter(f"{W}r") if r.find(f"{W}rPr/{W}b")
            is not None] == ["wichtig"]
    assert validation_errors(out / "integrationsplan-2020.docx") == []


@pytest.mark.libreoffice
def test_libreoffice_numbers_each_list_from_one(paper, tmp_path):
    """LibreOffice (as Word) shows the labels: both lists start at 1."""
    from pypdf import PdfReader

    soffice_convert([paper], "pdf", tmp_path / "pdf")
    text = "\n".join(page.extract_text() for page in
                     PdfReader(tmp_path / "pdf" / "integrationsplan-2020.pdf").pages)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert lines[lines.index("1. erstens"):lines.index("3. drittens") + 1] == \
        ["1. erstens", "2. zweitens", "3. drittens"]
    assert lines[lines.index("1. eins") + 1] == "2. zwei"
    assert "Jahr Betrag" in lines and "Zwischenüberschrift" in lines


NESTED = """Schwerpunkte:

- Sprache
  - Sprachkurse
  - Sprachcafé
- Arbeit"""


@pytest.fixture
def nested(data_copy, tmp_path) -> Path:
    return built_with_sachverhalt(data_copy, tmp_path, NESTED)


def test_a_bulleted_list_under_an_item_is_the_second_level(nested):
    doc = Document(str(nested))
    style = style_ids(doc)["Aufzählung"]
    # the first four: the paper's own lists come later
    items = [p for p in doc.element.body.iter(f"{W}p") if style_of(p) == style][:4]

    def level(p) -> int:
        ilvl = p.find(f"{W}pPr/{W}numPr/{W}ilvl")
        return int(ilvl.get(f"{W}val")) if ilvl is not None else 0

    assert [(_paragraph_text(p), level(p)) for p in items] == [
        ("Sprache", 0), ("Sprachkurse", 1), ("Sprachcafé", 1), ("Arbeit", 0)]
    # the second level of the style's own list: a dash, indented further
    num_id = items[1].find(f"{W}pPr/{W}numPr/{W}numId").get(f"{W}val")
    numbering = doc.part.numbering_part.element
    abstract = next(n for n in numbering.iter(f"{W}num")
                    if n.get(f"{W}numId") == num_id).find(f"{W}abstractNumId").get(f"{W}val")
    second = numbering.find(f"{W}abstractNum[@{W}abstractNumId='{abstract}']/{W}lvl[@{W}ilvl='1']")
    first = numbering.find(f"{W}abstractNum[@{W}abstractNumId='{abstract}']/{W}lvl[@{W}ilvl='0']")
    assert second.find(f"{W}lvlText").get(f"{W}val") == "–"
    assert first.find(f"{W}lvlText").get(f"{W}val") == "•"
    indent = [int(x.find(f"{W}pPr/{W}ind").get(f"{W}left")) for x in (first, second)]
    assert indent[1] > indent[0]
    assert validation_errors(nested) == []


@pytest.mark.libreoffice
def test_libreoffice_shows_the_second_level_with_a_dash(nested, tmp_path):
    from pypdf import PdfReader

    soffice_convert([nested], "pdf", tmp_path / "pdf")
    text = PdfReader(tmp_path / "pdf" / "integrationsplan-2020.pdf").pages[0].extract_text()
    lines = [" ".join(line.split()) for line in text.splitlines()]
    start = lines.index("• Sprache")
    assert lines[start:start + 4] == ["• Sprache", "– Sprachkurse", "– Sprachcafé", "• Arbeit"]


def test_templates_made_by_the_tool_have_every_style_of_the_subset(data_copy, tmp_path):
    from .test_template_files import copy_without_docx, make_templates

    fresh = tmp_path / "neu"
    assert make_templates("--ziel", str(fresh), cwd=tmp_path).returncode == 0
    copy_without_docx(fresh)
    edit_yaml(data_copy / VORLAGE, sachverhalt=[SACHVERHALT])
    path = data_copy / "massnahmenkatalog.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Verstetigung des Projekts „LEmietet“\n",
                                 "### Projekt\n\n              - a\n              1. b\n\n"
                                 "              | x | y |\n              |---|---|\n"
                                 "              | 1 | 2 |\n", 1), encoding="utf-8")
    out = build(data_copy, tmp_path, "integrationsplan-2020", "massnahmenkatalog",
                templates=fresh)
    for name in ("integrationsplan-2020", "massnahmenkatalog"):
        doc = Document(str(out / f"{name}.docx"))
        used = {style_of(p) for p in doc.element.body.iter(f"{W}p")}
        ids = style_ids(doc)
        wanted = (["Zwischenüberschrift", "Nummerierung", "Aufzählung"]
                  if name.startswith("integrationsplan")
                  else ["Tabellenkopf", "Tabelle Aufzählung", "Tabelle Nummerierung"])
        assert {ids[n] for n in wanted} <= used, name
        assert validation_errors(out / f"{name}.docx") == [], name
