"""Running ``leia extract`` and ``leia augment`` on a Ray cluster, with output identical to the local engine's.

The run is cut into parts (:class:`leia.split.Part`): one per input shard when the input is a folder of
documents, one per worker when it is a dump or a corpus (every part then reads the whole input and passes
over the shards of the others). Extraction from a dump that can be read in pieces (the streams of a
multistream ``.xml.bz2``, slices of a plain ``.xml``; :mod:`leia.wiki.multistream`) goes in two passes: the
pieces are first counted in parallel (pages, articles), then each unit writes a run of consecutive shards
reading only the pieces that hold their pages. A pool of Ray actors runs the parts with the local engine's
own code (passed in by leia.extraction and leia.pipeline, so that this module imports neither), each writing its shards on the shared file system under ``OUTPUT/.ray/``; the driver moves every
finished part's shards into ``OUTPUT`` and updates the manifest, so an interrupted run resumes like a local one.

The entity table is read from DuckDB once, by the driver, as an Arrow table of (title, english, source) put
in Ray's object store; each actor receives it once (zero-copy on its node) and builds its lookup map once.
Shared storage is required: every node must see the input, the entity table file and the output folder.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Container

import pyarrow as pa
from tqdm.auto import tqdm

from leia.augmenter import AugmentConfig
from leia.entities import EntityTable
from leia.errors import LeiaError, require
from leia.shards import Manifest, finish_output, open_output, read_manifest
from leia.split import Part, adopt_shards

if TYPE_CHECKING:
    from leia.extraction import ExtractOptions
    from leia.wiki.multistream import BlockCount, DumpBlocks, ShardRange

__all__ = ["augment_on_ray", "extract_on_ray", "names_table", "ExtractJob", "BlockUnit"]

SCRATCH = ".ray"


def names_table(entities: str | os.PathLike) -> pa.Table:
    """Every title of an entity table with its English name and source, as one Arrow table."""
    return EntityTable(entities).names_arrow()


@dataclass(frozen=True)
class _AugmentJob:
    input: str
    entities: str
    config: AugmentConfig
    shard_size: int
    batch_size: int
    augment: Callable[..., Manifest]  # the local engine (leia.pipeline.augment_locally)
    open_source: Callable[..., Any]  # leia.inputs.open_source

    def units(self, workers: int, done: set[int]) -> list[Part]:
        source = self.open_source(self.input, shard_size=self.shard_size, batch_size=self.batch_size)
        if source.kind != "documents":
            return [Part(workers, i) for i in range(workers)]
        indices = [s["index"] for s in read_manifest(source.paths[0]).shards]
        count = max(indices, default=-1) + 1
        return [Part(count, i) for i in indices if i not in done]

    def __call__(self, names: dict | None, folder: str, part: Part, exclude: Container[int]) -> None:
        assert names is not None
        self.augment(EntityTable(self.entities, names), self.input, folder, self.config, workers=1,
                     shard_size=self.shard_size, batch_size=self.batch_size, overwrite=False, progress=False,
                     part=part, exclude=exclude)


@dataclass(frozen=True)
class ExtractJob:
    """An extraction as Ray tasks: the units it is cut into and the work on one unit."""

    dump: str
    shard_size: int
    batch_size: int
    options: ExtractOptions
    extract: Callable[..., Manifest]  # the local engine (leia.extraction.extract_locally)

    def units(self, workers: int, done: set[int]) -> list[Part] | list[BlockUnit]:
        """Shard ranges with the blocks they read when the dump can be read in pieces; otherwise one part
        per worker, each reading the whole dump."""
        from leia.wiki.multistream import dump_blocks, plan_shards

        blocks = dump_blocks(self.dump)
        if len(blocks) < 2 * workers:  # too few pieces to share out: each worker reads the whole dump
            return [Part(workers, i) for i in range(workers)]
        counts = _count_blocks(blocks, 2 * workers)
        return [BlockUnit(blocks, r) for r in plan_shards(counts, self.shard_size, done, 4 * workers)]

    def __call__(self, names: dict | None, folder: str, part: Part | BlockUnit, exclude: Container[int]) -> None:
        from leia.wiki.multistream import RangeReader

        if isinstance(part, Part):
            self.extract(self.dump, folder, workers=1, shard_size=self.shard_size, batch_size=self.batch_size,
                         overwrite=False, progress=False, part=part, exclude=exclude, options=self.options)
            return
        shards = part.shards
        reader = RangeReader(part.blocks, shards.first_block, shards.end_block, shards.first_page)
        self.extract(self.dump, folder, workers=1, shard_size=self.shard_size, batch_size=self.batch_size,
                     overwrite=False, progress=False, exclude=_Outside(shards, exclude), reader=reader,
                     first_article=shards.first_article, options=self.options)


@dataclass(frozen=True)
class BlockUnit:
    """A run of shards of an extraction and the blocks of the dump that hold their pages."""

    blocks: DumpBlocks
    shards: ShardRange

    @property
    def name(self) -> str:
        return self.shards.name


class _Outside:
    """The shards a unit passes over: those outside its own range and those already done."""

    def __init__(self, own: Container[int], done: Container[int]):
        self.own, self.done = own, done

    def __contains__(self, shard: object) -> bool:
        return shard not in self.own or shard in self.done


def _count_blocks(blocks: DumpBlocks, tasks: int) -> list[BlockCount]:
    """The :class:`~leia.wiki.multistream.BlockCount` of every block, counted by ``tasks`` Ray tasks, each
    decoding one range of blocks."""
    import ray

    from leia.wiki.multistream import count_pages, split_ranges

    count = ray.remote(num_cpus=1)(count_pages)
    shared = ray.put(blocks)
    refs = [count.remote(shared, i, j) for i, j in split_ranges(blocks, tasks)]
    return [c for counts in _unwrap(ray, (ray.get(ref) for ref in refs)) for c in counts]


def _unit_name(unit: Any) -> str:
    return getattr(unit, "name", None) or f"part-{unit.shard_index:05d}-of-{unit.num_shards:05d}"


class _Worker:
    """A Ray actor: holds the lookup map and runs one part at a time."""

    def __init__(self, names: pa.Table | None):
        self.names = None if names is None else EntityTable.names_map(names)

    def run(self, job: Callable[..., None], folder: str, part: Part, exclude: frozenset[int]) -> str:
        job(self.names, folder, part, exclude)
        return folder


def _connect(address: str | None) -> tuple[Any, bool]:
    ray = require("ray", "ray")
    if ray.is_initialized():
        return ray, False
    ray.init(address=address, include_dashboard=False, ignore_reinit_error=True, logging_level=logging.WARNING)
    return ray, True


def _run(job: Any, manifest: Manifest, output: str | os.PathLike, *, names: pa.Table | None, workers: int | None,
         address: str | None, overwrite: bool, progress: bool, desc: str, inputs: tuple = ()) -> Manifest:
    ray, started = _connect(address)
    out, manifest = open_output(output, manifest, overwrite=overwrite, inputs=inputs)
    scratch = out / SCRATCH
    if overwrite:
        shutil.rmtree(scratch, ignore_errors=True)
    done = frozenset(s["index"] for s in manifest.shards)
    failed = True
    try:
        n = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        units = job.units(n, done)
        if units:
            from ray.util import ActorPool

            shared = ray.put(names) if names is not None else None
            worker = ray.remote(num_cpus=1)(_Worker)
            pool = ActorPool([worker.remote(shared) for _ in range(min(n, len(units)))])
            folders = [str(scratch / _unit_name(u)) for u in units]
            with tqdm(total=len(units), unit=" parts", desc=desc, disable=not progress, dynamic_ncols=True) as bar:
                results = pool.map_unordered(lambda actor, args: actor.run.remote(job, args[0], args[1], done),
                                             list(zip(folders, units)))
                for folder in _unwrap(ray, results):
                    adopt_shards(Path(folder), manifest, out, move=True)
                    shutil.rmtree(folder)
                    bar.update(1)
        shutil.rmtree(scratch, ignore_errors=True)
        manifest.complete = True
        manifest.save(out)
        failed = False
    finally:
        if started:
            ray.shutdown()
        finish_output(out, failed=failed)
    return manifest


def _unwrap(ray: Any, results: Any) -> Any:
    """Results as they come; a worker's LeiaError is raised as itself, not wrapped in Ray's error."""
    try:
        yield from results
    except ray.exceptions.RayTaskError as e:
        cause = getattr(e, "cause", None)
        if isinstance(cause, LeiaError):
            raise cause from None
        raise


def augment_on_ray(input: str | os.PathLike, entities: str | os.PathLike, output: str | os.PathLike,
                   config: AugmentConfig, *, augment: Callable[..., Manifest], plan: Callable[..., Any],
                   open_source: Callable[..., Any], workers: int | None = None, address: str | None = None,
                   shard_size: int = 20_000, batch_size: int = 256, overwrite: bool = False,
                   progress: bool = True) -> Manifest:
    """``leia augment`` on Ray: the shards and manifest :func:`leia.augment` writes, computed by ``workers``
    actors (default: one per CPU of the cluster). The caller passes the step's pieces: ``augment`` (the local
    engine, run by each actor on its part), ``plan`` (the manifest, leia.pipeline.augment_manifest) and
    ``open_source`` (leia.inputs.open_source)."""
    require("ray", "ray")
    table = EntityTable(entities)
    source = open_source(input, shard_size=shard_size, batch_size=batch_size)
    manifest, _ = plan(source, table, config, input)
    job = _AugmentJob(_absolute(input), str(table.path.resolve()), config, shard_size, batch_size, augment,
                      open_source)
    return _run(job, manifest, output, names=names_table(table.path), workers=workers, address=address,
                overwrite=overwrite, progress=progress, desc=f"augment {Path(input).name} on ray",
                inputs=tuple(source.paths))


def extract_on_ray(dump: str | os.PathLike, output: str | os.PathLike, *, extract: Callable[..., Manifest],
                   plan: Callable[..., Any], options: ExtractOptions, workers: int | None = None,
                   address: str | None = None, shard_size: int = 20_000, batch_size: int = 64,
                   overwrite: bool = False, progress: bool = True) -> Manifest:
    """``leia extract`` on Ray: ``workers`` actors convert runs of shards, each reading only the streams of a
    multistream dump (or slices of a plain one) that hold their pages; a dump that cannot be read in pieces
    (a single bz2 stream, gzip) is read whole by every actor, each converting its own shards. The caller passes
    the step's pieces: ``extract`` (the local engine, run by each actor on its unit) and ``plan`` (the
    manifest, leia.extraction.extract_manifest)."""
    from leia.wiki.dump import DumpReader

    require("ray", "ray")
    manifest, _ = plan(DumpReader(dump), shard_size, options)
    job = ExtractJob(_absolute(dump), shard_size, batch_size, options, extract)
    return _run(job, manifest, output, names=None, workers=workers, address=address, overwrite=overwrite,
                progress=progress, desc=f"extract {Path(dump).name} on ray", inputs=(dump,))


def _absolute(path: str | os.PathLike) -> str:
    return str(Path(path).absolute())
