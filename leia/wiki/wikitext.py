"""Wikitext to plain text with anchors: the text a reader sees, one line per paragraph line, list item or
heading, and the character spans that link to other articles of the same wiki.

How it goes:

1. A pre-pass over the whole page with regular expressions and balanced-brace scanning removes comments,
   ``<ref>``s and the other extension tags that show no running text, escapes ``<nowiki>``, expands
   templates (``templates.Expander``: almost all dropped, the few carrying text rendered), removes tables,
   file, category and language links and behaviour switches; strips inline HTML tags keeping their text
   (``<br>`` and block tags become line breaks) and decodes HTML entities (``&nbsp;`` to a plain space)
   except those standing for markup characters.
2. Each line is classified (heading, list item, definition term and definition, rule, paragraph), bold
   and italic quotes are removed from its content, and the content converted. Content made of plain text
   and simple ``[[links]]`` only, most lines of an article, takes a fast path of regular expressions;
   anything else is parsed by mwparserfromhell. Both paths share the link rules, so ``fast=False`` (every
   line through mwparserfromhell) gives the same result.
3. Lines are stripped, runs of spaces squeezed, empty lines dropped; anchor offsets follow.

Anchors are made for links to articles (namespace 0) of the same wiki, including the local title of
``{{仮リンク}}``/``{{ill}}`` templates, which also give the English title they name. Links to other
namespaces, interwiki links and same-page ``[[#section]]`` links show their text without an anchor.
"""

from __future__ import annotations

import datetime
import html
import re
from typing import NamedTuple

from leia.wiki import langconv
from leia.wiki.siteinfo import SiteInfo
from leia.wiki.templates import (
    ILL_CLOSE,
    ILL_OPEN,
    ILL_TEMPLATES,
    Expander,
    PageContext,
    TooDeep,
    ill_english,
    split_arguments,
)
from leia.wiki.titles import LANGUAGE_CODES, external_prefix, link_trail, normalize_title

__all__ = [
    "Anchor",
    "Parsed",
    "UnparsablePage",
    "MAX_PAGE_CHARS",
    "to_text",
    "harvest_interlanguage_links",
]

MAX_PAGE_CHARS = 4_000_000

_BREAK = "\ufdd0"
_CACHE_LIMIT = 200_000
_MAX_LINE_MARKUP = 1_000
_SENTINELS = re.compile("[\ufdd0-\ufdd2]")


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
_BLOCKS = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<(nowiki|pre)(?:\s[^<>]*)?>((?:(?!<\1\b).)*?)</\1\s*>"
    r"|</?nowiki\s*/?>"
    rf"|<({_DROPPED_TAGS})\b[^<>]*?(?:/>|>(?:(?:(?!<\3\b).)*?</\3\s*>)?)"
    rf"|</(?:{_DROPPED_TAGS})\s*>",
    re.S | re.I,
)
_PROTECTED = frozenset("[]{}<>|'&=*#:;_~!-/")
_PROTECT = re.compile(r"[\[\]{}<>|'&=*#:;_~!\-/]")
_TABLE = re.compile(r"^[ \t:]*(\{\|)|^[ \t]*(\|\})", re.M)
_LINK_WITH_PREFIX = re.compile(r"\[\[(:?)[ \t]*([^\[\]|\n:]*):")
_LINK_TOKEN = re.compile(r"\[\[|\]\]")
_SWITCH = re.compile(r"__(?:[A-Z]+|[\u3040-\u30ff\u4e00-\u9fff]+)__")
_INLINE_TAG = re.compile(
    r"</?(?:span|small|big|sup|sub|b|i|u|s|strike|del|ins|em|strong|font|abbr|code|tt|kbd|var|samp|cite|q|"
    r"bdi|bdo|mark|dfn|time|data|ruby|rb|rp|rt|rtc|onlyinclude|noinclude|wbr)\b[^<>]*>",
    re.I,
)
_BLOCK_TAG = re.compile(
    r"</?(?:br|hr|p|div|center|blockquote|poem|li|ul|ol|dl|dt|dd|h[1-6]|tr|td|th|caption|tbody)\b[^<>]*>",
    re.I,
)
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_QUOTES = re.compile(r"'{2,}")
_HEADING = re.compile(r"(={1,6})(.+?)(={1,6})\s*$")
_MARKERS = re.compile(r"[*#:;]+")
_SPECIAL_STARTS = frozenset("=*#:;-")
_SQUEEZE = re.compile(r"[ \t]{2,}|\t")

_SAFE = r"[^\[\]{}<>&\n]"
_TITLE = r"[^\[\]{}<>&|\n]+"
_LABEL = r"[^\[\]{}<>&|\n]*"
_FAST_LINE = re.compile(rf"(?:{_SAFE}|\[\[{_TITLE}(?:\|{_LABEL})?\]\])*\Z")


