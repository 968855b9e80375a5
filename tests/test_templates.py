"""The template registry (``leia.wiki.wikitext.templates.registry``) as a specification: every entry has a case in
tests/cases/wikitext/templates*.case and a row in docs/templates.md whose example renders as documented;
names are normalised as MediaWiki does; ages, conversions and the interlanguage-link tables hold for every
input, not only the cases."""

from __future__ import annotations

import datetime
import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leia.wiki.wikitext.templates.renderers.countries import COUNTRIES, country
from leia.wiki.wikitext.templates.interlanguage import INTERLANGUAGE_TEMPLATES
from leia.wiki.wikitext.templates.registry import markdown_tables, registry_for
from leia.wiki.wikitext.templates.table import ENTRIES, PATTERNS
from leia.wiki.siteinfo import SiteInfo
from leia.wiki.wikitext.templates.calls import template_key
from leia.wiki.wikitext.templates.renderers.units import UNITS, unit
from leia.wiki.wikitext.convert import to_text
from leia.wiki.wikitext.templates.interlanguage import harvest_interlanguage_links

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "cases" / "wikitext"
DOC_DATE = datetime.date(2026, 12, 1)
_NAME = re.compile(r"\{\{\s*([^{}|]+?)\s*[|}]")


def _case_templates() -> dict[str, set[str]]:
    """Template keys used in the inputs of the template cases, by wiki language."""
    used: dict[str, set[str]] = {}
    for path in sorted(CASES.glob("templates*.case")):
        for block in path.read_text(encoding="utf-8").split("\n---\n"):
            site = re.search(r"^site: (\S+)$", block, re.M)
            body = block.split("\ninput:\n", 1)[1].split("\ntext:\n", 1)[0]
            used.setdefault(site.group(1) if site else "ja", set()).update(
                template_key(name) for name in _NAME.findall(body))
    return used


def _ja() -> SiteInfo:
    return SiteInfo.for_language("ja")


def test_every_registry_entry_has_a_case():
    used = set().union(*_case_templates().values())
    registry = registry_for("ja")
    missing = [t.names[0] for t in ENTRIES if not any(template_key(name) in used for name in t.names)]
    missing += [t.names[0] for _, _, t in PATTERNS
                if not any(registry.find(key) is t for key in used)]
    assert missing == []


def test_every_interlanguage_template_kind_has_a_case_on_its_wiki():
    used = _case_templates()
    missing = []
    for lang, table in INTERLANGUAGE_TEMPLATES.items():
        for kind in {parse.__doc__ for parse in table.values()}:
            names = [name for name, parse in table.items() if parse.__doc__ == kind]
            if not any(template_key(name) in used.get(lang, set()) for name in names):
                missing.append((lang, names[0]))
    assert missing == []


