"""A built mention dictionary opened read-only (:class:`MentionTable`), and the detector of one
(:func:`mention_detector`)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, fields, replace
from pathlib import Path

import duckdb

from leia.io.duckdb import read_meta
from leia.errors import ConfigError, InputError
from leia.mentions.detect import Detector
from leia.io.mapped import open_companion
from leia.mentions.entries import Entry, MentionConfig, unknown_settings
from leia.mentions.surfaces import SURFACES, Surfaces

__all__ = ["MentionTable", "mention_detector"]


class MentionTable:
    """A built mention dictionary, opened read-only: its configuration, counters and :meth:`detector`, which
    looks surfaces up in the surfaces file beside it (``<dictionary>.surfaces``, :mod:`leia.mentions.surfaces`),
    mapped by every process instead of loaded."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.meta = read_meta(self.path, "mention dictionary", "leia mentions build", "candidates")
        recorded = json.loads(self.meta.get("config", "{}"))
        if unknown_settings(recorded):
            raise InputError(f"{self.path}: a mention dictionary built with settings this leia does not know "
                             f"({', '.join(unknown_settings(recorded))}); rebuild it with `leia mentions build`")
        self.config = MentionConfig(**recorded)
        self.wiki: dict = json.loads(self.meta.get("wiki", "{}"))
        self.counters: dict = json.loads(self.meta.get("counters", "{}"))
        self._surfaces: Surfaces | None = None

    @property
    def dbname(self) -> str:
        return self.wiki.get("dbname", "")

    def entries(self) -> dict[str, Entry]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            columns = {r[0] for r in con.execute("DESCRIBE surfaces").fetchall()}
            if "doc_link_prob" not in columns:
                raise InputError(f"{self.path}: a mention dictionary without document-level link "
                                 "probabilities; rebuild it with `leia mentions build`")
            surfaces = con.execute("SELECT surface, link_prob, doc_link_prob FROM surfaces").fetchall()
            candidates = con.execute(
                "SELECT surface, target, prior FROM candidates ORDER BY surface, links DESC, target").fetchall()
        finally:
            con.close()
        entries = {s: Entry(p, [], d) for s, p, d in surfaces}
        for s, t, p in candidates:
            entries[s].targets.append((t, p))
        return entries

    def detector(self, **overrides) -> Detector:
        """A detector with the thresholds the dictionary was built with, or ``overrides`` of them."""
        if unknown_settings(overrides):
            raise ConfigError(f"no mention setting {', '.join(unknown_settings(overrides))}; the settings are "
                              f"{', '.join(f.name for f in fields(MentionConfig))}")
        return Detector(self.surfaces, replace(self.config, **overrides))

    @property
    def surfaces(self) -> Surfaces:
        """The surfaces file beside the dictionary, mapped (built first when a dictionary of an older leia has
        none)."""
        if self._surfaces is None:
            self._surfaces = Surfaces.from_mapped(open_companion(self.path, self.meta, SURFACES))
        return self._surfaces


def mention_detector(path: str | os.PathLike) -> tuple[Detector, dict]:
    """The detector of the dictionary at ``path``, ready to fork into workers, and how a manifest names it
    (that it is of the wiki of the material it runs on is checked with the other inputs of the command, by
    leia.io.provenance)."""
    mentions = MentionTable(path)
    detector = mentions.detector()
    if detector.config.segment:
        detector.segmenter  # load MeCab once, before workers fork
    described = {"path": mentions.path.name, "size": mentions.path.stat().st_size,
                 "config": asdict(detector.config)}
    return detector, described
