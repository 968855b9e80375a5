"""Templates in article wikitext: found by balanced-brace scanning, dropped, or rendered to the wikitext of
the running text they carry.

Most templates (infoboxes, navigation boxes, citations, maintenance tags) carry no running text and are
cut out whole without looking inside. The few that do are listed in one registry
(``leia.wiki.registry``: a name with its aliases and redirects -> a renderer, documented in
docs/templates.md) and replaced by what they show, as wikitext that may still hold links. An
interlanguage-link template becomes ``[[<key>|label]]`` whose title is a key into a side table of
``(local title, English title)``: the link converter reads the anchor's target and English title from there.
"""

from __future__ import annotations

import datetime
import re
from typing import NamedTuple

from leia.wiki import parserfunctions
from leia.wiki.siteinfo import SiteInfo
from leia.wiki.titles import upper_first

__all__ = [
    "ILL_OPEN",
    "ILL_CLOSE",
    "MAX_DEPTH",
    "TooDeep",
    "Expander",
    "PageContext",
    "Arguments",
    "Call",
    "ill_english",
    "split_arguments",
    "template_key",
    "template_spans",
]

ILL_OPEN = "\ufdd1"
ILL_CLOSE = "\ufdd2"
MAX_DEPTH = 20

_TOKEN = re.compile(r"\{\{|\}\}")
_SPACES = re.compile(r"[\s_]+")
_PREFIXES = (
    "subst:", "safesubst:", "msgnw:", "raw:", "template:", "テンプレート:", "模板:", "шаблон:", "قالب:",
    "साँचा:", "kigezo:", "plantilla:",
)


class PageContext(NamedTuple):
    """What a page's rendering may depend on besides its wikitext: its title (for ``{{PAGENAME}}`` and the
    like) and the date it is rendered as of (the revision's timestamp, never the machine's clock; for
    ages and ``{{CURRENTYEAR}}``). Either may be unknown (None)."""

    title: str | None = None
    date: datetime.date | None = None


class TooDeep(Exception):
    """Templates nested deeper than MAX_DEPTH inside templates that carry text."""


def template_spans(text: str, start: int = 0) -> list[tuple[int, int]]:
    """The outermost ``{{...}}`` spans of ``text`` as (start, end) offsets. Each ``}}`` closes the latest
    open ``{{``; a ``{{`` never closed is literal text, as MediaWiki shows it."""
    stack: list[int] = []
    pairs: list[tuple[int, int]] = []
    for m in _TOKEN.finditer(text, start):
        if m.group() == "{{":
            stack.append(m.start())
        elif stack:
            pairs.append((stack.pop(), m.end()))
    if not pairs:
        return []
    pairs.sort()
    spans: list[tuple[int, int]] = []
    limit = -1
    for begin, end in pairs:
        if begin >= limit:
            spans.append((begin, end))
            limit = end
    return spans


def split_arguments(inner: str) -> tuple[str, list[str], dict[str, str]]:
    """Name, positional and named arguments of a template's inside (without its braces). Pipes inside
    nested ``{{}}`` and ``[[]]`` do not split; a named argument's value is stripped, a positional one not."""
    pieces = parserfunctions.split_pieces(inner)
    positional: list[str] = []
    named: dict[str, str] = {}
    for piece in pieces[1:]:
        key, sep, value = piece.partition("=")
        if sep and "{{" not in key and "[[" not in key:
            named[key.strip()] = value.strip()
        else:
            positional.append(piece)
    return pieces[0], positional, named


def template_key(name: str) -> str:
    """A template name as the registry knows it: ``Template:``/``テンプレート:`` (and the other wikis'
    template namespace names), ``subst:`` and the like removed, underscores and runs of whitespace to one
    space, first letter upper-cased (the wikis' first-letter case)."""
    key = _SPACES.sub(" ", name).strip()
    if ":" in key:
        lowered = key.casefold()
        for prefix in _PREFIXES:
            if lowered.startswith(prefix):
                key = key[len(prefix):].strip()
                lowered = lowered[len(prefix):].strip()
    return upper_first(key)


