"""``leia augment``: insert <translate>English</translate> spans after the mentions of documents; its options are
the fields of :class:`leia.commands.AugmentSettings`, the parameters of :func:`leia.augment`."""

from __future__ import annotations

import argparse

from leia.cli.options import add_command_settings, call_with_settings
from leia.cli.report import print_counters

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    from leia.commands import AugmentSettings

    add_command_settings(commands, "augment", "insert <translate>English</translate> spans; write augmented shards",
                         AugmentSettings, run)


def run(args: argparse.Namespace) -> None:
    from leia.api import augment

    manifest = call_with_settings(augment, args)
    print_counters(f"augmented documents in {args.output}", manifest.counters)
