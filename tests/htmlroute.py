"""The HTML route against the wikitext route on MediaWiki's parser tests: each scored test (``parsertests``
scope) that has Parsoid's HTML (``!! html/parsoid``) is wrapped as an HTML dump record and extracted
(leia.steps.extract.convert_records, filters off as the wikitext scoring has them), its wikitext converted
by ``leia.wiki.wikitext.convert.to_text``; text (normalised as in ``parsertests``) and anchors (target, surface
multisets) are compared."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from leia.steps.extract import ExtractOptions, convert_records
from leia.wiki.html.htmldump import HtmlRecord
from leia.wiki.wikitext.convert import to_text
from parsertests import DATA, DEFAULT_TITLE, SITE, ParserTest, _ours, _sections, category, normalize_line, \
    normalize_text, scored_tests

_OPTIONS = ExtractOptions(skip_disambiguation=False, drop_navigation_sections=False)


def parsoid_html() -> dict[tuple[str, str], str]:
    """(file, test name) -> the test's ``!! html/parsoid`` section."""
    found: dict[tuple[str, str], str] = {}
    for path in sorted(DATA.glob("*.txt")):
        lines = path.read_bytes().decode("utf-8", errors="replace").split("\n")
        name = None
        for section, body in _sections(lines):
            key = section.lower()
            if key == "test":
                name = "\n".join(body).strip()
            elif key == "html/parsoid" and name is not None:
                found[(path.name, name)] = "\n".join(body)
            elif key == "end":
                name = None
    return found


def as_record(test: ParserTest, html: str, number: int) -> HtmlRecord:
    title = test.options.get("title", "").strip("[]\"") or DEFAULT_TITLE
    record = {"name": title, "identifier": number, "in_language": {"identifier": "en"},
              "is_part_of": {"identifier": "enwiki"}, "article_body": {"html": html, "wikitext": test.wikitext}}
    return HtmlRecord(test.file, number, json.dumps(record).encode())


@dataclass
class Agreement:
    test: ParserTest
    category: str
    text: bool
    anchors: bool
    html_text: str
    wikitext_text: str
    html_links: Counter
    wikitext_links: Counter


def compare(test: ParserTest, html: str, number: int = 1) -> Agreement:
    title = test.options.get("title", "").strip("[]\"") or DEFAULT_TITLE
    rows, _ = convert_records(SITE, [as_record(test, html, number)], "parsertests", _OPTIONS)
    if rows:
        text = normalize_text(rows[0]["text"])
        links = Counter((a["target"], normalize_line(rows[0]["text"][a["start"]:a["end"]])) for a in rows[0]["anchors"])
    else:
        text, links = "", Counter()
    theirs, their_links = _ours(to_text(test.wikitext, SITE, title=title))
    return Agreement(test, category(test), text == theirs, links == their_links, text, theirs, links, their_links)


def both_handle() -> list[tuple[ParserTest, str]]:
    html = parsoid_html()
    return [(test, html[(test.file, test.name)]) for test in scored_tests() if (test.file, test.name) in html]
