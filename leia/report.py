"""What a folder of augmented shards holds, read from the shards themselves: ``stats`` (documents, mentions,
spans, coverage by source) and ``preview`` (a few documents with the spans highlighted)."""

from __future__ import annotations

import logging
import os
from collections import Counter
from typing import Iterator

import pyarrow as pa

from leia.augmenter import MENTION_SOURCES, NO_SPAN_REASONS, UNNAMED
from leia.errors import check_counts
from leia.io.manifest import Manifest, read_manifest
from leia.io.shards import iter_record_batches
from leia.schemas import MARKER_CLOSE, MARKER_OPEN

__all__ = ["stats", "preview", "PREVIEW_WIDTH"]

PREVIEW_WIDTH = 600  # characters of each document leia.preview and leia preview show

log = logging.getLogger(__name__)


def stats(folder: str | os.PathLike) -> dict:
    """Documents, mentions, spans and coverage (the share of mentions with an English name) of a folder of
    augmented shards, computed from the shards themselves; ``mentions_by_source`` counts every value of
    ``source`` (where the name came from, ``repeat``, or why there is no span), ``coverage_by_source`` gives
    the share of the mentions that may get a span by where their name came from
    (:data:`leia.augmenter.MENTION_SOURCES`), ``no_span_by_reason`` counts the others by reason
    (:data:`leia.augmenter.NO_SPAN_REASONS`)."""
    import pyarrow.compute as pc

    manifest = read_manifest(folder, "augmented")
    _warn_incomplete(folder, manifest)
    by_source: Counter = Counter()
    docs = mentions = spans = 0
    for rb in iter_record_batches(folder, "augmented"):
        docs += rb.num_rows
        flat = pc.list_flatten(rb.column("mentions"))
        mentions += len(flat)
        spans += pc.sum(flat.field("inserted").cast(pa.int64())).as_py() or 0
        for value, count in zip(*_value_counts(flat.field("source"))):
            by_source[value] += count
    named = sum(v for k, v in by_source.items() if k not in UNNAMED)
    return {
        "documents": docs, "mentions": mentions, "spans": spans,
        "coverage": named / mentions if mentions else 0.0,
        "coverage_by_source": {k: v / mentions for k, v in sorted(by_source.items()) if k in MENTION_SOURCES},
        "mentions_by_source": dict(sorted(by_source.items())),
        "no_span_by_reason": {k: by_source[k] for k in NO_SPAN_REASONS if by_source[k]},
        "parameters": manifest.parameters,
        "complete": manifest.complete,
    }


def _warn_incomplete(folder: str | os.PathLike, manifest: Manifest) -> None:
    if not manifest.complete:
        log.warning("%s: the run that writes it has not finished (%d shards so far); these figures cover the "
                    "finished shards only", folder, len(manifest.shards))


def _value_counts(array: pa.Array) -> tuple[list, list]:
    import pyarrow.compute as pc

    vc = pc.value_counts(array)
    return vc.field("values").to_pylist(), vc.field("counts").to_pylist()


def preview(folder: str | os.PathLike, n: int = 3, width: int = PREVIEW_WIDTH, color: bool = True) -> Iterator[str]:
    """The first ``n`` documents of an augmented folder, each under its title (its id when it has none) and
    cut to ``width`` characters, with the spans highlighted (ANSI colours when ``color``)."""
    check_counts(0, n=n)
    check_counts(width=width)
    _warn_incomplete(folder, read_manifest(folder, "augmented"))
    return _preview(folder, n, width, color)


def _preview(folder: str | os.PathLike, n: int, width: int, color: bool) -> Iterator[str]:
    open_, close = ("\x1b[1;36m", "\x1b[0m") if color else ("", "")
    shown = 0
    for rb in iter_record_batches(folder, "augmented"):
        for doc_id, title, text in zip(rb.column("id").to_pylist(), rb.column("title").to_pylist(),
                                       rb.column("text").to_pylist()):
            if shown >= n:
                return
            snippet = text[:width]
            if color:
                snippet = snippet.replace(MARKER_OPEN, open_ + MARKER_OPEN).replace(MARKER_CLOSE, MARKER_CLOSE + close)
                if snippet.rfind(open_) > snippet.rfind(close):
                    snippet += close  # cut inside a span
            yield f"== {title or f'document {doc_id}'} ==\n{snippet}"
            shown += 1
