"""MediaWiki core's parser tests (``../shared/data/mediawiki-parsertests/*.txt``) as a measure of ``to_text``.

Reading. A file is a sequence of blocks opened by a line ``!! <section>`` (``!!test`` too). A test runs from
``!! test`` to ``!! end``; its sections are its name, ``wikitext``, the expected HTML of the legacy parser
(``html/php``, else ``html``, else ``html/*``), Parsoid's HTML, ``options`` and ``config``. ``!! article``
blocks (pages the tests may transclude or link to) and ``!! hooks`` blocks are skipped.

Scope. A test is scored unless one of these rules puts it out of scope (the first that applies is its
reason):

* ``no legacy html``: only Parsoid's HTML is given;
* ``option <name>``: an option other than ``parsoid``, ``version``, ``parsoid-compatible``, ``title`` and
  ``language=en`` (``pst``, ``msg``, ``section``, ``disabled``, ``cat``, ``ill``, ``showtitle`` ... change
  what is rendered or output, or render in another mode or language);
* ``config``: a ``!! config`` other than ``wgFragmentMode`` (which only changes heading ids);
* ``templates``: ``{{`` outside ``<nowiki>``/``<pre>``/comments (templates come from ``!! article`` pages;
  magic words and parser functions are not this measure's subject);
* ``tables``: a wiki table (``{|`` at a line start) or an HTML ``<table>``;
* ``media``: ``[[File:``/``[[Image:``/``[[Media:`` links, ``<gallery>``, ``<imagemap>``, or images in the
  expected HTML;
* ``extension tag``: a tag that only parser-test hooks or extensions define (``<tag>``, ``<ref>``,
  ``<indicator>``, ``<poem>``, ``<math>`` ...);
* ``test interwiki map``: links with an interwiki prefix of the test wiki's own map that Wikipedia's
  lacks or uses otherwise (``meatball:``, ``memoryalpha:``, ``local:``, ``mi:`` as a local wiki ...);
* ``language converter``: ``-{`` markup;
* ``redirect``: the wikitext is a redirect page (extraction skips those);
* ``error output``: the expected HTML holds a parser error message (``class="error"``);
* ``bad characters``: ``badCharacters.txt``/``fuzzTests.txt`` (byte-level and random markup no editor would
  save).

Expected text. The legacy HTML is read with ``html.parser``: contents of section-edit links, the table of
contents, ``<style>``/``<script>`` dropped; block elements (``p div h1``-``h6 li dt dd ul ol dl pre
blockquote center br hr`` ...) and newlines in text end a line. Every line, ours and theirs, is normalised
the same way: U+00A0 and U+202F to spaces, stripped, runs of spaces and tabs to one space, empty lines
dropped. Text is exact when the lines are equal.

Expected links. ``<a href="/wiki/T">``, red links ``/index.php?title=T&action=edit&redlink=1`` and self
links (``class="mw-selflink"``, target the page title) whose title is in the main namespace: (target,
surface) with the target normalised by ``leia.wiki.titles.normalize_title`` and the surface by the line
normalisation; a link that shows no text (``[[A|<nowiki/>]]``) gives no anchor and is not counted. Links
are compared as multisets per test. Autonumbered external links (``[http://x]``, shown ``[1]``) are left
out of the expected text: the converter drops them by design (a number that says nothing in running text).

Category. The first rule on the lower-cased test name that matches (``nowiki``, ``entit``/``&`` ->
entities, ``<pre>``/`` pre``/``indent`` -> pre, ``quote``/``italic``/``bold`` -> quotes, ``list``/
``definition`` -> lists, ``heading``/``section`` -> headings, ``external``/``url``/``extlink``/``free
link``/``magic link``/``isbn``/``rfc``/``pmid`` -> external links, ``link`` -> links, ``html``/``tag``/
``span``/``div``/``attribute``/``sanitiz``/``comment`` -> HTML tags, ``paragraph``/``p-wrap``/
``newline``/``line break``/``blank``/``whitespace`` -> paragraphs), else the file's category
(``FILE_CATEGORIES``), else ``other``.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from leia.wiki.siteinfo import SiteInfo
from leia.wiki.titles import normalize_title
from leia.wiki.wikitext.convert import to_text
from leia.wiki.lines import Parsed

__all__ = [
    "DATA",
    "CATEGORIES",
    "ParserTest",
    "Expected",
    "Score",
    "read_tests",
    "scope",
    "category",
    "expected",
    "score",
    "scored_tests",
]

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mediawiki-parsertests"
SITE = SiteInfo.for_language("en")
DEFAULT_TITLE = "Parser test"

CATEGORIES = (
    "links", "quotes", "lists", "headings", "paragraphs", "entities", "nowiki", "pre", "HTML tags",
    "external links", "other",
)

FILE_CATEGORIES = {
    "wikiLinks.txt": "links", "interwikiLinks.txt": "links", "catAndLangLinks.txt": "links",
    "interlanguageLinks.txt": "links", "mediaLinks.txt": "links", "quotes.txt": "quotes",
    "definitionLists.txt": "lists", "headings.txt": "headings", "pWrapping.txt": "paragraphs",
    "indentPre.txt": "pre", "preTags.txt": "pre", "extLinks.txt": "external links",
    "magicLinks.txt": "external links", "sanitizer.txt": "HTML tags", "comments.txt": "HTML tags",
}

_NAME_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(pattern)) for name, pattern in (
    ("nowiki", r"nowiki"),
    ("entities", r"entit|&"),
    ("pre", r"<pre>|\bpre\b|indent"),
    ("quotes", r"quote|italic|bold"),
    ("lists", r"\blist|definition"),
    ("headings", r"heading|section"),
    ("external links", r"external|\burls?\b|extlink|free link|magic link|isbn|rfc|pmid"),
    ("links", r"link"),
    ("HTML tags", r"html|\btags?\b|span|\bdiv\b|attribute|sanitiz|comment"),
    ("paragraphs", r"paragraph|p-wrap|newline|line break|blank|whitespace"),
))

_ALLOWED_OPTIONS = frozenset({"parsoid", "version", "parsoid-compatible", "title"})
_ALLOWED_CONFIG = re.compile(r"\s*(?:wgFragmentMode\b.*)?\s*", re.S)
_EXTENSION_TAGS = re.compile(
    r"<(?:tag|tåg|statictag|spantag|pwraptest|embedtag|ref|references|indicator|poem|math|chem|ce|score|"
    r"syntaxhighlight|source|timeline|templatestyles|section|inputbox|categorytree|translate|languages|"
    r"html|div\s+class=\"?mw-|ext:|gallery|imagemap|graph|mapframe|maplink|charinsert|hiero|langconvert|asidetag)"
    r"[\s>/]|<mw:", re.I)
# Interwiki prefixes of the parser tests' own wiki that Wikipedia's map lacks or uses otherwise (``mi`` is a
# language there, a local interwiki here).
_TEST_INTERWIKI = re.compile(r"\[\[\s*:?\s*(?:meatball|memoryalpha|local|mi|mul|wikinvest|google|gerrit)\s*:", re.I)
_HIDDEN_MARKUP = re.compile(r"<nowiki\s*>.*?</nowiki\s*>|<pre\b[^>]*>.*?</pre\s*>|<!--.*?(?:-->|\Z)", re.S | re.I)
_MEDIA = re.compile(r"\[\[\s*:?\s*(?:file|image|media)\s*:|<gallery|<imagemap", re.I)
_TABLE = re.compile(r"^[ \t:]*\{\||<table", re.M | re.I)
_REDIRECT = re.compile(r"\s*#redirect", re.I)
_SKIPPED_FILES = frozenset({"badCharacters.txt", "fuzzTests.txt"})


@dataclass
class ParserTest:
    file: str
    name: str
    wikitext: str
    html: str | None
    options: dict[str, str] = field(default_factory=dict)
    config: str = ""

    @property
    def key(self) -> str:
        return f"{self.file}: {self.name}"


def _sections(lines: list[str]):
    """(section name, its lines) of one file, in order."""
    name = None
    body: list[str] = []
    for line in lines:
        if line.startswith("!!"):
            if name is not None:
                yield name, body
            name, body = line[2:].strip(), []
        elif name is not None:
            body.append(line)
    if name is not None:
        yield name, body


def _options(text: str) -> dict[str, str]:
    """``name`` and ``name=value`` options; a value may be quoted, ``[[...]]`` or a balanced ``{...}``."""
    options: dict[str, str] = {}
    i, n = 0, len(text)
    while i < n:
        m = re.compile(r"\s*([^\s=]+)\s*").match(text, i)
        if m is None or not m.group(1):
            break
        key, i = m.group(1), m.end()
        value = ""
        if i < n and text[i] == "=":
            i += 1
            while i < n and text[i] in " \t":
                i += 1
            start = i
            if text.startswith("{", i) or text.startswith("[", i):
                opener = text[i]
                closer = "}" if opener == "{" else "]"
                depth = 0
                while i < n:
                    if text[i] == opener:
                        depth += 1
                    elif text[i] == closer:
                        depth -= 1
                        if depth == 0:
                            i += 1
                            break
                    i += 1
            elif text.startswith('"', i):
                end = text.find('"', i + 1)
                i = n if end < 0 else end + 1
            else:
                while i < n and not text[i].isspace():
                    i += 1
            value = text[start:i]
        options[key.lower()] = value
    return options


def read_tests(folder: Path = DATA) -> list[ParserTest]:
    tests: list[ParserTest] = []
    for path in sorted(folder.glob("*.txt")):
        lines = path.read_bytes().decode("utf-8", errors="replace").split("\n")
        current: dict[str, str] | None = None
        for section, body in _sections(lines):
            key = section.lower()
            if key == "test":
                current = {"name": "\n".join(body).strip()}
            elif current is None:
                continue
            elif key == "end":
                html = current.get("html/php", current.get("html", current.get("html/*")))
                tests.append(ParserTest(
                    path.name, current["name"], current.get("wikitext", ""), html,
                    _options(current.get("options", "")), current.get("config", ""),
                ))
                current = None
            else:
                current[key] = "\n".join(body)
    return tests


def scope(test: ParserTest) -> str | None:
    """Why a test is not scored (see the module docstring), or None when it is."""
    if test.html is None:
        return "no legacy html"
    for option, value in test.options.items():
        if option == "language" and value.strip('"') == "en":
            continue
        if option not in _ALLOWED_OPTIONS:
            return f"option {option}"
    if not _ALLOWED_CONFIG.fullmatch(test.config):
        return "config"
    if test.file in _SKIPPED_FILES:
        return "bad characters"
    visible = _HIDDEN_MARKUP.sub("", test.wikitext)
    if "{{" in visible:
        return "templates"
    if _TABLE.search(visible) or "<table" in test.html:
        return "tables"
    if _MEDIA.search(visible) or re.search(r"<img|<figure|mw-file|typeof=\"mw:File", test.html):
        return "media"
    if _EXTENSION_TAGS.search(test.wikitext):
        return "extension tag"
    if _TEST_INTERWIKI.search(visible):
        return "test interwiki map"
    if "-{" in visible:
        return "language converter"
    if _REDIRECT.match(test.wikitext):
        return "redirect"
    if 'class="error' in test.html:
        return "error output"
    return None


def category(test: ParserTest) -> str:
    name = test.name.lower()
    for found, pattern in _NAME_RULES:
        if pattern.search(name):
            return found
    return FILE_CATEGORIES.get(test.file, "other")


_BLOCK = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li dt dd ul ol dl pre blockquote center br hr table tr td th caption section "
    "article aside nav header footer figure figcaption address hgroup main details summary".split())
_VOID = frozenset("br hr img meta link wbr input col area base source track".split())
_HIDDEN = frozenset({"style", "script"})
_WHITESPACE = re.compile(r"[ \t]+")


def normalize_line(line: str) -> str:
    return _WHITESPACE.sub(" ", line.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def normalize_text(text: str) -> str:
    return "\n".join(filter(None, map(normalize_line, text.split("\n"))))


def _target(href: str | None, title: str) -> str | None:
    """The page an ``<a href>`` of the legacy parser links to inside the wiki, else None."""
    if href is None:
        return None
    if href.startswith("/wiki/"):
        return unquote(href[len("/wiki/"):].partition("#")[0]).replace("_", " ")
    if href.startswith("/index.php?"):
        query = parse_qs(urlsplit(href).query)
        if query.get("redlink") == ["1"] and "title" in query:
            return query["title"][0].replace("_", " ")
    return None


class _Reader(HTMLParser):
    def __init__(self, title: str):
        # Character references are decoded here, not by the parser, which drops the noncharacters
        # (U+10FFFE ...) that MediaWiki outputs.
        super().__init__(convert_charrefs=False)
        self.title = title
        self.out: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.hidden: list[str] = []
        self.anchor: tuple[str, int] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if self.hidden:
            if tag not in _VOID:
                self.hidden.append(tag)
            return
        if tag in _HIDDEN or "mw-editsection" in classes or attributes.get("id") == "toc" or "toc" in classes:
            if tag not in _VOID:
                self.hidden.append(tag)
            return
        if tag in _BLOCK:
            self.out.append("\n")
        if tag == "a" and "autonumber" in classes:
            self.hidden.append(tag)
            return
        if tag == "a":
            target = _target(attributes.get("href"), self.title)
            if target is None and ("mw-selflink" in classes or "mw-selflink-fragment" in classes):
                target = self.title
            if target is not None:
                normalized = normalize_title(target, SITE)
                if normalized is not None and normalized[0] == 0:
                    self.anchor = (normalized[1], len(self.out))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self.hidden:
            self.hidden.pop()
            return
        if tag in _BLOCK:
            self.out.append("\n")
        if tag == "a" and self.anchor is not None:
            target, begin = self.anchor
            surface = normalize_text(" ".join("".join(self.out[begin:]).split("\n")))
            if surface:
                self.links.append((target, surface))
            self.anchor = None

    def handle_data(self, data):
        if not self.hidden:
            self.out.append(data)

    def handle_charref(self, name):
        code = int(name[1:], 16) if name[:1] in "xX" else int(name)
        self.handle_data(chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF
                         else html.unescape(f"&#{name};"))

    def handle_entityref(self, name):
        self.handle_data(html.unescape(f"&{name};"))


@dataclass
class Expected:
    text: str
    links: Counter


def expected(test: ParserTest) -> Expected:
    """The visible text and internal links of a test's legacy HTML."""
    title = test.options.get("title", "").strip("[]\"") or DEFAULT_TITLE
    reader = _Reader(title)
    reader.feed(test.html or "")
    reader.close()
    return Expected(normalize_text("".join(reader.out)), Counter(reader.links))


