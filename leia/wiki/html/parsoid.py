"""Parsoid HTML (the ``article_body.html`` of Wikimedia's HTML dumps) to plain text with anchors, by the rules
of the wikitext route (leia.wiki.wikitext.convert): one line per paragraph line, list item, definition or heading;
anchors for the links to articles (namespace 0) of the same wiki, with exact code-point offsets.

What is read:

* links ``<a rel="mw:WikiLink" href="./Title">`` (red links ``./Title?action=edit&redlink=1`` too): the
  target is the href after ``./``, without its query, normalised by ``titles.normalize_title`` (which
  decodes %-escapes and drops the ``#fragment``); links to other namespaces and interwiki links show their
  text without an anchor;
* interlanguage-link templates (``{{仮リンク}}``, ``{{ill}}`` ...: ``interlanguage.interlanguage_templates``
  of the wiki's language), named in the ``data-mw`` JSON of their ``typeof="mw:Transclusion"`` element:
  their output is the text of their first wiki link (the label or local title; the ``（英語版）`` note
  is left out), an anchor to the local title carrying the English title their arguments name;
* ``&nbsp;`` written as an entity (``typeof="mw:Entity"``) is a plain space, as on the wikitext route.

What is dropped, with every other node a template made (same ``about``): references
(``mw:Extension/ref``) and reference lists, tables (infoboxes are tables), navboxes, hatnotes and
maintenance boxes (by their classes), media (``mw:File`` spans and figures, ``<img>``, galleries),
categories and page properties (``<link>``, ``<meta>``), ``<style>``, ``<script>``, comments, and the
navigation sections of ``filters.NAVIGATION_SECTIONS`` (a ``<section>`` whose heading is one, subsections
included). A disambiguation page (``filters.is_disambiguation`` on the names of the templates it
transcludes, its title, and the ``mw:PageProp/disambiguation`` property ``__DISAMBIG__`` sets) is told by
:func:`is_disambiguation`.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from leia.errors import require
from leia.wiki.filters import is_disambiguation as _is_disambiguation_wikitext
from leia.wiki.filters import is_navigation_heading
from leia.wiki.wikitext.templates.interlanguage import interlanguage_templates
from leia.wiki.siteinfo import SiteInfo
from leia.wiki.wikitext.templates.calls import Arguments, template_key
from leia.wiki.titles import normalize_title
from leia.wiki.lines import BREAK, SENTINELS, Anchor, Parsed, finish_line

__all__ = ["to_text", "is_disambiguation", "Page"]

_BLOCK = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li dt dd ul ol dl pre blockquote center section article aside header footer "
    "main nav address hr br caption details summary".split())
_SKIPPED_TAGS = frozenset(
    "table style script link meta img figure audio video gallery math-fallback head noscript template "
    "object iframe svg map area source track".split())
_SKIPPED_TYPES = ("mw:Extension/ref", "mw:Extension/references", "mw:File", "mw:Image", "mw:Audio",
                  "mw:Video", "mw:Extension/gallery", "mw:Extension/imagemap", "mw:Extension/templatestyles",
                  "mw:Extension/indicator", "mw:PageProp/", "mw:Extension/graph", "mw:Extension/mapframe",
                  "mw:Error")
_SKIPPED_CLASSES = frozenset(
    "navbox vertical-navbox navbox-inner infobox hatnote dablink rellink ambox metadata noprint "
    "mw-editsection reflist references mw-references-wrap mw-references sistersitebox side-box portal "
    "catlinks toc navigation-not-searchable mw-empty-elt thumb gallery reference mw-ref".split())
_NEWLINES = re.compile(r"\r\n?|\n")
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())


def _parser():
    return require("selectolax.lexbor", "html").LexborHTMLParser


class Page:
    """One article's Parsoid HTML, parsed once for the filters and the conversion."""

    def __init__(self, html: str):
        self.tree = _parser()(html)
        self.root = self.tree.body

    def templates(self) -> list[str]:
        """The names of the templates the page transcludes (from ``data-mw``), in order."""
        names: list[str] = []
        if self.root is None:
            return names
        for node in self.root.css('[typeof~="mw:Transclusion"]'):
            for part in _parts(node):
                name = _template_name(part)
                if name:
                    names.append(name)
        return names

    def has_property(self, name: str) -> bool:
        """Whether the page sets the property ``name`` (``<meta property="mw:PageProp/name">``, anywhere)."""
        return self.tree.css_first(f'meta[property="mw:PageProp/{name}"]') is not None


