"""What a built artefact records of what it was built from (the manifest record of an input file), and the one
check, made from the inputs' headers before any work starts, that a command's inputs all come from one wiki,
that this wiki is not the target language's, and that the target wiki's inputs are of that wiki.

Each input names its wiki in its own way: a dump in its ``<siteinfo>`` (or an HTML dump in each record's
``is_part_of``), a langlinks SQL dump in its header (``-- Host: ...  Database: jawiki``), a folder of shards
(documents, a page table) in its manifest, an entity table or a mention dictionary in its ``meta``. A
Wikidata dump serves every wiki: it must link pages of the source wiki and of the target wiki. An input
that names no wiki (a corpus of JSON lines, a hand-written file) is not checked.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from leia.errors import ConfigError

__all__ = ["file_input", "Named", "named", "check_provenance"]

# kind -> how a message names it, and what to give instead (``{wiki}``: the wiki it must be of)
_KINDS = {
    "dump": ("the dump", "give a dump of {wiki}"),
    "target_dump": ("the target dump", "give the HTML dump of {wiki} ({wiki}-NS0-YYYYMMDD-ENTERPRISE-HTML.json.tar.gz)"),
    "langlinks": ("the langlinks dump", "give the langlinks dump of {wiki} ({wiki}-YYYYMMDD-langlinks.sql.gz)"),
    "pages": ("the page table", "extract the page table of {wiki}'s dump (leia extract --pages)"),
    "documents": ("the documents folder", "give documents extracted from {wiki}'s dump"),
    "corpus": ("the corpus", "give a corpus of {wiki}"),
    "entities": ("the entity table", "build the entity table from {wiki}'s dump (leia entities)"),
    "mentions": ("the mention dictionary", "build the mention dictionary from {wiki}'s documents (leia mentions "
                                           "build)"),
}


def file_input(path: str | os.PathLike, kind: str) -> dict:
    """The manifest record of an input file of kind ``kind``: its name and identity."""
    from leia.io.integrity import file_identity, regular_file

    p = Path(path)
    regular_file(p, kind)
    return {"kind": kind, "path": p.name, **file_identity(p)}


@dataclass(frozen=True)
class Named:
    """An input of kind ``kind`` (a key of the table above) at ``path``, and the database name of the wiki it
    names ("jawiki"; empty when it names none)."""

    kind: str
    path: str
    wiki: str

    @property
    def what(self) -> str:
        return f"{_KINDS[self.kind][0]} {self.path}"

    def fix(self, wiki: str) -> str:
        return _KINDS[self.kind][1].format(wiki=wiki)


def named(kind: str, path: str | os.PathLike | None) -> Named | None:
    """The input ``path`` of kind ``kind`` with the wiki it names, read from its header, manifest or ``meta``
    alone (None when ``path`` is None)."""
    if path is None:
        return None
    return Named(kind, os.fspath(path), _wiki_of(kind, Path(path)) or "")


def _wiki_of(kind: str, path: Path) -> str | None:
    if kind in ("dump", "target_dump"):
        from leia.wiki.dumps.xmldump import DumpReader
        from leia.wiki.html.htmldump import HtmlDumpReader, is_html_dump

        return (HtmlDumpReader(path) if is_html_dump(path) else DumpReader(path)).read_siteinfo().dbname
    if kind == "langlinks":
        from leia.wiki.dumps.sqldump import database_name

        return database_name(path)
    if kind in ("pages", "documents"):
        from leia.io.manifest import read_manifest

        wiki = read_manifest(path, kind).extra.get("wiki")
        return wiki.get("dbname") if isinstance(wiki, dict) else None
    if kind in ("entities", "mentions"):
        from leia.io.duckdb import read_meta

        what, command, table = {"entities": ("entity table", "leia entities", "entities"),
                                "mentions": ("mention dictionary", "leia mentions build", "candidates")}[kind]
        try:
            wiki = json.loads(read_meta(path, what, command, table).get("wiki") or "{}")
        except ValueError:
            return None
        return wiki.get("dbname") if isinstance(wiki, dict) else None
    return None


def check_provenance(source: Iterable[Named | None] = (), *, target: Iterable[Named | None] = (),
                     lang: str | None = None, wiki: str | None = None,
                     wikidata: str | os.PathLike | None = None) -> str | None:
    """Refuse, with a ConfigError naming both inputs and the fix, inputs that do not belong together; return
    the source wiki's database name (None when no input names it).

    ``source`` are the inputs of the source wiki (a dump, its langlinks, documents, an entity table ...):
    every one that names its wiki must name the same, and ``wiki`` (the user's ``--wiki``) too. That wiki
    may not be the wiki of the target language ``lang``; the ``target`` inputs must be of that wiki; a
    Wikidata dump (``wikidata``) must link pages of both."""
    inputs = [n for n in source if n is not None and n.wiki]
    first = inputs[0] if inputs else None
    for other in inputs[1:]:
        if other.wiki != first.wiki:
            raise ConfigError(f"{other.what} is of {other.wiki}, but {first.what} is of {first.wiki}; "
                              f"{other.fix(first.wiki)}")
    if wiki and first is not None and wiki != first.wiki:
        raise ConfigError(f"--wiki {wiki} does not match the wiki of {first.what}, {first.wiki}; leave --wiki out")
    source_wiki = first.wiki if first is not None else wiki
    target_wiki = f"{lang}wiki" if lang else None
    if source_wiki and source_wiki == target_wiki:
        raise ConfigError(f"the source wiki and the target language are the same ({source_wiki}): leia inserts "
                          f"names in {lang!r} into text of another language; give the dump of that language's wiki")
    for other in target:
        if other is not None and other.wiki and target_wiki and other.wiki != target_wiki:
            raise ConfigError(f"{other.what} is of {other.wiki}, not of the target wiki {target_wiki}; "
                              f"{other.fix(target_wiki)}")
    if wikidata is not None and source_wiki and target_wiki:
        from leia.wiki.dumps.wikidata import check_sites

        check_sites(wikidata, (source_wiki, target_wiki))
    return source_wiki
