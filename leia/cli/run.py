"""``leia run``: extract, build the entity table and augment in one go; with no arguments, on the sample in
data/, then show a few of the augmented documents."""

from __future__ import annotations

import argparse
import sys

from leia.cli.options import add_augment_options, add_command, add_filter_options, filters, progress

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = add_command(commands, "run", help="extract + entities + augment; with no arguments, on the sample in data/")
    p.add_argument("--dump", help="the wiki's XML dump, or its HTML dump (default: the sample in data/)")
    p.add_argument("--langlinks", help="the wiki's langlinks SQL dump (.sql or .sql.gz), which names most English "
                                       "titles; without it (or --wikidata) they come from the dump's {{仮リンク}} alone")
    p.add_argument("--wikidata", help="a Wikidata JSON dump (.json, .json.bz2, .json.gz)")
    p.add_argument("-o", "--output", default="leia-output", help="output folder (default leia-output)")
    add_augment_options(p, workers="parallel processes of extraction and augmentation (default 1)")
    add_filter_options(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from leia.report import preview
    from leia.api import run as run_all

    paths = run_all(args.dump, args.langlinks, args.output, wikidata=args.wikidata, prob=args.prob,
                    strategy=args.strategy, seed=args.seed, workers=args.workers or 1, overwrite=args.overwrite,
                    progress=progress(args), **filters(args))
    print(f"documents:      {paths['documents']}")
    print(f"entity table:   {paths['entities']}")
    print(f"augmented:      {paths['augmented']}")
    print()
    for block in preview(paths["augmented"], n=3, width=300, color=sys.stdout.isatty()):
        print(block)
        print()