def is_disambiguation(page: Page | str, site: SiteInfo, title: str | None = None) -> bool:
    """Whether the page is a disambiguation page of its wiki, by the rules of ``filters.is_disambiguation``
    read off the rendered page: the templates named in ``data-mw``, the title, the ``__DISAMBIG__``
    property."""
    page = page if isinstance(page, Page) else Page(page)
    if page.has_property("disambiguation"):
        return True
    return _is_disambiguation_wikitext("".join(f"{{{{{name}}}}}" for name in page.templates()), site, title)


def _parts(node) -> list:
    raw = node.attributes.get("data-mw")
    if not raw:
        return []
    try:
        data = json.loads(raw)
    except ValueError:
        return []
    parts = data.get("parts") if isinstance(data, dict) else None
    return parts if isinstance(parts, list) else []


def _template_name(part) -> str | None:
    if not isinstance(part, dict) or not isinstance(part.get("template"), dict):
        return None
    target = part["template"].get("target")
    if not isinstance(target, dict):
        return None
    name = target.get("wt")
    if not isinstance(name, str):
        href = target.get("href")
        name = href.rpartition(":")[2] if isinstance(href, str) else None
    return name.strip() if name else None


def _arguments(part: dict) -> Arguments:
    params = part["template"].get("params")
    named: dict[str, str] = {}
    if isinstance(params, dict):
        for key, value in params.items():
            if isinstance(value, dict) and isinstance(value.get("wt"), str):
                named[str(key).strip()] = value["wt"]
    return Arguments([], named)


def link_target(href: str | None, site: SiteInfo, title: str | None = None) -> str | None:
    """The article a Parsoid wiki link's href (``./Title``, ``./Title?action=edit&redlink=1``; older Parsoid
    wrote ``Title``) points to, normalised; None for other namespaces, for a ``#section`` of the page
    ``title`` itself (``[[#section]]``, as on the wikitext route) and for hrefs that are not page links."""
    if not href or href.startswith(("/", "#")) or "://" in href:
        return None
    path = (href[2:] if href.startswith("./") else href).partition("?")[0]
    found = normalize_title(path, site)
    if found is None or found[0] != 0:
        return None
    if "#" in path and title is not None:
        own = normalize_title(title, site)
        if own is not None and own[1] == found[1]:
            return None
    return found[1]


@lru_cache(maxsize=32)
def _interlanguage(lang: str) -> dict:
    return {template_key(name).casefold(): parse for name, parse in interlanguage_templates(lang).items()}


