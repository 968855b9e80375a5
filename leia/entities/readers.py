"""Reading each input of the entity table into its DuckDB tables: the dump's pages, redirects, Wikidata items
and harvested {{仮リンク}} names, the langlinks SQL dump, Wikidata sitelinks, and the target wiki's HTML dump."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow as pa
from tqdm.auto import tqdm

from leia.io.duckdb import Appender, insert_arrow

__all__ = ["SCHEMA_SQL", "MAPPINGS", "read_dump", "read_page_table", "read_target_dump", "read_langlinks", "read_wikidata"]

SCHEMA_SQL = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE pages (id BIGINT, ns INTEGER, title VARCHAR, redirect VARCHAR);
CREATE TABLE mappings (title VARCHAR, english VARCHAR, source VARCHAR, origin VARCHAR);
CREATE TABLE redirects (title VARCHAR, target VARCHAR);
CREATE TABLE items (title VARCHAR, item VARCHAR);
"""

_PAGES = pa.schema([("id", pa.int64()), ("ns", pa.int32()), ("title", pa.string()), ("redirect", pa.string())])
_ITEMS = pa.schema([("title", pa.string()), ("item", pa.string())])
MAPPINGS = pa.schema([("title", pa.string()), ("english", pa.string()), ("source", pa.string()),
                      ("origin", pa.string())])


def read_dump(con, reader, site, mappings: Appender, counters: Counter, harvest: bool, progress: bool) -> None:
    """Every page's id, namespace, title and redirect target, each article's Wikidata item (HTML dumps), and
    with ``harvest`` the English names the pages give inline."""
    from leia.wiki.pagetable import harvest as harvest_names, redirect_target

    pages = Appender(con, "pages", _PAGES)
    items = Appender(con, "items", _ITEMS)
    bar = tqdm(total=reader.size, unit="B", unit_scale=True, desc=f"entities: {reader.name}",
               disable=not progress, dynamic_ncols=True)
    last = 0
    try:
        for page in reader:
            counters["redirects"] += page.redirect is not None
            pages.add((page.id, page.ns, page.title, redirect_target(page.redirect, site)))
            counters["pages"] += 1
            item = getattr(page, "item", None)
            if item:
                items.add((page.title, item))
                counters["items"] += 1
            if harvest:
                for target, english in harvest_names(page, site):
                    mappings.add((target, english, "harvested", str(page.id)))
                    counters["mappings_read_harvested"] += 1
            if reader.bytes_read - last > (1 << 20):
                bar.update(reader.bytes_read - last)
                last = reader.bytes_read
    finally:
        bar.update(reader.bytes_read - last)
        bar.close()
    pages.flush()
    items.flush()


def read_page_table(con, folder: Path, counters: Counter, harvest: bool) -> None:
    """The same tables as :func:`read_dump`, from the page table extraction wrote in its pass over the dump
    (leia.wiki.pagetable) instead of from the dump itself, a shard at a time through Arrow."""
    from itertools import groupby

    from leia.io.manifest import read_manifest
    from leia.io.shards import iter_shard_batches

    for _, batches in groupby(iter_shard_batches(folder, read_manifest(folder, "pages")), key=lambda b: b[0]):
        _insert_pages(con, pa.Table.from_batches([rb for _, rb in batches]), counters, harvest)


def _insert_pages(con, table: pa.Table, counters: Counter, harvest: bool) -> None:
    """One shard of a page table into ``pages``, ``items`` and (harvested names) ``mappings``."""
    import pyarrow.compute as pc

    insert_arrow(con, "pages", table.select(["id", "ns", "title", "redirect"]))
    counters["pages"] += table.num_rows
    counters["redirects"] += table.num_rows - table.column("redirect").null_count
    if "item" in table.column_names:  # (page tables of older versions have none)
        items = table.filter(pc.and_(pc.is_valid(table["item"]), pc.not_equal(table["item"], "")))
        if items.num_rows:
            insert_arrow(con, "items", items.select(["title", "item"]))
            counters["items"] += items.num_rows
    if not harvest:
        return
    harvested = table.column("harvested").combine_chunks()
    found = pc.list_flatten(harvested)
    counters["mappings_read_harvested"] += len(found)
    if len(found):
        owners = pc.take(table.column("id").combine_chunks(), pc.list_parent_indices(harvested)).cast(pa.string())
        insert_arrow(con, "mappings", pa.table([found.field("target"), found.field("english"),
                                                pa.repeat(pa.scalar("harvested"), len(found)), owners],
                                               schema=MAPPINGS))


