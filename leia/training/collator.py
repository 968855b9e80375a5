"""A collator for ``transformers.Trainer`` that keeps the LEIA markers out of the loss."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from leia.training.encoding import SpanEncoder
from leia.training.tokens import leia_token_ids

__all__ = ["LeiaDataCollator"]


@dataclass
class LeiaDataCollator:
    """Pads a batch for causal language modelling and keeps the LEIA markers out of the loss.

    Features carry ``input_ids`` (a list or tensor; ``labels`` too, if every feature has them, are kept and
    masked further) or ``text``, augmented text turned into ids by :func:`leia.training.encode_spans` with the
    tokenizer's own special tokens. Sequences longer than ``max_length`` are truncated on the tokenizer's
    ``truncation_side``; padding goes on its ``padding_side``. Other columns are ignored, so
    ``Trainer(remove_unused_columns=False)`` works.

    ``labels`` are -100 (``label_pad_token_id``) on padding and on both markers; with ``mask_entity_names``
    also on the English name between them. A span left open by truncation is masked to the end of the
    sequence; a sequence that begins inside a span (a closing marker before any opening one) is masked up to
    that closing marker.

    Rows that hold several documents without attending across them: features with ``position_ids``
    (:class:`leia.training.PackedDataset` blocks) keep them, and with ``flatten=True`` the batch's features are
    put in one row by ``transformers.DataCollatorWithFlattening`` (position ids restarting at each feature,
    the label of each feature's first token -100). Either way the batch has no ``attention_mask``: transformers
    builds the block-causal mask from the position ids, as long as the model makes no cache, which
    ``Trainer`` sees to (it sets ``model.config.use_cache`` to ``TrainingArguments.use_cache``, False by
    default); in a loop of your own set ``model.config.use_cache = False`` first. The batch holds tensors only,
    so that accelerate can hand it out from one process to the others (``dispatch_batches``).
    """

    tokenizer: Any
    max_length: int | None = None
    mask_entity_names: bool = False
    pad_to_multiple_of: int | None = None
    label_pad_token_id: int = -100
    return_tensors: str = "pt"
    text_column: str = "text"
    flatten: bool = False
    open_id: int = field(init=False)
    close_id: int = field(init=False)
    _encoder: SpanEncoder | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        if self.return_tensors != "pt":
            raise ValueError(
                f"return_tensors={self.return_tensors!r} is not supported; leia collates torch tensors ('pt')"
            )
        if self.tokenizer.pad_token_id is None and not self.flatten:
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
        if self.pad_to_multiple_of and not self.flatten:
            width = -(-width // self.pad_to_multiple_of) * self.pad_to_multiple_of
        positions = torch.arange(width)
        if self.tokenizer.padding_side == "left" and not self.flatten:
            filled = positions >= (width - lengths)[:, None]
        else:
            filled = positions < lengths[:, None]
        pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        full = bool((lengths == width).all())
        input_ids = _rows(ids, filled, full, pad_id)
        if labels is None:
            label_ids = input_ids if full else input_ids.masked_fill(~filled, self.label_pad_token_id)
        else:
            label_ids = _rows(labels, filled, full, self.label_pad_token_id)
        is_open = input_ids == self.open_id
        is_close = input_ids == self.close_id
        masked = is_open | is_close
        if self.mask_entity_names:
            masked |= _inside_spans(is_open, is_close)
        label_ids = label_ids.masked_fill(masked, self.label_pad_token_id)
        if self.flatten:
            return self._flattened(input_ids, label_ids, lengths)
        batch = {"input_ids": input_ids, "attention_mask": filled.to(torch.long), "labels": label_ids}
        if all("position_ids" in f for f in features):
            given = [self._truncate(f["position_ids"]) for f in features]
            position_ids = _rows(given, filled, full, 0)
            if not full:
                position_ids = torch.where(filled, position_ids, positions)
            del batch["attention_mask"]
            batch["position_ids"] = position_ids
        return batch

    def _flattened(self, input_ids: Any, labels: Any, lengths: Any) -> dict[str, Any]:
        from transformers import DataCollatorWithFlattening

        rows = [{"input_ids": input_ids[i, :n], "labels": labels[i, :n]} for i, n in enumerate(lengths.tolist())]
        return DataCollatorWithFlattening(separator_id=self.label_pad_token_id)(rows)

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
            if self._encoder is None:
                self._encoder = SpanEncoder(self.tokenizer)
            encoded = self._encoder.encode(
                [features[i][self.text_column] for i in todo], add_special_tokens=True, max_length=self.max_length
            ).input_ids
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
        count = sum(len(r) for r in rows)
        return torch.from_numpy(np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64, count=count))
    return torch.cat([torch.as_tensor(r, dtype=torch.long).reshape(-1) for r in rows])


def _rows(rows: list[Any], filled: Any, full: bool, pad: int) -> Any:
    """The rows as one (rows, width) tensor, ``pad`` where ``filled`` is False."""
    flat = _flatten(rows)
    if full:
        return flat.view(filled.shape)
    out = torch.full(filled.shape, pad, dtype=torch.long)
    out[filled] = flat
    return out
