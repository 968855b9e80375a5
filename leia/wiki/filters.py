"""Page and section filters for a training corpus: disambiguation pages are left out, and the sections that
only point elsewhere (see also, references, notes, external links, further reading) are cut from the pages
kept. Both read a page's raw wikitext, before it is converted, and are cheap on pages they do not change.

A disambiguation page is one that transcludes a disambiguation template of its wiki (``{{曖昧さ回避}}``,
``{{Aimai}}``, ``{{Disambig}}``, ``{{人名の曖昧さ回避}}`` ...; ``{{disambiguation}}``, ``{{dab}}``,
``{{hndis}}`` ... on enwiki), holds the ``__DISAMBIG__`` switch, or whose title ends with the wiki's
disambiguation suffix (``(曖昧さ回避)``, ``(disambiguation)``). Set index articles (``{{set index article}}``,
``{{surname}}``) are lists about one name, not disambiguation pages, and are kept.

A navigation section is one whose heading (any level; comments, templates, tags and bold or italic quotes
left out, case and spacing ignored) is in its wiki's table, or is made of such names joined by ``・``,
``/``, ``,``, ``and`` and the like (``脚注・出典``, ``Notes and references``). It is cut from its heading up
to the next heading of the same or a higher level, subsections included. Headings inside comments,
``<nowiki>``, ``<pre>``, ``<math>`` (and the other blocks whose braces are not templates') and templates
(as ``leia.wiki.wikitext.templates.braces`` reads them) are not headings for this purpose, nor are those
after a ``{{`` never closed (where the template was meant to end is unknown). Wikis whose language has no
table use the English one.
"""

from __future__ import annotations

import re

from leia.wiki.wikitext.templates.braces import first_unclosed, inside_spans, template_spans
from leia.wiki.siteinfo import SiteInfo

__all__ = [
    "DISAMBIGUATION_TEMPLATES",
    "DISAMBIGUATION_SWITCHES",
    "DISAMBIGUATION_SUFFIXES",
    "NAVIGATION_SECTIONS",
    "is_disambiguation",
    "drop_navigation_sections",
]

_ENGLISH_DISAMBIGUATION = (
    "disambiguation", "disambig", "disamb", "dab", "dbig", "hndis", "human name disambiguation", "geodis",
    "geographic disambiguation", "disambiguation cleanup", "dab cleanup", "hospital disambiguation",
    "hospitaldis", "school disambiguation", "schooldis", "mathdab", "math disambiguation", "numberdis",
    "number disambiguation", "letter-number combination disambiguation", "letter-numbercombdisambig",
    "species latin name disambiguation", "genus disambiguation", "mil-unit-dis",
    "military unit disambiguation", "call sign disambiguation", "place name disambiguation",
)

# Disambiguation templates by wiki language, with the redirects to them editors use (names compared as
# MediaWiki compares template names: first letter, spaces and underscores aside).
DISAMBIGUATION_TEMPLATES: dict[str, tuple[str, ...]] = {
    "ja": (
        "曖昧さ回避", "aimai", "disambig", "dab", "disambiguation", "人名の曖昧さ回避", "地名の曖昧さ回避",
        "山の曖昧さ回避", "学校の曖昧さ回避", "駅の曖昧さ回避", "企業の曖昧さ回避", "同名の船", "曖昧さ回避ページ",
    ),
    "en": _ENGLISH_DISAMBIGUATION,
    "zh": ("disambig", "dab", "disambiguation", "消歧义", "消歧義", "消歧义页", "消歧義頁", "人名消歧义",
           "人名消歧義", "地名消歧义", "地名消歧義"),
    "ru": ("неоднозначность", "многозначность", "disambig", "значения", "неоднозначность/шаблон"),
    "es": ("desambiguación", "desambiguacion", "desambig", "disambig", "des"),
    "ar": ("توضيح", "disambig", "صفحة توضيح"),
    "hi": ("बहुविकल्पी", "disambig", "बहुविकल्पी शब्द"),
    "sw": ("maana", "disambig"),
}
# The behaviour switch the Disambiguator extension reads, with its localised names.
DISAMBIGUATION_SWITCHES = ("__DISAMBIG__", "__曖昧さ回避__", "__消歧义__", "__消歧義__", "__НЕОДНОЗНАЧНОСТЬ__")
DISAMBIGUATION_SUFFIXES: dict[str, tuple[str, ...]] = {
    "ja": ("(曖昧さ回避)",), "en": ("(disambiguation)",), "zh": ("(消歧义)", "(消歧義)"),
    "ru": ("(значения)",), "es": ("(desambiguación)",), "ar": ("(توضيح)",), "hi": ("(बहुविकल्पी)",),
    "sw": ("(maana)",),
}

