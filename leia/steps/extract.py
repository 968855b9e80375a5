"""The extraction step: a MediaWiki XML dump (or an HTML dump) -> document shards (id, title, plain text,
anchors), and in the same pass, when asked, the page table the entity table is built from."""

from __future__ import annotations

import copy
import datetime
import logging
import os
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Container, Iterator

import pyarrow as pa

from leia.commands import PageFilters
from leia.errors import LeiaError, check_counts
from leia.io.manifest import Manifest
from leia.schemas import DOCUMENTS
from leia.steps.protocol import Batch, Bar, Piece, Sink, Step, WorkResult
from leia.wiki.dumps.xmldump import DumpReader, RawPage, shard_of
from leia.wiki.siteinfo import SiteInfo

if TYPE_CHECKING:
    from leia.wiki.html.htmldump import HtmlRecord

__all__ = ["convert_pages", "iter_page_batches", "dump_input", "open_dump", "ExtractOptions", "convert_records",
           "ConvertPages", "ConvertRecords", "page_converter", "ExtractStep", "BlockUnit", "CONVERTER_VERSION"]

log = logging.getLogger(__name__)

CONVERTER_VERSION = "2"


@dataclass(frozen=True, kw_only=True)
class ExtractOptions(PageFilters):
    """What extraction leaves out and how it shows language variants (see leia.wiki.filters and
    leia.wiki.wikitext.langconv): the page filters of ``leia extract`` (:class:`leia.commands.PageFilters`),
    disambiguation pages skipped (counted as ``skipped_disambiguation``), navigation sections cut
    (``sections_dropped``), and the variant ``-{...}-`` shows on zh wikis (None: the default)."""

    def __post_init__(self) -> None:
        from leia.wiki.wikitext.langconv import check_variant

        check_variant(self.variant)

    def parameters(self, site: SiteInfo) -> dict:
        """The manifest's record of these options for the wiki ``site`` (the variant where it applies)."""
        from leia.wiki.wikitext.langconv import check_variant, has_converter

        found: dict = {"skip_disambiguation": self.skip_disambiguation,
                       "drop_navigation_sections": self.drop_navigation_sections}
        if has_converter(site.lang):
            found["variant"] = check_variant(self.variant)
        return found


def open_dump(path: str | os.PathLike):
    """The reader of the dump at ``path``: a MediaWiki XML dump, or an HTML dump (``.json.tar.gz``,
    ``.ndjson``: leia.wiki.html.htmldump)."""
    from leia.wiki.html.htmldump import HtmlDumpReader, is_html_dump

    return HtmlDumpReader(path) if is_html_dump(path) else DumpReader(path)


def dump_input(reader: DumpReader) -> dict:
    """How a manifest names a dump: enough to tell two dumps apart and to refuse a mismatched partner."""
    from leia.io.integrity import file_identity

    return {"path": reader.name, **file_identity(reader.path)}


def revision_date(timestamp: str | None) -> datetime.date | None:
    """The date of a revision's ISO 8601 timestamp (``2015-06-01T12:00:00Z``); None when absent or unreadable."""
    if not timestamp:
        return None
    try:
        return datetime.date.fromisoformat(timestamp[:10])
    except ValueError:
        return None


def convert_pages(site: SiteInfo, pages: list[RawPage], dump: str = "dump",
                  options: ExtractOptions = ExtractOptions(), read: list | None = None
                  ) -> tuple[list[dict], dict]:
    """Parse and convert a batch of articles of an XML dump to document rows (the records of an HTML dump:
    :func:`convert_records`); a page the converter cannot handle is counted
    and skipped with a warning, a page whose XML is broken stops the run (InputError naming ``dump``).
    ``options`` say which pages and sections are left out (each counted) and the language variant;
    ``read`` holds the pages already parsed, when the caller parsed them."""
    from leia.wiki.filters import drop_navigation_sections, is_disambiguation
    from leia.wiki.lines import UnparsablePage
    from leia.wiki.wikitext.convert import to_text

    rows: list[dict] = []
    counters = new_counters(options)
    for k, raw in enumerate(pages):
        page = read[k] if read is not None else raw.parse(dump)
        page_id, title, wikitext = page.id, page.title, page.text
        counters["wikitext_bytes"] += len(wikitext.encode("utf-8"))
        if options.skip_disambiguation and is_disambiguation(wikitext, site, title):
            counters["skipped_disambiguation"] += 1
            log.debug("page %d %r skipped: disambiguation page", page_id, title)
            continue
        if options.drop_navigation_sections:
            wikitext, dropped = drop_navigation_sections(wikitext, site)
            counters["sections_dropped"] += dropped
        try:
            parsed = to_text(wikitext, site, title=title, date=revision_date(page.timestamp),
                             variant=options.variant)
        except (UnparsablePage, RecursionError) as e:
            log.warning("page %d %r skipped: %s", page_id, title, e)
            counters["skipped_unparsable"] += 1
            continue
        add_document(rows, counters, page_id, title, parsed)
    return rows, dict(counters)


