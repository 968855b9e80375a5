"""Bold and italic quotes (``''``, ``'''``, ``'''''``) rendered by MediaWiki's rules: the text a line shows once
they are read, links counting as one letter of the line around them.
"""

from __future__ import annotations

import re

__all__ = ["render_quotes"]

_HOLD = "\ufdd4"  # where a link stands while the quotes around it are read
_HOLDS = re.compile(_HOLD)
_QUOTE_SPLIT = re.compile(r"('{2,})")
_QUOTE_RUNS = re.compile(r"'{2,}")
_QUOTES_IN_LINK = re.compile(r"\[\[[^\[\]\n]*''")
_QUOTED_LINK = re.compile(r"\[\[([^\[\]|\n]*)(\|[^\[\]\n]*)?\]\]")


def _quote_text(line: str) -> str:
    """The text of a line once its bold and italic quotes are rendered, by MediaWiki's rules: a run of 4
    shows one apostrophe, a run of more than 5 shows the extra ones, and when both the bold and the italic
    runs are odd in number one bold run shows an apostrophe and becomes italic (the first after a
    one-letter word, else after a longer word, else after a space)."""
    parts = _QUOTE_SPLIT.split(line)
    italics = bold = 0
    for i in range(1, len(parts), 2):
        n = len(parts[i])
        if n == 4:
            parts[i - 1] += "'"
            parts[i] = "'''"
        elif n > 5:
            parts[i - 1] += "'" * (n - 5)
            parts[i] = "'''''"
        n = len(parts[i])
        if n == 2:
            italics += 1
        elif n == 3:
            bold += 1
        else:
            italics += 1
            bold += 1
    if italics % 2 and bold % 2:
        single = multi = space = -1
        for i in range(1, len(parts), 2):
            if len(parts[i]) != 3:
                continue
            before = parts[i - 1]
            x1 = before[-1:]
            x2 = before[-2:-1] if len(before) >= 2 else before[:1]
            if x1 == " ":
                if space < 0:
                    space = i
            elif x2 == " ":
                single = i
                break
            elif multi < 0:
                multi = i
        chosen = single if single >= 0 else multi if multi >= 0 else space
        if chosen >= 0:
            parts[chosen - 1] += "'"
    return "".join(parts[0::2])


def render_quotes(content: str) -> str:
    """``content`` with bold and italic quotes rendered; a link's target is left alone, its label rendered
    on its own, and the link counts as one letter of the line around it (as in MediaWiki, which replaces
    links by placeholders before it reads quotes)."""
    runs = _QUOTE_RUNS.findall(content)
    if "[[" not in content or not _QUOTES_IN_LINK.search(content):
        # The common case: runs of 2, 3 and 5 only, not both odd in number, none inside a link.
        lengths = [len(run) for run in runs]
        italics = sum(n != 3 for n in lengths)
        bold = sum(n != 2 for n in lengths)
        if all(n in (2, 3, 5) for n in lengths) and not (italics % 2 and bold % 2):
            return _QUOTE_RUNS.sub("", content)
        if "[[" not in content:
            return _quote_text(content)
    kept: list[str] = []

    def hold(m: re.Match[str]) -> str:
        label = m.group(2)
        if label and "''" in label:
            label = "|" + _quote_text(label[1:])
        kept.append(f"[[{m.group(1)}{label or ''}]]")
        return _HOLD

    text = _quote_text(_QUOTED_LINK.sub(hold, content))
    if not kept:
        return text
    held = iter(kept)
    return _HOLDS.sub(lambda m: next(held), text)
