"""Wikitext to plain text with anchors: the text a reader sees, one line per paragraph line, list item or
heading, and the character spans that link to other articles of the same wiki.

How it goes:

1. A pre-pass over the whole page with regular expressions and balanced-brace scanning removes comments,
   ``<ref>``s and the other extension tags that show no running text, escapes ``<nowiki>`` (its ends
   become a zero-width mark, removed last, that separates quotes and ends link trails) and the TeX source
   ``<math>``/``<chem>`` show (``tags``), expands templates (``templates.expand.Expander``: almost all dropped,
   those of ``templates.registry`` rendered), removes tables (``structure``), file, category and language links
   (``links``) and behaviour switches; strips inline HTML tags keeping their text (``<br>`` and block tags
   become line breaks) and decodes HTML entities (``htmlentities``: ``&nbsp;`` to a plain space) except
   those standing for markup characters.
2. Each line is classified (``structure``: heading, list item, definition term and definition, rule,
   paragraph), bold and italic quotes are rendered by MediaWiki's rules (``quotes``), and the content
   converted. Content made of plain text and simple ``[[links]]`` only, most lines of an article, takes a
   fast path of regular expressions (``links.LinkRules.fast``); anything else is parsed by mwparserfromhell
   (``nodes``). Both paths share the link rules, so ``fast=False`` (every line through mwparserfromhell)
   gives the same result.
3. Lines are stripped, runs of spaces squeezed, empty lines dropped; anchor offsets follow (``lines``).

Anchors are made for links to articles (namespace 0) of the same wiki, including the local title of
``{{仮リンク}}``/``{{ill}}`` templates, which also give the English title they name. Links to other
namespaces, interwiki links and same-page ``[[#section]]`` links show their text without an anchor; links
MediaWiki refuses (``[[./foo]]``, ``[[Project:]]``, ``[[http://...]]``) show their markup. The rules follow
MediaWiki's parser tests (docs/limitations.md lists where they differ).
"""

from __future__ import annotations

import datetime
import re

from leia.wiki.lines import SENTINELS, Anchor, Parsed, UnparsablePage, finish_line, needs_finish
from leia.wiki.siteinfo import SiteInfo
from leia.wiki.wikitext import langconv
from leia.wiki.wikitext.extlinks import break_bracketed_urls
from leia.wiki.wikitext.htmlentities import EntityDecoder
from leia.wiki.wikitext.links import LinkRules, Links, fast_line, unplaced
from leia.wiki.wikitext.nodes import ParserPath
from leia.wiki.wikitext.quotes import render_quotes
from leia.wiki.wikitext.structure import SPECIAL_STARTS, line_contents, remove_tables
from leia.wiki.wikitext.tags import render_tags, strip_html_tags
from leia.wiki.wikitext.templates.calls import ILL_OPEN, PageContext, TooDeep
from leia.wiki.wikitext.templates.expand import Expander

__all__ = ["MAX_PAGE_CHARS", "PageConverter", "converter_for", "to_text"]

MAX_PAGE_CHARS = 4_000_000

_CACHE_LIMIT = 200_000
_SWITCH = re.compile(
    r"__(?:[A-Z]+|[\u3040-\u30ff\u4e00-\u9fff]+|(?i:notoc|forcetoc|toc|noeditsection|newsectionlink|"
    r"nonewsectionlink|nogallery|hiddencat|expectunusedcategory|expectunusedtemplate|nocontentconvert|nocc|"
    r"notitleconvert|notc|index|noindex|staticredirect|disambig|archivedtalk|notalk))__"
)


class PageConverter:
    """Converts the pages of one wiki: its link rules (with their cache of resolved titles), the parser
    path that shares them, and the entity decoding that depends on its link trail."""

    def __init__(self, site: SiteInfo):
        self.site = site
        self.rules = LinkRules(site)
        self.parser = ParserPath(self.rules)
        self.entities = EntityDecoder(self.rules.after_link)

    def prepare(self, wikitext: str, expander: Expander, variant: str | None = None) -> str:
        """The pre-pass over a whole page (step 1 of the module docstring)."""
        text = SENTINELS.sub("", wikitext).replace("\r\n", "\n")
        if "\x00" in text:
            text = text.replace("\x00", "")
        text = render_tags(break_bracketed_urls(text))
        try:
            text = expander.expand(text)
        except TooDeep as exc:
            raise UnparsablePage(str(exc)) from None
        if "-{" in text and langconv.has_converter(self.site.lang):
            text = langconv.convert(text, langconv.check_variant(variant))
        if "{|" in text:
            text = remove_tables(text)
        text = self.rules.clean(text)
        if "__" in text:
            text = _SWITCH.sub("", text)
        if "<" in text:
            text = strip_html_tags(text)
        if "&" in text:
            text = self.entities.decode(text)
        return text

    def convert(self, wikitext: str, fast_path: bool, context: PageContext = PageContext(),
                variant: str | None = None) -> Parsed:
        """A page's text and anchors: the pre-pass, then each line's content (``line``), placed one after
        the other."""
        if len(self.rules.cache) > _CACHE_LIMIT:
            self.rules.cache.clear()
        expander = Expander(self.site, context)
        text = self.prepare(wikitext, expander, variant)
        lines: list[str] = []
        anchors: list[Anchor] = []
        offset = 0
        convert_line, links = self.line, expander.links
        for raw in text.split("\n"):
            line = raw.strip()
            if not line:
                continue
            for content in line_contents(line) if line[0] in SPECIAL_STARTS and raw[0] not in " \t" else (line,):
                if "''" in content:
                    content = render_quotes(content).strip()
                    if not content:
                        continue
                for piece, found in convert_line(content, links, fast_path):
                    lines.append(piece)
                    if found:
                        anchors += [Anchor(a.start + offset, a.end + offset, a.target, a.english) for a in found]
                    offset += len(piece) + 1
        return Parsed("\n".join(lines), anchors)

    def line(self, content: str, links: Links, fast_path: bool) -> list[tuple[str, list[Anchor]]]:
        """The lines the content of one line gives (its quotes rendered), each with its anchors counted from
        its own start: by the fast path of the link rules when ``fast_path`` and the content is plain text
        and simple links, else by mwparserfromhell."""
        if fast_path and fast_line(content):
            if "[[" not in content:
                if not needs_finish(content):
                    return [(content, [])]
                converted, found = content, []
            else:
                done = self.rules.fast(content, links)
                if done is None:
                    converted, found = self.parser.convert(content, links)
                else:
                    converted, found, trimmed = done
                    if trimmed and converted and converted == converted.strip() and not needs_finish(converted):
                        return [(converted, found)]
        else:
            converted, found = self.parser.convert(content, links)
        if ILL_OPEN in converted:
            converted, found = unplaced(converted, links), []
        return finish_line(converted, found)


# The converters of the sites converted last, the latest first, each holding its SiteInfo: one is found again
# by that very object (never by its id, which a later object may reuse), so the next page of the same site
# reuses its cache of resolved titles and a new SiteInfo starts with an empty one.
_RECENT: list[PageConverter] = []


def converter_for(site: SiteInfo) -> PageConverter:
    """The converter of ``site``, kept for the next pages of the same site (those of the last eight sites are kept)."""
    for converter in _RECENT:
        if converter.site is site:
            return converter
    converter = PageConverter(site)
    _RECENT.insert(0, converter)
    del _RECENT[8:]
    return converter


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
        return converter_for(site).convert(wikitext, fast, PageContext(title, date), variant)
    except RecursionError:
        raise UnparsablePage("markup nested too deep") from None