def convert_records(site: SiteInfo, records: list[HtmlRecord], dump: str = "dump",
                    options: ExtractOptions | None = None, table: list | None = None,
                    harvest: bool = True) -> tuple[list[dict], dict]:
    """Document rows of a batch of records (convert_pages for leia.wiki.html.htmldump): disambiguation pages and
    navigation sections as ``options`` say, a record without ``article_body.html`` or in another namespace
    counted and skipped. With ``table`` (a list), the page-table rows of every record are appended to it
    (leia.wiki.pagetable.record_rows, the {{仮リンク}} names harvested when ``harvest``), the HTML parsed once
    for both."""
    from leia.errors import InputError
    from leia.wiki.pagetable import record_rows
    from leia.wiki.html.parsoid import Page, convert, is_disambiguation

    options = options or ExtractOptions()
    rows: list[dict] = []
    counters = new_counters(options)
    for record in records:
        data = record.parse(dump)
        page = None
        if table is not None:
            body = data.get("article_body")
            html = body.get("html") if isinstance(body, dict) else None
            page = Page(html) if isinstance(html, str) and html else None
            table += record_rows(data, site, harvest, f"{dump}: {record.member}:{record.line}", page)
        body = data.get("article_body")
        html = body.get("html") if isinstance(body, dict) else None
        if not isinstance(html, str):
            counters["skipped_no_body"] += 1
            log.debug("%s:%d skipped: no article_body.html", record.member, record.line)
            continue
        namespace = data.get("namespace")
        if isinstance(namespace, dict) and namespace.get("identifier", 0) != 0:
            counters["skipped_other_namespace"] += 1
            log.debug("%s:%d skipped: namespace %s", record.member, record.line, namespace.get("identifier"))
            continue
        title = data.get("name") if isinstance(data.get("name"), str) else ""
        page_id = data.get("identifier")
        if not (isinstance(page_id, int) and not isinstance(page_id, bool) and 0 <= page_id < 2**63):
            raise InputError(f"{dump}: {record.member}:{record.line}: identifier {page_id!r} is not a page id")
        counters["html_bytes"] += len(html.encode("utf-8"))
        page = page or Page(html)
        if options.skip_disambiguation and is_disambiguation(page, site, title):
            counters["skipped_disambiguation"] += 1
            log.debug("page %d %r skipped: disambiguation page", page_id, title)
            continue
        parsed, dropped = convert(page, site, title=title or None,
                                  drop_navigation_sections=options.drop_navigation_sections)
        if options.drop_navigation_sections:
            counters["sections_dropped"] += dropped
        add_document(rows, counters, page_id, title, parsed)
    return rows, dict(counters)


def new_counters(options: ExtractOptions) -> Counter:
    """The counters of a batch, those of the filters ``options`` switch on present from 0."""
    counters: Counter = Counter()
    if options.skip_disambiguation:
        counters["skipped_disambiguation"] = 0
    if options.drop_navigation_sections:
        counters["sections_dropped"] = 0
    return counters


def add_document(rows: list[dict], counters: Counter, page_id: int, title: str, parsed) -> None:
    """Append a converted page to ``rows`` as a document row (an empty one is counted, not kept)."""
    if not parsed.text:
        counters["skipped_empty"] += 1
        log.debug("page %d %r skipped: empty after conversion", page_id, title)
        return
    rows.append({
        "id": page_id, "title": title, "text": parsed.text,
        "anchors": [{"start": a.start, "end": a.end, "target": a.target, "english": a.english}
                    for a in parsed.anchors],
    })
    counters["documents"] += 1
    counters["anchors"] += len(parsed.anchors)
    counters["anchors_inline_english"] += sum(a.english is not None for a in parsed.anchors)


