"""``leia tokenize``: augmented shards -> packed blocks of token ids (``input_ids``, ``labels`` with the
markers masked, ``position_ids``) as shards with a manifest and a card, for trainers that never import leia."""

from __future__ import annotations

import argparse

from leia.cli.options import add_command, add_overwrite, add_quiet, add_workers
from leia.settings import COUNT, POSITIVE, or_word, probability
from leia.cli.report import print_counters

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    from leia.spans import STRATEGIES

    p = add_command(commands, "tokenize", help="pack augmented shards into blocks of token ids for any trainer "
                                                "(pip install 'leia[train]')")
    p.add_argument("input", help="folder of augmented shards (or of documents)")
    p.add_argument("--tokenizer", required=True, help="the tokenizer: a folder or a Hub name (the markers are added)")
    p.add_argument("--block-size", type=POSITIVE, required=True, metavar="N", help="tokens per block")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--epoch", type=COUNT, default=0, metavar="E",
                   help="the epoch whose draw of spans to pack (default 0; the same blocks leia train reads)")
    p.add_argument("--prob", type=or_word("none", probability), default=0.5, metavar="P",
                   help="redraw the spans with this probability per mention, as leia train does (default 0.5; "
                        "'none': the stored draw)")
    p.add_argument("--strategy", choices=STRATEGIES, default="right", help="where redrawn spans go")
    p.add_argument("--seed", type=int, default=0, help="seed of the span draws (default 0)")
    p.add_argument("--cross-document-attention", action="store_true",
                   help="positions count through each block (attention across documents)")
    add_workers(p, help="parallel processes (default 1)")
    add_overwrite(p, "replace another run's output")
    add_quiet(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from leia.api import tokenize

    manifest = tokenize(args.input, args.output, args.tokenizer, block_size=args.block_size, epoch=args.epoch,
                        prob=args.prob, strategy=args.strategy, seed=args.seed,
                        cross_document_attention=args.cross_document_attention, workers=args.workers or 1,
                        overwrite=args.overwrite, progress=not args.quiet)
    print_counters(f"blocks in {args.output}", manifest.counters)
