"""Inline interlanguage-link templates, one table per wiki language: the equivalents of jawiki's
``{{仮リンク|日本語|en|English}}``, which link a mention to a local title (often an article not written
yet) and name the article of another Wikipedia. Each entry says where a template keeps the local title,
the text shown and the English title; the converter renders them all as ``{{仮リンク}}`` is rendered (the
text, an anchor to the local title, the English title), and the entity table harvests their English titles
(:func:`harvest_interlanguage_links`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from leia.wiki.wikitext.templates.braces import template_end
from leia.wiki.wikitext.templates.calls import Arguments, ill_english, split_arguments, squeeze_spaces, template_key
from leia.wiki.siteinfo import SiteInfo
from leia.wiki.titles import normalize_title

__all__ = ["InterlanguageLink", "Parser", "INTERLANGUAGE_TEMPLATES", "interlanguage_templates",
           "harvest_interlanguage_links"]


class InterlanguageLink(NamedTuple):
    """What one interlanguage-link template names: the local title, the label wikitext (empty: the local
    title is shown) and the English title (None when the template names no English article)."""

    local: str
    label: str
    english: str | None


Parser = Callable[[Arguments], InterlanguageLink]


def _clean(title: str) -> str | None:
    title = squeeze_spaces(title)
    return title or None


def _ill(args: Arguments) -> InterlanguageLink:
    """``{{仮リンク|local|xx|foreign|yy|foreign2…|label=text}}`` (also ``lt=``, ``表示名=``): language codes
    and titles in pairs after the local title."""
    return InterlanguageLink(args.stripped(1), args.option("label", "lt", "表示名"), ill_english(args.positional))


def _tsl(args: Arguments) -> InterlanguageLink:
    """zhwiki ``{{tsl|xx|foreign|local|text}}``."""
    english = _clean(args.stripped(2) or args.stripped(3)) if args.stripped(1).lower() == "en" else None
    return InterlanguageLink(args.stripped(3), args.stripped(4), english)


def _link_language(code: str) -> Parser:
    """zhwiki ``{{link-xx|local|foreign|text}}`` (``Internal link helper/xx``): the language in the name."""

    def parse(args: Arguments) -> InterlanguageLink:
        english = _clean(args.stripped(2) or args.stripped(1)) if code == "en" else None
        return InterlanguageLink(args.stripped(1), args.stripped(3), english)

    parse.__doc__ = _link_language.__doc__
    return parse


def _ne_perevedeno(args: Arguments) -> InterlanguageLink:
    """ruwiki ``{{не переведено 5|local|text|xx|foreign}}``: language ``en`` when left empty, foreign title
    the local one when left empty."""
    code = args.stripped(3).lower() or "en"
    english = _clean(args.stripped(4) or args.stripped(1)) if code == "en" else None
    return InterlanguageLink(args.stripped(1), args.stripped(2), english)


def _ar_interwiki(args: Arguments) -> InterlanguageLink:
    """arwiki ``{{وصلة إنترويكي|عر=local|لغ=xx|تر=foreign|نص=text}}``: named arguments, or the same four
    unnamed in this order."""
    local = args.option("عر") or args.stripped(1)
    code = (args.option("لغ") or args.stripped(2)).lower() or "en"
    foreign = args.option("تر") or args.stripped(3)
    label = args.option("نص") or args.stripped(4)
    english = _clean(foreign or local) if code == "en" else None
    return InterlanguageLink(local, label, english)


_ILL_NAMES = ("Ill", "Ill2", "Iii", "Interlanguage link", "Interlanguage link multi", "Interlanguage link forced")

INTERLANGUAGE_TEMPLATES: dict[str, dict[str, Parser]] = {
    "ja": dict.fromkeys(("仮リンク", *_ILL_NAMES), _ill),
    "en": dict.fromkeys(_ILL_NAMES, _ill),
    "zh": {
        **dict.fromkeys(("Tsl", "Translink", "Tsl2"), _tsl),
        **{name: _link_language(code) for code in ("en", "ja", "de", "fr", "es", "ru", "ko", "it", "pt", "ar")
           for name in (f"Link-{code}", f"Internal link helper/{code}")},
        **dict.fromkeys(_ILL_NAMES, _ill),
    },
    "ru": {
        **dict.fromkeys(("Не переведено", "Не переведено 5", "Нп5", "Нп", "Iw"), _ne_perevedeno),
        **dict.fromkeys(("Ill",), _ill),
    },
    "ar": {
        **dict.fromkeys(("وصلة إنترويكي", "وإو"), _ar_interwiki),
        **dict.fromkeys(_ILL_NAMES, _ill),
    },
    "es": dict.fromkeys(("Ill", "Ill2", "Interlanguage link", "Enlace interlingüístico"), _ill),
    "hi": dict.fromkeys(_ILL_NAMES, _ill),
    "sw": dict.fromkeys(_ILL_NAMES, _ill),
}


def interlanguage_templates(lang: str) -> dict[str, Parser]:
    """The interlanguage-link templates of the wiki in language ``lang`` (template key -> parser); a language
    without its own table has the ``{{ill}}`` family of enwiki."""
    return INTERLANGUAGE_TEMPLATES.get(lang, INTERLANGUAGE_TEMPLATES["en"])


@lru_cache(maxsize=32)
def _ill_start(lang: str) -> tuple[re.Pattern[str], dict[str, Parser]]:
    """The pattern that finds the interlanguage-link templates of wiki language ``lang`` and their parsers by
    case-folded name (as the registry, case variants of a name are read as redirects)."""
    table = interlanguage_templates(lang)
    names = sorted(table, key=len, reverse=True)
    alternatives = "|".join(re.escape(name).replace("\\ ", "[ _]+") for name in names)
    pattern = re.compile(rf"\{{\{{\s*(?:template:|テンプレート:)?\s*({alternatives})\s*\|", re.I)
    return pattern, {template_key(name).casefold(): parse for name, parse in table.items()}


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
        end = template_end(wikitext, m.start())
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

