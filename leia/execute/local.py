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
from typing import Any, Callable, Container, Iterable

import pyarrow as pa
from tqdm.auto import tqdm

from leia.errors import Interrupted, WorkerError, check_counts
from leia.execute.parts import Part, Selection
from leia.execute.pool import WorkerPool, interrupts_after
from leia.io.folders import finish_output, kept_note, open_output, remove_temporaries, resume_note
from leia.io.manifest import Manifest, shard_name
from leia.io.shards import ShardWriter
from leia.steps.protocol import Batch, Step, WorkResult, side_outputs

__all__ = ["run_step", "run_shards", "run_whole_shards", "Output"]

log = logging.getLogger(__name__)


class Output:
    """One output folder of a run: its manifest, and the shard being written."""

    def __init__(self, out: Path, manifest: Manifest, schema: pa.Schema):
        self.out, self.manifest, self.schema = Path(out), manifest, schema
        self.writer: ShardWriter | None = None
        self.counters: Counter = Counter()

    def start(self, index: int) -> None:
        self.writer = ShardWriter(self.out / shard_name(index), self.schema)
        self.counters = Counter()

    def publish(self, index: int, counters: dict | None = None) -> dict:
        """List the shard in the manifest, then publish its file: a visible shard is always a listed one, so
        a run killed in between resumes (a listed shard whose file is absent is simply redone)."""
        assert self.writer is not None
        self.writer.close(publish=False)
        entry = self.writer.entry(index, self.counters if counters is None else counters)
        with interrupts_after():
            self.manifest.add_shard(entry)
            self.manifest.save(self.out, card=False)
            self.writer.publish()
            self.manifest.save_card(self.out)
        self.writer = None
        return entry

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()
            self.writer = None

    def complete(self) -> None:
        self.manifest.complete = True
        self.manifest.save(self.out)


class _ShardSink:
    """Collects the results of one shard for the main output and the side outputs, and publishes them when
    the shard ends (the side outputs first: a shard listed in the main output is finished everywhere)."""

    def __init__(self, main: Output, sides: dict[str, Output], on_shard: Callable[[dict], None] | None):
        self.main, self.sides, self.on_shard = main, sides, on_shard
        self.index: int | None = None

    def add(self, shard: int, result: WorkResult, counters: dict, splits: tuple = ()) -> None:
        if shard != self.index:
            self.finish()
            self.index = shard
            for output in self.outputs:
                output.start(shard)
        rows, worked = result[0], result[1]
        assert self.main.writer is not None
        _write(self.main.writer, rows, splits)
        self.main.counters.update(counters)
        self.main.counters.update(worked)
        for name, side_rows in side_outputs(result).items():
            writer = self.sides[name].writer
            assert writer is not None
            writer.write(side_rows)

    @property
    def outputs(self) -> list[Output]:
        return [*self.sides.values(), self.main]

    def finish(self) -> None:
        if self.index is None or self.main.writer is None:
            return
        for side in self.sides.values():
            side.publish(self.index, {})
        entry = self.main.publish(self.index)
        if self.on_shard:
            self.on_shard(entry)

    def abort(self) -> None:
        for output in self.outputs:
            output.abort()


def run_shards(batches: Iterable[Batch], work: Callable[[Any], WorkResult], *, out: Path, manifest: Manifest,
               schema: pa.Schema, sides: dict[str, Output] | None = None, workers: int = 1,
               on_batch: Callable[[Batch, WorkResult], None] | None = None,
               on_shard: Callable[[dict], None] | None = None, total: int | None = None) -> Manifest:
    """Apply ``work`` to every batch and write the results shard by shard, in input order.

    Batches of one shard must be consecutive. With ``workers`` > 1 the work runs in that many processes
    (forked, so ``work`` may close over read-only state such as an entity table); at most a few batches per
    worker are in flight, so memory does not grow with the input. ``sides`` are the step's side outputs, each
    written shard for shard with ``out``. The manifests are marked complete at the end. An interrupt or a dead
    worker says what the run kept (of ``total`` shards, when known).
    """
    check_counts(workers=workers)
    main = Output(out, manifest, schema)
    sides = sides or {}
    sink = _ShardSink(main, sides, on_shard)

    def add(batch: Batch, result: WorkResult) -> None:
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
        for output in sink.outputs:
            finish_output(output.out, failed=True)
        _say_what_was_kept(e, main, total)
        raise
    return _complete(main, list(sides.values()))


def _say_what_was_kept(e: BaseException, main: Output, total: int | None) -> None:
    """An interrupt or a dead worker, raised again with what the run kept (leia.io.folders.kept_note)."""
    if isinstance(e, (KeyboardInterrupt, WorkerError)) and not isinstance(e, Interrupted):
        note = kept_note(main.out, main.manifest, total)
        if isinstance(e, KeyboardInterrupt):
            raise Interrupted(note) from None
        raise WorkerError(f"{e}; {note}") from None


def _complete(main: Output, sides: list[Output]) -> Manifest:
    """Mark the run complete in its manifests and end it."""
    try:
        for output in [*sides, main]:
            output.complete()
    finally:
        for output in [*sides, main]:
            finish_output(output.out)
    return main.manifest


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

    def __init__(self, batches_of: Callable[[int], Iterable[Batch]], work: Callable[[Any], WorkResult],
                 out: Path, schema: pa.Schema):
        self.batches_of, self.work, self.out, self.schema = batches_of, work, out, schema

    def __call__(self, index: int) -> tuple[dict, str]:
        # A temporary name of this process's own: a worker left running by a killed run never shares a file
        # with the run that resumes it.
        writer = ShardWriter(self.out / shard_name(index), self.schema)
        counters: Counter = Counter()
        try:
            for batch in self.batches_of(index):
                if batch.payload is None:  # the input read past a finished shard
                    continue
                rows, worked = self.work(batch.payload)[:2]
                _write(writer, rows, batch.splits)
                counters.update(batch.counters)
                counters.update(worked)
            writer.close(publish=False)
        except BaseException:
            writer.abort()
            raise
        return writer.entry(index, counters), str(writer.tmp)


