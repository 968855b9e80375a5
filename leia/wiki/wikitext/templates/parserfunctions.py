"""Magic words and parser functions that need no template page: what ``{{formatnum:}}``, ``{{#if:}}``,
``{{#expr:}}``, ``{{PAGENAME}}``, ``{{CURRENTYEAR}}`` ... show, computed as MediaWiki computes them.

:func:`render` is asked first about every template the expander meets; it answers None for anything that
is not one of these (an ordinary template), else the wikitext the call shows. Names follow MediaWiki:
variables (``PAGENAME``, ``CURRENTYEAR``) are case-sensitive, functions named before a colon
(``#if:``, ``formatnum:``, ``lc:``) are not, except the page-name family (``PAGENAME:Foo``).

What a call shows may depend on its arguments only through what they expand to. Where an argument decides
what is shown (the test of ``#if``, ``#ifeq``, ``#switch``, ``#iferror``, an expression, a padding length)
and holds a template this converter does not render (which MediaWiki would fetch from its page), the value
is unknown and the whole call is dropped, as every unknown template is, rather than guessed. The branches
shown are expanded like the rest of the page.

Errors (an expression that does not parse, a division by zero, ``#tag`` of a tag that is not an
extension tag) show nothing; ``#iferror`` sees them. Page words come from the page's title, date words
from the date the page is rendered as of (its revision's date), never from the machine's clock; where
either is unknown they show nothing. The words themselves are in ``magicwords``, the arithmetic of
``#expr`` in ``expression``.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import TYPE_CHECKING, Callable

from leia.wiki.wikitext.templates.braces import split_named, split_pieces, template_spans
from leia.wiki.wikitext.templates.calls import MAX_DEPTH, TooDeep
from leia.wiki.wikitext.templates.expression import ExpressionError, evaluate_expression
from leia.wiki.wikitext.templates.magicwords import PAGE_WORDS, UNKNOWN, Unknown, page_word, variables
from leia.wiki.wikitext.tags import render_tags

if TYPE_CHECKING:
    from leia.wiki.wikitext.templates.expand import Expander

__all__ = ["render", "format_number", "unformat_number"]

_MAX_PAD = 500




def render(expander: Expander, head: str, inner: str, depth: int) -> str | None:
    """What the template call ``{{inner}}`` shows if it is a magic word or parser function (``head``: its
    text up to the first pipe), else None. Cheap for ordinary templates: a search for ``:`` and a lookup."""
    value = _evaluate(expander, head, inner, depth)
    if value is None:
        return None
    return "" if value is UNKNOWN else value  # type: ignore[return-value]


def _evaluate(expander: Expander, head: str, inner: str, depth: int) -> str | Unknown | None:
    colon = head.find(":")
    if colon < 0:
        word = variables(expander.site.lang).get(head.strip())
        if word is None:
            return None
        return word(expander)
    name = head[:colon].strip()
    lowered = name.lower()
    if lowered in _SUBST:
        rest = inner[colon + 1:]
        return _evaluate(expander, rest.split("|", 1)[0], rest, depth)
    function = _LOCAL_FUNCTIONS.get(expander.site.lang, _FUNCTIONS).get(lowered)
    if function is None:
        function = _PAGE_FUNCTIONS.get(name)
        if function is None:
            return None
    if depth >= MAX_DEPTH:
        raise TooDeep(f"templates nested deeper than {MAX_DEPTH}")
    pieces = split_pieces(inner)
    pieces[0] = pieces[0][pieces[0].find(":") + 1:]
    return function(_Call(expander, pieces, depth))


class _Call:
    """One parser-function call: its parts (the first one after the colon) and how to expand them."""

    __slots__ = ("expander", "pieces", "depth")

    def __init__(self, expander: Expander, pieces: list[str], depth: int):
        self.expander, self.pieces, self.depth = expander, pieces, depth

    def shown(self, index: int) -> str:
        """Part ``index`` expanded as shown text (unknown templates dropped), stripped; "" when absent."""
        if index >= len(self.pieces):
            return ""
        return self.show(self.pieces[index])

    def show(self, text: str) -> str:
        return self.expander.expand(text.strip(), self.depth + 1)

    def value(self, index: int) -> str | Unknown:
        """Part ``index`` expanded as a value that decides what is shown, stripped; UNKNOWN when it holds a
        template this converter does not render."""
        if index >= len(self.pieces):
            return ""
        return self.decide(self.pieces[index])

    def decide(self, text: str) -> str | Unknown:
        text = text.strip()
        if "{{" not in text:
            return text
        out: list[str] = []
        last = 0
        for begin, end in template_spans(text):
            out.append(text[last:begin])
            last = end
            inner = text[begin + 2:end - 2]
            value = _evaluate(self.expander, inner.split("|", 1)[0], inner, self.depth + 1)
            if value is None:
                value = self.expander.expand(text[begin:end], self.depth + 1)
                if not value:
                    return UNKNOWN
            elif value is UNKNOWN:
                return UNKNOWN
            out.append(value)  # type: ignore[arg-type]
        out.append(text[last:])
        return "".join(out).strip()

    def error(self) -> str:
        """An error: it shows nothing, and ``#iferror`` around it sees it (the expander counts them)."""
        setattr(self.expander, _ERRORS, _errors(self.expander) + 1)
        return ""


