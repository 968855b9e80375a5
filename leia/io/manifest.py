"""The ``manifest.json`` of a shard folder: what the folder holds (kind, inputs, parameters, per-shard
counters and checksums), checked against its schema whenever it is read (a shard is named by a plain file
name inside its folder, never a path)."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from leia import __version__
from leia.errors import InputError
from leia.io.files import write_json_atomic

__all__ = ["MANIFEST", "SHARD_FILE", "REMOVING", "Manifest", "validate_manifest", "read_manifest",
           "read_manifest_file", "shard_name"]

MANIFEST = "manifest.json"
SHARD_FILE = re.compile(r"^shard-\d{5,}\.(?:arrow|parquet)$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# Written while --overwrite removes the shards of the run it replaces: the files still to remove.
REMOVING = "removing"


def shard_name(index: int) -> str:
    return f"shard-{index:05d}.arrow"


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
    if not isinstance(name, str) or not SHARD_FILE.match(name) or os.path.basename(name) != name:
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
    if REMOVING in data and not (isinstance(data[REMOVING], list) and all(
            isinstance(n, str) and SHARD_FILE.match(n) for n in data[REMOVING])):
        raise ValueError(f"{REMOVING!r} must list shard file names")
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
        from leia.io.card import write_card

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



