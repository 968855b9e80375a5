"""``leia train``: continue training a causal LM on augmented shards, as LEIA does, with checkpoints that
resume exactly; its options are the fields of :class:`leia.training.settings.TrainConfig`."""

from __future__ import annotations

import argparse
import json

from leia.cli.options import add_command

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    from leia.settings import add_settings
    from leia.training.settings import TrainConfig

    p = add_command(commands, "train", help="continue training a causal LM on augmented shards (pip install "
                                             "'leia[train]')")
    p.description = ("Continue training a causal LM on augmented shards with the paper's recipe (or --smoke's): "
                     "spans redrawn each epoch, documents packed into blocks, the markers out of the loss, a "
                     "checkpoint every --save-steps and --resume from the latest one. A setting left unset takes "
                     "the recipe's value, shown as (paper: ...; --smoke: ...).")
    add_settings(p, TrainConfig)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from leia.settings import settings_from
    from leia.training.run import train
    from leia.training.settings import TrainConfig

    summary = train(settings_from(args, TrainConfig))
    print(json.dumps(summary))
    return 1 if "error" in summary else 0
