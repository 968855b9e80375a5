"""Training with LEIA corpora: the marker tokens, a collator that keeps the markers out of the loss, redrawing
spans each epoch as the paper did, and packing augmented shards into constant-length blocks.

Importing this module imports torch (``pip install 'leia[train]'``); transformers is only needed for the
tokenizer and model objects passed in.
"""

from __future__ import annotations

import inspect
import itertools
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, NamedTuple, Sequence

import numpy as np
import pyarrow as pa

from leia.errors import ConfigError, require
from leia.schemas import MARKER_CLOSE, MARKER_OPEN
from leia.shards import shard_paths
from leia.spans import STRATEGIES, draw_mask, insert_spans, strip_spans

torch = require("torch", "train")

__all__ = [
    "add_leia_tokens",
    "leia_token_ids",
    "LeiaDataCollator",
    "redraw_spans",
    "redraw_batch",
    "LeiaRedrawDataset",
    "Blocks",
    "pack",
    "PackedDataset",
]

MARKERS = (MARKER_OPEN, MARKER_CLOSE)
REDRAWABLE = ("right", "left")


def leia_token_ids(tokenizer: Any) -> tuple[int, int]:
    """The ids of ``<translate>`` and ``</translate>``; ValueError unless both are single added tokens."""
    added = tokenizer.get_added_vocab()
    missing = [m for m in MARKERS if m not in added]
    if missing:
        raise ValueError(
            f"the tokenizer does not hold {' and '.join(missing)} as single tokens; call "
            "leia.training.add_leia_tokens(tokenizer, model) first"
        )
    return added[MARKER_OPEN], added[MARKER_CLOSE]


def add_leia_tokens(tokenizer: Any, model: Any = None) -> tuple[int, int]:
    """Add ``<translate>`` and ``</translate>`` to ``tokenizer`` as additional special tokens (kept whole,
    existing additional special tokens kept) and return their ids.

    With a model, embeddings too small for the tokenizer are resized (output embeddings as well when they
    are not tied), and every row created here, or belonging to a marker added by this call, is set to the
    mean of the rows of the vocabulary the tokenizer had before. Calling it again changes nothing.
    """
    vocab_before = len(tokenizer)
    added = tokenizer.get_added_vocab()
    missing = [m for m in MARKERS if m not in added]
    if missing:
        params = inspect.signature(tokenizer.add_special_tokens).parameters
        if "replace_extra_special_tokens" in params:
            tokenizer.add_special_tokens({"additional_special_tokens": missing}, replace_extra_special_tokens=False)
        elif "replace_additional_special_tokens" in params:
            tokenizer.add_special_tokens(
                {"additional_special_tokens": missing}, replace_additional_special_tokens=False
            )
        else:
            existing = [str(t) for t in getattr(tokenizer, "additional_special_tokens", [])]
            tokenizer.add_special_tokens({"additional_special_tokens": existing + missing})
    ids = leia_token_ids(tokenizer)
    if model is not None:
        _init_new_rows(model, [i for m, i in zip(MARKERS, ids) if m in missing], vocab_before, len(tokenizer))
    return ids


def _init_new_rows(model: Any, new_ids: list[int], vocab_before: int, vocab_after: int) -> None:
    rows = model.get_input_embeddings().weight.shape[0]
    fresh = set(new_ids)
    if rows < vocab_after:
        kwargs = {}
        if "mean_resizing" in inspect.signature(model.resize_token_embeddings).parameters:
            kwargs["mean_resizing"] = False
        model.resize_token_embeddings(vocab_after, **kwargs)
        fresh.update(range(rows, vocab_after))
    if not fresh:
        return
    reference = min(vocab_before, rows)
    index = torch.tensor(sorted(fresh), dtype=torch.long)
    inputs = model.get_input_embeddings()
    outputs = model.get_output_embeddings()
    with torch.no_grad():
        _fill_with_mean(inputs.weight, index, reference)
        if outputs is not None and outputs.weight is not inputs.weight:
            _fill_with_mean(outputs.weight, index, reference)
            if getattr(outputs, "bias", None) is not None:
                _fill_with_mean(outputs.bias, index, reference)


