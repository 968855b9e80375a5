"""``leia lookup``: the English name an entity table gives each title, as TITLE<TAB>ENGLISH lines."""

from __future__ import annotations

import argparse

from leia.cli.options import add_command

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = add_command(commands, "lookup", help="print TITLE<TAB>ENGLISH for each title")
    p.add_argument("--entities", required=True, help="entity table built by `leia entities`")
    p.add_argument("titles", nargs="+", metavar="TITLE",
                   help="titles as a link names them (underscores and a lower-case first letter are read as the wiki "
                        "reads them)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from leia.entities import EntityTable

    table = EntityTable(args.entities)
    for title, english in zip(args.titles, table.lookup_raw(args.titles)):
        print(f"{title}\t{english or ''}")
