"""The two marker tokens: adding them to a tokenizer and a model, and finding their ids."""

from __future__ import annotations

import inspect
from typing import Any

from leia.schemas import MARKER_CLOSE, MARKER_OPEN

__all__ = ["MARKERS", "add_leia_tokens", "leia_token_ids"]

MARKERS = (MARKER_OPEN, MARKER_CLOSE)


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
    mean of the rows of the vocabulary the tokenizer had before. ``<translate>`` is added to the model's
    ``generation_config.bad_words_ids``, so that ``generate()`` and ``pipeline()`` on the model,
    saved and reloaded, never open a span without being told. Calling it again changes nothing.
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
        suppress_in_generation_config(model, [ids[0]])
    return ids


def suppress_in_generation_config(model: Any, token_ids: list[int]) -> None:
    """Ban ``token_ids`` in ``model.generation_config`` (kept with the model when saved), as one-token
    ``bad_words_ids``: transformers applies them as a fixed bias built once, where ``suppress_tokens`` rebuilds
    its mask over the vocabulary at every step."""
    config = getattr(model, "generation_config", None)
    if config is None:
        return
    current = [list(map(int, ids)) for ids in (config.bad_words_ids or [])]
    config.bad_words_ids = current + [[i] for i in token_ids if [i] not in current]


def _init_new_rows(model: Any, new_ids: list[int], vocab_before: int, vocab_after: int) -> None:
    import torch

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