def _protect(text: str) -> str:
    return _PROTECT.sub(lambda m: f"&#{ord(m.group())};", text)


def _block(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        body = _protect(m.group(2))
        return body if m.group(1).lower() == "nowiki" else _BREAK + body + _BREAK
    return ""


def render_tags(text: str) -> str:
    """``text`` with its comments and extension tags rendered as the pre-pass renders a page's."""
    return _BLOCKS.sub(_block, text) if "<" in text else text


def _entity(m: re.Match[str]) -> str:
    text = m.group()
    char = html.unescape(text)
    if char == text or len(char) != 1 or char in _PROTECTED or char in "\n\r\t":
        return text
    return " " if char == "\u00a0" else char


def _quotes(m: re.Match[str]) -> str:
    n = len(m.group())
    if n == 4:
        return "'"
    return "'" * (n - 5) if n > 5 else ""


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
        self.cache: dict[str, tuple[int, str | None]] = {}

    def prepare(self, wikitext: str, expander: Expander, variant: str | None = None) -> str:
        text = _SENTINELS.sub("", wikitext).replace("\r\n", "\n")
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
        if "__" in text:
            text = _SWITCH.sub("", text)
        if "<" in text:
            text = _INLINE_TAG.sub("", text)
            text = _BLOCK_TAG.sub(_BREAK, text)
        if "&" in text:
            text = _ENTITY.sub(_entity, text)
        return text

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

    _DROP, _TEXT, _ANCHOR = 0, 1, 2

    def resolve(self, title: str, links: list[tuple[str, str | None]]) -> tuple[int, str | None, str | None]:
        """(what to do, target, English title) for a link title: drop it, show its text, or anchor it."""
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
        colon = stripped.startswith(":")
        if stripped.lstrip(":").lstrip().startswith("#"):
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
        decoded) without the leading colon."""
        if label:
            return label
        if title.startswith(ILL_OPEN):
            return links[int(title[1:title.index(ILL_CLOSE)])][0]
        written = title if display is None else display
        stripped = written.lstrip()
        return stripped[1:] if stripped.startswith(":") else written

    def fast(
        self, content: str, links: list[tuple[str, str | None]], offset: int
    ) -> tuple[str, list[Anchor], bool]:
        """Text and anchors (offsets from ``offset``) of content made of plain text and simple links, and
        whether it still needs ``_finish`` (a label with surrounding spaces, a break, a run of spaces)."""
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
            if kind == self._DROP:
                last = m.start(3) if trail else m.end()
                continue
            shown = label or self.shown(title, label, links)
            if trail:
                shown += trail
            if kind == self._ANCHOR:
                anchors.append(Anchor(length, length + len(shown), target, english))
                if shown[0].isspace() or shown[-1].isspace():
                    clean = False
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
                skip = 0
                title = str(node.title)
                kind, target, english = self.resolve(title, links)
                if kind == self._DROP:
                    continue
                label = None if node.text is None else self._plain(node.text.nodes, links)
                display = None if label else self._plain(node.title.nodes, links)
                shown = self.shown(title, label, links, display)
                following = nodes[index + 1] if index + 1 < len(nodes) else None
                if self.trail is not None and isinstance(following, n.Text):
                    m = self.trail.match(following.value)
                    if m:
                        shown += m.group()
                        skip = m.end()
                if kind == self._ANCHOR and anchors is not None:
                    start = sum(map(len, out))
                    anchors.append(Anchor(start, start + len(shown), target, english))
                out.append(shown)
            elif isinstance(node, n.ExternalLink):
                if node.brackets:
                    if node.title is not None:
                        out.append(self._plain(node.title.nodes, links))
                else:
                    out.append(str(node.url))
            elif isinstance(node, n.Tag):
                out.append(self._tag(node, links))
            elif isinstance(node, n.HTMLEntity):
                char = html.unescape(str(node))
                out.append(" " if char == "\u00a0" else char)
            elif isinstance(node, n.Heading):
                mark = "=" * node.level
                out.append(mark + self._plain(node.title.nodes, links) + mark)
            elif isinstance(node, (n.Comment, n.Template, n.Argument)):
                continue
            else:
                out.append(str(node))

    def _tag(self, node, links) -> str:
        if node.wiki_markup:
            return str(node)
        name = str(node.tag).strip().lower()
        if name in ("br", "hr"):
            return _BREAK
        if name in _DROPPED_NAMES:
            return ""
        if name in ("nowiki", "pre"):
            return str(node.contents or "")
        if node.self_closing or node.contents is None:
            return ""
        return self._plain(node.contents.nodes, links)

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
        for raw in text.split("\n"):
            line = raw.strip()
            if not line:
                continue
            for content in self._contents(line) if line[0] in _SPECIAL_STARTS else (line,):
                if "''" in content:
                    content = _QUOTES.sub(_quotes, content).strip()
                    if not content:
                        continue
                if fast_line is not None and fast_line(content):
                    if "[[" not in content:
                        if _BREAK not in content and not _SQUEEZE.search(content):
                            lines.append(content)
                            offset += len(content) + 1
                            continue
                        converted, found = content, []
                    else:
                        converted, found, clean = self.fast(content, links, offset)
                        if clean and _BREAK not in converted and not _SQUEEZE.search(converted) \
                                and converted == converted.strip() and converted:
                            lines.append(converted)
                            anchors.extend(found)
                            offset += len(converted) + 1
                            continue
                        found = [Anchor(a.start - offset, a.end - offset, a.target, a.english) for a in found]
                else:
                    converted, found = self.slow(content, links)
                if ILL_OPEN in converted:
                    converted, found = _unplaced(converted, links), []
                for piece, piece_anchors in _finish(converted, found):
                    lines.append(piece)
                    anchors.extend(Anchor(a.start + offset, a.end + offset, a.target, a.english)
                                   for a in piece_anchors)
                    offset += len(piece) + 1
        return Parsed("\n".join(lines), anchors)

    def _contents(self, line: str) -> list[str]:
        head = line[0]
        if head == "=":
            m = _HEADING.match(line)
            if m is None:
                return [line]
            level = min(len(m.group(1)), len(m.group(3)))
            inner = "=" * (len(m.group(1)) - level) + m.group(2) + "=" * (len(m.group(3)) - level)
            return [inner.strip()]
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


def _split_definition(content: str) -> list[str]:
    depth = 0
    i = 0
    n = len(content)
    while i < n:
        c = content[i]
        if content.startswith("[[", i) or content.startswith("[", i):
            depth += 1
        elif c == "]":
            depth = max(0, depth - 1)
        elif c == ":" and depth == 0 and not content.startswith("//", i + 1):
            return [content[:i].strip(), content[i + 1:].strip()]
        i += 2 if content.startswith(("[[", "]]"), i) else 1
    return [content]


def _finish(line: str, anchors: list[Anchor]) -> list[tuple[str, list[Anchor]]]:
    """Split at line breaks, strip, squeeze runs of spaces and tabs; anchors are trimmed of surrounding
    whitespace, and dropped when they cross a break or show nothing."""
    if _BREAK not in line and not _SQUEEZE.search(line) and line == line.strip():
        if not line:
            return []
        return [(line, _trimmed(line, anchors))]
    result: list[tuple[str, list[Anchor]]] = []
    base = 0
    for piece in line.split(_BREAK):
        end = base + len(piece)
        inside = [a for a in anchors if a.start >= base and a.end <= end]
        squeezed, mapped = _squeeze(piece, base, inside)
        if squeezed:
            result.append((squeezed, _trimmed(squeezed, mapped)))
        base = end + 1
    return result


def _trimmed(line: str, anchors: list[Anchor]) -> list[Anchor]:
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
    body = piece.strip()
    left = len(piece) - len(piece.lstrip())
    right = left + len(body)
    positions = [0] * (len(piece) + 1)
    out: list[str] = []
    length = 0
    previous_space = False
    for i, char in enumerate(piece):
        positions[i] = length
        if i < left or i >= right:
            continue
        space = char in " \t"
        if space and previous_space:
            continue
        out.append(" " if space else char)
        length += 1
        previous_space = space
    positions[len(piece)] = length
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


_ILL_START = re.compile(
    r"\{\{\s*(?:" + "|".join(re.escape(name) for name in sorted(ILL_TEMPLATES, key=len, reverse=True))
    + r")\s*\|",
    re.I,
)
_BRACES = re.compile(r"\{\{|\}\}")
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)|<nowiki\s*>.*?</nowiki\s*>", re.S | re.I)


def harvest_interlanguage_links(wikitext: str, site: SiteInfo) -> list[tuple[str, str]]:
    """``(normalised local title, English title)`` of every interlanguage-link template of a page
    (``{{仮リンク|日本語|en|English}}``, ``{{ill|...}}``) whose local title is an article title and which
    names an English title; outside comments and ``<nowiki>``. Cheap: only those templates are looked at."""
    if "{{" not in wikitext:
        return []
    if "<!--" in wikitext or "nowiki" in wikitext:
        wikitext = _COMMENT.sub("", wikitext)
    found: list[tuple[str, str]] = []
    for m in _ILL_START.finditer(wikitext):
        end = _template_end(wikitext, m.start())
        if end < 0:
            continue
        _, positional, _ = split_arguments(wikitext[m.start() + 2:end - 2])
        english = ill_english(positional)
        if english is None:
            continue
        normalized = normalize_title(positional[0], site)
        if normalized is not None and normalized[0] == 0:
            found.append((normalized[1], english))
    return found


def _template_end(text: str, begin: int) -> int:
    depth = 0
    for m in _BRACES.finditer(text, begin):
        depth += 1 if m.group() == "{{" else -1
        if depth == 0:
            return m.end()
    return -1
