"""Files every process memory-maps instead of loading (the names of an entity table, the surfaces of a mention
dictionary): typed sections in one file beside the DuckDB file they are built from, published with it, and
tied to it by the digest its ``meta`` records.

A file is ``LEIAMAP1``, the length of a JSON header, the header (its kind, what its builder records, each
section's dtype, offset and length, and a sha256 digest of all of it), then the sections, each aligned to 64
bytes. Opening one reads the header only; its sections are numpy arrays over the mapping, whose pages the
operating system shares between all the processes that map the file (forked workers, Ray actors, other runs).
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from leia.errors import InputError

__all__ = ["MAGIC", "Companion", "MappedFile", "write_mapped", "companion_path", "table_key", "open_companion",
           "companion_problems"]

MAGIC = b"LEIAMAP1"
_ALIGN = 64


def _padding(size: int) -> int:
    return -size % _ALIGN


def write_mapped(path: str | os.PathLike, kind: str, sections: dict[str, np.ndarray | bytes],
                 extra: dict | None = None) -> str:
    """Write the sections (numpy arrays, or bytes) to ``path`` as a file of ``kind``; return its digest, which
    depends on the content only (the same sections and ``extra`` give the same file)."""
    layout: dict[str, dict] = {}
    offset = 0
    payloads = []
    for name, value in sections.items():
        if isinstance(value, np.ndarray):
            data = np.ascontiguousarray(value)
            dtype, count = data.dtype.str, int(data.size)
            payload = memoryview(data).cast("B") if data.size else b""
        else:
            dtype, count, payload = "bytes", len(value), value
        layout[name] = {"dtype": dtype, "count": count, "offset": offset, "length": len(payload)}
        payloads.append(payload)
        offset += len(payload) + _padding(len(payload))
    header = {"kind": kind, "extra": extra or {}, "sections": layout}
    digest = hashlib.sha256(json.dumps(header, sort_keys=True).encode())
    for payload in payloads:
        digest.update(payload)
    header["digest"] = digest.hexdigest()
    raw = json.dumps(header, sort_keys=True).encode()
    with open(path, "wb") as f:
        f.write(MAGIC + len(raw).to_bytes(8, "little") + raw + b"\0" * _padding(16 + len(raw)))
        for payload in payloads:
            f.write(payload)
            f.write(b"\0" * _padding(len(payload)))
        f.flush()
        os.fsync(f.fileno())
    return header["digest"]


class MappedFile:
    """A file :func:`write_mapped` wrote, memory-mapped read-only. Pickles as its path: another process maps
    the file again (and refuses it if it changed meanwhile)."""

    def __init__(self, path: str | os.PathLike, kind: str, expect: str | None = None):
        self.path = Path(path)
        try:
            with open(self.path, "rb") as f:
                head = f.read(16)
                size = int.from_bytes(head[8:16], "little") if len(head) == 16 else 0
                if head[:8] != MAGIC or not 0 < size < 1 << 24:
                    raise InputError(f"{self.path}: not a file leia maps (no {MAGIC.decode()} header)")
                header = json.loads(f.read(size))
                self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if os.fstat(f.fileno()).st_size \
                    else None
        except (OSError, ValueError) as e:
            raise InputError(f"{self.path}: unreadable ({e})") from None
        if header.get("kind") != kind:
            raise InputError(f"{self.path}: holds {header.get('kind')!r}, not {kind!r}")
        self.kind = kind
        self.header: dict = header
        self.digest: str = header["digest"]
        self.extra: dict = header.get("extra", {})
        if expect is not None and self.digest != expect:
            raise InputError(f"{self.path}: changed while it was in use (another build replaced it); rerun")
        self._start = 16 + size + _padding(16 + size)
        end = self._start + max((s["offset"] + s["length"] for s in header["sections"].values()), default=0)
        if self._map is None or len(self._map) < end:
            raise InputError(f"{self.path}: truncated (its header describes {end:,} bytes, the file has "
                             f"{0 if self._map is None else len(self._map):,})")

    def __reduce__(self) -> tuple:
        return (MappedFile, (str(self.path), self.kind, self.digest))

    def array(self, name: str) -> np.ndarray:
        """The section ``name`` as a read-only numpy array over the mapping (uint8 for a bytes section)."""
        section = self.header["sections"][name]
        dtype = np.uint8 if section["dtype"] == "bytes" else np.dtype(section["dtype"])
        return np.frombuffer(self._map, dtype=dtype, count=section["count"], offset=self._start + section["offset"])

    def buffer(self, name: str) -> memoryview:
        """The bytes of section ``name``, without a copy."""
        section = self.header["sections"][name]
        start = self._start + section["offset"]
        return memoryview(self._map)[start:start + section["length"]]

    def check(self) -> bool:
        """Whether the sections are still what the digest says (reads the whole file)."""
        header = {k: v for k, v in self.header.items() if k != "digest"}
        digest = hashlib.sha256(json.dumps(header, sort_keys=True).encode())
        for name in sorted(self.header["sections"], key=lambda n: self.header["sections"][n]["offset"]):
            digest.update(self.buffer(name))
        return digest.hexdigest() == self.digest


@dataclass(frozen=True)
class Companion:
    """A mapped file built beside a DuckDB file, from its tables: named ``<file><suffix>``, recorded in its
    ``meta`` under ``key`` (its format and digest), built by ``build(con, path, table_key)`` which writes the
    file at ``path`` from the connection's tables (``extra`` holding ``format`` and ``table``) and returns its
    digest. A new ``format`` makes the files of the old one be built again."""

    suffix: str
    key: str
    kind: str
    what: str
    command: str
    build: Callable[[Any, Path, str], str]
    format: int = 1

    def record(self, digest: str) -> str:
        """What the DuckDB file's meta records of the companion."""
        return json.dumps({"format": self.format, "digest": digest})

    def recorded(self, meta: dict[str, str]) -> str | None:
        """The digest the meta records of a companion of this format (None: none, or of another format)."""
        try:
            record = json.loads(meta.get(self.key) or "null")
        except ValueError:
            return None
        return record.get("digest") if isinstance(record, dict) and record.get("format") == self.format else None

    def current(self, mapped: "MappedFile", key: str) -> bool:
        """Whether a companion no meta records was built by this format from the DuckDB file of ``key``."""
        return mapped.extra.get("format") == self.format and mapped.extra.get("table") == key


