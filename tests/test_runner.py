"""Worker processes: a worker that dies fails the run at once with one line naming the shard (finished shards
kept, the rerun completes them byte for byte); Ctrl-C and SIGTERM end a run within seconds, even with hung
workers, with one line and no worker tracebacks."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow as pa
import pytest

from leia.errors import InputError, WorkerError
from leia.execute.local import run_shards, run_whole_shards
from leia.steps.protocol import Batch
from leia.io.folders import open_output
from leia.io.manifest import Manifest, read_manifest, shard_name

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DUMP = REPO / "data" / "sample-jawiki-pages-articles.xml"
SCHEMA = pa.schema([pa.field("n", pa.int64(), nullable=False)])


def _kept(out: Path, of: int | None = None) -> str:
    """What a stopped run says it kept in ``out``, from the folder's manifest."""
    shards = read_manifest(out).shards if out.exists() else []  # a run that kept nothing leaves no folder
    if not shards:
        return f"nothing finished yet in {out} (no shard was complete); rerunning the same command starts again"
    n, rows = len(shards), sum(s["rows"] for s in shards)
    count = f"{n} of {of} shards" if of is not None else f"{n} shard{'s' if n != 1 else ''}"
    return f"kept {count} ({rows:,} rows) in {out}; rerun the same command to resume"


def _manifest() -> Manifest:
    return Manifest(kind="numbers", inputs=[], parameters={}, schema=SCHEMA.to_string())


