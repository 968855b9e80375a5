"""Wikimedia's Enterprise HTML dumps (``{lang}wiki-NS0-YYYYMMDD-ENTERPRISE-HTML.json.tar.gz``): a tar of
newline-delimited JSON files, one object per article (``name``, ``identifier``, ``url``, ``date_modified``,
``version``, ``in_language``, ``is_part_of``, ``main_entity`` {``identifier``}, ``redirects`` [{``name``,
``url``}], ``article_body`` {``html``, ``wikitext``}), or one such ``.ndjson`` file.

The tar is streamed (``tarfile`` mode ``r|gz``), never extracted. Records stay raw JSON lines until the work
on their batch parses them, as XML pages do in leia.wiki.dumps.xmldump; the extraction converts ``article_body.html``
with leia.wiki.html.parsoid. A line that is not JSON stops the run with an error naming the file and line; a
record without ``article_body.html`` is a counted skip (``skipped_no_body``); a truncated or corrupt tar
stops the run naming the dump.
"""

from __future__ import annotations

import os
import tarfile
import zlib
from dataclasses import dataclass
from typing import IO, Iterator, NamedTuple

from leia.errors import InputError, json_object_line
from leia.wiki.dumps.xmldump import Page
from leia.wiki.siteinfo import SiteInfo

__all__ = ["HtmlDumpReader", "HtmlRecord", "ItemPage", "is_html_dump", "record_pages", "CONVERTER_VERSION"]

CONVERTER_VERSION = "parsoid-1"
_TAR_SUFFIXES = (".json.tar.gz", ".tar.gz", ".tgz")
_NDJSON_SUFFIXES = (".ndjson",)


def is_html_dump(path: str | os.PathLike) -> bool:
    """Whether ``path`` names an HTML dump: a ``.json.tar.gz``/``.tar.gz`` or an ``.ndjson`` file."""
    name = os.path.basename(os.fspath(path)).lower()
    return name.endswith(_TAR_SUFFIXES + _NDJSON_SUFFIXES)


class HtmlRecord(NamedTuple):
    """One line of a dump as its bytes, with where it comes from (``member``: the ndjson file, ``line``: from
    1). Every record of an NS0 dump is an article."""

    member: str
    line: int
    raw: bytes

    ns = 0
    redirect = False
    is_article = True

    def parse(self, dump: str = "dump") -> dict:
        """The record's JSON object; InputError naming the dump, file and line when it is not one."""
        return json_object_line(self.raw, f"{dump}: {self.member}:{self.line}", "one article per line")


class HtmlDumpReader:
    """Reads an HTML dump as a stream of :class:`HtmlRecord`; the interface of leia.wiki.dumps.xmldump.DumpReader that
    extraction uses (``name``, ``path``, ``size``, ``bytes_read``, ``read_siteinfo``, ``raw_pages``)."""

    converter_version = CONVERTER_VERSION

    def __init__(self, path: str | os.PathLike):
        from leia.errors import require

        require("selectolax.lexbor", "html")
        self.path = os.fspath(path)
        self.name = os.path.basename(self.path)
        self.size = os.path.getsize(self.path) if os.path.exists(self.path) else 0
        self._raw: IO[bytes] | None = None
        self._done = 0

    @property
    def bytes_read(self) -> int:
        if self._raw is None or self._raw.closed:
            return self._done
        return self._raw.tell()

    @property
    def is_tar(self) -> bool:
        return self.name.lower().endswith(_TAR_SUFFIXES)

    def raw_pages(self) -> Iterator[HtmlRecord]:
        try:
            raw = open(self.path, "rb")
        except OSError as e:
            raise InputError(f"{self.path}: cannot be read ({e.strerror})") from None
        self._raw = raw
        try:
            if self.is_tar:
                yield from self._tar(raw)
            else:
                yield from _lines(self.name, raw)
            self._done = raw.tell()
        finally:
            raw.close()

    def _tar(self, raw: IO[bytes]) -> Iterator[HtmlRecord]:
        try:
            with tarfile.open(fileobj=raw, mode="r|gz") as tar:
                for member in tar:
                    if not member.isfile():
                        continue
                    stream = tar.extractfile(member)
                    if stream is not None:
                        yield from _lines(member.name, stream)
        except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
            raise InputError(f"{self.path}: truncated or corrupt tar.gz ({e or type(e).__name__})") from None

    def __iter__(self) -> Iterator[ItemPage]:
        return iter_item_pages(self)

    def read_siteinfo(self) -> SiteInfo:
        """The wiki of the dump, from its first record's ``is_part_of`` (``jawiki``) and ``in_language``
        (``ja``); InputError for a dump with no record."""
        for record in self.raw_pages():
            data = record.parse(self.path)
            lang = _identifier(data.get("in_language"))
            dbname = _identifier(data.get("is_part_of"))
            if not lang and dbname and dbname.endswith("wiki"):
                lang = dbname[:-4].replace("_", "-")
            if not lang:
                raise InputError(f"{self.path}: {record.member}:{record.line}: no in_language nor is_part_of; "
                                 "cannot tell the wiki")
            site = SiteInfo.for_language(lang)
            if dbname:
                site = SiteInfo(dbname=dbname, lang=site.lang, namespaces=site.namespaces,
                                generator="Wikimedia Enterprise HTML dump")
            return site
        raise InputError(f"{self.path}: no articles in this HTML dump")


@dataclass(frozen=True)
class ItemPage(Page):
    """A page of an HTML dump for the entity table: an article with its Wikidata item (``main_entity``) and
    its HTML (for the {{仮リンク}} harvest when the record carries no wikitext), or one of its redirects
    (no id: the dump does not give redirects' page ids)."""

    item: str | None = None
    html: str = ""


def iter_item_pages(reader: "HtmlDumpReader") -> Iterator[ItemPage]:
    """Each article of the dump, then its redirects (``redirects[].name`` -> the article's title)."""
    for record in reader.raw_pages():
        yield from record_pages(record.parse(reader.path), f"{reader.path}: {record.member}:{record.line}")


def record_pages(data: dict, where: str) -> list[ItemPage]:
    """The article of one record (its JSON object) and its redirects; InputError naming ``where`` (the dump
    and line) for a record without a name."""
    title = data.get("name")
    if not isinstance(title, str) or not title:
        raise InputError(f"{where}: a record without a name")
    page_id = data.get("identifier")
    page_id = page_id if isinstance(page_id, int) and not isinstance(page_id, bool) else None
    body = data.get("article_body") if isinstance(data.get("article_body"), dict) else {}
    wikitext = body.get("wikitext") if isinstance(body.get("wikitext"), str) else ""
    html = body.get("html") if isinstance(body.get("html"), str) else ""
    pages = [ItemPage(page_id, 0, title, wikitext, None, data.get("date_modified"),
                      _identifier(data.get("main_entity")), html)]
    for redirect in data.get("redirects") or ():
        name = redirect.get("name") if isinstance(redirect, dict) else None
        if isinstance(name, str) and name:
            pages.append(ItemPage(None, 0, name, "", title))
    return pages


def _identifier(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("identifier")
    return value if isinstance(value, str) and value else None


def _lines(member: str, stream: IO[bytes]) -> Iterator[HtmlRecord]:
    for number, line in enumerate(stream, 1):
        if line.strip():
            yield HtmlRecord(member, number, line)