def companion_path(database: Path, companion: Companion) -> Path:
    return database.with_name(database.name + companion.suffix)


def table_key(meta: dict[str, str], companion: Companion) -> str:
    """What identifies the DuckDB file a companion was built from: a digest of its ``meta`` (less the
    companion's own record)."""
    rows = {k: v for k, v in meta.items() if k != companion.key}
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


def open_companion(database: Path, meta: dict[str, str], companion: Companion) -> MappedFile:
    """The companion of a DuckDB file, mapped. A file whose meta records the companion's digest refuses a
    companion of another digest; one that is missing (the DuckDB file was copied alone, or built by a leia
    before companions) is built from the DuckDB file first, under its lock, and published atomically."""
    path = companion_path(database, companion)
    recorded = companion.recorded(meta)
    key = table_key(meta, companion)
    if path.exists():
        mapped = MappedFile(path, companion.kind)
        if recorded is not None and mapped.digest != recorded:
            raise InputError(f"{path}: not the {companion.what} of {database} (built from another file); remove "
                             f"it (it is built again from {database.name}) or rebuild both with "
                             f"`{companion.command} --overwrite`")
        if recorded is not None or companion.current(mapped, key):
            return mapped
    _build_beside(database, path, companion, key, recorded)
    mapped = MappedFile(path, companion.kind)
    if recorded is not None and mapped.digest != recorded:
        raise InputError(f"{path}: built again from {database}, it is not the file {database.name} records; "
                         f"rebuild both with `{companion.command} --overwrite`")
    return mapped


def _build_beside(database: Path, path: Path, companion: Companion, key: str, recorded: str | None) -> None:
    """Build the companion of a published DuckDB file, under a lock that another process building it makes
    this one wait for (it then maps what that one built). Two builds give the same bytes, and each is
    published by an atomic rename: a second build is wasted work, never a damaged file."""
    import fcntl

    import duckdb

    from leia.io.files import temp_name

    lock = path.with_name(f".{path.name}.lock")
    tmp = path.with_name(temp_name(path.name))
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise _unwritable(database, path, companion, e) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if path.exists():
            mapped = MappedFile(path, companion.kind)
            if mapped.digest == recorded or (recorded is None and companion.current(mapped, key)):
                return  # built meanwhile by the process that held the lock
        con = duckdb.connect(str(database), read_only=True)
        try:
            companion.build(con, tmp, key)
        finally:
            con.close()
        os.replace(tmp, path)
    except OSError as e:
        raise _unwritable(database, path, companion, e) from None
    finally:
        tmp.unlink(missing_ok=True)
        lock.unlink(missing_ok=True)
        os.close(fd)


def _unwritable(database: Path, path: Path, companion: Companion, e: OSError) -> InputError:
    return InputError(f"{database}: its {companion.what} {path.name} is missing and cannot be written beside it "
                      f"({e.strerror or e}); copy the table to a writable folder, or rebuild it with "
                      f"`{companion.command}`")


def companion_problems(database: Path, meta: dict[str, str], companion: Companion) -> list[str]:
    """What is wrong with the companion of a DuckDB file (``leia verify``): another file's, or changed since it
    was built. A missing one is not wrong: it is built on first use."""
    path = companion_path(database, companion)
    recorded = companion.recorded(meta)
    if not path.exists():
        return []
    try:
        mapped = MappedFile(path, companion.kind)
    except InputError as e:
        return [str(e)]
    if recorded is not None and mapped.digest != recorded:
        return [f"{path}: not the {companion.what} {database.name} records (built from another file)"]
    if recorded is None and not companion.current(mapped, table_key(meta, companion)):
        return [f"{path}: not the {companion.what} of {database.name} (built from another file, or by another "
                "version of leia); remove it and it is built again"]
    if not mapped.check():
        return [f"{path}: its content does not match its digest (the file is damaged); remove it and it is "
                "built again"]
    return []
