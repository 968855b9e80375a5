"""Fault injection: runs real `leia` commands on a real dump and breaks them in the ways that lose data, then
checks that each fault was survived (byte-identical output after a rerun, or a clean one-line refusal that
leaves nothing half-written) and that nothing hung. Prints one line per fault and the totals.

    python tests/benchmarks/faults.py [--dump ../shared/data/jawiki-country-dev.xml.bz2] [--sigint 20]

Every subprocess has a timeout; a run that outlives it is counted as hung and killed. A full disk is a small
tmpfs when this machine lets us mount one (root), else a file-size limit (RLIMIT_FSIZE) on the run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DUMP = REPO.parent / "shared" / "data" / "jawiki-country-dev.xml.bz2"
DEFAULT_LANGLINKS = REPO.parent / "shared" / "data" / "jawiki-country-dev-langlinks.sql.gz"
ENV = {**os.environ, "PYTHONPATH": str(REPO), "TQDM_DISABLE": "1"}
LEIA = [sys.executable, "-m", "leia.cli"]
TIMEOUT = 180  # seconds for any one run
STOP = 5  # seconds a signalled run may take to end
# What a resumed run notes first (leia.io.folders.resume_note), and the one line of an interrupted run: what
# it kept and what the rerun does (leia.io.folders.kept_note), or, stopped outside its run of shards (opening
# its folder, say), only what the rerun does.
RESUMING = re.compile(r"\S+: resuming: reusing \d+ (of \d+ )?shards? \([\d,]+ rows\) written by an earlier run\n")
INTERRUPTED = re.compile(rf"({RESUMING.pattern})?leia extract: interrupted; (kept \d+ shards? \([\d,]+ rows\) in \S+; "
                         r"rerun the same command to resume|nothing finished yet in \S+ \(no shard was complete\); "
                         r"rerunning the same command starts again|rerun the same command to resume)\n")
# Ctrl-C in the first moments of `python` belongs to the interpreter's own start-up (importing site and the
# `leia` module, before leia's main() runs), which prints its own traceback; the random moments of the SIGINT
# fault start once that start-up is over (measured in prepare()).


@dataclass
class Tally:
    name: str
    injected: int = 0
    survived: int = 0
    hung: int = 0
    notes: list[str] = field(default_factory=list)

    def record(self, ok: bool, hung: bool = False, note: str = "") -> None:
        self.injected += 1
        self.survived += ok and not hung
        self.hung += hung
        if note and not ok:
            self.notes.append(note)


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()} if folder.is_dir() else {}


def run(args: list[str], timeout: float = TIMEOUT) -> tuple[int | None, str]:
    """(status, stderr); status None when the run hung (it is killed)."""
    return finish(start(args), timeout)


def start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(LEIA + args, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def finish(proc: subprocess.Popen, timeout: float) -> tuple[int | None, str]:
    """(status, stderr) of a started run; status None when it hung (it is killed)."""
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return None, ""
    return proc.returncode, err.decode(errors="replace")


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(c) for c in path.read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def one_line(err: str) -> bool:
    return err.count("\n") == 1 and "Traceback" not in err


def consistent(folder: Path) -> bool:
    """A folder a stopped run left: nothing wrong but that it is unfinished (or it was never created)."""
    if not folder.exists():
        return True
    from leia.io.shards import verify_folder

    return all("incomplete" in line for line in verify_folder(folder))


class Faults:
    def __init__(self, root: Path, dump: Path, langlinks: Path, sigints: int, kills: int, seed: int):
        self.root, self.dump, self.langlinks = root, dump, langlinks
        self.sigints, self.kills = sigints, kills
        self.rng = random.Random(seed)
        self.extract_args = ["--shard-size", "10", "--workers", "2", "-q"]
        self.tallies: list[Tally] = []

    def extract(self, out: Path, dump: Path | None = None) -> list[str]:
        return ["extract", str(dump or self.dump), "-o", str(out), *self.extract_args]

    def augment(self, source: Path, out: Path) -> list[str]:
        return ["augment", str(source), "--entities", str(self.entities), "-o", str(out), "--workers", "2",
                "--shard-size", "10", "-q"]

    def prepare(self) -> None:
        times = []
        for _ in range(3):
            t = time.monotonic()
            subprocess.run([sys.executable, "-c", "import leia.cli"], env=ENV, check=True)
            times.append(time.monotonic() - t)
        self.startup = sorted(times)[1]
        self.ref = self.root / "ref-docs"
        t = time.monotonic()
        status, err = run(self.extract(self.ref))
        self.extract_seconds = time.monotonic() - t
        assert status == 0, err
        self.entities = self.root / "entities.duckdb"
        status, err = run(["entities", "--dump", str(self.dump), "--langlinks", str(self.langlinks), "-o",
                           str(self.entities), "-q"])
        assert status == 0, err
        self.ref_aug = self.root / "ref-aug"
        t = time.monotonic()
        status, err = run(self.augment(self.ref, self.ref_aug))
        self.augment_seconds = time.monotonic() - t
        assert status == 0, err
        self.ref_aug_dump = self.root / "ref-aug-dump"
        status, err = run(self.augment(self.dump, self.ref_aug_dump))
        assert status == 0, err

    def tally(self, name: str) -> Tally:
        t = Tally(name)
        self.tallies.append(t)
        return t

    # -- the faults ----------------------------------------------------------------------------------------

    def concurrent_runs(self) -> None:
        t = self.tally("two concurrent runs into one folder")
        for trial in range(3):
            out = self.root / f"concurrent-{trial}"
            first = start(self.extract(out))
            deadline = time.monotonic() + 30
            while not (out / ".leia.lock").exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            status2, err2 = run(self.extract(out), timeout=60)
            status1, err1 = finish(first, TIMEOUT)
            refused = status2 == 1 and one_line(err2) and "another leia run is writing it (pid" in err2
            t.record(status1 == 0 and refused and files(out) == files(self.ref),
                     hung=status1 is None or status2 is None, note=f"second: {status2} {err2.strip()[:120]}")

    def _kill_a_worker(self, args: list[str], out: Path, ref: Path, t: Tally) -> None:
        proc = start(args)
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while time.monotonic() < deadline and proc.poll() is None:
            workers = children(proc.pid)
            if len(workers) >= 2:
                break
            time.sleep(0.01)
        time.sleep(self.rng.uniform(0.0, 0.5))
        if not workers or proc.poll() is not None:
            finish(proc, TIMEOUT)
            t.notes.append("finished before a worker could be killed")
            return
        try:
            os.kill(self.rng.choice(workers), signal.SIGKILL)
        except ProcessLookupError:  # the run ended in the meantime
            finish(proc, TIMEOUT)
            t.notes.append("finished before a worker could be killed")
            return
        status, err = finish(proc, 30)
        reported = status == 1 and one_line(err) and "worker process died" in err and "rerun" in err
        # A worker may have finished its last task just before the kill: then the run succeeds.
        ok = (reported or status == 0) and consistent(out)
        rerun, err2 = run(args)
        t.record(ok and rerun == 0 and files(out) == files(ref), hung=status is None or rerun is None,
                 note=f"{status} {err.strip()[:120]} / rerun {rerun} {err2.strip()[:120]}")

    def kill_workers(self) -> None:
        t = self.tally("SIGKILL of a worker")
        for trial in range(3):
            out = self.root / f"worker-extract-{trial}"
            self._kill_a_worker(self.extract(out), out, self.ref, t)
            out = self.root / f"worker-augment-{trial}"
            self._kill_a_worker(self.augment(self.ref, out), out, self.ref_aug, t)
            out = self.root / f"worker-augment-dump-{trial}"
            self._kill_a_worker(self.augment(self.dump, out), out, self.ref_aug_dump, t)

    def sigint(self) -> None:
        t = self.tally(f"SIGINT (Ctrl-C) at {self.sigints} random moments")
        self.early = 0
        out = self.root / "sigint"
        for trial in range(self.sigints):
            proc = start(self.extract(out))
            time.sleep(self.rng.uniform(self.startup, self.extract_seconds))
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
                sent = time.monotonic()
                status, err = finish(proc, STOP)
                took = time.monotonic() - sent
                hung = status is None
                # Killed by the signal itself with no error said: Python's own handler was in place, in its
                # start-up (not a line of leia had run, nothing was written) or in its exit (the run was over; a
                # resumed one had noted what it reused).
                early = status == -signal.SIGINT and all(RESUMING.fullmatch(line + "\n") for line in err.splitlines())
                self.early += early
                # A shell shows a process that the signal ended as status 130 too.
                ok = (status in (130, -signal.SIGINT) and took < STOP and INTERRUPTED.fullmatch(err) is not None) \
                    or status == 0 or early
            else:
                status, err = finish(proc, STOP)
                hung, ok = False, status == 0
            left = [w for w in children(proc.pid) if alive(w)]
            state = consistent(out)
            same = status != 0 or files(out) == files(self.ref)
            if status == 0:
                shutil.rmtree(out)
            t.record(ok and not left and state and same, hung=hung,
                     note=f"trial {trial}: {status} {err.strip()[:160]} (workers left {left}, folder consistent "
                          f"{state}, output as the reference {same})")
        status, err = run(self.extract(out))
        if files(out) != files(self.ref):
            t.notes.append("the final rerun differs from the reference")
            t.survived = max(0, t.survived - 1)
        if self.early:
            t.name += f" ({self.early} under Python's own handler, at start-up or exit)"

    def kill_parent(self) -> None:
        t = self.tally(f"SIGKILL of the parent at {self.kills} random moments")
        out = self.root / "sigkill"
        for trial in range(self.kills):
            proc = start(self.extract(out))
            time.sleep(self.rng.uniform(0.0, self.extract_seconds))
            workers = children(proc.pid)
            proc.kill()
            proc.communicate()
            time.sleep(0.3)
            left = [w for w in workers if alive(w)]
            status, err = run(self.extract(out))
            ok = not left and status == 0 and files(out) == files(self.ref)
            t.record(ok, hung=status is None, note=f"trial {trial}: workers left {left}, rerun {status} "
                                                   f"{err.strip()[:120]}")
            shutil.rmtree(out, ignore_errors=True)

    def full_disk(self) -> None:
        t = self.tally("a full disk")
        mount = self.root / "small"
        mount.mkdir()
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
                                 capture_output=True).returncode == 0
        try:
            cases = [
                (self.extract(mount / "docs"), mount / "docs"),
                (["entities", "--dump", str(self.dump), "--langlinks", str(self.langlinks), "-o",
                  str(mount / "e.duckdb"), "-q"], mount / "e.duckdb"),
                (self.augment(self.ref, mount / "aug"), mount / "aug"),
            ]
            for args, out in cases:
                if mounted:
                    status, err = run(args)
                else:
                    status, err = _run_with_file_limit(args, 200_000)
                refused = status == 1 and one_line(err) and "no space left on the device" in err
                clean = not any(".tmp-" in p.name or p.suffix == ".wal" for p in mount.rglob("*"))
                if out.suffix == ".duckdb":
                    clean = clean and not out.exists()
                else:
                    clean = clean and consistent(out)
                t.record(refused and clean, hung=status is None, note=f"{args[0]}: {status} {err.strip()[:160]}")
                for p in list(mount.iterdir()):
                    shutil.rmtree(p) if p.is_dir() else p.unlink()
        finally:
            if mounted:
                subprocess.run(["umount", str(mount)], capture_output=True)
        t.name += " (a 256 KiB tmpfs)" if mounted else " (a file-size limit)"

    def traversing_manifest(self) -> None:
        t = self.tally("a traversing manifest")
        secret = self.root / "secret.arrow"
        shutil.copyfile(self.ref_aug / "shard-00000.arrow", secret)
        before = secret.read_bytes()
        for target in ("../secret.arrow", str(secret)):
            for command in ("augment", "stats", "preview", "merge-manifests", "verify"):
                folder = self.root / f"traverse-{command}"
                shutil.rmtree(folder, ignore_errors=True)
                shutil.copytree(self.ref if command == "augment" else self.ref_aug, folder)
                manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
                manifest["shards"][0]["file"] = target
                if command == "merge-manifests":
                    manifest["split"] = {"num_parts": 1, "part_index": 0}
                (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
                args = {"augment": self.augment(folder, self.root / "traverse-out"),
                        "stats": ["stats", str(folder)], "preview": ["preview", str(folder)],
                        "merge-manifests": ["merge-manifests", str(folder), "-o", str(self.root / "traverse-m"),
                                            "--move"],
                        "verify": ["verify", str(folder)]}[command]
                status, err = run(args)
                out_err = err if command != "verify" else ""
                refused = status == 1 and (command == "verify" or (one_line(out_err) and "not a leia manifest" in err))
                t.record(refused and secret.read_bytes() == before and not (self.root / "traverse-m").exists(),
                         hung=status is None, note=f"{command} {target}: {status} {err.strip()[:120]}")

    def swapped_shard(self) -> None:
        t = self.tally("a swapped shard")
        for how in ("another shard's file", "same size, one bit flipped", "truncated"):
            folder = self.root / "swapped"
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(self.ref, folder)
            shard = folder / "shard-00003.arrow"
            if how.startswith("another"):
                shutil.copyfile(folder / "shard-00004.arrow", shard)
            elif how.startswith("same"):
                data = bytearray(shard.read_bytes())
                data[len(data) // 3] ^= 0x04
                shard.write_bytes(bytes(data))
            else:
                shard.write_bytes(shard.read_bytes()[:1000])
            shutil.rmtree(self.root / "swapped-out", ignore_errors=True)
            status, err = run(self.augment(folder, self.root / "swapped-out"))
            refused = status == 1 and one_line(err) and "shard-00003.arrow" in err
            nothing = consistent(self.root / "swapped-out")  # at most the shards finished before it
            verified = run(["verify", str(folder)])[0] == 1
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            manifest["complete"] = False
            (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
            resumed, err2 = run(self.extract(folder))
            t.record(refused and nothing and verified and resumed == 0 and files(folder) == files(self.ref),
                     hung=status is None or resumed is None, note=f"{how}: {status} {err.strip()[:120]}")

    def changed_input(self) -> None:
        t = self.tally("a changed input")
        dump = self.root / self.dump.name
        for how in ("appended", "same size, other bytes", "touched"):
            shutil.copyfile(self.dump, dump)
            out = self.root / "changed"
            shutil.rmtree(out, ignore_errors=True)
            proc = start(self.extract(out, dump))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None and \
                    not list(out.glob("shard-*.arrow")):
                time.sleep(0.02)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
            finish(proc, STOP)
            if how == "appended":
                with open(dump, "ab") as f:
                    f.write(b"\0")
            elif how.startswith("same"):
                data = bytearray(dump.read_bytes())
                data[-10] ^= 0xFF
                dump.write_bytes(bytes(data))
            else:
                os.utime(dump, (time.time(), time.time() + 5))
            before = files(out)
            status, err = run(self.extract(out, dump))
            refused = status == 1 and one_line(err) and "is not the one this folder was written from" in err
            t.record(refused and files(out) == before, hung=status is None, note=f"{how}: {status} {err.strip()[:160]}")


def _run_with_file_limit(args: list[str], limit: int) -> tuple[int | None, str]:
    code = ("import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
            f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit})); "
            "from leia.cli import main; sys.exit(main(sys.argv[1:]))")
    try:
        result = subprocess.run([sys.executable, "-c", code, *args], env=ENV, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, ""
    return result.returncode, result.stderr.decode(errors="replace")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dump", type=Path, default=DEFAULT_DUMP)
    parser.add_argument("--langlinks", type=Path, default=DEFAULT_LANGLINKS)
    parser.add_argument("--sigint", type=int, default=20, help="SIGINTs at random moments (default 20)")
    parser.add_argument("--sigkill", type=int, default=10, help="SIGKILLs of the parent (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    root = Path(tempfile.mkdtemp(prefix="leia-faults-"))
    faults = Faults(root, args.dump, args.langlinks, args.sigint, args.sigkill, args.seed)
    started = time.monotonic()
    try:
        faults.prepare()
        print(f"reference runs: extract {faults.extract_seconds:.1f} s, augment {faults.augment_seconds:.1f} s "
              f"({args.dump.name}, 2 workers); interpreter start-up {faults.startup * 1000:.0f} ms")
        for fault in (faults.concurrent_runs, faults.kill_workers, faults.sigint, faults.kill_parent,
                      faults.full_disk, faults.traversing_manifest, faults.swapped_shard, faults.changed_input):
            fault()
            t = faults.tallies[-1]
            print(f"{t.name:<52} injected {t.injected:>3}  survived {t.survived:>3}  hung {t.hung:>2}", flush=True)
            for note in t.notes[:5]:
                print(f"    {note}")
    finally:
        if not args.keep:
            subprocess.run(["umount", str(root / "small")], capture_output=True)
            shutil.rmtree(root, ignore_errors=True)
    injected = sum(t.injected for t in faults.tallies)
    survived = sum(t.survived for t in faults.tallies)
    hung = sum(t.hung for t in faults.tallies)
    print(f"faults injected {injected}, survived {survived}, hung {hung} ({time.monotonic() - started:.0f} s)")
    return 0 if survived == injected and not hung else 1


if __name__ == "__main__":
    sys.exit(main())
