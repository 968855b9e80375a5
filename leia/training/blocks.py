"""The blocks a run trains on, addressable by index: the packed epochs (folders of ``leia tokenize``'s shards,
memory-mapped) one after another, each epoch's blocks in a seeded order, so that a data loader reaches any
step's batch without reading what comes before it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pyarrow as pa
import torch

from leia.errors import InputError
from leia.io.shards import shard_paths

__all__ = ["BlockDataset", "epoch_blocks"]


def epoch_blocks(folder: str | os.PathLike) -> int:
    """The number of blocks in the folder of one packed epoch (read from its manifest)."""
    from leia.io.manifest import read_manifest

    return sum(s["rows"] for s in read_manifest(folder, "blocks").shards)


class _Epoch:
    """One packed epoch's blocks as (rows, block_size) int32 arrays over memory-mapped record batches."""

    def __init__(self, folder: Path):
        paths, manifest = shard_paths(folder, "blocks")
        if not manifest.complete:
            raise InputError(f"{folder}: the packing of these blocks is not complete; rerun it to finish")
        self.parameters = manifest.parameters
        size = int(manifest.parameters["block_size"])
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for path in paths:  # the memory maps stay open as long as the arrays that view them
            for batch in pa.ipc.open_stream(pa.memory_map(str(path), "r")):
                if batch.num_rows:
                    self.parts.append(tuple(  # type: ignore[arg-type]
                        batch.column(name).flatten().to_numpy().reshape(-1, size)
                        for name in ("input_ids", "labels", "position_ids")))
        self.starts = np.cumsum([0] + [len(p[0]) for p in self.parts])

    def __len__(self) -> int:
        return int(self.starts[-1])

    def block(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        part = int(np.searchsorted(self.starts, index, side="right")) - 1
        row = index - int(self.starts[part])
        ids, labels, positions = self.parts[part]
        return ids[row], labels[row], positions[row]


class BlockDataset(torch.utils.data.Dataset):
    """The blocks of packed epochs, ``folders[e]`` holding epoch ``e``, as one map-style dataset: item ``i`` is
    the ``i``-th block of the run, epoch after epoch, each epoch's blocks in the order of a permutation drawn
    from ``seed`` and the epoch (or as packed, without ``shuffle``). Items are dicts of int64 tensors
    ``input_ids``, ``labels`` and ``position_ids``, what :class:`leia.training.LeiaDataCollator` takes.

    ``length`` cuts the run short (``max_steps`` times the blocks of a step); without it the run holds every
    block of every epoch. Either way the length is rounded up to a multiple of ``multiple_of`` (the blocks of
    one forward pass of all processes) with padding blocks whose labels are all -100, so that every process
    gets the same number of batches and no block is dealt twice.
    """

    def __init__(self, folders: Sequence[str | os.PathLike], *, shuffle: bool = True, seed: int = 0,
                 length: int | None = None, multiple_of: int = 1):
        if not folders:
            raise ValueError("BlockDataset needs the folder of at least one packed epoch")
        loaded: dict[Path, _Epoch] = {}
        for folder in map(Path, folders):
            if folder not in loaded:
                loaded[folder] = _Epoch(folder)
        self.epochs = [loaded[Path(f)] for f in folders]
        sizes = {int(e.parameters["block_size"]) for e in self.epochs}
        if len(sizes) != 1:
            raise InputError(f"the packed epochs have different block sizes: {sorted(sizes)}")
        self.block_size = sizes.pop()
        self.seed, self.shuffle = seed, shuffle
        self.epoch_starts = np.cumsum([0] + [len(e) for e in self.epochs])
        self.blocks = int(self.epoch_starts[-1]) if length is None else min(length, int(self.epoch_starts[-1]))
        self.length = -(-self.blocks // multiple_of) * multiple_of
        pad = self.epochs[0].parameters["tokenizer"].get("pad_token_id")
        self.pad_id = pad if pad is not None else self.epochs[0].parameters["tokenizer"]["eos_token_id"]
        self.label_pad_token_id = int(self.epochs[0].parameters.get("label_pad_token_id", -100))
        self._orders: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return self.length

    def order(self, epoch: int) -> np.ndarray:
        """The order in which epoch ``epoch``'s blocks are dealt."""
        if epoch not in self._orders:
            n = len(self.epochs[epoch])
            self._orders[epoch] = (np.random.default_rng([self.seed, epoch]).permutation(n) if self.shuffle
                                   else np.arange(n))
        return self._orders[epoch]

    def locate(self, index: int) -> tuple[int, int] | None:
        """``(epoch, block of that epoch)`` of item ``index``, or None for a padding block."""
        if not 0 <= index < self.length:
            raise IndexError(index)
        if index >= self.blocks:
            return None
        epoch = int(np.searchsorted(self.epoch_starts, index, side="right")) - 1
        return epoch, int(self.order(epoch)[index - int(self.epoch_starts[epoch])])

    def __getitem__(self, index: int) -> dict[str, Any]:
        where = self.locate(index)
        if where is None:
            size = self.block_size
            return {"input_ids": torch.full((size,), self.pad_id, dtype=torch.int64),
                    "labels": torch.full((size,), self.label_pad_token_id, dtype=torch.int64),
                    "position_ids": torch.arange(size, dtype=torch.int64)}
        ids, labels, positions = self.epochs[where[0]].block(where[1])
        return {"input_ids": torch.from_numpy(ids.astype(np.int64)),
                "labels": torch.from_numpy(labels.astype(np.int64)),
                "position_ids": torch.from_numpy(positions.astype(np.int64))}