def _batches(n: int) -> list[Batch]:
    return [Batch(i // 2, i) for i in range(n)]


class _Work:
    """Squares numbers; dies (SIGKILL, as the out-of-memory killer does) on ``die``, raises on ``fail``."""

    def __init__(self, die: int = -1, fail: int = -1):
        self.die, self.fail = die, fail

    def __call__(self, n: int):
        if n == self.die:
            os.kill(os.getpid(), signal.SIGKILL)
        if n == self.fail:
            raise InputError(f"bad input at {n}")
        return [{"n": n * n}], {"numbers": 1}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_a_dead_worker_fails_the_run_naming_its_shard(tmp_path):
    out, manifest = open_output(tmp_path / "out", _manifest())
    start = time.monotonic()
    with pytest.raises(WorkerError, match=r"^a worker process died .* shard (\d+) was being worked on; kept \d+ "
                                          r"shards? \(\d+ rows\) in \S+; rerun the same command to resume$") as caught:
        run_shards(_batches(40), _Work(die=25), out=out, manifest=manifest, schema=SCHEMA, workers=2)
    assert time.monotonic() - start < 30
    lost = int(re.search(r"shard (\d+)", str(caught.value)).group(1))
    assert lost == 12  # batch 25 is in shard 12
    finished = read_manifest(out)
    assert str(caught.value).endswith(f"; {_kept(out)}")
    assert not finished.complete
    assert [s["index"] for s in finished.shards] == list(range(len(finished.shards)))
    assert len(finished.shards) <= lost
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == \
        ["README.md", "manifest.json", *(shard_name(i) for i in range(len(finished.shards)))]
    out, manifest = open_output(tmp_path / "out", _manifest())
    run_shards(_batches(40), _Work(), out=out, manifest=manifest, schema=SCHEMA, workers=2)
    ref, manifest = open_output(tmp_path / "ref", _manifest())
    run_shards(_batches(40), _Work(), out=ref, manifest=manifest, schema=SCHEMA, workers=1)
    assert _files(tmp_path / "out") == _files(ref)


def test_a_dead_whole_shard_worker_fails_the_run_and_leaves_no_temporary(tmp_path):
    out, manifest = open_output(tmp_path / "out", _manifest())
    with pytest.raises(WorkerError, match=r"while shard 4 was being worked on"):
        run_whole_shards(range(10), _ShardOf(), _Work(die=9), out=out, manifest=manifest, schema=SCHEMA,
                         workers=2)
    assert not [p.name for p in out.iterdir() if ".tmp-" in p.name]
    assert 4 not in {s["index"] for s in read_manifest(out).shards}


class _ShardOf:
    def __call__(self, index: int):
        return [Batch(index, 2 * index), Batch(index, 2 * index + 1)]


def test_a_worker_error_is_raised_as_itself(tmp_path):
    out, manifest = open_output(tmp_path / "out", _manifest())
    with pytest.raises(InputError, match="bad input at 5"):
        run_shards(_batches(12), _Work(fail=5), out=out, manifest=manifest, schema=SCHEMA, workers=2)
    assert [s["index"] for s in read_manifest(out).shards] == [0, 1]


# --- signals, in a real `leia extract` --------------------------------------------------------------------

_HANG = textwrap.dedent("""
    import sys, time
    import leia.steps.extract as extraction
    from leia.cli import main

    original = extraction.ConvertPages.__call__
    def hang(self, pages):
        if any("<title>{title}</title>".encode() in p.xml for p in pages):
            time.sleep(3600)
        return original(self, pages)
    extraction.ConvertPages.__call__ = hang
    sys.exit(main(["extract", sys.argv[1], "-o", sys.argv[2], "--shard-size", "2", "--workers", "2", "-q"]))
""")


def _hanging_extract(tmp_path: Path) -> subprocess.Popen:
    script = tmp_path / "hang.py"
    script.write_text(_HANG.replace("{title}", "カイロ"), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, str(script), str(SAMPLE_DUMP), str(tmp_path / "out")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def _wait_for_workers(proc: subprocess.Popen, folder: Path) -> list[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = _children(proc.pid)
        if len(workers) >= 2 and (folder / "manifest.json").exists():
            time.sleep(1.0)  # let the run reach the hung page
            return workers
        time.sleep(0.05)
    proc.kill()
    pytest.fail("the run did not start its workers")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("how", ["SIGINT to the process group (Ctrl-C)", "SIGTERM to the parent"])
def test_an_interrupted_run_with_a_hung_worker_ends_at_once_with_one_line(tmp_path, how):
    proc = _hanging_extract(tmp_path)
    workers = _wait_for_workers(proc, tmp_path / "out")
    sent = time.monotonic()
    if how.startswith("SIGINT"):
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("the run did not end within 5 s of the signal")
    assert time.monotonic() - sent < 5
    assert proc.returncode == 130
    assert err.decode() == f"leia extract: interrupted; {_kept(tmp_path / 'out')}\n"
    time.sleep(0.2)
    assert not [w for w in workers if Path(f"/proc/{w}").exists() and
                Path(f"/proc/{w}/stat").read_text().split()[2] != "Z"]
    assert not [p.name for p in (tmp_path / "out").iterdir() if ".tmp-" in p.name]
    assert read_manifest(tmp_path / "out").complete is False


def test_imap_ordered_gives_results_in_order_and_reports_a_dead_worker():
    from leia.execute.pool import imap_ordered

    assert [r[0][0]["n"] for r in imap_ordered(_Work(), range(30), 2)] == [n * n for n in range(30)]
    with pytest.raises(WorkerError, match=r"^a worker process died .* while batch 11 was being worked on; rerun "
                                          r"the same command$"):
        list(imap_ordered(_Work(die=11), range(30), 2))


def test_workers_fork_with_no_tqdm_monitor_running_and_a_ctrl_c_meanwhile_taken_once_they_are_started(
        monkeypatch):
    """A lock that another thread of the parent holds as it forks stays held in the worker: tqdm's monitor,
    which writes to stderr, is stopped before the workers fork. A Ctrl-C during the forks is held back, so that
    neither the parent's at-fork hooks swallow it nor a worker not yet ignoring SIGINT prints a traceback, and
    taken once every worker is started."""
    import threading

    from tqdm.auto import tqdm
    from tqdm._monitor import TMonitor

    from leia.execute.pool import WorkerPool

    at_fork = []
    fork = os.fork

    def watched_fork():
        monitors = [t for t in threading.enumerate() if isinstance(t, TMonitor) and t.is_alive()]
        at_fork.append((monitors, signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)))
        if len(at_fork) == 1:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C as the first worker forks
        return fork()

    monkeypatch.setattr(os, "fork", watched_fork)
    with tqdm(total=1, disable=True):  # a bar starts tqdm's monitor thread
        assert [t for t in threading.enumerate() if isinstance(t, TMonitor) and t.is_alive()]
        with pytest.raises(KeyboardInterrupt):
            with WorkerPool(_Work(), 2) as pool:
                pool.submit(3, 0)
    assert len(at_fork) == 2  # both workers forked before the Ctrl-C took effect
    for monitors, sigint, sigterm in at_fork:
        assert monitors == []
        assert sigint is sigterm and callable(sigint) and sigint is not signal.default_int_handler


class _Slow:
    def __call__(self, n: int):
        time.sleep(5)
        return n


def test_a_killed_pool_leaves_none_of_its_threads_running_and_says_nothing(capfd):
    """Ctrl-C while both workers are at work and two more payloads wait to be sent: when kill() returns, the
    pool's threads (the one managing the workers, the one feeding them) are over and none has written to
    stderr, so nothing appears after the line that says what the run kept (a feeder thread that went on
    writing to the pipe of the killed workers printed an OSError traceback there)."""
    import threading

    from leia.execute.pool import WorkerPool

    before = set(threading.enumerate())
    with pytest.raises(KeyboardInterrupt):
        with WorkerPool(_Slow(), 2) as pool:
            for k in range(4):
                pool.submit(k, k)
            time.sleep(0.5)
            raise KeyboardInterrupt  # Ctrl-C: the pool is killed
    assert [t.name for t in set(threading.enumerate()) - before if t.is_alive()] == []
    assert capfd.readouterr().err == ""


def test_a_worker_stopped_by_sigterm_says_nothing_and_names_its_shard(tmp_path):
    """The pool stops the other workers with SIGTERM when one dies; none of them may print a traceback, even
    under the CLI's SIGTERM handler, which the workers inherit when they are forked."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_runner import _Work, _batches, _manifest, SCHEMA
        from leia.execute.local import run_shards
        from leia.execute.pool import stop_on_sigterm
        from leia.io.folders import open_output

        class Term(_Work):
            def __call__(self, n):
                if n == 9:
                    os.kill(os.getpid(), signal.SIGTERM)
                return super().__call__(n)

        out, manifest = open_output(sys.argv[1], _manifest())
        with stop_on_sigterm():
            try:
                run_shards(_batches(30), Term(), out=out, manifest=manifest, schema=SCHEMA, workers=2)
            except Exception as e:
                print(e, file=sys.stderr)
    """)
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "out")], capture_output=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)
    assert result.stderr.decode() == ("a worker process died (killed by the system: out of memory?) while shard 4 "
                                      f"was being worked on; {_kept(tmp_path / 'out')}\n")


