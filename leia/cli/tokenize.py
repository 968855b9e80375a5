"""``leia tokenize``: augmented shards -> packed blocks of token ids (``input_ids``, ``labels`` with the
markers masked, ``position_ids``) as shards with a manifest and a card, for trainers that never import leia; its
options are the fields of :class:`leia.commands.TokenizeSettings`, the parameters of :func:`leia.tokenize`."""

from __future__ import annotations

import argparse

from leia.cli.options import add_command_settings, call_with_settings
from leia.cli.report import print_counters

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    from leia.commands import TokenizeSettings

    add_command_settings(commands, "tokenize", "pack augmented shards into blocks of token ids for any trainer (pip "
                                               "install 'leia[train]')", TokenizeSettings, run)


def run(args: argparse.Namespace) -> None:
    from leia.api import tokenize

    manifest = call_with_settings(tokenize, args)
    print_counters(f"blocks in {args.output}", manifest.counters)
