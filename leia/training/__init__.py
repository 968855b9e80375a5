"""Training with LEIA corpora: the marker tokens, augmented text to token ids (:func:`encode_spans`), a
collator that keeps the markers out of the loss, redrawing spans each epoch as the paper did, packing
augmented shards into constant-length blocks, with or without attention across documents, and the
``leia train`` run (:func:`train` with :class:`TrainConfig`).

The names below need torch (``pip install 'leia[train]'``), imported with the first of them that is used;
transformers is only needed for the tokenizer and model objects passed in, for ``LeiaDataCollator(flatten=True)``
and for :func:`train`. :class:`TrainConfig` needs neither.

- ``tokens``: the two marker tokens, added to a tokenizer and a model;
- ``encoding``: augmented text to token ids, the way the model should see it;
- ``collator``: a collator for ``transformers.Trainer`` that keeps the markers out of the loss;
- ``redraw``: the spans of augmented documents drawn again from their mention lists, each epoch;
- ``packing``: augmented shards packed into constant-length blocks;
- ``blocks``: the packed epochs as blocks addressable by index, so that resuming reads nothing it skips;
- ``settings``: the settings of ``leia train`` (:class:`TrainConfig`) and the recipes that fill them;
- ``loading``: the tokenizer and model a run starts from, with errors that name the fix;
- ``evaluation``: the held-out perplexity and the probability of ``<translate>``;
- ``run``: the ``leia train`` run (:func:`train`), with checkpoints that resume exactly.
"""

from __future__ import annotations

import importlib
from typing import Any

from leia.errors import require

__all__ = [
    "MARKERS",
    "REDRAWABLE",
    "add_leia_tokens",
    "leia_token_ids",
    "encode_spans",
    "SpanEncoder",
    "SpanEncoding",
    "TokenizedBatch",
    "LeiaDataCollator",
    "redraw_spans",
    "redraw_batch",
    "LeiaRedrawDataset",
    "Blocks",
    "pack",
    "PackedDataset",
    "BlockDataset",
    "TrainConfig",
    "train",
]

_WHERE = {
    "MARKERS": "tokens", "add_leia_tokens": "tokens", "leia_token_ids": "tokens",
    "encode_spans": "encoding", "SpanEncoder": "encoding", "SpanEncoding": "encoding", "TokenizedBatch": "encoding",
    "LeiaDataCollator": "collator",
    "REDRAWABLE": "redraw", "redraw_spans": "redraw", "redraw_batch": "redraw", "LeiaRedrawDataset": "redraw",
    "Blocks": "packing", "pack": "packing", "PackedDataset": "packing",
    "BlockDataset": "blocks",
    "TrainConfig": "settings",
    "train": "run",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'leia.training' has no attribute {name!r}")
    if module != "settings":
        require("torch", "train")
    return getattr(importlib.import_module(f"leia.training.{module}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)
