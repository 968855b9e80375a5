"""Splitting one run among independent processes and putting the pieces back together.

Part ``i`` of ``n`` owns every shard whose index ``s`` has ``s % n == i``. The shard layout depends only on
the input, so ``n`` processes (a job array, several machines, Ray tasks) each given one part write, between
them, exactly the shards one run writes; :func:`merge_manifests` checks that the parts belong together and
assembles a folder whose shards and manifest equal a single run's.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Container, Sequence

from leia.errors import ConfigError, InputError
from leia.execute.output import publish_shard
from leia.io.files import temp_name
from leia.io.folders import finish_output, open_output
from leia.io.manifest import Manifest, read_manifest
from leia.io.shards import check_shards

__all__ = ["Part", "Skipped", "merge_manifests", "adopt_shards", "SPLIT_KEY"]

# The manifest key naming the part a folder holds; absent from a whole run's manifest.
SPLIT_KEY = "split"
_REDO = "rerun that part to redo it"


@dataclass(frozen=True)
class Part:
    """Part ``part_index`` of a run split ``num_parts`` ways; ``shard in part`` says whether it owns a shard."""

    num_parts: int = 1
    part_index: int = 0

    def __post_init__(self) -> None:
        if self.num_parts < 1:
            raise ConfigError(f"--num-parts must be at least 1, got {self.num_parts}")
        if not 0 <= self.part_index < self.num_parts:
            raise ConfigError(f"--part-index must be between 0 and {self.num_parts - 1} for --num-parts "
                              f"{self.num_parts}, got {self.part_index}")

    @property
    def whole(self) -> bool:
        return self.num_parts == 1

    def __contains__(self, shard: object) -> bool:
        return isinstance(shard, int) and shard % self.num_parts == self.part_index

    def to_dict(self) -> dict:
        return {"num_parts": self.num_parts, "part_index": self.part_index}

    def mark(self, manifest: Manifest) -> Manifest:
        """Record in ``manifest`` which part it describes (nothing for a whole run)."""
        if not self.whole:
            manifest.extra[SPLIT_KEY] = self.to_dict()
        return manifest


@dataclass(frozen=True)
class Skipped:
    """The shards a run passes over (``shard in skipped``): those of other parts of a split run, those in
    ``done`` (finished before), and, when ``only`` is given, every shard outside it (one shard of a folder, the
    run of shards a Ray piece owns). Readers test it as they would a set of finished shards."""

    part: Part = Part()
    done: Container[int] = frozenset()
    only: Container[int] | None = None

    def __contains__(self, shard: object) -> bool:
        return (shard not in self.part or shard in self.done
                or (self.only is not None and shard not in self.only))


def _run_key(manifest: Manifest) -> tuple:
    extra = {k: v for k, v in manifest.extra.items() if k != SPLIT_KEY}
    return manifest.kind, manifest.inputs, manifest.parameters, manifest.schema, extra


def _arrive(source: Path, folder: Path, move: bool) -> Path:
    """The file ``source`` under a temporary name in ``folder`` (hard-linked, or copied across file systems),
    ready to be published; ``source`` itself when ``move``."""
    if move:
        return source
    tmp = folder / temp_name(source.name)
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    return tmp


def adopt_shards(part_folder: Path, manifest: Manifest, into: Path, *, move: bool = False,
                 verify: bool = True) -> None:
    """Bring the finished shards of ``part_folder`` (files and manifest entries) into folder ``into`` whose
    manifest is ``manifest``, each published as a shard a run writes (leia.execute.output.publish_shard);
    hard links (or copies) unless ``move``. Each shard is checked against its checksum first unless
    ``verify`` is False (the caller checked them)."""
    part = read_manifest(part_folder, manifest.kind)
    if verify:
        check_shards(part_folder, part, _REDO)
    for shard in part.shards:
        publish_shard(Path(into), manifest, shard, _arrive(Path(part_folder) / shard["file"], Path(into), move))


def merge_manifests(parts: Sequence[str | os.PathLike], output: str | os.PathLike, *, move: bool = False,
                    overwrite: bool = False) -> Manifest:
    """Assemble the folders written by the ``n`` parts of a split run into ``output``.

    Every part must be present and complete, and all must come from the same run (same kind, inputs,
    parameters); each may hold only shards it owns. The result has the shard files and the manifest a single
    run writes. Shard files are hard-linked (copied across file systems) unless ``move``.
    """
    if not parts:
        raise ConfigError("merge-manifests needs the folders of the parts to merge")
    manifests = [read_manifest(p) for p in parts]
    first = manifests[0]
    seen: dict[int, Path] = {}
    num = None
    for folder, m in zip(parts, manifests):
        split = m.extra.get(SPLIT_KEY)
        if not split:
            raise InputError(f"{folder}: not a part of a split run (its manifest has no '{SPLIT_KEY}')")
        # (folders written before the options were named parts record num_shards / shard_index)
        part = Part(int(split.get("num_parts", split.get("num_shards"))),
                    int(split.get("part_index", split.get("shard_index"))))
        if num is None:
            num = part.num_parts
        if part.num_parts != num:
            raise ConfigError(f"{folder}: part of a {part.num_parts}-way split, the others of a {num}-way split")
        if _run_key(m) != _run_key(first):
            raise ConfigError(f"{folder}: comes from another run than {parts[0]} (inputs or parameters differ)")
        if not m.complete:
            raise InputError(f"{folder}: part {part.part_index} of {num} is not finished; rerun it to complete it")
        if part.part_index in seen:
            raise ConfigError(f"{folder} and {seen[part.part_index]}: both hold part {part.part_index} of {num}")
        stray = [s["index"] for s in m.shards if s["index"] not in part]
        if stray:
            raise InputError(f"{folder}: holds shards {stray} that belong to other parts")
        check_shards(folder, m, _REDO)
        seen[part.part_index] = Path(folder)
    assert num is not None
    missing = sorted(set(range(num)) - set(seen))
    if missing:
        raise InputError(f"parts {missing} of {num} are missing; give the folders of all {num} parts")
    merged = Manifest(kind=first.kind, inputs=first.inputs, parameters=first.parameters, schema=first.schema,
                      extra={k: v for k, v in first.extra.items() if k != SPLIT_KEY}, version=first.version)
    if any(Path(p).resolve() == Path(output).resolve() for p in parts):
        raise ConfigError(f"{output}: the merged folder must not be one of the parts")
    out, merged = open_output(output, merged, overwrite=overwrite)
    try:
        merged.shards = []
        merged.save(out)  # from here on the folder is a merge in progress that a rerun takes up
        for index in sorted(seen):
            adopt_shards(seen[index], merged, out, move=move, verify=False)
        merged.complete = True
        merged.save(out)
    except BaseException:
        finish_output(out, failed=True)
        raise
    finish_output(out)
    return merged
