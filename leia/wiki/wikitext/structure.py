"""The structure of wikitext lines: headings, list items, definition terms and definitions, rules, and
tables (removed whole, nested ones included), by MediaWiki's rules.
"""

from __future__ import annotations

import re

from leia.wiki.wikitext.extlinks import FREE_URL

__all__ = ["SPECIAL_STARTS", "line_contents", "remove_tables"]

_TABLE = re.compile(r"^[ \t:]*(\{\|)|^[ \t]*(\|\})", re.M)
_MARKERS = re.compile(r"[*#:;]+")
SPECIAL_STARTS = frozenset("=*#:;-")  # first characters of a line that may not be a paragraph
_DEFINITION_TOKEN = re.compile(r"\[\[|\]\]|\[|\]|<(/?)[A-Za-z][^<>]*?(/?)>|'{2,}|:")


def _heading(line: str) -> str | None:
    """The title of a heading line (MediaWiki: the longest run of up to six ``=`` that both ends have,
    around at least one character), else None."""
    for level in range(6, 0, -1):
        mark = "=" * level
        if len(line) > 2 * level and line.startswith(mark) and line.endswith(mark):
            return line[level:-level].strip(" \t")
    return None


def remove_tables(text: str) -> str:
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


def line_contents(line: str) -> list[str]:
    """What a line shows by its kind: a heading's title, a list item's content, a definition term and its
    definition, what follows a rule (``----``); the line itself otherwise. Empty parts are left out."""
    head = line[0]
    if head == "=":
        title = _heading(line)
        if title is None:
            return [line]
        title = title.strip()
        return [title] if title else []
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


def _split_definition(content: str) -> list[str]:
    """``;term:definition`` split at the first colon that MediaWiki would split at: one outside links,
    external links and URLs, HTML elements, and bold or italic text."""
    depth = 0
    quotes = 0
    urls = [(m.start(), m.end()) for m in FREE_URL.finditer(content)] if ":" in content else []
    for m in _DEFINITION_TOKEN.finditer(content):
        token = m.group()
        if token == ":":
            if depth == 0 and quotes == 0 and not any(a <= m.start() < b for a, b in urls):
                return [content[:m.start()].strip(), content[m.end():].strip()]
        elif token in ("[[", "["):
            depth += 1
        elif token in ("]]", "]"):
            depth = max(0, depth - 1)
        elif token[0] == "'":
            n = len(token)
            quotes ^= 1 if n == 2 else 2 if n in (3, 4) else 3
        elif m.group(1):
            depth = max(0, depth - 1)
        elif not m.group(2) and token[1:3].lower() not in ("br", "hr"):
            depth += 1
    return [content]
