"""Building the entity table from its inputs (a dump, the langlinks SQL dump, Wikidata sitelinks, the target
wiki's HTML dump): the inputs checked before anything is read, then read, resolved, and published whole."""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from leia import __version__
from leia.io.duckdb import Appender
from leia.entities.names import Cleaning
from leia.entities.readers import (MAPPINGS, SCHEMA_SQL, read_dump, read_langlinks, read_page_table, read_target_dump,
                                   read_wikidata)
from leia.entities.resolve import resolve
from leia.errors import ConfigError, InputError, LeiaError, OutputError
from leia.io.duckdb import atomic_duckdb
from leia.io.provenance import file_input

__all__ = ["build_entities", "MEMORY_LIMIT"]

# What DuckDB may hold while it builds a table; past it, it spills to a folder beside the file being written.
MEMORY_LIMIT = "400MB"


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
    pages: str | os.PathLike | None = None,
) -> dict:
    """Build the entity table at ``output`` and return its summary (counters by kind).

    ``dump`` gives titles, redirects and {{仮リンク}} names (English ones: harvested only when ``lang`` is
    "en"); ``langlinks`` needs ``dump`` to turn page ids
    into titles; ``wikidata`` needs the source wiki's name (``wiki``, e.g. "jawiki"; taken from the dump when
    given). ``target_dump`` is an HTML dump of the ``lang`` wiki: with an HTML ``dump`` (whose records name
    each page's Wikidata item), a page's English name is the title of the page of the same item there, a
    name of Wikidata's rank (source ``wikidata``). ``pages`` is the page table that ``leia extract --pages``
    wrote of the dump in its own pass: titles, redirects and {{仮リンク}} names are read from it instead of
    reading the dump again (the dump, when given too, must be the one it was written from). The file
    appears only when complete.
    """
    out = Path(output)
    _check_request(out, dump or pages, langlinks, wikidata, target_dump, overwrite, _from_html(dump, pages))
    reader, site, inputs = _open_page_table(pages, dump) if pages is not None else _open_dump(dump)
    inputs += [file_input(path, kind) for kind, path in
               (("langlinks", langlinks), ("target_dump", target_dump), ("wikidata", wikidata)) if path]
    wiki, target_wiki = _source_wiki(site, wiki, bool(wikidata)), f"{lang}wiki"
    if wiki == target_wiki:
        raise ConfigError(f"the source wiki and the target language are the same ({wiki})")
    harvest = harvest and lang == "en"

    counters: Counter = Counter()
    with atomic_duckdb(out, overwrite=overwrite) as con:
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute(SCHEMA_SQL)
        mappings = Appender(con, "mappings", MAPPINGS)
        _read_pages(con, pages, reader, site, mappings, counters, harvest, progress)
        if langlinks:
            read_langlinks(con, langlinks, lang, counters, progress)
        if wikidata:
            read_wikidata(wikidata, wiki, target_wiki, mappings, counters, progress)
        if target_dump:
            mappings.flush()
            read_target_dump(con, target_dump, target_wiki, counters)
        mappings.flush()
        resolve(con, cleaning, counters)
        if counters["entities"] == 0:
            raise InputError(
                "no English names found in the inputs: "
                + ", ".join(f"{i['kind']} {i['path']}" for i in inputs)
                + f" (target language {lang!r}); check the files and --lang")
        wiki_record = site.to_dict() if site else {"dbname": wiki}
        parameters = {"lang": lang, "cleaning": asdict(cleaning), "harvest": harvest}
        con.executemany("INSERT INTO meta VALUES (?, ?)", _meta(wiki_record, lang, inputs, parameters, counters))
    return dict(sorted(counters.items()))


def _read_pages(con, pages, reader, site, mappings: Appender, counters: Counter, harvest: bool,
                progress: bool) -> None:
    """Titles, redirects and harvested names: from the page table when there is one, else from the dump."""
    if pages is not None:
        read_page_table(con, Path(pages), counters, harvest)
    elif reader is not None:
        read_dump(con, reader, site, mappings, counters, harvest, progress)


