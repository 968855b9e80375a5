"""Writing outputs safely: one run at a time per output, temporary names no reader sees, atomic publication.

Every output (a folder of shards, a DuckDB file) is locked for the life of the run that writes it: an
exclusive ``flock`` on a hidden lock file (``DIR/.leia.lock``, ``.NAME.lock`` beside a file) holding the
writer's pid and host, so a second run is refused with a message naming them. The kernel releases the lock
when the process (and the workers it forked) die, so a killed run never leaves a stale lock behind: the file
a killed run leaves is taken over by the next run. A run that ends removes its lock file.

Files in the making carry a hidden name unique to the writing process (``.shard-00005.arrow.tmp-PID``):
globs such as ``shard-*.arrow`` and ``datasets`` never see them, and two processes never share one.

What ``--overwrite`` may remove, for files and folders alike (:func:`replaceable`): only what leia wrote. In a
folder, the files its manifest lists and leia's temporary files (leia.io.folders), never a file of the
user's; a file output (an entity table, a mention dictionary), only when it is a file leia built (a DuckDB
file with leia's ``meta``). Anything else at an output is refused in one line, with ``--overwrite`` or without.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from leia.errors import OutputError

__all__ = [
    "LOCK", "temp_name", "is_temporary", "hold", "release", "held", "write_text_atomic", "write_json_atomic",
    "write_error", "fsync_folder", "make_folder", "replaceable",
]

log = logging.getLogger(__name__)

LOCK = ".leia.lock"
_TEMP_RE = re.compile(r"^\.(?P<name>.+)\.tmp-(?P<pid>\d+)(?:\.wal)?$")


def temp_name(name: str, pid: int | None = None) -> str:
    """The hidden name a file is written under before it is given ``name``."""
    return f".{name}.tmp-{os.getpid() if pid is None else pid}"


def is_temporary(name: str) -> bool:
    """True for the names :func:`temp_name` makes (and a DuckDB temporary's write-ahead log)."""
    return _TEMP_RE.match(name) is not None


def write_error(path: Path, e: OSError) -> OutputError:
    """The one-line error for a write the file system refused."""
    reason = e.strerror or str(e)
    if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "No space left" in str(e):
        reason = f"no space left on the device ({reason}); free some space and rerun to resume"
    elif e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = f"not writable ({reason})"
    return OutputError(f"{path}: cannot write ({reason})")


def fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` under a temporary name first, then rename: readers see the old or the new."""
    path = Path(path)
    tmp = path.with_name(temp_name(path.name))
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:  # a refused write, or Ctrl-C: no temporary file left behind either way
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise write_error(path, e) from None
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def replaceable(out: Path, overwrite: bool, ours: Callable[[Path], bool]) -> None:
    """Refuse to write over ``out`` unless it is absent, or ``overwrite`` is given and ``ours(out)`` says leia
    wrote it: the rule of ``--overwrite`` for a file output (a folder applies it to each file it would
    remove: only those its manifest lists)."""
    if not out.exists() and not out.is_symlink():
        return
    if not ours(out):
        raise OutputError(f"{out}: exists and is not a file leia built; --overwrite replaces only what leia "
                          "built, so move it away or choose another file")
    if not overwrite:
        raise OutputError(f"{out}: exists; choose another file or pass --overwrite")


class _Lock:
    """An exclusive flock on ``lock_file``, which names the holder (``pid host``)."""

    def __init__(self, output: Path, lock_file: Path):
        import fcntl

        self.output, self.path, self.count, self.created = output, lock_file, 0, False
        while True:
            try:
                self.fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as e:
                raise write_error(output, e) from None
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(self.fd)
                os.close(self.fd)
                raise OutputError(f"{output}: another leia run is writing it ({holder}); wait for it to finish, "
                                  "or stop it and rerun to resume") from None
            except OSError as e:  # a file system without locks (some network mounts)
                log.warning("%s: cannot be locked (%s); make sure no other run writes it", output, e.strerror)
            # The holder removes the file when it is done: a lock taken on a file already removed is no lock.
            try:
                if os.fstat(self.fd).st_ino == os.stat(lock_file).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(self.fd)
        try:
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, f"{os.getpid()} {socket.gethostname()}\n".encode(), 0)
        except OSError as e:
            os.close(self.fd)
            raise write_error(output, e) from None

    def close(self) -> None:
        """Remove the lock file, then let go of it (in this order, see the check in ``__init__``)."""
        try:
            self.path.unlink()
        except OSError:
            pass
        os.close(self.fd)


def _read_holder(fd: int) -> str:
    try:
        pid, host = os.pread(fd, 512, 0).decode("utf-8", "replace").split()[:2]
    except (OSError, ValueError):
        return "pid and host unknown"
    return f"pid {pid} on {host}"


_HELD: dict[str, _Lock] = {}


def _lock_file(output: Path, folder: bool) -> Path:
    return output / LOCK if folder else output.parent / f".{output.name}.lock"


def make_folder(out: Path, hint: str = "") -> bool:
    """Create the folder ``out`` (and its parents) unless it is there; whether this call created it. A file of
    that name is refused (``hint`` says what to give instead)."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder{hint}")
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise write_error(out, e) from None
    return created


def hold(output: str | os.PathLike, folder: bool = True) -> Path:
    """Lock ``output`` (a folder, created when missing, or a file) for this process, or raise OutputError
    naming the run that holds it. Re-entrant: each :func:`hold` is undone by one :func:`release`."""
    out = Path(output)
    if folder:
        created = make_folder(out)
    else:
        if out.is_dir():
            raise OutputError(f"{out}: is a folder; give the path of the file to write")
        created = False
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise write_error(out.parent, e) from None
    key = str(out.resolve())
    lock = _HELD.get(key)
    if lock is None:
        try:
            lock = _Lock(out, _lock_file(out, folder))
        except BaseException:
            if created:  # only when still empty: another run may have made it and be writing it now
                try:
                    out.rmdir()
                except OSError:
                    pass
            raise
        lock.created = created
        _HELD[key] = lock
    lock.count += 1
    return out


def release(output: str | os.PathLike, failed: bool = False,
            clean_up: Callable[[Path], None] | None = None) -> None:
    """Undo one :func:`hold`. When the last one ends a failed run in a folder it created, ``clean_up`` is
    called on the folder (before the lock is let go) to remove it again if nothing is worth keeping."""
    out = Path(output)
    key = str(out.resolve())
    lock = _HELD.get(key)
    if lock is None:
        return
    lock.count -= 1
    if lock.count > 0:
        return
    del _HELD[key]
    if failed and lock.created and clean_up is not None:
        clean_up(out)
    lock.close()


@contextmanager
def held(output: str | os.PathLike, folder: bool = True) -> Iterator[Path]:
    """:func:`hold` for the length of a block."""
    out = hold(output, folder)
    try:
        yield out
    except BaseException:
        release(out, failed=True)
        raise
    release(out)
