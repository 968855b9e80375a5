"""``leia mentions build``: the dictionary of anchor texts that finds mentions in plain text; ``leia mentions
detect``: documents -> documents with the mentions it finds (and the repeated ones)."""

from __future__ import annotations

import argparse

from leia.cli.options import add_command, add_overwrite, add_quiet, add_workers, progress
from leia.settings import POSITIVE, or_word, probability
from leia.cli.report import print_counters

__all__ = ["add_parser", "run", "run_detect"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = add_command(commands, "mentions", help="the dictionary of anchor texts that finds mentions in plain text")
    actions = p.add_subparsers(dest="mentions_command", required=True, metavar="ACTION")
    m = add_command(actions, "build", help="documents -> mention dictionary (DuckDB): surfaces, link probability, "
                                         "targets and priors")
    m.add_argument("--documents", required=True, help="documents folder from `leia extract`")
    m.add_argument("--entities", required=True, help="entity table of the same wiki (resolves redirects)")
    m.add_argument("-o", "--output", required=True, help="the DuckDB file to write")
    m.add_argument("--min-link-prob", type=probability, default=0.2,
                   help="least share of a surface's occurrences that are links (default 0.2)")
    m.add_argument("--min-doc-link-prob", type=or_word("off", probability), default=0.2,
                   help="or: least share of the documents holding the surface that link it (default 0.2; "
                        "'off' for the share of occurrences alone)")
    m.add_argument("--min-prior", type=probability, default=0.01,
                   help="least share of a surface's links that go to a target (default 0.01)")
    m.add_argument("--min-link-count", type=POSITIVE, default=1, help="least links of a surface (default 1)")
    m.add_argument("--min-length", type=POSITIVE, default=1, help="shortest surface, in characters (default 1)")
    m.add_argument("--max-length", type=POSITIVE, default=50, help="longest surface, in characters (default 50)")
    m.add_argument("--block", action="store_true",
                   help="surfaces below --min-link-prob still take their span (no mention inside them)")
    m.add_argument("--context", action="store_true",
                   help="prefer a target that an unambiguous mention of the same document links to")
    add_workers(m, "parallel processes (default 1)", default=1)
    add_overwrite(m, "replace a mention dictionary leia built at OUTPUT (never a file of another kind)")
    add_quiet(m)
    m.set_defaults(handler=run)
    d = add_command(actions, "detect", help="documents, a dump or a corpus -> documents whose anchors include the "
                                          "mentions detected in plain text (read by `leia augment`)")
    d.add_argument("input", help="documents folder, a dump, or .jsonl/.parquet/.arrow files")
    d.add_argument("--mentions", help="the mention dictionary (`leia mentions build`)")
    d.add_argument("--entities", help="entity table the dictionary must share its wiki with")
    d.add_argument("--repeat-mentions", action="store_true",
                   help="the later occurrences of what each document links (or what was detected) too")
    d.add_argument("-o", "--output", required=True, help="output folder of document shards")
    d.add_argument("--shard-size", type=POSITIVE, default=20_000,
                   help="documents per shard when the input is a dump or a corpus (default 20000)")
    add_workers(d, "parallel processes (default 1)", default=1)
    add_overwrite(d, "replace another run's shards in OUTPUT")
    add_quiet(d)
    d.set_defaults(handler=run_detect)


def run(args: argparse.Namespace) -> None:
    from leia.mentions import MentionConfig, build_mentions

    config = MentionConfig(min_link_prob=args.min_link_prob, min_doc_link_prob=args.min_doc_link_prob,
                           min_prior=args.min_prior, min_link_count=args.min_link_count,
                           min_length=args.min_length, max_length=args.max_length, block=args.block,
                           context=args.context)
    counters = build_mentions(args.documents, args.entities, args.output, config=config, workers=args.workers,
                              overwrite=args.overwrite, progress=progress(args))
    print_counters(f"mention dictionary {args.output}", counters)


def run_detect(args: argparse.Namespace) -> None:
    from leia.api import detect_mentions

    manifest = detect_mentions(args.input, args.output, mentions=args.mentions, entities=args.entities,
                               repeat_mentions=args.repeat_mentions, workers=args.workers,
                               shard_size=args.shard_size, overwrite=args.overwrite, progress=progress(args))
    print_counters(f"documents in {args.output}", manifest.counters)
