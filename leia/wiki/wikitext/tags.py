"""HTML and extension tags in wikitext: which tags are dropped with their contents, which MediaWiki renders
(any other is shown as text), and the two passes over a page's tags: :func:`render_tags` (comments removed,
``<nowiki>`` and ``<pre>`` escaped, the TeX source of ``<math>``/``<chem>`` shown, the other extension
tags that show no running text dropped) and :func:`strip_html_tags` (inline tags removed keeping their
text, block tags and ``<br>`` turned into kept line breaks).
"""

from __future__ import annotations

import re

from leia.wiki.lines import BREAK, NOWIKI_MARK

__all__ = ["DROPPED_TAGS", "KNOWN_TAGS", "MARKUP_CHARACTERS", "render_tags", "strip_html_tags"]

_DROPPED_TAGS = (
    "ref|references|math|chem|ce|syntaxhighlight|source|score|timeline|gallery|graph|hiero|imagemap|"
    "templatedata|templatestyles|mapframe|maplink|categorytree|inputbox|section|indicator|charinsert|"
    "includeonly|table|dynamicpagelist|phonos"
)
DROPPED_TAGS = frozenset(_DROPPED_TAGS.split("|"))
# Tags MediaWiki renders (its HTML allow-list, the extension tags of Wikipedia, transclusion markers); any
# other tag is shown as text, as MediaWiki escapes it.
KNOWN_TAGS = DROPPED_TAGS | frozenset(
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
MARKUP_CHARACTERS = frozenset("[]{}<>|'&=*#:;_~!-/")
_PROTECT = re.compile(r"(&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);)|[\[\]{}<>|'&=*#:;_~!\-/]")
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


def _protect(text: str) -> str:
    """Markup characters as numeric entities, so that nothing after reads them as markup; entities are
    kept (MediaWiki shows ``<nowiki>&lt;</nowiki>`` as ``<``)."""
    return _PROTECT.sub(lambda m: m.group(1) or f"&#{ord(m.group())};", text)


def _block(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        if m.group(1).lower() == "nowiki":
            return NOWIKI_MARK + _protect(m.group(2)) + NOWIKI_MARK
        return BREAK + _protect(_NOWIKI_IN_PRE.sub(r"\1", m.group(2))) + BREAK
    if m.group(3) is not None:
        return NOWIKI_MARK
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


def strip_html_tags(text: str) -> str:
    """``text`` without its inline HTML tags (their text kept); block tags and ``<br>`` become breaks."""
    return _BLOCK_TAG.sub(BREAK, _INLINE_TAG.sub("", text))
