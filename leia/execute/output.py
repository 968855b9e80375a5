"""The output folders of a run as executors write them: opened together (a step's main folder and the folders
of its side outputs), each shard published by the one routine that keeps a folder resumable whatever stops
the run (:func:`publish_shard`), and marked complete together."""

from __future__ import annotations

import copy
import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

import pyarrow as pa

from leia.execute.pool import interrupts_after
from leia.io.files import fsync_folder
from leia.io.folders import finish_output, open_output
from leia.io.manifest import Manifest, shard_name
from leia.io.shards import ShardWriter

if TYPE_CHECKING:
    from leia.execute.parts import Part
    from leia.steps.protocol import Step

__all__ = ["publish_shard", "Output", "Outputs", "open_outputs"]


def publish_shard(folder: Path, manifest: Manifest, entry: dict, file: Path) -> None:
    """Publish a finished shard in ``folder``: list ``entry`` in ``manifest`` and save it, give the shard's
    file (``file``, finished under another name) its own name, then write the card. A visible shard is
    always a listed one, so a run killed in between resumes (a listed shard whose file is absent is simply
    redone); Ctrl-C or SIGTERM in between takes effect once all is done."""
    folder = Path(folder)
    with interrupts_after():
        manifest.add_shard(entry)
        manifest.save(folder, card=False)
        os.replace(file, folder / entry["file"])
        fsync_folder(folder)
        manifest.save_card(folder)


class Output:
    """One output folder of a run: its manifest, and the shard being written into it."""

    def __init__(self, out: str | os.PathLike, manifest: Manifest, schema: pa.Schema):
        self.out, self.manifest, self.schema = Path(out), manifest, schema
        self.writer: ShardWriter | None = None
        self.counters: Counter = Counter()

    def start(self, index: int) -> None:
        self.writer = ShardWriter(self.out / shard_name(index), self.schema)
        self.counters = Counter()

    def publish(self, index: int, counters: Mapping[str, int] | None = None) -> dict:
        """Finish the shard being written and publish it (:func:`publish_shard`) with ``counters`` (by default
        those gathered in :attr:`counters`); returns its manifest entry."""
        assert self.writer is not None
        self.writer.close(publish=False)
        entry = self.writer.entry(index, self.counters if counters is None else counters)
        publish_shard(self.out, self.manifest, entry, self.writer.tmp)
        self.writer = None
        return entry

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()
            self.writer = None

    def complete(self) -> None:
        self.manifest.complete = True
        self.manifest.save(self.out)


class Outputs:
    """The folders of one run: the ``main`` output and the side outputs (``sides``, by sink name)."""

    def __init__(self, main: Output, sides: Mapping[str, Output] | None = None):
        self.main, self.sides = main, dict(sides or {})

    @property
    def all(self) -> list[Output]:
        """Every folder, the side outputs first (a shard listed in the main output is finished everywhere)."""
        return [*self.sides.values(), self.main]

    def done(self) -> set[int]:
        """The shards finished in every folder (a shard missing from one is done again, to the same bytes)."""
        done = {s["index"] for s in self.main.manifest.shards}
        for side in self.sides.values():
            done &= {s["index"] for s in side.manifest.shards}
        return done

    def complete(self) -> None:
        """Mark the run complete in every manifest and release the folders."""
        try:
            for output in self.all:
                output.complete()
        finally:
            self.finish()

    def finish(self, failed: bool = False) -> None:
        """Release the folders (``failed``: removing those that hold nothing)."""
        for output in self.all:
            finish_output(output.out, failed=failed)


def open_outputs(step: "Step", folder: str | os.PathLike, part: "Part", overwrite: bool,
                 sides: Mapping[str, str | os.PathLike] | None = None) -> Outputs:
    """Open the output folder of ``step`` and those of its side outputs (in ``sides`` by sink name, when given,
    instead of the sinks' own folders), each with a copy of the step's manifest marked with ``part``."""
    inputs = tuple(step.inputs)

    def opened(where: str | os.PathLike, manifest: Manifest, schema: pa.Schema) -> Output:
        out, manifest = open_output(where, part.mark(copy.deepcopy(manifest)), overwrite=overwrite, inputs=inputs)
        return Output(out, manifest, schema)

    main = opened(folder, step.manifest, step.schema)
    outputs = Outputs(main)
    try:
        for name, sink in step.sinks.items():
            outputs.sides[name] = opened(sink.folder if sides is None else sides[name], sink.manifest, sink.schema)
    except BaseException:
        outputs.finish(failed=True)
        raise
    return outputs
