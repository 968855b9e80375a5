"""The explicit pyarrow schemas of every kind of shard leia writes (never inferred from data)."""

from __future__ import annotations

import pyarrow as pa

__all__ = ["ANCHOR", "DOCUMENTS", "MENTION", "AUGMENTED", "BLOCKS", "MARKER_OPEN", "MARKER_CLOSE"]

MARKER_OPEN = "<translate>"
MARKER_CLOSE = "</translate>"

# One hyperlinked mention: text[start:end] is the mention as it reads (code-point offsets).
# `english` is the English title named inline by the wikitext ({{仮リンク}}, {{ill}}), null otherwise.
ANCHOR = pa.struct(
    [
        pa.field("start", pa.int32(), nullable=False),
        pa.field("end", pa.int32(), nullable=False),
        pa.field("target", pa.string(), nullable=False),
        pa.field("english", pa.string()),
    ]
)

DOCUMENTS = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("title", pa.string(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("anchors", pa.list_(ANCHOR), nullable=False),
    ]
)

# One mention of an augmented document. Offsets are into the *un-augmented* text; `english` is the
# (cleaned) English name, null when none is known or a span control withholds it; `source` says where
# the name came from or that propagation added the mention (augmenter.MENTION_SOURCES), or why the
# mention may get no span (augmenter.NO_SPAN_REASONS); `inserted` says whether this draw put a span at it.
MENTION = pa.struct(
    [
        pa.field("start", pa.int32(), nullable=False),
        pa.field("end", pa.int32(), nullable=False),
        pa.field("target", pa.string(), nullable=False),
        pa.field("english", pa.string()),
        pa.field("source", pa.string(), nullable=False),
        pa.field("inserted", pa.bool_(), nullable=False),
    ]
)

AUGMENTED = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("title", pa.string(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("mentions", pa.list_(MENTION), nullable=False),
    ]
)

# Packed blocks of token ids (`leia tokenize`), one row per block, every list of the block's length: what a
# causal LM trains on without leia. `labels` are -100 where no loss is taken (the markers, padding, each
# document's first token when documents are kept apart); `position_ids` restart at each document (and each
# block), or count through the block when attention runs across documents.
BLOCKS = pa.schema(
    [
        pa.field("input_ids", pa.list_(pa.int32()), nullable=False),
        pa.field("labels", pa.list_(pa.int32()), nullable=False),
        pa.field("position_ids", pa.list_(pa.int32()), nullable=False),
    ]
)
