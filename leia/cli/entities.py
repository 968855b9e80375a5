"""``leia entities``: build the DuckDB entity table of the English names of a wiki's pages; its options are the
fields of :class:`leia.commands.EntitiesSettings`, the parameters of :func:`leia.build_entities`."""

from __future__ import annotations

import argparse

from leia.cli.options import add_command_settings, call_with_settings
from leia.cli.report import print_counters

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    from leia.commands import EntitiesSettings

    add_command_settings(commands, "entities", "build the DuckDB entity table of English names", EntitiesSettings,
                         run)


def run(args: argparse.Namespace) -> None:
    from leia.entities import build_entities

    counters = call_with_settings(build_entities, args)
    print_counters(f"entity table {args.output}", counters)