def read_target_dump(con, path, counters: Counter) -> None:
    """Names through Wikidata items: the title of each item's page in the target wiki's HTML dump."""
    from leia.wiki.html.htmldump import HtmlDumpReader

    reader = HtmlDumpReader(path)  # of the target wiki (checked with the other inputs: leia.io.provenance)
    rows = Appender(con, "target_items", _ITEMS)
    con.execute("CREATE TEMP TABLE target_items (title VARCHAR, item VARCHAR)")
    for page in reader:
        if page.redirect is None and page.item:
            rows.add((page.title, page.item))
    rows.flush()
    found = con.execute("""
        INSERT INTO mappings SELECT i.title, t.title, 'wikidata', i.item
        FROM items i JOIN target_items t ON t.item = i.item""").fetchone()[0]
    con.execute("DROP TABLE target_items")
    counters["mappings_read_target_dump"] += found


def read_langlinks(con, path, lang: str, counters: Counter, progress: bool) -> None:
    """Load the langlinks rows to ``lang`` in Arrow batches and join them to the dump's pages in DuckDB, so
    the langlinks rows never pass through Python objects."""
    from leia.io.duckdb import insert_arrow
    from leia.wiki.dumps.sqldump import iter_langlink_batches

    con.execute("CREATE TEMP TABLE langlinks (ll_from BIGINT, ll_title VARCHAR)")
    sql_counters: dict = {}
    bar = tqdm(unit=" rows", desc=f"entities: {Path(path).name}", disable=not progress, dynamic_ncols=True)
    try:
        for batch in iter_langlink_batches(path, lang=lang, counters=sql_counters):
            insert_arrow(con, "langlinks", batch)
            bar.update(batch.num_rows)
    finally:
        bar.close()
    unknown, not_article, kept = con.execute("""
        SELECT count(*) FILTER (WHERE p.id IS NULL), count(*) FILTER (WHERE p.ns <> 0),
               count(*) FILTER (WHERE p.ns = 0)
        FROM langlinks l LEFT JOIN pages p ON p.id = l.ll_from""").fetchone()
    con.execute("""
        INSERT INTO mappings
        SELECT p.title, l.ll_title, 'langlinks', CAST(l.ll_from AS VARCHAR)
        FROM langlinks l JOIN pages p ON p.id = l.ll_from WHERE p.ns = 0""")
    con.execute("DROP TABLE langlinks")
    counters["dropped_langlinks_unknown_page"] += unknown
    counters["dropped_langlinks_not_article"] += not_article
    counters["mappings_read_langlinks"] += kept
    for key, value in sql_counters.items():
        counters[f"langlinks_{key}"] += value


def read_wikidata(path, wiki: str, target_wiki: str, mappings: Appender, counters: Counter, progress: bool) -> None:
    """The English names of Wikidata's sitelinks between ``wiki`` and ``target_wiki``."""
    from leia.wiki.dumps.wikidata import iter_sitelinks

    read: dict = {}
    for qid, title, english in tqdm(iter_sitelinks(path, source_wiki=wiki, target_wiki=target_wiki, counters=read),
                                    unit=" items", desc=f"entities: {Path(path).name}", disable=not progress,
                                    dynamic_ncols=True):
        mappings.add((title, english, "wikidata", qid))
        counters["mappings_read_wikidata"] += 1
    if read.get("skipped_bad_line"):
        counters["wikidata_skipped_bad_line"] += read["skipped_bad_line"]
