"""Inference with a LEIA-trained model: keep it from opening ``<translate>`` spans, and strip spans from text
generated without that guard.

A LEIA model is trained with the loss on the two marker tokens masked, so it never learns when to open a span
itself. A model that went through ``leia.training.add_leia_tokens(tokenizer, model)`` carries the ban in its
``generation_config`` (``bad_words_ids``), saved with it, so plain ``generate()`` and ``pipeline()`` keep
``<translate>`` out; :class:`SuppressTranslateLogitsProcessor` does the same for a model saved without it, and
:func:`suppressed_token_ids` gives the ids to ban in serving stacks that ignore ``generation_config`` (vLLM's
``SamplingParams``). ``</translate>`` is never suppressed, so a span the prompt opened (a prompt ending in
``東京<translate>``) can be closed; no new span opens.

Importing this module imports torch and transformers (``pip install 'leia[train]'``); ``import leia`` does not.
"""

from __future__ import annotations

import warnings

from leia.errors import ConfigError, require
from leia.schemas import MARKER_CLOSE, MARKER_OPEN
from leia.spans import strip_spans

require("torch", "train")
require("transformers", "train")

import torch  # noqa: E402
from transformers import LogitsProcessor, LogitsProcessorList, PreTrainedTokenizerBase  # noqa: E402

__all__ = [
    "SuppressTranslateLogitsProcessor", "leia_logits_processors", "strip_translate_spans", "suppressed_token_ids",
]

# Texts a marker may follow, to find how the tokenizer spells it in running text when it is not one token.
_CONTEXTS = ("", "a", "a ", "東京", "。")


def _single_token_id(tokenizer: PreTrainedTokenizerBase, marker: str) -> int | None:
    ids = tokenizer(marker, add_special_tokens=False)["input_ids"]
    if len(ids) != 1 or ids[0] == tokenizer.unk_token_id:
        return None
    return int(ids[0])


def _spellings(tokenizer: PreTrainedTokenizerBase, marker: str) -> list[tuple[int, ...]]:
    """The token sequences that spell ``marker`` on its own and after a few typical texts."""
    found: list[tuple[int, ...]] = []
    for context in _CONTEXTS:
        before = tokenizer(context, add_special_tokens=False)["input_ids"] if context else []
        ids = tokenizer(context + marker, add_special_tokens=False)["input_ids"]
        if ids[: len(before)] != before or len(ids) == len(before):
            continue
        spelling = tuple(int(i) for i in ids[len(before) :])
        if spelling not in found:
            found.append(spelling)
    return found


