"""``leia preview``: a few augmented documents with their spans highlighted."""

from __future__ import annotations

import argparse
import sys

from leia.cli.options import add_command
from leia.settings import COUNT

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = add_command(commands, "preview", help="show a few augmented documents with the spans highlighted")
    p.add_argument("folder", help="a folder of augmented shards")
    p.add_argument("-n", type=COUNT, default=3, help="documents to show (default 3)")
    p.add_argument("--width", type=COUNT, default=None,
                   help="characters per document (default 600, leia.preview's)")
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto",
                   help="highlight the spans (default: when stdout is a terminal)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from leia.report import PREVIEW_WIDTH, preview

    color = {"always": True, "never": False}.get(args.color, sys.stdout.isatty())
    width = PREVIEW_WIDTH if args.width is None else args.width
    for block in preview(args.folder, n=args.n, width=width, color=color):
        print(block)
        print()
