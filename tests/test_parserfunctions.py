"""Magic words, parser functions and ``-{...}-`` language-converter markup: the invariants that hold for
every input (hypothesis), beside the data-driven cases of tests/cases/wikitext/magic.case."""

from __future__ import annotations

import datetime
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from leia.errors import ConfigError
from leia.wiki.wikitext.langconv import FALLBACKS, VARIANTS, convert
from leia.wiki.wikitext.templates.parserfunctions import format_number, render, unformat_number
from leia.wiki.wikitext.templates.expression import ExpressionError, evaluate_expression
from leia.wiki.siteinfo import SiteInfo
from leia.wiki.wikitext.templates.expand import Expander
from leia.wiki.wikitext.templates.calls import PageContext
from leia.wiki.wikitext.convert import to_text

JA = SiteInfo.for_language("ja")


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789.+-*/^()<>=!e piroundmodfdivandornotabsqrt \t−"))
               | st.characters(), max_size=40))
def test_expression_never_raises_anything_but_expression_error(text):
    try:
        result = evaluate_expression(text)
    except ExpressionError:
        return
    assert result in ("", "INF", "-INF", "NAN") or re.fullmatch(r"-?[0-9]+(\.[0-9]+)?(E[+-][0-9]+)?", result)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_expr_in_a_page_never_raises(text):
    text = text.replace("}", "").replace("{", "").replace("|", "")
    parsed = to_text(f"値は{{{{#expr:{text}}}}}。", JA)
    assert parsed.text.startswith("値は") and parsed.text.endswith("。")


def _tree(leaves):
    return st.recursive(
        leaves,
        lambda inner: st.tuples(st.sampled_from(["+", "-", "*"]), inner, inner),
        max_leaves=8,
    )


def _render(tree) -> tuple[str, int]:
    """The expression with every operation parenthesised, and its value computed on Python integers."""
    if isinstance(tree, int):
        return str(tree), tree
    op, left, right = tree
    (lt, lv), (rt, rv) = _render(left), _render(right)
    value = lv + rv if op == "+" else lv - rv if op == "-" else lv * rv
    return f"({lt} {op} {rt})", value


@settings(max_examples=150, deadline=None)
@given(_tree(st.integers(min_value=0, max_value=999)))
def test_expression_agrees_with_integer_arithmetic(tree):
    text, value = _render(tree)
    assume(abs(value) < 10**14)
    assert evaluate_expression(text) == str(value)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=99), min_size=1, max_size=7),
       st.lists(st.sampled_from(["+", "-", "*"]), min_size=6, max_size=6))
def test_expression_precedence_without_parentheses(numbers, operators):
    """``*`` binds tighter than ``+`` and ``-``, all left-associative: the reference folds products first,
    then sums left to right."""
    ops = operators[:len(numbers) - 1]
    terms: list[int] = [numbers[0]]
    signs: list[str] = []
    for op, number in zip(ops, numbers[1:]):
        if op == "*":
            terms[-1] *= number
        else:
            signs.append(op)
            terms.append(number)
    value = terms[0]
    for sign, term in zip(signs, terms[1:]):
        value = value + term if sign == "+" else value - term
    text = " ".join(part for pair in zip(map(str, numbers), [*ops, ""]) for part in pair).strip()
    assert evaluate_expression(text) == str(value)


@pytest.mark.parametrize("expression, shown", [
    ("2^3^2", "64"), ("-2^2", "4"), ("2^-1", "0.5"), ("2 * -3", "-6"), ("1e3", "1000"), ("2e-3", "0.002"),
    ("10^15", "1.0E+15"), ("1/7", "0.14285714285714"), ("0.1 + 0.2", "0.3"), ("-0.5 round 0", "-1"),
    ("1.955 round 2", "1.96"), ("5 fmod 3", "2"), ("-5 mod 3", "-2"), ("5.9 mod 3", "2"), ("10^400", "INF"),
    ("3 = 3.0", "1"), ("1 < 2 < 3", "1"), ("not 1 or 1", "1"), ("pi", "3.1415926535898"), ("(((1)))", "1"),
    ("1.2.3 + 1", "2.2"), ("2 − 1", "1"), ("trunc -2.5", "-2"), ("ceil 2.1", "3"), ("ln e", "1"),
])
def test_expression_values(expression, shown):
    assert evaluate_expression(expression) == shown


@pytest.mark.parametrize("expression", ["1/0", "1 mod 0", "1 +", "* 2", "(1", "1)", "foo", "2 pi", "1 2",
                                        "sqrt -1", "ln 0", "asin 2", "#", "()"])