def iter_page_batches(
    reader: DumpReader, shard_size: int, batch_size: int, skip: Container[int] = frozenset(),
    first_article: int = 0, keep_all: bool = False,
) -> Iterator[Batch]:
    """Group the dump's articles into batches of the dump's shard layout (:func:`leia.wiki.dumps.xmldump.shard_of`).
    Pages stay unparsed XML until the work on their batch parses them; pages of finished shards are read
    past, not parsed. A reader that starts inside the dump passes the
    number of articles before its first page as ``first_article``. With ``keep_all`` the pages that are not
    articles ride along in the batches (for the page table), still counted as skipped. While it reads past
    skipped shards, every ``batch_size`` articles a batch without payload carries the bytes read alone."""
    pending: list[RawPage] = []
    counters: Counter = Counter()
    shard = 0
    last = 0  # the bytes read when the last batch was made
    article = first_article

    def advance() -> int:
        nonlocal last
        read, last = reader.bytes_read - last, reader.bytes_read
        return read

    def flush() -> Batch:
        nonlocal pending, counters
        batch = Batch(shard, pending, dict(counters), advance())
        pending, counters = [], Counter()
        return batch

    def read_past() -> Batch:
        return Batch(shard, None, {}, advance())

    debug = log.isEnabledFor(logging.DEBUG)
    page: RawPage
    for page in reader.raw_pages():
        this_shard = shard_of(article, shard_size)
        if this_shard != shard:
            if (pending or counters) and shard not in skip:
                yield flush()
            pending, counters = [], Counter()
            shard = this_shard
        if shard in skip:
            if page.is_article:
                article += 1
                if (article - first_article) % batch_size == 0:
                    yield read_past()
            continue
        counters["pages_read"] += 1
        if not page.is_article:
            counters["skipped_other_namespace" if page.ns != 0 else "skipped_redirect"] += 1
            if debug:
                log.debug("%s skipped: %s", _named(page), f"namespace {page.ns}" if page.ns != 0 else "redirect")
            if keep_all:
                pending.append(page)
        else:
            pending.append(page)
            counters["articles"] += 1
            article += 1
            if counters["articles"] >= batch_size:
                yield flush()
    if (pending or counters) and shard not in skip:
        yield flush()


def _named(raw: RawPage) -> str:
    """A page read past unparsed, for a debug line: its id and title, or its place if its XML is broken."""
    try:
        page = raw.parse()
    except LeiaError:
        return f"page number {raw.number} of the dump"
    return f"page {page.id} {page.title!r}"


@dataclass(frozen=True)
class BlockUnit:
    """A run of shards of an extraction and the blocks of the dump that hold their pages."""

    blocks: Any  # leia.wiki.dumps.multistream.DumpBlocks
    shards: Any  # leia.wiki.dumps.multistream.ShardRange


class ConvertPages:
    """The work of extraction on one batch of an XML dump, picklable: the document rows of its articles
    (:func:`convert_pages`); with ``page_table``, also the page-table row of every page of the batch
    (leia.wiki.pagetable) as the side output ``pages``. Without ``count_documents`` the documents are left
    uncounted (a later stage counts them)."""

    def __init__(self, site: SiteInfo, dump: str = "dump", options: ExtractOptions = ExtractOptions(),
                 page_table: bool = False, harvest: bool = True, count_documents: bool = True):
        self.site, self.dump, self.options = site, dump, options
        self.page_table, self.harvest, self.count_documents = page_table, harvest, count_documents

    def __call__(self, pages: list[RawPage]) -> WorkResult:
        if not self.page_table:
            rows, counters = convert_pages(self.site, pages, self.dump, self.options)
            return self._result(rows, counters)
        from leia.wiki.pagetable import page_row

        parsed = [raw.parse(self.dump) for raw in pages]
        table = [page_row(p.id, p.ns, p.title, p.redirect, p.text, self.site, self.harvest) for p in parsed]
        rows, counters = convert_pages(self.site, [raw for raw in pages if raw.is_article], self.dump,
                                       self.options, read=[p for raw, p in zip(pages, parsed) if raw.is_article])
        return self._result(rows, counters, table)

    def _result(self, rows: list[dict], counters: dict, table: list[dict] | None = None) -> WorkResult:
        if not self.count_documents:
            counters.pop("documents", None)
        documents = pa.RecordBatch.from_pylist(rows, schema=DOCUMENTS)
        if table is None:
            return WorkResult(documents, counters)
        from leia.wiki.pagetable import PAGES

        return WorkResult(documents, counters, {"pages": pa.RecordBatch.from_pylist(table, schema=PAGES)})


class ConvertRecords(ConvertPages):
    """:class:`ConvertPages` for the records of an HTML dump (:func:`convert_records`), the HTML of each parsed
    once for the documents and the page table."""

    def __call__(self, records: list[HtmlRecord]) -> WorkResult:  # type: ignore[override]
        table: list | None = [] if self.page_table else None
        rows, counters = convert_records(self.site, records, self.dump, self.options, table, self.harvest)
        return self._result(rows, counters, table)


def page_converter(dump: str | os.PathLike, site: SiteInfo, options: ExtractOptions = ExtractOptions(),
                   page_table: bool = False, harvest: bool = True, count_documents: bool = True) -> ConvertPages:
    """The work of extraction for the dump at ``dump``: :class:`ConvertRecords` for an HTML dump (what
    :func:`open_dump` reads as one), :class:`ConvertPages` for an XML dump."""
    from leia.wiki.html.htmldump import is_html_dump

    convert = ConvertRecords if is_html_dump(dump) else ConvertPages
    return convert(site, os.fspath(dump), options, page_table, harvest, count_documents)


