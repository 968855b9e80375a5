"""From the raw mappings to the answers: cleaning each English title, picking one name per title by source
precedence and vote, following redirects to their articles, and writing the ``entities`` and ``redirects``
tables."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa

from leia.io.duckdb import insert_arrow
from leia.entities.names import SOURCES, Cleaning, clean_english

__all__ = ["resolve_redirects", "resolve"]


def resolve_redirects(redirects: dict[str, str], articles: set[str], max_hops: int = 16
                      ) -> tuple[dict[str, str], Counter]:
    """Follow each redirect to the article it finally reaches. Cycles and redirects that end at no article
    (dangling) are dropped and counted."""
    resolved: dict[str, str] = {}
    dropped: Counter = Counter()
    for source in redirects:
        seen = {source}
        target = redirects[source]
        hops = 0
        while target in redirects and target not in articles:
            if target in seen or hops >= max_hops:
                break
            seen.add(target)
            target = redirects[target]
            hops += 1
        if target in articles:
            resolved[source] = target
        elif target in seen or target in redirects:
            dropped["redirect_cycle"] += 1
        else:
            dropped["redirect_dangling"] += 1
    return resolved, dropped


def _best_names(con, cleaning: Cleaning, counters: Counter) -> dict[str, tuple[int, int, str, str]]:
    """Title -> the sort key of its chosen name: (source precedence, -votes, name, source)."""
    best: dict[str, tuple[int, int, str, str]] = {}
    votes: Counter = Counter()
    rows = con.execute("SELECT title, english, source FROM mappings").fetchall()
    for title, english, source in rows:
        name, reason = clean_english(english, cleaning)
        if name is None:
            counters[f"dropped_{reason}"] += 1
            continue
        votes[(title, source, name)] += 1
    for (title, source, name), n in votes.items():
        key = (SOURCES.index(source), -n, name, source)
        if title not in best or key < best[title]:
            best[title] = key
    return best


def resolve(con, cleaning: Cleaning, counters: Counter) -> None:
    """Clean the names, pick one per title by precedence, resolve redirects, and write ``entities``."""
    best = _best_names(con, cleaning, counters)
    pages = con.execute("SELECT title, redirect FROM pages WHERE ns = 0").fetchall()
    articles = {t for t, r in pages if r is None}
    redirects = {t: r for t, r in pages if r is not None}
    resolved, dropped = resolve_redirects(redirects, articles)
    counters.update(dropped)
    insert_arrow(con, "redirects", pa.table({"title": list(resolved), "target": list(resolved.values())}))

    titles, names, sources, vias = [], [], [], []
    for title, key in best.items():
        if title in redirects:
            continue
        titles.append(title), names.append(key[2]), sources.append(key[3]), vias.append(None)
    for source, target in resolved.items():
        key = best.get(target) or best.get(source)
        if key is None:
            continue
        titles.append(source), names.append(key[2]), sources.append(key[3]), vias.append(target)
        counters["entities_via_redirect"] += 1
    table = pa.table({"title": titles, "english": names, "source": sources, "via": pa.array(vias, pa.string())})
    con.register("_entities", table)
    con.execute("CREATE TABLE entities AS SELECT * FROM _entities ORDER BY title")
    con.unregister("_entities")
    counters["entities"] = len(titles)
    for source in SOURCES:
        counters[f"entities_from_{source}"] = sum(1 for s in sources if s == source)
