"""The step protocol: what a step reads, the schema and manifest of what it writes, how its input is cut into
work batches of a fixed shard layout, and the pure work on one batch. Executors (:mod:`leia.execute`) run
steps and own everything else: resuming, progress bars, worker pools, manifests.

A step is a subclass of :class:`Step` that sets ``schema`` and ``manifest`` and writes :meth:`Step.batches`
and :meth:`Step.work`; everything else has a default. The shard layout depends only on the input (never on
the executor, the number of workers or an interruption), so every executor writes the same files: a batch
names the shard it belongs to, the batches of one shard come one after another, and the work on a batch is
a pure function of it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Container, Iterable, Mapping, NamedTuple, Sequence

import pyarrow as pa

from leia.io.manifest import Manifest

__all__ = ["Batch", "WorkResult", "Bar", "Sink", "Piece", "Step", "Chain"]

_NONE: Mapping = MappingProxyType({})


class WorkResult(NamedTuple):
    """The work's answer for one batch: the ``rows`` to write (a record batch, or dicts), what it
    counted (``counters``), and the rows of each side output by sink name (``Step.sinks``; none for most steps). A work
    function may return a plain ``(rows, counters)`` tuple: executors read any answer as ``WorkResult(*answer)``."""

    rows: Any
    counters: Mapping[str, int]
    sides: Mapping[str, pa.RecordBatch] = {}  # (never changed: one empty dict serves every result)


@dataclass
class Batch:
    """One unit of work for shard ``shard``. ``counters`` holds what the reader counted while assembling it
    (pages skipped before any work, say); ``advance`` is how far the input advanced with it, in the unit of the
    step's :class:`Bar`. A batch whose ``payload`` is None carries the advance alone (the input read past a
    finished shard): executors show it and do no work on it.
    ``splits``, when the reader joined several record batches to work on them at once, are their numbers of
    rows: the rows the work returns (as many) are written as record batches of those sizes, as the batches
    one at a time would have been."""

    shard: int
    payload: Any
    counters: dict = field(default_factory=dict)
    advance: int = 0
    splits: tuple = ()


@dataclass(frozen=True)
class Bar:
    """How the progress bar of a run of the step looks: ``total`` in ``unit`` ("B" for bytes of input,
    " docs"; None when unknown), the description, and the counters shown beside it (label, counter name)."""

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


class Step:
    """What an executor needs of a step. A step sets :attr:`schema` and :attr:`manifest` and writes
    :meth:`batches` and :meth:`work`; the rest has defaults that fit a step with no side output whose input
    is read as one stream. An executor never changes the step's manifest (it works on a copy)."""

    #: the schema of its shards
    schema: pa.Schema
    #: the manifest its output folder starts with (kind, inputs, parameters, schema, wiki)
    manifest: Manifest
    #: the files it reads: an output folder may not be one of them or hold one
    inputs: Sequence[str | os.PathLike] = ()
    #: side outputs by name, each written shard for shard with the main output
    sinks: Mapping[str, Sink] = _NONE

    def batches(self, skip: Container[int]) -> Iterable[Batch]:
        """The input cut into batches, in shard order, leaving out the shards in ``skip``."""
        raise NotImplementedError

    def work(self) -> Callable[[Any], WorkResult | tuple]:
        """The pure work on one batch's payload, picklable (it runs in worker processes); anything it loads
        once for every batch is loaded here, before workers fork."""
        raise NotImplementedError

    def bar(self) -> Bar:
        """How its progress bar looks: by default, batches of an unknown total, named after its kind."""
        return Bar(None, " batches", self.manifest.kind)

    def shards(self) -> list[int] | None:
        """When the input is already cut into shards that can each be read alone: their numbers (workers
        then read, work on and write whole shards); by default None."""
        return None

    def pieces(self, workers: int, done: Container[int], parallel: Callable[[Callable, list[tuple]], list]
               ) -> list[Piece]:
        """The run cut into pieces for about ``workers`` workers, leaving out the shards in ``done``;
        ``parallel(function, arguments)`` is the executor's map, for planning work worth spreading. By
        default one part per worker, each reading the whole input and passing over the shards of the others."""
        return [Piece(f"part-{i:05d}-of-{workers:05d}", self, part=(workers, i)) for i in range(workers)]

    def shared(self) -> Any:
        """State the pieces share, read once and sent to each worker once; by default None (an entity table
        is not sent: a worker maps the file of its names)."""
        return None

    def with_shared(self, state: Any) -> "Step":
        """This step using ``state`` (what :meth:`shared` returned, on another machine)."""
        return self


class Chain:
    """Per-batch work done as several stages one after another (pages -> documents -> documents with
    mentions -> augmented), each a callable answering as a work function does (:class:`WorkResult`, with no
    side output) with the data the next stage takes; counters add up. Picklable when its stages are."""

    def __init__(self, *stages: Callable[[Any], WorkResult | tuple]):
        self.stages = stages

    def __call__(self, payload: Any) -> tuple[Any, dict]:
        counters: dict = {}
        data = payload
        for stage in self.stages:
            data, counted, sides = WorkResult(*stage(data))
            assert not sides, f"{stage!r} gives side outputs, which a stage of a chain may not"
            for key, value in counted.items():
                counters[key] = counters.get(key, 0) + value
        return data, counters