class SuppressTranslateLogitsProcessor(LogitsProcessor):
    """Set the score of ``<translate>`` to ``-inf`` at every step.

    Works with greedy search, sampling and beam search, on batches, on any device; ``scores`` is never
    modified in place and every other score is returned unchanged. ``</translate>`` is never suppressed, so a
    span the prompt opened (``東京<translate>``) can be finished and closed; no span opens after it, and none
    opens inside it either.

    The marker token ids are looked up once, here. With a tokenizer that lacks the markers as single tokens
    (``leia.training.add_leia_tokens`` not applied) the marker is banned as token sequences instead, the way
    ``transformers.NoBadWordsLogitsProcessor`` bans a phrase: when a row ends with all but the last token of
    a spelling of ``<translate>``, that last token is suppressed. Only the spellings the tokenizer produces for
    the marker on its own and after a few typical texts are covered, so this mode warns; use
    :func:`strip_translate_spans` on its output as well.
    """

    def __init__(self, tokenizer: PreTrainedTokenizerBase):
        open_id = _single_token_id(tokenizer, MARKER_OPEN)
        self.open_id = open_id
        self.single_token = open_id is not None and _single_token_id(tokenizer, MARKER_CLOSE) is not None
        if self.single_token:
            self.open_spellings: list[tuple[int, ...]] = [(open_id,)]  # type: ignore[list-item]
        else:
            self.open_spellings = _spellings(tokenizer, MARKER_OPEN)
            if not self.open_spellings:
                raise ConfigError(f"this tokenizer has no tokens for {MARKER_OPEN}: there is nothing to suppress")
            shown = ", ".join(str(list(s)) for s in self.open_spellings)
            warnings.warn(
                f"{MARKER_OPEN} and {MARKER_CLOSE} are not single tokens in this tokenizer "
                "(leia.training.add_leia_tokens was not applied to it): suppressing "
                f"{MARKER_OPEN} as the banned token sequences {shown}, which cannot catch every way of "
                "spelling it; run strip_translate_spans() on the decoded text too.",
                UserWarning,
                stacklevel=2,
            )
        self._banned_ids = sorted({s[-1] for s in self.open_spellings})
        self._sequences: dict[tuple[tuple[int, ...], torch.device], torch.Tensor] = {}

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self._banned_ids[-1] >= scores.shape[-1]:
            raise ConfigError(
                f"token id {self._banned_ids[-1]} of {MARKER_OPEN} is outside the model's vocabulary of "
                f"{scores.shape[-1]}: resize the model's embeddings to the tokenizer "
                "(leia.training.add_leia_tokens(tokenizer, model))"
            )
        out = scores.clone()
        if self.single_token:
            out[:, self.open_id] = float("-inf")
            return out  # type: ignore[return-value]
        for token, rows in self._bans(input_ids).items():
            out[:, token] = out[:, token].masked_fill(rows, float("-inf"))
        return out  # type: ignore[return-value]

    def _bans(self, input_ids: torch.Tensor) -> dict[int, torch.Tensor]:
        """Token id -> the rows that end with all but that last token of a spelling of the opening marker."""
        length = input_ids.shape[-1]
        banned: dict[int, torch.Tensor] = {}
        for spelling in self.open_spellings:
            n = len(spelling) - 1
            if n > length:
                continue
            rows = torch.ones(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
            if n:
                prefix = self._sequence(spelling[:-1], input_ids.device)
                rows = (input_ids[:, length - n :] == prefix).all(-1)
            banned[spelling[-1]] = banned[spelling[-1]] | rows if spelling[-1] in banned else rows
        return banned

    def _sequence(self, spelling: tuple[int, ...], device: torch.device) -> torch.Tensor:
        key = (spelling, device)
        tensor = self._sequences.get(key)
        if tensor is None:
            tensor = torch.tensor(spelling, dtype=torch.long, device=device)
            self._sequences[key] = tensor
        return tensor


def suppressed_token_ids(tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """The token ids a LEIA model must never generate (``<translate>``), for a serving stack's own ban, e.g.
    vLLM's ``SamplingParams(logit_bias={i: -100 for i in ids})``. ConfigError unless the tokenizer holds the
    marker as one token (``leia.training.add_leia_tokens``)."""
    open_id = _single_token_id(tokenizer, MARKER_OPEN)
    if open_id is None:
        raise ConfigError(
            f"{MARKER_OPEN} is not a single token in this tokenizer: load the tokenizer saved with the LEIA model, "
            "or apply leia.training.add_leia_tokens(tokenizer) to it"
        )
    return [open_id]


def leia_logits_processors(tokenizer: PreTrainedTokenizerBase) -> LogitsProcessorList:
    """The processors a LEIA model needs at inference, ready for ``model.generate(logits_processor=...)`` or a
    ``text-generation`` pipeline call."""
    return LogitsProcessorList([SuppressTranslateLogitsProcessor(tokenizer)])


def strip_translate_spans(text: str) -> str:
    """Remove every ``<translate>...</translate>`` span and an unclosed ``<translate>...`` running to the end,
    for text generated without :class:`SuppressTranslateLogitsProcessor`. A ``</translate>`` with no opener is
    left as it is."""
    stripped = strip_spans(text)
    return stripped.split(MARKER_OPEN, 1)[0]
