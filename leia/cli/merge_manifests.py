"""``leia merge-manifests``: assemble the output folders of a run split into parts (--num-parts) into one."""

from __future__ import annotations

import argparse

from leia.cli.options import add_command, add_overwrite
from leia.cli.report import print_counters

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = add_command(commands, "merge-manifests", help="assemble the output folders of a split run (--num-parts)")
    p.add_argument("parts", nargs="+", metavar="PART", help="the output folder of every part")
    p.add_argument("-o", "--output", required=True, help="folder to assemble the shards and manifest in")
    p.add_argument("--move", action="store_true", help="move the shard files (default: hard link, else copy)")
    add_overwrite(p, "replace another run's shards in OUTPUT")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from leia.execute.parts import merge_manifests

    manifest = merge_manifests(args.parts, args.output, move=args.move, overwrite=args.overwrite)
    print_counters(f"{len(manifest.shards)} shards of {len(args.parts)} parts in {args.output}", manifest.counters)
