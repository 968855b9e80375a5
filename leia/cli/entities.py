"""``leia entities``: build the DuckDB entity table of the English names of a wiki's pages."""

from __future__ import annotations

import argparse

from leia.cli.options import add_command, add_overwrite, add_quiet, progress
from leia.cli.report import print_counters

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = add_command(commands, "entities", help="build the DuckDB entity table of English names")
    p.add_argument("--dump", help="the wiki's XML dump, or its HTML dump (.json.tar.gz/.ndjson, with each page's "
                                  "Wikidata item): titles, redirects and inline {{仮リンク}} names")
    p.add_argument("--pages", metavar="FOLDER",
                   help="the page table `leia extract --pages FOLDER` wrote: titles, redirects and {{仮リンク}} names "
                        "without reading the dump again (stands for --dump)")
    p.add_argument("--target-dump", help="an HTML dump of the target wiki: names through the pages' Wikidata "
                                         "items (with an HTML --dump)")
    p.add_argument("--langlinks", help="the wiki's langlinks SQL dump (.sql or .sql.gz); needs --dump or --pages")
    p.add_argument("--wikidata", help="a Wikidata JSON dump (.json, .json.bz2, .json.gz)")
    p.add_argument("--lang", default="en", help="language of the names to insert (default en); names in another "
                                                "language come from --langlinks, --wikidata or --target-dump")
    p.add_argument("--wiki", help="source wiki database name (e.g. jawiki) when there is no --dump")
    p.add_argument("--keep-disambiguators", action="store_true", help='keep "(planet)" in "Mercury (planet)"')
    p.add_argument("-o", "--output", required=True, help="the DuckDB file to write")
    add_overwrite(p, "replace an entity table leia built at OUTPUT (never a file of another kind)")
    add_quiet(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from leia.entities import Cleaning, build_entities

    cleaning = Cleaning(drop_disambiguator=not args.keep_disambiguators)
    counters = build_entities(args.output, dump=args.dump, langlinks=args.langlinks, wikidata=args.wikidata,
                              target_dump=args.target_dump, lang=args.lang, wiki=args.wiki, cleaning=cleaning,
                              overwrite=args.overwrite, progress=progress(args), pages=args.pages)
    print_counters(f"entity table {args.output}", counters)