def test_docs_hold_the_registry_tables():
    assert markdown_tables() in (ROOT / "docs" / "templates.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("template", ENTRIES + tuple(t for _, _, t in PATTERNS), ids=lambda t: t.names[0])
def test_documented_example_renders_as_documented(template):
    wikitext, _, text = template.example.partition(" → ")
    parsed = to_text(wikitext, SiteInfo.for_language(template.wiki), date=DOC_DATE)
    assert parsed.text == text.replace(" / ", "\n")


def test_names_are_normalised_like_mediawiki():
    assert template_key("Template:読み仮名_ruby不使用") == "読み仮名 ruby不使用"
    assert template_key(" テンプレート: 読み仮名  ruby不使用 ") == "読み仮名 ruby不使用"
    assert template_key("subst:lang") == "Lang"
    assert template_key("flagcountry") == "Flagcountry"
    registry = registry_for("ja")
    assert registry.find(template_key("visible_anchor")) is registry.find("Visible anchor")
    assert registry.find("FLAGCOUNTRY") is registry.find("Flagcountry")  # case variants are redirects
    assert registry.find("Ipa") is registry.find("IPA")
    assert registry.find("JPN") is not None and registry.find("Jpn") is None  # codes only as written
    assert registry.find("#if: x") is None and registry.find("DEFAULTSORT:かくう") is None
    assert registry.find("Infobox") is None
    assert registry.find("Lang-de").names == ("Lang-xx",)
    assert registry.find("独自研究範囲").names == ("…範囲",)


def test_every_name_is_one_entry():
    seen: dict[str, str] = {}
    for template in ENTRIES:
        for name in template.names:
            key = template_key(name)
            assert seen.setdefault(key, template.names[0]) == template.names[0], key


def test_interlanguage_templates_only_on_their_wiki():
    assert to_text("{{tsl|en|Foo Bar|福巴}}", SiteInfo.for_language("zh")).text == "福巴"
    assert to_text("前{{tsl|en|Foo Bar|福巴}}後", _ja()).text == "前後"


def test_harvest_reads_the_wikis_own_templates():
    zh = "{{tsl|en|Foo_Bar|福巴}}{{Link-en|约翰·史密斯|John Smith}}{{link-de|例|Beispiel}}<!-- {{tsl|en|X|隐}} -->"
    assert harvest_interlanguage_links(zh, SiteInfo.for_language("zh")) == [
        ("福巴", "Foo Bar"), ("约翰·史密斯", "John Smith")]
    ru = "{{НЕ ПЕРЕВЕДЕНО|Джон Смит|||John Smith}}{{Не_переведено 5|Пример|примера|de|Beispiel}}"
    assert harvest_interlanguage_links(ru, SiteInfo.for_language("ru")) == [("Джон Смит", "John Smith")]
    ar = "{{وصلة إنترويكي|عر=جون سميث|لغ=en|تر=John Smith}}"
    assert harvest_interlanguage_links(ar, SiteInfo.for_language("ar")) == [("جون سميث", "John Smith")]


def _full_years(birth: datetime.date, on: datetime.date) -> int:
    """Completed years by counting birthdays (a 29 February birthday falls on 1 March in other years)."""
    years = 0
    while True:
        year = birth.year + years + 1
        try:
            birthday = birth.replace(year=year)
        except ValueError:
            birthday = datetime.date(year, 3, 1)
        if birthday > on:
            return years
        years += 1


_DATES = st.dates(min_value=datetime.date(1800, 1, 1), max_value=datetime.date(2100, 12, 31))


@settings(max_examples=300, deadline=None)
@given(birth=_DATES, on=_DATES)
def test_age_as_of_the_revision_date(birth, on):
    wikitext = f"{{{{年齢|{birth.year}|{birth.month}|{birth.day}}}}}歳"
    text = to_text(wikitext, _ja(), date=on).text
    if on < birth:
        assert text == "歳"
    else:
        assert text == f"{_full_years(birth, on)}歳"
    shown = to_text(f"{{{{生年月日と年齢|{birth.year}|{birth.month}|{birth.day}}}}}", _ja(), date=on).text
    date = f"{birth.year}年{birth.month}月{birth.day}日"
    assert shown == (date if on < birth else f"{date}（{_full_years(birth, on)}歳）")


def test_age_needs_the_revision_date():
    assert to_text("{{生年月日と年齢|1990|5|15}}", _ja()).text == "1990年5月15日"
    assert to_text("{{birth date and age|1990|5|15}}", SiteInfo.for_language("en")).text == "May 15, 1990"
    assert to_text("{{生年月日と年齢|1990|2|31}}です", _ja(), date=DOC_DATE).text == "1990です"


@settings(max_examples=300, deadline=None)
@given(value=st.integers(min_value=1, max_value=10**7), pair=st.sampled_from(
    [("km", "mi"), ("m", "ft"), ("kg", "lb"), ("km2", "sqmi"), ("mi", "km"), ("L", "USgal"), ("km/h", "mph")]))
def test_convert_rounds_to_a_value_near_the_exact_one(value, pair):
    source, target = unit(pair[0]), unit(pair[1])
    text = to_text(f"{{{{convert|{value}|{pair[0]}|{pair[1]}}}}}", SiteInfo.for_language("en")).text
    m = re.fullmatch(rf"([0-9,]+) {re.escape(source.symbol)} \(([0-9,.]+) {re.escape(target.symbol)}\)", text)
    assert m, text
    assert m.group(1).replace(",", "") == str(value)
    shown = m.group(2).replace(",", "")
    exact = value * source.factor / target.factor
    # rounded to at least two significant figures: off by at most half a unit of the second one (5%), and
    # shown with decimals only where the input's precision calls for them
    assert abs(float(shown) - exact) <= 0.05 * exact
    places = len(shown.partition(".")[2])
    assert places <= max(0, 1 - math.floor(math.log10(exact))) + 1


def test_units_table_is_consistent():
    for entry in UNITS.values():
        default = unit(entry.default)
        assert default is not None and default.dimension == entry.dimension, entry.code
        assert entry.factor > 0


def test_country_table_is_consistent():
    for code, entry in COUNTRIES.items():
        assert country(code) == entry
        assert country(entry.ja) == entry and country(entry.en) == entry, code
    assert country("JP").code == "JPN" and country("GER").code == "DEU" and country("japan").code == "JPN"
    assert country("BRN").code == "BRN"  # ISO codes win over IOC codes that coincide with them
    assert country("架空国") is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([t.example.partition(" → ")[0] for t in ENTRIES if t.example]
                                + ["[[架空]]", "本文", "。", "'''", "\n", "* ", "{{Infobox|x=1}}"]), max_size=8))
