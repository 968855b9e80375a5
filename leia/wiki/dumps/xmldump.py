"""Streaming MediaWiki XML dumps (``.xml``, ``.xml.bz2`` including multistream, ``.xml.gz``) into pages
(``compression`` opens the file).

Memory stays bounded whatever the dump's size: elements are cleared as soon as a page is yielded. Faults in
the file itself (missing, not a dump, truncated compression, malformed XML) raise ``InputError`` naming the
file and how far reading got.
"""

from __future__ import annotations

import gzip
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Callable, Iterator, NamedTuple

from leia.errors import InputError
from leia.wiki.dumps.compression import CountingReader, FastBz2, open_binary
from leia.wiki.siteinfo import SiteInfo

__all__ = ["Page", "RawPage", "DumpReader", "PageCutter", "NS_RE", "shard_of"]


def shard_of(articles_before: int, shard_size: int) -> int:
    """The shard layout of a dump, which depends on the dump alone: a page is in shard ``a // shard_size``,
    ``a`` the number of articles before it (an article is a page of namespace 0 that is not a redirect)."""
    return articles_before // shard_size


@dataclass(frozen=True)
class Page:
    id: int
    ns: int
    title: str
    text: str
    redirect: str | None = None
    timestamp: str | None = None

    @property
    def is_article(self) -> bool:
        return self.ns == 0 and self.redirect is None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class DumpReader:
    """Iterate over the pages of a MediaWiki XML dump; ``siteinfo`` is known once the first page is read
    (or after :meth:`read_siteinfo`)."""

    def __init__(self, path: str | os.PathLike, threads: int = 1):
        self.path = os.fspath(path)
        self.threads = threads
        self.name = os.path.basename(self.path)
        self.size = os.path.getsize(self.path) if os.path.exists(self.path) else 0
        self.siteinfo: SiteInfo | None = None
        self.pages_read = 0
        self._counter: CountingReader | FastBz2 | None = None

    @property
    def bytes_read(self) -> int:
        """Bytes of the (compressed) file consumed so far."""
        return self._counter.consumed if self._counter else 0

    def read_siteinfo(self) -> SiteInfo:
        for _ in self._iter(stop_after_siteinfo=True):
            pass
        assert self.siteinfo is not None
        return self.siteinfo

    def __iter__(self) -> Iterator[Page]:
        return self._iter()

    def _fail(self, what: str) -> InputError:
        return InputError(f"{self.path}: {what} (after {self.pages_read} pages)")

    def _iter(self, stop_after_siteinfo: bool = False) -> Iterator[Page]:
        stream, self._counter = open_binary(self.path, self.threads)
        self.pages_read = 0
        try:
            events = ET.iterparse(stream, events=("start", "end"))
            root = None
            try:
                for event, elem in events:
                    if root is None:
                        root = elem
                        if _local(elem.tag) != "mediawiki":
                            raise InputError(
                                f"{self.path}: not a MediaWiki XML dump (root element <{_local(elem.tag)}>)")
                        continue
                    if event != "end":
                        continue
                    tag = _local(elem.tag)
                    if tag == "page":
                        page = self._page(elem)
                        root.clear()
                        self.pages_read += 1
                        yield page
                    elif tag == "siteinfo":
                        self.siteinfo = self._siteinfo(elem, root)
                        root.clear()
                        if stop_after_siteinfo:
                            return
            except ET.ParseError as e:
                if root is None:
                    raise InputError(f"{self.path}: not a MediaWiki XML dump ({e})") from None
                raise self._fail(f"malformed XML at {e}") from None
            except (EOFError, OSError, gzip.BadGzipFile) as e:
                raise self._fail(f"compressed stream is truncated or corrupt ({e})") from None
            if root is None:
                raise InputError(f"{self.path}: empty file, not a MediaWiki XML dump")
            if self.siteinfo is None:
                raise InputError(f"{self.path}: no <siteinfo> in this dump")
        finally:
            stream.close()
            self._counter.close()

    def _siteinfo(self, elem: ET.Element, root: ET.Element) -> SiteInfo:
        def text(name: str) -> str:
            for child in elem:
                if _local(child.tag) == name:
                    return child.text or ""
            return ""

        namespaces: dict[int, str] = {}
        namespace_case: dict[int, str] = {}
        for child in elem:
            if _local(child.tag) == "namespaces":
                for ns in child:
                    try:
                        key = _number(ns.get("key", "0"), "<namespace key>", -2**31, 2**31)
                    except ValueError as e:
                        raise InputError(f"{self.path}: <siteinfo>: {e}") from None
                    namespaces[key] = ns.text or ""
                    if ns.get("case"):
                        namespace_case[key] = ns.get("case", "")
        dbname = text("dbname")
        lang = root.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
        if not lang and dbname.endswith("wiki"):
            lang = dbname[: -len("wiki")].replace("_", "-")
        return SiteInfo(
            dbname=dbname or "unknownwiki", lang=lang or "en", base=text("base"), generator=text("generator"),
            case=text("case") or "first-letter", namespaces=namespaces, namespace_case=namespace_case,
        )

    def _page(self, elem: ET.Element) -> Page:
        if self.siteinfo is None:
            raise self._fail("a <page> before any <siteinfo>")
        try:
            return _page_from_element(elem)
        except ValueError as e:
            raise InputError(f"{self.path}: page {self.pages_read + 1}: {e}") from None

    def raw_pages(self) -> Iterator[RawPage]:
        """The pages as XML fragments, cut out of the decompressed stream without parsing them; each is
        parsed later, where it is converted (:meth:`RawPage.parse`). Checks the dump's header first."""
        self.read_siteinfo()
        stream, self._counter = open_binary(self.path, self.threads)
        self.pages_read = 0
        cutter = PageCutter(self._fail)
        try:
            while chunk := stream.read1(1 << 22):
                cutter.buffer += chunk
                for _, xml in cutter.pages():
                    self.pages_read += 1
                    yield RawPage.cut(self.pages_read, xml)
                cutter.drop()
        except (EOFError, OSError, gzip.BadGzipFile) as e:
            raise self._fail(f"compressed stream is truncated or corrupt ({e})") from None
        finally:
            stream.close()
            self._counter.close()
        buffer = cutter.buffer
        if cutter.leading and b"</siteinfo>" in buffer:
            buffer = buffer[buffer.index(b"</siteinfo>") + len(b"</siteinfo>"):]
        if buffer.strip() != b"</mediawiki>":
            what = "ends inside a page" if b"<page>" in buffer else "does not end with </mediawiki>"
            raise self._fail(f"malformed XML: the dump {what}; the file looks truncated")