def _ours(parsed: Parsed) -> tuple[str, Counter]:
    links = Counter((a.target, normalize_line(parsed.text[a.start:a.end])) for a in parsed.anchors)
    return normalize_text(parsed.text), links


@dataclass
class Score:
    test: ParserTest
    category: str
    expected: Expected
    text: str
    links: Counter
    identical: bool
    error: str | None = None

    @property
    def text_exact(self) -> bool:
        return self.text == self.expected.text

    @property
    def links_found(self) -> int:
        return sum((self.links & self.expected.links).values())

    @property
    def passed(self) -> bool:
        return self.text_exact and self.links == self.expected.links and self.identical


def score(test: ParserTest) -> Score:
    title = test.options.get("title", "").strip("[]\"") or DEFAULT_TITLE
    want = expected(test)
    try:
        fast = to_text(test.wikitext, SITE, title=title)
        slow = to_text(test.wikitext, SITE, title=title, fast=False)
    except Exception as exc:  # a converter failure is a failed test, reported with its message
        return Score(test, category(test), want, "", Counter(), False, f"{type(exc).__name__}: {exc}")
    text, links = _ours(fast)
    return Score(test, category(test), want, text, links, fast == slow)


def scored_tests(folder: Path = DATA) -> list[ParserTest]:
    return [test for test in read_tests(folder) if scope(test) is None]
