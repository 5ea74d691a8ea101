"""Formatted text: the small Markdown subset of the free-text fields.

The subset: ``**fett**``, ``*kursiv*``, ``### Zwischenüberschrift``, ``- `` bullets, ``1. ``
numbered lists and pipe tables with a header row. Everything else stays text as it was typed
(``# x``, links, HTML, ``_x_``, ``* x`` bullets, a list starting with ``3.``).

The context stage calls `formatiert` for a field whose text is one paragraph of the template
(a Sachverhalt block), `formatiert_inline` where only bold and italic make sense (an item of a
list, a table cell), and `zeilen` for a field of which every line is a paragraph (the
Beschlussvorschlag, a measure's text). Text without markup stays the `str` it was, so that the
document is exactly what it was before Markdown existed; only text with markup is parsed by
markdown-it-py and becomes a `Formatiert`, a `str` (its source) that carries the parsed blocks.

What a `Formatiert` turns into is decided when a template shows it: Jinja's autoescaping asks its
`__html__`. Rendering a .docx body (`fuer_word`), it answers with a marker that the render stage
replaces by Word paragraphs and tables (`pipeline.markup_docx`); rendering HTML (`fuer_html`), with
escaped HTML; anywhere else (headers, footers), with its source text, escaped.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import escape

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token


# --- the parsed form ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lauf:
    """A piece of inline text; the text "\\n" alone is a line break."""

    text: str
    fett: bool = False
    kursiv: bool = False

    @property
    def umbruch(self) -> bool:
        return self.text == "\n"


UMBRUCH = Lauf("\n")
Inhalt = tuple[Lauf, ...]


@dataclass(frozen=True)
class Absatz:
    inhalt: Inhalt


@dataclass(frozen=True)
class Ueberschrift:
    inhalt: Inhalt


@dataclass(frozen=True)
class Punkt:
    inhalt: Inhalt
    unterlisten: tuple[Liste, ...] = ()


@dataclass(frozen=True)
class Liste:
    nummeriert: bool
    punkte: tuple[Punkt, ...]


@dataclass(frozen=True)
class Tabelle:
    kopf: tuple[Inhalt, ...]
    zeilen: tuple[tuple[Inhalt, ...], ...]
    ausrichtung: tuple[str | None, ...]  # "left", "center", "right" or None per column


Block = Absatz | Ueberschrift | Liste | Tabelle


@dataclass(frozen=True)
class _Gelesen:
    """A block with the source lines it came from (end exclusive, trailing blank lines excluded)."""

    block: Block
    von: int
    bis: int
    # Per source line of an Absatz: its inline content (None: the block is not split by lines).
    zeilen: tuple[Inhalt, ...] | None = None


# --- the value the templates see ------------------------------------------------------------------


class Formatiert(str):
    """Text with markup: as a `str` its source; `bloecke` is what it shows, `bereiche` the source
    lines of each block (from, to)."""

    bloecke: tuple[Block, ...]
    bereiche: tuple[tuple[int, int], ...]

    def __new__(cls, quelle: str, bloecke: tuple[Block, ...],
                bereiche: tuple[tuple[int, int], ...] | None = None) -> Formatiert:
        self = super().__new__(cls, quelle)
        self.bloecke = bloecke
        self.bereiche = bereiche if bereiche is not None else ((0, quelle.count("\n") + 1),)
        return self

    @classmethod
    def aus(cls, quelle: str, gelesen: list[_Gelesen]) -> Formatiert:
        return cls(quelle, tuple(g.block for g in gelesen), tuple((g.von, g.bis) for g in gelesen))

    @property
    def ist_block(self) -> bool:
        """True when it shows more than paragraphs (a heading, list or table)."""
        return any(not isinstance(b, Absatz) for b in self.bloecke)

    def __html__(self) -> str:
        ausgabe = _AUSGABE.get()
        if ausgabe is None:
            return str(escape(str(self)))
        return ausgabe.zeige(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Formatiert, (str(self), self.bloecke, self.bereiche))


class _Ausgabe:
    def zeige(self, text: Formatiert) -> str:
        raise NotImplementedError


class Sammlung(_Ausgabe):
    """Formatted values of one .docx body, each shown as a marker that names it."""

    ANFANG, ENDE = "\ue000", "\ue001"

    def __init__(self) -> None:
        # A random tag per render: typed text can never pass for a marker.
        self.kennung = secrets.token_hex(8)
        self.werte: list[Formatiert] = []
        self.muster = re.compile(f"{self.ANFANG}{self.kennung}(\\d+){self.ENDE}")

    def zeige(self, text: Formatiert) -> str:
        self.werte.append(text)
        return f"{self.ANFANG}{self.kennung}{len(self.werte) - 1}{self.ENDE}"


class _Html(_Ausgabe):
    def zeige(self, text: Formatiert) -> str:
        return html(text)


_AUSGABE: contextvars.ContextVar[_Ausgabe | None] = contextvars.ContextVar("ausgabe", default=None)


@contextlib.contextmanager
def fuer_word() -> Iterator[Sammlung]:
    """While rendering a .docx body: formatted values become markers, collected here."""
    sammlung = Sammlung()
    token = _AUSGABE.set(sammlung)
    try:
        yield sammlung
    finally:
        _AUSGABE.reset(token)


@contextlib.contextmanager
def fuer_html() -> Iterator[None]:
    token = _AUSGABE.set(_Html())
    try:
        yield
    finally:
        _AUSGABE.reset(token)


# --- from text to the context ---------------------------------------------------------------------


def _vielleicht_markup(text: str) -> bool:
    """A quick test (no parsing): could the text contain anything of the subset at all?"""
    if "#" in text or "|" in text or _stern(text):
        return True
    if "- " not in text and "1. " not in text:
        return False
    return any(line.lstrip(" ").startswith(("- ", "1. ")) for line in text.split("\n"))


def _stern(text: str) -> bool:
    """A * that may mark emphasis: any but a gender star between two letters (Bürger*innen)."""
    at = text.find("*")
    while at >= 0:
        if not (0 < at < len(text) - 1 and text[at - 1].isalnum() and text[at + 1].isalnum()):
            return True
        at = text.find("*", at + 1)
    return False


def formatiert(text: str) -> str:
    """A paragraph field: the text itself, or a `Formatiert` when it uses the subset."""
    if not _vielleicht_markup(text):
        return text
    gelesen = _lies(text, bloecke=True)
    return Formatiert.aus(text, gelesen) if _hat_format(gelesen) else text


def formatiert_inline(text: str) -> str:
    """Like `formatiert`, with bold and italic only (for list items and table cells)."""
    if not _stern(text):
        return text
    gelesen = _lies(text, bloecke=False)
    return Formatiert.aus(text, gelesen) if _hat_format(gelesen) else text


def zeilen(text: str) -> list[str]:
    """A field of which every line is a paragraph: its lines, as before, where a line that uses
    bold or italic is a `Formatiert` paragraph, and a heading, list or table (over several lines)
    is one `Formatiert` entry. Lines without markup stay exactly as typed."""
    if not text:
        return []
    quelle = text.split("\n")
    if not _vielleicht_markup(text):
        return quelle
    gelesen = _lies(text, bloecke=True)
    if not _hat_format(gelesen):
        return quelle
    out: list[str] = []
    done = 0
    for g in gelesen:
        out += quelle[done:g.von]
        if isinstance(g.block, Absatz) and g.zeilen is not None:
            for line, inhalt in zip(quelle[g.von:g.bis], g.zeilen, strict=True):
                out.append(Formatiert(line, (Absatz(inhalt),)) if _formatiert(inhalt) else line)
        else:
            out.append(Formatiert("\n".join(quelle[g.von:g.bis]), (g.block,),
                                  ((0, g.bis - g.von),)))
        done = g.bis
    out += quelle[done:]
    return out


def _hat_format(gelesen: list[_Gelesen]) -> bool:
    return any(not isinstance(g.block, Absatz) or _formatiert(g.block.inhalt) for g in gelesen)


def _formatiert(inhalt: Inhalt) -> bool:
    return any(lauf.fett or lauf.kursiv for lauf in inhalt)


# --- parsing (markdown-it-py) ---------------------------------------------------------------------


@functools.cache
def _parser(bloecke: bool) -> MarkdownIt:
    from markdown_it import MarkdownIt  # imported lazily: only text with markup needs it

    # "zero" knows nothing but paragraphs; links, HTML, code, escapes, entities stay text.
    md = MarkdownIt("zero", {"maxNesting": 20}).enable(["emphasis", "newline"])
    md.inline.ruler.before("emphasis", "genderstern", _genderstern)
    if bloecke:
        md.enable(["heading", "list", "table"])
    return md


def _genderstern(state: Any, silent: bool) -> bool:
    """A markdown-it inline rule: a single * between two letters or digits (Bürger*innen) is
    text, never the start or end of emphasis."""
    pos, src = state.pos, state.src
    if (src[pos] != "*" or pos == 0 or pos + 1 >= len(src)
            or not src[pos - 1].isalnum() or not src[pos + 1].isalnum()):
        return False
    if not silent:
        state.pending += "*"
    state.pos += 1
    return True


def _lies(text: str, bloecke: bool) -> list[_Gelesen]:
    tokens = _parser(bloecke).parse(text)
    quelle = text.split("\n")
    return _Leser(tokens, quelle).bloecke()


class _Leser:
    """Turns markdown-it's flat token stream into blocks; what is outside the subset becomes
    the text of its source lines."""

    def __init__(self, tokens: list[Token], quelle: list[str]):
        self.tokens = tokens
        self.quelle = quelle
        self.i = 0

    def bloecke(self) -> list[_Gelesen]:
        out = []
        while self.i < len(self.tokens):
            start = self.tokens[self.i]
            von, bis = start.map or (0, 0)
            while bis > von + 1 and not self.quelle[bis - 1].strip():
                bis -= 1  # markdown-it counts the blank lines after a list to the list
            block, zeilen = self._block()
            out.append(_Gelesen(block, von, bis, zeilen))
        return out

    def _schliessen(self, open_token: Token) -> int:
        """Index after the token that closes open_token (at self.i)."""
        depth, j = 0, self.i
        while j < len(self.tokens):
            depth += self.tokens[j].nesting
            j += 1
            if depth == 0:
                return j
        return j

    def _woertlich(self, token: Token, in_liste: bool) -> tuple[Absatz, tuple[Inhalt, ...]]:
        """A block outside the subset: its source lines as typed (inside a list item, without
        their indentation)."""
        von, bis = token.map or (0, 0)
        lines = self.quelle[von:bis]
        while len(lines) > 1 and not lines[-1].strip():
            lines.pop()
        zeilen = tuple((Lauf(line.strip() if in_liste else line),) if line else ()
                       for line in lines)
        laeufe: list[Lauf] = []
        for n, zeile in enumerate(zeilen):
            laeufe += [UMBRUCH, *zeile] if n else zeile
        return Absatz(tuple(laeufe)), zeilen

    def _block(self, in_liste: bool = False) -> tuple[Block, tuple[Inhalt, ...] | None]:
        start = self.i
        token = self.tokens[start]
        end = self._schliessen(token)
        block: Block
        zeilen = None
        if token.type == "paragraph_open":
            laeufe = _inline(self.tokens[self.i + 1])
            block = Absatz(laeufe)
            zeilen = _in_zeilen(laeufe, token.map)
        elif token.type == "heading_open" and token.markup == "###" and not in_liste:
            block = Ueberschrift(_inline(self.tokens[self.i + 1]))
        elif _liste_im_umfang(token) and self._ohne_leere_punkte(end):
            liste = self._liste(token, end)
            if liste is None:
                self.i = start
                block, zeilen = self._woertlich(token, in_liste)
            else:
                block = liste
        elif token.type == "table_open" and not in_liste:
            block = self._tabelle(end)
        else:
            block, zeilen = self._woertlich(token, in_liste)
        self.i = end
        return block, zeilen

    def _ohne_leere_punkte(self, end: int) -> bool:
        """A list item without text ("- " alone on a line) is no list: shown as typed."""
        return all(self.tokens[j + 1].type != "list_item_close"
                   for j in range(self.i, end) if self.tokens[j].type == "list_item_open")

    def _liste(self, token: Token, end: int) -> Liste | None:
        """The list, or None when an item has text after a list inside it (shown as typed)."""
        punkte = []
        self.i += 1
        while self.i < end - 1:
            item_end = self._schliessen(self.tokens[self.i])
            self.i += 1
            laeufe: list[Lauf] = []
            unter: list[Liste] = []
            while self.i < item_end - 1:
                block, _ = self._block(in_liste=True)
                if isinstance(block, Liste):
                    unter.append(block)
                elif unter:
                    return None
                elif isinstance(block, Absatz):  # in a list item, nothing else is parsed
                    laeufe += [UMBRUCH, *block.inhalt] if laeufe else block.inhalt
            punkte.append(Punkt(tuple(laeufe), tuple(unter)))
            self.i = item_end
        return Liste(token.type == "ordered_list_open", tuple(punkte))

    def _tabelle(self, end: int) -> Tabelle:
        kopf: list[Inhalt] = []
        zeilen: list[tuple[Inhalt, ...]] = []
        ausrichtung: list[str | None] = []
        zeile: list[Inhalt] = []
        for j in range(self.i, end):
            token = self.tokens[j]
            if token.type == "th_open":
                style = str(token.attrs.get("style", ""))
                ausrichtung.append(style.removeprefix("text-align:") or None)
            elif token.type == "inline":
                zeile.append(_inline(token))
            elif token.type == "tr_close":
                if kopf:
                    zeilen.append(tuple(zeile))
                else:
                    kopf = zeile
                zeile = []
        return Tabelle(tuple(kopf), tuple(zeilen), tuple(ausrichtung))


def _liste_im_umfang(token: Token) -> bool:
    """"- " bullets, and numbered lists "1." that start at 1 ("* ", "+ ", "1)", "3." are not)."""
    if token.type == "bullet_list_open":
        return token.markup == "-"
    return (token.type == "ordered_list_open" and token.markup == "."
            and int(token.attrs.get("start", 1)) == 1)


def _inline(token: Token) -> Inhalt:
    """Inline tokens → runs. `**`/`*` make bold/italic; `__`/`_` stay as typed."""
    out: list[Lauf] = []
    fett = kursiv = 0
    for child in token.children or []:
        kind = child.type
        if kind == "text":
            if child.content:
                out += _text_laeufe(child.content, fett > 0, kursiv > 0)
        elif kind in ("softbreak", "hardbreak"):
            out.append(UMBRUCH)
        elif kind in ("strong_open", "strong_close", "em_open", "em_close"):
            if child.markup not in ("**", "*"):
                out.append(Lauf(child.markup, fett > 0, kursiv > 0))
                continue
            step = 1 if kind.endswith("_open") else -1
            if kind.startswith("strong"):
                fett += step
            else:
                kursiv += step
        else:  # nothing else is enabled; shown as typed if it ever comes
            out.append(Lauf(child.content or child.markup, fett > 0, kursiv > 0))
    return tuple(_verbunden(out))


def _text_laeufe(text: str, fett: bool, kursiv: bool) -> list[Lauf]:
    parts = text.split("\n")
    out = []
    for n, part in enumerate(parts):
        if n:
            out.append(UMBRUCH)
        if part:
            out.append(Lauf(part, fett, kursiv))
    return out


def _verbunden(laeufe: list[Lauf]) -> list[Lauf]:
    """Neighbouring runs of the same formatting joined."""
    out: list[Lauf] = []
    for lauf in laeufe:
        if (out and not lauf.umbruch and not out[-1].umbruch
                and (out[-1].fett, out[-1].kursiv) == (lauf.fett, lauf.kursiv)):
            out[-1] = Lauf(out[-1].text + lauf.text, lauf.fett, lauf.kursiv)
        else:
            out.append(lauf)
    return out


def _in_zeilen(laeufe: Inhalt, bereich: list[int] | None) -> tuple[Inhalt, ...] | None:
    """A paragraph's runs split at its line breaks, one entry per source line (or None)."""
    zeilen: list[list[Lauf]] = [[]]
    for lauf in laeufe:
        if lauf.umbruch:
            zeilen.append([])
        else:
            zeilen[-1].append(lauf)
    if bereich is None or len(zeilen) != bereich[1] - bereich[0]:
        return None
    return tuple(tuple(z) for z in zeilen)


