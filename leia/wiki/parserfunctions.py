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
either is unknown they show nothing.
"""

from __future__ import annotations

import math
import re
import urllib.parse
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Callable

from leia.wiki.titles import normalize_title

if TYPE_CHECKING:
    from leia.wiki.templates import Expander

__all__ = ["render", "split_pieces", "evaluate_expression", "ExpressionError", "format_number", "unformat_number"]

_MAX_DEPTH = 20  # as templates.MAX_DEPTH; checked by the expander's own recursion too
_MAX_PAD = 500


class _Unknown:
    """The value of an argument that holds a template this converter does not render."""


UNKNOWN = _Unknown()
_PIECE_TOKEN = re.compile(r"\{\{|\}\}|\[\[|\]\]|\|")


def render(expander: Expander, head: str, inner: str, depth: int) -> str | None:
    """What the template call ``{{inner}}`` shows if it is a magic word or parser function (``head``: its
    text up to the first pipe), else None. Cheap for ordinary templates: a search for ``:`` and a lookup."""
    value = _evaluate(expander, head, inner, depth)
    if value is None:
        return None
    return "" if value is UNKNOWN else value  # type: ignore[return-value]


def _evaluate(expander: Expander, head: str, inner: str, depth: int) -> str | _Unknown | None:
    colon = head.find(":")
    if colon < 0:
        word = _LOCAL_VARIABLES.get(expander.site.lang, _VARIABLES).get(head.strip())
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
    if depth >= _MAX_DEPTH:
        from leia.wiki.templates import TooDeep

        raise TooDeep(f"templates nested deeper than {_MAX_DEPTH}")
    pieces = split_pieces(inner)
    pieces[0] = pieces[0][pieces[0].find(":") + 1:]
    return function(_Call(expander, pieces, depth))


def split_pieces(inner: str) -> list[str]:
    """The pipe-separated parts of a call, pipes inside nested ``{{}}`` and ``[[]]`` not splitting."""
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


def _split_named(piece: str) -> tuple[str, str] | None:
    """(name, value) of a ``name=value`` part, the ``=`` outside nested braces and brackets; else None."""
    if "=" not in piece:
        return None
    depth = 0
    for m in re.finditer(r"\{\{|\}\}|\[\[|\]\]|=", piece):
        token = m.group()
        if token == "=":
            if depth == 0:
                return piece[:m.start()], piece[m.end():]
        elif token in ("{{", "[["):
            depth += 1
        elif depth:
            depth -= 1
    return None


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

    def value(self, index: int) -> str | _Unknown:
        """Part ``index`` expanded as a value that decides what is shown, stripped; UNKNOWN when it holds a
        template this converter does not render."""
        if index >= len(self.pieces):
            return ""
        return self.decide(self.pieces[index])

    def decide(self, text: str) -> str | _Unknown:
        text = text.strip()
        if "{{" not in text:
            return text
        out: list[str] = []
        last = 0
        for begin, end in _spans(text):
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


def _spans(text: str) -> list[tuple[int, int]]:
    from leia.wiki.templates import template_spans

    return template_spans(text)


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


def _if(call: _Call) -> str | _Unknown:
    test = call.value(0)
    if test is UNKNOWN:
        return UNKNOWN
    return call.shown(1 if test else 2)


def _ifeq(call: _Call) -> str | _Unknown:
    left, right = call.value(0), call.value(1)
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    return call.shown(2 if _matches(left, right) else 3)  # type: ignore[arg-type]


def _switch(call: _Call) -> str | _Unknown:
    primary = call.value(0)
    if primary is UNKNOWN:
        return UNKNOWN
    found = False
    default: str | None = None
    last_without_equals = False
    test: str | _Unknown = ""
    for piece in call.pieces[1:]:
        named = _split_named(piece)
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


def _iferror(call: _Call) -> str | _Unknown:
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


def _expr(call: _Call) -> str | _Unknown:
    text = call.value(0)
    if text is UNKNOWN:
        return UNKNOWN
    try:
        return evaluate_expression(text)  # type: ignore[arg-type]
    except ExpressionError:
        return call.error()


def _ifexpr(call: _Call) -> str | _Unknown:
    text = call.value(0)
    if text is UNKNOWN:
        return UNKNOWN
    try:
        result = evaluate_expression(text)  # type: ignore[arg-type]
    except ExpressionError:
        return call.error()
    true = result not in ("", "0") and float(result) != 0
    return call.shown(1 if true else 2)


# -- #expr --------------------------------------------------------------------------------------------------

class ExpressionError(ValueError):
    """An expression ``#expr`` cannot evaluate (the text MediaWiki would show as an error)."""