PAGE_START, PAGE_END = b"<page>", b"</page>"


class PageCutter:
    """The one cutter of ``<page>`` elements out of a dump's decompressed bytes, without parsing them: fed
    bytes into :attr:`buffer`, :meth:`pages` gives each page once it is complete and checks that only
    whitespace lies between pages; ``fail`` makes the error for what it finds there."""

    def __init__(self, fail: Callable[[str], InputError]):
        self.buffer = b""
        self.pos = 0  # where the next page is looked for
        self.leading = True  # no page cut yet: the bytes so far are the header
        self.incomplete = False  # the last search met a page not complete yet
        self.stopped = False  # the last search met a page where ``stop`` held
        self.fail = fail

    def pages(self, stop: Callable[[int], bool] | None = None) -> Iterator[tuple[int, bytes]]:
        """(offset in the buffer, XML) of each complete page from :attr:`pos` on; ends at a page not complete
        yet, or before one whose offset ``stop`` holds for."""
        buffer = self.buffer
        self.incomplete = self.stopped = False
        while (begin := buffer.find(PAGE_START, self.pos)) >= 0:
            if stop is not None and stop(begin):
                self.stopped = True
                return
            end = buffer.find(PAGE_END, begin)
            if end < 0:
                self.incomplete = True
                return
            if not self.leading and buffer[self.pos:begin].strip():
                raise self.fail(f"malformed XML: unexpected {buffer[self.pos:begin].strip()[:40]!r} between pages")
            self.leading = False
            self.pos = end + len(PAGE_END)
            yield begin, buffer[begin:self.pos]

    def drop(self) -> None:
        """Forget the bytes before :attr:`pos`."""
        self.buffer = self.buffer[self.pos:]
        self.pos = 0


NS_RE = re.compile(rb"<ns>(-?\d+)</ns>")  # a page's namespace, read from its raw bytes


class RawPage(NamedTuple):
    """A page as the bytes of its XML, with what routing it needs (its namespace and whether it redirects);
    ``number`` is its position in the dump, from 1."""

    number: int
    ns: int
    redirect: bool
    xml: bytes

    @property
    def is_article(self) -> bool:
        return self.ns == 0 and not self.redirect

    @classmethod
    def cut(cls, number: int, xml: bytes) -> RawPage:
        """The page whose XML is ``xml``, its namespace and redirect read from the bytes before its revision."""
        head = xml[: xml.find(b"<revision")]
        ns = NS_RE.search(head)
        return cls(number, int(ns.group(1)) if ns else 0, b"<redirect" in head, xml)

    def parse(self, dump: str = "dump") -> Page:
        try:
            return _page_from_element(ET.fromstring(self.xml))
        except ET.ParseError as e:
            raise InputError(f"{dump}: malformed XML in page {self.number} ({e})") from None
        except ValueError as e:
            raise InputError(f"{dump}: page {self.number}: {e}") from None


def _page_from_element(elem: ET.Element) -> Page:
    title = ""
    ns = 0
    page_id = 0
    redirect = None
    text = ""
    timestamp = None
    for child in elem:
        tag = _local(child.tag)
        if tag == "title":
            title = child.text or ""
        elif tag == "ns":
            ns = _number(child.text, "<ns>", -2**31, 2**31)
        elif tag == "id":
            page_id = _number(child.text, "<id>", 0, 2**63)
        elif tag == "redirect":
            redirect = child.get("title") or ""
        elif tag == "revision":
            for part in child:
                ptag = _local(part.tag)
                if ptag == "text":
                    text = part.text or ""
                elif ptag == "timestamp":
                    timestamp = part.text
    return Page(id=page_id, ns=ns, title=title, text=text, redirect=redirect, timestamp=timestamp)


def _number(text: str | None, what: str, low: int, high: int) -> int:
    """The whole number an element holds; ValueError naming it when it holds something else."""
    value = (text or "0").strip()
    if not re.fullmatch(r"-?\d{1,20}", value) or not low <= int(value) < high:
        raise ValueError(f"{what} {value[:40]!r} is not a whole number in [{low}, {high})")
    return int(value)
