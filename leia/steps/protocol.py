"""The step protocol: what a step reads, the schema and manifest of what it writes, how its input is cut into
work batches of a fixed shard layout, and the pure work on one batch. Executors (:mod:`leia.execute`) run
any step and own everything else: resuming, progress bars, worker pools, manifests.

The shard layout depends only on the input (never on the executor, the number of workers or an
interruption), so every executor writes the same files: a batch names the shard it belongs to, the batches
of one shard come one after another, and the work on a batch is a pure function of it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Container, Iterable, Protocol, Sequence, Union

import pyarrow as pa

from leia.io.manifest import Manifest

__all__ = ["Batch", "WorkResult", "Progress", "Sink", "Piece", "Step", "Chain", "side_outputs"]

# The work's answer for one batch: the rows (a record batch or dicts) to write and what it counted; a step
# with side outputs (``Step.sinks``) adds the rows of each, by sink name.
WorkResult = Union[
    "tuple[pa.RecordBatch | list[dict], dict]",
    "tuple[pa.RecordBatch | list[dict], dict, dict[str, pa.RecordBatch]]",
]


@dataclass
class Batch:
    """One unit of work for shard ``shard``. ``counters`` holds what the reader counted while assembling it
    (pages skipped before any work, say); ``progress`` is how far the input advanced, for the progress bar.
    A batch whose ``payload`` is None carries progress alone (the input read past a finished shard): executors
    show it and do no work on it.
    ``splits``, when the reader joined several record batches to work on them at once, are their numbers of
    rows: the rows the work returns (as many) are written as record batches of those sizes, as the batches
    one at a time would have been."""

    shard: int
    payload: Any
    counters: dict = field(default_factory=dict)
    progress: int = 0
    splits: tuple = ()


@dataclass(frozen=True)
class Progress:
    """How a run of the step is shown: ``total`` in ``unit`` ("B" for bytes of input, " docs"), the
    description, and the counters shown beside the bar (label, counter name)."""

    total: int | None
    unit: str
    desc: str
    shown: tuple[tuple[str, str], ...] = ()


@dataclass
class Sink:
    """A side output of a step: a shard folder written in step with the main one, shard for shard (the
    page table extraction gathers for the entity table, say)."""

    folder: str | os.PathLike
    manifest: Manifest
    schema: pa.Schema


@dataclass(frozen=True)
class Piece:
    """A piece of a run for executors that hand work out (Ray): the step to run, and the shards it owns:
    those of part ``part`` = (number of parts, index) of a split run, or those in ``only``."""

    name: str
    step: "Step"
    part: tuple[int, int] | None = None
    only: Container[int] | None = None


class Step(Protocol):
    """What an executor needs of a step."""

    #: the manifest its output folder starts with (kind, inputs, parameters, schema, wiki)
    manifest: Manifest
    #: the schema of its shards
    schema: pa.Schema
    #: the files it reads: an output folder may not be one of them or hold one
    inputs: Sequence[str | os.PathLike]
    #: side outputs by name (most steps have none)
    sinks: dict[str, Sink]

    def progress(self) -> Progress: ...

    def batches(self, skip: Container[int]) -> Iterable[Batch]:
        """The input cut into batches, in shard order, leaving out the shards in ``skip``."""

    def work(self) -> Callable[[Any], WorkResult]:
        """The pure work on one batch's payload, picklable (it runs in worker processes)."""

    def shards(self) -> list[int] | None:
        """When the input is already cut into shards that can each be read alone: their numbers (workers
        then read, work on and write whole shards); otherwise None."""

    def pieces(self, workers: int, done: Container[int], parallel: Callable[[Callable, list[tuple]], list]
               ) -> list[Piece]:
        """The run cut into pieces for about ``workers`` workers, leaving out the shards in ``done``;
        ``parallel(function, arguments)`` is the executor's map, for planning work worth spreading."""

    def shared(self) -> Any:
        """State the pieces share, read once and sent to each worker once, or None (an entity table is not
        sent: a worker maps the file of its names)."""

    def with_shared(self, state: Any) -> "Step":
        """This step using ``state`` (what :meth:`shared` returned, on another machine)."""


class Chain:
    """Per-batch work done as several stages one after another (pages -> documents -> documents with
    mentions -> augmented), each a callable returning ``(data, counters)``; counters add up. Picklable when
    its stages are."""

    def __init__(self, *stages: Callable[[Any], tuple[Any, dict]]):
        self.stages = stages

    def __call__(self, payload: Any) -> tuple[Any, dict]:
        counters: dict = {}
        data = payload
        for stage in self.stages:
            data, counted = stage(data)
            for key, value in counted.items():
                counters[key] = counters.get(key, 0) + value
        return data, counters


def side_outputs(result: tuple) -> dict[str, Any]:
    """The side outputs of a work result (none for a plain ``(rows, counters)``)."""
    return result[2] if len(result) > 2 else {}