_NUMBER = 0
# Binary operators and unary ones, with MediaWiki's precedences (ExprParser); all binary ones are
# left-associative, and a unary minus binds tighter than ``^`` (``-2^2`` is 4, as on MediaWiki).
_BINARY = {
    "e": 10, "^": 8, "*": 7, "/": 7, "div": 7, "mod": 7, "fmod": 7, "+": 6, "-": 6, "round": 5,
    "=": 4, "<": 4, ">": 4, "<=": 4, ">=": 4, "<>": 4, "!=": 4, "and": 3, "or": 2,
}
_UNARY = {
    "neg": 10, "pos": 10, "not": 9, "sin": 9, "cos": 9, "tan": 9, "asin": 9, "acos": 9, "atan": 9,
    "exp": 9, "ln": 9, "abs": 9, "floor": 9, "ceil": 9, "trunc": 9, "sqrt": 9,
}
_CONSTANTS = {"e": math.e, "pi": math.pi}
_WORD = re.compile(r"[A-Za-z]+")
_DIGITS = re.compile(r"[0-9.]+")
_LEADING_FLOAT = re.compile(r"[0-9]*(?:\.[0-9]*)?")
_OPERATOR = re.compile(r"<=|>=|<>|!=|[-+*/^()=<>\u2212]")
_WHITE = " \t\r\n"


def evaluate_expression(text: str) -> str:
    """The text ``{{#expr:text}}`` shows: MediaWiki's arithmetic (``+ - * / div mod fmod ^ round e``,
    comparisons giving 1 or 0, ``and or not``, parentheses, ``e``, ``pi`` and ``abs floor ceil trunc sqrt
    exp ln sin cos tan asin acos atan``) on double-precision numbers, printed as PHP prints them (14
    significant digits). "" for an empty expression; ExpressionError for any other that does not evaluate.
    Never evaluates Python code."""
    operands: list[float] = []
    operators: list[str] = []
    expecting_operand = True
    pos, n = 0, len(text)
    while pos < n:
        char = text[pos]
        if char in _WHITE:
            pos += 1
            continue
        if char in "0123456789.":
            if not expecting_operand:
                raise ExpressionError("unexpected number")
            m = _DIGITS.match(text, pos)
            operands.append(_leading_float(m.group()))
            pos = m.end()
            expecting_operand = False
            continue
        if char.isascii() and char.isalpha():
            m = _WORD.match(text, pos)
            word = m.group().lower()
            pos = m.end()
            if expecting_operand:
                if word in _CONSTANTS:
                    operands.append(_CONSTANTS[word])
                    expecting_operand = False
                elif word in _UNARY and word not in ("neg", "pos"):
                    operators.append(word)
                elif word in _BINARY:
                    raise ExpressionError(f"unexpected {word} operator")
                else:
                    raise ExpressionError(f"unrecognised word {word!r}")
            else:
                if word in _BINARY:
                    _push_binary(word, operands, operators)
                    expecting_operand = True
                elif word in _UNARY or word in _CONSTANTS:
                    raise ExpressionError(f"unexpected {word}")
                else:
                    raise ExpressionError(f"unrecognised word {word!r}")
            continue
        m = _OPERATOR.match(text, pos)
        if m is None:
            raise ExpressionError(f"unrecognised punctuation character {char!r}")
        op = m.group()
        pos = m.end()
        if op == "\u2212":
            op = "-"
        if op == "(":
            if not expecting_operand:
                raise ExpressionError("unexpected (")
            operators.append("(")
        elif op == ")":
            if expecting_operand:
                raise ExpressionError("unexpected closing bracket")
            while operators and operators[-1] != "(":
                _apply(operators.pop(), operands)
            if not operators:
                raise ExpressionError("unexpected closing bracket")
            operators.pop()
        elif expecting_operand:
            if op == "-":
                operators.append("neg")
            elif op == "+":
                operators.append("pos")
            else:
                raise ExpressionError(f"unexpected {op} operator")
        else:
            _push_binary(op, operands, operators)
            expecting_operand = True
    if not operands and not operators:
        return ""
    if expecting_operand:
        raise ExpressionError("missing operand")
    while operators:
        op = operators.pop()
        if op == "(":
            raise ExpressionError("unclosed bracket")
        _apply(op, operands)
    return php_number(operands[-1])


