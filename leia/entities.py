"""The entity table: one DuckDB file answering "what is this title called in English?", built from the
dump (titles, redirects, inline {{仮リンク}} names), the langlinks SQL dump and/or Wikidata sitelinks.

Tables: ``meta`` (what it was built from), ``pages`` (id, ns, title, redirect), ``mappings`` (every raw
title -> English row with its source and origin), ``redirects`` (each redirect resolved to its final
article), ``items`` (each article's Wikidata item, when the dump is an HTML dump, whose records name it) and
``entities`` (the answer for every title, redirects included: cleaned English name, source).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Sequence

import duckdb
import pyarrow as pa
from tqdm.auto import tqdm

from leia import __version__
from leia.errors import ConfigError, InputError, OutputError
from leia.io.files import atomic_duckdb

__all__ = [
    "Cleaning", "clean_english", "build_entities", "EntityTable", "SOURCES", "resolve_redirects", "file_input",
]

# Where a name comes from, in order of precedence: a page's own langlink wins over Wikidata, and both over
# names harvested from {{仮リンク}} on other pages.
SOURCES = ("langlinks", "wikidata", "harvested")

_ENGLISH_NAMESPACES = (
    "Category", "File", "Image", "Template", "Wikipedia", "Portal", "Help", "Draft", "User", "Talk", "Module",
    "MediaWiki", "Special", "Media", "Book", "TimedText", "Project", "WP", "WT", "CAT", "Gadget",
    "Education Program", "Topic",
)
_NS_RE = re.compile(r"^(?:%s)(?: talk)?\s*:" % "|".join(re.escape(n) for n in _ENGLISH_NAMESPACES), re.IGNORECASE)
_DISAMBIGUATOR_RE = re.compile(r"\s+\([^()]*\)$")


@dataclass(frozen=True)
class Cleaning:
    """How English titles are cleaned into the names inserted in text (the paper's rules by default)."""

    drop_disambiguator: bool = True
    drop_fragment: bool = True
    skip_namespaces: bool = True
    skip_lists: bool = True


def clean_english(title: str, cleaning: Cleaning = Cleaning()) -> tuple[str | None, str | None]:
    """``(name, None)`` for a usable English title, ``(None, reason)`` for one that is dropped.

    >>> clean_english("Mercury (planet)")
    ('Mercury', None)
    >>> clean_english("List of rivers of Egypt")
    (None, 'list')
    """
    name = " ".join(title.replace("_", " ").split())
    if cleaning.drop_fragment and "#" in name:
        name = name.split("#", 1)[0].strip()
    if not name:
        return None, "empty"
    if cleaning.skip_namespaces and _NS_RE.match(name):
        return None, "namespace"
    if cleaning.skip_lists and name.startswith(("List of ", "Lists of ")):
        return None, "list"
    if cleaning.drop_disambiguator:
        stripped = _DISAMBIGUATOR_RE.sub("", name)
        if stripped:
            name = stripped
    return name, None


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


_SCHEMA_SQL = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE pages (id BIGINT, ns INTEGER, title VARCHAR, redirect VARCHAR);
CREATE TABLE mappings (title VARCHAR, english VARCHAR, source VARCHAR, origin VARCHAR);
CREATE TABLE redirects (title VARCHAR, target VARCHAR);
CREATE TABLE items (title VARCHAR, item VARCHAR);
"""

_PAGES = pa.schema([("id", pa.int64()), ("ns", pa.int32()), ("title", pa.string()), ("redirect", pa.string())])
_ITEMS = pa.schema([("title", pa.string()), ("item", pa.string())])
_MAPPINGS = pa.schema([("title", pa.string()), ("english", pa.string()), ("source", pa.string()),
                       ("origin", pa.string())])


class _Appender:
    """Buffers rows and appends them to a DuckDB table through Arrow, a large batch at a time."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table: str, schema: pa.Schema, size: int = 200_000):
        self.con, self.table, self.schema, self.size = con, table, schema, size
        self.rows: list[tuple] = []

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.size:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        columns = list(zip(*self.rows))
        batch = pa.table([pa.array(c, type=f.type) for c, f in zip(columns, self.schema)], schema=self.schema)
        self.con.register("_batch", batch)
        self.con.execute(f"INSERT INTO {self.table} SELECT * FROM _batch")
        self.con.unregister("_batch")
        self.rows = []


def file_input(path: str | os.PathLike, kind: str) -> dict:
    """The manifest record of an input file of kind ``kind``: its name and identity."""
    from leia.io.integrity import file_identity, regular_file

    p = Path(path)
    regular_file(p, kind)
    return {"kind": kind, "path": p.name, **file_identity(p)}


def build_entities(
    output: str | os.PathLike,
    *,
    dump: str | os.PathLike | None = None,
    langlinks: str | os.PathLike | None = None,
    wikidata: str | os.PathLike | None = None,
    target_dump: str | os.PathLike | None = None,
    lang: str = "en",
    wiki: str | None = None,
    cleaning: Cleaning = Cleaning(),
    harvest: bool = True,
    overwrite: bool = False,
    progress: bool = True,
) -> dict:
    """Build the entity table at ``output`` and return its summary (counters by kind).

    ``dump`` gives titles, redirects and {{仮リンク}} names (English ones: harvested only when ``lang`` is
    "en"); ``langlinks`` needs ``dump`` to turn page ids
    into titles; ``wikidata`` needs the source wiki's name (``wiki``, e.g. "jawiki"; taken from the dump when
    given). ``target_dump`` is an HTML dump of the ``lang`` wiki: with an HTML ``dump`` (whose records name
    each page's Wikidata item), a page's English name is the title of the page of the same item there, a
    name of Wikidata's rank (source ``wikidata``). The file appears only when complete.
    """
    from leia.wiki.dump import DumpReader
    from leia.wiki.htmldump import HtmlDumpReader, is_html_dump

    if target_dump and not (dump and is_html_dump(dump) and is_html_dump(target_dump)):
        raise ConfigError("--target-dump (an HTML dump of the target wiki) needs --dump, an HTML dump of the "
                          "source wiki: pages are matched by their Wikidata items")
    if not (dump or langlinks or wikidata):
        raise ConfigError("nothing to build from: give --dump, --langlinks and/or --wikidata")
    if langlinks and not dump:
        raise ConfigError("--langlinks needs --dump: the langlinks rows name pages by id, the dump maps ids to titles")
    out = Path(output)
    for given in (dump, langlinks, wikidata, target_dump):
        if given is not None and out.resolve() == Path(given).resolve():
            raise OutputError(f"{out}: is an input; write the entity table to another file")
    if out.is_dir():
        raise OutputError(f"{out}: is a folder; give the path of the DuckDB file to write")
    if out.exists() and not overwrite:
        raise OutputError(f"{out}: exists; choose another file or pass --overwrite")
    inputs = []
    reader = None
    site = None
    if dump:
        # The only process reading this dump: let the bz2 decoder use the other cores.
        reader = HtmlDumpReader(dump) if is_html_dump(dump) else DumpReader(dump, threads=min(4, os.cpu_count() or 1))
        site = reader.read_siteinfo()
        inputs.append({**file_input(dump, "dump"), "dbname": site.dbname})
        if wiki and wiki != site.dbname:
            raise ConfigError(f"--wiki {wiki} does not match the dump's wiki {site.dbname}")
        wiki = site.dbname
    if langlinks:
        inputs.append(file_input(langlinks, "langlinks"))
    if target_dump:
        inputs.append(file_input(target_dump, "target_dump"))
    if wikidata:
        inputs.append(file_input(wikidata, "wikidata"))
        if not wiki:
            raise ConfigError("--wikidata without --dump needs --wiki (the source wiki's database name, e.g. jawiki)")
    target_wiki = f"{lang}wiki"
    harvest = harvest and lang == "en"
    if wiki == target_wiki:
        raise ConfigError(f"the source wiki and the target language are the same ({wiki})")

    counters: Counter = Counter()
    with atomic_duckdb(out, overwrite=overwrite) as con:
        con.execute(_SCHEMA_SQL)
        mappings = _Appender(con, "mappings", _MAPPINGS)
        if reader is not None:
            _read_dump(con, reader, site, mappings, counters, harvest, progress)
        if langlinks:
            _read_langlinks(con, langlinks, lang, mappings, counters, progress)
        if wikidata:
            _read_wikidata(wikidata, wiki, target_wiki, mappings, counters, progress)
        if target_dump:
            mappings.flush()
            _read_target_dump(con, target_dump, target_wiki, counters)
        mappings.flush()
        _resolve(con, cleaning, counters)
        if counters["entities"] == 0:
            raise InputError(
                "no English names found in the inputs: "
                + ", ".join(f"{i['kind']} {i['path']}" for i in inputs)
                + f" (target language {lang!r}); check the files and --lang")
        meta = {
            "wiki": json.dumps(site.to_dict() if site else {"dbname": wiki}, ensure_ascii=False),
            "lang": lang, "inputs": json.dumps(inputs, ensure_ascii=False),
            "parameters": json.dumps({"lang": lang, "cleaning": asdict(cleaning), "harvest": harvest}),
            "counters": json.dumps(dict(sorted(counters.items()))), "leia_version": __version__,
        }
        con.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
    return dict(sorted(counters.items()))


def _read_dump(con, reader, site, mappings: _Appender, counters: Counter, harvest: bool, progress: bool) -> None:
    from leia.wiki.titles import normalize_title

    if harvest:
        from leia.wiki.wikitext import harvest_interlanguage_links
    pages = _Appender(con, "pages", _PAGES)
    items = _Appender(con, "items", _ITEMS)
    bar = tqdm(total=reader.size, unit="B", unit_scale=True, desc=f"entities: {reader.name}",
               disable=not progress, dynamic_ncols=True)
    last = 0
    try:
        for page in reader:
            redirect = None
            if page.redirect is not None:
                norm = normalize_title(page.redirect, site)
                # A redirect out of the articles (another namespace, another wiki) stays a redirect: it
                # resolves to no article and is counted as dangling.
                redirect = norm[1] if norm else page.redirect
                counters["redirects"] += 1
            pages.add((page.id, page.ns, page.title, redirect))
            counters["pages"] += 1
            item = getattr(page, "item", None)
            if item:
                items.add((page.title, item))
                counters["items"] += 1
            if harvest and page.ns == 0 and page.redirect is None and page.text:
                for target, english in harvest_interlanguage_links(page.text, site):
                    mappings.add((target, english, "harvested", str(page.id)))
                    counters["mappings_read_harvested"] += 1
            elif harvest and page.redirect is None and getattr(page, "html", ""):
                for target, english in _harvest_html(page.html, site):
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


def _read_target_dump(con, path, target_wiki: str, counters: Counter) -> None:
    """Names through Wikidata items: the title of each item's page in the target wiki's HTML dump."""
    from leia.wiki.htmldump import HtmlDumpReader

    reader = HtmlDumpReader(path)
    site = reader.read_siteinfo()
    if site.dbname != target_wiki:
        raise ConfigError(f"{path}: is a dump of {site.dbname}, not of the target wiki {target_wiki}")
    rows = _Appender(con, "target_items", _ITEMS)
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


def _harvest_html(html: str, site) -> list[tuple[str, str]]:
    """(local title, English title) of the interlanguage-link templates of a page's Parsoid HTML."""
    from leia.wiki.parsoid import to_text

    return [(a.target, a.english) for a in to_text(html, site).anchors if a.english]


def _read_langlinks(con, path, lang: str, mappings: _Appender, counters: Counter, progress: bool) -> None:
    """Load the langlinks rows to ``lang`` in Arrow batches and join them to the dump's pages in DuckDB, so
    the langlinks rows never pass through Python objects."""
    from leia.wiki.sqldump import iter_langlink_batches

    con.execute("CREATE TEMP TABLE langlinks (ll_from BIGINT, ll_title VARCHAR)")
    sql_counters: dict = {}
    bar = tqdm(unit=" rows", desc=f"entities: {Path(path).name}", disable=not progress, dynamic_ncols=True)
    try:
        for batch in iter_langlink_batches(path, lang=lang, counters=sql_counters):
            con.register("_langlinks", batch)
            con.execute("INSERT INTO langlinks SELECT * FROM _langlinks")
            con.unregister("_langlinks")
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


def _read_wikidata(path, wiki: str, target_wiki: str, mappings: _Appender, counters: Counter, progress: bool) -> None:
    from leia.wiki.wikidata import iter_sitelinks

    read: dict = {}
    for qid, title, english in tqdm(iter_sitelinks(path, source_wiki=wiki, target_wiki=target_wiki, counters=read),
                                    unit=" items", desc=f"entities: {Path(path).name}", disable=not progress,
                                    dynamic_ncols=True):
        mappings.add((title, english, "wikidata", qid))
        counters["mappings_read_wikidata"] += 1
    if read.get("skipped_bad_line"):
        counters["wikidata_skipped_bad_line"] += read["skipped_bad_line"]


def _resolve(con, cleaning: Cleaning, counters: Counter) -> None:
    """Clean the names, pick one per title by precedence, resolve redirects, and write ``entities``."""
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
    pages = con.execute("SELECT title, redirect FROM pages WHERE ns = 0").fetchall()
    articles = {t for t, r in pages if r is None}
    redirects = {t: r for t, r in pages if r is not None}
    resolved, dropped = resolve_redirects(redirects, articles)
    counters.update(dropped)
    con.register("_redirects", pa.table({"title": list(resolved), "target": list(resolved.values())}))
    con.execute("INSERT INTO redirects SELECT * FROM _redirects")
    con.unregister("_redirects")

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


def read_meta(path: Path, what: str, command: str, table: str, columns: Sequence[str] = ()) -> dict[str, str]:
    """The ``meta`` rows of a DuckDB file that leia built, after checking it holds ``table`` with ``columns``;
    InputError naming ``what`` it should have been and the ``command`` that builds one."""
    if not path.is_file():
        raise InputError(f"{path}: no such {what}; build one with `{command}`")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as e:
        raise InputError(f"{path}: not a DuckDB {what} ({str(e).strip().splitlines()[0]})") from None
    try:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        con.execute(f"SELECT count(*) FROM {table}").fetchone()
        found = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()}
    except duckdb.Error:
        raise InputError(f"{path}: not a leia {what} (one is built by `{command}`)") from None
    finally:
        con.close()
    missing = [c for c in columns if c not in found]
    if missing:
        raise InputError(f"{path}: its table {table} has no column {', '.join(missing)}; rebuild the {what} with "
                         f"`{command}`")
    return meta