def test_expression_errors(expression):
    with pytest.raises(ExpressionError):
        evaluate_expression(expression)


_NUMBERS = st.builds(
    lambda sign, whole, fraction: sign + whole + (f".{fraction}" if fraction else ""),
    st.sampled_from(["", "-"]),
    st.integers(min_value=0, max_value=10**18).map(str),
    st.one_of(st.just(""), st.integers(min_value=0, max_value=10**6).map(str)),
)


@settings(max_examples=150, deadline=None)
@given(_NUMBERS, st.sampled_from(["ja", "en", "zh", "ru", "es", "hi", "sw"]))
def test_formatnum_round_trips_with_r(number, lang):
    shown = format_number(number, lang)
    assert unformat_number(shown, lang) == number
    assert [c for c in shown if c.isdigit()] == [c for c in number if c.isdigit()]


@settings(max_examples=100, deadline=None)
@given(_NUMBERS)
def test_formatnum_groups_in_threes_on_jawiki(number):
    shown = format_number(number, "ja")
    whole = shown.lstrip("-").split(".")[0]
    groups = whole.split(",")
    assert all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3


def test_ordinary_templates_are_not_magic_words():
    expander = Expander(JA, PageContext("東京", datetime.date(2015, 6, 1)))
    for inner in ("Infobox 国|名前=x", "lang|en|x", "仮リンク|a|en|b", "Template:Foo", "pagename", "Currentyear",
                  "DEFAULTSORT:とうきょう", "#ifexist:x|a|b", "#time:Y"):
        assert render(expander, inner.split("|", 1)[0], inner, 0) is None, inner


def test_date_words_follow_the_given_date_only():
    for day in (datetime.date(1999, 12, 31), datetime.date(2024, 2, 29)):
        parsed = to_text("{{CURRENTYEAR}}-{{CURRENTMONTH}}-{{CURRENTDAY2}}", JA, date=day)
        assert parsed.text == day.isoformat()
    assert to_text("[{{CURRENTYEAR}}]", JA).text == "[]"


def test_magic_words_deeper_than_the_limit_make_the_page_unparsable():
    from leia.wiki.lines import UnparsablePage

    nested = "{{#if:x|" * 30 + "y" + "}}" * 30
    with pytest.raises(UnparsablePage):
        to_text(nested, JA)
    assert to_text("{{#if:x|" * 10 + "深い" + "}}" * 10, JA).text == "深い"


# -- -{...}- ------------------------------------------------------------------------------------------------

_PLAIN = st.text(alphabet=st.sampled_from(list("中文字位于於 abc;:|=>")), min_size=0, max_size=6).filter(
    lambda t: "-{" not in t and "}-" not in t and not t.endswith("-") and not t.startswith("}"))
_CODE = st.sampled_from(sorted(VARIANTS))


def _markup():
    rule = st.builds(lambda pairs: ";".join(f"{code}:{text}" for code, text in pairs),
                     st.lists(st.tuples(_CODE, _PLAIN), min_size=1, max_size=3))
    flagged = st.builds(lambda flag, body: f"{flag}|{body}", st.sampled_from(["A", "H", "R", "T", "-", "D"]), rule)
    return st.recursive(
        st.one_of(_PLAIN, rule.map(lambda r: f"-{{{r}}}-"), flagged.map(lambda r: f"-{{{r}}}-")),
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map("".join),
            inner.map(lambda body: f"-{{{body}}}-"),
        ),
        max_leaves=6,
    )


@settings(max_examples=150, deadline=None)
@given(_markup(), _CODE)
def test_converter_markup_never_stays_in_the_text(text, variant):
    shown = convert(text, variant)
    assert "-{" not in shown and "}-" not in shown


_WORDS = st.text(alphabet=st.sampled_from(list("中文字位于於 abc")), max_size=6)


@settings(max_examples=100, deadline=None)
@given(_WORDS, _WORDS, _CODE)
def test_a_variant_shows_its_own_text_else_its_fallbacks(hans, hant, variant):
    shown = convert(f"-{{zh-hans:{hans};zh-hant:{hant}}}-", variant)
    chain = (variant, *FALLBACKS[variant])
    first = next(code for code in chain if code in ("zh-hans", "zh-hant"))
    assert shown == (hans if first == "zh-hans" else hant).strip()


def test_unknown_variant_is_a_configuration_error():
    with pytest.raises(ConfigError, match="zh-xx"):
        to_text("本文", SiteInfo.for_language("zh"), variant="zh-xx")
