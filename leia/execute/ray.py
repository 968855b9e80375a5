"""The Ray executor: runs a step (:mod:`leia.steps.protocol`) on a Ray cluster, side outputs included, with
output identical to the local executor's.

The step cuts the run into pieces (``Step.pieces``): one per input shard when the input is a folder of
documents, one per worker when it is a dump or a corpus (every piece then reads the whole input and passes
over the shards of the others), runs of consecutive shards with the blocks of a multistream dump that hold
them (planned from block counts made in parallel by Ray tasks). A step that cannot be cut so refuses there
(mention detection, whose dictionary and segmenter stay in one machine's processes). A pool of Ray actors
runs the pieces with the local executor, each writing its shards, and those of the step's side outputs, on
the shared file system under ``OUTPUT/.ray/``; the driver moves every finished piece's shards into
``OUTPUT`` and the side outputs' folders (the side outputs first) and updates their manifests, so an
interrupted run resumes like a local one.

State the pieces share (``Step.shared``) is read once by the driver, put in Ray's object store, and received
once by each actor (zero-copy on its node). An entity table or a mention dictionary is not sent: each actor
maps the file built beside it (its names, its surfaces), whose pages its node shares. Shared storage is
required: every node must see the input, the entity table and its names file, and the output folders.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any, Callable

from tqdm.auto import tqdm

from leia.errors import LeiaError, require
from leia.execute.local import run_step
from leia.execute.output import Outputs, open_outputs
from leia.execute.parts import Part, adopt_shards
from leia.io.manifest import Manifest
from leia.steps.protocol import Piece, Step

__all__ = ["run_on_ray", "SCRATCH"]

SCRATCH = ".ray"


class _Worker:
    """A Ray actor: holds the shared state and runs one piece at a time."""

    def __init__(self, shared: Any):
        self.shared = shared

    def run(self, piece: Piece, folder: str, sides: dict[str, str], done: frozenset[int]) -> str:
        step = piece.step.with_shared(self.shared) if self.shared is not None else piece.step
        run_step(step, folder, workers=1, overwrite=False, progress=False,
                 part=Part(*piece.part) if piece.part else Part(), only=piece.only, exclude=done, sides=sides)
        return folder


def _connect(address: str | None) -> tuple[Any, bool]:
    ray = require("ray", "ray")
    if ray.is_initialized():
        return ray, False
    ray.init(address=address, include_dashboard=False, ignore_reinit_error=True, logging_level=logging.WARNING)
    return ray, True


def _parallel(ray: Any) -> Callable[[Callable, list[tuple]], list]:
    """The executor's map for a step's planning: one Ray task per argument tuple, results in order."""
    def run_all(function: Callable, arguments: list[tuple]) -> list:
        task = ray.remote(num_cpus=1)(function)
        refs = [task.remote(*args) for args in arguments]
        return list(_unwrap(ray, (ray.get(ref) for ref in refs)))

    return run_all


def run_on_ray(step: Step, output: str | os.PathLike, *, workers: int | None = None, address: str | None = None,
               overwrite: bool = False, progress: bool = True) -> Manifest:
    """Run ``step`` on the Ray cluster at ``address`` (a local one when None) with ``workers`` actors
    (default: one per CPU of the cluster), writing the shards and manifests the local executor writes, in
    ``output`` and in the folders of the step's side outputs."""
    ray, started = _connect(address)
    outputs = open_outputs(step, output, Part(), overwrite)
    scratch = outputs.main.out.absolute() / SCRATCH
    if overwrite:
        shutil.rmtree(scratch, ignore_errors=True)
    done = frozenset(outputs.done())
    failed = True
    try:
        n = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        pieces = step.pieces(n, done, _parallel(ray))
        if pieces:
            _run_pieces(ray, step, pieces, n, scratch, done, outputs, progress)
        shutil.rmtree(scratch, ignore_errors=True)
        failed = False
    finally:
        if started:
            ray.shutdown()
        if failed:
            outputs.finish(failed=True)
    outputs.complete()
    return outputs.main.manifest


def _run_pieces(ray: Any, step: Step, pieces: list[Piece], n: int, scratch: Path, done: frozenset[int],
                outputs: Outputs, progress: bool) -> None:
    from ray.util import ActorPool

    state = step.shared()
    shared = ray.put(state) if state is not None else None
    worker = ray.remote(num_cpus=1)(_Worker)
    pool = ActorPool([worker.remote(shared) for _ in range(min(n, len(pieces)))])
    jobs = [(piece, scratch / piece.name, {name: scratch / f"{piece.name}.{name}" for name in outputs.sides})
            for piece in pieces]
    folders = {str(folder): sides for _, folder, sides in jobs}
    desc = f"{step.bar().desc} on ray"
    with tqdm(total=len(pieces), unit=" parts", desc=desc, disable=not progress, dynamic_ncols=True) as bar:
        results = pool.map_unordered(
            lambda actor, job: actor.run.remote(job[0], str(job[1]), {k: str(v) for k, v in job[2].items()}, done),
            jobs)
        for folder in _unwrap(ray, results):
            sides = folders[folder]
            for name, side in sides.items():  # the side outputs first: a shard in OUTPUT is finished everywhere
                adopt_shards(side, outputs.sides[name].manifest, outputs.sides[name].out, move=True)
            adopt_shards(Path(folder), outputs.main.manifest, outputs.main.out, move=True)
            for path in (*sides.values(), Path(folder)):
                shutil.rmtree(path)
            bar.update(1)


def _unwrap(ray: Any, results: Any) -> Any:
    """Results as they come; a worker's LeiaError is raised as itself, not wrapped in Ray's error."""
    try:
        yield from results
    except ray.exceptions.RayTaskError as e:
        cause = getattr(e, "cause", None)
        if isinstance(cause, LeiaError):
            raise cause from None
        raise
