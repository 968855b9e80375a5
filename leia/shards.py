"""Shard folders: Arrow IPC stream files made visible only once complete, and the ``manifest.json`` that
says what a folder holds (kind, inputs, parameters, per-shard counters and checksums) so a run can resume and
a reader can tell what it is reading.

A manifest is checked against its schema whenever it is read: a shard is named by a plain file name inside
its folder (never a path), and every shard carries its size and sha256, checked before it is read, resumed
or merged. Beside the manifest, ``README.md`` is the folder's dataset card (:mod:`leia.card`), written with
it, so ``datasets.load_dataset(folder)`` reads exactly the finished shards.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

import pyarrow as pa

from leia import __version__
from leia.card import CARD
from leia.errors import InputError, OutputError
from leia.integrity import buffer_sha256, file_sha256, identity_change
from leia.outputs import (
    LOCK, fsync_folder, hold, is_temporary, release, temp_name, write_error, write_json_atomic,
)

__all__ = [
    "MANIFEST", "CARD", "Manifest", "ShardWriter", "shard_name", "write_json_atomic", "open_output",
    "read_manifest", "read_manifest_file", "iter_record_batches", "open_shard", "shard_paths", "schema_matches",
    "check_shard", "remove_temporaries", "finish_output", "verify_folder",
]

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
_SHARD_RE = re.compile(r"^shard-\d{5,}\.(?:arrow|parquet)$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# Written while --overwrite removes the shards of the run it replaces: the files still to remove.
_REMOVING = "removing"


def shard_name(index: int) -> str:
    return f"shard-{index:05d}.arrow"


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


# --- the manifest and its schema ----------------------------------------------------------------------------

def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_counters(value: Any, where: str) -> None:
    if not isinstance(value, dict) or not all(isinstance(k, str) and _is_int(v) for k, v in value.items()):
        raise ValueError(f"{where}: counters must map names to whole numbers")


def _check_shard(shard: Any, n: int) -> None:
    where = f"shards[{n}]"
    if not isinstance(shard, dict):
        raise ValueError(f"{where} is not an object")
    for key in ("index", "file", "rows", "size", "sha256", "counters"):
        if key not in shard:
            raise ValueError(f"{where} has no {key!r}")
    if not _is_int(shard["index"]) or shard["index"] < 0:
        raise ValueError(f"{where}: 'index' must be a whole number >= 0, not {shard['index']!r}")
    name = shard["file"]
    if not isinstance(name, str) or not _SHARD_RE.match(name) or os.path.basename(name) != name:
        raise ValueError(f"{where}: 'file' must be a shard file name inside the folder (shard-NNNNN.arrow), "
                         f"not {name!r}")
    for key in ("rows", "size"):
        if not _is_int(shard[key]) or shard[key] < 0:
            raise ValueError(f"{where}: {key!r} must be a whole number >= 0, not {shard[key]!r}")
    if not isinstance(shard["sha256"], str) or not _SHA256_RE.match(shard["sha256"]):
        raise ValueError(f"{where}: 'sha256' must be 64 hexadecimal digits")
    _check_counters(shard["counters"], where)


def validate_manifest(data: Any) -> None:
    """Raise ValueError saying what is wrong when ``data`` is not a manifest leia writes."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    types = {"kind": str, "complete": bool, "inputs": list, "parameters": dict, "shards": list, "schema": str}
    for key, kind in types.items():
        if key not in data:
            raise ValueError(f"no {key!r}")
        if not isinstance(data[key], kind):
            raise ValueError(f"{key!r} must be a {kind.__name__}, not {type(data[key]).__name__}")
    if "leia_version" in data and not isinstance(data["leia_version"], str):
        raise ValueError("'leia_version' must be a string")
    if not all(isinstance(i, dict) for i in data["inputs"]):
        raise ValueError("'inputs' must be a list of objects")
    if _REMOVING in data and not (isinstance(data[_REMOVING], list) and all(
            isinstance(n, str) and _SHARD_RE.match(n) for n in data[_REMOVING])):
        raise ValueError(f"{_REMOVING!r} must list shard file names")
    indices, files = set(), set()
    for n, shard in enumerate(data["shards"]):
        _check_shard(shard, n)
        if shard["index"] in indices or shard["file"] in files:
            raise ValueError(f"shards[{n}]: shard {shard['index']} ({shard['file']}) is listed twice")
        indices.add(shard["index"])
        files.add(shard["file"])


