"""Validate WordprocessingML parts against the ECMA-376 schemas in ../shared/ooxml-schemas/."""

from __future__ import annotations

import functools
import zipfile
from pathlib import Path

from lxml import etree

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "shared" / "ooxml-schemas"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
XML_NS = "http://www.w3.org/XML/1998/namespace"
# The WordprocessingML parts a .docx of ours can carry.
WML_PARTS = ("word/document.xml", "word/styles.xml", "word/numbering.xml", "word/settings.xml",
             "word/footnotes.xml", "word/endnotes.xml", "word/fontTable.xml",
             "word/webSettings.xml")


class _XmlNamespaceResolver(etree.Resolver):
    # wml.xsd imports the xml: namespace without a schemaLocation; point it at xml.xsd.
    def resolve(self, url, pubid, context):
        if url.endswith("xml.xsd") or url == XML_NS:
            return self.resolve_filename(str(SCHEMA_DIR / "xml.xsd"), context)
        return None


@functools.cache
def wml_schema() -> etree.XMLSchema:
    if not (SCHEMA_DIR / "wml.xsd").exists():
        raise FileNotFoundError(f"ECMA-376-Schemas fehlen: {SCHEMA_DIR} (../shared/ooxml-schemas)")
    parser = etree.XMLParser()
    parser.resolvers.add(_XmlNamespaceResolver())
    text = (SCHEMA_DIR / "wml.xsd").read_text(encoding="utf-8")
    text = text.replace(
        f'<xsd:import namespace="{XML_NS}"/>',
        f'<xsd:import namespace="{XML_NS}" schemaLocation="xml.xsd"/>',
    )
    doc = etree.fromstring(text.encode(), parser, base_url=str(SCHEMA_DIR / "wml.xsd"))
    return etree.XMLSchema(doc)


def strip_ignorable(root: etree._Element) -> etree._Element:
    """Remove markup in namespaces listed in mc:Ignorable (ECMA-376 Part 3)."""
    ignorable = root.get(f"{{{MC}}}Ignorable")
    if not ignorable:
        return root
    namespaces = {root.nsmap[p] for p in ignorable.split() if p in root.nsmap}
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        if etree.QName(el).namespace in namespaces and el.getparent() is not None:
            el.getparent().remove(el)
            continue
        for attr in list(el.attrib):
            if attr.startswith("{") and attr[1:].split("}")[0] in namespaces:
                del el.attrib[attr]
    del root.attrib[f"{{{MC}}}Ignorable"]
    return root


def wml_part_names(docx: Path) -> list[str]:
    with zipfile.ZipFile(docx) as z:
        names = z.namelist()
    extra = [n for n in names if n.startswith(("word/header", "word/footer")) and n.endswith(".xml")]
    return [n for n in WML_PARTS if n in names] + sorted(extra)


def validation_errors(docx: Path) -> list[str]:
    """Every schema error of every WordprocessingML part, as 'part:line: message'."""
    schema = wml_schema()
    errors = []
    with zipfile.ZipFile(docx) as z:
        for name in wml_part_names(docx):
            root = strip_ignorable(etree.fromstring(z.read(name)))
            # Re-serialise so that line numbers refer to the part as validated.
            root = etree.fromstring(etree.tostring(root, pretty_print=True))
            if not schema.validate(root):
                errors += [f"{name}:{e.line}: {e.message}" for e in schema.error_log]
    return errors
