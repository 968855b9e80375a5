"""``{{#expr:}}`` and ``{{#ifexpr:}}``'s arithmetic, as MediaWiki's ExprParser computes it: operators with its
precedences, double-precision numbers, and results printed as PHP prints them. Never evaluates Python code.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = ["ExpressionError", "evaluate_expression", "php_number"]


class ExpressionError(ValueError):
    """An expression ``#expr`` cannot evaluate (the text MediaWiki would show as an error)."""


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
    return _Evaluation(text).result()


class _Evaluation:
    """One expression read left to right onto two stacks, the operands and the operators waiting for their
    right operand (MediaWiki's ExprParser)."""

    def __init__(self, text: str):
        self.text = text
        self.operands: list[float] = []
        self.operators: list[str] = []
        self.expecting_operand = True

    def result(self) -> str:
        text, pos, n = self.text, 0, len(self.text)
        while pos < n:
            char = text[pos]
            if char in _WHITE:
                pos += 1
            elif char in "0123456789.":
                pos = self._number(pos)
            elif char.isascii() and char.isalpha():
                pos = self._word(pos)
            else:
                pos = self._punctuation(pos, char)
        operands, operators = self.operands, self.operators
        if not operands and not operators:
            return ""
        if self.expecting_operand:
            raise ExpressionError("missing operand")
        while operators:
            op = operators.pop()
            if op == "(":
                raise ExpressionError("unclosed bracket")
            _apply(op, operands)
        return php_number(operands[-1])

    def _number(self, pos: int) -> int:
        if not self.expecting_operand:
            raise ExpressionError("unexpected number")
        m = _DIGITS.match(self.text, pos)
        self.operands.append(_leading_float(m.group()))
        self.expecting_operand = False
        return m.end()

    def _word(self, pos: int) -> int:
        m = _WORD.match(self.text, pos)
        word = m.group().lower()
        if self.expecting_operand:
            if word in _CONSTANTS:
                self.operands.append(_CONSTANTS[word])
                self.expecting_operand = False
            elif word in _UNARY and word not in ("neg", "pos"):
                self.operators.append(word)
            elif word in _BINARY:
                raise ExpressionError(f"unexpected {word} operator")
            else:
                raise ExpressionError(f"unrecognised word {word!r}")
        elif word in _BINARY:
            _push_binary(word, self.operands, self.operators)
            self.expecting_operand = True
        elif word in _UNARY or word in _CONSTANTS:
            raise ExpressionError(f"unexpected {word}")
        else:
            raise ExpressionError(f"unrecognised word {word!r}")
        return m.end()

    def _punctuation(self, pos: int, char: str) -> int:
        m = _OPERATOR.match(self.text, pos)
        if m is None:
            raise ExpressionError(f"unrecognised punctuation character {char!r}")
        op = "-" if m.group() == "\u2212" else m.group()
        operands, operators = self.operands, self.operators
        if op == "(":
            if not self.expecting_operand:
                raise ExpressionError("unexpected (")
            operators.append("(")
        elif op == ")":
            if self.expecting_operand:
                raise ExpressionError("unexpected closing bracket")
            while operators and operators[-1] != "(":
                _apply(operators.pop(), operands)
            if not operators:
                raise ExpressionError("unexpected closing bracket")
            operators.pop()
        elif self.expecting_operand:
            if op not in ("-", "+"):
                raise ExpressionError(f"unexpected {op} operator")
            operators.append("neg" if op == "-" else "pos")
        else:
            _push_binary(op, operands, operators)
            self.expecting_operand = True
        return m.end()


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
