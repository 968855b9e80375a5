"""Wikitext to plain text with anchors: the text a reader sees, one line per paragraph line, list item or
heading, and the character spans that link to other articles of the same wiki.

How it goes:

1. A pre-pass over the whole page with regular expressions and balanced-brace scanning removes comments,
   ``<ref>``s and the other extension tags that show no running text, escapes ``<nowiki>`` (its ends
   become a zero-width mark, removed last, that separates quotes and ends link trails) and the TeX source
   ``<math>``/``<chem>`` show, expands templates (``templates.Expander``: almost all dropped, those of
   ``registry`` rendered), removes tables,
   file, category and language links and behaviour switches; strips inline HTML tags keeping their text
   (``<br>`` and block tags become line breaks) and decodes HTML entities (``&nbsp;`` to a plain space)
   except those standing for markup characters.
2. Each line is classified (heading, list item, definition term and definition, rule, paragraph), bold
   and italic quotes are rendered by MediaWiki's rules, and the content converted. Content made of plain text
   and simple ``[[links]]`` only, most lines of an article, takes a fast path of regular expressions;
   anything else is parsed by mwparserfromhell. Both paths share the link rules, so ``fast=False`` (every
   line through mwparserfromhell) gives the same result.
3. Lines are stripped, runs of spaces squeezed, empty lines dropped; anchor offsets follow.

Anchors are made for links to articles (namespace 0) of the same wiki, including the local title of
``{{仮リンク}}``/``{{ill}}`` templates, which also give the English title they name. Links to other
namespaces, interwiki links and same-page ``[[#section]]`` links show their text without an anchor; links
MediaWiki refuses (``[[./foo]]``, ``[[Project:]]``, ``[[http://...]]``) show their markup. The rules follow
MediaWiki's parser tests (docs/limitations.md lists where they differ).
"""

from __future__ import annotations

import datetime
import html
import re
from functools import lru_cache
from typing import NamedTuple

from leia.wiki import langconv
from leia.wiki.siteinfo import SiteInfo
from leia.wiki.interlanguage import Parser, interlanguage_templates
from leia.wiki.templates import (
    ILL_CLOSE,
    ILL_OPEN,
    Arguments,
    Expander,
    PageContext,
    TooDeep,
    split_arguments,
    template_key,
)
from leia.wiki.titles import (
    LANGUAGE_CODES,
    URL_PROTOCOLS,
    decode_percent,
    external_prefix,
    invalid_title,
    link_trail,
    normalize_title,
)

__all__ = [
    "Anchor",
    "Parsed",
    "UnparsablePage",
    "MAX_PAGE_CHARS",
    "BREAK",
    "finish_line",
    "trim_anchors",
    "to_text",
    "harvest_interlanguage_links",
]

MAX_PAGE_CHARS = 4_000_000

BREAK = "\ufdd0"  # a line break the text keeps; finish_line splits there
_MARK = "\ufdd3"
_HOLD = "\ufdd4"
_HOLDS = re.compile(_HOLD)
_CACHE_LIMIT = 200_000
_MAX_LINE_MARKUP = 1_000
_SENTINELS = re.compile("[\ufdd0-\ufdd4]")


class Anchor(NamedTuple):
    """``text[start:end]`` links to the article ``target`` (normalised title); ``english`` is the English
    title the wikitext names inline for this mention (``{{仮リンク}}``, ``{{ill}}``), else None."""

    start: int
    end: int
    target: str
    english: str | None


class Parsed(NamedTuple):
    """A page's plain text (lines joined by ``\\n``, none empty) and its anchors in text order."""

    text: str
    anchors: list[Anchor]


class UnparsablePage(Exception):
    """A page the converter cannot handle (too large, nested too deep, or the parser gave up): the caller
    counts it and skips it."""


_DROPPED_TAGS = (
    "ref|references|math|chem|ce|syntaxhighlight|source|score|timeline|gallery|graph|hiero|imagemap|"
    "templatedata|templatestyles|mapframe|maplink|categorytree|inputbox|section|indicator|charinsert|"
    "includeonly|table|dynamicpagelist|phonos"
)
_DROPPED_NAMES = frozenset(_DROPPED_TAGS.split("|"))
# Tags MediaWiki renders (its HTML allow-list, the extension tags of Wikipedia, transclusion markers); any
# other tag is shown as text, as MediaWiki escapes it.
_KNOWN_TAGS = _DROPPED_NAMES | frozenset(
    "b bdi del i ins u font big small sub sup h1 h2 h3 h4 h5 h6 cite code em s strike strong tt var div center "
    "blockquote ol ul dl caption pre ruby rb rp rt rtc p span abbr dfn kbd samp data time mark br wbr hr li dt "
    "dd meta link tr td th q bdo nowiki poem noinclude onlyinclude tbody".split())