def _leading_float(digits: str) -> float:
    """PHP's ``(float)`` of a run of digits and dots: its longest leading number (``1.2.3`` is 1.2)."""
    lead = _LEADING_FLOAT.match(digits).group()
    return float(lead) if lead not in ("", ".") else 0.0


def _precedence(op: str) -> int:
    if op == "(":
        return -1
    return _BINARY[op] if op in _BINARY else _UNARY[op]


def _push_binary(op: str, operands: list[float], operators: list[str]) -> None:
    level = _BINARY[op]
    while operators and level <= _precedence(operators[-1]):
        _apply(operators.pop(), operands)
    operators.append(op)


def _apply(op: str, operands: list[float]) -> None:
    if op in _UNARY:
        if not operands:
            raise ExpressionError(f"missing operand for {op}")
        operands.append(_unary(op, operands.pop()))
        return
    if len(operands) < 2:
        raise ExpressionError(f"missing operand for {op}")
    right = operands.pop()
    left = operands.pop()
    operands.append(_binary(op, left, right))


def _unary(op: str, x: float) -> float:
    if op == "neg":
        return -x
    if op == "pos":
        return x
    if op == "not":
        return float(not x)
    try:
        if op == "abs":
            return abs(x)
        if op == "floor":
            return float(math.floor(x)) if math.isfinite(x) else x
        if op == "ceil":
            return float(math.ceil(x)) if math.isfinite(x) else x
        if op == "trunc":
            return float(math.trunc(x)) if math.isfinite(x) else x
        if op == "sqrt":
            if x < 0:
                raise ExpressionError("sqrt of a negative number")
            return math.sqrt(x)
        if op == "ln":
            if x <= 0:
                raise ExpressionError("invalid argument for ln")
            return math.log(x)
        if op == "exp":
            return math.exp(x)
        if op in ("asin", "acos") and not -1 <= x <= 1:
            raise ExpressionError(f"invalid argument for {op}")
        return getattr(math, op)(x)
    except ExpressionError:
        raise
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan


def _binary(op: str, left: float, right: float) -> float:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op in ("/", "div"):
        if right == 0:
            raise ExpressionError("division by zero")
        return left / right
    if op == "mod":
        if not (math.isfinite(left) and math.isfinite(right)):
            raise ExpressionError("division by zero")
        a, b = int(left), int(right)
        if b == 0:
            raise ExpressionError("division by zero")
        remainder = abs(a) % abs(b)
        return float(-remainder if a < 0 else remainder)
    if op == "fmod":
        if right == 0:
            raise ExpressionError("division by zero")
        try:
            return math.fmod(left, right)
        except ValueError:
            return math.nan
    if op == "^":
        return _power(left, right)
    if op == "e":
        return left * _power(10.0, right)
    if op == "round":
        return _round(left, right)
    if op == "=":
        return float(left == right)
    if op in ("<>", "!="):
        return float(left != right)
    if op == "<":
        return float(left < right)
    if op == ">":
        return float(left > right)
    if op == "<=":
        return float(left <= right)
    if op == ">=":
        return float(left >= right)
    if op == "and":
        return float(bool(left) and bool(right))
    if op == "or":
        return float(bool(left) or bool(right))
    raise AssertionError(op)


def _power(base: float, exponent: float) -> float:
    if base == 0 and exponent < 0:
        return math.inf
    try:
        return math.pow(base, exponent)
    except OverflowError:
        negative = base < 0 and math.isfinite(exponent) and exponent == int(exponent) and int(exponent) % 2
        return -math.inf if negative else math.inf
    except ValueError:
        return math.nan


def _round(value: float, digits: float) -> float:
    """PHP's round(): half away from zero, at ``digits`` decimals (negative: tens, hundreds ...)."""
    if not math.isfinite(value) or not math.isfinite(digits):
        return value
    places = max(-400, min(400, int(digits)))
    try:
        exact = Decimal(repr(value))
        rounded = exact.scaleb(places).quantize(Decimal(1), rounding=ROUND_HALF_UP).scaleb(-places)
        return float(rounded)
    except (InvalidOperation, OverflowError):
        return value