# Navigation sections by wiki language.
NAVIGATION_SECTIONS: dict[str, frozenset[str]] = {
    "ja": frozenset({
        "関連項目", "外部リンク", "脚注", "脚註", "出典", "参考文献", "注釈", "註釈", "注記", "註記", "注", "註",
        "参照", "参考", "参考資料", "参考図書", "関連文献", "関連書籍", "外部サイト", "引用", "典拠",
    }),
    "en": frozenset({
        "see also", "external links", "external link", "references", "reference", "notes", "note",
        "further reading", "bibliography", "sources", "source", "citations", "footnotes", "works cited",
        "related pages", "other websites", "external sites",
    }),
    "zh": frozenset({
        "参见", "參見", "参看", "參看", "参考", "參考", "参考文献", "參考文獻", "参考资料", "參考資料", "外部链接",
        "外部連結", "外部鏈接", "注释", "註釋", "注解", "註解", "脚注", "腳註", "延伸阅读", "延伸閱讀", "相关条目",
        "相關條目", "参考来源", "參考來源", "来源", "來源",
    }),
    "ru": frozenset({"см. также", "ссылки", "примечания", "литература", "источники", "сноски"}),
    "es": frozenset({
        "véase también", "referencias", "enlaces externos", "notas", "bibliografía", "fuentes",
        "bibliografía adicional", "lecturas adicionales",
    }),
    "ar": frozenset({
        "انظر أيضا", "انظر أيضًا", "مراجع", "المراجع", "وصلات خارجية", "روابط خارجية", "هوامش", "مصادر",
        "المصادر", "قراءات إضافية", "ملاحظات",
    }),
    "hi": frozenset({"इन्हें भी देखें", "सन्दर्भ", "संदर्भ", "बाहरी कड़ियाँ", "टिप्पणी", "टिप्पणियाँ"}),
    "sw": frozenset({"tazama pia", "marejeo", "viungo vya nje", "tanbihi", "vyanzo"}),
}

_HEADING = re.compile(r"\n(={1,6})([^\n]+?)(={1,6})[ \t]*(?:<!--[^\n]*?-->[ \t]*)*(?=\n|\Z)")
_NAME_NOISE = re.compile(r"<!--.*?-->|<[^<>]*>|'{2,}|\{\{[^{}]*\}\}", re.S)
_JOINERS = re.compile(r"\s*(?:[・/／,，、&＆]|\band\b|\by\b|\bи\b|\bو\b|および|及び|と)\s*")
_SPACES = re.compile(r"[\s_\u3000]+")
_UNUSUAL = re.compile(r"[<'{=_\s\u3000・/／,，、&＆とو]|および|及び")


def _key(name: str) -> str:
    return _SPACES.sub(" ", name).strip().casefold()


class _Tables:
    """The compiled tables of one wiki language."""

    def __init__(self, lang: str):
        names = DISAMBIGUATION_TEMPLATES.get(lang, _ENGLISH_DISAMBIGUATION)
        if lang != "en":
            names = names + tuple(n for n in ("disambiguation", "disambig") if n not in names)
        alternatives = "|".join(
            r"[ _]+".join(re.escape(word) for word in name.split())
            for name in sorted(set(names), key=len, reverse=True)
        )
        self.template = re.compile(
            rf"\{{\{{\s*(?:(?:template|テンプレート|模板|шаблон|plantilla|قالب|साँचा|kigezo)\s*:\s*)?"
            rf"(?:{alternatives})\s*(?:\||\}}\}})",
            re.I,
        )
        self.suffixes = DISAMBIGUATION_SUFFIXES.get(lang, DISAMBIGUATION_SUFFIXES["en"])
        self.sections = NAVIGATION_SECTIONS.get(lang, NAVIGATION_SECTIONS["en"])
        self.headings: dict[str, bool] = {}


_TABLES: dict[str, _Tables] = {}
_HEADING_CACHE = 100_000


def _tables(lang: str) -> _Tables:
    tables = _TABLES.get(lang)
    if tables is None:
        tables = _TABLES[lang] = _Tables(lang)
    return tables


def is_disambiguation(wikitext: str, site: SiteInfo, title: str | None = None) -> bool:
    """Whether the page is a disambiguation page of its wiki (see the module docstring)."""
    tables = _tables(site.lang)
    if title is not None and title.rstrip().endswith(tables.suffixes):
        return True
    if "__" in wikitext and any(switch in wikitext for switch in DISAMBIGUATION_SWITCHES):
        return True
    return "{{" in wikitext and tables.template.search(wikitext) is not None


