"""Title normalisation as MediaWiki resolves link targets, and the prefixes that leave the wiki."""

from __future__ import annotations

import pytest

from leia.wiki.siteinfo import SiteInfo
from leia.wiki.titles import (
    INTERWIKI_PREFIXES,
    LANGUAGE_CODES,
    external_prefix,
    link_trail,
    normalize_title,
    upper_first,
)

JA = SiteInfo.for_language("ja")
EN = SiteInfo.for_language("en")


@pytest.mark.parametrize("raw, expected", [
    ("カイロ", (0, "カイロ")),
    ("cairo", (0, "Cairo")),
    ("new_york  city", (0, "New york city")),
    ("  Foo_ bar\u3000baz\u00a0qux ", (0, "Foo bar baz qux")),
    ("Egypt#History", (0, "Egypt")),
    (":Egypt", (0, "Egypt")),
    ("AT&amp;T", (0, "AT&T")),
    ("Caf%C3%A9", (0, "Café")),
    ("100%", (0, "100%")),
    ("ß-Ligatur", (0, "ß-Ligatur")),
    ("éclair", (0, "Éclair")),
    ("category:egypt", (14, "Category:Egypt")),
    (":Category:Egypt", (14, "Category:Egypt")),
    ("Image:Flag.svg", (6, "File:Flag.svg")),
    ("template:lang", (10, "Template:Lang")),
    ("Foo: a story", (0, "Foo: a story")),
])
def test_normalize_title_english(raw, expected):
    assert normalize_title(raw, EN) == expected


@pytest.mark.parametrize("raw, expected", [
    ("画像:旗.svg", (6, "File:旗.svg")),
    ("ファイル:旗.svg", (6, "File:旗.svg")),
    ("カテゴリ:アフリカの国", (14, "Category:アフリカの国")),
])
def test_normalize_title_japanese_aliases(raw, expected):
    assert normalize_title(raw, JA) == expected


def test_namespace_named_as_the_dump_names_it():
    site = SiteInfo(dbname="jawiki", lang="ja", namespaces={0: "", 4: "Wikipedia", 6: "ファイル", 14: "Category"})
    assert normalize_title("画像:旗.svg", site) == (6, "ファイル:旗.svg")
    assert normalize_title("カテゴリ:国", site) == (14, "Category:国")
    assert normalize_title("wikipedia:方針", site) == (4, "Wikipedia:方針")
    assert normalize_title("wikipedia:方針", JA) == (4, "Wikipedia:方針")
    assert normalize_title("wikipedia:方針", SiteInfo(dbname="xwiki", lang="ja", namespaces={0: "", 4: "Project"})) is None


def test_case_sensitive_namespace_keeps_first_letter():
    site = SiteInfo(dbname="enwiktionary", lang="en", case="case-sensitive")
    assert normalize_title("word", site) == (0, "word")


@pytest.mark.parametrize("raw", ["en:Cairo", ":en:Cairo", "wikt:港", "commons:Category:Egypt", "d:Q85", "", "#History",
                                 ":", "a[b]", "a|b", "a{b}", "a<b>"])
def test_normalize_title_none(raw):
    assert normalize_title(raw, JA) is None


def test_external_prefix():
    assert external_prefix(":en:Cairo") == "en"
    assert external_prefix("Wikt:港") == "wikt"
    assert external_prefix("zh-min-nan:Tâi-oân") == "zh-min-nan"
    assert external_prefix("Category:X") is None
    assert external_prefix("Cairo") is None


def test_prefix_tables():
    assert {"en", "ja", "de", "fr", "zh", "simple", "ar", "hi", "sw"} <= LANGUAGE_CODES
    assert {"wikt", "commons", "s", "b", "q", "n", "v", "voy", "d", "m", "meta", "mw", "species"} <= INTERWIKI_PREFIXES
    assert not LANGUAGE_CODES & {"category", "file", "image", "template"}


@pytest.mark.parametrize("lang, text, trail", [
    ("en", "es and", "es"),
    ("en", "'s", None),
    ("de", "nbahn über", "nbahn"),
    ("fr", "été", "été"),
    ("ru", "ами", "ами"),
    ("sw", "ni", "ni"),
    ("ar", "ية x", "ية"),
    ("hi", "ों x", "ों"),
    ("xx", "s", "s"),
])
def test_link_trails(lang, text, trail):
    pattern = link_trail(lang)
    m = pattern.match(text)
    assert (m.group() if m else None) == trail


@pytest.mark.parametrize("lang", ["ja", "zh", "th"])
def test_no_link_trail(lang):
    assert link_trail(lang) is None


def test_upper_first():
    assert upper_first("ǆungla") == "Ǆungla"
    assert upper_first("ﬁsh") == "ﬁsh"
    assert upper_first("") == ""
