"""Augmented text to token ids, the way the model should see it.

Tokenizing ``首都はカイロ<translate>Cairo</translate>。`` as one string lets the markers change the tokens
around them: the text after a special token is tokenized as if it began a new text (llm-jp's tokenizer puts
a bare "▁" after every ``</translate>``; a Llama-style tokenizer gives the first word of every name without
its word-initial "▁"). Here the text without spans is tokenized once, with offsets, and each span is put
between two tokens: the tokens outside the spans are exactly those of the plain text, the name has the
tokens it has in running English text (those of ``"The " + name`` after those of ``"The"``), and the
markers are the two added tokens. A span whose place falls inside a token (a mention ending inside a
token) is left out and counted.

:class:`TokenizedBatch` keeps a batch of augmented documents tokenized this way with every mention's place,
so that another draw of spans (another epoch, probability or strategy) only splices ids.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, NamedTuple, Sequence

import numpy as np

from leia.errors import ConfigError
from leia.schemas import MARKER_CLOSE, MARKER_OPEN
from leia.spans import SPAN_RE, draw_mask, strip_spans

from leia.training.tokens import leia_token_ids

__all__ = ["NAME_CONTEXT", "SpanEncoding", "SpanEncoder", "TokenizedBatch", "encode_spans"]

# The English text a name is tokenized after, so that its first word has its running-text form.
NAME_CONTEXT = "The"


class SpanEncoding(NamedTuple):
    """Token ids of augmented texts, with how many spans they held and how many of those were left out
    because their place falls inside a token."""

    input_ids: list[list[int]]
    spans: int
    spans_dropped: int


def encode_spans(
    texts: Sequence[str], tokenizer: Any, add_special_tokens: bool = False, *, max_length: int | None = None
) -> list[list[int]]:
    """Token ids of augmented texts: outside the spans exactly ``tokenizer(text without spans)``'s ids,
    inside each span ``<translate>``, the name's ids as in running English text, ``</translate>``.

    A span whose place falls inside a token of the plain text gets no ids (see :class:`SpanEncoder` for the
    counts). With ``add_special_tokens`` the tokenizer's own special tokens (a bos, llm-jp's end-of-document)
    are put around the text as ``tokenizer(text)`` does; ``max_length`` truncates the text on the tokenizer's
    ``truncation_side`` and keeps those special tokens, as ``tokenizer(text, truncation=True)`` does. Needs a
    fast tokenizer with the two markers added (:func:`leia.training.add_leia_tokens`).
    """
    return SpanEncoder(tokenizer).encode(texts, add_special_tokens, max_length=max_length).input_ids


def _split_spans(text: str) -> tuple[str, list[int], list[str]]:
    """The text without spans, and for each span its place in that text and its name."""
    if MARKER_OPEN not in text:
        return text, [], []
    pieces, places, names = [], [], []
    pos = length = 0
    for match in SPAN_RE.finditer(text):
        piece = text[pos:match.start()]
        pieces.append(piece)
        length += len(piece)
        places.append(length)
        names.append(match.group()[len(MARKER_OPEN):-len(MARKER_CLOSE)])
        pos = match.end()
    if not places:
        return text, [], []
    pieces.append(text[pos:])
    return "".join(pieces), places, names


def _token_index(offsets: Any, places: Sequence[int]) -> np.ndarray:
    """For each character place, the index of the token a span placed there goes before: the last index
    such that every earlier token ends at or before the place and every later one starts at or after it;
    -1 when the place falls inside a token."""
    offsets = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    places = np.asarray(places, dtype=np.int64)
    ends = np.concatenate([[-1], np.maximum.accumulate(offsets[:, 1])]) if len(offsets) else np.array([-1])
    starts = np.concatenate([np.minimum.accumulate(offsets[::-1, 0])[::-1], [np.iinfo(np.int64).max]])
    index = np.searchsorted(ends, places, side="right") - 1
    return np.where(starts[index] >= places, index, -1)


class SpanEncoder:
    """Encodes augmented text for one tokenizer (see the module's notes); each distinct name is tokenized
    once per encoder. ``stats`` counts ``names`` tokenized and ``names_out_of_context``: names whose tokens
    after ``"The "`` did not start a new token, tokenized on their own instead."""

    def __init__(self, tokenizer: Any):
        if not getattr(tokenizer, "is_fast", False):
            raise ConfigError(
                f"{type(tokenizer).__name__} is not a fast tokenizer: leia places spans with the token offsets "
                "only fast tokenizers give; load it with AutoTokenizer.from_pretrained(..., use_fast=True)"
            )
        self.tokenizer = tokenizer
        self.open_id, self.close_id = leia_token_ids(tokenizer)
        self.stats: Counter = Counter()
        self._names: dict[str, list[int]] = {}
        self._context = self._ids([NAME_CONTEXT])[0]
        with_specials = tokenizer("a", return_attention_mask=False)["input_ids"]
        bare = self._ids(["a"])[0]
        at = next((i for i in range(len(with_specials) - len(bare) + 1)
                   if with_specials[i:i + len(bare)] == bare), None)
        if at is None:
            raise ConfigError(f"{type(tokenizer).__name__}: cannot tell its special tokens from the text's")
        self.prefix = with_specials[:at]
        self.suffix = with_specials[at + len(bare):]

    def _ids(self, texts: list[str]) -> list[list[int]]:
        return self._tokenize(texts, offsets=False)["input_ids"]

    def _tokenize(self, texts: list[str], offsets: bool = True) -> Any:
        """``input_ids`` (and ``offset_mapping``) of texts without their special tokens."""
        if not texts:
            return {"input_ids": [], "offset_mapping": []}
        return self.tokenizer(
            texts, add_special_tokens=False, return_attention_mask=False, return_token_type_ids=False,
            return_offsets_mapping=offsets, verbose=False,
        )

    def names(self, names: Iterable[str]) -> list[list[int]]:
        """The ids of each name as it reads in running English text."""
        names = list(names)
        todo = sorted({n for n in names if n not in self._names})
        if todo:
            context = self._context
            for name, ids in zip(todo, self._ids([f"{NAME_CONTEXT} {n}" for n in todo])):
                if ids[:len(context)] == context and len(ids) > len(context):
                    self._names[name] = ids[len(context):]
                else:
                    self._names[name] = self._ids([name])[0] if name else []
                    self.stats["names_out_of_context"] += 1
            self.stats["names"] += len(todo)
        return [self._names[n] for n in names]

    def span(self, name_ids: list[int]) -> list[int]:
        return [self.open_id, *name_ids, self.close_id]

    def encode(
        self, texts: Sequence[str], add_special_tokens: bool = False, *, max_length: int | None = None
    ) -> SpanEncoding:
        """:func:`encode_spans` with its counts."""
        split = [_split_spans(t) for t in texts]
        has_spans = any(places for _, places, _ in split)
        encoded = self._tokenize([plain for plain, _, _ in split], offsets=has_spans)
        names = self.names(n for _, _, doc_names in split for n in doc_names) if has_spans else []
        out: list[list[int]] = []
        spans = dropped = used = 0
        for i, (_, places, _) in enumerate(split):
            ids = encoded["input_ids"][i]
            if places:
                index = _token_index(encoded["offset_mapping"][i], places)
                doc_names = names[used:used + len(places)]
                used += len(places)
                spans += len(places)
                dropped += int((index < 0).sum())
                parts: list[int] = []
                pos = 0
                for k, name_ids in zip(index.tolist(), doc_names):
                    if k < 0:
                        continue
                    parts += ids[pos:k]
                    parts += self.span(name_ids)
                    pos = k
                ids = parts + ids[pos:]
            out.append(self._finish(ids, add_special_tokens, max_length))
        return SpanEncoding(out, spans, dropped)

    def _finish(self, ids: list[int], add_special_tokens: bool, max_length: int | None) -> list[int]:
        affixes = len(self.prefix) + len(self.suffix) if add_special_tokens else 0
        if max_length is not None and len(ids) + affixes > max_length:
            keep = max(max_length - affixes, 0)
            ids = ids[len(ids) - keep:] if self.tokenizer.truncation_side == "left" else ids[:keep]
        return self.prefix + ids + self.suffix if add_special_tokens else ids


class Draw(NamedTuple):
    """One draw of spans over a :class:`TokenizedBatch`: every document's ids followed by ``eos``, one
    stream; ``lengths`` per document (its eos included)."""

    ids: np.ndarray
    lengths: np.ndarray
    spans: int
    spans_dropped: int


class TokenizedBatch:
    """A batch of augmented documents (``id``, ``text``, ``mentions`` with offsets into the text without
    spans) tokenized once: the plain text's ids, each mention's start and end as token indices (-1 where
    it falls inside a token) and each English name's ids. :meth:`draw` gives the ids of any draw of spans,
    the same ids :func:`encode_spans` gives for the text :func:`leia.training.redraw_spans` draws, for the
    ``right`` and ``left`` strategies. For ``replace`` the mention's tokens are taken out and the span put in
    their place (the ids of the plain text around them are kept as they are)."""

    def __init__(self, encoder: SpanEncoder, doc_ids: Sequence[int], texts: Sequence[str],
                 mentions: Sequence[Sequence[dict]]):
        plains = [strip_spans(t) for t in texts]
        encoded = encoder._tokenize(plains)
        lengths = np.array([len(x) for x in encoded["input_ids"]], dtype=np.int64)
        self.bounds = np.concatenate([[0], np.cumsum(lengths)])
        self.ids = np.fromiter((i for doc in encoded["input_ids"] for i in doc), dtype=np.int32,
                               count=int(self.bounds[-1]))
        self.doc_ids = np.asarray(doc_ids, dtype=np.int64)
        doc, ordinal, starts, ends, names = [], [], [], [], []
        for d, doc_mentions in enumerate(mentions):
            if not doc_mentions:
                continue
            places = [m["start"] for m in doc_mentions] + [m["end"] for m in doc_mentions]
            index = _token_index(encoded["offset_mapping"][d], places)
            index = np.where(index >= 0, index + self.bounds[d], -1)
            n = len(doc_mentions)
            doc.append(np.full(n, d))
            ordinal.append(np.arange(n))
            starts.append(index[:n])
            ends.append(index[n:])
            names += [m["english"] for m in doc_mentions]
        join = lambda parts: np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)  # noqa: E731
        self.mention_doc, self.mention_ordinal = join(doc), join(ordinal)
        self.mention_start, self.mention_end = join(starts), join(ends)
        known = sorted({n for n in names if n is not None})
        table = {n: i for i, n in enumerate(known)}
        self.mention_name = np.array([table[n] if n is not None else -1 for n in names], dtype=np.int64)
        self.spans = [np.asarray(encoder.span(ids), dtype=np.int32) for ids in encoder.names(known)]

    def __len__(self) -> int:
        return len(self.doc_ids)

    def draw(self, prob: float, strategy: str, seed: int, epoch: int, eos_id: int) -> Draw:
        chosen = draw_mask(self.doc_ids[self.mention_doc], self.mention_ordinal, prob, seed, epoch)
        chosen &= self.mention_name >= 0
        if strategy == "right":
            fits = self.mention_end >= 0
        elif strategy == "left":
            fits = self.mention_start >= 0
        else:
            fits = (self.mention_start >= 0) & (self.mention_end >= 0)
        dropped = int((chosen & ~fits).sum())
        picked = np.flatnonzero(chosen & fits)
        ids, bounds = self.ids, self.bounds
        place = self.mention_start[picked] if strategy != "right" else self.mention_end[picked]
        if strategy == "replace" and len(picked):
            change = np.zeros(len(ids) + 1, dtype=np.int64)
            np.add.at(change, self.mention_start[picked], 1)
            np.add.at(change, self.mention_end[picked], -1)
            keep = np.cumsum(change[:-1]) == 0
            kept_before = np.concatenate([[0], np.cumsum(keep)])
            ids, place, bounds = ids[keep], kept_before[place], kept_before[bounds]
        spans = [self.spans[n] for n in self.mention_name[picked]]
        span_lengths = np.array([len(s) for s in spans], dtype=np.int64)
        values = np.concatenate([*spans, np.full(len(self), eos_id, dtype=np.int32)]) if len(self) else ids[:0]
        where = np.concatenate([np.repeat(place, span_lengths), bounds[1:]]).astype(np.int64)
        # At one place, a document's spans go before its eos, and the next document's after it.
        owner = np.concatenate([np.repeat(2 * self.mention_doc[picked], span_lengths), 2 * np.arange(len(self)) + 1])
        order = np.lexsort((owner, where))
        at = where[order] + np.arange(len(where))
        stream = np.empty(len(ids) + len(values), dtype=np.int64)
        rest = np.ones(len(stream), dtype=bool)
        rest[at] = False
        stream[at] = values[order]
        stream[rest] = ids
        added = np.bincount(self.mention_doc[picked], weights=span_lengths, minlength=len(self)).astype(np.int64)
        lengths = np.diff(bounds) + added + 1
        return Draw(stream, lengths, int(chosen.sum()), dropped)
