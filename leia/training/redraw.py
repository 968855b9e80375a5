"""Redrawing the spans of augmented documents from their mention lists, as the paper inserted them at
training time (another draw each epoch)."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from leia.errors import ConfigError
from leia.spans import check_strategy, draw_mask, insert_spans, strip_spans

import torch

__all__ = ["REDRAWABLE", "redraw_spans", "redraw_batch", "LeiaRedrawDataset", "check_redraw"]

REDRAWABLE = ("right", "left")


def redraw_spans(
    example: Mapping[str, Any], prob: float = 0.5, strategy: str = "right", seed: int = 0, epoch: int = 0
) -> dict[str, Any]:
    """A new draw of spans for one augmented document, as the paper inserted them at training time.

    The text is taken back to its un-augmented form (so the document must come from shards built with the
    ``right`` or ``left`` strategy), then each mention with an English name gets a span with probability
    ``prob``, drawn by :func:`leia.spans.draw_mask` from the seed, the document id, the mention's position
    and the epoch (epoch 0 with the augmenter's seed draws what the augmenter drew). Returns a new example whose ``text`` and
    mentions' ``inserted`` flags reflect the draw; the input is not modified.
    """
    mentions = list(example["mentions"])
    flags = draw_mask(np.full(len(mentions), int(example["id"]), dtype=np.int64), np.arange(len(mentions)),
                      prob, seed, epoch)
    chosen = {i for i, m in enumerate(mentions) if m["english"] is not None and flags[i]}
    text = insert_spans(
        strip_spans(example["text"]),
        [(m["start"], m["end"], m["english"]) for i, m in enumerate(mentions) if i in chosen],
        strategy,
    )
    return {
        **example,
        "text": text,
        "mentions": [{**m, "inserted": i in chosen} for i, m in enumerate(mentions)],
    }


def redraw_batch(
    batch: Mapping[str, list], prob: float = 0.5, strategy: str = "right", seed: int = 0, epoch: int = 0
) -> dict[str, list]:
    """:func:`redraw_spans` over a batch given as columns, for ``datasets.Dataset.map(batched=True)`` or
    ``with_transform`` (pass ``epoch`` through ``fn_kwargs`` or ``functools.partial``)."""
    texts, mentions = [], []
    for doc_id, text, doc_mentions in zip(batch["id"], batch["text"], batch["mentions"]):
        new = redraw_spans({"id": doc_id, "text": text, "mentions": doc_mentions}, prob, strategy, seed, epoch)
        texts.append(new["text"])
        mentions.append(new["mentions"])
    return {**batch, "text": texts, "mentions": mentions}


def check_redraw(prob: float, strategy: str) -> None:
    """ConfigError (a ValueError too) unless ``prob`` is a probability and ``strategy`` one of the strategies."""
    if not 0.0 <= prob <= 1.0:
        raise ConfigError(f"prob must be between 0 and 1, got {prob}")
    check_strategy(strategy)


class LeiaRedrawDataset(torch.utils.data.Dataset):
    """A map-style view of augmented documents that redraws the spans of each document every epoch.

    ``set_epoch`` is called by accelerate's data loaders in single-process ``Trainer`` runs; elsewhere call
    it at the start of each epoch (before the data loader's workers start).
    """

    def __init__(self, documents: Any, prob: float = 0.5, strategy: str = "right", seed: int = 0):
        check_redraw(prob, strategy)
        self.documents = documents
        self.prob = prob
        self.strategy = strategy
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.documents)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return redraw_spans(self.documents[index], self.prob, self.strategy, self.seed, self.epoch)
