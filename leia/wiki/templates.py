"""Templates in article wikitext: found by balanced-brace scanning, dropped, or rendered to the wikitext of
the running text they carry.

Most templates (infoboxes, navigation boxes, citations, maintenance tags, magic words, parser functions)
carry no running text and are cut out whole without looking inside. The few that do (``lang``,
``仮リンク``/``ill``, ``nihongo``, ``ルビ``, ``convert`` ...) are replaced by what they show, as wikitext
that may still hold links. An interlanguage-link template becomes ``[[<key>|label]]`` whose title is a key
into a side table of ``(local title, English title)``: the link converter reads the anchor's target and
English title from there.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import NamedTuple

from leia.wiki import parserfunctions
from leia.wiki.siteinfo import SiteInfo

__all__ = [
    "ILL_OPEN",
    "ILL_CLOSE",
    "MAX_DEPTH",
    "TooDeep",
    "Expander",
    "PageContext",
    "ILL_TEMPLATES",
    "ill_english",
    "split_arguments",
    "template_spans",
]

ILL_OPEN = "\ufdd1"
ILL_CLOSE = "\ufdd2"
MAX_DEPTH = 20

ILL_TEMPLATES = frozenset({
    "仮リンク", "ill", "ill2", "interlanguage link", "interlanguage link multi", "interlanguage link forced",
    "iii",
})

_TOKEN = re.compile(r"\{\{|\}\}")
_SPACES = re.compile(r"[\s_]+")
_PREFIXES = ("subst:", "safesubst:", "template:", "テンプレート:", "msgnw:", "raw:")

# jawiki's {{lang-xx}} shows "<language name>: text"; {{lang-xx-short}} "<short name>: text".
_JA_LANGUAGE_NAMES: dict[str, tuple[str, str]] = {
    "en": ("英語", "英"), "fr": ("フランス語", "仏"), "de": ("ドイツ語", "独"), "es": ("スペイン語", "西"),
    "it": ("イタリア語", "伊"), "ru": ("ロシア語", "露"), "pt": ("ポルトガル語", "葡"), "nl": ("オランダ語", "蘭"),
    "la": ("ラテン語", "羅"), "el": ("ギリシア語", "希"), "zh": ("中国語", "中"), "ko": ("朝鮮語", "朝"),
    "ar": ("アラビア語", "アラビア語"), "fa": ("ペルシア語", "ペルシア語"), "tr": ("トルコ語", "トルコ語"),
    "pl": ("ポーランド語", "ポーランド語"), "km": ("クメール語", "クメール語"), "id": ("インドネシア語", "インドネシア語"),
    "ms": ("マレー語", "マレー語"), "vi": ("ベトナム語", "ベトナム語"), "th": ("タイ語", "タイ語"),
    "hi": ("ヒンディー語", "ヒンディー語"), "sw": ("スワヒリ語", "スワヒリ語"), "et": ("エストニア語", "エストニア語"),
    "fi": ("フィンランド語", "フィンランド語"), "sv": ("スウェーデン語", "スウェーデン語"), "da": ("デンマーク語", "デンマーク語"),
    "no": ("ノルウェー語", "ノルウェー語"), "hu": ("ハンガリー語", "ハンガリー語"), "cs": ("チェコ語", "チェコ語"),
    "ca": ("カタルーニャ語", "カタルーニャ語"), "qu": ("ケチュア語", "ケチュア語"), "he": ("ヘブライ語", "ヘブライ語"),
    "uk": ("ウクライナ語", "ウクライナ語"), "ro": ("ルーマニア語", "ルーマニア語"), "sr": ("セルビア語", "セルビア語"),
    "hr": ("クロアチア語", "クロアチア語"), "bg": ("ブルガリア語", "ブルガリア語"), "mn": ("モンゴル語", "モンゴル語"),
}

_CONSTANTS: dict[str, str] = {
    "!": "|", "=": "=", "0": "", "-": "", "clear": "", "ndash": "–", "mdash": "—", "snd": " – ", "spnd": " – ",
    "·": " · ", "dot": " · ", "•": " • ", "bull": " • ", "nbsp": " ", "sp": " ", "spaces": " ", "'": "'",
}

_FIRST = frozenset({
    "ipa", "unicode", "center", "small", "smaller", "big", "larger", "nowrap", "nobr", "sic", "flag",
    "en", "la", "fr", "de", "es", "it", "ru", "el", "zh", "ko",
    "flagcountry", "resize", "font", "large", "lang-xx", "polytonic", "script", "transl-short", "abbr",
    "keep together", "nihongo2", "ipa2", "ipac-en",
})
_SECOND = frozenset({"lang", "legend", "weight", "audio", "color", "colour", "font color", "rtl-lang"})


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


def _template_key(name: str) -> str:
    key = _SPACES.sub(" ", name).strip()
    lowered = key.casefold()
    for prefix in _PREFIXES:
        if lowered.startswith(prefix):
            key = key[len(prefix):].strip()
            lowered = lowered[len(prefix):].strip()
    return lowered


class Expander:
    """Replaces every template of a page's wikitext by what it shows (mostly nothing). ``links`` collects
    the ``(local title, English title or None)`` of the interlanguage-link templates met, in order."""

    def __init__(self, site: SiteInfo, context: PageContext = PageContext()):
        self.site = site
        self.context = context
        self.links: list[tuple[str, str | None]] = []
        self._renderers: dict[str, Callable[[list[str], dict[str, str], int], str]] = {
            "ルビ": self._ruby, "ruby": self._ruby, "nihongo": self._nihongo, "convert": self._convert,
            "cvt": self._convert, "transl": self._transl, "interlang": self._interlang,
            "enlink": self._enlink, "要出典範囲": self._first_only,
        }

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
        key = _template_key(head)
        if not key or ":" in key:
            return ""
        constant = _CONSTANTS.get(key)
        if constant is not None:
            return constant
        if not self._carries_text(key):
            return ""
        if depth >= MAX_DEPTH:
            raise TooDeep(f"templates nested deeper than {MAX_DEPTH}")
        _, positional, named = split_arguments(inner)
        if key in ILL_TEMPLATES:
            return self._ill(positional, named, depth)
        renderer = self._renderers.get(key)
        if renderer is not None:
            return renderer(positional, named, depth)
        if key.endswith("範囲"):
            return self._first_only(positional, named, depth)
        if key.startswith("lang-"):
            return self._lang_xx(key, positional, depth)
        if key in _SECOND:
            return self._arg(positional, 1, depth)
        return self._arg(positional, 0, depth)

    def _carries_text(self, key: str) -> bool:
        return (
            key in ILL_TEMPLATES or key in self._renderers or key in _FIRST or key in _SECOND
            or key.startswith(("lang-", "ipa-")) or key.endswith("範囲")
        )

    def _arg(self, positional: list[str], index: int, depth: int) -> str:
        if index >= len(positional):
            return ""
        return self.expand(positional[index].strip(), depth + 1)

    def _first_only(self, positional: list[str], named: dict[str, str], depth: int) -> str:
        return self._arg(positional, 0, depth)

    def _lang_xx(self, key: str, positional: list[str], depth: int) -> str:
        text = self._arg(positional, 0, depth)
        if self.site.lang != "ja" or not text:
            return text
        code, short = key[len("lang-"):], False
        if code.endswith("-short"):
            code, short = code[: -len("-short")], True
        names = _JA_LANGUAGE_NAMES.get(code)
        if names is None:
            return text
        return f"{names[1] if short else names[0]}: {text}"

    def _transl(self, positional: list[str], named: dict[str, str], depth: int) -> str:
        return self._arg(positional, len(positional) - 1, depth) if len(positional) > 1 else ""

    def _ruby(self, positional: list[str], named: dict[str, str], depth: int) -> str:
        base, reading = self._arg(positional, 0, depth), self._arg(positional, 1, depth)
        return f"{base}（{reading}）" if reading else base

    def _nihongo(self, positional: list[str], named: dict[str, str], depth: int) -> str:
        first = self._arg(positional, 0, depth)
        rest = [part for part in (self._arg(positional, i, depth) for i in (1, 2)) if part]
        if not rest:
            return first
        return f"{first} ({', '.join(rest)})" if first else ", ".join(rest)

    def _convert(self, positional: list[str], named: dict[str, str], depth: int) -> str:
        values = [self._arg(positional, i, depth) for i in range(len(positional))]
        if len(values) >= 4 and values[1] in ("to", "-", "–", "and", "or", "by", "x", "×", "&"):
            joiner = "–" if values[1] == "-" else f" {values[1]} "
            return f"{values[0]}{joiner}{values[2]} {values[3]}"
        if len(values) >= 2:
            return f"{values[0]} {values[1]}"
        return values[0] if values else ""

    def _interlang(self, positional: list[str], named: dict[str, str], depth: int) -> str:
        label = self._arg(positional, 2, depth)
        return label or self._arg(positional, 1, depth)

    def _enlink(self, positional: list[str], named: dict[str, str], depth: int) -> str:
        label = self._arg(positional, 1, depth)
        return label or self._arg(positional, 0, depth)

    def _ill(self, positional: list[str], named: dict[str, str], depth: int) -> str:
        local = _SPACES.sub(" ", positional[0]).strip() if positional else ""
        english = ill_english(positional)
        label = named.get("label") or named.get("lt") or named.get("表示名") or ""
        label = self.expand(label, depth + 1) if label else local
        if not local or "[" in local or "]" in local or "{" in local:
            return label or (english or "")
        self.links.append((local, english))
        return f"[[{ILL_OPEN}{len(self.links) - 1}{ILL_CLOSE}|{label}]]"


def ill_english(positional: list[str]) -> str | None:
    """The English title an interlanguage-link template names (``en`` among its language codes; the local
    title itself when the English title is left out), whitespace and underscores normalised."""
    local = positional[0] if positional else ""
    for index in range(1, len(positional), 2):
        if positional[index].strip().lower() == "en":
            title = positional[index + 1] if index + 1 < len(positional) else ""
            title = _SPACES.sub(" ", title).strip() or _SPACES.sub(" ", local).strip()
            return title or None
    return None