def php_number(x: float) -> str:
    """A double as PHP prints it: 14 significant digits, ``1.0E+20`` beyond, ``INF``, ``NAN`` (a negative
    zero as ``0``)."""
    if x == 0:
        return "0"
    if math.isnan(x):
        return "NAN"
    if math.isinf(x):
        return "INF" if x > 0 else "-INF"
    s = "%.14G" % x
    if "E" in s:
        mantissa, exponent = s.split("E")
        if "." not in mantissa:
            mantissa += ".0"
        return f"{mantissa}E{exponent[0]}{exponent[1:].lstrip('0') or '0'}"
    return s


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


def _pad(left: bool) -> Callable[[_Call], str | _Unknown]:
    def pad(call: _Call) -> str | _Unknown:
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
    from leia.wiki.wikitext import render_tags

    name = call.shown(0).lower()
    if name not in EXTENSION_TAGS:
        return call.error()
    content = call.pieces[1] if len(call.pieces) > 1 else None
    attributes = []
    for piece in call.pieces[2:]:
        named = _split_named(piece)
        if named is not None and named[0].strip():
            value = _ATTRIBUTE_VALUE.sub("", call.show(named[1]))
            attributes.append(f' {named[0].strip()}="{value}"')
    opening = f"<{name}{''.join(attributes)}"
    if content is None:
        return render_tags(opening + " />")
    body = call.expander.expand(content, call.depth + 1)
    return render_tags(f"{opening}>{body}</{name}>")


# -- page words ---------------------------------------------------------------------------------------------

# Namespaces with subpages on the Wikipedias (MediaWiki's $wgNamespacesWithSubpages there): not articles.
_SUBPAGES = frozenset({1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 15, 100, 101, 828, 829})
_ESCAPED = re.compile(r"[\"&'<=>\[\]{|}]")


def _escape(text: str) -> str:
    """A title as wikitext that shows it literally (MediaWiki's wfEscapeWikiText)."""
    return _ESCAPED.sub(lambda m: f"&#{ord(m.group())};", text)


def _title_parts(expander: Expander, raw: str | None) -> tuple[int, str] | None:
    """(namespace, title without its namespace) of ``raw``, else of the page; None when unknown."""
    if raw is None:
        raw = expander.context.title
        if raw is None:
            return None
    normalized = normalize_title(raw, expander.site)
    if normalized is None:
        return None
    namespace, full = normalized
    if namespace != 0:
        full = full.split(":", 1)[1]
    return namespace, full


def _page_word(kind: str, encoded: bool) -> Callable[[Expander, str | None], str | _Unknown]:
    def word(expander: Expander, raw: str | None = None) -> str | _Unknown:
        if raw is None and expander.context.title is None:
            return UNKNOWN
        parts = _title_parts(expander, raw)
        if parts is None:
            return ""
        namespace, name = parts
        site = expander.site
        subject = namespace - 1 if namespace % 2 and namespace > 0 else namespace
        talk = subject + 1 if subject >= 0 else subject
        if kind == "NAMESPACENUMBER":
            return str(namespace)
        if kind in ("NAMESPACE", "SUBJECTSPACE", "ARTICLESPACE", "TALKSPACE"):
            number = talk if kind == "TALKSPACE" else (namespace if kind == "NAMESPACE" else subject)
            shown = site.namespace_name(number)
        else:
            if namespace in _SUBPAGES and "/" in name:
                if kind == "BASEPAGENAME":
                    name = name.rsplit("/", 1)[0]
                elif kind == "ROOTPAGENAME":
                    name = name.split("/", 1)[0]
                elif kind == "SUBPAGENAME":
                    name = name.rsplit("/", 1)[1]
            if kind in ("FULLPAGENAME", "TALKPAGENAME", "SUBJECTPAGENAME", "ARTICLEPAGENAME"):
                number = {"FULLPAGENAME": namespace, "TALKPAGENAME": talk}.get(kind, subject)
                prefix = site.namespace_name(number)
                shown = f"{prefix}:{name}" if prefix else name
            else:
                shown = name
        if encoded:
            return _escape(urllib.parse.quote(shown.replace(" ", "_"), safe=";@$!*(),/~:"))
        return _escape(shown)

    return word