def _fill_with_mean(weight: Any, index: Any, reference: int) -> None:
    mean = weight[:reference].float().mean(dim=0).to(weight.dtype)
    weight[index.to(weight.device)] = mean


@dataclass
class LeiaDataCollator:
    """Pads a batch for causal language modelling and keeps the LEIA markers out of the loss.

    Features carry ``input_ids`` (a list or tensor; ``labels`` too, if every feature has them, are kept and
    masked further) or ``text``, tokenised here with the tokenizer's own special tokens. Sequences longer
    than ``max_length`` are truncated on the tokenizer's ``truncation_side``; padding goes on its
    ``padding_side``. Other columns are ignored, so ``Trainer(remove_unused_columns=False)`` works.

    ``labels`` are -100 (``label_pad_token_id``) on padding and on both markers; with ``mask_entity_names``
    also on the English name between them. A span left open by truncation is masked to the end of the
    sequence; a sequence that begins inside a span (a closing marker before any opening one) is masked up to
    that closing marker.
    """

    tokenizer: Any
    max_length: int | None = None
    mask_entity_names: bool = False
    pad_to_multiple_of: int | None = None
    label_pad_token_id: int = -100
    return_tensors: str = "pt"
    text_column: str = "text"
    open_id: int = field(init=False)
    close_id: int = field(init=False)

    def __post_init__(self) -> None:
        if self.return_tensors != "pt":
            raise ValueError(
                f"return_tensors={self.return_tensors!r} is not supported; leia collates torch tensors ('pt')"
            )
        if self.tokenizer.pad_token_id is None:
            raise ValueError(
                "the tokenizer has no pad token; set one first, e.g. tokenizer.pad_token = tokenizer.eos_token"
            )
        if self.max_length is not None and self.max_length < 1:
            raise ValueError(f"max_length must be positive, got {self.max_length}")
        self.open_id, self.close_id = leia_token_ids(self.tokenizer)

    def __call__(self, features: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        ids = self._input_ids(features)
        labels = [f["labels"] for f in features] if all("labels" in f for f in features) else None
        if labels is not None:
            labels = [self._truncate(x) for x in labels]
        lengths = torch.tensor([len(x) for x in ids], dtype=torch.long)
        width = int(lengths.max()) if len(ids) else 0
        if self.pad_to_multiple_of:
            width = -(-width // self.pad_to_multiple_of) * self.pad_to_multiple_of
        positions = torch.arange(width)
        if self.tokenizer.padding_side == "left":
            filled = positions >= (width - lengths)[:, None]
        else:
            filled = positions < lengths[:, None]
        input_ids = torch.full((len(ids), width), self.tokenizer.pad_token_id, dtype=torch.long)
        input_ids[filled] = _flatten(ids)
        label_ids = torch.full_like(input_ids, self.label_pad_token_id)
        label_ids[filled] = input_ids[filled] if labels is None else _flatten(labels)
        is_open = input_ids == self.open_id
        is_close = input_ids == self.close_id
        masked = is_open | is_close
        if self.mask_entity_names:
            masked |= _inside_spans(is_open, is_close)
        return {
            "input_ids": input_ids,
            "attention_mask": filled.to(torch.long),
            "labels": label_ids.masked_fill(masked, self.label_pad_token_id),
        }

    def _input_ids(self, features: Sequence[Mapping[str, Any]]) -> list[Any]:
        if not features:
            raise ValueError("LeiaDataCollator got an empty batch")
        ids: list[Any] = [f.get("input_ids") for f in features]
        for x in ids:
            if x is not None and getattr(x, "ndim", 1) != 1:
                raise ValueError(f"input_ids of one feature must be one sequence (1-D), got shape {tuple(x.shape)}; "
                                 "give each example its own feature")
        todo = [i for i, x in enumerate(ids) if x is None]
        if todo:
            encoded = self.tokenizer(
                [features[i][self.text_column] for i in todo],
                truncation=self.max_length is not None,
                max_length=self.max_length,
                return_attention_mask=False,
            )["input_ids"]
            for i, x in zip(todo, encoded):
                ids[i] = x
        return [self._truncate(x) for x in ids]

    def _truncate(self, ids: Any) -> Any:
        if self.max_length is None or len(ids) <= self.max_length:
            return ids
        if self.tokenizer.truncation_side == "left":
            return ids[len(ids) - self.max_length:]
        return ids[: self.max_length]


def _inside_spans(is_open: Any, is_close: Any) -> Any:
    """Per token, whether it lies inside a span: the nearest marker before it opens one, or there is none
    and the first marker of the row closes one (a sequence cut inside a span)."""
    width = is_open.shape[1]
    positions = torch.arange(width).expand_as(is_open)
    marker = is_open | is_close
    last = torch.where(marker, positions, -1).cummax(dim=1).values
    inside = (last >= 0) & is_open.gather(1, last.clamp(min=0))
    first = torch.where(marker, positions, width).min(dim=1).values
    starts_inside = (first < width) & is_close.gather(1, first.clamp(max=max(width - 1, 0))[:, None]).squeeze(1)
    return inside | (starts_inside[:, None] & (positions < first[:, None]))


def _flatten(rows: list[Any]) -> Any:
    if all(isinstance(r, list) for r in rows):
        return torch.tensor(list(itertools.chain.from_iterable(rows)), dtype=torch.long)
    return torch.cat([torch.as_tensor(r, dtype=torch.long).reshape(-1) for r in rows])


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


def _check_redraw(prob: float, strategy: str) -> None:
    if not 0.0 <= prob <= 1.0:
        raise ValueError(f"prob must be between 0 and 1, got {prob}")
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")


class LeiaRedrawDataset(torch.utils.data.Dataset):
    """A map-style view of augmented documents that redraws the spans of each document every epoch.

    ``set_epoch`` is called by accelerate's data loaders in single-process ``Trainer`` runs; elsewhere call
    it at the start of each epoch (before the data loader's workers start).
    """

    def __init__(self, documents: Any, prob: float = 0.5, strategy: str = "right", seed: int = 0):
        _check_redraw(prob, strategy)
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


class Blocks(NamedTuple):
    """Packed blocks: ``input_ids`` and ``labels`` of shape (blocks, block_size), int64."""

    input_ids: np.ndarray
    labels: np.ndarray
    spans_dropped: int
    tail_tokens_dropped: int
    padding: int


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
    if block_size < 1:
        raise ValueError(f"block_size must be positive, got {block_size}")
    ids = np.asarray(token_ids, dtype=np.int64)
    keep = np.ones(len(ids), dtype=bool)
    removed = dropped = 0
    for start, end in _span_pairs(ids, open_id, close_id):
        if (start - removed) // block_size != (end - removed) // block_size:
            keep[start:end + 1] = False
            removed += end - start + 1
            dropped += 1
    if removed:
        ids = ids[keep]
    full = len(ids) // block_size
    tail = len(ids) - full * block_size
    padding = 0
    if tail and drop_tail:
        ids = ids[: full * block_size]
    elif tail:
        padding = block_size - tail
        ids = np.concatenate([ids, np.full(padding, pad_id, dtype=np.int64)])
    input_ids = ids.reshape(-1, block_size)
    labels = np.where((input_ids == open_id) | (input_ids == close_id), label_pad_token_id, input_ids)
    if padding:
        labels[-1, block_size - padding:] = label_pad_token_id
    return Blocks(input_ids, labels, dropped, tail if drop_tail else 0, padding)


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


class PackedDataset(torch.utils.data.IterableDataset):
    """Streams the documents of a folder of augmented shards as blocks of exactly ``block_size`` tokens:
    dicts of ``input_ids`` and ``labels`` (int64 tensors), for continued pre-training.

    Documents are tokenised without the tokenizer's own special tokens and each is followed by eos. The unit
    of work is one record batch of one shard: units are dealt round-robin to ``world_size`` ranks times the
    data loader's workers, and each unit is packed on its own (see :func:`pack` for the boundary rule and the
    padded last block), so the blocks are the same whatever the number of workers or ranks, with no unit
    read twice or missed. Leave ``rank``/``world_size`` at 0/1 under ``Trainer``/accelerate, which hand each
    process its own batches; set them when every process reads for itself.

    With ``prob`` set, spans are redrawn for every document each epoch (:func:`redraw_spans`), which needs
    shards built with the ``right`` or ``left`` strategy; otherwise the stored text is used as is.
    ``stats`` counts blocks, tokens, padding and dropped spans in the process that iterates.
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
    ):
        if block_size < 1:
            raise ValueError(f"block_size must be positive, got {block_size}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank must be in [0, world_size), got rank={rank}, world_size={world_size}")
        if prob is not None:
            _check_redraw(prob, strategy)
        if tokenizer.eos_token_id is None:
            raise ValueError("the tokenizer has no eos token to put between documents")
        self.folder = Path(folder)
        self.shards, parameters = _read_shard_list(self.folder)
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
        self.open_id, self.close_id = leia_token_ids(tokenizer)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.epoch = 0
        self.stats: Counter = Counter()

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        info = torch.utils.data.get_worker_info()
        workers, worker = (info.num_workers, info.id) if info is not None else (1, 0)
        total = self.world_size * workers
        mine = self.rank * workers + worker
        for unit, batch in enumerate(self._record_batches()):
            if unit % total != mine:
                continue
            blocks = pack(
                self._tokens(batch), self.block_size, self.open_id, self.close_id, self.pad_id,
                self.label_pad_token_id, self.drop_tail,
            )
            self.stats.update(
                documents=batch.num_rows, blocks=len(blocks.input_ids), tokens=blocks.input_ids.size,
                padding=blocks.padding, spans_dropped=blocks.spans_dropped,
                tail_tokens_dropped=blocks.tail_tokens_dropped,
            )
            for input_ids, labels in zip(torch.from_numpy(blocks.input_ids), torch.from_numpy(blocks.labels)):
                yield {"input_ids": input_ids, "labels": labels}

    def _record_batches(self) -> Iterator[pa.RecordBatch]:
        for path in self.shards:
            with pa.memory_map(str(path), "r") as source:
                yield from pa.ipc.open_stream(source)

    def _tokens(self, batch: pa.RecordBatch) -> np.ndarray:
        texts = batch.column("text").to_pylist()
        if self.prob is not None:
            columns = {"id": batch.column("id").to_pylist(), "text": texts,
                       "mentions": batch.column("mentions").to_pylist()}
            texts = redraw_batch(columns, self.prob, self.strategy, self.seed, self.epoch)["text"]
        if not texts:
            return np.zeros(0, dtype=np.int64)
        encoded = self.tokenizer(texts, add_special_tokens=False, return_attention_mask=False, verbose=False)
        eos = [self.tokenizer.eos_token_id]
        docs = encoded["input_ids"]
        count = sum(len(d) for d in docs) + len(docs)
        return np.fromiter(
            itertools.chain.from_iterable(itertools.chain(d, eos) for d in docs), dtype=np.int64, count=count
        )


def _read_shard_list(folder: Path) -> tuple[list[Path], dict]:
    shards, manifest = shard_paths(folder, "augmented")  # each checked against its size and checksum
    return shards, dict(manifest.parameters)
