"""From the raw mappings to the answers: cleaning each English title, picking one name per title by source
precedence and vote, following redirects to their articles, and writing the ``entities`` and ``redirects``
tables; DuckDB does the joins, the votes and the redirect hops, so that Python holds no row per title."""

from __future__ import annotations

from collections import Counter

import duckdb
import pyarrow as pa

from leia.commands import Cleaning
from leia.entities.names import SOURCES, clean_english
from leia.io.duckdb import insert_arrow

__all__ = ["resolve_redirects", "resolve", "MAX_HOPS"]

# Redirects followed past the first, at most: a longer chain is counted as a cycle.
MAX_HOPS = 16
_CLEAN_BATCH = 100_000


def resolve_redirects(redirects: dict[str, str], articles: set[str], max_hops: int = MAX_HOPS
                      ) -> tuple[dict[str, str], Counter]:
    """Follow each redirect to the article it finally reaches. Cycles and redirects that end at no article
    (dangling) are dropped and counted. (What a build does in DuckDB, for a mapping held in memory.)"""
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE pages (ns INTEGER, title VARCHAR, redirect VARCHAR)")
        insert_arrow(con, "pages", pa.table({"ns": pa.array([0] * (len(redirects) + len(articles)), pa.int32()),
                                             "title": pa.array(list(redirects) + list(articles), pa.string()),
                                             "redirect": pa.array(list(redirects.values()) + [None] * len(articles),
                                                                  pa.string())}))
        dropped = _follow_redirects(con, max_hops)
        resolved = dict(con.execute("SELECT title, target FROM _resolved ORDER BY position").fetchall())
    finally:
        con.close()
    return resolved, dropped


def _follow_redirects(con, max_hops: int) -> Counter:
    """The temporary table ``_resolved`` (title, target, position) of the redirects among the articles of the
    table ``pages`` (rows of namespace 0 with a ``redirect``; the last row of a title wins, the order is that of
    each title's first row) that reach an article, with the counts of those dropped; ``_redirect_titles`` and
    ``_article_titles`` are left for the caller."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _redirect_titles AS
        SELECT title, arg_max(redirect, rowid) AS redirect, min(rowid) AS position
        FROM pages WHERE ns = 0 AND redirect IS NOT NULL GROUP BY title""")
    con.execute("CREATE OR REPLACE TEMP TABLE _article_titles AS SELECT DISTINCT title FROM pages "
                "WHERE ns = 0 AND redirect IS NULL")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _chain AS
        SELECT r.title, r.redirect AS target, r.position,
               r.redirect IN (SELECT title FROM _redirect_titles)
               AND r.redirect NOT IN (SELECT title FROM _article_titles) AS onward
        FROM _redirect_titles r""")
    for _ in range(max_hops):
        moved = con.execute("""
            UPDATE _chain SET target = r.redirect,
                   onward = r.redirect IN (SELECT title FROM _redirect_titles)
                            AND r.redirect NOT IN (SELECT title FROM _article_titles)
            FROM _redirect_titles r WHERE _chain.onward AND r.title = _chain.target""").fetchone()[0]
        if not moved:
            break
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _resolved AS
        SELECT title, target, position FROM _chain WHERE target IN (SELECT title FROM _article_titles)""")
    cycles, dangling = con.execute("""
        SELECT count(*) FILTER (WHERE target IN (SELECT title FROM _redirect_titles)),
               count(*) FILTER (WHERE target NOT IN (SELECT title FROM _redirect_titles))
        FROM _chain WHERE target NOT IN (SELECT title FROM _article_titles)""").fetchone()
    con.execute("DROP TABLE _chain")
    dropped: Counter = Counter()
    if cycles:
        dropped["redirect_cycle"] = cycles
    if dangling:
        dropped["redirect_dangling"] = dangling
    return dropped


def _clean_names(con, cleaning: Cleaning, counters: Counter) -> None:
    """The temporary table ``_named`` (title, name, source, votes): each mapping's English title cleaned
    (each distinct title once, a batch at a time), the dropped ones counted by reason."""
    con.execute("CREATE OR REPLACE TEMP TABLE _cleaned (english VARCHAR, name VARCHAR, reason VARCHAR)")
    distinct = con.sql("SELECT DISTINCT english FROM mappings WHERE english IS NOT NULL").to_arrow_table()
    column = distinct.column("english")
    for offset in range(0, len(column), _CLEAN_BATCH):
        titles = column.slice(offset, _CLEAN_BATCH).to_pylist()
        cleaned = [clean_english(t, cleaning) for t in titles]
        insert_arrow(con, "_cleaned", pa.table({
            "english": pa.array(titles, pa.string()), "name": pa.array([c[0] for c in cleaned], pa.string()),
            "reason": pa.array([c[1] for c in cleaned], pa.string())}))
    del distinct, column
    for reason, n in con.execute("""
            SELECT c.reason, count(*) FROM mappings m JOIN _cleaned c ON c.english = m.english
            WHERE c.name IS NULL GROUP BY c.reason ORDER BY c.reason""").fetchall():
        counters[f"dropped_{reason}"] += n
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _named AS
        SELECT m.title, c.name, m.source, count(*) AS votes
        FROM mappings m JOIN _cleaned c ON c.english = m.english WHERE c.name IS NOT NULL
        GROUP BY m.title, c.name, m.source""")
    con.execute("DROP TABLE _cleaned")


def resolve(con, cleaning: Cleaning, counters: Counter) -> None:
    """Clean the names, pick one per title by precedence, resolve redirects, and write ``entities``."""
    _clean_names(con, cleaning, counters)
    precedence = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(SOURCES))
    # A title's name: the source of highest precedence, then the most votes, then the smallest name.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _best AS
        SELECT title, name, source FROM _named
        QUALIFY row_number() OVER (PARTITION BY title
                                   ORDER BY CASE source {precedence} END, votes DESC, name, source) = 1""")
    con.execute("DROP TABLE _named")
    counters.update(_follow_redirects(con, MAX_HOPS))
    con.execute("INSERT INTO redirects SELECT title, target FROM _resolved ORDER BY position")
    # A redirect takes its article's name, else a name of its own.
    con.execute("""
        CREATE TABLE entities AS
        SELECT * FROM (
            SELECT b.title, b.name AS english, b.source, NULL::VARCHAR AS via FROM _best b
            WHERE b.title NOT IN (SELECT title FROM _redirect_titles)
            UNION ALL
            SELECT r.title, coalesce(t.name, s.name), CASE WHEN t.title IS NULL THEN s.source ELSE t.source END,
                   r.target
            FROM _resolved r LEFT JOIN _best t ON t.title = r.target LEFT JOIN _best s ON s.title = r.title
            WHERE t.title IS NOT NULL OR s.title IS NOT NULL)
        ORDER BY title""")
    for table in ("_best", "_resolved", "_redirect_titles", "_article_titles"):
        con.execute(f"DROP TABLE {table}")
    total, via = con.execute("SELECT count(*), count(via) FROM entities").fetchone()
    if via:
        counters["entities_via_redirect"] += via
    counters["entities"] = total
    by_source = dict(con.execute("SELECT source, count(*) FROM entities GROUP BY source").fetchall())
    for source in SOURCES:
        counters[f"entities_from_{source}"] = by_source.get(source, 0)
