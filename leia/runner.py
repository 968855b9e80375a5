"""Running a step over an ordered stream of work batches: pure per-batch work in worker processes, all
writing in the parent, one shard file per shard index, the manifest updated as each shard completes, and
finished shards skipped on a rerun.

A worker that dies (the out-of-memory killer, a ``kill -9``) fails the run with :class:`~leia.errors.WorkerError`
naming the shard; Ctrl-C or SIGTERM stops it at once: workers ignore SIGINT, and the parent kills them instead
of waiting for them. Either way the finished shards are kept for the rerun that resumes.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pyarrow as pa

from leia.errors import WorkerError
from leia.shards import Manifest, ShardWriter, finish_output, remove_temporaries, shard_name

__all__ = ["Batch", "run_shards", "run_whole_shards", "WorkerPool", "imap_ordered", "stop_on_sigterm"]

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


_WORK: Callable[[Any], Any] | None = None
_REPORT: int | None = None  # a worker's end of the pipe on which it says what it starts working on


def _die_with_parent() -> None:
    """Have the kernel kill this worker when the parent dies (Linux), so a killed run leaves no worker
    behind to write into the folder a rerun is resuming."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass


def _init_worker(work: Callable[[Any], Any], report: int | None) -> None:
    """A worker leaves Ctrl-C to the parent (which stops it), ends quietly on SIGTERM (not with the parent's
    handler, which it inherited) and dies with the parent."""
    global _WORK, _REPORT
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    _WORK, _REPORT = work, report


def _call(item: tuple[int, Any]) -> Any:
    number, payload = item
    assert _WORK is not None
    if _REPORT is not None:
        try:  # one short write to a pipe is atomic: no lock that a killed worker could leave held
            os.write(_REPORT, f"{os.getpid()} {number}\n".encode())
        except OSError:
            pass
    return _WORK(payload)


def _context() -> mp.context.BaseContext:
    return mp.get_context("fork") if sys.platform.startswith("linux") else mp.get_context("spawn")


class WorkerPool:
    """``workers`` processes applying ``work`` (forked where possible, so it may close over read-only state).

    Unlike ``multiprocessing.Pool`` a lost worker is reported (:meth:`result` raises WorkerError naming the
    shard) instead of leaving its task waiting forever; leaving the pool on an exception (Ctrl-C included)
    kills the workers rather than waiting for them."""

    def __init__(self, work: Callable[[Any], Any], workers: int, unit: str = "shard"):
        context = _context()
        self._pipe = os.pipe() if context.get_start_method() == "fork" else None
        if self._pipe:
            os.set_blocking(self._pipe[0], False)
        self._executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                                             initargs=(work, self._pipe[1] if self._pipe else None))
        self._shards: dict[Future, int] = {}
        self._started: dict[int, int] = {}  # worker pid -> the shard it last started
        self._pending = b""
        self._processes: dict = {}
        self.unit = unit

    def submit(self, payload: Any, shard: int) -> Future:
        """Start work on ``payload``, part of shard ``shard``; WorkerError when a worker has died meanwhile."""
        try:
            future = self._executor.submit(_call, (shard, payload))
        except BrokenProcessPool:
            raise self._lost(self._first_lost()) from None
        self._processes = getattr(self._executor, "_processes", None) or self._processes
        self._shards[future] = shard
        return future

    def result(self, future: Future) -> Any:
        """The answer of ``future``; WorkerError naming the shard of the worker that died."""
        self.wait([future])
        try:
            result = future.result()
        except BrokenProcessPool:
            raise self._lost(self._first_lost()) from None
        self._shards.pop(future, None)
        return result

    def wait(self, futures) -> set[Future]:
        """The futures among ``futures`` that are done, once one is. A worker that died fails this at once,
        also when the pool itself would not notice (a worker killed while it sent its answer leaves the pool
        waiting for the rest of it)."""
        while True:
            done, _ = wait(futures, timeout=0.25, return_when=FIRST_COMPLETED)
            if done:
                return done
            self._read_reports()
            dead = [pid for pid, p in list(self._processes.items()) if getattr(p, "exitcode", None) not in (None, 0)]
            if dead:
                raise self._lost(self._started.get(dead[0], self._first_lost()))

    def _read_reports(self) -> None:
        if not self._pipe:
            return
        while True:
            try:
                chunk = os.read(self._pipe[0], 1 << 16)
            except BlockingIOError:
                break
            if not chunk:
                break
            self._pending += chunk
        *lines, self._pending = self._pending.split(b"\n")
        for line in lines:
            pid, number = line.split()
            self._started[int(pid)] = int(number)

    def _first_lost(self) -> int | None:
        """The shard the dead worker had started, else the first shard whose work was lost."""
        self._read_reports()
        for pid, process in list(self._processes.items()):
            code = getattr(process, "exitcode", None)
            if code not in (None, 0, -signal.SIGTERM) and pid in self._started:
                return self._started[pid]
        for future, shard in self._shards.items():  # in the order they were submitted
            if future.done() and isinstance(future.exception(), BrokenProcessPool):
                return shard
        return None

    def _lost(self, shard: int | None) -> WorkerError:
        where = f" while {self.unit} {shard} was being worked on" if shard is not None else ""
        kept = "finished shards are kept: " if self.unit == "shard" else ""
        return WorkerError(f"a worker process died (killed by the system: out of memory?){where}; {kept}rerun "
                           "the same command" + (" to resume" if kept else ""))

    def kill(self) -> None:
        """Stop at once: cancel what has not started and kill the workers, without waiting on them."""
        executor = self._executor
        processes = list((getattr(executor, "_processes", None) or {}).values())
        queues = getattr(executor, "_call_queue", None), getattr(executor, "_result_queue", None)
        with _no_interrupts():  # a second Ctrl-C must not leave workers behind
            executor.shutdown(wait=False, cancel_futures=True)  # (this forgets the queues and processes)
            _kill(processes)
            _release_threads(*queues)
        self._close_pipe()

    def _close_pipe(self) -> None:
        if self._pipe:
            for fd in self._pipe:
                os.close(fd)
            self._pipe = None

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.kill()
            return
        try:
            self._executor.shutdown(wait=True)
        except BaseException:  # Ctrl-C while the workers were finishing
            self.kill()
            raise
        self._close_pipe()


