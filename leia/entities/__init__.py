"""The entity table: one DuckDB file answering "what is this title called in English?", built from the
dump (titles, redirects, inline {{仮リンク}} names), the langlinks SQL dump and/or Wikidata sitelinks.

Tables: ``meta`` (what it was built from), ``pages`` (id, ns, title, redirect), ``mappings`` (every raw
title -> English row with its source and origin), ``redirects`` (each redirect resolved to its final
article), ``items`` (each article's Wikidata item, when the dump is an HTML dump, whose records name it) and
``entities`` (the answer for every title, redirects included: cleaned English name, source).

In the order the data flows:

- ``names``: English titles cleaned into the names inserted in text (the paper's rules);
- ``readers``: each input read into its DuckDB tables;
- ``resolve``: one name per title by source precedence and vote, redirects followed to their articles;
- ``build``: a build, its inputs checked before anything is read, the file published whole;
- ``table``: a built table opened read-only (:class:`EntityTable`);
- ``lookup``: its names as a file every process memory-maps (``<table>.names``), looked up a batch at a time.
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