_PAGE_WORDS = (
    "PAGENAME", "FULLPAGENAME", "BASEPAGENAME", "SUBPAGENAME", "ROOTPAGENAME", "TALKPAGENAME",
    "SUBJECTPAGENAME", "ARTICLEPAGENAME", "NAMESPACE", "NAMESPACENUMBER", "TALKSPACE", "SUBJECTSPACE",
    "ARTICLESPACE",
)


def _page_function(word: Callable[[Expander, str | None], str | _Unknown]) -> Callable[[_Call], str | _Unknown]:
    def function(call: _Call) -> str | _Unknown:
        title = call.value(0)
        if title is UNKNOWN:
            return UNKNOWN
        return word(call.expander, title) if title else ""  # type: ignore[arg-type]

    return function


# -- date words ---------------------------------------------------------------------------------------------

_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "ja": tuple(f"{m}月" for m in range(1, 13)),
    "zh": tuple(f"{m}月" for m in range(1, 13)),
}
_MONTH_ABBREVIATIONS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "ja": _MONTHS["ja"], "zh": _MONTHS["zh"],
}
# Sunday first, as MediaWiki counts CURRENTDOW.
_DAYS = {
    "en": ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"),
    "ja": ("日曜日", "月曜日", "火曜日", "水曜日", "木曜日", "金曜日", "土曜日"),
    "zh": ("星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"),
}


def _date_word(kind: str) -> Callable[[Expander], str | _Unknown]:
    def word(expander: Expander) -> str | _Unknown:
        date = expander.context.date
        if date is None:
            return UNKNOWN
        lang = expander.site.lang if expander.site.lang in _MONTHS else "en"
        dow = date.isoweekday() % 7
        if kind == "YEAR":
            return str(date.year)
        if kind in ("MONTH", "MONTH2"):
            return f"{date.month:02d}"
        if kind == "MONTH1":
            return str(date.month)
        if kind in ("MONTHNAME", "MONTHNAMEGEN"):
            return _MONTHS[lang][date.month - 1]
        if kind == "MONTHABBREV":
            return _MONTH_ABBREVIATIONS[lang][date.month - 1]
        if kind == "DAY":
            return str(date.day)
        if kind == "DAY2":
            return f"{date.day:02d}"
        if kind == "DOW":
            return str(dow)
        if kind == "DAYNAME":
            return _DAYS[lang][dow]
        if kind == "WEEK":
            return str(date.isocalendar()[1])
        raise AssertionError(kind)

    return word


_DATE_KINDS = ("YEAR", "MONTH", "MONTH1", "MONTH2", "MONTHNAME", "MONTHNAMEGEN", "MONTHABBREV", "DAY",
               "DAY2", "DOW", "DAYNAME", "WEEK")

_VARIABLES: dict[str, Callable[[Expander], str | _Unknown]] = {
    **{f"{prefix}{kind}": _date_word(kind) for prefix in ("CURRENT", "LOCAL") for kind in _DATE_KINDS},
    **{name: _page_word(name, False) for name in _PAGE_WORDS},
    **{name + "E": _page_word(name, True) for name in _PAGE_WORDS if name != "NAMESPACENUMBER"},
    "CONTENTLANGUAGE": lambda expander: expander.site.lang,
    "CONTENTLANG": lambda expander: expander.site.lang,
}

_PAGE_FUNCTIONS: dict[str, Callable[[_Call], str | _Unknown]] = {
    **{name: _page_function(_page_word(name, False)) for name in _PAGE_WORDS},
    **{name + "E": _page_function(_page_word(name, True)) for name in _PAGE_WORDS if name != "NAMESPACENUMBER"},
}

_FUNCTIONS: dict[str, Callable[[_Call], str | _Unknown]] = {
    "#if": _if, "#ifeq": _ifeq, "#switch": _switch, "#iferror": _iferror, "#expr": _expr, "#ifexpr": _ifexpr,
    "formatnum": _formatnum, "lc": _lc, "uc": _uc, "lcfirst": _lcfirst, "ucfirst": _ucfirst,
    "padleft": _pad(True), "padright": _pad(False), "#tag": _tag, "urlencode": _urlencode,
}