_ERRORS = "_parser_function_errors"


def _errors(expander: Expander) -> int:
    return getattr(expander, _ERRORS, 0)


# -- conditionals -------------------------------------------------------------------------------------------

_NUMERIC = re.compile(r"[ \t\n\r\v\f]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t\n\r\v\f]*\Z")


def _matches(left: str, right: str) -> bool:
    """MediaWiki's comparison of two values: as numbers when both are numeric, else as strings."""
    if _NUMERIC.match(left) and _NUMERIC.match(right):
        return float(left) == float(right)
    return left == right


def _if(call: _Call) -> str | Unknown:
    test = call.value(0)
    if test is UNKNOWN:
        return UNKNOWN
    return call.shown(1 if test else 2)


def _ifeq(call: _Call) -> str | Unknown:
    left, right = call.value(0), call.value(1)
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    return call.shown(2 if _matches(left, right) else 3)  # type: ignore[arg-type]


def _switch(call: _Call) -> str | Unknown:
    primary = call.value(0)
    if primary is UNKNOWN:
        return UNKNOWN
    found = False
    default: str | None = None
    last_without_equals = False
    test: str | Unknown = ""
    for piece in call.pieces[1:]:
        named = split_named(piece)
        if named is not None:
            last_without_equals = False
            if found:
                return call.show(named[1])
            test = call.decide(named[0])
            if test is UNKNOWN:
                return UNKNOWN
            if _matches(test, primary):  # type: ignore[arg-type]
                return call.show(named[1])
            if test == "#default":
                default = named[1]
        else:
            last_without_equals = True
            test = call.decide(piece)
            if test is UNKNOWN:
                return UNKNOWN
            if _matches(test, primary):  # type: ignore[arg-type]
                found = True
            elif test == "#default":
                default = piece
    if last_without_equals:
        return call.show(piece)
    return call.show(default) if default is not None else ""


def _iferror(call: _Call) -> str | Unknown:
    before = _errors(call.expander)
    test = call.value(0)
    if test is UNKNOWN:
        return UNKNOWN
    failed = _errors(call.expander) > before
    if failed:
        return call.shown(1)
    if len(call.pieces) > 2:
        return call.shown(2)
    return test


def _expr(call: _Call) -> str | Unknown:
    text = call.value(0)
    if text is UNKNOWN:
        return UNKNOWN
    try:
        return evaluate_expression(text)  # type: ignore[arg-type]
    except ExpressionError:
        return call.error()


