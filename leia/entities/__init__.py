"""The entity table: one DuckDB file answering "what is this title called in English?", built from the
dump (titles, redirects, inline {{仮リンク}} names), the langlinks SQL dump and/or Wikidata sitelinks.

Tables: ``meta`` (what it was built from), ``pages`` (id, ns, title, redirect), ``mappings`` (every raw
title -> English row with its source and origin), ``redirects`` (each redirect resolved to its final
article), ``items`` (each article's Wikidata item, when the dump is an HTML dump, whose records name it) and
``entities`` (the answer for every title, redirects included: cleaned English name, source).

:mod:`~leia.entities.names` cleans English titles, :mod:`~leia.entities.readers` reads each input,
:mod:`~leia.entities.resolve` picks the answers, :mod:`~leia.entities.build` runs a build and
:mod:`~leia.entities.table` reads a built table.
"""

from leia.io.duckdb import read_meta
from leia.entities.build import build_entities
from leia.commands import Cleaning
from leia.entities.names import SOURCES, clean_english
from leia.entities.resolve import resolve_redirects
from leia.entities.table import EntityTable
from leia.io.provenance import file_input

__all__ = [
    "Cleaning", "clean_english", "build_entities", "EntityTable", "SOURCES", "resolve_redirects", "file_input",
    "read_meta",
]