# Every alternative starts with "<", outside the groups, so that the search skips to the next "<".
_BLOCKS = re.compile(
    r"<(?:!--.*?(?:-->|\Z)"
    r"|(nowiki|pre)(?:\s[^<>]*)?>((?:(?!<\1\b).)*?)</\1\s*>"
    r"|(nowiki\s*/>)"
    r"|/?(?:nowiki|noinclude|onlyinclude)\b[^<>]*>"
    r"|(math|chem|ce)(\s[^<>]*?)?(?<!/)>(.*?)</\4\s*>"
    rf"|({_DROPPED_TAGS})\b[^<>]*?(?:/>|>(?:(?:(?!<\7\b).)*?</\7\s*>)?)"
    rf"|/(?:{_DROPPED_TAGS})\s*>)",
    re.S | re.I,
)
_NOWIKI_IN_PRE = re.compile(r"<nowiki\s*>(.*?)</nowiki\s*>", re.S | re.I)
_DISPLAY_BLOCK = re.compile(r"display\s*=\s*[\"']?block", re.I)
_PROTECTED = frozenset("[]{}<>|'&=*#:;_~!-/")
_PROTECT = re.compile(r"(&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);)|[\[\]{}<>|'&=*#:;_~!\-/]")
_TABLE = re.compile(r"^[ \t:]*(\{\|)|^[ \t]*(\|\})", re.M)
_LINK_WITH_PREFIX = re.compile(r"\[\[(:?)[ \t]*([^\[\]|\n:]*):")
_LINK_TOKEN = re.compile(r"\[\[|\]\]")
_SWITCH = re.compile(
    r"__(?:[A-Z]+|[\u3040-\u30ff\u4e00-\u9fff]+|(?i:notoc|forcetoc|toc|noeditsection|newsectionlink|"
    r"nonewsectionlink|nogallery|hiddencat|expectunusedcategory|expectunusedtemplate|nocontentconvert|nocc|"
    r"notitleconvert|notc|index|noindex|staticredirect|disambig|archivedtalk|notalk))__"
)
_TAG_END = r"(?=[\s/>])[^<>]*>"
_INLINE_TAG = re.compile(
    r"</?(?:span|small|big|sup|sub|b|i|u|s|strike|del|ins|em|strong|font|abbr|code|tt|kbd|var|samp|cite|q|"
    rf"bdi|bdo|mark|dfn|time|data|ruby|rb|rp|rt|rtc|wbr|meta|link){_TAG_END}",
    re.I,
)
_BLOCK_TAG = re.compile(
    rf"</?(?:br|hr|p|div|center|blockquote|poem|li|ul|ol|dl|dt|dd|h[1-6]|tr|td|th|caption|tbody){_TAG_END}",
    re.I,
)
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*|רלמ|رلم);")
_PROTOCOLS = "|".join(re.escape(p) for p in URL_PROTOCOLS)
# A bracketed URL ends at an ideographic space, a tag or two apostrophes (MediaWiki has turned quotes
# into tags before it reads external links): a space makes that boundary explicit.
_PROTOCOL_FIRST = "".join(sorted({c for p in URL_PROTOCOLS for c in (p[0].lower(), p[0].upper())}))
_URL_BREAK = re.compile(
    rf"\[(?=[{_PROTOCOL_FIRST}])((?i:{_PROTOCOLS})(?:[^\s\[\]<>\"'\u3000]|'(?!'))*)(?:\u3000|(?=<(?!!--|/?(?:noinclude|includeonly|onlyinclude)\b)|''))"
)
_QUOTE_SPLIT = re.compile(r"('{2,})")
_QUOTE_RUNS = re.compile(r"'{2,}")
_QUOTES_IN_LINK = re.compile(r"\[\[[^\[\]\n]*''")
_QUOTED_LINK = re.compile(r"\[\[([^\[\]|\n]*)(\|[^\[\]\n]*)?\]\]")
_MARKERS = re.compile(r"[*#:;]+")
_SPECIAL_STARTS = frozenset("=*#:;-")

# A line that still holds a break, a nowiki mark, a tab or a run of spaces needs finish_line.
_needs_finish = re.compile("[\ufdd0\ufdd3\t]|  ").search
# First characters of a label-less link's title that shows otherwise than as written.
_SHOWN_AS_IS_NOT = frozenset(" \t:" + ILL_OPEN)
_FREE_URL = re.compile(r"(?<![\w/])(?i:" + "|".join(re.escape(p) for p in URL_PROTOCOLS if p != "//")
                       + r")[^\s\[\]<>\"]+")

_SAFE = r"[^\[\]{}<>&\n]"
_TITLE = r"[^\[\]{}<>&|\n]+"
_LABEL = r"[^\[\]{}<>&|\n]*"
# Characters without which a link target cannot be one MediaWiki refuses (titles.invalid_title).
_SUSPECT = re.compile("[%&~./:<>\\[\\]{}|\x00-\x1f\x7f\ufdd0-\ufdef\ufffd]")
_FAST_LINE = re.compile(rf"(?:{_SAFE}|\[\[{_TITLE}(?:\|{_LABEL})?\]\])*\Z")
_URL_START = re.compile(rf"[\s:]*(?i:{_PROTOCOLS})")


