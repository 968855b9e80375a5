"""``leia augment``: insert <translate>English</translate> spans after the mentions of documents."""

from __future__ import annotations

import argparse

from leia.cli.options import add_augment_options, add_command, add_scale_options, progress, scale
from leia.settings import COUNT, POSITIVE, or_word
from leia.cli.report import print_counters

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = add_command(commands, "augment", help="insert <translate>English</translate> spans; write augmented shards")
    p.add_argument("input", help="documents folder from `leia extract`, a dump, or .jsonl/.parquet/.arrow files")
    p.add_argument("--entities", required=True, help="entity table built by `leia entities`")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--shard-size", type=POSITIVE, default=20_000,
                   help="documents per shard for a dump or corpus input (default 20000); the shards of a "
                        "documents folder keep their layout")
    p.add_argument("--mentions", help="mention dictionary (`leia mentions build`): find the mentions of "
                                      "documents without anchors in their plain text")
    p.add_argument("--repeat-mentions", action="store_true",
                   help="later occurrences of what a document links (or, in plain text, what was detected) are "
                        "mentions too, source 'repeat' (pip install 'leia[mentions]')")
    p.add_argument("--nearby", type=COUNT, default=20, metavar="CHARS",
                   help="no span where the English name stands within CHARS characters on the same line "
                        "(default 20; 0: off)")
    p.add_argument("--max-spans-per-entity", type=or_word("none", POSITIVE), default=10, metavar="K",
                   help="at most K mentions of one entity per document get a span (default 10; 'none': no limit)")
    add_augment_options(p)
    add_scale_options(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from leia.api import augment

    manifest = augment(args.input, args.entities, args.output, prob=args.prob, strategy=args.strategy,
                       seed=args.seed, workers=args.workers, shard_size=args.shard_size, overwrite=args.overwrite,
                       progress=progress(args), mentions=args.mentions, repeat_mentions=args.repeat_mentions,
                       nearby=args.nearby, max_spans_per_entity=args.max_spans_per_entity, **scale(args))
    print_counters(f"augmented documents in {args.output}", manifest.counters)
