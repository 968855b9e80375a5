"""Language-converter markup ``-{...}-`` of the wikis that show one text in several variants (zhwiki:
simplified and traditional Chinese, and their regional forms), resolved to the text of one variant.

MediaWiki shows, for a reader of variant V:

* ``-{text}-``: ``text`` as written (not converted);
* ``-{zh-hans:位于;zh-hant:位於}-``: the text given for V, else for the first of V's fallbacks given
  (MediaWiki's fallback chains, below), else the first text given;
* ``-{A|zh-hans:位于;zh-hant:位於}-``: the same, and the rule applies to the rest of the page;
* ``-{H|...}-``, ``-{T|...}-``, ``-{-|...}-``: nothing (a rule for the page, its title, a removed rule);
* ``-{R|text}-``: ``text`` raw; ``-{zh-hans;zh-hant|text}-``: ``text`` for those variants only;
* ``-{zh-cn:计算机=>zh-tw:電腦}-`` (one-way): the target text for V, else the source text.

What this module does not do: apply the rules of ``A``/``H`` to the rest of the page, nor convert the page's
own characters between scripts (MediaWiki does that with large character tables on every view); the text
outside the markup stays as its editors wrote it. ``D`` (describe) shows the chosen text, ``N`` (variant
name) nothing. Flags are read before the first ``|`` outside ``[[...]]`` only when they are flags or variant
codes (MediaWiki sees the rendered HTML there, where a link's pipe is gone).
"""

from __future__ import annotations

import re

from leia.errors import ConfigError

__all__ = ["VARIANTS", "DEFAULT_VARIANT", "FALLBACKS", "convert", "check_variant", "has_converter"]

# The variants of zhwiki and, for each, the variants MediaWiki falls back to, in order (LanguageConverter
# for zh). ``zh`` is "no conversion": it shows the first text given when there is no ``zh`` text.
FALLBACKS: dict[str, tuple[str, ...]] = {
    "zh": ("zh-hans", "zh-hant", "zh-cn", "zh-tw", "zh-hk", "zh-sg", "zh-mo", "zh-my"),
    "zh-hans": ("zh-cn", "zh-sg", "zh-my", "zh"),
    "zh-hant": ("zh-tw", "zh-hk", "zh-mo", "zh"),
    "zh-cn": ("zh-hans", "zh-sg", "zh-my", "zh"),
    "zh-sg": ("zh-hans", "zh-cn", "zh-my", "zh"),
    "zh-my": ("zh-hans", "zh-sg", "zh-cn", "zh"),
    "zh-tw": ("zh-hant", "zh-hk", "zh-mo", "zh"),
    "zh-hk": ("zh-hant", "zh-mo", "zh-tw", "zh"),
    "zh-mo": ("zh-hant", "zh-hk", "zh-tw", "zh"),
}
VARIANTS = frozenset(FALLBACKS)
DEFAULT_VARIANT = "zh-hans"
_LANGUAGES = frozenset({"zh"})

_FLAGS = frozenset("ATRDHN-")
_TOKEN = re.compile(r"-\{|\}-")
_LINK = re.compile(r"\[\[|\]\]|\|")
_CODES = "|".join(sorted((re.escape(v) for v in VARIANTS), key=len, reverse=True))
_SEPARATOR = re.compile(rf";\s*(?=(?:{_CODES})\s*:|[^;]*?=>\s*(?:{_CODES})\s*:|\s*\Z)")
_BIDIRECTIONAL = re.compile(rf"\s*({_CODES})\s*:(.*)\Z", re.S)
_ONE_WAY = re.compile(rf"([^;]*?)=>\s*({_CODES})\s*:(.*)\Z", re.S)


def has_converter(lang: str) -> bool:
    """Whether the wiki of language ``lang`` reads ``-{...}-`` as converter markup (elsewhere MediaWiki
    shows it as written)."""
    return lang in _LANGUAGES


def check_variant(variant: str | None) -> str:
    """``variant``, or the default when None; ConfigError naming the choices for an unknown one."""
    if variant is None:
        return DEFAULT_VARIANT
    if variant not in VARIANTS:
        raise ConfigError(f"unknown language variant {variant!r}: choose one of {', '.join(sorted(VARIANTS))}")
    return variant


def convert(text: str, variant: str = DEFAULT_VARIANT) -> str:
    """``text`` with every balanced ``-{...}-`` replaced by what a reader of ``variant`` sees (innermost
    first); an unbalanced ``-{`` or ``}-`` stays as written, as MediaWiki shows it."""
    if "-{" not in text:
        return text
    frames: list[list[str]] = [[]]
    last = 0
    for m in _TOKEN.finditer(text):
        if m.group() == "-{":
            frames[-1].append(text[last:m.start()])
            frames.append([])
            last = m.end()
        elif len(frames) > 1:
            frames[-1].append(text[last:m.start()])
            inner = "".join(frames.pop())
            frames[-1].append(_rule(inner, variant))
            last = m.end()
    frames[-1].append(text[last:])
    while len(frames) > 1:
        opened = "".join(frames.pop())
        frames[-1].append("-{" + opened)
    return "".join(frames[0])


def _rule(inner: str, variant: str) -> str:
    flags, body = _flags(inner)
    if flags:
        letters = {f for f in flags if f in _FLAGS}
        variants = {f for f in flags if f in VARIANTS}
        if "R" in letters:
            return body
        if letters & {"H", "-", "N"} or letters == {"T"}:
            return ""
        if variants and not letters:
            chain = (variant, *FALLBACKS[variant])
            return body if any(v in variants for v in chain) else ""
    return _choose(body, variant)


def _flags(inner: str) -> tuple[list[str], str]:
    """The flags before the first ``|`` outside links, when every one is a flag or a variant code."""
    if "|" not in inner:
        return [], inner
    depth = 0
    for m in _LINK.finditer(inner):
        token = m.group()
        if token == "[[":
            depth += 1
        elif token == "]]":
            depth = max(0, depth - 1)
        elif depth == 0:
            flags = [f.strip() for f in inner[:m.start()].split(";")]
            flags = [f for f in flags if f]
            if flags and all(f in _FLAGS or f in VARIANTS for f in flags):
                return flags, inner[m.end():]
            return [], inner
    return [], inner


def _choose(body: str, variant: str) -> str:
    """The text of ``variant`` in a list of ``code:text`` (and ``source=>code:text``) rules; a body that is
    no such list is shown as written."""
    texts: dict[str, str] = {}
    sources: list[str] = []
    first: str | None = None
    for part in _SEPARATOR.split(body):
        m = _ONE_WAY.match(part)
        if m is not None:
            texts.setdefault(m.group(2), _clean(m.group(3)))
            source = _BIDIRECTIONAL.match(m.group(1))
            sources.append((source.group(2) if source else m.group(1)).strip())
            continue
        m = _BIDIRECTIONAL.match(part)
        if m is not None:
            shown = _clean(m.group(2))
            texts.setdefault(m.group(1), shown)
            first = shown if first is None else first
    if not texts:
        return body
    for code in (variant, *FALLBACKS[variant]):
        if code in texts:
            return texts[code]
    if sources:
        return sources[0]
    return first if first is not None else ""


def _clean(text: str) -> str:
    text = text.strip()
    return text[:-1].rstrip() if text.endswith(";") else text