class ExtractStep(Step):
    """Extraction as a step (leia.steps.protocol): a dump -> document shards; with ``pages``, the page table
    (titles, redirects, {{仮リンク}} names: leia.wiki.pagetable) is written in the same pass to that folder,
    for the entity table. ``unit`` restricts the step to a run of shards read from the blocks that hold them
    (leia.wiki.dumps.multistream), for executors that hand pieces out."""

    schema = DOCUMENTS

    def __init__(self, dump: str | os.PathLike, *, shard_size: int = 20_000, batch_size: int = 64,
                 options: ExtractOptions = ExtractOptions(), pages: str | os.PathLike | None = None,
                 harvest: bool = True, unit: BlockUnit | None = None):
        check_counts(shard_size=shard_size, batch_size=batch_size)
        self.dump, self.shard_size, self.batch_size, self.options = dump, shard_size, batch_size, options
        self.pages, self.harvest, self.unit = pages, harvest, unit
        self.inputs = (dump,)
        self._reader = None
        self._manifest: tuple | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_reader": None}

    @property
    def reader(self):
        if self._reader is None:
            if self.unit is not None:
                from leia.wiki.dumps.multistream import RangeReader

                shards = self.unit.shards
                self._reader = RangeReader(self.unit.blocks, shards.first_block, shards.end_block, shards.first_page)
            else:
                self._reader = open_dump(self.dump)
        return self._reader

    def _planned(self) -> tuple:
        if self._manifest is None:
            reader = self.reader
            site = reader.read_siteinfo()
            manifest = Manifest(
                kind="documents", inputs=[dump_input(reader)],
                parameters={"shard_size": self.shard_size,
                            "converter": getattr(reader, "converter_version", CONVERTER_VERSION),
                            **self.options.parameters(site)},
                schema=DOCUMENTS.to_string(), extra={"wiki": site.to_dict()},
            )
            self._manifest = (manifest, site)
        return self._manifest

    @property
    def manifest(self) -> Manifest:
        return self._planned()[0]

    @property
    def site(self) -> SiteInfo:
        return self._planned()[1]

    @property
    def sinks(self) -> dict[str, Sink]:
        if self.pages is None:
            return {}
        from leia.wiki.pagetable import PAGES

        manifest = self.manifest
        pages = Manifest(kind="pages", inputs=manifest.inputs,
                         parameters={"shard_size": self.shard_size, "harvest": self.harvest},
                         schema=PAGES.to_string(), extra=dict(manifest.extra))
        return {"pages": Sink(self.pages, pages, PAGES)}

    def bar(self) -> Bar:
        return Bar(self.reader.size, "B", f"extract {self.reader.name}", (("pages", "pages_read"), ("docs", "documents")))

    def batches(self, skip: Container[int]) -> Iterator[Batch]:
        first = self.unit.shards.first_article if self.unit is not None else 0
        return iter_page_batches(self.reader, self.shard_size, self.batch_size, skip, first,
                                 keep_all=self.pages is not None)

    def work(self) -> ConvertPages:
        return page_converter(self.dump, self.site, self.options, self.pages is not None, self.harvest)

    def pieces(self, workers: int, done: Container[int],
               parallel: Callable[[Callable, list[tuple]], list]) -> list[Piece]:
        """Runs of shards with the blocks they read when the dump can be read in pieces (the blocks counted
        with ``parallel``, the executor's map); otherwise one part per worker, each reading the whole dump."""
        from leia.wiki.html.htmldump import is_html_dump
        from leia.wiki.dumps.multistream import count_pages, dump_blocks, plan_shards, split_ranges

        # A tar.gz is one gzip stream: it is read whole, by every worker, as are a .gz and a one-stream .bz2.
        blocks = None if is_html_dump(self.dump) else dump_blocks(self.dump)
        if blocks is None or len(blocks) < 2 * workers:  # too few pieces to share out: each reads the whole dump
            return super().pieces(workers, done, parallel)
        counted = parallel(count_pages, [(blocks, i, j) for i, j in split_ranges(blocks, 2 * workers)])
        counts = [c for part in counted for c in part]
        return [Piece(r.name, self.restricted(BlockUnit(blocks, r)), only=r)
                for r in plan_shards(counts, self.shard_size, done, 4 * workers)]

    def restricted(self, unit: BlockUnit) -> "ExtractStep":
        """This step (its options, its page table and all) restricted to the shards of ``unit``."""
        step = copy.copy(self)
        step.unit, step._reader = unit, None
        return step
