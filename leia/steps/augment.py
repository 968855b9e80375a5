"""The augmentation step: documents (a folder, a dump extracted on the fly, or a corpus) -> augmented shards,
each linked (or detected) Japanese mention followed by ``<translate>English</translate>``."""

from __future__ import annotations

import json
import os
from typing import Callable, Container

import pyarrow as pa

from leia.augmenter import AugmentConfig, augment_batch
from leia.entities import EntityTable
from leia.io.manifest import Manifest
from leia.schemas import AUGMENTED
from leia.steps.protocol import Chain, Piece
from leia.steps.sources import Source, SourceStep
from leia.wiki.siteinfo import SiteInfo

__all__ = ["AugmentStep", "Augment", "augment_manifest"]


class Augment:
    """Documents -> augmented rows (:func:`leia.augmenter.augment_batch`) with the names of ``table``."""

    def __init__(self, table: EntityTable, config: AugmentConfig):
        self.table, self.config = table, config

    def __call__(self, documents: pa.RecordBatch) -> tuple[pa.RecordBatch, dict]:
        return augment_batch(documents, self.table.lookup_with_source, self.config)


def augment_manifest(source: Source, table: EntityTable, config: AugmentConfig, input: str | os.PathLike
                     ) -> tuple[Manifest, SiteInfo]:
    """The manifest an augmentation of ``source`` writes, and the wiki its pages are parsed as (the entity
    table was checked to be of the same wiki: leia.io.provenance)."""
    from leia.io.integrity import file_identity

    site = SiteInfo.from_dict(source.wiki) if source.wiki else table.site
    manifest = Manifest(
        kind="augmented",
        inputs=source.inputs + [{"kind": "entities", "path": table.path.name, **file_identity(table.path)}],
        parameters={"prob": config.prob, "strategy": config.strategy, "seed": config.seed,
                    "nearby": config.nearby, "max_spans_per_entity": config.max_spans_per_entity,
                    **source.layout(),
                    "entity_table": json.loads(table.meta.get("parameters") or "null")},
        schema=AUGMENTED.to_string(), extra={"wiki": source.wiki or table.wiki},
    )
    return manifest, site


class AugmentStep(SourceStep):
    """Augmentation as a step (leia.steps.protocol). ``stages`` are the mention stages run on the documents
    before the spans are inserted (leia.steps.detect: detection in plain text, repeated mentions); each
    records its parameters in the manifest."""

    schema = AUGMENTED
    verb = "augment"
    shown = (("docs", "documents"), ("spans", "spans"))

    def __init__(self, source: Source, table: EntityTable, config: AugmentConfig, input: str | os.PathLike,
                 stages: tuple = ()):
        super().__init__(source, input)
        self.table, self.config = table, config
        self.manifest, self.site = augment_manifest(source, table, config, input)
        self.stages: tuple = ()
        self.add_stages(stages)

    def add_stages(self, stages: tuple) -> None:
        """Run ``stages`` (each with its ``parameters`` for the manifest) before the spans are inserted."""
        self.stages += tuple(stages)
        for stage in stages:
            self.manifest.parameters.update(stage.parameters)

    def work(self) -> Chain:
        self.table.names  # map the names file (checked against the table) once, before workers fork
        return Chain(*self.source.stages(self.site), *self.stages, Augment(self.table, self.config))

    def pieces(self, workers: int, done: Container[int], parallel: Callable) -> list[Piece]:
        """Those of its source (leia.steps.sources), the names file built first (for an older table) so that
        every worker maps it."""
        self.table.names
        return super().pieces(workers, done, parallel)
