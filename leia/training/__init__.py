"""Training with LEIA corpora: the marker tokens, augmented text to token ids (:func:`encode_spans`), a
collator that keeps the markers out of the loss, redrawing spans each epoch as the paper did, and packing
augmented shards into constant-length blocks, with or without attention across documents.

Importing this package imports torch (``pip install 'leia[train]'``); transformers is only needed for the
tokenizer and model objects passed in (and for ``LeiaDataCollator(flatten=True)``).
"""

from __future__ import annotations

from leia.errors import require

require("torch", "train")

from leia.training.tokens import MARKERS, add_leia_tokens, leia_token_ids  # noqa: E402
from leia.training.encoding import SpanEncoder, SpanEncoding, TokenizedBatch, encode_spans  # noqa: E402
from leia.training.collator import LeiaDataCollator  # noqa: E402
from leia.training.redraw import REDRAWABLE, LeiaRedrawDataset, redraw_batch, redraw_spans  # noqa: E402
from leia.training.packing import Blocks, PackedDataset, pack  # noqa: E402

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
]
