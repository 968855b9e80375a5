"""The local executor: runs any step (:mod:`leia.steps.protocol`) with this machine's processes. Pure
per-batch work in worker processes, all writing in the parent, one shard file per shard index, the manifest
updated as each shard completes, finished shards skipped on a rerun, a progress bar.

A worker that dies (the out-of-memory killer, a ``kill -9``) fails the run with :class:`~leia.errors.WorkerError`
naming the shard; Ctrl-C or SIGTERM stops it at once (:mod:`leia.execute.pool`). Either way the finished
shards are kept for the rerun that resumes.
"""

from __future__ import annotations

import logging
import os
from collections import Counter, deque
from pathlib import Path
from typing import Any, Callable, Container, Iterable, Mapping

import pyarrow as pa
from tqdm.auto import tqdm

from leia.errors import Interrupted, WorkerError, check_counts
from leia.execute.output import Output, Outputs, open_outputs, publish_shard
from leia.execute.parts import Part, Skipped
from leia.execute.pool import WorkerPool
from leia.io.folders import kept_note, remove_temporaries, resume_note
from leia.io.manifest import Manifest, shard_name
from leia.io.shards import ShardWriter
from leia.steps.protocol import Batch, Step, WorkResult

__all__ = ["run_step", "run_shards", "run_whole_shards"]

log = logging.getLogger(__name__)


class _ShardSink:
    """Collects the results of one shard for the main output and the side outputs, and publishes them when
    the shard ends (the side outputs first: a shard listed in the main output is finished everywhere)."""

    def __init__(self, outputs: Outputs, on_shard: Callable[[dict], None] | None):
        self.outputs, self.on_shard = outputs, on_shard
        self.index: int | None = None

    def add(self, shard: int, result: WorkResult, counters: dict, splits: tuple = ()) -> None:
        if shard != self.index:
            self.finish()
            self.index = shard
            for output in self.outputs.all:
                output.start(shard)
        main = self.outputs.main
        assert main.writer is not None
        _write(main.writer, result.rows, splits)
        main.counters.update(counters)
        main.counters.update(result.counters)
        for name, rows in result.sides.items():
            writer = self.outputs.sides[name].writer
            assert writer is not None
            writer.write(rows)

    def finish(self) -> None:
        if self.index is None or self.outputs.main.writer is None:
            return
        for side in self.outputs.sides.values():
            side.publish(self.index, {})
        entry = self.outputs.main.publish(self.index)
        if self.on_shard:
            self.on_shard(entry)

    def abort(self) -> None:
        for output in self.outputs.all:
            output.abort()


def run_shards(batches: Iterable[Batch], work: Callable[[Any], WorkResult | tuple], *, out: Path,
               manifest: Manifest, schema: pa.Schema, sides: dict[str, Output] | None = None, workers: int = 1,
               on_batch: Callable[[Batch, WorkResult], None] | None = None,
               on_shard: Callable[[dict], None] | None = None, total: int | None = None) -> Manifest:
    """Apply ``work`` to every batch and write the results shard by shard, in input order, into the folder
    ``out`` (opened with :func:`leia.io.folders.open_output`, whose manifest is ``manifest``).

    Batches of one shard must be consecutive. With ``workers`` > 1 the work runs in that many processes
    (forked, so ``work`` may close over read-only state such as an entity table); at most a few batches per
    worker are in flight, so memory does not grow with the input. ``sides`` are the step's side outputs, each
    written shard for shard with ``out``. The manifests are marked complete at the end. An interrupt or a dead
    worker says what the run kept (of ``total`` shards, when known).
    """
    check_counts(workers=workers)
    outputs = Outputs(Output(out, manifest, schema), sides)
    return _run_shards(batches, work, outputs, workers, on_batch, on_shard, total)


