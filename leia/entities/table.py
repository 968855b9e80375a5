"""A built entity table opened read-only (:class:`EntityTable`): English names for batches of titles."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable, Sequence

import duckdb
import pyarrow as pa

from leia.io.duckdb import read_meta
from leia.errors import InputError

__all__ = ["EntityTable"]


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
