"""What converting a page gives, on both routes (wikitext and Parsoid HTML): lines of plain text with the
anchors that link spans of them to articles (:class:`Parsed`, :class:`Anchor`), or :class:`UnparsablePage`;
and how a converted line is finished (split at kept breaks, stripped, spaces squeezed, anchors trimmed).
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["Anchor", "Parsed", "UnparsablePage", "BREAK", "NOWIKI_MARK", "SENTINELS", "needs_finish",
           "finish_line", "trim_anchors"]

BREAK = "\ufdd0"  # a line break the text keeps; finish_line splits there
NOWIKI_MARK = "\ufdd3"  # where a <nowiki> ended: it separates quotes and ends link trails, then is removed
# The noncharacters the conversion uses as marks (these two, interlanguage-link keys, held links): removed
# from a page before it is read.
SENTINELS = re.compile("[\ufdd0-\ufdd4]")

# A line that still holds a break, a nowiki mark, a tab or a run of spaces needs finish_line.
needs_finish = re.compile("[\ufdd0\ufdd3\t]|  ").search


class Anchor(NamedTuple):
    """``text[start:end]`` links to the article ``target`` (normalised title); ``english`` is the English
    title the wikitext names inline for this mention (``{{仮リンク}}``, ``{{ill}}``), else None."""

    start: int
    end: int
    target: str
    english: str | None


class Parsed(NamedTuple):
    """A page's plain text (lines joined by ``\\n``, none empty) and its anchors in text order."""

    text: str
    anchors: list[Anchor]


class UnparsablePage(Exception):
    """A page the converter cannot handle (too large, nested too deep, or the parser gave up): the caller
    counts it and skips it."""


def finish_line(line: str, anchors: list[Anchor]) -> list[tuple[str, list[Anchor]]]:
    """Split at line breaks, strip, squeeze runs of spaces and tabs, drop nowiki marks; anchors are trimmed
    of surrounding whitespace, and dropped when they cross a break or show nothing."""
    if not needs_finish(line) and line == line.strip():
        if not line:
            return []
        return [(line, trim_anchors(line, anchors))]
    result: list[tuple[str, list[Anchor]]] = []
    base = 0
    for piece in line.split(BREAK):
        end = base + len(piece)
        inside = [a for a in anchors if a.start >= base and a.end <= end]
        squeezed, mapped = _squeeze(piece, base, inside)
        if squeezed:
            result.append((squeezed, trim_anchors(squeezed, mapped)))
        base = end + 1
    return result


def trim_anchors(line: str, anchors: list[Anchor]) -> list[Anchor]:
    """``anchors`` in ``line`` without surrounding whitespace; those that show nothing are dropped."""
    result: list[Anchor] = []
    for a in anchors:
        start, end = a.start, a.end
        while start < end and line[start].isspace():
            start += 1
        while end > start and line[end - 1].isspace():
            end -= 1
        if start < end:
            result.append(a if (start, end) == (a.start, a.end) else Anchor(start, end, a.target, a.english))
    return result


def _squeeze(piece: str, base: int, anchors: list[Anchor]) -> tuple[str, list[Anchor]]:
    n = len(piece)
    left = 0
    while left < n and (piece[left].isspace() or piece[left] == NOWIKI_MARK):
        left += 1
    right = n
    while right > left and (piece[right - 1].isspace() or piece[right - 1] == NOWIKI_MARK):
        right -= 1
    positions = [0] * (n + 1)
    out: list[str] = []
    length = 0
    previous_space = False
    for i, char in enumerate(piece):
        positions[i] = length
        if i < left or i >= right or char == NOWIKI_MARK:
            continue
        space = char in " \t"
        if space and previous_space:
            continue
        out.append(" " if space else char)
        length += 1
        previous_space = space
    positions[n] = length
    mapped = [Anchor(positions[a.start - base], positions[a.end - base], a.target, a.english) for a in anchors]
    return "".join(out), mapped