def _release_threads(calls: Any, results: Any) -> None:
    """Let a process pool's threads end although its workers died mid-message: the thread that feeds the
    workers may be stuck writing to them, and the one that reads their answers may be stuck inside a
    half-written one. Either would keep the interpreter from exiting."""
    if calls is not None:
        calls.cancel_join_thread()
    writer = getattr(results, "_writer", None)
    if writer is not None:
        try:
            writer.close()  # the workers are dead: the reader now meets the end of the pipe
        except OSError:
            pass


def _kill(processes: list) -> None:
    for process in processes:
        try:
            process.kill()
        except (OSError, ValueError, AttributeError):
            pass
    for process in processes:
        try:
            process.join(timeout=1)
        except (OSError, ValueError, AssertionError, AttributeError):
            pass


@contextmanager
def _no_interrupts() -> Iterator[None]:
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def imap_ordered(work: Callable[[Any], Any], payloads: Iterable[Any], workers: int, unit: str = "batch"
                 ) -> Iterator[Any]:
    """``work`` applied to each payload in ``workers`` processes, the results in order, a few payloads per worker
    in flight; a worker that dies raises WorkerError naming the ``unit`` (its number, from 0)."""
    with WorkerPool(work, workers, unit) as pool:
        pending: deque = deque()
        for number, payload in enumerate(payloads):
            pending.append(pool.submit(payload, number))
            if len(pending) >= 4 * workers:
                yield pool.result(pending.popleft())
        while pending:
            yield pool.result(pending.popleft())


@contextmanager
def _interrupts_after() -> Iterator[None]:
    """Ctrl-C or SIGTERM during the block takes effect at its end: listing a shard and publishing its file
    happen together or not at all."""
    got: list[int] = []
    try:
        previous = {s: signal.signal(s, lambda signum, frame: got.append(signum))
                    for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if got:
        raise KeyboardInterrupt


@contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """Within the block SIGTERM stops the run as Ctrl-C does (KeyboardInterrupt in the main thread)."""
    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
        self.writer.close(publish=False)
        entry = self.writer.entry(self.index, self.counters)
        with _interrupts_after():
            self.manifest.add_shard(entry)
            self.manifest.save(self.out, card=False)
            self.writer.publish()
            self.manifest.save_card(self.out)
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
            with WorkerPool(work, workers) as pool:
                pending: deque = deque()
                window = 4 * workers

                def drain_one() -> None:
                    batch, future = pending.popleft()
                    result = pool.result(future)
                    sink.add(batch.shard, result, batch.counters)
                    if on_batch:
                        on_batch(batch, result)

                for batch in batches:
                    pending.append((batch, pool.submit(batch.payload, batch.shard)))
                    if len(pending) >= window:
                        drain_one()
                while pending:
                    drain_one()
        sink.finish()
    except BaseException:
        sink.abort()
        finish_output(out, failed=True)
        raise
    return _complete(out, manifest)


def _complete(out: Path, manifest: Manifest) -> Manifest:
    """Mark the run complete in its manifest and end it."""
    try:
        manifest.complete = True
        manifest.save(Path(out))
    finally:
        finish_output(out)
    return manifest


class _WholeShard:
    """Reads, works on and writes one shard; returns its manifest entry."""

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
        with _interrupts_after():
            manifest.add_shard(entry)
            manifest.save(Path(out), card=False)
            os.replace(tmp, Path(out) / entry["file"])
            manifest.save_card(Path(out))
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
    except BaseException:
        remove_temporaries(Path(out))  # those of workers that were stopped or died
        finish_output(out, failed=True)
        raise
    return _complete(out, manifest)
