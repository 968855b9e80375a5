"""``leia extract``: a MediaWiki XML dump to document shards (id, title, plain text, anchors)."""

from __future__ import annotations

import datetime
import logging
import os
from collections import Counter
from dataclasses import dataclass
from typing import Container, Iterator

import pyarrow as pa
from tqdm.auto import tqdm

from leia.errors import LeiaError
from leia.runner import Batch, run_shards
from leia.schemas import DOCUMENTS
from leia.shards import Manifest, open_output
from leia.split import Part, Skip
from leia.wiki.dump import DumpReader, RawPage
from leia.wiki.siteinfo import SiteInfo

__all__ = ["extract", "convert_pages", "iter_page_batches", "dump_input", "open_dump", "ExtractOptions",
           "extract_locally", "convert_records"]

log = logging.getLogger(__name__)

CONVERTER_VERSION = "2"


@dataclass(frozen=True)
class ExtractOptions:
    """What extraction leaves out and how it shows language variants (see leia.wiki.filters and
    leia.wiki.langconv): disambiguation pages skipped (counted as ``skipped_disambiguation``), navigation
    sections cut (``sections_dropped``), and the variant ``-{...}-`` shows on zh wikis (None: the default)."""

    skip_disambiguation: bool = True
    drop_navigation_sections: bool = True
    variant: str | None = None

    def __post_init__(self) -> None:
        from leia.wiki.langconv import check_variant

        check_variant(self.variant)

    def parameters(self, site: SiteInfo) -> dict:
        """The manifest's record of these options for the wiki ``site`` (the variant where it applies)."""
        from leia.wiki.langconv import check_variant, has_converter

        found: dict = {"skip_disambiguation": self.skip_disambiguation,
                       "drop_navigation_sections": self.drop_navigation_sections}
        if has_converter(site.lang):
            found["variant"] = check_variant(self.variant)
        return found


def open_dump(path: str | os.PathLike):
    """The reader of the dump at ``path``: a MediaWiki XML dump, or an HTML dump (``.json.tar.gz``,
    ``.ndjson``: leia.wiki.htmldump)."""
    from leia.wiki.htmldump import HtmlDumpReader, is_html_dump

    return HtmlDumpReader(path) if is_html_dump(path) else DumpReader(path)


def dump_input(reader: DumpReader) -> dict:
    """How a manifest names a dump: enough to tell two dumps apart and to refuse a mismatched partner."""
    from leia.integrity import file_identity

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
                  options: ExtractOptions = ExtractOptions()) -> tuple[list[dict], dict]:
    """Parse and convert a batch of articles to document rows (records of an HTML dump: see
    convert_records); a page the converter cannot handle is counted
    and skipped with a warning, a page whose XML is broken stops the run (InputError naming ``dump``).
    ``options`` say which pages and sections are left out (each counted) and the language variant."""
    from leia.wiki.filters import drop_navigation_sections, is_disambiguation
    from leia.wiki.htmldump import HtmlRecord
    from leia.wiki.wikitext import UnparsablePage, to_text

    if pages and isinstance(pages[0], HtmlRecord):
        return convert_records(site, pages, dump, options)  # type: ignore[arg-type]
    rows: list[dict] = []
    counters = new_counters(options)
    for raw in pages:
        page = raw.parse(dump)
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
                    options: ExtractOptions | None = None) -> tuple[list[dict], dict]:
    """Document rows of a batch of records (convert_pages for leia.wiki.htmldump): disambiguation pages and
    navigation sections as ``options`` say, a record without ``article_body.html`` or in another namespace
    counted and skipped."""
    from leia.errors import InputError
    from leia.wiki.parsoid import Page, convert, is_disambiguation

    options = options or ExtractOptions()
    rows: list[dict] = []
    counters = new_counters(options)
    for record in records:
        data = record.parse(dump)
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
        page = Page(html)
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
    reader: DumpReader, shard_size: int, batch_size: int, done: set[int] = frozenset(), first_article: int = 0,
) -> Iterator[Batch]:
    """Group the dump's articles into batches; article number k belongs to shard k // shard_size, so the
    layout depends only on the dump. Pages stay unparsed XML until the work on their batch parses them;
    pages of finished shards are read past, not parsed. A reader that starts inside the dump passes the
    number of articles before its first page as ``first_article``."""
    pending: list[RawPage] = []
    counters: Counter = Counter()
    shard = 0
    last_progress = 0
    article = first_article

    def flush() -> Batch:
        nonlocal pending, counters, last_progress
        progress = reader.bytes_read - last_progress
        last_progress = reader.bytes_read
        batch = Batch(shard, (pending), dict(counters), progress)
        pending, counters = [], Counter()
        return batch

    debug = log.isEnabledFor(logging.DEBUG)
    page: RawPage
    for page in reader.raw_pages():
        this_shard = article // shard_size
        if this_shard != shard:
            if (pending or counters) and shard not in done:
                yield flush()
            pending, counters = [], Counter()
            shard = this_shard
        if shard in done:
            if page.is_article:
                article += 1
            continue
        counters["pages_read"] += 1
        if page.ns != 0:
            counters["skipped_other_namespace"] += 1
            if debug:
                log.debug("%s skipped: namespace %d", _named(page), page.ns)
        elif page.redirect:
            counters["skipped_redirect"] += 1
            if debug:
                log.debug("%s skipped: redirect", _named(page))
        else:
            pending.append(page)
            counters["articles"] += 1
            article += 1
            if len(pending) >= batch_size:
                yield flush()
    if (pending or counters) and shard not in done:
        yield flush()