class EntityTable:
    """A built entity table, opened read-only. :meth:`lookup` answers a batch of titles at once from an
    in-memory map loaded on first use."""

    def __init__(self, path: str | os.PathLike, names: dict[str, tuple[str, str]] | None = None):
        """``names``, when given, is the map :meth:`names_map` would load (built elsewhere from
        :meth:`names_arrow`, say in a worker of a cluster)."""
        self.path = Path(path)
        self.meta = read_meta(self.path, "entity table", "leia entities", "entities",
                              ("title", "english", "source", "via"))
        self.wiki: dict = json.loads(self.meta.get("wiki", "{}"))
        self.lang: str = self.meta.get("lang", "en")
        self.counters: dict = json.loads(self.meta.get("counters", "{}"))
        self._names: dict[str, tuple[str, str]] | None = names
        self._site = None

    @property
    def dbname(self) -> str:
        return self.wiki.get("dbname", "")

    @property
    def site(self):
        from leia.wiki.siteinfo import SiteInfo

        if self._site is None:
            self._site = SiteInfo.from_dict(self.wiki)
        return self._site

    def check_wiki(self, dbname: str, what: str) -> None:
        """Refuse to pair this table with material of another wiki."""
        if dbname and self.dbname and dbname != self.dbname:
            raise ConfigError(f"{what} comes from {dbname} but the entity table {self.path} was built from "
                              f"{self.dbname}; build the entity table from the same wiki's dump")

    def names_arrow(self) -> pa.Table:
        """Every title with its English name and source, as one Arrow table."""
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.sql("SELECT title, english, source FROM entities").to_arrow_table()
        finally:
            con.close()

    @staticmethod
    def names_map(table: pa.Table) -> dict[str, tuple[str, str]]:
        """Title -> (English name, source), from :meth:`names_arrow`'s table."""
        return dict(zip(table.column("title").to_pylist(),
                        zip(table.column("english").to_pylist(), table.column("source").to_pylist())))

    def _load(self) -> dict[str, tuple[str, str]]:
        if self._names is None:
            self._names = self.names_map(self.names_arrow())
        return self._names

    def __len__(self) -> int:
        return len(self._load())

    def lookup(self, titles: Iterable[str]) -> list[str | None]:
        """English names for normalised titles (``None`` where unknown), redirects resolved."""
        names = self._load()
        return [(names.get(t) or (None,))[0] for t in titles]

    def lookup_with_source(self, titles: Iterable[str]) -> list[tuple[str, str] | None]:
        names = self._load()
        return [names.get(t) for t in titles]

    def lookup_raw(self, titles: Sequence[str]) -> list[str | None]:
        """Like :meth:`lookup` for titles as a user types them (underscores, lower-case first letter)."""
        from leia.wiki.titles import normalize_title

        normalised = []
        for t in titles:
            norm = normalize_title(t, self.site)
            normalised.append(norm[1] if norm and norm[0] == 0 else None)
        names = self._load()
        return [(names.get(t) or (None,))[0] if t is not None else None for t in normalised]
