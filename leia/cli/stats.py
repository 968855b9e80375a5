"""``leia stats``: the documents, mentions, spans and coverage of augmented shards, as a table or JSON."""

from __future__ import annotations

import argparse

from leia.cli.options import add_command

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = add_command(commands, "stats", help="documents, mentions, spans and coverage of augmented shards")
    p.add_argument("folder")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    import json

    from leia.report import stats

    result = stats(args.folder)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    print(f"documents  {result['documents']:>12,}")
    print(f"mentions   {result['mentions']:>12,}")
    print(f"spans      {result['spans']:>12,}")
    print(f"coverage   {result['coverage']:>12.1%}  (mentions with an English name)")
    for source, count in result["mentions_by_source"].items():
        print(f"  {source:<16} {count:>10,}  {result['coverage_by_source'][source]:6.1%}")
