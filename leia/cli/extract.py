"""``leia extract``: a MediaWiki XML or HTML dump -> document shards (plain text and anchors); its options are the
fields of :class:`leia.commands.ExtractSettings`, the parameters of :func:`leia.extract`."""

from __future__ import annotations

import argparse

from leia.cli.options import add_command_settings, call_with_settings
from leia.cli.report import print_counters

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    from leia.commands import ExtractSettings

    add_command_settings(commands, "extract", "MediaWiki XML or HTML dump -> document shards (text + anchors)",
                         ExtractSettings, run)


def run(args: argparse.Namespace) -> None:
    from leia.api import extract

    manifest = call_with_settings(extract, args)
    print_counters(f"documents in {args.output}", manifest.counters)