def _ifexpr(call: _Call) -> str | Unknown:
    text = call.value(0)
    if text is UNKNOWN:
        return UNKNOWN
    try:
        result = evaluate_expression(text)  # type: ignore[arg-type]
    except ExpressionError:
        return call.error()
    true = result not in ("", "0") and float(result) != 0
    return call.shown(1 if true else 2)


# -- formatnum ----------------------------------------------------------------------------------------------

# (group separator, decimal separator, fewest integer digits grouped, Indian grouping) as the wiki shows
# numbers (MediaWiki's separatorTransformTable, minimumGroupingDigits, digitGroupingPattern); languages not
# listed group as English does. A no-break space is written as the plain space the converter shows.
_NUMBER_STYLES: dict[str, tuple[str, str, int, bool]] = {
    "ru": (" ", ",", 5, False), "es": (" ", ",", 5, False), "hi": (",", ".", 4, True),
}
_ENGLISH_STYLE = (",", ".", 4, False)
_NUMBER_PART = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def format_number(text: str, lang: str = "en") -> str:
    """``{{formatnum:text}}``: every number in ``text`` with its digits grouped as the wiki ``lang`` shows
    them (``1234567.891`` -> ``1,234,567.891`` on jawiki and enwiki)."""
    group, decimal, fewest, indian = _NUMBER_STYLES.get(lang, _ENGLISH_STYLE)

    def one(m: re.Match[str]) -> str:
        number = m.group()
        sign = "-" if number.startswith("-") else ""
        whole, _, fraction = number.lstrip("-").partition(".")
        if len(whole) >= fewest:
            whole = _group(whole, group, indian)
        return sign + whole + (decimal + fraction if fraction else "")

    return _NUMBER_PART.sub(one, text)


def _group(digits: str, separator: str, indian: bool) -> str:
    head, tail = digits[:-3], digits[-3:]
    size = 2 if indian else 3
    groups = [tail]
    while head:
        groups.append(head[-size:])
        head = head[:-size]
    return separator.join(reversed(groups))


def unformat_number(text: str, lang: str = "en") -> str:
    """``{{formatnum:text|R}}``: the separators of the wiki ``lang`` taken out again (``1,234.5`` ->
    ``1234.5``; commas are dropped on every wiki, as MediaWiki does)."""
    group, decimal, _, _ = _NUMBER_STYLES.get(lang, _ENGLISH_STYLE)
    if group == " ":
        text = _SPACE_GROUP.sub("", text)
    if decimal != ".":
        text = text.replace(decimal, ".")
    return text.replace(",", "")


_SPACE_GROUP = re.compile(r"(?<=[0-9])[ \u00a0](?=[0-9]{2,3}(?![0-9]))")


def _formatnum(call: _Call) -> str:
    number = call.shown(0)
    flag = call.shown(1) if len(call.pieces) > 1 else ""
    lang = call.expander.site.lang
    if flag == "R" or (flag == "生" and lang == "ja"):
        return unformat_number(number, lang)
    if flag.upper() == "NOSEP":
        return number
    return format_number(number, lang)


# -- strings ------------------------------------------------------------------------------------------------

def _lc(call: _Call) -> str:
    return call.shown(0).lower()


def _uc(call: _Call) -> str:
    return call.shown(0).upper()


def _lcfirst(call: _Call) -> str:
    text = call.shown(0)
    return text[:1].lower() + text[1:]


def _ucfirst(call: _Call) -> str:
    text = call.shown(0)
    return text[:1].upper() + text[1:]


_LEADING_INT = re.compile(r"\s*[+-]?[0-9]+")


def _php_int(text: str) -> int:
    m = _LEADING_INT.match(text)
    return int(m.group()) if m else 0


