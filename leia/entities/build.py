"""Building the entity table from its inputs (a dump, the langlinks SQL dump, Wikidata sitelinks, the target
wiki's HTML dump): the inputs checked before anything is read, then read, resolved, and published whole."""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from leia import __version__
from leia.io.duckdb import Appender
from leia.entities.lookup import NAMES
from leia.commands import Cleaning, EntitiesSettings
from leia.entities.readers import (MAPPINGS, SCHEMA_SQL, read_dump, read_langlinks, read_page_table, read_target_dump,
                                   read_wikidata)
from leia.entities.resolve import resolve
from leia.errors import ConfigError, InputError, LeiaError
from leia.io.duckdb import atomic_duckdb
from leia.io.provenance import file_input
from leia.settings import takes, values

__all__ = ["build_entities", "build_entity_table", "check_entities", "MEMORY_LIMIT"]

# What DuckDB may hold while it builds a table; past it, it spills to a folder beside the file being written.
MEMORY_LIMIT = "400MB"

log = logging.getLogger(__name__)


@takes(EntitiesSettings)
def build_entities(settings: EntitiesSettings) -> dict:
    """Build the entity table at ``output`` and return its summary (counters by kind).

    ``dump`` gives titles, redirects and {{仮リンク}} names (English ones: harvested only when ``lang`` is
    "en"); ``langlinks`` needs ``dump`` to turn page ids
    into titles; ``wikidata`` needs the source wiki's name (``wiki``, e.g. "jawiki"; taken from the dump when
    given). ``target_dump`` is an HTML dump of the ``lang`` wiki: with an HTML ``dump`` (whose records name
    each page's Wikidata item), a page's English name is the title of the page of the same item there, a
    name of Wikidata's rank (source ``wikidata``). ``pages`` is the page table that ``leia extract --pages``
    wrote of the dump in its own pass: titles, redirects and {{仮リンク}} names are read from it instead of
    reading the dump again (the dump, when given too, must be the one it was written from). The file
    appears only when complete. Each parameter is the option of ``leia entities`` of the same name
    (:class:`leia.commands.EntitiesSettings`), the cleaning of the names among them (:class:`Cleaning`).
    Built from the dump alone (its {{仮リンク}} names), it warns that these name few pages.
    """
    return build_entity_table(settings)


