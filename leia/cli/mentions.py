"""``leia mentions build``: the dictionary of anchor texts that finds mentions in plain text."""

from __future__ import annotations

import argparse

from leia.cli.options import (POSITIVE, add_command, add_overwrite, add_quiet, add_workers, or_word, probability,
                              progress)
from leia.cli.report import print_counters

__all__ = ["add_parser", "run"]


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
    add_overwrite(m, "replace an existing file")
    add_quiet(m)
    m.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from leia.mentions import MentionConfig, build_mentions

    config = MentionConfig(min_link_prob=args.min_link_prob, min_doc_link_prob=args.min_doc_link_prob,
                           min_prior=args.min_prior, min_link_count=args.min_link_count,
                           min_length=args.min_length, max_length=args.max_length, block=args.block,
                           context=args.context)
    counters = build_mentions(args.documents, args.entities, args.output, config=config, workers=args.workers,
                              overwrite=args.overwrite, progress=progress(args))
    print_counters(f"mention dictionary {args.output}", counters)
