"""Placing ``<translate>English</translate>`` spans in a text: drawing which mentions get one, inserting them,
and taking them out again. Pure functions shared by the augmenter and training-time redrawing."""

from __future__ import annotations

import re
from typing import Iterable

import numpy as np

from leia.errors import ConfigError
from leia.schemas import MARKER_CLOSE, MARKER_OPEN

__all__ = ["STRATEGIES", "check_strategy", "span", "insert_spans", "draw_mask", "strip_spans", "SPAN_RE"]

# Where a span goes: after the mention, before it, or instead of it.
STRATEGIES = ("right", "left", "replace")

SPAN_RE = re.compile(re.escape(MARKER_OPEN) + ".*?" + re.escape(MARKER_CLOSE), re.DOTALL)


def check_strategy(strategy: str) -> None:
    """ConfigError unless ``strategy`` is one of :data:`STRATEGIES`."""
    if strategy not in STRATEGIES:
        raise ConfigError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")


def span(english: str) -> str:
    return f"{MARKER_OPEN}{english}{MARKER_CLOSE}"


def insert_spans(text: str, spans: Iterable[tuple[int, int, str]], strategy: str = "right") -> str:
    """Return ``text`` with a span for each ``(start, end, english)``; offsets are into ``text``.

    ``right`` puts the span after the mention, ``left`` before it, ``replace`` instead of it. Spans must not
    overlap; they are applied in offset order, building the result in one pass.
    """
    check_strategy(strategy)
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


def _splitmix64(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def draw_mask(doc_ids: np.ndarray, ordinals: np.ndarray, prob: float, seed: int = 0, epoch: int = 0) -> np.ndarray:
    """Whether each mention gets a span: a uniform draw that depends only on the seed, the epoch, the
    document id and the mention's position among the document's anchors, never on batching or workers."""
    if prob >= 1.0:
        return np.ones(len(doc_ids), dtype=bool)
    if prob <= 0.0:
        return np.zeros(len(doc_ids), dtype=bool)
    with np.errstate(over="ignore"):
        key = _splitmix64(np.asarray(doc_ids).astype(np.int64).view(np.uint64) ^ _splitmix64(
            np.full(1, (seed & 0xFFFFFFFF) << 32 | (epoch & 0xFFFFFFFF), dtype=np.uint64)))
        x = _splitmix64(key + np.asarray(ordinals).astype(np.uint64) * np.uint64(0xD1B54A32D192ED03))
    u = (x >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
    return u < prob


def strip_spans(text: str) -> str:
    """Remove every ``<translate>...</translate>`` span (markers and the name between them)."""
    return SPAN_RE.sub("", text)