class Arguments:
    """A template's arguments numbered from 1 as in MediaWiki: ``|2=x`` is argument 2 and wins over the
    second unnamed one. ``raw`` gives the wikitext as written (unnamed ones unstripped), None when absent."""

    __slots__ = ("positional", "named")

    def __init__(self, positional: list[str], named: dict[str, str]):
        if any(key.isdigit() for key in named):
            positional = list(positional)
            named = dict(named)
            for key in [key for key in named if key.isdigit()]:
                index = int(key) - 1
                value = named.pop(key)
                if index < 0 or index > 100:
                    continue
                while len(positional) <= index:
                    positional.append("")
                positional[index] = value
        self.positional = positional
        self.named = named

    def __len__(self) -> int:
        return len(self.positional)

    def raw(self, number: int) -> str | None:
        return self.positional[number - 1] if 0 < number <= len(self.positional) else None

    def text(self, number: int) -> str:
        """Argument ``number`` stripped, not expanded; "" when absent."""
        value = self.raw(number)
        return value.strip() if value else ""

    def option(self, *names: str) -> str:
        """The first named argument of ``names`` that is given and not empty, stripped; else ""."""
        for name in names:
            value = self.named.get(name)
            if value:
                return value
        return ""


class Call(Arguments):
    """One text-bearing template being rendered: its arguments and the expander that renders the wikitext
    they hold (nested templates included)."""

    __slots__ = ("expander", "key", "depth")

    def __init__(self, expander: "Expander", key: str, positional: list[str], named: dict[str, str], depth: int):
        super().__init__(positional, named)
        self.expander = expander
        self.key = key
        self.depth = depth

    @property
    def site(self) -> SiteInfo:
        return self.expander.site

    @property
    def lang(self) -> str:
        return self.expander.site.lang

    @property
    def date(self) -> datetime.date | None:
        return self.expander.context.date

    def render(self, wikitext: str) -> str:
        """``wikitext`` (an argument's value) with its own templates rendered."""
        return self.expander.expand(wikitext.strip(), self.depth + 1) if wikitext else ""

    def arg(self, number: int) -> str:
        """Argument ``number`` rendered and stripped; "" when absent."""
        value = self.raw(number)
        return self.render(value) if value else ""

    def args(self, first: int = 1) -> list[str]:
        """Arguments ``first`` to the last, rendered."""
        return [self.arg(number) for number in range(first, len(self.positional) + 1)]

    def rendered_option(self, *names: str) -> str:
        value = self.option(*names)
        return self.render(value) if value else ""

    def link(self, local: str, label: str, english: str | None) -> str:
        """Wikitext of an interlanguage link: an anchor to ``local`` showing ``label`` (rendered wikitext; the
        local title when empty), carrying ``english``. A local title that cannot be a link shows the label."""
        local = _SPACES.sub(" ", local).strip()
        label = label or local
        if not local or "[" in local or "]" in local or "{" in local:
            return label or (english or "")
        links = self.expander.links
        links.append((local, english))
        return f"[[{ILL_OPEN}{len(links) - 1}{ILL_CLOSE}|{label}]]"


class Expander:
    """Replaces every template of a page's wikitext by what it shows (mostly nothing). ``links`` collects
    the ``(local title, English title or None)`` of the interlanguage-link templates met, in order."""

    def __init__(self, site: SiteInfo, context: PageContext = PageContext()):
        from leia.wiki.registry import registry_for

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


def ill_english(positional: list[str]) -> str | None:
    """The English title an interlanguage-link template of the ``{{仮リンク}}``/``{{ill}}`` kind names (``en``
    among its language codes; the local title itself when the English title is left out), whitespace and
    underscores normalised."""
    local = positional[0] if positional else ""
    for index in range(1, len(positional), 2):
        if positional[index].strip().lower() == "en":
            title = positional[index + 1] if index + 1 < len(positional) else ""
            title = _SPACES.sub(" ", title).strip() or _SPACES.sub(" ", local).strip()
            return title or None
    return None