class _BatchesOf:
    """The batches of one shard of a step, as a picklable callable."""

    def __init__(self, step: Step):
        self.step = step

    def __call__(self, index: int) -> Iterable[Batch]:
        return self.step.batches(Selection(only={index}))


def run_whole_shards(shards: Iterable[int], batches_of: Callable[[int], Iterable[Batch]],
                     work: Callable[[Any], WorkResult], *, out: Path, manifest: Manifest, schema: pa.Schema,
                     workers: int, on_shard: Callable[[dict], None] | None = None,
                     total: int | None = None) -> Manifest:
    """Like :func:`run_shards` for an input already cut into shards: each worker process reads, works on
    and writes whole shards, so nothing but shard numbers and manifest entries passes between processes.
    Each shard file is made from the same batches as in :func:`run_shards`, so the files are identical."""
    main = Output(out, manifest, schema)
    task = _WholeShard(batches_of, work, main.out, schema)

    def publish(entry: dict, tmp: str) -> None:
        """List the shard, then give its file its name (the order of :meth:`Output.publish`)."""
        with interrupts_after():
            main.manifest.add_shard(entry)
            main.manifest.save(main.out, card=False)
            os.replace(tmp, main.out / entry["file"])
            main.manifest.save_card(main.out)
        if on_shard:
            on_shard(entry)

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
        finish_output(main.out, failed=True)
        _say_what_was_kept(e, main, total)
        raise
    return _complete(main, [])


def _open(folder: str | os.PathLike, manifest: Manifest, schema: pa.Schema, part: Part, overwrite: bool,
          inputs: tuple) -> Output:
    out, manifest = open_output(folder, part.mark(manifest), overwrite=overwrite, inputs=inputs)
    return Output(out, manifest, schema)


def _open_all(step: Step, output: str | os.PathLike, part: Part, overwrite: bool) -> tuple[Output, dict[str, Output]]:
    inputs = tuple(step.inputs)
    main = _open(output, step.manifest, step.schema, part, overwrite, inputs)
    sides: dict[str, Output] = {}
    try:
        for name, sink in step.sinks.items():
            sides[name] = _open(sink.folder, sink.manifest, sink.schema, part, overwrite, inputs)
    except BaseException:
        for opened in [main, *sides.values()]:
            finish_output(opened.out, failed=True)
        raise
    return main, sides


def _done(main: Output, sides: dict[str, Output]) -> set[int]:
    """The shards finished in every output (a shard missing from one is done again, to the same bytes)."""
    done = {s["index"] for s in main.manifest.shards}
    for side in sides.values():
        done &= {s["index"] for s in side.manifest.shards}
    return done


def run_step(step: Step, output: str | os.PathLike, *, workers: int = 1, overwrite: bool = False,
             progress: bool = True, part: Part = Part(), only: Container[int] | None = None,
             exclude: Container[int] = frozenset()) -> Manifest:
    """Run ``step`` on this machine with ``workers`` processes, writing its shards under ``output`` (and its
    side outputs in their folders): part ``part`` of the shards (those in ``only`` when given), less those
    in ``exclude`` and those a previous run finished. Returns the manifest."""
    check_counts(workers=workers)
    shown, work = step.progress(), step.work()  # (before the outputs are opened: either may refuse the input)
    listed = step.shards()
    shards = listed if workers > 1 and not step.sinks else None
    main, sides = _open_all(step, output, part, overwrite)
    done = _done(main, sides)
    skip = Selection(part, done | set(exclude), only)
    total = None if listed is None else sum(1 for i in listed if i in part and (only is None or i in only))
    note = resume_note(main.out, main.manifest, total)
    if note:
        log.info("%s", note)
    # The bar starts where the earlier run stopped: at its rows when it counts documents; when it counts bytes
    # of a dump, the finished shards' bytes are read past (not parsed) and move it on (batches without payload).
    initial = sum(s["rows"] for s in main.manifest.shards if s["index"] in done) if shown.unit != "B" else 0
    bar = tqdm(total=shown.total or None, initial=initial, unit=shown.unit, unit_scale=shown.unit == "B",
               desc=shown.desc, disable=not progress, dynamic_ncols=True)
    seen: Counter = Counter(main.manifest.counters)

    def show(advance: int) -> None:
        bar.update(advance)
        bar.set_postfix({label: seen[name] for label, name in shown.shown}, refresh=False)

    def on_batch(batch: Batch, result: WorkResult) -> None:
        seen.update(batch.counters)
        seen.update(result[1])
        show(batch.progress)

    def on_shard(entry: dict) -> None:
        seen.update(entry["counters"])
        show(entry["rows"])

    def batches() -> Iterable[Batch]:
        for batch in step.batches(skip):
            if batch.payload is None:  # the input read past a finished shard: progress only
                show(batch.progress)
            else:
                yield batch

    try:
        if shards is not None:
            run_whole_shards([i for i in shards if i not in skip], _BatchesOf(step), work, out=main.out,
                             manifest=main.manifest, schema=step.schema, workers=workers, on_shard=on_shard,
                             total=total)
        else:
            run_shards(batches(), work, out=main.out, manifest=main.manifest, schema=step.schema,
                       sides=sides, workers=workers, on_batch=on_batch, total=total)
    finally:
        bar.close()
    return main.manifest