def _named(raw: RawPage) -> str:
    """A page read past unparsed, for a debug line: its id and title, or its place if its XML is broken."""
    try:
        page = raw.parse()
    except LeiaError:
        return f"page number {raw.number} of the dump"
    return f"page {page.id} {page.title!r}"


def extract(
    dump: str | os.PathLike,
    output: str | os.PathLike,
    *,
    workers: int | None = 1,
    shard_size: int = 20_000,
    batch_size: int = 64,
    overwrite: bool = False,
    progress: bool = True,
    engine: str = "local",
    address: str | None = None,
    num_shards: int = 1,
    shard_index: int = 0,
    skip_disambiguation: bool = True,
    drop_navigation_sections: bool = True,
    variant: str | None = None,
) -> Manifest:
    """Convert every article of ``dump`` into document shards under ``output`` and return the manifest.

    Disambiguation pages are skipped and navigation sections (see also, references, external links ...)
    cut unless ``skip_disambiguation`` / ``drop_navigation_sections`` is False; both are counted in the
    manifest. ``variant`` is the language variant ``-{...}-`` markup shows on zh wikis (default zh-hans).

    A rerun on the same dump and parameters continues where an interrupted run stopped, without redoing
    finished shards. The engine (``"local"`` processes or ``"ray"``, on the cluster at ``address``) does not
    change a byte of the output; with ``num_shards`` > 1 only part ``shard_index`` of the shards is written
    (see :func:`leia.split.merge_manifests`).
    """
    from leia.engines import check_engine

    options = ExtractOptions(skip_disambiguation, drop_navigation_sections, variant)
    part = Part(num_shards, shard_index)
    if check_engine(engine, part) == "ray":
        from leia.engines.ray import extract_on_ray
        from leia.wiki.htmldump import is_html_dump

        if is_html_dump(dump):
            from leia.errors import ConfigError

            raise ConfigError(f"{dump}: the ray engine reads XML dumps; extract HTML dumps with --engine local")

        return extract_on_ray(dump, output, extract=extract_locally, plan=extract_manifest, workers=workers,
                              address=address, shard_size=shard_size, batch_size=batch_size, overwrite=overwrite,
                              progress=progress, options=options)
    return extract_locally(dump, output, workers=workers or 1, shard_size=shard_size, batch_size=batch_size,
                           overwrite=overwrite, progress=progress, part=part, options=options)


def extract_manifest(reader: DumpReader, shard_size: int,
                     options: ExtractOptions = ExtractOptions()) -> tuple[Manifest, SiteInfo]:
    """The manifest an extraction of the dump ``reader`` reads writes, and the dump's site information."""
    site = reader.read_siteinfo()
    manifest = Manifest(
        kind="documents", inputs=[dump_input(reader)],
        parameters={"shard_size": shard_size, "converter": getattr(reader, "converter_version", CONVERTER_VERSION),
                    **options.parameters(site)},
        schema=DOCUMENTS.to_string(), extra={"wiki": site.to_dict()},
    )
    return manifest, site


def extract_locally(
    dump: str | os.PathLike,
    output: str | os.PathLike,
    *,
    workers: int,
    shard_size: int,
    batch_size: int,
    overwrite: bool,
    progress: bool,
    part: Part = Part(),
    exclude: Container[int] = frozenset(),
    reader: DumpReader | None = None,
    first_article: int = 0,
    options: ExtractOptions = ExtractOptions(),
) -> Manifest:
    """The local engine: part ``part`` of the shards, less those in ``exclude``, with ``workers`` processes;
    ``reader`` may read only a piece of the dump, whose first page follows ``first_article`` articles."""
    reader = reader or open_dump(dump)
    manifest, site = extract_manifest(reader, shard_size, options)
    out, manifest = open_output(output, part.mark(manifest), overwrite=overwrite, inputs=(dump,))
    done = {s["index"] for s in manifest.shards}
    bar = tqdm(total=reader.size, unit="B", unit_scale=True, desc=f"extract {reader.name}",
               disable=not progress, dynamic_ncols=True)
    seen: Counter = Counter(manifest.counters)

    def on_batch(batch: Batch, result) -> None:
        seen.update(batch.counters)
        seen.update(result[1])
        bar.update(batch.progress)
        bar.set_postfix(pages=seen["pages_read"], docs=seen["documents"], refresh=False)

    try:
        run_shards(
            iter_page_batches(reader, shard_size, batch_size, Skip(part, done, exclude), first_article),
            _Converter(site, reader.path, options), out=out, manifest=manifest, schema=DOCUMENTS, workers=workers,
            on_batch=on_batch,
        )
    finally:
        bar.close()
    return manifest


class _Converter:
    """The per-batch work of extraction as a picklable callable."""

    def __init__(self, site: SiteInfo, dump: str = "dump", options: ExtractOptions = ExtractOptions()):
        self.site = site
        self.dump = dump
        self.options = options

    def __call__(self, pages: list[RawPage]) -> tuple[pa.RecordBatch, dict]:
        rows, counters = convert_pages(self.site, pages, self.dump, self.options)
        return pa.RecordBatch.from_pylist(rows, schema=DOCUMENTS), counters
