"""Placing ``<translate>English</translate>`` spans in a text: drawing which mentions get one, inserting them,
and taking them out again. Pure functions shared by the augmenter and training-time redrawing."""

from __future__ import annotations

import hashlib
import random
import re
from typing import Iterable, Sequence

from leia.schemas import MARKER_CLOSE, MARKER_OPEN

__all__ = ["STRATEGIES", "span", "insert_spans", "document_rng", "draw", "strip_spans", "SPAN_RE"]

STRATEGIES = ("right", "left", "replace")

SPAN_RE = re.compile(re.escape(MARKER_OPEN) + ".*?" + re.escape(MARKER_CLOSE), re.DOTALL)


def span(english: str) -> str:
    return f"{MARKER_OPEN}{english}{MARKER_CLOSE}"


def insert_spans(text: str, spans: Iterable[tuple[int, int, str]], strategy: str = "right") -> str:
    """Return ``text`` with a span for each ``(start, end, english)``; offsets are into ``text``.

    ``right`` puts the span after the mention, ``left`` before it, ``replace`` instead of it. Spans must not
    overlap; they are applied in offset order, building the result in one pass.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    parts: list[str] = []
    pos = 0
    for start, end, english in sorted(spans):
        if start < pos:
            raise ValueError(f"overlapping mentions at offset {start}")
        if strategy == "right":
            parts += (text[pos:end], span(english))
        elif strategy == "left":
            parts += (text[pos:start], span(english), text[start:end])
        else:
            parts += (text[pos:start], span(english))
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def document_rng(seed: int, doc_id: int, epoch: int = 0) -> random.Random:
    """The random stream of one document: a function of the seed, the document id and the epoch only, so
    a draw never depends on worker count, shard layout or resumption."""
    digest = hashlib.blake2b(f"{seed}:{doc_id}:{epoch}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "little"))


def draw(n: int, prob: float, rng: random.Random) -> list[bool]:
    """Which of ``n`` eligible mentions get a span; exactly one draw per mention, in mention order."""
    if not 0.0 <= prob <= 1.0:
        raise ValueError(f"prob must be between 0 and 1, got {prob}")
    if prob >= 1.0:
        return [True] * n
    if prob <= 0.0:
        return [False] * n
    return [rng.random() < prob for _ in range(n)]


def strip_spans(text: str) -> str:
    """Remove every ``<translate>...</translate>`` span (markers and the name between them)."""
    return SPAN_RE.sub("", text)