# --- plain text and HTML --------------------------------------------------------------------------


def klartext(inhalt: Inhalt) -> str:
    return "".join(lauf.text for lauf in inhalt)


def woertlich(text: Formatiert) -> Inhalt:
    """The text for a place that holds only one paragraph of runs: the lines as typed, where
    bold and italic of its paragraphs apply; headings, lists and tables show their source."""
    quelle = str(text).split("\n")
    laeufe: list[Lauf] = []
    done = 0

    def lines(von: int, bis: int) -> None:
        for line in quelle[von:bis]:
            laeufe.extend([UMBRUCH, Lauf(line)] if laeufe else [Lauf(line)])

    for block, (von, bis) in zip(text.bloecke, text.bereiche, strict=True):
        lines(done, von)
        if isinstance(block, Absatz):
            laeufe.extend([UMBRUCH, *block.inhalt] if laeufe else block.inhalt)
        else:
            lines(von, bis)
        done = bis
    lines(done, len(quelle))
    return tuple(lauf for lauf in laeufe if lauf.text)


def html(text: Formatiert) -> str:
    """HTML for the place of a paragraph's content (inside <p>…</p> of the template): further
    paragraphs, headings, lists and tables close that paragraph and open a new one."""
    out = []
    offen = True  # the template's <p> is open
    for n, block in enumerate(text.bloecke):
        if isinstance(block, Absatz):
            if offen and n:
                out.append("</p>\n")
            out.append(("" if offen and not n else "<p>") + _html_inline(block.inhalt))
            offen = True
        else:
            out.append(("</p>\n" if offen else "\n") + _html_block(block))
            offen = False
    if not offen:
        out.append("\n<p>")
    return "".join(out)