_MID_SEND = textwrap.dedent("""
    import os, signal, sys, threading
    from leia.errors import WorkerError
    from leia.execute.pool import imap_ordered

    def work(n):
        if n == 3:  # killed before, while or after its 600 MB answer goes through the pipe
            data = b"x" * 600_000_000
            threading.Timer(float(sys.argv[1]), os.kill, (os.getpid(), signal.SIGKILL)).start()
            return data
        return n

    try:
        list(imap_ordered(work, range(8), 2))
    except WorkerError as e:
        print(e, file=sys.stderr)
""")


@pytest.mark.parametrize("delay", [0.1, 0.5, 0.8])
def test_a_worker_killed_while_it_sends_its_answer_fails_the_run_instead_of_hanging(delay):
    """The pool's own reader waits forever for the rest of a half-sent answer; the pool must not."""
    result = subprocess.run([sys.executable, "-c", _MID_SEND, str(delay)], capture_output=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.stderr.decode() == ("a worker process died (killed by the system: out of memory?) while batch 3 "
                                      "was being worked on; rerun the same command\n")


# --- what a stopped run kept, and what a resumed one reuses --------------------------------------------------

@pytest.fixture(scope="module")
def augment_inputs(tmp_path_factory) -> dict:
    import leia

    root = tmp_path_factory.mktemp("inputs")
    leia.extract(SAMPLE_DUMP, root / "docs", shard_size=2, progress=False)
    leia.build_entities(root / "e.duckdb", dump=SAMPLE_DUMP, langlinks=REPO / "data" / "sample-jawiki-langlinks.sql",
                        progress=False)
    return {"docs": root / "docs", "entities": root / "e.duckdb"}


@pytest.mark.parametrize("stop_at", [1, 6])
def test_an_interrupted_run_says_what_it_kept_and_the_rerun_what_it_reuses(tmp_path, augment_inputs, monkeypatch,
                                                                          caplog, stop_at):
    import leia
    from leia.cli import main
    from leia.errors import Interrupted
    from leia.steps.augment import Augment

    docs, entities, out = augment_inputs["docs"], augment_inputs["entities"], tmp_path / "out"
    shards = len([s for s in read_manifest(docs).shards if s["rows"]])
    original, calls = Augment.__call__, []

    def interrupted(self, batch):
        calls.append(1)
        if len(calls) == stop_at:
            raise KeyboardInterrupt
        return original(self, batch)

    monkeypatch.setattr(Augment, "__call__", interrupted)
    with pytest.raises(Interrupted) as stopped:
        leia.augment(docs, entities, out, progress=False)
    assert str(stopped.value) == _kept(out, of=shards)
    # a shard is published when the next one starts: stopped in the 6th, the 5th is lost with it
    kept = read_manifest(out).shards if out.exists() else []
    assert len(kept) == max(stop_at - 2, 0)
    assert str(stopped.value).startswith("nothing finished yet" if stop_at == 1 else "kept 4 of 7 shards (8 rows)")
    monkeypatch.setattr(Augment, "__call__", original)
    caplog.set_level("INFO", logger="leia")
    stderr = tmp_path / "stderr"
    with open(stderr, "w+", encoding="utf-8") as err:
        monkeypatch.setattr(sys, "stderr", err)
        assert main(["augment", str(docs), "--entities", str(entities), "-o", str(out)]) == 0
    lines = [line for line in stderr.read_text(encoding="utf-8").replace("\r", "\n").splitlines() if line]
    resumed = [r.getMessage() for r in caplog.records if r.levelname == "INFO"]
    if not kept:
        assert resumed == [] and lines[0].startswith("augment docs:   0%|")
        return
    rows = sum(s["rows"] for s in kept)
    assert resumed == [f"{out}: resuming: reusing {len(kept)} of {shards} shards ({rows} rows) written by an earlier run"]
    assert lines[0] == resumed[0]
    total = sum(s["rows"] for s in read_manifest(docs).shards)
    assert f" {rows}/{total} " in lines[1]  # the bar starts at what was kept, not at 0%


def test_reading_past_finished_shards_of_a_dump_moves_the_progress_on():
    from leia.steps.extract import iter_page_batches, open_dump

    every = list(iter_page_batches(open_dump(SAMPLE_DUMP), 2, 1))
    resumed = list(iter_page_batches(open_dump(SAMPLE_DUMP), 2, 1, skip={0, 1, 2}))
    assert [b.shard for b in resumed if b.payload is None] == [0, 0, 1, 1, 2, 2]
    assert [(b.shard, b.payload) for b in resumed if b.payload is not None] == \
        [(b.shard, b.payload) for b in every if b.shard not in {0, 1, 2}]
    assert sum(b.advance for b in resumed) == sum(b.advance for b in every) > 0


TEXTS = pa.schema([pa.field("text", pa.string()), pa.field("n", pa.int64())])


def _texts(rows: list[tuple[str, int]]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([{"text": t, "n": n} for t, n in rows], schema=TEXTS)


def _upper(batch: pa.RecordBatch):
    import pyarrow.compute as pc

    return batch.set_column(0, "text", pc.utf8_upper(batch.column("text"))), {"rows": batch.num_rows}


@pytest.mark.parametrize("whole_shards", [False, True])
def test_joined_batches_are_written_back_as_the_record_batches_they_were(tmp_path, whole_shards):
    """A batch that joins record batches (Batch.splits) is written as record batches of their sizes, byte for
    byte what working on them one at a time writes."""
    parts = [_texts([("ab", 1), ("é", 2), ("x" * 9, 3)]), _texts([("", 4)]), _texts([("東京", 5), ("q", 6)])]
    one_by_one = [Batch(0, p, {}, p.num_rows) for p in parts]
    joined = [Batch(0, pa.concat_batches(parts), {}, 6, (3, 1, 2))]
    for name, batches in (("one", one_by_one), ("joined", joined)):
        out, manifest = open_output(tmp_path / name, Manifest(kind="texts", inputs=[], parameters={},
                                                               schema=TEXTS.to_string()))
        if whole_shards:
            run_whole_shards([0], lambda shard, b=batches: b, _upper, out=out, manifest=manifest, schema=TEXTS,
                             workers=1)
        else:
            run_shards(batches, _upper, out=out, manifest=manifest, schema=TEXTS)
    assert _files(tmp_path / "joined") == _files(tmp_path / "one")
    with pa.memory_map(str(tmp_path / "joined" / shard_name(0))) as f:
        assert [b.num_rows for b in pa.ipc.open_stream(f)] == [3, 1, 2]
