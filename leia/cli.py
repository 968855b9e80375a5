"""The ``leia`` command: one small function per subcommand, each a thin layer over the Python API."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Callable, Sequence

from leia.errors import LeiaError

__all__ = ["main"]

COMMANDS: dict[str, Callable[[argparse.Namespace], int | None]] = {}


def command(fn: Callable[[argparse.Namespace], int | None]) -> Callable[[argparse.Namespace], int | None]:
    COMMANDS[fn.__name__.removeprefix("cmd_").replace("_", "-")] = fn
    return fn


def _workers(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def _prob(value: str) -> float:
    p = float(value)
    if not 0.0 <= p <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return p


@command
def cmd_extract(args: argparse.Namespace) -> None:
    from leia.extract import extract

    manifest = extract(args.dump, args.output, workers=args.workers, shard_size=args.shard_size,
                       overwrite=args.overwrite, progress=not args.quiet)
    _summary(f"documents in {args.output}", manifest.counters)


def _summary(title: str, counters: dict) -> None:
    print(title)
    for key, value in counters.items():
        print(f"  {key:<28} {value:>12,}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leia", description="Build LEIA training corpora from Wikipedia dumps.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each skipped page and row")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("extract", help="MediaWiki XML dump -> document shards (text + anchors)")
    p.add_argument("dump", help="pages-articles .xml, .xml.bz2 (multistream too) or .xml.gz")
    p.add_argument("-o", "--output", required=True, help="output folder of Arrow shards + manifest.json")
    p.add_argument("--workers", type=_workers, default=1, help="parallel parser processes (default 1)")
    p.add_argument("--shard-size", type=_workers, default=20_000, help="documents per shard (default 20000)")
    p.add_argument("--overwrite", action="store_true", help="replace another run's shards in OUTPUT")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return COMMANDS[args.command](args) or 0
    except LeiaError as e:
        print(f"leia {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"leia {args.command}: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
