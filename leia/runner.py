"""Running a step over an ordered stream of work batches: pure per-batch work in worker processes, all
writing in the parent, one shard file per shard index, the manifest updated as each shard completes, and
finished shards skipped on a rerun."""

from __future__ import annotations

import multiprocessing as mp
import sys
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import pyarrow as pa

from leia.shards import Manifest, ShardWriter, shard_name

__all__ = ["Batch", "run_shards"]

# A worker's answer for one batch: the rows (or a record batch) to write and what it counted.
WorkResult = tuple["pa.RecordBatch | list[dict]", dict]


@dataclass
class Batch:
    """One unit of work for shard ``shard``. ``counters`` holds what the reader counted while assembling it
    (pages skipped before any work, say); ``progress`` is how far the input advanced, for the progress bar."""

    shard: int
    payload: Any
    counters: dict = field(default_factory=dict)
    progress: int = 0


_WORK: Callable[[Any], WorkResult] | None = None


def _init_worker(work: Callable[[Any], WorkResult]) -> None:
    global _WORK
    _WORK = work


def _call(payload: Any) -> WorkResult:
    assert _WORK is not None
    return _WORK(payload)


def _context() -> mp.context.BaseContext:
    return mp.get_context("fork") if sys.platform.startswith("linux") else mp.get_context("spawn")


class _ShardSink:
    """Collects the results of one shard and publishes the file and its manifest entry when it ends."""

    def __init__(self, out: Path, manifest: Manifest, schema: pa.Schema, on_shard: Callable[[dict], None] | None):
        self.out, self.manifest, self.schema, self.on_shard = out, manifest, schema, on_shard
        self.index: int | None = None
        self.writer: ShardWriter | None = None
        self.counters: Counter = Counter()

    def add(self, shard: int, result: WorkResult, counters: dict) -> None:
        if shard != self.index:
            self.finish()
            self.index = shard
            self.writer = ShardWriter(self.out / shard_name(shard), self.schema)
            self.counters = Counter()
        rows, worked = result
        assert self.writer is not None
        if isinstance(rows, pa.RecordBatch):
            self.writer.write_batch(rows)
        else:
            self.writer.write_rows(rows)
        self.counters.update(counters)
        self.counters.update(worked)

    def finish(self) -> None:
        """List the shard in the manifest, then publish its file: a visible shard is always a listed one, so
        a run killed in between resumes (a listed shard whose file is absent is simply redone)."""
        if self.writer is None:
            return
        entry = {"index": self.index, "file": self.writer.path.name, "rows": self.writer.rows,
                 "counters": dict(sorted(self.counters.items()))}
        self.manifest.shards.append(entry)
        self.manifest.shards.sort(key=lambda s: s["index"])
        self.manifest.save(self.out)
        self.writer.close()
        if self.on_shard:
            self.on_shard(entry)
        self.writer = None

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()
            self.writer = None


def run_shards(
    batches: Iterable[Batch],
    work: Callable[[Any], WorkResult],
    *,
    out: Path,
    manifest: Manifest,
    schema: pa.Schema,
    workers: int = 1,
    on_batch: Callable[[Batch, WorkResult], None] | None = None,
    on_shard: Callable[[dict], None] | None = None,
) -> Manifest:
    """Apply ``work`` to every batch and write the results shard by shard, in input order.

    Batches of one shard must be consecutive. With ``workers`` > 1 the work runs in that many processes
    (forked, so ``work`` may close over read-only state such as an entity table); at most a few batches per
    worker are in flight, so memory does not grow with the input. The manifest is marked complete at the end.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    sink = _ShardSink(Path(out), manifest, schema, on_shard)
    try:
        if workers == 1:
            for batch in batches:
                result = work(batch.payload)
                sink.add(batch.shard, result, batch.counters)
                if on_batch:
                    on_batch(batch, result)
        else:
            ctx = _context()
            with ctx.Pool(workers, initializer=_init_worker, initargs=(work,)) as pool:
                pending: deque = deque()
                window = 4 * workers

                def drain_one() -> None:
                    batch, handle = pending.popleft()
                    result = handle.get()
                    sink.add(batch.shard, result, batch.counters)
                    if on_batch:
                        on_batch(batch, result)

                for batch in batches:
                    pending.append((batch, pool.apply_async(_call, (batch.payload,))))
                    if len(pending) >= window:
                        drain_one()
                while pending:
                    drain_one()
        sink.finish()
    except BaseException:
        sink.abort()
        raise
    manifest.complete = True
    manifest.save(Path(out))
    return manifest
