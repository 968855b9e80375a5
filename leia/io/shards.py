"""Shard files: Arrow IPC stream files made visible only once complete (``ShardWriter``), and reading
them back checked against the manifest's size and sha256 (``open_shard``, ``iter_record_batches``,
``check_shards``), so a reader never reads a damaged or replaced shard; ``verify_folder`` checks a folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Container, Iterator, Mapping

import pyarrow as pa

from leia.errors import InputError
from leia.io.card import CARD
from leia.io.files import fsync_folder, is_temporary, temp_name, write_error
from leia.io.integrity import buffer_sha256, file_sha256
from leia.io.manifest import SHARD_FILE, Manifest, read_manifest

__all__ = [
    "ShardWriter", "iter_record_batches", "open_shard", "shard_paths", "schema_matches", "check_shard",
    "check_shards", "iter_shard_batches", "verify_folder",
]


class ShardWriter:
    """Writes one Arrow IPC stream file under ``schema``; the file appears under its final name only when
    :meth:`close` succeeds (written as the hidden ``.NAME.tmp-PID`` first). A write the file system refuses
    (full, read-only) raises OutputError and leaves nothing behind."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.path = Path(path)
        self.tmp = self.path.with_name(temp_name(self.path.name))
        self.schema = schema
        self.rows = 0
        self.size = 0
        self.sha256 = ""
        try:
            self._sink = pa.OSFile(str(self.tmp), "wb")
            self._writer = pa.ipc.new_stream(self._sink, schema)
        except OSError as e:
            self.tmp.unlink(missing_ok=True)
            raise write_error(self.path.parent, e) from None

    def write(self, rows: "pa.RecordBatch | list[dict]") -> None:
        """Append a record batch, or rows as dicts."""
        if isinstance(rows, pa.RecordBatch):
            self.write_batch(rows)
        else:
            self.write_rows(rows)

    def entry(self, index: int, counters: Mapping[str, int]) -> dict:
        """This shard's entry in a manifest (after :meth:`close`)."""
        return {"index": index, "file": self.path.name, "rows": self.rows, "size": self.size,
                "sha256": self.sha256, "counters": dict(sorted(counters.items()))}

    def write_rows(self, rows: list[dict]) -> None:
        if rows:
            self.write_batch(pa.RecordBatch.from_pylist(rows, schema=self.schema))

    def write_batch(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows:
            try:
                self._writer.write_batch(batch)
            except OSError as e:
                self.abort()
                raise write_error(self.path.parent, e) from None
            self.rows += batch.num_rows

    def close(self, publish: bool = True) -> None:
        """Finish the file and take its checksum; with ``publish=False`` it stays under its temporary name
        for the caller to :meth:`publish` (after listing it in a manifest, say)."""
        try:
            self._writer.close()
            self._sink.close()
            with open(self.tmp, "rb+") as f:
                os.fsync(f.fileno())
            self.size = self.tmp.stat().st_size
            self.sha256 = file_sha256(self.tmp)
        except OSError as e:
            self.tmp.unlink(missing_ok=True)
            raise write_error(self.path.parent, e) from None
        if publish:
            self.publish()

    def publish(self) -> None:
        os.replace(self.tmp, self.path)
        fsync_folder(self.path.parent)

    def abort(self) -> None:
        try:
            self._writer.close()
            self._sink.close()
        except Exception:  # already closed, or the write that failed left it unusable
            pass
        finally:
            self.tmp.unlink(missing_ok=True)


def check_shard(folder: Path, entry: dict, checksum: bool = True) -> str | None:
    """What is wrong with the file of a listed shard (missing, another size, another checksum unless
    ``checksum`` is False), or None."""
    path = Path(folder) / entry["file"]
    if not path.is_file():
        return "is missing"
    size = path.stat().st_size
    if size != entry["size"]:
        return f"has {size} bytes, the manifest says {entry['size']} (truncated or replaced)"
    if checksum and file_sha256(path) != entry["sha256"]:
        return "does not match its checksum in the manifest (damaged or replaced)"
    return None


def open_shard(folder: str | os.PathLike, entry: dict) -> pa.ipc.RecordBatchStreamReader:
    """A reader of a listed shard, after checking the file is the one the manifest lists (one read of the
    file: the checksum is taken over the same memory map the batches are read from)."""
    path = Path(folder) / entry["file"]
    try:
        buffer = pa.memory_map(str(path), "r").read_buffer()
    except FileNotFoundError:
        raise InputError(f"{folder}: shard {entry['file']} listed in the manifest is missing") from None
    except OSError as e:
        raise InputError(f"{path}: unreadable ({e})") from None
    if buffer.size != entry["size"] or buffer_sha256(buffer) != entry["sha256"]:
        raise InputError(f"{path}: does not match its size and checksum in the manifest (damaged or replaced); "
                         "check the folder with `leia verify`")
    try:
        return pa.ipc.open_stream(buffer)
    except pa.ArrowInvalid as e:
        raise InputError(f"{path}: not an Arrow stream ({e})") from None


def iter_shard_batches(folder: str | os.PathLike, manifest: Manifest, skip: Container[int] = ()
                       ) -> Iterator[tuple[int, pa.RecordBatch]]:
    """``(shard index, record batch)`` of every listed shard of ``folder`` not in ``skip``, in shard order,
    each shard checked against the manifest before it is read."""
    for shard in manifest.shards:
        if shard["index"] in skip:
            continue
        reader = open_shard(folder, shard)
        try:
            for rb in reader:
                yield shard["index"], rb
        except pa.ArrowInvalid as e:
            raise InputError(f"{Path(folder) / shard['file']}: unreadable ({e})") from None


def iter_record_batches(folder: str | os.PathLike, kind: str | None = None) -> Iterator[pa.RecordBatch]:
    """Record batches of every shard of a folder, in shard order, each shard checked first."""
    for _, rb in iter_shard_batches(folder, read_manifest(folder, kind)):
        yield rb


def check_shards(folder: str | os.PathLike, manifest: Manifest,
                 hint: str = "check the folder with `leia verify`", checksum: bool = True) -> None:
    """InputError naming the first listed shard of ``folder`` whose file is missing, truncated or (unless
    ``checksum`` is False) replaced; ``hint`` says what to do about it."""
    for shard in manifest.shards:
        problem = check_shard(Path(folder), shard, checksum)
        if problem:
            raise InputError(f"{folder}: shard {shard['file']} {problem}" + (f"; {hint}" if hint else ""))


def shard_paths(folder: str | os.PathLike, kind: str | None = None) -> tuple[list[Path], Manifest]:
    """The paths of a folder's listed shards, each checked against its size and checksum."""
    folder = Path(folder)
    manifest = read_manifest(folder, kind)
    check_shards(folder, manifest)
    return [folder / s["file"] for s in manifest.shards], manifest


def schema_matches(schema: pa.Schema, expected: pa.Schema) -> bool:
    """True when ``schema`` has every field of ``expected`` with the same type (extra fields allowed)."""
    for f in expected:
        i = schema.get_field_index(f.name)
        if i < 0 or not schema.field(i).type.equals(f.type):
            return False
    return True


def verify_folder(folder: str | os.PathLike) -> list[str]:
    """What is wrong with a shard folder, one line each (an empty list when nothing is): its manifest, each
    listed shard (present, same size and checksum, an Arrow stream of the manifest's schema with as many rows
    as listed), files under shard names that no manifest lists, leftovers of stopped runs, the dataset card."""
    from leia.io.card import card_text

    folder = Path(folder)
    if not folder.exists():
        return [f"{folder}: no such file or folder"]
    if not folder.is_dir():
        return [f"{folder}: not a folder"]
    try:
        manifest = read_manifest(folder)
    except InputError as e:
        return [str(e)]
    problems = []
    if not manifest.complete:
        problems.append(f"{folder}: incomplete ({len(manifest.shards)} shards finished); rerun the command that "
                        "wrote it to finish it")
    for shard in manifest.shards:
        name = shard["file"]
        problem = check_shard(folder, shard)
        if problem:
            problems.append(f"{folder / name}: {problem}")
            continue
        try:
            with pa.memory_map(str(folder / name), "r") as source:
                reader = pa.ipc.open_stream(source)
                rows = sum(b.num_rows for b in reader)
                schema = reader.schema
        except (pa.ArrowInvalid, OSError) as e:
            problems.append(f"{folder / name}: not a readable Arrow stream ({e})")
            continue
        if manifest.schema and schema.to_string() != manifest.schema:
            problems.append(f"{folder / name}: its schema is not the manifest's")
        if rows != shard["rows"]:
            problems.append(f"{folder / name}: holds {rows} rows, the manifest says {shard['rows']}")
    listed = {s["file"] for s in manifest.shards}
    for p in sorted(folder.iterdir()):
        if SHARD_FILE.match(p.name) and p.name not in listed:
            problems.append(f"{p}: a shard file the manifest does not list")
        elif is_temporary(p.name):
            problems.append(f"{p}: left by a run that was stopped (removed when the run is resumed)")
    card = folder / CARD
    if not card.is_file() or card.read_text(encoding="utf-8", errors="replace") != card_text(manifest):
        problems.append(f"{card}: missing or not the dataset card of this manifest")
    return problems