# Entities MediaWiki accepts besides HTML's: the right-to-left mark in Hebrew and Arabic letters.
_ENTITY_ALIASES = {"&רלמ;": "\u200f", "&رلم;": "\u200f"}


def _valid_code_point(code: int) -> bool:
    return code in (0x09, 0x0A) or 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD \
        or 0x10000 <= code <= 0x10FFFF


def _protect(text: str) -> str:
    """Markup characters as numeric entities, so that nothing after reads them as markup; entities are
    kept (MediaWiki shows ``<nowiki>&lt;</nowiki>`` as ``<``)."""
    return _PROTECT.sub(lambda m: m.group(1) or f"&#{ord(m.group())};", text)


def _block(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        if m.group(1).lower() == "nowiki":
            return _MARK + _protect(m.group(2)) + _MARK
        return BREAK + _protect(_NOWIKI_IN_PRE.sub(r"\1", m.group(2))) + BREAK
    if m.group(3) is not None:
        return _MARK
    if m.group(4) is not None:
        source = _protect(" ".join(m.group(6).split()))
        block = m.group(5) and _DISPLAY_BLOCK.search(m.group(5))
        return BREAK + source + BREAK if block else source
    if m.group().lstrip("</").lower().startswith("nowiki"):
        return _protect(m.group())
    return ""


def render_tags(text: str) -> str:
    """``text`` with its comments and extension tags rendered as the pre-pass renders a page's."""
    return _BLOCKS.sub(_block, text) if "<" in text else text


def _quote_text(line: str) -> str:
    """The text of a line once its bold and italic quotes are rendered, by MediaWiki's rules: a run of 4
    shows one apostrophe, a run of more than 5 shows the extra ones, and when both the bold and the italic
    runs are odd in number one bold run shows an apostrophe and becomes italic (the first after a
    one-letter word, else after a longer word, else after a space)."""
    parts = _QUOTE_SPLIT.split(line)
    italics = bold = 0
    for i in range(1, len(parts), 2):
        n = len(parts[i])
        if n == 4:
            parts[i - 1] += "'"
            parts[i] = "'''"
        elif n > 5:
            parts[i - 1] += "'" * (n - 5)
            parts[i] = "'''''"
        n = len(parts[i])
        if n == 2:
            italics += 1
        elif n == 3:
            bold += 1
        else:
            italics += 1
            bold += 1
    if italics % 2 and bold % 2:
        single = multi = space = -1
        for i in range(1, len(parts), 2):
            if len(parts[i]) != 3:
                continue
            before = parts[i - 1]
            x1 = before[-1:]
            x2 = before[-2:-1] if len(before) >= 2 else before[:1]
            if x1 == " ":
                if space < 0:
                    space = i
            elif x2 == " ":
                single = i
                break
            elif multi < 0:
                multi = i
        chosen = single if single >= 0 else multi if multi >= 0 else space
        if chosen >= 0:
            parts[chosen - 1] += "'"
    return "".join(parts[0::2])


def _quotes(content: str) -> str:
    """``content`` with bold and italic quotes rendered; a link's target is left alone, its label rendered
    on its own, and the link counts as one letter of the line around it (as in MediaWiki, which replaces
    links by placeholders before it reads quotes)."""
    runs = _QUOTE_RUNS.findall(content)
    if "[[" not in content or not _QUOTES_IN_LINK.search(content):
        # The common case: runs of 2, 3 and 5 only, not both odd in number, none inside a link.
        lengths = [len(run) for run in runs]
        italics = sum(n != 3 for n in lengths)
        bold = sum(n != 2 for n in lengths)
        if all(n in (2, 3, 5) for n in lengths) and not (italics % 2 and bold % 2):
            return _QUOTE_RUNS.sub("", content)
        if "[[" not in content:
            return _quote_text(content)
    kept: list[str] = []

    def hold(m: re.Match[str]) -> str:
        label = m.group(2)
        if label and "''" in label:
            label = "|" + _quote_text(label[1:])
        kept.append(f"[[{m.group(1)}{label or ''}]]")
        return _HOLD

    text = _quote_text(_QUOTED_LINK.sub(hold, content))
    if not kept:
        return text
    held = iter(kept)
    return _HOLDS.sub(lambda m: next(held), text)


_FRAGMENT = re.compile(r"(\[\[[^\[\]{}|#<>\n]*#)([^\[\]{}|\n]*<[^\[\]{}|\n]*)(?=\]\]|\|)")


def _fragment(m: re.Match[str]) -> str:
    """A link whose ``#fragment`` holds ``<`` or ``>``: those as entities, so that the link stays a link."""
    return m.group(1) + m.group(2).replace("<", "&#60;").replace(">", "&#62;")


# A bare URL is shown with brackets and newlines percent-encoded, as MediaWiki shows them; only
# entities can put them there (a literal one ends the URL), so lines of the fast path never need this.
_URL_ESCAPED = re.compile(r"[\[\]\n]")


def _shown_url(url: str) -> str:
    if _URL_ESCAPED.search(url):
        return _URL_ESCAPED.sub(lambda m: f"%{ord(m.group()):02X}", url)
    return url


def _heading(line: str) -> str | None:
    """The title of a heading line (MediaWiki: the longest run of up to six ``=`` that both ends have,
    around at least one character), else None."""
    for level in range(6, 0, -1):
        mark = "=" * level
        if len(line) > 2 * level and line.startswith(mark) and line.endswith(mark):
            return line[level:-level].strip(" \t")
    return None


def _remove_tables(text: str) -> str:
    out: list[str] = []
    depth = 0
    last = 0
    begin = 0
    for m in _TABLE.finditer(text):
        if m.group(1):
            if depth == 0:
                begin = m.start()
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                end = text.find("\n", m.end())
                end = len(text) if end < 0 else end
                out.append(text[last:begin])
                last = end
    if depth:
        out.append(text[last:begin])
        last = len(text)
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _link_end(text: str, begin: int) -> int:
    depth = 0
    for m in _LINK_TOKEN.finditer(text, begin):
        if m.group() == "[[":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return m.end()
    return -1


class _Converter:
    """The per-wiki parts of the conversion: compiled link rules and a cache of resolved link titles."""

    def __init__(self, site: SiteInfo):
        self.site = site
        self.trail = link_trail(site.lang)
        trail = rf"({self.trail.pattern})?" if self.trail else "()"
        self.fast_link = re.compile(rf"\[\[({_TITLE})(?:\|({_LABEL}))?\]\]{trail}")
        # Text just after a link and its trail: an entity there must stay one, not join the trail.
        self.after_link = re.compile(rf"\]\](?:{self.trail.pattern})?\Z" if self.trail else r"\]\]\Z")
        self.cache: dict[str, tuple[int, str | None]] = {}

    def prepare(self, wikitext: str, expander: Expander, variant: str | None = None) -> str:
        text = _SENTINELS.sub("", wikitext).replace("\r\n", "\n")
        if "\x00" in text:
            text = text.replace("\x00", "")
        if "[" in text and ("\u3000" in text or "<" in text or "''" in text):
            text = _URL_BREAK.sub(r"[\1 ", text)
        if "<" in text:
            text = _BLOCKS.sub(_block, text)
        try:
            text = expander.expand(text)
        except TooDeep as exc:
            raise UnparsablePage(str(exc)) from None
        if "-{" in text and langconv.has_converter(self.site.lang):
            text = langconv.convert(text, langconv.check_variant(variant))
        if "{|" in text:
            text = _remove_tables(text)
        if "[[" in text:
            text = self._remove_hidden_links(text)
            if "#<" in text:
                text = _FRAGMENT.sub(_fragment, text)
        if "__" in text:
            text = _SWITCH.sub("", text)
        if "<" in text:
            text = _INLINE_TAG.sub("", text)
            text = _BLOCK_TAG.sub(BREAK, text)
        if "&" in text:
            text = _ENTITY.sub(self._entity, text)
        return text

    def _entity(self, m: re.Match[str]) -> str:
        """An entity decoded, except where the character would act as markup (kept as a numeric entity,
        which the parser shows as the character) or would join a link's trail; a reference to a code point
        HTML does not allow is shown as written, as MediaWiki does."""
        text = m.group()
        if text[1] == "#":
            code = int(text[3:-1], 16) if text[2] in "xX" else int(text[2:-1])
            if not _valid_code_point(code):
                return "&#38;" + text[1:]
            char = chr(code)
        else:
            char = _ENTITY_ALIASES.get(text) or html.unescape(text)
        if char == text or char in "\n\r\t":
            return text
        if len(char) != 1:
            return text if any(c in _PROTECTED for c in char) else char
        if char in _PROTECTED:
            return f"&#{ord(char)};"
        if m.start() >= 2 and self.after_link.search(m.string, max(0, m.start() - 64), m.start()):
            return f"&#{ord(char)};"
        return " " if char == "\u00a0" else char

    def _remove_hidden_links(self, text: str) -> str:
        out: list[str] = []
        last = 0
        pos = 0
        while True:
            m = _LINK_WITH_PREFIX.search(text, pos)
            if m is None:
                break
            pos = m.end()
            if m.group(1) or m.start() < last:
                continue
            prefix = m.group(2).strip()
            namespace = self.site.namespace_id(prefix)
            if namespace not in (6, 14) and prefix.lower() not in LANGUAGE_CODES:
                continue
            end = _link_end(text, m.start())
            if end < 0:
                continue
            out.append(text[last:m.start()])
            last = pos = end
        if not out:
            return text
        out.append(text[last:])
        return "".join(out)

    _DROP, _TEXT, _ANCHOR, _LITERAL = 0, 1, 2, 3  # fast() tests _ANCHOR as 2

    def resolve(self, title: str, links: list[tuple[str, str | None]]) -> tuple[int, str | None, str | None]:
        """(what to do, target, English title) for a link title: drop it, show its text, anchor it, or show
        the link's markup as text (a title MediaWiki refuses)."""
        english = None
        if title.startswith(ILL_OPEN):
            local, english = links[int(title[1:title.index(ILL_CLOSE)])]
            title = local
        found = self.cache.get(title)
        if found is None:
            found = self._resolve(title)
            self.cache[title] = found
        return found[0], found[1], english

    def _resolve(self, title: str) -> tuple[int, str | None]:
        stripped = title.strip()
        if (not stripped or _SUSPECT.search(stripped)) and invalid_title(stripped, self.site):
            return self._LITERAL, None
        colon = stripped.startswith(":")
        if decode_percent(stripped).lstrip(":").lstrip().startswith("#"):
            return self._TEXT, None
        prefix = external_prefix(stripped) if ":" in stripped else None
        if prefix is not None:
            return (self._TEXT if colon or prefix not in LANGUAGE_CODES else self._DROP), None
        normalized = normalize_title(stripped, self.site)
        if normalized is None:
            return self._TEXT, None
        namespace, target = normalized
        if namespace == 0:
            return self._ANCHOR, target
        if namespace in (6, 14) and not colon:
            return self._DROP, None
        return self._TEXT, None

    def shown(self, title: str, label: str | None, links: list[tuple[str, str | None]],
              display: str | None = None) -> str:
        """What a link shows: its label, else its title as written (``display``: the title with entities
        decoded) with %-escapes decoded and without the leading colon."""
        if label:
            return label
        if title.startswith(ILL_OPEN):
            return links[int(title[1:title.index(ILL_CLOSE)])][0]
        written = title if display is None else display
        if "%" in written:
            written = decode_percent(written)
        stripped = written.lstrip()
        return stripped[1:] if stripped.startswith(":") else written

    @staticmethod
    def literal(display: str, label: str | None) -> str:
        return f"[[{display}]]" if label is None else f"[[{display}|{label}]]"

    def fast(
        self, content: str, links: list[tuple[str, str | None]], offset: int
    ) -> tuple[str, list[Anchor], bool] | None:
        """Text and anchors (offsets from ``offset``) of content made of plain text and simple links, and
        whether it still needs ``finish_line`` (a label with surrounding spaces, a break, a run of spaces);
        None when a link's target is a URL (``[[http://x y]]`` holds an external link: the parser's job)."""
        out: list[str] = []
        anchors: list[Anchor] = []
        length = offset
        last = 0
        clean = True
        cache = self.cache
        for m in self.fast_link.finditer(content):
            title, label, trail = m.groups()
            start = m.start()
            if start > last:
                out.append(content[last:start])
                length += start - last
            if title[0] == ILL_OPEN:
                kind, target, english = self.resolve(title, links)
            else:
                found = cache.get(title)
                if found is None:
                    found = self._resolve(title)
                    cache[title] = found
                kind, target = found
                english = None
            if kind == 2 and label != "":  # an anchor: the common case first
                if label:
                    shown = label
                elif "%" not in title and title[0] not in _SHOWN_AS_IS_NOT:
                    shown = title
                else:
                    shown = self.shown(title, label, links)
                if trail:
                    shown += trail
                anchors.append(Anchor(length, length + len(shown), target, english))
                if shown[0].isspace() or shown[-1].isspace():
                    clean = False
                out.append(shown)
                length += len(shown)
                last = m.end()
                continue
            if kind == self._DROP:
                last = m.start(3) if trail else m.end()
                continue
            if kind == self._LITERAL or label == "":
                if _URL_START.match(title):
                    return None
                shown = self.literal(title, label)
                last = m.start(3) if trail else m.end()
                out.append(shown)
                length += len(shown)
                continue
            shown = label or self.shown(title, label, links)
            if trail:
                shown += trail
            out.append(shown)
            length += len(shown)
            last = m.end()
        out.append(content[last:])
        return "".join(out), anchors, clean

    def slow(self, content: str, links: list[tuple[str, str | None]]) -> tuple[str, list[Anchor]]:
        import mwparserfromhell

        if content.count("[") + content.count("<") > _MAX_LINE_MARKUP:
            raise UnparsablePage(f"a line with more than {_MAX_LINE_MARKUP} brackets for the parser")
        try:
            code = mwparserfromhell.parse(content, skip_style_tags=True)
            out: list[str] = []
            anchors: list[Anchor] = []
            self._nodes(code.nodes, out, anchors, links)
        except RecursionError:
            raise UnparsablePage("markup nested too deep") from None
        except mwparserfromhell.parser.ParserError as exc:
            raise UnparsablePage(f"mwparserfromhell failed: {exc}") from None
        return "".join(out), anchors

    def _plain(self, nodes, links: list[tuple[str, str | None]]) -> str:
        out: list[str] = []
        self._nodes(nodes, out, None, links)
        return "".join(out)

    def _nodes(self, nodes, out: list[str], anchors: list[Anchor] | None, links) -> None:
        from mwparserfromhell import nodes as n

        skip = 0
        for index, node in enumerate(nodes):
            if isinstance(node, n.Text):
                out.append(node.value[skip:])
                skip = 0
            elif isinstance(node, n.Wikilink):
                following = nodes[index + 1] if index + 1 < len(nodes) else None
                skip = self._wikilink(node, following, out, anchors, links)
            elif isinstance(node, n.ExternalLink):
                if node.brackets:
                    if node.title is not None:
                        self._nodes(node.title.nodes, out, anchors, links)
                else:
                    out.append(_shown_url(html.unescape(str(node.url)[skip:])))
                skip = 0
            elif isinstance(node, n.Tag):
                self._tag(node, out, anchors, links)
            elif isinstance(node, n.HTMLEntity):
                char = html.unescape(str(node))
                out.append(" " if char == "\u00a0" else char)
            elif isinstance(node, n.Heading):
                mark = "=" * node.level
                out.append(mark)
                self._nodes(node.title.nodes, out, anchors, links)
                out.append(mark)
            elif isinstance(node, (n.Comment, n.Template, n.Argument)):
                continue
            else:
                out.append(str(node))

    def _wikilink(self, node, following, out: list[str], anchors: list[Anchor] | None, links) -> int:
        """Append what a link shows; return how many characters of the following text it took (its
        trail, or the ``]`` that closes a label holding a ``[``)."""
        from mwparserfromhell import nodes as n

        title = str(node.title)
        kind, target, english = self.resolve(title, links)
        if kind == self._DROP:
            return 0
        label = None if node.text is None else self._label(node.text.nodes, links)
        if kind == self._LITERAL or label == "" or (
                node.text is not None and any(isinstance(x, n.Wikilink) for x in node.text.nodes)):
            out.append("[[" + self._plain(node.title.nodes, links))
            if node.text is not None:
                out.append("|")
                self._nodes(node.text.nodes, out, anchors, links)
            out.append("]]")
            return 0
        skip = 0
        if label is not None and "[" in label and isinstance(following, n.Text) \
                and following.value.startswith("]"):
            label += "]"
            skip = 1
        display = None if label else self._plain(node.title.nodes, links)
        shown = self.shown(title, label, links, display)
        if isinstance(following, n.Text):
            after = following.value
        elif isinstance(following, n.ExternalLink) and not following.brackets:
            after = str(following.url)
        else:
            after = ""
        if self.trail is not None and after and not skip:
            m = self.trail.match(after)
            if m:
                shown += m.group()
                skip = m.end()
        if kind == self._ANCHOR and anchors is not None:
            start = sum(map(len, out))
            anchors.append(Anchor(start, start + len(shown), target, english))
        out.append(shown)
        return skip

    def _label(self, nodes, links) -> str:
        """The text of a link's label: an external link inside it is shown as written (MediaWiki keeps a
        label aside while it reads external links)."""
        from mwparserfromhell import nodes as n

        out: list[str] = []
        for node in nodes:
            if isinstance(node, n.ExternalLink) and node.brackets:
                out.append(html.unescape(str(node)))
            else:
                self._nodes([node], out, None, links)
        return "".join(out)

    def _tag(self, node, out: list[str], anchors: list[Anchor] | None, links) -> None:
        if node.wiki_markup:
            out.append(str(node))
            return
        name = str(node.tag).strip().lower()
        if name in ("br", "hr"):
            out.append(BREAK)
            return
        if name in _DROPPED_NAMES:
            return
        if name in ("nowiki", "pre"):
            out.append(str(node.contents or ""))
            return
        known = name in _KNOWN_TAGS
        if not known:
            attributes = "".join(str(attribute) for attribute in node.attributes)
            out.append(f"<{node.tag}{attributes}{node.padding}{'/>' if node.self_closing else '>'}")
        if not node.self_closing and node.contents is not None:
            self._nodes(node.contents.nodes, out, anchors, links)
            if not known and not node.implicit:
                out.append(f"</{node.closing_tag}>")

    def convert(self, wikitext: str, fast: bool, context: PageContext = PageContext(),
                variant: str | None = None) -> Parsed:
        if len(self.cache) > _CACHE_LIMIT:
            self.cache.clear()
        expander = Expander(self.site, context)
        text = self.prepare(wikitext, expander, variant)
        links = expander.links
        lines: list[str] = []
        anchors: list[Anchor] = []
        offset = 0
        fast_line = _FAST_LINE.match if fast else None
        needs_finish = _needs_finish
        for raw in text.split("\n"):
            line = raw.strip()
            if not line:
                continue
            if line[0] in _SPECIAL_STARTS and raw[0] not in " \t":
                contents = self._contents(line)
            else:
                contents = (line,)
            for content in contents:
                if "''" in content:
                    content = _quotes(content).strip()
                    if not content:
                        continue
                if fast_line is not None and fast_line(content):
                    if "[[" not in content:
                        if not needs_finish(content):
                            lines.append(content)
                            offset += len(content) + 1
                            continue
                        converted, found = content, []
                    else:
                        done = self.fast(content, links, offset)
                        if done is None:
                            converted, found = self.slow(content, links)
                        else:
                            converted, found, clean = done
                            if clean and not needs_finish(converted) and converted == converted.strip() \
                                    and converted:
                                lines.append(converted)
                                anchors.extend(found)
                                offset += len(converted) + 1
                                continue
                            found = [Anchor(a.start - offset, a.end - offset, a.target, a.english)
                                     for a in found]
                else:
                    converted, found = self.slow(content, links)
                if ILL_OPEN in converted:
                    converted, found = _unplaced(converted, links), []
                for piece, piece_anchors in finish_line(converted, found):
                    lines.append(piece)
                    anchors.extend(Anchor(a.start + offset, a.end + offset, a.target, a.english)
                                   for a in piece_anchors)
                    offset += len(piece) + 1
        return Parsed("\n".join(lines), anchors)

    def _contents(self, line: str) -> list[str]:
        head = line[0]
        if head == "=":
            title = _heading(line)
            if title is None:
                return [line]
            title = title.strip()
            return [title] if title else []
        if head in "*#:;":
            markers = _MARKERS.match(line).group()
            content = line[len(markers):].strip()
            if markers.endswith(";"):
                return [part for part in _split_definition(content) if part]
            return [content] if content else []
        if line.startswith("----"):
            rest = line.lstrip("-").strip()
            return [rest] if rest else []
        return [line]


_PLACEHOLDER = re.compile(f"\\[*{ILL_OPEN}([0-9]+){ILL_CLOSE}(\\|?)")


def _unplaced(line: str, links: list[tuple[str, str | None]]) -> str:
    """A line where an interlanguage link did not end up as a link: its key dropped before a label, else
    replaced by its local title."""
    return _PLACEHOLDER.sub(lambda m: "" if m.group(2) else links[int(m.group(1))][0], line)


_DEFINITION_TOKEN = re.compile(r"\[\[|\]\]|\[|\]|<(/?)[A-Za-z][^<>]*?(/?)>|'{2,}|:")


def _split_definition(content: str) -> list[str]:
    """``;term:definition`` split at the first colon that MediaWiki would split at: one outside links,
    external links and URLs, HTML elements, and bold or italic text."""
    depth = 0
    quotes = 0
    urls = [(m.start(), m.end()) for m in _FREE_URL.finditer(content)] if ":" in content else []
    for m in _DEFINITION_TOKEN.finditer(content):
        token = m.group()
        if token == ":":
            if depth == 0 and quotes == 0 and not any(a <= m.start() < b for a, b in urls):
                return [content[:m.start()].strip(), content[m.end():].strip()]
        elif token in ("[[", "["):
            depth += 1
        elif token in ("]]", "]"):
            depth = max(0, depth - 1)
        elif token[0] == "'":
            n = len(token)
            quotes ^= 1 if n == 2 else 2 if n in (3, 4) else 3
        elif m.group(1):
            depth = max(0, depth - 1)
        elif not m.group(2) and token[1:3].lower() not in ("br", "hr"):
            depth += 1
    return [content]


def finish_line(line: str, anchors: list[Anchor]) -> list[tuple[str, list[Anchor]]]:
    """Split at line breaks, strip, squeeze runs of spaces and tabs, drop nowiki marks; anchors are trimmed
    of surrounding whitespace, and dropped when they cross a break or show nothing."""
    if not _needs_finish(line) and line == line.strip():
        if not line:
            return []
        return [(line, trim_anchors(line, anchors))]
    result: list[tuple[str, list[Anchor]]] = []
    base = 0
    for piece in line.split(BREAK):
        end = base + len(piece)
        inside = [a for a in anchors if a.start >= base and a.end <= end]
        squeezed, mapped = _squeeze(piece, base, inside)
        if squeezed:
            result.append((squeezed, trim_anchors(squeezed, mapped)))
        base = end + 1
    return result


def trim_anchors(line: str, anchors: list[Anchor]) -> list[Anchor]:
    """``anchors`` in ``line`` without surrounding whitespace; those that show nothing are dropped."""
    result: list[Anchor] = []
    for a in anchors:
        start, end = a.start, a.end
        while start < end and line[start].isspace():
            start += 1
        while end > start and line[end - 1].isspace():
            end -= 1
        if start < end:
            result.append(a if (start, end) == (a.start, a.end) else Anchor(start, end, a.target, a.english))
    return result


def _squeeze(piece: str, base: int, anchors: list[Anchor]) -> tuple[str, list[Anchor]]:
    n = len(piece)
    left = 0
    while left < n and (piece[left].isspace() or piece[left] == _MARK):
        left += 1
    right = n
    while right > left and (piece[right - 1].isspace() or piece[right - 1] == _MARK):
        right -= 1
    positions = [0] * (n + 1)
    out: list[str] = []
    length = 0
    previous_space = False
    for i, char in enumerate(piece):
        positions[i] = length
        if i < left or i >= right or char == _MARK:
            continue
        space = char in " \t"
        if space and previous_space:
            continue
        out.append(" " if space else char)
        length += 1
        previous_space = space
    positions[n] = length
    mapped = [Anchor(positions[a.start - base], positions[a.end - base], a.target, a.english) for a in anchors]
    return "".join(out), mapped


_CONVERTERS: dict[int, tuple[SiteInfo, _Converter]] = {}


def _converter(site: SiteInfo) -> _Converter:
    cached = _CONVERTERS.get(id(site))
    if cached is None or cached[0] is not site:
        if len(_CONVERTERS) >= 16:
            _CONVERTERS.clear()
        cached = (site, _Converter(site))
        _CONVERTERS[id(site)] = cached
    return cached[1]


def to_text(
    wikitext: str, site: SiteInfo, *, fast: bool = True, title: str | None = None,
    date: datetime.date | None = None, variant: str | None = None,
) -> Parsed:
    """The plain text of a page and its anchors (see the module docstring for the rules). ``fast=False``
    sends every line through mwparserfromhell; the result is the same. ``title`` and ``date`` (the
    revision's date) are what page-dependent templates and magic words render from; ``variant`` is the
    language variant ``-{...}-`` markup shows on wikis with a language converter (zh; default
    ``langconv.DEFAULT_VARIANT``, ConfigError for an unknown one). Raises UnparsablePage for a page
    over MAX_PAGE_CHARS, with templates carrying text nested deeper than templates.MAX_DEPTH, with a line
    the parser would take quadratic time on (over 1,000 brackets or tags that the fast path cannot
    take), or that the parser fails on."""
    if len(wikitext) > MAX_PAGE_CHARS:
        raise UnparsablePage(f"page of {len(wikitext)} characters (limit {MAX_PAGE_CHARS})")
    if variant is not None:
        langconv.check_variant(variant)
    try:
        return _converter(site).convert(wikitext, fast, PageContext(title, date), variant)
    except RecursionError:
        raise UnparsablePage("markup nested too deep") from None


@lru_cache(maxsize=32)
def _ill_start(lang: str) -> tuple[re.Pattern[str], dict[str, Parser]]:
    """The pattern that finds the interlanguage-link templates of wiki language ``lang`` and their parsers by
    case-folded name (as the registry, case variants of a name are read as redirects)."""
    table = interlanguage_templates(lang)
    names = sorted(table, key=len, reverse=True)
    alternatives = "|".join(re.escape(name).replace("\\ ", "[ _]+") for name in names)
    pattern = re.compile(rf"\{{\{{\s*(?:template:|テンプレート:)?\s*({alternatives})\s*\|", re.I)
    return pattern, {template_key(name).casefold(): parse for name, parse in table.items()}


_BRACES = re.compile(r"\{\{|\}\}")
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)|<nowiki\s*>.*?</nowiki\s*>", re.S | re.I)


