"""``leia run``: extract, build the entity table and augment in one go; with no arguments, on the sample in
data/, then show a few of the augmented documents. Its options are the fields of
:class:`leia.commands.RunSettings`, the parameters of :func:`leia.run`."""

from __future__ import annotations

import argparse
import sys

from leia.cli.options import add_command_settings, call_with_settings

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    from leia.commands import RunSettings

    add_command_settings(commands, "run", "extract + entities + augment; with no arguments, on the sample in data/",
                         RunSettings, run)


def run(args: argparse.Namespace) -> None:
    from leia.api import run as run_all
    from leia.report import preview

    paths = call_with_settings(run_all, args)
    print(f"documents:      {paths['documents']}")
    print(f"entity table:   {paths['entities']}")
    print(f"augmented:      {paths['augmented']}")
    print()
    for block in preview(paths["augmented"], n=3, width=300, color=sys.stdout.isatty()):
        print(block)
        print()
