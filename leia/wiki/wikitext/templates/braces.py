"""The one brace scanner of the wiki package: where the ``{{...}}`` of templates and parser functions begin
and end, and where their pipes split them into parts.

One rule, MediaWiki's: ``{{`` and ``}}`` are read left to right as tokens (``{{{`` is ``{{`` then ``{``);
each ``}}`` closes the latest ``{{`` still open; a ``{{`` never closed is literal text, and so is a ``}}``
with nothing open. Inside a call, a pipe splits it into parts only outside nested ``{{...}}`` and
``[[...]]``. The expander renders the spans of :func:`template_spans`, the {{仮リンク}} harvest reads one
template to :func:`template_end`, and the section filter tells headings inside templates by the same spans
(and, being cautious, keeps the sections after a :func:`first_unclosed` ``{{``).
"""

from __future__ import annotations

import re

__all__ = ["template_spans", "template_end", "first_unclosed", "inside_spans", "split_pieces", "split_named"]

_TOKEN = re.compile(r"\{\{|\}\}")
_PIECE_TOKEN = re.compile(r"\{\{|\}\}|\[\[|\]\]|\|")
_NAMED_TOKEN = re.compile(r"\{\{|\}\}|\[\[|\]\]|=")


def template_spans(text: str, start: int = 0) -> list[tuple[int, int]]:
    """The outermost ``{{...}}`` spans of ``text[start:]`` as (start, end) offsets, by the module's rule."""
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


def template_end(text: str, begin: int) -> int:
    """The end of the call whose ``{{`` is at ``begin``, by the module's rule read from ``begin`` on; -1 when
    it is never closed (then it is literal text)."""
    depth = 0
    for m in _TOKEN.finditer(text, begin):
        depth += 1 if m.group() == "{{" else -1
        if depth == 0:
            return m.end()
    return -1


def first_unclosed(text: str) -> int:
    """The offset of the first ``{{`` of ``text`` that is never closed (literal text, by the module's rule;
    it lies inside no span), else -1."""
    stack: list[int] = []
    for m in _TOKEN.finditer(text):
        if m.group() == "{{":
            stack.append(m.start())
        elif stack:
            stack.pop()
    return stack[0] if stack else -1


def inside_spans(spans: list[tuple[int, int]], offsets: list[int]) -> list[bool]:
    """For each of ``offsets`` (in increasing order), whether it lies strictly inside one of ``spans``
    (sorted and disjoint, as :func:`template_spans` gives them)."""
    inside: list[bool] = []
    index = 0
    for offset in offsets:
        while index < len(spans) and spans[index][1] <= offset:
            index += 1
        inside.append(index < len(spans) and spans[index][0] < offset)
    return inside


def split_pieces(inner: str) -> list[str]:
    """The pipe-separated parts of a call's inside (without its braces), pipes inside nested ``{{}}`` and
    ``[[]]`` not splitting."""
    if "|" not in inner:
        return [inner]
    pieces: list[str] = []
    depth = 0
    last = 0
    for m in _PIECE_TOKEN.finditer(inner):
        token = m.group()
        if token == "|":
            if depth == 0:
                pieces.append(inner[last:m.start()])
                last = m.end()
        elif token in ("{{", "[["):
            depth += 1
        elif depth:
            depth -= 1
    pieces.append(inner[last:])
    return pieces


def split_named(piece: str) -> tuple[str, str] | None:
    """(name, value) of a ``name=value`` part, the ``=`` outside nested braces and brackets; else None."""
    if "=" not in piece:
        return None
    depth = 0
    for m in _NAMED_TOKEN.finditer(piece):
        token = m.group()
        if token == "=":
            if depth == 0:
                return piece[:m.start()], piece[m.end():]
        elif token in ("{{", "[["):
            depth += 1
        elif depth:
            depth -= 1
    return None
