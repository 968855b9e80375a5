"""A template call as the renderers see it: its name as the registry knows it (:func:`template_key`), its
arguments numbered as in MediaWiki (:class:`Arguments`), and, for a text-bearing template being rendered, the
expander that renders the wikitext they hold (:class:`Call`); with what a page's rendering may depend on
(:class:`PageContext`) and the marks an interlanguage link leaves in the text.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from leia.wiki.wikitext.templates.braces import split_pieces
from leia.wiki.siteinfo import SiteInfo
from leia.wiki.titles import upper_first

if TYPE_CHECKING:
    from leia.wiki.wikitext.templates.expand import Expander

__all__ = [
    "ILL_OPEN",
    "ILL_CLOSE",
    "MAX_DEPTH",
    "TooDeep",
    "PageContext",
    "Arguments",
    "Call",
    "Renderer",
    "ill_english",
    "split_arguments",
    "template_key",
    "squeeze_spaces",
]

ILL_OPEN = "\ufdd1"
ILL_CLOSE = "\ufdd2"
MAX_DEPTH = 20

_SPACES = re.compile(r"[\s_]+")


def squeeze_spaces(title: str) -> str:
    """``title`` with underscores and runs of whitespace as one space, stripped (as titles are written)."""
    return _SPACES.sub(" ", title).strip()


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


def split_arguments(inner: str) -> tuple[str, list[str], dict[str, str]]:
    """Name, positional and named arguments of a template's inside (without its braces). Pipes inside
    nested ``{{}}`` and ``[[]]`` do not split; a named argument's value is stripped, a positional one not."""
    pieces = split_pieces(inner)
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
    key = squeeze_spaces(name)
    if ":" in key:
        lowered = key.casefold()
        for prefix in _PREFIXES:
            if lowered.startswith(prefix):
                key = key[len(prefix):].strip()
                lowered = lowered[len(prefix):].strip()
    return upper_first(key)


class Arguments:
    """A template's arguments numbered from 1 as in MediaWiki: ``|2=x`` is argument 2 and wins over the
    second unnamed one. ``raw`` gives an argument's wikitext as written (unnamed ones unstripped), None when
    absent; ``stripped`` the same stripped; a ``Call`` also gives them ``rendered``."""

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

    def stripped(self, number: int) -> str:
        """Argument ``number`` stripped, not rendered; "" when absent."""
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

    def __init__(self, expander: Expander, key: str, positional: list[str], named: dict[str, str], depth: int):
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

    def rendered(self, number: int) -> str:
        """Argument ``number`` rendered and stripped; "" when absent."""
        value = self.raw(number)
        return self.render(value) if value else ""

    def rendered_from(self, first: int = 1) -> list[str]:
        """Arguments ``first`` to the last, rendered."""
        return [self.rendered(number) for number in range(first, len(self.positional) + 1)]

    def rendered_option(self, *names: str) -> str:
        value = self.option(*names)
        return self.render(value) if value else ""

    def link(self, local: str, label: str, english: str | None) -> str:
        """Wikitext of an interlanguage link: an anchor to ``local`` showing ``label`` (rendered wikitext; the
        local title when empty), carrying ``english``. A local title that cannot be a link shows the label."""
        local = squeeze_spaces(local)
        label = label or local
        if not local or "[" in local or "]" in local or "{" in local:
            return label or (english or "")
        links = self.expander.links
        links.append((local, english))
        return f"[[{ILL_OPEN}{len(links) - 1}{ILL_CLOSE}|{label}]]"


def ill_english(positional: list[str]) -> str | None:
    """The English title an interlanguage-link template of the ``{{仮リンク}}``/``{{ill}}`` kind names (``en``
    among its language codes; the local title itself when the English title is left out), whitespace and
    underscores normalised."""
    local = positional[0] if positional else ""
    for index in range(1, len(positional), 2):
        if positional[index].strip().lower() == "en":
            title = positional[index + 1] if index + 1 < len(positional) else ""
            title = squeeze_spaces(title) or squeeze_spaces(local)
            return title or None
    return None


Renderer = Callable[[Call], str]  # what a text-bearing template shows, as wikitext, from its call
