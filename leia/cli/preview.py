"""``leia preview``: a few augmented documents with their spans highlighted."""

from __future__ import annotations

import argparse
import sys

from leia.cli.options import COUNT, add_command

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = add_command(commands, "preview", help="show a few augmented documents with the spans highlighted")
    p.add_argument("folder")
    p.add_argument("-n", type=COUNT, default=3, help="documents to show (default 3)")
    p.add_argument("--width", type=COUNT, default=600, help="characters per document (default 600)")
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from leia.report import preview

    color = {"always": True, "never": False}.get(args.color, sys.stdout.isatty())
    for block in preview(args.folder, n=args.n, width=args.width, color=color):
        print(block)
        print()