# The Japanese names jawiki also accepts (MediaWiki's MessagesJa), for the words above.
_JA_VARIABLES = {
    "現在の年": "CURRENTYEAR", "協定年": "CURRENTYEAR", "現在の月": "CURRENTMONTH", "協定月": "CURRENTMONTH",
    "現在の月1": "CURRENTMONTH1", "協定月1": "CURRENTMONTH1", "協定月１": "CURRENTMONTH1",
    "現在の月名": "CURRENTMONTHNAME", "協定月名": "CURRENTMONTHNAME", "現在の月属格": "CURRENTMONTHNAMEGEN",
    "現在の月省略形": "CURRENTMONTHABBREV", "省略協定月": "CURRENTMONTHABBREV", "協定月省略": "CURRENTMONTHABBREV",
    "協定月省略形": "CURRENTMONTHABBREV", "現在の日": "CURRENTDAY", "協定日": "CURRENTDAY",
    "現在の日2": "CURRENTDAY2", "協定日2": "CURRENTDAY2", "協定日２": "CURRENTDAY2",
    "現在の曜日名": "CURRENTDAYNAME", "協定曜日": "CURRENTDAYNAME", "現在の週": "CURRENTWEEK",
    "現在の曜日番号": "CURRENTDOW",
    "地方時の年": "LOCALYEAR", "現地年": "LOCALYEAR", "ローカルイヤー": "LOCALYEAR", "地方時の月": "LOCALMONTH",
    "現地月": "LOCALMONTH", "地方時の月1": "LOCALMONTH1", "現地月1": "LOCALMONTH1", "現地月１": "LOCALMONTH1",
    "地方時の月名1": "LOCALMONTHNAME", "現地月名": "LOCALMONTHNAME", "地方時の月属格": "LOCALMONTHNAMEGEN",
    "地方時の月省略形": "LOCALMONTHABBREV", "省略現地月": "LOCALMONTHABBREV", "地方時の日": "LOCALDAY",
    "現地日": "LOCALDAY", "ローカルデイ": "LOCALDAY", "地方時の日2": "LOCALDAY2", "現地日2": "LOCALDAY2",
    "現地日２": "LOCALDAY2", "地方時の曜日名": "LOCALDAYNAME", "現地曜日": "LOCALDAYNAME",
    "ローカルデイネーム": "LOCALDAYNAME", "地方時の週": "LOCALWEEK", "現地週": "LOCALWEEK",
    "ローカルウィーク": "LOCALWEEK", "地方時の曜日番号": "LOCALDOW",
    "ページ名": "PAGENAME", "ページ名E": "PAGENAMEE", "ページ名Ｅ": "PAGENAMEE", "名前空間": "NAMESPACE",
    "トーク空間": "TALKSPACE", "ノート空間": "TALKSPACE", "会話空間": "TALKSPACE", "トークスペース": "TALKSPACE",
    "主空間": "SUBJECTSPACE", "標準空間": "SUBJECTSPACE", "記事空間": "SUBJECTSPACE",
    "完全なページ名": "FULLPAGENAME", "フルページ名": "FULLPAGENAME", "完全な記事名": "FULLPAGENAME",
    "完全記事名": "FULLPAGENAME", "サブページ名": "SUBPAGENAME", "親ページ名": "BASEPAGENAME",
    "トークページ名": "TALKPAGENAME", "会話ページ名": "TALKPAGENAME", "主ページ名": "SUBJECTPAGENAME",
    "記事ページ名": "SUBJECTPAGENAME", "内容言語": "CONTENTLANGUAGE", "記事言語": "CONTENTLANGUAGE",
    "プロジェクト言語": "CONTENTLANGUAGE",
}
_JA_FUNCTIONS = {
    "数整形": "formatnum", "小文字": "lc", "大文字": "uc", "先頭小文字": "lcfirst", "先頭大文字": "ucfirst",
    "補充左": "padleft", "補充右": "padright", "#タグ": "#tag", "urlエンコード": "urlencode",
}
_SUBST = frozenset({"subst", "safesubst", "展開", "安全展開"})
_LOCAL_VARIABLES = {"ja": {**_VARIABLES, **{alias: _VARIABLES[word] for alias, word in _JA_VARIABLES.items()}}}
_LOCAL_FUNCTIONS = {"ja": {**_FUNCTIONS, **{alias: _FUNCTIONS[name] for alias, name in _JA_FUNCTIONS.items()}}}