def _html_block(block: Block) -> str:
    if isinstance(block, Ueberschrift):
        return f"<h3>{_html_inline(block.inhalt)}</h3>"
    if isinstance(block, Liste):
        tag = "ol" if block.nummeriert else "ul"
        items = "".join(
            f"<li>{_html_inline(p.inhalt)}{''.join(_html_block(u) for u in p.unterlisten)}</li>"
            for p in block.punkte)
        return f"<{tag}>{items}</{tag}>"
    if isinstance(block, Tabelle):
        def cells(tag: str, row: tuple[Inhalt, ...]) -> str:
            return "".join(
                f"<{tag}{_html_align(block.ausrichtung[i] if i < len(block.ausrichtung) else None)}>"
                f"{_html_inline(c)}</{tag}>" for i, c in enumerate(row))
        body = "".join(f"<tr>{cells('td', row)}</tr>" for row in block.zeilen)
        return (f"<table><thead><tr>{cells('th', block.kopf)}</tr></thead>"
                f"<tbody>{body}</tbody></table>")
    return f"<p>{_html_inline(block.inhalt)}</p>"


def _html_align(ausrichtung: str | None) -> str:
    return f' style="text-align:{ausrichtung}"' if ausrichtung in ("left", "center", "right") else ""


def _html_inline(inhalt: Inhalt) -> str:
    out = []
    for lauf in inhalt:
        if lauf.umbruch:
            out.append("<br>")
            continue
        text = str(escape(lauf.text))
        if lauf.kursiv:
            text = f"<em>{text}</em>"
        if lauf.fett:
            text = f"<strong>{text}</strong>"
        out.append(text)
    return "".join(out)
