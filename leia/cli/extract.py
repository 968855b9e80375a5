"""``leia extract``: a MediaWiki XML or HTML dump -> document shards (plain text and anchors)."""

from __future__ import annotations

import argparse

from leia.cli.options import (add_command, add_filter_options, add_overwrite, add_quiet, add_scale_options, add_workers,
                              filters, progress, scale)
from leia.settings import POSITIVE
from leia.cli.report import print_counters

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = add_command(commands, "extract", help="MediaWiki XML or HTML dump -> document shards (text + anchors)")
    p.add_argument("dump", help="pages-articles .xml, .xml.bz2 (multistream too) or .xml.gz; or an HTML dump "
                                "(ENTERPRISE-HTML .json.tar.gz, or one of its .ndjson files)")
    p.add_argument("-o", "--output", required=True, help="output folder of Arrow shards + manifest.json")
    add_workers(p, "parallel parser processes (default 1; with --engine ray, one per CPU of the cluster)")
    p.add_argument("--shard-size", type=POSITIVE, default=20_000, help="documents per shard (default 20000)")
    p.add_argument("--pages", metavar="FOLDER",
                   help="also write the page table (titles, redirects, {{仮リンク}} names) to FOLDER in the same pass, "
                        "for `leia entities --pages FOLDER` (XML dumps)")
    add_overwrite(p, "replace another run's shards in OUTPUT")
    add_quiet(p)
    add_filter_options(p)
    add_scale_options(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from leia.api import extract

    manifest = extract(args.dump, args.output, workers=args.workers, shard_size=args.shard_size,
                       overwrite=args.overwrite, progress=progress(args), pages=args.pages, **scale(args),
                       **filters(args))
    print_counters(f"documents in {args.output}", manifest.counters)