def _run_shards(batches: Iterable[Batch], work: Callable[[Any], WorkResult | tuple], outputs: Outputs,
                workers: int, on_batch: Callable[[Batch, WorkResult], None] | None,
                on_shard: Callable[[dict], None] | None, total: int | None) -> Manifest:
    sink = _ShardSink(outputs, on_shard)

    def add(batch: Batch, answer: WorkResult | tuple) -> None:
        result = WorkResult(*answer)
        sink.add(batch.shard, result, batch.counters, batch.splits)
        if on_batch:
            on_batch(batch, result)

    try:
        if workers == 1:
            for batch in batches:
                add(batch, work(batch.payload))
        else:
            with WorkerPool(work, workers) as pool:
                pending: deque = deque()
                for batch in batches:
                    pending.append((batch, pool.submit(batch.payload, batch.shard)))
                    if len(pending) >= 4 * workers:
                        batch, future = pending.popleft()
                        add(batch, pool.result(future))
                while pending:
                    batch, future = pending.popleft()
                    add(batch, pool.result(future))
        sink.finish()
    except BaseException as e:
        sink.abort()
        outputs.finish(failed=True)
        _say_what_was_kept(e, outputs.main, total)
        raise
    outputs.complete()
    return outputs.main.manifest


def _say_what_was_kept(e: BaseException, main: Output, total: int | None) -> None:
    """An interrupt or a dead worker, raised again with what the run kept (leia.io.folders.kept_note)."""
    if isinstance(e, (KeyboardInterrupt, WorkerError)) and not isinstance(e, Interrupted):
        note = kept_note(main.out, main.manifest, total)
        if isinstance(e, KeyboardInterrupt):
            raise Interrupted(note) from None
        raise WorkerError(f"{e}; {note}") from None


def _write(writer: ShardWriter, rows, splits: tuple) -> None:
    """Append a work result to a shard: as it is, or as record batches of ``splits`` rows (Batch.splits)."""
    if not splits:
        writer.write(rows)
        return
    assert sum(splits) == rows.num_rows, "a step that joins record batches must return a row for each row"
    start, none = 0, rows.slice(0, 0)
    for size in splits:
        # concatenated into buffers of its own: the bytes of the record batch worked on alone, padding and all
        writer.write(pa.concat_batches([rows.slice(start, size), none]))
        start += size


class _WholeShard:
    """Reads, works on and writes one shard; returns its manifest entry and the file it wrote."""

    def __init__(self, batches_of: Callable[[int], Iterable[Batch]], work: Callable[[Any], WorkResult | tuple],
                 out: Path, schema: pa.Schema):
        self.batches_of, self.work, self.out, self.schema = batches_of, work, out, schema

    def __call__(self, index: int) -> tuple[dict, Path]:
        # A temporary name of this process's own: a worker left running by a killed run never shares a file
        # with the run that resumes it.
        writer = ShardWriter(self.out / shard_name(index), self.schema)
        counters: Counter = Counter()
        try:
            for batch in self.batches_of(index):
                if batch.payload is None:  # the input read past a finished shard
                    continue
                result = WorkResult(*self.work(batch.payload))
                _write(writer, result.rows, batch.splits)
                counters.update(batch.counters)
                counters.update(result.counters)
            writer.close(publish=False)
        except BaseException:
            writer.abort()
            raise
        return writer.entry(index, counters), writer.tmp


class _BatchesOf:
    """The batches of one shard of a step, as a picklable callable."""

    def __init__(self, step: Step):
        self.step = step

    def __call__(self, index: int) -> Iterable[Batch]:
        return self.step.batches(Skipped(only={index}))


def run_whole_shards(shards: Iterable[int], batches_of: Callable[[int], Iterable[Batch]],
                     work: Callable[[Any], WorkResult | tuple], *, out: Path, manifest: Manifest,
                     schema: pa.Schema, workers: int, on_shard: Callable[[dict], None] | None = None,
                     total: int | None = None) -> Manifest:
    """Like :func:`run_shards` for an input already cut into shards: each worker process reads, works on
    and writes whole shards, so nothing but shard numbers and manifest entries passes between processes.
    Each shard file is made from the same batches as in :func:`run_shards`, so the files are identical."""
    return _run_whole_shards(shards, batches_of, work, Output(out, manifest, schema), workers, on_shard, total)