def is_navigation_heading(name: str, site: SiteInfo) -> bool:
    """Whether a section heading (its text between the ``=`` marks) names a navigation section."""
    tables = _tables(site.lang)
    known = tables.headings.get(name)
    if known is None:
        if len(tables.headings) >= _HEADING_CACHE:
            tables.headings.clear()
        known = tables.headings[name] = _is_navigation(name, tables.sections)
    return known


def _is_navigation(name: str, sections: frozenset[str]) -> bool:
    key = name.strip().casefold()
    if key in sections:
        return True
    if not _UNUSUAL.search(key):
        return False
    key = _key(_NAME_NOISE.sub("", key).strip("="))
    if key in sections:
        return True
    parts = [part for part in _JOINERS.split(key) if part]
    return len(parts) > 1 and all(part in sections for part in parts)


def drop_navigation_sections(wikitext: str, site: SiteInfo) -> tuple[str, int]:
    """The page without its navigation sections, and how many were cut (a navigation section inside one
    already cut is not counted again)."""
    headings = _headings(wikitext)
    if not headings:
        return wikitext, 0
    navigation = [is_navigation_heading(name, site) for _, _, name in headings]
    if not any(navigation):
        return wikitext, 0
    first = navigation.index(True)
    headings, navigation = headings[first:], navigation[first:]
    kept = [(h, nav) for h, nav, real in zip(headings, navigation, _real(wikitext, headings)) if real]
    out: list[str] = []
    last = 0
    index = 0
    while index < len(kept):
        (begin, level, _), nav = kept[index]
        index += 1
        if not nav:
            continue
        while index < len(kept) and kept[index][0][1] > level:
            index += 1
        end = kept[index][0][0] if index < len(kept) else len(wikitext)
        out.append(wikitext[last:begin])
        last = end
    if not out:
        return wikitext, 0
    out.append(wikitext[last:])
    return "".join(out), len(out) - 1


def _headings(wikitext: str) -> list[tuple[int, int, str]]:
    """(offset, level, text between the marks) of the lines that read as headings."""
    found = [(m.start() + 1, min(len(m.group(1)), len(m.group(3))), m.group(2))
             for m in _HEADING.finditer(wikitext)]
    if wikitext.startswith("="):
        m = _HEADING.match("\n" + wikitext)
        if m is not None:
            found.insert(0, (0, min(len(m.group(1)), len(m.group(3))), m.group(2)))
    return found


def _real(wikitext: str, headings: list[tuple[int, int, str]]) -> list[bool]:
    """For each heading, whether it is outside comments, the blocks of ``_HIDDEN_START`` and templates
    (the spans of ``braces.template_spans`` once those blocks are left out), and before any ``{{`` never
    closed (after one, where a template was meant to end is unknown: the section is kept)."""
    offsets = [begin for begin, _, _ in headings]
    hidden = _hidden(wikitext)
    real = [not inside for inside in inside_spans(hidden, offsets)]
    if "{{" not in wikitext:
        return real
    if hidden:
        pieces, last = [], 0
        for begin, end in hidden:
            pieces += [wikitext[last:begin], " " * (end - begin)]
            last = end
        wikitext = "".join(pieces) + wikitext[last:]
    in_template = inside_spans(template_spans(wikitext), offsets)
    unclosed = first_unclosed(wikitext)
    limit = len(wikitext) + 1 if unclosed < 0 else unclosed
    return [ok and not inside and offset < limit for ok, inside, offset in zip(real, in_template, offsets)]


def _hidden(wikitext: str) -> list[tuple[int, int]]:
    """The spans of comments and of the blocks whose braces are not templates' (``<nowiki>``, ``<pre>``,
    ``<math>``, ``<chem>``, ``<ce>``, ``<syntaxhighlight>``, ``<source>``; lower-case tags), in order."""
    spans: list[tuple[int, int]] = []
    end = 0
    for m in _HIDDEN_START.finditer(wikitext):
        if m.start() < end:
            continue
        closing = _HIDDEN_END[m.group()[:4]]
        end = wikitext.find(closing, m.end())
        end = len(wikitext) if end < 0 else end + len(closing)
        spans.append((m.start(), end))
    return spans


_HIDDEN_START = re.compile(r"<!--|<nowiki>|<(?:pre|math|chem|ce|syntaxhighlight|source)[ >]")
_HIDDEN_END = {"<!--": "-->", "<now": "</nowiki>", "<pre": "</pre>", "<mat": "</math>", "<che": "</chem>",
               "<ce ": "</ce>", "<ce>": "</ce>", "<syn": "</syntaxhighlight>", "<sou": "</source>"}
