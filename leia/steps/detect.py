"""Mention detection as stages of a step: documents -> the same documents with more mentions, those a
mention dictionary finds in plain text (``DetectMentions``) and the later occurrences of what each document
links (``RepeatMentions``); augmentation runs them before it inserts the spans."""

from __future__ import annotations

import os

import pyarrow as pa

from leia.errors import ConfigError
from leia.io.manifest import Manifest
from leia.schemas import DOCUMENTS
from leia.steps.protocol import Chain
from leia.steps.sources import Source, SourceStep
from leia.wiki.siteinfo import SiteInfo

__all__ = ["DetectMentions", "RepeatMentions", "mention_stages", "count_documents", "DetectStep"]


class DetectMentions:
    """Documents without anchors get the mentions a dictionary (leia.mentions) detects in their text."""

    def __init__(self, detector, described: dict):
        self.detector = detector
        self.parameters = {"mentions": described}

    def __call__(self, documents: pa.RecordBatch) -> tuple[pa.RecordBatch, dict]:
        return self.detector.detect_batch(documents)


class RepeatMentions:
    """The later occurrences of what a document links (or, in plain text, what was detected) are mentions
    too (:class:`leia.mentions.Propagator`, source ``repeat``)."""

    parameters = {"repeat_mentions": True}

    def __init__(self) -> None:
        from leia.mentions import Propagator

        self.propagator = Propagator()
        self.propagator.segmenter  # load MeCab once, before workers fork

    def __call__(self, documents: pa.RecordBatch) -> tuple[pa.RecordBatch, dict]:
        return self.propagator.propagate_batch(documents)


def mention_stages(mentions: str | os.PathLike | None, repeat_mentions: bool) -> tuple:
    """The mention stages an augmentation asked for: detection with the dictionary at ``mentions`` (of the
    input's wiki: checked with the other inputs, leia.io.provenance), then repeated mentions."""
    stages: list = []
    if mentions is not None:
        from leia.mentions import mention_detector

        stages.append(DetectMentions(*mention_detector(mentions)))
    if repeat_mentions:
        stages.append(RepeatMentions())
    return tuple(stages)


def count_documents(documents: pa.RecordBatch) -> tuple[pa.RecordBatch, dict]:
    """The stage that counts the documents of a batch (``documents``), as they pass through unchanged."""
    return documents, {"documents": documents.num_rows}


class DetectStep(SourceStep):
    """Mention detection as a step of its own (leia.steps.protocol): documents (a folder, a dump, a corpus)
    -> document shards whose anchors include the mentions ``stages`` add, which ``leia augment`` reads like
    extracted documents."""

    schema = DOCUMENTS
    verb = "detect"
    shown = (("docs", "documents"),)

    def __init__(self, source: Source, stages: tuple, input: str | os.PathLike):
        if not stages:
            raise ConfigError("nothing to detect: give a mention dictionary (--mentions) and/or --repeat-mentions")
        super().__init__(source, input)
        self.stages = stages
        self.site = SiteInfo.from_dict(source.wiki) if source.wiki else None
        parameters: dict = source.layout()
        for stage in stages:
            parameters.update(stage.parameters)
        self.manifest = Manifest(kind="documents", inputs=list(source.inputs), parameters=parameters,
                                 schema=DOCUMENTS.to_string(), extra={"wiki": source.wiki})

    def work(self) -> Chain:
        return Chain(*self.source.stages(self.site), count_documents, *self.stages)

    def pieces(self, workers, done, parallel):
        """Refused: its stages (a mention dictionary's detector, MeCab) run in this machine's processes only."""
        raise ConfigError("mention detection runs on the local engine only")
