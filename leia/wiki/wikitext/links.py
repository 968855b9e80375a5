"""Internal links ``[[title|label]]trail`` by one wiki's rules: what a link's title resolves to (an anchor
to an article, text only, dropped, or its markup shown as text), what it shows, and the fast path that
converts a line made of plain text and simple links with regular expressions alone.
"""

from __future__ import annotations

import re

from leia.wiki.wikitext.templates.calls import ILL_CLOSE, ILL_OPEN
from leia.wiki.wikitext.extlinks import starts_with_url
from leia.wiki.lines import Anchor
from leia.wiki.siteinfo import SiteInfo
from leia.wiki.titles import LANGUAGE_CODES, decode_percent, external_prefix, invalid_title, link_trail, normalize_title

__all__ = ["DROP", "TEXT", "ANCHOR", "LITERAL", "Links", "LinkRules", "fast_line", "unplaced"]

# What a link title resolves to: dropped, its text shown, an anchor, its markup shown as text.
DROP, TEXT, ANCHOR, LITERAL = 0, 1, 2, 3  # LinkRules.fast tests ANCHOR as 2
# The interlanguage links of a page: (local title, English title or None), by key.
Links = list[tuple[str, str | None]]

_LINK_WITH_PREFIX = re.compile(r"\[\[(:?)[ \t]*([^\[\]|\n:]*):")
_LINK_TOKEN = re.compile(r"\[\[|\]\]")
# First characters of a label-less link's title that shows otherwise than as written.
_SHOWN_AS_IS_NOT = frozenset(" \t:" + ILL_OPEN)
_SAFE = r"[^\[\]{}<>&\n]"
_TITLE = r"[^\[\]{}<>&|\n]+"
_LABEL = r"[^\[\]{}<>&|\n]*"
# Characters without which a link target cannot be one MediaWiki refuses (titles.invalid_title).
_SUSPECT = re.compile("[%&~./:<>\\[\\]{}|\x00-\x1f\x7f\ufdd0-\ufdef\ufffd]")
_FAST_LINE = re.compile(rf"(?:{_SAFE}|\[\[{_TITLE}(?:\|{_LABEL})?\]\])*\Z")
fast_line = _FAST_LINE.match  # whether a line is plain text and simple links only


_FRAGMENT = re.compile(r"(\[\[[^\[\]{}|#<>\n]*#)([^\[\]{}|\n]*<[^\[\]{}|\n]*)(?=\]\]|\|)")


def _fragment(m: re.Match[str]) -> str:
    """A link whose ``#fragment`` holds ``<`` or ``>``: those as entities, so that the link stays a link."""
    return m.group(1) + m.group(2).replace("<", "&#60;").replace(">", "&#62;")


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


_PLACEHOLDER = re.compile(f"\\[*{ILL_OPEN}([0-9]+){ILL_CLOSE}(\\|?)")


def unplaced(line: str, links: Links) -> str:
    """A line where an interlanguage link did not end up as a link: its key dropped before a label, else
    replaced by its local title."""
    return _PLACEHOLDER.sub(lambda m: "" if m.group(2) else links[int(m.group(1))][0], line)


class LinkRules:
    """The link rules of one wiki: compiled patterns and a cache of resolved link titles."""

    def __init__(self, site: SiteInfo):
        self.site = site
        self.trail = link_trail(site.lang)
        trail = rf"({self.trail.pattern})?" if self.trail else "()"
        self.fast_link = re.compile(rf"\[\[({_TITLE})(?:\|({_LABEL}))?\]\]{trail}")
        # Text just after a link and its trail: an entity there must stay one, not join the trail.
        self.after_link = re.compile(rf"\]\](?:{self.trail.pattern})?\Z" if self.trail else r"\]\]\Z")
        self.cache: dict[str, tuple[int, str | None]] = {}

    def clean(self, text: str) -> str:
        """``text`` without its file, category and language links (nested links inside them included),
        and with the ``<``/``>`` of link fragments as entities, so that such links stay links."""
        if "[[" not in text:
            return text
        text = self._remove_hidden_links(text)
        return _FRAGMENT.sub(_fragment, text) if "#<" in text else text

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

    def resolve(self, title: str, links: Links) -> tuple[int, str | None, str | None]:
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
            return LITERAL, None
        colon = stripped.startswith(":")
        if decode_percent(stripped).lstrip(":").lstrip().startswith("#"):
            return TEXT, None
        prefix = external_prefix(stripped) if ":" in stripped else None
        if prefix is not None:
            return (TEXT if colon or prefix not in LANGUAGE_CODES else DROP), None
        normalized = normalize_title(stripped, self.site)
        if normalized is None:
            return TEXT, None
        namespace, target = normalized
        if namespace == 0:
            return ANCHOR, target
        if namespace in (6, 14) and not colon:
            return DROP, None
        return TEXT, None

    def shown(self, title: str, label: str | None, links: Links,
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

    def fast(self, content: str, links: Links) -> tuple[str, list[Anchor], bool] | None:
        """(text, anchors counted from the text's start, trimmed) of content made of plain text and simple
        links; ``trimmed`` is False when an anchor shows text that begins or ends with whitespace, which
        ``lines.finish_line`` trims (the text itself may still need it for a break or a run of spaces).
        None when a link's target is a URL (``[[http://x y]]`` holds an external link: the parser's job)."""
        out: list[str] = []
        anchors: list[Anchor] = []
        length = 0
        last = 0
        trimmed = True
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
                    found = cache[title] = self._resolve(title)
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
                    trimmed = False
                out.append(shown)
                length += len(shown)
                last = m.end()
                continue
            if kind == DROP:
                last = m.start(3) if trail else m.end()
                continue
            if kind == LITERAL or label == "":
                if starts_with_url(title):
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
        return "".join(out), anchors, trimmed