def build_entity_table(settings: EntitiesSettings, warn: bool = True) -> dict:
    """:func:`build_entities` for its settings made; ``warn=False`` leaves out the warning of a table of the
    dump's {{仮リンク}} names alone (for a run that gave it with :func:`check_entities`, before other work)."""
    s = settings
    dump, pages, langlinks, wikidata, target_dump = s.dump, s.pages, s.langlinks, s.wikidata, s.target_dump
    lang, wiki, overwrite, progress = s.lang, s.wiki, s.overwrite, s.progress
    cleaning = Cleaning(**values(s, Cleaning))
    out = Path(s.output)
    reader, site, inputs, wiki = _checked(out, dump, pages, langlinks, wikidata, target_dump, lang, wiki, overwrite,
                                          warn)
    target_wiki = f"{lang}wiki"
    harvest = s.harvest and lang == "en"

    counters: Counter = Counter()
    with atomic_duckdb(out, overwrite=overwrite, companions=(NAMES,)) as con:
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
            read_target_dump(con, target_dump, counters)
        mappings.flush()
        resolve(con, cleaning, counters)
        if counters["entities"] == 0:
            raise InputError(
                f"no {_names(lang)} found in the inputs: "
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


def _names(lang: str) -> str:
    return "English names" if lang == "en" else f"names in {lang!r}"


def check_entities(output: str | os.PathLike, *, dump: str | os.PathLike | None = None,
                   langlinks: str | os.PathLike | None = None, wikidata: str | os.PathLike | None = None,
                   target_dump: str | os.PathLike | None = None, lang: str = "en", wiki: str | None = None,
                   overwrite: bool = False, pages: str | os.PathLike | None = None) -> str | None:
    """Every refusal :func:`build_entities` can make before it reads an input (the request, the output, and
    the wikis the inputs name, from their headers), and its warning, without building anything: for a run
    that builds the table after other work (and then passes ``warn=False``). Returns the source wiki's
    database name (None when no input names it)."""
    return _checked(Path(output), dump, pages, langlinks, wikidata, target_dump, lang, wiki, overwrite, True)[3]


def _checked(out: Path, dump, pages, langlinks, wikidata, target_dump, lang: str, wiki: str | None,
             overwrite: bool, warn: bool) -> tuple[object, object, list[dict], str | None]:
    """The request checked, then the page source (the dump's reader, its wiki and its manifest record), the
    manifest records of the other inputs, and the source wiki, all from headers: nothing is read yet. With
    ``warn``, a table of the dump's {{仮リンク}} names alone is warned of."""
    from leia.io.provenance import Named, check_provenance, named

    _check_request(out, dump or pages, langlinks, wikidata, target_dump, overwrite, lang, _from_html(dump, pages))
    reader, site, inputs = _open_page_table(pages, dump) if pages is not None else _open_dump(dump)
    inputs += [file_input(path, kind) for kind, path in
               (("langlinks", langlinks), ("target_dump", target_dump), ("wikidata", wikidata)) if path]
    pages_named = Named("pages" if pages is not None else "dump", str(pages if pages is not None else dump),
                        site.dbname) if site else None
    wiki = check_provenance([pages_named, named("langlinks", langlinks)], target=[named("target_dump", target_dump)],
                            lang=lang, wiki=wiki, wikidata=wikidata)
    if wikidata and not wiki:
        raise ConfigError("--wikidata without --dump needs --wiki (the source wiki's database name, e.g. jawiki)")
    if warn and not (langlinks or wikidata or target_dump):
        log.warning("no --langlinks: the English names come from the {{仮リンク}} of the dump alone, which name a "
                    "small part of the pages its articles link to; give the wiki's langlinks dump "
                    "(%s-YYYYMMDD-langlinks.sql.gz) with --langlinks", wiki or "jawiki")
    return reader, site, inputs, wiki


def _from_html(dump, pages) -> bool:
    """Whether the pages come from an HTML dump: ``dump``, or the dump the page table ``pages`` was written from."""
    from leia.wiki.html.htmldump import is_html_dump

    if dump is not None or pages is None:
        return bool(dump) and is_html_dump(dump)
    from leia.io.manifest import read_manifest

    try:
        return is_html_dump(read_manifest(pages, "pages").inputs[0]["path"])
    except (LeiaError, IndexError, KeyError):
        return False  # (the page table is refused with the reason when it is opened)


def _check_request(out: Path, dump, langlinks, wikidata, target_dump, overwrite: bool, lang: str,
                   html: bool) -> None:
    """Refuse, before anything is read, inputs that cannot make a table and an output that must not be written."""
    from leia.io.duckdb import check_output_file
    from leia.wiki.html.htmldump import is_html_dump

    if target_dump and not (dump and html and is_html_dump(target_dump)):
        raise ConfigError("--target-dump (an HTML dump of the target wiki) needs --dump (or --pages of it), an "
                          "HTML dump of the source wiki: pages are matched by their Wikidata items")
    if not (dump or langlinks or wikidata):
        raise ConfigError("nothing to build from: give --dump, --langlinks and/or --wikidata")
    if langlinks and not dump:
        raise ConfigError("--langlinks needs --dump or --pages: the langlinks rows name pages by id, the dump (or "
                          "its page table) maps ids to titles")
    if lang != "en" and not (langlinks or wikidata or target_dump):
        raise ConfigError(f"--lang {lang}: the dump alone gives English names only (those its {{{{仮リンク}}}} name); "
                          f"names in {lang!r} come from --langlinks, --wikidata or --target-dump")
    check_output_file(out, overwrite, "entity table", inputs=(dump, langlinks, wikidata, target_dump))


def _open_dump(dump) -> tuple[object, object, list[dict]]:
    """The dump's reader, its wiki and its manifest record (None, None, [] without a dump)."""
    if not dump:
        return None, None, []
    from leia.wiki.dumps.xmldump import DumpReader
    from leia.wiki.html.htmldump import HtmlDumpReader, is_html_dump

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
