"""``leia mentions build``: the dictionary of anchor texts that finds mentions in plain text; ``leia mentions
detect``: documents -> documents with the mentions it finds (and the repeated ones). Their options are the
fields of :class:`leia.commands.BuildMentionsSettings` and :class:`leia.commands.DetectSettings`, the parameters
of :func:`leia.mentions.build_mentions` and :func:`leia.detect_mentions`."""

from __future__ import annotations

import argparse

from leia.cli.options import add_command, add_command_settings, call_with_settings
from leia.cli.report import print_counters

__all__ = ["add_parser", "run", "run_detect"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    from leia.commands import BuildMentionsSettings, DetectSettings

    p = add_command(commands, "mentions", help="the dictionary of anchor texts that finds mentions in plain text")
    actions = p.add_subparsers(dest="mentions_command", required=True, metavar="ACTION")
    add_command_settings(actions, "build", "documents -> mention dictionary (DuckDB): surfaces, link probability, "
                                           "targets and priors", BuildMentionsSettings, run)
    add_command_settings(actions, "detect", "documents, a dump or a corpus -> documents whose anchors include the "
                                            "mentions detected in plain text (read by `leia augment`)",
                         DetectSettings, run_detect)


def run(args: argparse.Namespace) -> None:
    from leia.mentions import build_mentions

    counters = call_with_settings(build_mentions, args)
    print_counters(f"mention dictionary {args.output}", counters)


def run_detect(args: argparse.Namespace) -> None:
    from leia.api import detect_mentions

    manifest = call_with_settings(detect_mentions, args)
    print_counters(f"documents in {args.output}", manifest.counters)