def harvest_interlanguage_links(wikitext: str, site: SiteInfo) -> list[tuple[str, str]]:
    """``(normalised local title, English title)`` of every interlanguage-link template of a page
    (``{{仮リンク|日本語|en|English}}``, ``{{ill|...}}``, and the other wikis' equivalents in
    ``interlanguage.INTERLANGUAGE_TEMPLATES``) whose local title is an article title and which
    names an English title; outside comments and ``<nowiki>``. Cheap: only those templates are looked at."""
    if "{{" not in wikitext:
        return []
    if "<!--" in wikitext or "nowiki" in wikitext:
        wikitext = _COMMENT.sub("", wikitext)
    pattern, parsers = _ill_start(site.lang)
    found: list[tuple[str, str]] = []
    for m in pattern.finditer(wikitext):
        parse = parsers.get(template_key(m.group(1)).casefold())
        if parse is None:
            continue
        end = _template_end(wikitext, m.start())
        if end < 0:
            continue
        _, positional, named = split_arguments(wikitext[m.start() + 2:end - 2])
        link = parse(Arguments(positional, named))
        if link.english is None:
            continue
        normalized = normalize_title(link.local, site)
        if normalized is not None and normalized[0] == 0:
            found.append((normalized[1], link.english))
    return found


def _template_end(text: str, begin: int) -> int:
    depth = 0
    for m in _BRACES.finditer(text, begin):
        depth += 1 if m.group() == "{{" else -1
        if depth == 0:
            return m.end()
    return -1
