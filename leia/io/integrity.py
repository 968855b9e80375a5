"""Knowing that data is what it was: checksums of shards, and the identity of an input file.

A shard's checksum is the sha256 of its bytes (hashlib runs at about 1.1 GB/s per core here, some 30 times
the rate at which augmentation reads documents). An input file is known by its size, its modification time
and the sha256 of its first and last MiB, so a dump downloaded again, touched, truncated or swapped for
another of the same size is told apart without reading it whole.
"""

from __future__ import annotations

import hashlib
import os
import stat

from leia.errors import InputError

__all__ = ["file_sha256", "buffer_sha256", "file_identity", "identity_change", "IDENTITY_KEYS", "regular_file"]

_MIB = 1 << 20
IDENTITY_KEYS = ("size", "mtime", "head_tail_sha256")


def buffer_sha256(data) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def regular_file(path: str | os.PathLike, what: str = "input") -> os.stat_result:
    """The stat of ``path`` when it is a regular file; InputError otherwise (a FIFO or a device would block
    or never end)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{os.fspath(path)}: no such file" + (f" ({what})" if what != "input" else "")) from None
    except OSError as e:
        raise InputError(f"{os.fspath(path)}: cannot be read ({e.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{os.fspath(path)}: is a folder, expected a file ({what})")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{os.fspath(path)}: not a regular file (a pipe or a device?); give the {what} as a file")
    return st


def file_identity(path: str | os.PathLike) -> dict:
    """``size``, ``mtime`` (whole seconds) and ``head_tail_sha256`` of a file."""
    st = regular_file(path)
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            digest.update(f.read(_MIB))
            if st.st_size > _MIB:
                f.seek(max(_MIB, st.st_size - _MIB))
                digest.update(f.read(_MIB))
    except OSError as e:
        raise InputError(f"{os.fspath(path)}: cannot be read ({e.strerror})") from None
    return {"size": st.st_size, "mtime": int(st.st_mtime), "head_tail_sha256": digest.hexdigest()}


def identity_change(old: dict, new: dict) -> str | None:
    """How input ``new`` differs from the ``old`` one a folder was written from, or None when it does not."""
    if old.get("size") != new.get("size"):
        return f"its size changed from {old.get('size')} to {new.get('size')} bytes"
    if old.get("head_tail_sha256") != new.get("head_tail_sha256"):
        return "its content changed (same size)"
    if old.get("mtime") != new.get("mtime"):
        return "it was modified since (same size and checksum of its ends, another modification time)"
    if old.get("shards_sha256") != new.get("shards_sha256"):
        return "its shards changed"
    return None

