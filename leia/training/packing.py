"""Packing augmented shards into constant-length blocks for continued pre-training."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np
import pyarrow as pa
import torch

from leia.errors import ConfigError, InputError
from leia.io.shards import shard_paths
from leia.training.encoding import Draw, SpanEncoder, TokenizedBatch
from leia.training.redraw import REDRAWABLE, check_redraw
from leia.training.tokens import leia_token_ids

__all__ = ["Blocks", "pack", "PackedDataset"]


class Blocks(NamedTuple):
    """Packed blocks: ``input_ids`` and ``labels`` of shape (blocks, block_size), int64; ``position_ids``
    too when documents are kept apart."""

    input_ids: np.ndarray
    labels: np.ndarray
    spans_dropped: int
    tail_tokens_dropped: int
    padding: int
    position_ids: np.ndarray | None = None


def pack(
    token_ids: Sequence[int] | np.ndarray,
    block_size: int,
    open_id: int,
    close_id: int,
    pad_id: int,
    label_pad_token_id: int = -100,
    drop_tail: bool = False,
) -> Blocks:
    """Cut a stream of token ids (documents already joined by eos) into blocks of ``block_size`` tokens.

    Boundary rule: a span (an opening marker, the name, its closing marker) that would cross a block
    boundary is dropped whole, as if that mention had not been drawn, and counted in ``spans_dropped``; the
    text around it stays. A span that ends exactly at a boundary is kept. The last, partial block is padded
    with ``pad_id`` (labels ``label_pad_token_id``), or dropped with ``drop_tail``. Markers, and padding,
    get ``label_pad_token_id`` as labels.
    """
    packer = _Packer(block_size, open_id, close_id, pad_id, label_pad_token_id, drop_tail, separate=False)
    ids = np.asarray(token_ids, dtype=np.int64)
    parts = [packer.add(ids, np.array([len(ids)]))] + [packer.finish()]
    input_ids = np.concatenate([p.input_ids for p in parts])
    return Blocks(input_ids, np.concatenate([p.labels for p in parts]), packer.spans_dropped,
                  packer.tail_tokens_dropped, packer.padding)


def _span_pairs(ids: np.ndarray, open_id: int, close_id: int) -> list[tuple[int, int]]:
    """(open, close) positions of well-formed spans; a lone marker is left alone."""
    opens = np.flatnonzero(ids == open_id)
    closes = np.flatnonzero(ids == close_id)
    if len(opens) == len(closes) and (
        len(opens) == 0 or (np.all(opens < closes) and np.all(closes[:-1] < opens[1:]))
    ):
        return list(zip(opens.tolist(), closes.tolist()))
    pairs = []
    pending = None
    markers = sorted([(p, True) for p in opens.tolist()] + [(p, False) for p in closes.tolist()])
    for pos, is_open in markers:
        if is_open:
            pending = pos
        elif pending is not None:
            pairs.append((pending, pos))
            pending = None
    return pairs


class _Packer:
    """Cuts a stream fed piece by piece into blocks; what does not fill a block waits for the next piece.
    With ``separate``, each token knows its document: ``position_ids`` restart at each document (and at each
    block) and the label of a document's first token is ``label_pad_token_id``."""

    def __init__(self, block_size: int, open_id: int, close_id: int, pad_id: int, label_pad_token_id: int,
                 drop_tail: bool, separate: bool):
        if block_size < 1:
            raise ValueError(f"block_size must be positive, got {block_size}")
        self.block_size = block_size
        self.open_id, self.close_id, self.pad_id = open_id, close_id, pad_id
        self.label_pad_token_id = label_pad_token_id
        self.drop_tail = drop_tail
        self.separate = separate
        self.pending = np.zeros(0, dtype=np.int64)
        self.pending_docs = np.zeros(0, dtype=np.int64)
        self.documents = 0
        self.last_document = -2
        self.spans_dropped = self.tail_tokens_dropped = self.padding = 0

    def add(self, ids: np.ndarray, lengths: np.ndarray) -> Blocks:
        """Blocks completed by ``ids``: whole documents of ``lengths`` tokens."""
        docs = np.repeat(np.arange(self.documents, self.documents + len(lengths)), lengths)
        self.documents += len(lengths)
        ids = np.concatenate([self.pending, ids]) if len(self.pending) else ids
        docs = np.concatenate([self.pending_docs, docs]) if len(self.pending) else docs
        ids, docs = self._drop_crossing_spans(ids, docs)
        full = len(ids) // self.block_size * self.block_size
        self.pending, self.pending_docs = ids[full:], docs[full:]
        return self._blocks(ids[:full], docs[:full])

    def finish(self) -> Blocks:
        """The last, partial block: padded, or dropped with ``drop_tail``."""
        ids, docs = self.pending, self.pending_docs
        self.pending, self.pending_docs = ids[:0], docs[:0]
        if not len(ids) or self.drop_tail:
            self.tail_tokens_dropped += len(ids)
            return self._blocks(ids[:0], docs[:0])
        padding = self.block_size - len(ids)
        self.padding += padding
        blocks = self._blocks(np.concatenate([ids, np.full(padding, self.pad_id, dtype=np.int64)]),
                              np.concatenate([docs, np.full(padding, -1, dtype=np.int64)]))
        blocks.labels[-1, self.block_size - padding:] = self.label_pad_token_id
        return blocks

    def _drop_crossing_spans(self, ids: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        keep = None
        removed = 0
        size = self.block_size
        for start, end in _span_pairs(ids, self.open_id, self.close_id):
            if (start - removed) // size != (end - removed) // size:
                if keep is None:
                    keep = np.ones(len(ids), dtype=bool)
                keep[start:end + 1] = False
                removed += end - start + 1
                self.spans_dropped += 1
        return (ids, docs) if keep is None else (ids[keep], docs[keep])

    def _blocks(self, ids: np.ndarray, docs: np.ndarray) -> Blocks:
        size = self.block_size
        input_ids = ids.astype(np.int64, copy=False).reshape(-1, size)
        labels = np.where((input_ids == self.open_id) | (input_ids == self.close_id), self.label_pad_token_id,
                          input_ids)
        if not self.separate:
            return Blocks(input_ids, labels, 0, 0, 0)
        docs = docs.reshape(-1, size)
        first = np.ones_like(docs, dtype=bool)
        first[:, 1:] = docs[:, 1:] != docs[:, :-1]
        new_document = first.copy()
        if len(docs):
            new_document[1:, 0] = docs[1:, 0] != docs[:-1, -1]
            new_document[0, 0] = docs[0, 0] != self.last_document
            self.last_document = docs[-1, -1]
        labels[new_document] = self.label_pad_token_id
        index = np.arange(size)
        starts = np.maximum.accumulate(np.where(first, index, 0), axis=1)
        return Blocks(input_ids, labels, 0, 0, 0, index - starts)


class PackedDataset(torch.utils.data.IterableDataset):
    """Streams the documents of a folder of augmented shards (or of documents, without ``prob``) as blocks of
    exactly ``block_size`` tokens: dicts of ``input_ids``, ``labels`` and ``position_ids`` (int64 tensors),
    for continued pre-training.

    Each document's ids come from :func:`leia.training.encode_spans` and are followed by eos. The unit of work
    is one shard: shards are dealt round-robin to ``world_size`` ranks times the data loader's workers, and
    within a shard the blocks run on from one record batch to the next, so only the shard's last block is
    padded (or dropped with ``drop_tail``); the blocks are the same whatever the number of workers or ranks,
    with no shard read twice or missed. A span that would cross a block boundary is dropped whole (see
    :func:`pack`). Leave ``rank``/``world_size`` at 0/1 under ``Trainer``/accelerate on several processes,
    which splits the stream itself: by default the first process reads it and hands each process its part of
    every batch (``dispatch_batches``), and with ``dispatch_batches=False`` every process reads all of it and
    keeps its part; set them too and the stream is split twice. Either way each epoch's blocks are dealt once,
    and accelerate fills the last step of an epoch with blocks from its start (fewer than the processes). Set
    them only where every process reads for itself; ``leia train`` trains on
    :class:`leia.training.BlockDataset` instead, whose blocks are addressed by index.

    Documents are kept apart by default: ``position_ids`` restart at each document (and each block), the
    label of each document's first token is -100, and with :class:`LeiaDataCollator` (no attention mask) and a
    model that makes no cache (as ``Trainer`` leaves it) transformers gives each document attention to itself
    only. With
    ``cross_document_attention=True`` blocks carry no ``position_ids`` and attention runs across the
    documents of a block, as in the original implementation.

    With ``prob`` set, spans are redrawn for every document each epoch (the draw of
    :func:`leia.training.redraw_spans`), which needs shards built with the ``right`` or ``left`` strategy;
    otherwise the stored text is used as is. Each record batch is tokenized once per process and kept in
    memory (about 4 bytes per token); a redraw splices the kept ids. DataLoader workers keep it across
    epochs only with ``persistent_workers=True`` (``TrainingArguments(dataloader_persistent_workers=True)``);
    :meth:`set_epoch` reaches them there too. ``stats`` counts blocks, tokens, padding, documents tokenized,
    spans, spans dropped at block boundaries (``spans_dropped``) and spans whose place falls inside a token
    (``spans_inside_token``) in the process that iterates.
    """

    def __init__(
        self,
        folder: str | os.PathLike,
        tokenizer: Any,
        block_size: int,
        *,
        prob: float | None = None,
        strategy: str = "right",
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        drop_tail: bool = False,
        label_pad_token_id: int = -100,
        cross_document_attention: bool = False,
    ):
        if block_size < 1:
            raise ValueError(f"block_size must be positive, got {block_size}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank must be in [0, world_size), got rank={rank}, world_size={world_size}")
        if prob is not None:
            check_redraw(prob, strategy)
        if tokenizer.eos_token_id is None:
            raise ValueError("the tokenizer has no eos token to put between documents")
        self.folder = Path(folder)
        self.shards, parameters = _read_shard_list(self.folder, prob)
        built_with = parameters.get("strategy", "right")
        if prob is not None and built_with not in REDRAWABLE:
            raise ConfigError(
                f"{self.folder}: built with strategy {built_with!r}, which loses the mention text; redrawing "
                f"needs shards built with {' or '.join(REDRAWABLE)}"
            )
        self.tokenizer = tokenizer
        self.block_size = block_size
        self.prob = prob
        self.strategy = strategy
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.drop_tail = drop_tail
        self.label_pad_token_id = label_pad_token_id
        self.cross_document_attention = cross_document_attention
        self.open_id, self.close_id = leia_token_ids(tokenizer)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self._epoch = torch.zeros((), dtype=torch.int64).share_memory_()
        self._encoder: SpanEncoder | None = None
        self._cache: dict[tuple[int, int], Any] = {}
        self.stats: Counter = Counter()

    @property
    def epoch(self) -> int:
        return int(self._epoch)

    def set_epoch(self, epoch: int) -> None:
        self._epoch.fill_(int(epoch))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        info = torch.utils.data.get_worker_info()
        workers, worker = (info.num_workers, info.id) if info is not None else (1, 0)
        total = self.world_size * workers
        mine = self.rank * workers + worker
        epoch = self.epoch
        for unit in range(len(self.shards)):
            if unit % total == mine:
                for blocks in self.shard_blocks(unit, epoch):
                    yield from self._items(blocks)

    def shard_blocks(self, unit: int, epoch: int) -> Iterator[Blocks]:
        """The blocks of shard ``unit`` (its index in :attr:`shards`) in epoch ``epoch``, a few at a time, as
        iterating yields them; ``stats`` counts them."""
        packer = _Packer(self.block_size, self.open_id, self.close_id, self.pad_id, self.label_pad_token_id,
                         self.drop_tail, separate=not self.cross_document_attention)
        for index, batch in enumerate(_record_batches(self.shards[unit])):
            draw = self._draw(unit, index, batch, epoch)
            self.stats.update(documents=len(draw.lengths), spans=draw.spans, spans_inside_token=draw.spans_dropped)
            yield self._counted(packer.add(draw.ids, draw.lengths))
        yield self._counted(packer.finish())
        self.stats.update(spans_dropped=packer.spans_dropped, padding=packer.padding,
                          tail_tokens_dropped=packer.tail_tokens_dropped)

    def _counted(self, blocks: Blocks) -> Blocks:
        self.stats.update(blocks=len(blocks.input_ids), tokens=blocks.input_ids.size)
        return blocks

    def _items(self, blocks: Blocks) -> Iterator[dict[str, Any]]:
        input_ids, labels = torch.from_numpy(blocks.input_ids), torch.from_numpy(blocks.labels)
        if blocks.position_ids is None:
            for i in range(len(input_ids)):
                yield {"input_ids": input_ids[i], "labels": labels[i]}
            return
        position_ids = torch.from_numpy(blocks.position_ids)
        for i in range(len(input_ids)):
            yield {"input_ids": input_ids[i], "labels": labels[i], "position_ids": position_ids[i]}

    def _draw(self, unit: int, index: int, batch: pa.RecordBatch, epoch: int) -> Draw:
        key = (unit, index)
        cached = self._cache.get(key)
        if cached is None:
            if self._encoder is None:
                self._encoder = SpanEncoder(self.tokenizer)
            texts = batch.column("text").to_pylist()
            if self.prob is None:
                encoded = self._encoder.encode(texts)
                lengths = np.array([len(x) + 1 for x in encoded.input_ids], dtype=np.int64)
                eos = self.tokenizer.eos_token_id
                ids = np.fromiter((i for doc in encoded.input_ids for i in (*doc, eos)), dtype=np.int32,
                                  count=int(lengths.sum()))
                cached = Draw(ids, lengths, encoded.spans, encoded.spans_dropped)
            else:
                cached = TokenizedBatch(self._encoder, batch.column("id").to_pylist(), texts,
                                        batch.column("mentions").to_pylist())
            self._cache[key] = cached
            self.stats.update(documents_tokenized=batch.num_rows)
        if isinstance(cached, Draw):
            return cached
        return cached.draw(self.prob, self.strategy, self.seed, epoch, self.tokenizer.eos_token_id)


def _record_batches(path: Path) -> Iterator[pa.RecordBatch]:
    with pa.memory_map(str(path), "r") as source:
        yield from pa.ipc.open_stream(source)


def _read_shard_list(folder: Path, prob: float | None) -> tuple[list[Path], dict]:
    shards, manifest = shard_paths(folder)  # each checked against its size and checksum
    if manifest.kind not in ("augmented", "documents"):
        raise InputError(f"{folder}: holds {manifest.kind} shards; packing reads augmented shards or documents")
    if manifest.kind == "documents" and prob is not None:
        raise ConfigError(f"{folder}: holds documents, which have no spans to redraw; pack them with prob=None")
    return shards, dict(manifest.parameters)