def _meta(wiki: dict, lang: str, inputs: list[dict], parameters: dict, counters: Counter) -> list[tuple[str, str]]:
    """The ``meta`` rows: what the table was built from and with, and what was counted."""
    return list({
        "wiki": json.dumps(wiki, ensure_ascii=False),
        "lang": lang, "inputs": json.dumps(inputs, ensure_ascii=False),
        "parameters": json.dumps(parameters),
        "counters": json.dumps(dict(sorted(counters.items()))), "leia_version": __version__,
    }.items())


def _source_wiki(site, wiki: str | None, wikidata: bool) -> str | None:
    """The source wiki's database name: the dump's (``wiki``, when given too, must agree), else ``wiki``
    (which Wikidata sitelinks need)."""
    if site is None:
        if wikidata and not wiki:
            raise ConfigError("--wikidata without --dump needs --wiki (the source wiki's database name, e.g. jawiki)")
        return wiki
    if wiki and wiki != site.dbname:
        raise ConfigError(f"--wiki {wiki} does not match the dump's wiki {site.dbname}")
    return site.dbname


def _from_html(dump, pages) -> bool:
    """Whether the pages come from an HTML dump: ``dump``, or the dump the page table ``pages`` was written from."""
    from leia.wiki.htmldump import is_html_dump

    if dump is not None or pages is None:
        return bool(dump) and is_html_dump(dump)
    from leia.io.manifest import read_manifest

    try:
        return is_html_dump(read_manifest(pages, "pages").inputs[0]["path"])
    except (LeiaError, IndexError, KeyError):
        return False  # (the page table is refused with the reason when it is opened)


def _check_request(out: Path, dump, langlinks, wikidata, target_dump, overwrite: bool, html: bool) -> None:
    """Refuse, before anything is read, inputs that cannot make a table and an output that must not be written."""
    from leia.wiki.htmldump import is_html_dump

    if target_dump and not (dump and html and is_html_dump(target_dump)):
        raise ConfigError("--target-dump (an HTML dump of the target wiki) needs --dump (or --pages of it), an "
                          "HTML dump of the source wiki: pages are matched by their Wikidata items")
    if not (dump or langlinks or wikidata):
        raise ConfigError("nothing to build from: give --dump, --langlinks and/or --wikidata")
    if langlinks and not dump:
        raise ConfigError("--langlinks needs --dump: the langlinks rows name pages by id, the dump maps ids to titles")
    for given in (dump, langlinks, wikidata, target_dump):
        if given is not None and out.resolve() == Path(given).resolve():
            raise OutputError(f"{out}: is an input; write the entity table to another file")
    if out.is_dir():
        raise OutputError(f"{out}: is a folder; give the path of the DuckDB file to write")
    if out.exists() and not overwrite:
        raise OutputError(f"{out}: exists; choose another file or pass --overwrite")


def _open_dump(dump) -> tuple[object, object, list[dict]]:
    """The dump's reader, its wiki and its manifest record (None, None, [] without a dump)."""
    if not dump:
        return None, None, []
    from leia.wiki.dump import DumpReader
    from leia.wiki.htmldump import HtmlDumpReader, is_html_dump

    # The only process reading this dump: let the bz2 decoder use the other cores.
    reader = HtmlDumpReader(dump) if is_html_dump(dump) else DumpReader(dump, threads=min(4, os.cpu_count() or 1))
    site = reader.read_siteinfo()
    return reader, site, [{**file_input(dump, "dump"), "dbname": site.dbname}]


def _open_page_table(pages: str | os.PathLike, dump) -> tuple[None, object, list[dict]]:
    """The wiki and the dump's manifest record of a page table, complete and (when ``dump`` is given too)
    written from that dump."""
    from leia.io.integrity import identity_change
    from leia.io.manifest import read_manifest
    from leia.wiki.siteinfo import SiteInfo

    manifest = read_manifest(pages, "pages")
    if not manifest.complete:
        raise InputError(f"{pages}: the extraction that writes this page table has not finished; rerun it")
    site = SiteInfo.from_dict(manifest.extra["wiki"])
    record = {"kind": "dump", **manifest.inputs[0], "dbname": site.dbname}
    if dump is not None:
        given = file_input(dump, "dump")
        change = identity_change(record, given) if record["path"] == given["path"] else "another file"
        if change:
            raise ConfigError(f"{pages}: a page table of another dump than {dump} ({change}); extract it again "
                              "with --pages, or build from the dump alone")
    return None, site, [record]