def _pad(left: bool) -> Callable[[_Call], str | Unknown]:
    def pad(call: _Call) -> str | Unknown:
        text, length = call.value(0), call.value(1)
        padding = call.value(2) if len(call.pieces) > 2 else "0"
        if UNKNOWN in (text, length, padding):
            return UNKNOWN
        if not padding:
            return text
        missing = min(_php_int(length), _MAX_PAD) - len(text)  # type: ignore[arg-type]
        if missing <= 0:
            return text
        fill = (padding * (missing // len(padding) + 1))[:missing]  # type: ignore[operator]
        return fill + text if left else text + fill  # type: ignore[operator]

    return pad


def _urlencode(call: _Call) -> str:
    return urllib.parse.quote_plus(call.shown(0))


# -- #tag ---------------------------------------------------------------------------------------------------

# Extension tags a wiki of Wikipedia knows: ``{{#tag:}}`` of anything else is an error (MediaWiki's
# "Unknown extension tag").
EXTENSION_TAGS = frozenset({
    "ref", "references", "nowiki", "pre", "poem", "math", "chem", "ce", "syntaxhighlight", "source", "score",
    "timeline", "gallery", "graph", "hiero", "imagemap", "templatedata", "templatestyles", "mapframe",
    "maplink", "categorytree", "inputbox", "section", "indicator", "charinsert", "dynamicpagelist", "phonos",
    "langconvert", "quiz", "rss", "talkpage", "translate", "languages",
})
_ATTRIBUTE_VALUE = re.compile(r"[\"<>]")


def _tag(call: _Call) -> str:
    name = call.shown(0).lower()
    if name not in EXTENSION_TAGS:
        return call.error()
    content = call.pieces[1] if len(call.pieces) > 1 else None
    attributes = []
    for piece in call.pieces[2:]:
        named = split_named(piece)
        if named is not None and named[0].strip():
            value = _ATTRIBUTE_VALUE.sub("", call.show(named[1]))
            attributes.append(f' {named[0].strip()}="{value}"')
    opening = f"<{name}{''.join(attributes)}"
    if content is None:
        return render_tags(opening + " />")
    body = call.expander.expand(content, call.depth + 1)
    return render_tags(f"{opening}>{body}</{name}>")


def _page_function(word: Callable[[Expander, str | None], str | Unknown]) -> Callable[[_Call], str | Unknown]:
    def function(call: _Call) -> str | Unknown:
        title = call.value(0)
        if title is UNKNOWN:
            return UNKNOWN
        return word(call.expander, title) if title else ""  # type: ignore[arg-type]

    return function


_PAGE_FUNCTIONS: dict[str, Callable[[_Call], str | Unknown]] = {
    **{name: _page_function(page_word(name, False)) for name in PAGE_WORDS},
    **{name + "E": _page_function(page_word(name, True)) for name in PAGE_WORDS if name != "NAMESPACENUMBER"},
}

_FUNCTIONS: dict[str, Callable[[_Call], str | Unknown]] = {
    "#if": _if, "#ifeq": _ifeq, "#switch": _switch, "#iferror": _iferror, "#expr": _expr, "#ifexpr": _ifexpr,
    "formatnum": _formatnum, "lc": _lc, "uc": _uc, "lcfirst": _lcfirst, "ucfirst": _ucfirst,
    "padleft": _pad(True), "padright": _pad(False), "#tag": _tag, "urlencode": _urlencode,
}

_JA_FUNCTIONS = {
    "数整形": "formatnum", "小文字": "lc", "大文字": "uc", "先頭小文字": "lcfirst", "先頭大文字": "ucfirst",
    "補充左": "padleft", "補充右": "padright", "#タグ": "#tag", "urlエンコード": "urlencode",
}
_SUBST = frozenset({"subst", "safesubst", "展開", "安全展開"})
_LOCAL_FUNCTIONS = {"ja": {**_FUNCTIONS, **{alias: _FUNCTIONS[name] for alias, name in _JA_FUNCTIONS.items()}}}
