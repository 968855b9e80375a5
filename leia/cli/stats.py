"""``leia stats``: the documents, mentions, spans and coverage of augmented shards, as a table or JSON."""

from __future__ import annotations

import argparse

from leia.cli.options import add_command

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = add_command(commands, "stats", help="documents, mentions, spans and coverage of augmented shards")
    p.add_argument("folder", help="a folder of augmented shards")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    import json

    from leia.report import stats

    result = stats(args.folder)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    mentions, by_source = result["mentions"], result["mentions_by_source"]
    print(f"documents  {result['documents']:>12,}")
    print(f"mentions   {mentions:>12,}")
    print(f"spans      {result['spans']:>12,}")
    print(f"coverage   {result['coverage']:>12.1%}  (mentions with an English name)")
    print("mentions that may get a span, by where the name came from:")
    for source in result["coverage_by_source"]:
        print(f"  {source:<16} {by_source[source]:>10,}  {by_source[source] / mentions:6.1%}")
    if result["no_span_by_reason"]:
        print("mentions that get no span, by reason:")
    for reason, count in result["no_span_by_reason"].items():
        print(f"  {reason:<16} {count:>10,}  {count / mentions:6.1%}")
