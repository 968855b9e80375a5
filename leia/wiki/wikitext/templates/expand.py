"""Templates in article wikitext: found by balanced-brace scanning, dropped, or rendered to the wikitext of
the running text they carry.

Most templates (infoboxes, navigation boxes, citations, maintenance tags) carry no running text and are
cut out whole without looking inside. The few that do are listed in one registry
(``leia.wiki.wikitext.templates.registry``: a name with its aliases and redirects -> a renderer, documented in
docs/templates.md) and replaced by what they show, as wikitext that may still hold links. An
interlanguage-link template becomes ``[[<key>|label]]`` whose title is a key into a side table of
``(local title, English title)``: the link converter reads the anchor's target and English title from there.
"""

from __future__ import annotations

from leia.wiki.siteinfo import SiteInfo
from leia.wiki.wikitext.templates import parserfunctions
from leia.wiki.wikitext.templates.braces import template_spans
from leia.wiki.wikitext.templates.calls import MAX_DEPTH, Call, PageContext, TooDeep, split_arguments
from leia.wiki.wikitext.templates.registry import registry_for

__all__ = ["Expander"]


class Expander:
    """Replaces every template of a page's wikitext by what it shows (mostly nothing). ``links`` collects
    the ``(local title, English title or None)`` of the interlanguage-link templates met, in order."""

    def __init__(self, site: SiteInfo, context: PageContext = PageContext()):
        self.site = site
        self.context = context
        self.links: list[tuple[str, str | None]] = []
        self._registry = registry_for(site.lang)

    def expand(self, text: str, depth: int = 0) -> str:
        if "{{" not in text:
            return text
        spans = template_spans(text)
        if not spans:
            return text
        out: list[str] = []
        last = 0
        for begin, end in spans:
            out.append(text[last:begin])
            out.append(self._render(text[begin + 2:end - 2], depth))
            last = end
        out.append(text[last:])
        return "".join(out)

    def _render(self, inner: str, depth: int) -> str:
        head = inner.split("|", 1)[0]
        magic = parserfunctions.render(self, head, inner, depth)
        if magic is not None:
            return magic
        key, template = self._registry.lookup(head)
        if template is None:
            return ""
        if template.constant is not None:
            return template.constant
        if depth >= MAX_DEPTH:
            raise TooDeep(f"templates nested deeper than {MAX_DEPTH}")
        _, positional, named = split_arguments(inner)
        return template.render(Call(self, key, positional, named, depth))
