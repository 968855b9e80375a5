"""The fast path and the mwparserfromhell path of ``to_text`` give the same result on every input: a property
test over wikitext assembled from the markup that decides which path a line takes (links, quotes, nowiki,
entities, templates, URLs, tags, list markers, headings), on an English and a Japanese wiki."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leia.wiki.siteinfo import SiteInfo
from leia.wiki.wikitext.convert import to_text
from leia.wiki.lines import UnparsablePage

SITES = {"en": SiteInfo.for_language("en"), "ja": SiteInfo.for_language("ja")}

_TITLES = st.sampled_from([
    "Foo", "foo bar", "Foo_bar", "Foo#frag", "#frag", ":Foo", "Category:Foo", ":Category:Foo", "File:A.png",
    "en:Foo", ":en:Foo", "wikt:foo", "Help:Foo", "Project:", "./foo", "7%25 x", "%E5%B1%B1", "Foo&amp;bar",
    "Foo&#124;bar", "http://example.com x", "//example.com", "Lista d''e", "Foo~~~", "架空", "ß", " Foo ",
    "Foo<nowiki>x</nowiki>", "Foo#<b>",
])
_LABELS = st.sampled_from([
    None, "", " ", "bar", " bar ", "''it''", "'''b'''", "[x]", "[[Inner]]", "a<br>b", "<nowiki/>",
    "[http://example.com e]", "x&nbsp;y", "ラベル", "{{lang|en|L}}",
])
_TRAILS = st.sampled_from(["", "s", "abc", "'s", "&#97;", "]", "]]", "の", "ö"])


@st.composite
def _links(draw) -> str:
    title, label = draw(_TITLES), draw(_LABELS)
    inner = title if label is None else f"{title}|{label}"
    return f"[[{inner}]]{draw(_TRAILS)}"


_PIECES = st.one_of(
    st.text(alphabet="ab xyz.,:;'|=*#-&日本語　", min_size=1, max_size=6),
    _links(),
    st.sampled_from([
        "''", "'''", "'''''", "''''", "'", "<nowiki>''x''</nowiki>", "<nowiki/>", "<nowiki>&lt;[[a]]</nowiki>",
        "</nowiki>", "<pre>&lt;x</pre>", "&amp;", "&lt;", "&#124;", "&nbsp;", "&apos;", "&#97;", "&vert;",
        "&bogus;", "&#0;", "{{lang|en|text}}", "{{drop me}}", "{{仮リンク|仮|en|Temporary}}", "{{!}}",
        "http://example.com/x", "[http://example.com label]", "[http://example.com]", "[[http://x y]]",
        "[http://example.com/\u3000ideo]", "[http://example.com/<b>b</b> t]", "<b>", "</b>", "<br>",
        "<span class=\"a\">s</span>", "<boo>x</boo>", "<aside>a</aside>", "<ref>r</ref>", "<!-- c -->",
        "[", "]", "[[", "]]", "{{", "}}", "__NOTOC__", "~~~~", "\t", "http://example.com/a|b\tc",
        "http://example.com/&#x5B;&#x0A;", "e&zwnj;x", "mailto:a@b.c",
    ]),
)
_STARTS = st.sampled_from(["", "", "", "* ", "# ", ": ", ";", "; t : ", "*#", " ", "== ", "=", "----"])
_ENDS = st.sampled_from(["", "", " ==", "=", "  "])


@st.composite
def _pages(draw) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        body = "".join(draw(st.lists(_PIECES, min_size=1, max_size=8)))
        lines.append(draw(_STARTS) + body + draw(_ENDS))
    return "\n".join(lines)


def _convert(wikitext: str, site: SiteInfo, fast: bool):
    try:
        return to_text(wikitext, site, fast=fast)
    except UnparsablePage as exc:
        return f"unparsable: {exc}"


@pytest.mark.parametrize("lang", sorted(SITES))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wikitext=_pages())
def test_fast_path_equals_parser_path(lang, wikitext):
    site = SITES[lang]
    fast, slow = _convert(wikitext, site, True), _convert(wikitext, site, False)
    assert fast == slow
    if not isinstance(fast, str):
        for anchor in fast.anchors:
            mention = fast.text[anchor.start:anchor.end]
            assert mention and mention == mention.strip() and "\n" not in mention


@pytest.mark.shared
@pytest.mark.parametrize("dump", ["jawiki_dev_dump", "enwiki_sample_dump"])
def test_fast_path_equals_parser_path_on_every_real_page(dump, request):
    """Every page of the real dumps in ../shared, all namespaces and redirects included, with the dump's
    own siteinfo."""
    from leia.wiki.dumps.xmldump import DumpReader

    reader = DumpReader(request.getfixturevalue(dump))
    pages = list(reader)
    assert len(pages) >= 100
    for page in pages:
        assert _convert(page.text, reader.siteinfo, True) == _convert(page.text, reader.siteinfo, False), page.title
