"""Shard folders: Arrow IPC stream files made visible only once complete, and the ``manifest.json`` that
says what a folder holds (kind, inputs, parameters, per-shard counters) so a run can resume and a reader can
tell what it is reading."""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

import pyarrow as pa

from leia import __version__
from leia.errors import InputError, OutputError

__all__ = [
    "MANIFEST", "Manifest", "ShardWriter", "shard_name", "write_json_atomic", "open_output",
    "read_manifest", "iter_record_batches", "schema_matches",
]

MANIFEST = "manifest.json"


def shard_name(index: int) -> str:
    return f"shard-{index:05d}.arrow"


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2, sort_keys=False)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class ShardWriter:
    """Writes one Arrow IPC stream file under ``schema``; the file appears under its final name only when
    :meth:`close` succeeds (written as ``NAME.tmp`` first, or ``NAME.tmp-TAG``)."""

    def __init__(self, path: Path, schema: pa.Schema, tag: str = ""):
        self.path = Path(path)
        self.tmp = self.path.with_name(self.path.name + (f".tmp-{tag}" if tag else ".tmp"))
        self.schema = schema
        self.rows = 0
        self._sink = pa.OSFile(str(self.tmp), "wb")
        self._writer = pa.ipc.new_stream(self._sink, schema)

    def write(self, rows: "pa.RecordBatch | list[dict]") -> None:
        """Append a record batch, or rows as dicts."""
        if isinstance(rows, pa.RecordBatch):
            self.write_batch(rows)
        else:
            self.write_rows(rows)

    def entry(self, index: int, counters: Mapping[str, int]) -> dict:
        """This shard's entry in a manifest."""
        return {"index": index, "file": self.path.name, "rows": self.rows, "counters": dict(sorted(counters.items()))}

    def write_rows(self, rows: list[dict]) -> None:
        if rows:
            self.write_batch(pa.RecordBatch.from_pylist(rows, schema=self.schema))

    def write_batch(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows:
            self._writer.write_batch(batch)
            self.rows += batch.num_rows

    def close(self, publish: bool = True) -> None:
        """Finish the file; with ``publish=False`` it stays under its temporary name for the caller to
        :meth:`publish` (after listing it in a manifest, say)."""
        self._writer.close()
        self._sink.close()
        with open(self.tmp, "rb+") as f:
            os.fsync(f.fileno())
        if publish:
            self.publish()

    def publish(self) -> None:
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            self._writer.close()
            self._sink.close()
        finally:
            self.tmp.unlink(missing_ok=True)


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
        known = {"kind", "leia_version", "complete", "inputs", "parameters", "counters", "shards", "schema"}
        return cls(
            kind=data["kind"], inputs=data.get("inputs", []), parameters=data.get("parameters", {}),
            schema=data.get("schema", ""), shards=list(data.get("shards", [])),
            complete=bool(data.get("complete")), extra={k: v for k, v in data.items() if k not in known},
            version=data.get("leia_version", ""),
        )

    def save(self, folder: Path) -> None:
        write_json_atomic(Path(folder) / MANIFEST, self.to_dict())


def read_manifest(folder: str | os.PathLike, kind: str | None = None) -> Manifest:
    """The manifest of a shard folder; InputError when it is missing or of another kind."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise InputError(f"{folder}: no {MANIFEST}; not a leia shard folder")
    try:
        manifest = Manifest.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError) as e:
        raise InputError(f"{path}: unreadable manifest ({e})") from None
    if kind is not None and manifest.kind != kind:
        raise InputError(f"{folder}: holds {manifest.kind} shards, expected {kind}")
    return manifest


def schema_matches(schema: pa.Schema, expected: pa.Schema) -> bool:
    """True when ``schema`` has every field of ``expected`` with the same type (extra fields allowed)."""
    for f in expected:
        i = schema.get_field_index(f.name)
        if i < 0 or not schema.field(i).type.equals(f.type):
            return False
    return True


def open_output(folder: str | os.PathLike, new: Manifest, overwrite: bool = False,
                inputs: tuple[str | os.PathLike, ...] = ()) -> tuple[Path, Manifest]:
    """Prepare an output folder and return the manifest to continue from.

    An empty or missing folder starts afresh; a folder holding this same run (same kind, inputs, parameters,
    schema and part) resumes from its finished shards; anything else is refused before any work starts,
    unless ``overwrite``, which removes the old shards first. A folder that is one of ``inputs`` or directly
    holds one is always refused. Only leia's own files are ever removed.
    """
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder")
    for given in inputs:
        source = Path(given).resolve()
        if out.resolve() == source or (source.is_file() and source.parent == out.resolve()):
            raise OutputError(f"{out}: holds the input {given}; write the output to another folder")
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / MANIFEST
    shards = [p for p in out.iterdir() if p.name.startswith("shard-") and p.suffix in (".arrow", ".parquet")]
    if manifest_path.exists():
        try:
            old = Manifest.from_dict(json.loads(manifest_path.read_text(encoding="utf-8")))
        except (ValueError, KeyError):
            old = None
        key = lambda m: (m.kind, m.inputs, m.parameters, m.schema, m.extra.get("split"))  # noqa: E731
        if old is not None and key(old) == key(new) and not overwrite:
            _remove_partial(out)
            new.shards = [s for s in old.shards if (out / s["file"]).is_file()]
            return out, new
        if not overwrite:
            what = f"{old.kind} shards of another run" if old else "an unreadable manifest"
            raise OutputError(f"{out}: holds {what} (different inputs, parameters, schema or part of a split); "
                              "choose another folder or pass --overwrite")
        manifest_path.unlink()
    elif shards and not overwrite:
        raise OutputError(f"{out}: holds shard files without a manifest; choose another folder or pass --overwrite")
    for p in shards:
        p.unlink()
    _remove_partial(out)
    return out, new


def _remove_partial(out: Path) -> None:
    """Files a killed run left under temporary names (shards, manifest)."""
    for tmp in [*out.glob("shard-*.tmp*"), *out.glob(MANIFEST + ".tmp")]:
        tmp.unlink()


def iter_record_batches(folder: str | os.PathLike, kind: str | None = None) -> Iterator[pa.RecordBatch]:
    """Record batches of every shard of a folder, in shard order."""
    manifest = read_manifest(folder, kind)
    for shard in manifest.shards:
        path = Path(folder) / shard["file"]
        with pa.OSFile(str(path), "rb") as source:
            reader = pa.ipc.open_stream(source)
            yield from reader
