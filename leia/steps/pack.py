"""The packing step (``leia tokenize``): augmented shards -> the blocks of token ids of one epoch, shard for
shard the blocks :class:`leia.training.PackedDataset` yields for the same settings, seed and epoch, written as
``input_ids``, ``labels`` and ``position_ids`` that any causal-LM trainer reads without leia."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Container, Iterable

import numpy as np
import pyarrow as pa

from leia.io.manifest import Manifest, read_manifest
from leia.schemas import BLOCKS
from leia.steps.protocol import Bar, Batch, Piece, Step

__all__ = ["PackStep", "tokenizer_identity", "blocks_batch"]


def tokenizer_identity(tokenizer: Any) -> dict:
    """What the blocks depend on in a tokenizer: its class, its vocabulary and added tokens (as a checksum)
    and its eos and pad ids."""
    vocab = json.dumps(sorted(tokenizer.get_vocab().items()), ensure_ascii=False).encode("utf-8")
    return {"name": str(getattr(tokenizer, "name_or_path", "")), "class": type(tokenizer).__name__,
            "vocab_size": len(tokenizer), "vocab_sha256": hashlib.sha256(vocab).hexdigest(),
            "eos_token_id": tokenizer.eos_token_id, "pad_token_id": tokenizer.pad_token_id}


def blocks_batch(input_ids: np.ndarray, labels: np.ndarray, position_ids: np.ndarray | None) -> pa.RecordBatch:
    """Blocks of shape (blocks, block_size) as a record batch of :data:`leia.schemas.BLOCKS`; without
    ``position_ids`` (attention across documents) the positions count through each block."""
    rows, size = input_ids.shape
    if position_ids is None:
        position_ids = np.broadcast_to(np.arange(size, dtype=np.int32), (rows, size))
    offsets = pa.array(np.arange(0, rows * size + 1, size, dtype=np.int32))

    def column(values: np.ndarray) -> pa.Array:
        return pa.ListArray.from_arrays(offsets, pa.array(np.ascontiguousarray(values, dtype=np.int32).reshape(-1)))

    return pa.RecordBatch.from_arrays([column(input_ids), column(labels), column(position_ids)], schema=BLOCKS)


class _PackShard:
    """The work on one shard: its blocks as one record batch, and what was counted."""

    def __init__(self, dataset: Any, epoch: int):
        self.dataset, self.epoch = dataset, epoch

    def __call__(self, unit: int) -> tuple[pa.RecordBatch, dict]:
        before = Counter(self.dataset.stats)
        parts = list(self.dataset.shard_blocks(unit, self.epoch))
        size = self.dataset.block_size
        input_ids = np.concatenate([p.input_ids for p in parts]) if parts else np.zeros((0, size), np.int64)
        labels = np.concatenate([p.labels for p in parts]) if parts else input_ids
        positions = None
        if parts and parts[0].position_ids is not None:
            positions = np.concatenate([p.position_ids for p in parts])
        counters = Counter(self.dataset.stats)
        counters.subtract(before)
        counters["loss_tokens"] = int((labels != self.dataset.label_pad_token_id).sum())
        counters.pop("documents_tokenized", None)
        return blocks_batch(input_ids, labels, positions), {k: int(v) for k, v in counters.items()}


class PackStep(Step):
    """Packs the augmented shards of ``dataset`` (a :class:`leia.training.PackedDataset`, which holds the
    tokenizer and every packing setting) for ``epoch``: output shard i holds the blocks of input shard i."""

    def __init__(self, dataset: Any, epoch: int = 0):
        self.dataset = dataset
        self.epoch = epoch
        source = read_manifest(dataset.folder)
        digest = hashlib.sha256("".join(s["sha256"] for s in source.shards).encode()).hexdigest()
        entry = {"kind": source.kind, "path": Path(dataset.folder).name, "counters": source.counters,
                 "shards_sha256": digest, "from": source.inputs}
        parameters = {
            "block_size": dataset.block_size, "prob": dataset.prob, "strategy": dataset.strategy,
            "seed": dataset.seed, "epoch": epoch, "cross_document_attention": dataset.cross_document_attention,
            "drop_tail": dataset.drop_tail, "label_pad_token_id": dataset.label_pad_token_id,
            "markers": [dataset.open_id, dataset.close_id], "tokenizer": tokenizer_identity(dataset.tokenizer),
        }
        extra = {"wiki": source.extra["wiki"]} if "wiki" in source.extra else {}
        self.manifest = Manifest(kind="blocks", inputs=[entry], parameters=parameters, schema=BLOCKS.to_string(),
                                 extra=extra)
        self.schema = BLOCKS
        self.inputs = [dataset.folder]
        self.rows = [s["rows"] for s in source.shards]

    def bar(self) -> Bar:
        return Bar(total=None, unit=" blocks", desc=f"packing epoch {self.epoch}",
                   shown=(("tokens", "tokens"), ("spans", "spans")))

    def batches(self, skip: Container[int]) -> Iterable[Batch]:
        for unit in range(len(self.rows)):
            if unit not in skip:
                yield Batch(shard=unit, payload=unit)

    def work(self) -> Callable[[Any], tuple[pa.RecordBatch, dict]]:
        return _PackShard(self.dataset, self.epoch)

    def shards(self) -> list[int]:
        return list(range(len(self.rows)))

    def pieces(self, workers: int, done: Container[int], parallel: Callable) -> list[Piece]:
        return [Piece(f"shard-{i:05d}", self, only={i}) for i in self.shards() if i not in done]

