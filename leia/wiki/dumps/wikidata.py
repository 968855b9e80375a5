"""Streaming reader of the Wikidata JSON dump (``wikidata-YYYYMMDD-all.json.bz2``, ``.gz`` or plain).

The dump is one JSON array with one entity per line: ``[`` on the first line, then entities each followed by
``,``, then ``]``. Only the lines that hold both wikis' keys (a bytes test, before any JSON parsing) are
parsed, so reading costs little more than decompressing. Compression is told by the file's magic bytes;
concatenated (multistream) bz2 is read through.

What stops a run (``InputError``, naming the file): a missing or truncated file, a file that does not open
with ``[``, a file that ends without the closing ``]``. What does not: an entity line that is not valid JSON
or not an entity is counted as ``skipped_bad_line`` and logged. With debug logging on (``-v``), every entity
line skipped is logged with its file and line, those not linked to both wikis included.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any, Callable, Iterator, MutableMapping

from leia.errors import ConfigError, InputError
from leia.wiki.dumps.sqldump import iter_dump_lines

__all__ = ["iter_sitelinks", "check_sites"]

logger = logging.getLogger(__name__)

_loads: Callable[[bytes], Any]
try:
    import orjson

    _loads = orjson.loads
except ImportError:
    _loads = json.loads

_MAX_LINE_WARNINGS = 20


def _title(entity: dict[str, Any], wiki: str) -> str | None:
    sitelinks = entity.get("sitelinks")
    link = sitelinks.get(wiki) if isinstance(sitelinks, dict) else None
    title = link.get("title") if isinstance(link, dict) else None
    return title if isinstance(title, str) and title else None


def _entity_lines(path: str | os.PathLike, name: str) -> Iterator[tuple[int, bytes]]:
    """``(line number, line)`` of each entity line of the dump, between its ``[`` and ``]`` lines (checked)."""
    opened = closed = False
    lineno = 0
    for lineno, line in iter_dump_lines(path):
        if not opened:
            if line.strip() != b"[":
                raise InputError(f"{name}: not a Wikidata JSON dump (line {lineno} is not '[')")
            opened = True
        elif closed:
            if line.strip():
                raise InputError(f"{name}, line {lineno}: data after the closing ']'")
        elif line.startswith(b"]"):
            closed = True
        else:
            yield lineno, line
    if not opened:
        raise InputError(f"{name}: not a Wikidata JSON dump (the file is empty)")
    if not closed:
        raise InputError(f"{name}: ends at line {lineno} without the closing ']' (truncated?); download it again")


def _entity(line: bytes) -> tuple[str, Any] | None:
    """(id, entity) of an entity line, None when it is not valid JSON or not an entity."""
    try:
        entity = _loads(line.rstrip(b"\r\n\t ,"))
        qid = entity["id"] if isinstance(entity, dict) else None
    except (ValueError, KeyError, RecursionError):  # RecursionError: arrays nested beyond the parser
        return None
    return (qid, entity) if isinstance(qid, str) else None


def iter_sitelinks(
    path: str | os.PathLike,
    source_wiki: str = "jawiki",
    target_wiki: str = "enwiki",
    counters: MutableMapping[str, int] | None = None,
) -> Iterator[tuple[str, str, str]]:
    """``(entity id, title on source_wiki, title on target_wiki)`` for each entity linked to both wikis, in
    dump order. Titles are as Wikidata stores them (spaces, not underscores).

    ``counters`` receives ``entities`` (entity lines read), ``parsed`` (lines that held both keys and were
    parsed), ``kept`` (tuples yielded) and ``skipped_bad_line``.
    """
    counters = {} if counters is None else counters
    name = os.fspath(path)
    source_key = b'"' + source_wiki.encode() + b'"'
    target_key = b'"' + target_wiki.encode() + b'"'
    entities = parsed = kept = bad = 0
    debug = logger.isEnabledFor(logging.DEBUG)
    try:
        for lineno, line in _entity_lines(path, name):
            entities += 1
            if source_key not in line or target_key not in line:
                if debug:
                    logger.debug("%s, line %d: skipped an entity not linked to both %s and %s", name, lineno,
                                 source_wiki, target_wiki)
                continue
            parsed += 1
            found = _entity(line)
            if found is None:
                bad += 1
                log = logger.warning if bad <= _MAX_LINE_WARNINGS else logger.debug
                log("%s, line %d: skipped a line that is not an entity: %.80r", name, lineno, line)
                continue
            qid, entity = found
            source = _title(entity, source_wiki)
            target = _title(entity, target_wiki)
            if source is not None and target is not None:
                kept += 1
                yield qid, source, target
            elif debug:
                logger.debug("%s, line %d: skipped %s, which has no title on both %s and %s", name, lineno, qid,
                             source_wiki, target_wiki)
    finally:
        for key, n in (("entities", entities), ("parsed", parsed), ("kept", kept), ("skipped_bad_line", bad)):
            counters[key] = counters.get(key, 0) + n


def check_sites(path: str | os.PathLike, sites: tuple[str, ...], items: int = 100) -> None:
    """ConfigError unless the dump links pages of every wiki in ``sites`` (database names, "jawiki"): read
    until each has appeared among the sitelinks, at most the first ``items`` entities that have sitelinks.
    A Wikidata dump serves every wiki, so its first entities link them all; a dump filtered to other wikis
    (or of entities without sitelinks) would give no names."""
    name = os.fspath(path)
    keys = {site: b'"' + site.encode() + b'"' for site in sites}
    missing, seen, first = set(sites), 0, None
    for _, line in _entity_lines(path, name):
        if b'"sitelinks"' not in line:
            continue
        missing = {site for site in missing if keys[site] not in line}
        if not missing:
            return
        found = _entity(line)
        links = found[1].get("sitelinks") if found and isinstance(found[1], dict) else None
        if isinstance(links, dict) and links:
            seen += 1
            first = first or sorted(links)
            if seen >= items:
                break
    if seen == 0:
        raise ConfigError(f"{name}: no entity of it links a page of any wiki (no sitelinks); give the Wikidata "
                          "JSON dump (wikidata-YYYYMMDD-all.json.bz2)")
    shown = ", ".join(first[:3]) + (", ..." if len(first) > 3 else "")
    raise ConfigError(f"{name}: none of its first {seen} entities with sitelinks links a page of "
                      f"{' or '.join(sorted(missing))} (the first links {shown}); give a Wikidata JSON dump that "
                      "covers both wikis (wikidata-YYYYMMDD-all.json.bz2)")
