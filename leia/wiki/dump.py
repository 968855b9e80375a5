"""Streaming MediaWiki XML dumps (``.xml``, ``.xml.bz2`` including multistream, ``.xml.gz``) into pages.

Memory stays bounded whatever the dump's size: elements are cleared as soon as a page is yielded. Faults in
the file itself (missing, not a dump, truncated compression, malformed XML) raise ``InputError`` naming the
file and how far reading got.
"""

from __future__ import annotations

import bz2
import gzip
import io
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import BinaryIO, Iterator, NamedTuple

from leia.errors import InputError
from leia.wiki.siteinfo import SiteInfo

__all__ = ["Page", "RawPage", "DumpReader", "open_binary", "FastBz2", "NS_RE"]


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


class _CountingReader(io.RawIOBase):
    """Wraps a raw file and counts the (compressed) bytes consumed, for progress bars."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        n = self.raw.readinto(buffer)
        self.consumed += n or 0
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


class FastBz2(io.RawIOBase):
    """bz2 through indexed_bzip2, which decodes blocks in C++ (about 1.6x Python's bz2 on one thread, and
    on several threads when asked). It reads ahead and fails on the first damaged block it meets, so on a
    fault the rest is read again with Python's bz2, which yields every intact byte before the damage and
    then raises EOFError."""

    def __init__(self, path: str, threads: int):
        import indexed_bzip2

        self.path = path
        self.file = indexed_bzip2.open(path, parallelization=threads)
        self.fallback: BinaryIO | None = None
        self.position = 0
        self._consumed = 0

    @property
    def consumed(self) -> int:
        if self.fallback is None and not self.file.closed:
            self._consumed = self.file.tell_compressed() // 8
        return self._consumed

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self.fallback is None:
            try:
                n = self.file.readinto(buffer)
                self.position += n
                return n
            except (RuntimeError, ValueError):  # indexed_bzip2 raises either on a damaged block
                self._consumed = os.path.getsize(self.path)
                self.file.close()
                self.fallback = bz2.open(self.path, "rb")
                self.fallback.seek(self.position)
        data = self.fallback.read1(min(len(buffer), 1 << 16))  # small reads: each intact piece before the damage
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if self.fallback is not None:
            self.fallback.close()
        elif not self.file.closed:
            self._consumed = self.consumed
            self.file.close()
        super().close()


def open_binary(path: str | os.PathLike, threads: int = 1) -> tuple[BinaryIO, "_CountingReader | FastBz2"]:
    """Open a possibly compressed file by its magic bytes; returns (decompressed stream, an object whose
    ``consumed`` is the compressed bytes read so far). bz2 (multistream too) is decoded with
    ``threads`` threads when indexed_bzip2 is installed."""
    from leia.io.integrity import regular_file

    path = os.fspath(path)
    regular_file(path)
    with open(path, "rb") as f:
        magic = f.read(3)
    if magic == b"BZh":
        try:
            fast = FastBz2(path, threads)
        except ImportError:
            pass
        else:
            return io.BufferedReader(fast, buffer_size=1 << 20), fast  # type: ignore[return-value]
    raw = open(path, "rb")
    counter = _CountingReader(raw)
    buffered = io.BufferedReader(counter, buffer_size=1 << 20)
    if magic == b"BZh":
        return bz2.BZ2File(buffered), counter  # reads concatenated (multistream) bz2 streams
    if magic[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=buffered), counter
    return buffered, counter


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
        self._counter: _CountingReader | FastBz2 | None = None

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
        buffer = b""
        try:
            first = True
            while chunk := stream.read1(1 << 22):
                buffer += chunk
                start = 0
                while (begin := buffer.find(b"<page>", start)) >= 0:
                    end = buffer.find(b"</page>", begin)
                    if end < 0:
                        break
                    if not first and buffer[start:begin].strip():
                        raise self._fail(f"malformed XML: unexpected {buffer[start:begin].strip()[:40]!r} between pages")
                    first = False
                    end += len(b"</page>")
                    xml = buffer[begin:end]
                    head = xml[: xml.find(b"<revision")]
                    ns = NS_RE.search(head)
                    self.pages_read += 1
                    yield RawPage(self.pages_read, int(ns.group(1)) if ns else 0, b"<redirect" in head, xml)
                    start = end
                buffer = buffer[start:]
        except (EOFError, OSError, gzip.BadGzipFile) as e:
            raise self._fail(f"compressed stream is truncated or corrupt ({e})") from None
        finally:
            stream.close()
            self._counter.close()
        if first and b"</siteinfo>" in buffer:
            buffer = buffer[buffer.index(b"</siteinfo>") + len(b"</siteinfo>"):]
        if buffer.strip() != b"</mediawiki>":
            what = "ends inside a page" if b"<page>" in buffer else "does not end with </mediawiki>"
            raise self._fail(f"malformed XML: the dump {what}; the file looks truncated")


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
