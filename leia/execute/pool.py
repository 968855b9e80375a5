"""Worker processes that cannot hang a run: a pool whose lost worker is an error naming its shard, the one
start-up every pool of leia uses, and the signal handling of a run (Ctrl-C and SIGTERM stop it at once).

A worker that dies (the out-of-memory killer, a ``kill -9``) fails the run with :class:`~leia.errors.WorkerError`
naming the shard; Ctrl-C or SIGTERM stops it at once: workers ignore SIGINT, and the parent kills them instead
of waiting for them. Either way the finished shards are kept for the rerun that resumes.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import threading
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

from leia.errors import WorkerError

__all__ = ["WorkerPool", "imap_ordered", "stop_on_sigterm", "interrupts_after"]

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
        self._killed = False
        calls = getattr(self._executor, "_call_queue", None)
        if calls is not None:  # once the workers are killed, the thread feeding them may fail to write: expected
            report = calls._on_queue_feeder_error
            calls._on_queue_feeder_error = lambda error, item: None if self._killed else report(error, item)

    def submit(self, payload: Any, shard: int) -> Future:
        """Start work on ``payload``, part of shard ``shard``; WorkerError when a worker has died meanwhile."""
        try:
            if self._processes:
                future = self._executor.submit(_call, (shard, payload))
            else:  # the first submit starts the workers (all of them, when they are forked)
                with _starting_workers():
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
        """The error of a dead worker; the executor of a run of shards adds what the run kept
        (leia.io.folders.kept_note), others say to rerun."""
        where = f" while {self.unit} {shard} was being worked on" if shard is not None else ""
        return WorkerError(f"a worker process died (killed by the system: out of memory?){where}" +
                           ("" if self.unit == "shard" else "; rerun the same command"))

    def kill(self) -> None:
        """Stop at once: cancel what has not started and kill the workers, without waiting on them. The pool's
        threads are over when this returns (or, for the thread feeding the workers, blocked for good on their
        pipe), and none of them writes after what the caller prints next. The parent's end of that pipe is left
        open: the pool's own shutdown closes it from its threads, and closing it here too could close a
        descriptor reused meanwhile."""
        executor = self._executor
        processes = list((getattr(executor, "_processes", None) or {}).values())
        queues = getattr(executor, "_call_queue", None), getattr(executor, "_result_queue", None)
        threads = [getattr(executor, "_executor_manager_thread", None), getattr(queues[0], "_thread", None)]
        self._killed = True
        with _no_interrupts():  # a second Ctrl-C must not leave workers behind
            executor.shutdown(wait=False, cancel_futures=True)  # (this forgets the queues and processes)
            _kill(processes)
            _release_threads(*queues)
            for thread in threads:  # (a feeder blocked on a full pipe of the dead workers stays so, silent)
                if thread is not None and thread is not threading.current_thread():
                    thread.join(timeout=2)
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
def _handled(signals: tuple[int, ...], handler: Any) -> Iterator[None]:
    """Within the block, ``handler`` handles ``signals``; the previous handlers come back after it. Outside
    the main thread (where Python cannot set handlers) the block runs as it is."""
    try:
        previous = {s: signal.signal(s, handler) for s in signals}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


def _no_interrupts():
    return _handled((signal.SIGINT,), signal.SIG_IGN)


@contextmanager
def _starting_workers() -> Iterator[None]:
    """Around the fork of the workers: no thread of the parent is writing to stderr, and Ctrl-C and SIGTERM
    take effect once the workers are started.

    A lock that another thread of the parent holds as it forks stays held in the worker forever. Of the
    threads a leia process has when it forks (tqdm's monitor, pyarrow's pool and its jemalloc's, torch's and
    tokenizers' in ``leia train``), only tqdm's monitor runs Python that takes a lock a worker needs: it writes
    to stderr when a bar has not moved for a while, and a worker forked meanwhile waits forever on its first
    line to stderr (a warning, -v's debug lines). It is stopped here; tqdm starts another with its next bar.
    pyarrow, jemalloc and tokenizers reset their threads' state in a forked child, workers never run torch,
    and no DuckDB thread is left: the DuckDB files are closed, and the files workers map are built, before
    the workers fork. A signal is held back: taken in the parent's at-fork hooks it would be swallowed
    (logging's ``_releaseLock``: "Exception ignored", and the run goes on), taken by a worker before it ignores
    SIGINT it would print a traceback."""
    monitors = sys.modules.get("tqdm._monitor")
    if monitors is not None:
        for thread in threading.enumerate():
            if isinstance(thread, monitors.TMonitor) and thread is not threading.current_thread():
                thread.exit()
    with interrupts_after():
        yield


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
def interrupts_after() -> Iterator[None]:
    """Ctrl-C or SIGTERM during the block takes effect at its end: listing a shard and publishing its file
    happen together or not at all."""
    got: list[int] = []
    with _handled((signal.SIGINT, signal.SIGTERM), lambda signum, frame: got.append(signum)):
        yield
    if got:
        raise KeyboardInterrupt


def _stop(signum, frame):
    raise KeyboardInterrupt


def stop_on_sigterm():
    """Within the block SIGTERM stops the run as Ctrl-C does (KeyboardInterrupt in the main thread)."""
    return _handled((signal.SIGTERM,), _stop)