def _run_whole_shards(shards: Iterable[int], batches_of: Callable[[int], Iterable[Batch]],
                      work: Callable[[Any], WorkResult | tuple], main: Output, workers: int,
                      on_shard: Callable[[dict], None] | None, total: int | None) -> Manifest:
    task = _WholeShard(batches_of, work, main.out, main.schema)

    def publish(entry: dict, file: Path) -> None:
        publish_shard(main.out, main.manifest, entry, file)
        if on_shard:
            on_shard(entry)

    outputs = Outputs(main)
    try:
        if workers <= 1:
            for index in shards:
                publish(*task(index))
        else:
            with WorkerPool(task, workers) as pool:
                running = {pool.submit(index, index): index for index in shards}
                while running:
                    finished = pool.wait(running)
                    for future in sorted(finished, key=lambda f: running[f]):
                        running.pop(future)
                        publish(*pool.result(future))
    except BaseException as e:
        remove_temporaries(main.out)  # those of workers that were stopped or died
        outputs.finish(failed=True)
        _say_what_was_kept(e, main, total)
        raise
    outputs.complete()
    return main.manifest


def run_step(step: Step, output: str | os.PathLike, *, workers: int = 1, overwrite: bool = False,
             progress: bool = True, part: Part = Part(), only: Container[int] | None = None,
             exclude: Container[int] = frozenset(), sides: Mapping[str, str | os.PathLike] | None = None
             ) -> Manifest:
    """Run ``step`` on this machine with ``workers`` processes, writing its shards under ``output`` and those
    of its side outputs in their folders (in ``sides``, by sink name, when given): part ``part`` of the
    shards (those in ``only`` when given), less those in ``exclude`` and those a previous run finished. A
    progress bar unless ``progress`` is False. Returns the manifest."""
    check_counts(workers=workers)
    spec, work = step.bar(), step.work()  # (before the outputs are opened: either may refuse the input)
    listed = step.shards()
    whole = listed if workers > 1 and not step.sinks else None
    outputs = open_outputs(step, output, part, overwrite, sides)
    main = outputs.main
    done = outputs.done()
    skip = Skipped(part, done | set(exclude), only)
    total = None if listed is None else sum(1 for i in listed if i in part and (only is None or i in only))
    note = resume_note(main.out, main.manifest, total)
    if note:
        log.info("%s", note)
    # The bar starts where the earlier run stopped: at its rows when it counts documents; when it counts bytes
    # of a dump, the finished shards' bytes are read past (not parsed) and move it on (batches without payload).
    initial = sum(s["rows"] for s in main.manifest.shards if s["index"] in done) if spec.unit != "B" else 0
    bar = tqdm(total=spec.total or None, initial=initial, unit=spec.unit, unit_scale=spec.unit == "B",
               desc=spec.desc, disable=not progress, dynamic_ncols=True)
    seen: Counter = Counter(main.manifest.counters)

    def show(advance: int) -> None:
        bar.update(advance)
        bar.set_postfix({label: seen[name] for label, name in spec.shown}, refresh=False)

    def on_batch(batch: Batch, result: WorkResult) -> None:
        seen.update(batch.counters)
        seen.update(result.counters)
        show(batch.advance)

    def on_shard(entry: dict) -> None:
        seen.update(entry["counters"])
        show(entry["rows"])

    def batches() -> Iterable[Batch]:
        for batch in step.batches(skip):
            if batch.payload is None:  # the input read past a finished shard: it advanced, nothing to do
                show(batch.advance)
            else:
                yield batch

    try:
        if whole is not None:
            _run_whole_shards([i for i in whole if i not in skip], _BatchesOf(step), work, main, workers, on_shard,
                              total)
        else:
            _run_shards(batches(), work, outputs, workers, on_batch, None, total)
    finally:
        bar.close()
    return main.manifest
