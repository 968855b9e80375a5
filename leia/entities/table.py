"""A built entity table opened read-only (:class:`EntityTable`): English names for batches of titles."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable, Sequence

import duckdb
import pyarrow as pa

from leia.entities.lookup import NAMES, Names
from leia.errors import InputError
from leia.io.duckdb import read_meta
from leia.io.mapped import open_companion

__all__ = ["EntityTable"]


class EntityTable:
    """A built entity table, opened read-only. Its names are looked up in the names file beside it
    (``<table>.names``, :mod:`leia.entities.lookup`), which every process maps on first use instead of loading:
    a worker's memory does not grow with the table, and pickled the table is its path."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.meta = read_meta(self.path, "entity table", "leia entities", "entities",
                              ("title", "english", "source", "via"))
        self.wiki: dict = json.loads(self.meta.get("wiki", "{}"))
        self.lang: str = self.meta.get("lang", "en")
        self.counters: dict = json.loads(self.meta.get("counters", "{}"))
        self._names: Names | None = None
        self._site = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_names": None, "_site": None}

    @property
    def dbname(self) -> str:
        return self.wiki.get("dbname", "")

    @property
    def site(self):
        from leia.wiki.siteinfo import SiteInfo

        if self._site is None:
            self._site = SiteInfo.from_dict(self.wiki)
        return self._site

    def names_arrow(self) -> pa.Table:
        """Every title with its English name and source, as one Arrow table."""
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.sql("SELECT title, english, source FROM entities").to_arrow_table()
        finally:
            con.close()

    def redirects(self) -> dict[str, str]:
        """Each redirect title -> the article it finally reaches."""
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return dict(con.execute("SELECT title, target FROM redirects").fetchall())
        except duckdb.Error as e:
            raise InputError(f"{self.path}: not an entity table built by `leia entities` ({e})") from None
        finally:
            con.close()

    @property
    def names(self) -> Names:
        """The names file, mapped (built first when a table of an older leia has none)."""
        if self._names is None:
            self._names = Names(open_companion(self.path, self.meta, NAMES))
        return self._names

    def __len__(self) -> int:
        return len(self.names)

    def lookup(self, titles: Iterable[str]) -> list[str | None]:
        """English names for normalised titles (``None`` where unknown), redirects resolved."""
        return self.names.lookup(list(titles))

    def lookup_with_source(self, titles: Iterable[str]) -> list[tuple[str, str] | None]:
        """``(English name, source)`` for normalised titles (``None`` where unknown)."""
        return self.names.lookup_with_source(titles)

    def lookup_arrow(self, titles: pa.Array) -> pa.Table:
        """The vectorised :meth:`lookup_with_source`: for an Arrow array of normalised titles, a table of their
        ``english`` names and ``source`` (null where unknown), in the same order."""
        return self.names.lookup_arrow(titles)

    def lookup_raw(self, titles: Sequence[str]) -> list[str | None]:
        """Like :meth:`lookup` for titles as a user types them (underscores, lower-case first letter)."""
        from leia.wiki.titles import normalize_title

        normalised = []
        for t in titles:
            norm = normalize_title(t, self.site)
            normalised.append(norm[1] if norm and norm[0] == 0 else None)
        return self.names.lookup(normalised)