def test_fast_path_equals_parser_path_with_templates(pieces):
    wikitext = "".join(pieces)
    assert to_text(wikitext, _ja(), date=DOC_DATE) == to_text(wikitext, _ja(), fast=False, date=DOC_DATE)


_ARGUMENT = st.one_of(
    st.sampled_from(["1990", "5", "15", "-3", "1e400", "nan", "0", "2.50", "km", "mi", "C", "to", "-", "en", "JPN",
                     "[[架空]]", "'''x'''", "{{lang|en|y}}", "", " ", "label=z", "disp=flip", "e=5", "99999"]),
    st.text(alphabet="09.,-|=[]{}'x架 ", max_size=6),
)
_NAMES = sorted({name for t in ENTRIES for name in t.names} | {"Lang-en", "要出典範囲", "仮リンク"})


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(_NAMES), arguments=st.lists(_ARGUMENT, max_size=7))
def test_any_arguments_render_without_error_and_alike_on_both_paths(name, arguments):
    wikitext = "前{{" + "|".join([name, *arguments]) + "}}後"
    fast = to_text(wikitext, _ja(), date=DOC_DATE)
    assert fast == to_text(wikitext, _ja(), fast=False, date=DOC_DATE)
    assert all(len(line) < 400 for line in fast.text.split("\n"))


@pytest.mark.parametrize("wikitext, text", [
    ("{{convert|1e400|km}}", "1e400 km"),
    ("{{convert|nan|km|mi}}", "nan km"),
    ("{{convert|1|km|mi|99999}}", "1 km (0.621371192237 mi)"),
    ("{{convert|5|km|mi|sigfig=500}}", "5 km (3.106855961187 mi)"),
    ("{{convert|123456|km|mi|-99}}", "123,456 km (0 mi)"),
    ("{{convert}}{{convert|1}}{{convert|1|to}}", "11 to"),
    ("{{年齢|99999|1|1}}歳", "歳"),
    ("{{生年月日と年齢|1990|2|31}}", "1990"),
])
def test_odd_numbers_render_without_error(wikitext, text):
    assert to_text(wikitext, SiteInfo.for_language("en"), date=DOC_DATE).text == text