class _Walker:
    def __init__(self, site: SiteInfo, drop_navigation: bool, title: str | None = None):
        self.site = site
        self.title = title
        self.drop_navigation = drop_navigation
        self.ill = _interlanguage(site.lang)
        self.out: list[str] = []
        self.length = 0
        self.anchors: list[Anchor] = []
        self.skipped_about: set[str] = set()
        self.sections_dropped = 0

    def text(self, value: str) -> None:
        value = _NEWLINES.sub(BREAK, SENTINELS.sub("", value))
        self.out.append(value)
        self.length += len(value)

    def brk(self) -> None:
        self.out.append(BREAK)
        self.length += 1

    def walk(self, node) -> None:
        child = node.first_child
        while child is not None:
            self.visit(child)
            child = child.next

    def visit(self, node) -> None:
        tag = node.tag
        if tag == "-text":
            self.text(node.text_content or "")
            return
        if tag is None or tag.startswith("-") or tag == "!doctype":
            return
        attributes = node.attributes
        about = attributes.get("about")
        if about and about in self.skipped_about:
            return
        if self.skipped(tag, attributes):
            if about and "mw:Transclusion" in (attributes.get("typeof") or ""):
                self.skipped_about.add(about)
            return
        typeof = attributes.get("typeof") or ""
        if "mw:Transclusion" in typeof and self.interlanguage(node, about):
            return
        if tag == "section" and self.drop_navigation and self.navigation(node):
            self.sections_dropped += 1
            return
        block = tag in _BLOCK
        if block:
            self.brk()
        if tag == "a":
            self.link(node, attributes)
        elif "mw:Entity" in typeof or "mw:DisplaySpace" in typeof:
            self.text((node.text() or "").replace("\u00a0", " ").replace("\u202f", " "))
        else:
            self.walk(node)
        if block:
            self.brk()

    def skipped(self, tag: str, attributes: dict) -> bool:
        if tag in _SKIPPED_TAGS:
            return True
        typeof = attributes.get("typeof")
        if typeof and any(t in typeof for t in _SKIPPED_TYPES):
            return True
        classes = attributes.get("class")
        if classes and not _SKIPPED_CLASSES.isdisjoint(classes.split()):
            return True
        return attributes.get("role") == "navigation"

    def navigation(self, node) -> bool:
        heading = node.first_child
        while heading is not None and heading.tag in ("-text", "-comment"):
            heading = heading.next
        if heading is None or heading.tag not in _HEADINGS:
            return False
        return is_navigation_heading(heading.text() or "", self.site)

    def link(self, node, attributes: dict) -> None:
        target = None
        if (attributes.get("rel") or "").split() == ["mw:WikiLink"]:
            target = link_target(attributes.get("href"), self.site, self.title)
        start = self.length
        self.walk(node)
        if target is not None and self.length > start:
            self.anchors.append(Anchor(start, self.length, target, None))

    def interlanguage(self, node, about: str | None) -> bool:
        """Render an interlanguage-link template (its first wiki link, with the English title); False for
        other transclusions."""
        parts = _parts(node)
        if len(parts) != 1:
            return False
        name = _template_name(parts[0])
        parse = self.ill.get(template_key(name).casefold()) if name else None
        if parse is None:
            return False
        found = parse(_arguments(parts[0]))
        local = normalize_title(found.local, self.site) if found.local else None
        target = local[1] if local is not None and local[0] == 0 else None
        link = node if node.tag == "a" else node.css_first('a[rel="mw:WikiLink"]')
        if about:
            self.skipped_about.add(about)
        start = self.length
        if link is not None:
            self.walk(link)
        else:
            self.text(found.label or found.local)
        if target is not None and self.length > start:
            self.anchors.append(Anchor(start, self.length, target, found.english))
        return True


def to_text(html: str | Page, site: SiteInfo, *, title: str | None = None,
            drop_navigation_sections: bool = False) -> Parsed:
    """The plain text of one article's Parsoid HTML and its anchors (see the module docstring); ``title`` is
    the page's (its links to its own sections make no anchor); navigation sections are cut when
    ``drop_navigation_sections`` (see :func:`convert` for the count)."""
    return convert(html, site, title=title, drop_navigation_sections=drop_navigation_sections)[0]


def convert(html: str | Page, site: SiteInfo, *, title: str | None = None,
            drop_navigation_sections: bool = False) -> tuple[Parsed, int]:
    """:func:`to_text` and the number of navigation sections cut."""
    page = html if isinstance(html, Page) else Page(html)
    walker = _Walker(site, drop_navigation_sections, title)
    if page.root is not None:
        walker.walk(page.root)
    lines: list[str] = []
    anchors: list[Anchor] = []
    offset = 0
    pending = _sorted(walker.anchors)
    index = 0
    base = 0
    for piece in "".join(walker.out).split(BREAK):
        end = base + len(piece)
        inside: list[Anchor] = []
        while index < len(pending) and pending[index].start < end:
            a = pending[index]
            if a.start >= base and a.end <= end:
                inside.append(Anchor(a.start - base, a.end - base, a.target, a.english))
            index += 1
        base = end + 1
        if not piece or piece.isspace():
            continue
        for line, kept in finish_line(piece, inside):
            if lines:
                offset += 1
            anchors.extend(Anchor(a.start + offset, a.end + offset, a.target, a.english) for a in kept)
            lines.append(line)
            offset += len(line)
    return Parsed("\n".join(lines), anchors), walker.sections_dropped


def _sorted(anchors: list[Anchor]) -> list[Anchor]:
    return sorted(anchors, key=lambda a: (a.start, -a.end))

