"""Executors: where a step runs. The per-batch work and the shard layout are the same everywhere; an
executor only decides which process computes which shards: ``local`` (this machine's processes,
:mod:`leia.execute.local`) or ``ray`` (a Ray cluster, :mod:`leia.execute.ray`). A split into parts
(:mod:`leia.execute.parts`) runs on the local engine (on Ray the cluster divides the work). Here: :func:`check_engine`, which checks the
engine a command names.

- ``local``: runs any step with this machine's processes, resuming from the finished shards;
- ``ray``: hands the pieces a step cuts itself into to Ray actors, each running the local executor;
- ``parts``: one run split among independent processes (job arrays), and their folders merged;
- ``output``: a run's output folders, and the one routine that publishes a shard (:func:`publish_shard`);
- ``pool``: worker processes that cannot hang a run, and the signal handling of a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from leia.commands import ENGINES
from leia.errors import ConfigError

if TYPE_CHECKING:
    from leia.execute.parts import Part

__all__ = ["check_engine"]


def check_engine(engine: str, part: "Part") -> str:
    """Refuse an unknown engine, and a split run on Ray (the cluster already divides the work); return
    ``engine``. A missing Ray is reported when the Ray engine starts, with its install line."""
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "ray" and not part.whole:
        raise ConfigError("--num-parts splits a run among independent processes; with --engine ray the cluster "
                          "already divides the work: drop --num-parts/--part-index or use --engine local")
    return engine