@dataclass
class Manifest:
    """What a shard folder holds. ``shards`` lists finished shards in order, each with its own counters, so
    that totals come out the same whether a run was interrupted and resumed or not."""

    kind: str
    inputs: list[dict]
    parameters: dict
    schema: str
    shards: list[dict] = field(default_factory=list)
    complete: bool = False
    extra: dict = field(default_factory=dict)
    version: str = __version__

    def add_shard(self, entry: dict) -> None:
        """List a finished shard, keeping the list in shard order."""
        self.shards = [s for s in self.shards if s["index"] != entry["index"]]
        self.shards.append(entry)
        self.shards.sort(key=lambda s: s["index"])

    @property
    def counters(self) -> dict[str, int]:
        total: Counter = Counter()
        for shard in self.shards:
            total.update(shard.get("counters", {}))
        return dict(sorted(total.items()))

    def to_dict(self) -> dict:
        return {
            "kind": self.kind, "leia_version": self.version, "complete": self.complete, "inputs": self.inputs,
            "parameters": self.parameters, **self.extra, "counters": self.counters,
            "shards": self.shards, "schema": self.schema,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> "Manifest":
        """The manifest ``data`` describes; ValueError saying why when it is not one leia writes."""
        validate_manifest(data)
        known = {"kind", "leia_version", "complete", "inputs", "parameters", "counters", "shards", "schema"}
        return cls(
            kind=data["kind"], inputs=data["inputs"], parameters=data["parameters"], schema=data["schema"],
            shards=list(data["shards"]), complete=data["complete"],
            extra={k: v for k, v in data.items() if k not in known}, version=data.get("leia_version", ""),
        )

    def save(self, folder: Path, card: bool = True) -> None:
        """Write the manifest, then (unless ``card`` is False) the dataset card that lists the same shards. A
        shard is listed in the manifest before its file is published, and in the card after."""
        write_json_atomic(Path(folder) / MANIFEST, self.to_dict())
        if card:
            self.save_card(folder)

    def save_card(self, folder: Path) -> None:
        from leia.card import write_card

        write_card(Path(folder), self)


def read_manifest_file(path: Path) -> Manifest:
    """The manifest in file ``path``; InputError when it cannot be read or is not one leia writes."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: unreadable manifest ({e})") from None
    except (ValueError, RecursionError) as e:
        raise InputError(f"{path}: unreadable manifest (not JSON: {e})") from None
    try:
        return Manifest.from_dict(data)
    except ValueError as e:
        raise InputError(f"{path}: not a leia manifest ({e})") from None


def read_manifest(folder: str | os.PathLike, kind: str | None = None) -> Manifest:
    """The manifest of a shard folder; InputError when it is missing, invalid or of another kind."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise InputError(f"{folder}: no {MANIFEST}; not a leia shard folder")
    manifest = read_manifest_file(path)
    if kind is not None and manifest.kind != kind:
        raise InputError(f"{folder}: holds {manifest.kind} shards, expected {kind}")
    return manifest


# --- reading shards, checked ------------------------------------------------------------------------------

def check_shard(folder: Path, entry: dict) -> str | None:
    """What is wrong with the file of a listed shard (missing, another size, another checksum), or None."""
    path = Path(folder) / entry["file"]
    if not path.is_file():
        return "is missing"
    size = path.stat().st_size
    if size != entry["size"]:
        return f"has {size} bytes, the manifest says {entry['size']} (truncated or replaced)"
    if file_sha256(path) != entry["sha256"]:
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


def iter_record_batches(folder: str | os.PathLike, kind: str | None = None) -> Iterator[pa.RecordBatch]:
    """Record batches of every shard of a folder, in shard order, each shard checked first."""
    manifest = read_manifest(folder, kind)
    for shard in manifest.shards:
        reader = open_shard(folder, shard)
        try:
            yield from reader
        except pa.ArrowInvalid as e:
            raise InputError(f"{Path(folder) / shard['file']}: unreadable ({e})") from None


def shard_paths(folder: str | os.PathLike, kind: str | None = None) -> tuple[list[Path], Manifest]:
    """The paths of a folder's listed shards, each checked against its size and checksum."""
    folder = Path(folder)
    manifest = read_manifest(folder, kind)
    for shard in manifest.shards:
        problem = check_shard(folder, shard)
        if problem:
            raise InputError(f"{folder}: shard {shard['file']} {problem}; check the folder with `leia verify`")
    return [folder / s["file"] for s in manifest.shards], manifest


def schema_matches(schema: pa.Schema, expected: pa.Schema) -> bool:
    """True when ``schema`` has every field of ``expected`` with the same type (extra fields allowed)."""
    for f in expected:
        i = schema.get_field_index(f.name)
        if i < 0 or not schema.field(i).type.equals(f.type):
            return False
    return True


# --- output folders -----------------------------------------------------------------------------------------

def _run_key(m: Manifest) -> tuple:
    return m.kind, m.parameters, m.schema, m.extra.get("split")


def _input_names(m: Manifest) -> list:
    return [(i.get("kind"), i.get("path")) for i in m.inputs]


def _changed_input(old: Manifest, new: Manifest) -> str | None:
    for before, now in zip(old.inputs, new.inputs):
        change = identity_change(before, now)
        if change:
            return f"the input {now.get('path')} is not the one this folder was written from: {change}"
    return None


def open_output(folder: str | os.PathLike, new: Manifest, overwrite: bool = False,
                inputs: tuple[str | os.PathLike, ...] = ()) -> tuple[Path, Manifest]:
    """Prepare an output folder, lock it for this run, and return the manifest to continue from.

    An empty or missing folder starts afresh; a folder holding this same run (same kind, inputs, parameters,
    schema and part) resumes from its finished shards, each checked against its checksum (a damaged one is
    redone); anything else is refused before any work starts, unless ``overwrite``, which removes the files
    the old manifest lists, and only those, after writing the new manifest. A folder that is one of
    ``inputs`` or directly holds one is always refused. The lock is held until :func:`finish_output`.
    """
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder")
    for given in inputs:
        source = Path(given).resolve()
        if out.resolve() == source or (source.is_file() and source.parent == out.resolve()):
            raise OutputError(f"{out}: holds the input {given}; write the output to another folder")
    hold(out)
    try:
        return out, _prepare(out, new, overwrite)
    except BaseException:
        release(out, failed=True, clean_up=_remove_empty)
        raise


def finish_output(folder: str | os.PathLike, failed: bool = False) -> None:
    """End the run :func:`open_output` started in ``folder``: release its lock."""
    release(folder, failed=failed, clean_up=_remove_empty)


def _remove_empty(out: Path) -> None:
    """Remove a folder that holds nothing but what a run writes before its first shard."""
    if not out.is_dir():
        return
    names = {p.name for p in out.iterdir()}
    if not names <= {LOCK, MANIFEST, CARD} | {n for n in names if is_temporary(n)}:
        return
    if MANIFEST in names:
        try:
            if read_manifest_file(out / MANIFEST).shards:
                return
        except Exception:
            return
    for name in names:
        (out / name).unlink(missing_ok=True)
    try:
        out.rmdir()
    except OSError:
        pass


def _prepare(out: Path, new: Manifest, overwrite: bool) -> Manifest:
    manifest_path = out / MANIFEST
    if not manifest_path.exists():
        listed = sorted(p.name for p in out.iterdir() if _SHARD_RE.match(p.name))
        if listed:
            raise OutputError(f"{out}: holds shard files without a manifest ({listed[0]}, ...), not a folder leia "
                              "can resume or replace; remove them or choose another folder")
        _check_card_is_ours(out)
        remove_temporaries(out)
        return new
    try:
        old = read_manifest_file(manifest_path)
    except InputError as e:
        raise OutputError(f"{e}; choose another folder (leia replaces only a folder whose manifest it can "
                          "read)") from None
    _check_card_is_ours(out)
    remove_temporaries(out)
    _finish_removing(out, old)
    if not overwrite:
        if _run_key(old) != _run_key(new) or _input_names(old) != _input_names(new):
            raise OutputError(f"{out}: holds {old.kind} shards of another run (different inputs, parameters, "
                              "schema or part of a split); choose another folder or pass --overwrite")
        if old.inputs != new.inputs:
            change = _changed_input(old, new) or "its description in the manifest differs"
            raise OutputError(f"{out}: {change}; rerun with the original input, or pass --overwrite to start "
                              "again")
        new.shards = []
        for shard in old.shards:
            problem = check_shard(out, shard)
            if problem is None:
                new.shards.append(shard)
            elif problem != "is missing":
                log.warning("%s: shard %s %s; it is written again", out, shard["file"], problem)
                (out / shard["file"]).unlink()
        return new
    # --overwrite: first a manifest of the new run that still names the old files, then remove them.
    stale = [s["file"] for s in old.shards if (out / s["file"]).exists()]
    new.shards = []
    if stale:
        new.extra[_REMOVING] = stale
        new.save(out)
        for name in stale:
            (out / name).unlink(missing_ok=True)
        del new.extra[_REMOVING]
    new.save(out)
    return new


def _finish_removing(out: Path, old: Manifest) -> None:
    """Complete the removal an interrupted --overwrite started."""
    stale = old.extra.get(_REMOVING)
    if stale:
        for name in stale:
            (out / name).unlink(missing_ok=True)
        del old.extra[_REMOVING]
        old.save(out)


def _check_card_is_ours(out: Path) -> None:
    from leia.card import is_leia_card

    card = out / CARD
    if card.exists() and not is_leia_card(card):
        raise OutputError(f"{card}: a README.md leia did not write; leia writes the folder's dataset card there, "
                          "so move it away or choose another folder")


def remove_temporaries(out: Path) -> None:
    """Files that runs left under leia's temporary names (shards, manifest, card). Only the holder of the
    folder's lock calls this, so none of them is being written."""
    for p in out.iterdir():
        if p.name != LOCK and is_temporary(p.name):
            p.unlink(missing_ok=True)


def verify_folder(folder: str | os.PathLike) -> list[str]:
    """What is wrong with a shard folder, one line each (an empty list when nothing is): its manifest, each
    listed shard (present, same size and checksum, an Arrow stream of the manifest's schema with as many rows
    as listed), files under shard names that no manifest lists, leftovers of stopped runs, the dataset card."""
    from leia.card import card_text

    folder = Path(folder)
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
        if _SHARD_RE.match(p.name) and p.name not in listed:
            problems.append(f"{p}: a shard file the manifest does not list")
        elif is_temporary(p.name):
            problems.append(f"{p}: left by a run that was stopped (removed when the run is resumed)")
    card = folder / CARD
    if not card.is_file() or card.read_text(encoding="utf-8", errors="replace") != card_text(manifest):
        problems.append(f"{card}: missing or not the dataset card of this manifest")
    return problems
