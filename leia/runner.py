"""Running a step over an ordered stream of work batches: pure per-batch work in worker processes, all
writing in the parent, one shard file per shard index, the manifest updated as each shard completes, and
finished shards skipped on a rerun."""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import pyarrow as pa

from leia.shards import Manifest, ShardWriter, shard_name

__all__ = ["Batch", "run_shards", "run_whole_shards"]

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


def _die_with_parent() -> None:
    """Have the kernel kill this worker when the parent dies (Linux), so a killed run leaves no worker
    behind to write into the folder a rerun is resuming."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass


def _init_worker(work: Callable[[Any], WorkResult]) -> None:
    global _WORK
    _die_with_parent()
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
        self.writer.write(rows)
        self.counters.update(counters)
        self.counters.update(worked)

    def finish(self) -> None:
        """List the shard in the manifest, then publish its file: a visible shard is always a listed one, so
        a run killed in between resumes (a listed shard whose file is absent is simply redone)."""
        if self.writer is None:
            return
        entry = self.writer.entry(self.index, self.counters)
        self.manifest.add_shard(entry)
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


_SHARD_TASK: Callable[[int], tuple[dict, str]] | None = None


def _init_shard_worker(task: Callable[[int], tuple[dict, str]]) -> None:
    global _SHARD_TASK
    _die_with_parent()
    _SHARD_TASK = task


def _call_shard(index: int) -> tuple[dict, str]:
    assert _SHARD_TASK is not None
    return _SHARD_TASK(index)


class _WholeShard:
    """Reads, works on and writes one shard; returns its manifest entry."""

    def __init__(self, batches_of: Callable[[int], Iterable[Batch]], work: Callable[[Any], WorkResult],
                 out: Path, schema: pa.Schema):
        self.batches_of, self.work, self.out, self.schema = batches_of, work, out, schema

    def __call__(self, index: int) -> tuple[dict, str]:
        # A temporary name of this process's own: a worker left running by a killed run never shares a file
        # with the run that resumes it.
        writer = ShardWriter(self.out / shard_name(index), self.schema, tag=str(os.getpid()))
        counters: Counter = Counter()
        try:
            for batch in self.batches_of(index):
                rows, worked = self.work(batch.payload)
                writer.write(rows)
                counters.update(batch.counters)
                counters.update(worked)
            writer.close(publish=False)
        except BaseException:
            writer.abort()
            raise
        return writer.entry(index, counters), str(writer.tmp)


def run_whole_shards(
    shards: Iterable[int],
    batches_of: Callable[[int], Iterable[Batch]],
    work: Callable[[Any], WorkResult],
    *,
    out: Path,
    manifest: Manifest,
    schema: pa.Schema,
    workers: int,
    on_shard: Callable[[dict], None] | None = None,
) -> Manifest:
    """Like :func:`run_shards` for an input already cut into shards: each worker process reads, works on
    and writes whole shards, so nothing but shard numbers and manifest entries passes between processes.
    Each shard file is made from the same batches as in :func:`run_shards`, so the files are identical."""
    task = _WholeShard(batches_of, work, Path(out), schema)

    def publish(entry: dict, tmp: str) -> None:
        """List the shard, then give its file its name (the order of :class:`_ShardSink`)."""
        manifest.add_shard(entry)
        manifest.save(Path(out))
        os.replace(tmp, Path(out) / entry["file"])
        if on_shard:
            on_shard(entry)

    if workers <= 1:
        for index in shards:
            publish(*task(index))
    else:
        with _context().Pool(workers, initializer=_init_shard_worker, initargs=(task,)) as pool:
            for entry, tmp in pool.imap_unordered(_call_shard, list(shards)):
                publish(entry, tmp)
    manifest.complete = True
    manifest.save(Path(out))
    return manifest
