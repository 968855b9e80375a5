"""The ``leia`` command: one small function per subcommand, each a thin layer over the Python API."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
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


def _count(value: str) -> int:
    n = int(value)
    if n < 0:
        raise argparse.ArgumentTypeError("must be at least 0")
    return n


def _cap(value: str) -> int | None:
    return None if value == "none" else _workers(value)


def _prob_or_off(value: str) -> float | None:
    return None if value == "off" else _prob(value)


@command
def cmd_extract(args: argparse.Namespace) -> None:
    from leia.api import extract

    manifest = extract(args.dump, args.output, workers=args.workers, shard_size=args.shard_size,
                       overwrite=args.overwrite, progress=not args.quiet, **_scale(args), **_filters(args))
    _summary(f"documents in {args.output}", manifest.counters)


@command
def cmd_entities(args: argparse.Namespace) -> None:
    from leia.entities import Cleaning, build_entities

    cleaning = Cleaning(drop_disambiguator=not args.keep_disambiguators)
    counters = build_entities(args.output, dump=args.dump, langlinks=args.langlinks, wikidata=args.wikidata,
                              target_dump=args.target_dump,
                              lang=args.lang, wiki=args.wiki, cleaning=cleaning, overwrite=args.overwrite,
                              progress=not args.quiet)
    _summary(f"entity table {args.output}", counters)


@command
def cmd_lookup(args: argparse.Namespace) -> None:
    from leia.entities import EntityTable

    table = EntityTable(args.entities)
    for title, english in zip(args.titles, table.lookup_raw(args.titles)):
        print(f"{title}\t{english or ''}")


@command
def cmd_augment(args: argparse.Namespace) -> None:
    from leia.api import augment

    manifest = augment(args.input, args.entities, args.output, prob=args.prob, strategy=args.strategy,
                       seed=args.seed, workers=args.workers, shard_size=args.shard_size, overwrite=args.overwrite,
                       progress=not args.quiet, mentions=args.mentions, repeat_mentions=args.repeat_mentions,
                       nearby=args.nearby, max_spans_per_entity=args.max_spans_per_entity, **_scale(args))
    _summary(f"augmented documents in {args.output}", manifest.counters)


@command
def cmd_mentions(args: argparse.Namespace) -> None:
    from leia.mentions import MentionConfig, build_mentions

    config = MentionConfig(min_link_prob=args.min_link_prob, min_doc_link_prob=args.min_doc_link_prob,
                           min_prior=args.min_prior,
                           min_link_count=args.min_link_count, min_length=args.min_length,
                           max_length=args.max_length, block=args.block, context=args.context)
    counters = build_mentions(args.documents, args.entities, args.output, config=config, workers=args.workers,
                              overwrite=args.overwrite, progress=not args.quiet)
    _summary(f"mention dictionary {args.output}", counters)


@command
def cmd_run(args: argparse.Namespace) -> None:
    from leia.api import run
    from leia.report import preview

    paths = run(args.dump, args.langlinks, args.output, wikidata=args.wikidata, prob=args.prob,
                strategy=args.strategy, seed=args.seed, workers=args.workers or 1, overwrite=args.overwrite,
                progress=not args.quiet, **_filters(args))
    print(f"documents:      {paths['documents']}")
    print(f"entity table:   {paths['entities']}")
    print(f"augmented:      {paths['augmented']}")
    print()
    for block in preview(paths["augmented"], n=3, width=300, color=sys.stdout.isatty()):
        print(block)
        print()


@command
def cmd_merge_manifests(args: argparse.Namespace) -> None:
    from leia.execute.parts import merge_manifests

    manifest = merge_manifests(args.parts, args.output, move=args.move, overwrite=args.overwrite)
    _summary(f"{len(manifest.shards)} shards of {len(args.parts)} parts in {args.output}", manifest.counters)


def _filters(args: argparse.Namespace) -> dict:
    return {"skip_disambiguation": not args.keep_disambiguation,
            "drop_navigation_sections": not args.keep_navigation_sections, "variant": args.variant}


def _scale(args: argparse.Namespace) -> dict:
    return {"engine": args.engine, "address": args.address, "num_shards": args.num_shards,
            "shard_index": args.shard_index}


@command
def cmd_stats(args: argparse.Namespace) -> None:
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


@command
def cmd_preview(args: argparse.Namespace) -> None:
    from leia.report import preview

    color = {"always": True, "never": False}.get(args.color, sys.stdout.isatty())
    for block in preview(args.folder, n=args.n, width=args.width, color=color):
        print(block)
        print()


@command
def cmd_verify(args: argparse.Namespace) -> int:
    from pathlib import Path

    from leia.io.shards import verify_folder

    status = 0
    for target in args.paths:
        path = Path(target)
        problems = _verify_duckdb(path) if path.is_file() else verify_folder(path)
        if problems:
            status = 1
            for line in problems:
                print(line)
        else:
            print(f"{path}: ok")
    return status


def _verify_duckdb(path) -> list[str]:
    """What is wrong with a DuckDB file leia built (an entity table or a mention dictionary)."""
    from pathlib import Path

    import duckdb

    problems = []
    if Path(str(path) + ".wal").exists():
        problems.append(f"{path}.wal: a write-ahead log beside the table (its build did not finish cleanly)")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as e:
        return problems + [f"{path}: not a DuckDB file that opens ({str(e).strip().splitlines()[0]})"]
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "meta" not in tables or not ({"entities", "candidates"} & tables):
            problems.append(f"{path}: not an entity table nor a mention dictionary built by leia")
        else:
            for table in sorted(tables):
                con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    except duckdb.Error as e:
        problems.append(f"{path}: unreadable ({str(e).strip().splitlines()[0]})")
    finally:
        con.close()
    return problems


def _summary(title: str, counters: dict) -> None:
    print(title)
    for key, value in counters.items():
        print(f"  {key:<28} {value:>12,}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leia", description="Build LEIA training corpora from Wikipedia dumps.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each skipped page and row")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def scale_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--engine", choices=["local", "ray"], default="local",
                       help="local processes (default) or a Ray cluster (pip install 'leia[ray]')")
        p.add_argument("--address", help="the Ray cluster to join (default: RAY_ADDRESS, else a local one)")
        p.add_argument("--num-shards", type=_workers, default=1, metavar="N",
                       help="split the run into N independent parts (job arrays); see merge-manifests")
        p.add_argument("--shard-index", type=int, default=0, metavar="I",
                       help="the part to run, 0..N-1: the shards whose index is I modulo N")

    def filter_options(p: argparse.ArgumentParser) -> None:
        from leia.wiki.langconv import DEFAULT_VARIANT, VARIANTS

        p.add_argument("--keep-disambiguation", action="store_true",
                       help="keep disambiguation pages (default: skipped, counted as skipped_disambiguation)")
        p.add_argument("--keep-navigation-sections", action="store_true",
                       help="keep the See also / References / External links ... sections (default: cut, "
                            "counted as sections_dropped)")
        p.add_argument("--variant", choices=sorted(VARIANTS), default=None, metavar="VARIANT",
                       help=f"language variant -{{...}}- markup shows on zh wikis (default {DEFAULT_VARIANT}; "
                            f"{', '.join(sorted(VARIANTS))})")

    p = sub.add_parser("extract", help="MediaWiki XML or HTML dump -> document shards (text + anchors)")
    p.add_argument("dump", help="pages-articles .xml, .xml.bz2 (multistream too) or .xml.gz; or an HTML dump "
                                "(ENTERPRISE-HTML .json.tar.gz, or one of its .ndjson files)")
    p.add_argument("-o", "--output", required=True, help="output folder of Arrow shards + manifest.json")
    p.add_argument("--workers", type=_workers, default=None,
                   help="parallel parser processes (default 1; with --engine ray, one per CPU of the cluster)")
    p.add_argument("--shard-size", type=_workers, default=20_000, help="documents per shard (default 20000)")
    p.add_argument("--overwrite", action="store_true", help="replace another run's shards in OUTPUT")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    filter_options(p)
    scale_options(p)

    p = sub.add_parser("entities", help="build the DuckDB entity table of English names")
    p.add_argument("--dump", help="the wiki's XML dump, or its HTML dump (.json.tar.gz/.ndjson, with each page's "
                                  "Wikidata item): titles, redirects and inline {{仮リンク}} names")
    p.add_argument("--target-dump", help="an HTML dump of the target wiki: names through the pages' Wikidata "
                                         "items (with an HTML --dump)")
    p.add_argument("--langlinks", help="the wiki's langlinks SQL dump (.sql or .sql.gz); needs --dump")
    p.add_argument("--wikidata", help="a Wikidata JSON dump (.json, .json.bz2, .json.gz)")
    p.add_argument("--lang", default="en", help="language of the names (default en)")
    p.add_argument("--wiki", help="source wiki database name (e.g. jawiki) when there is no --dump")
    p.add_argument("--keep-disambiguators", action="store_true", help='keep "(planet)" in "Mercury (planet)"')
    p.add_argument("-o", "--output", required=True, help="the DuckDB file to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("lookup", help="print TITLE<TAB>ENGLISH for each title")
    p.add_argument("--entities", required=True, help="entity table built by `leia entities`")
    p.add_argument("titles", nargs="+", metavar="TITLE")

    def augment_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--prob", type=_prob, default=0.5, help="probability of a span per mention (default 0.5)")
        p.add_argument("--strategy", choices=["right", "left", "replace"], default="right",
                       help="span after the mention (right, default), before it, or instead of it")
        p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        p.add_argument("--workers", type=_workers, default=None,
                       help="parallel processes (default 1; with --engine ray, one per CPU of the cluster)")
        p.add_argument("--overwrite", action="store_true", help="replace another run's output")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("augment", help="insert <translate>English</translate> spans; write augmented shards")
    p.add_argument("input", help="documents folder from `leia extract`, a dump, or .jsonl/.parquet/.arrow files")
    p.add_argument("--entities", required=True, help="entity table built by `leia entities`")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--shard-size", type=_workers, default=20_000,
                   help="documents per shard for a dump or corpus input (default 20000); the shards of a "
                        "documents folder keep their layout")
    p.add_argument("--mentions", help="mention dictionary (`leia mentions build`): find the mentions of "
                                      "documents without anchors in their plain text")
    p.add_argument("--repeat-mentions", action="store_true",
                   help="later occurrences of what a document links (or, in plain text, what was detected) are "
                        "mentions too, source 'repeat' (pip install 'leia[mentions]')")
    p.add_argument("--nearby", type=_count, default=20, metavar="CHARS",
                   help="no span where the English name stands within CHARS characters on the same line "
                        "(default 20; 0: off)")
    p.add_argument("--max-spans-per-entity", type=_cap, default=10, metavar="K",
                   help="at most K mentions of one entity per document get a span (default 10; 'none': no limit)")
    augment_options(p)
    scale_options(p)

    p = sub.add_parser("mentions", help="the dictionary of anchor texts that finds mentions in plain text")
    msub = p.add_subparsers(dest="mentions_command", required=True, metavar="ACTION")
    m = msub.add_parser("build", help="documents -> mention dictionary (DuckDB): surfaces, link probability, "
                                      "targets and priors")
    m.add_argument("--documents", required=True, help="documents folder from `leia extract`")
    m.add_argument("--entities", required=True, help="entity table of the same wiki (resolves redirects)")
    m.add_argument("-o", "--output", required=True, help="the DuckDB file to write")
    m.add_argument("--min-link-prob", type=_prob, default=0.2,
                   help="least share of a surface's occurrences that are links (default 0.2)")
    m.add_argument("--min-doc-link-prob", type=_prob_or_off, default=0.2,
                   help="or: least share of the documents holding the surface that link it (default 0.2; "
                        "'off' for the share of occurrences alone)")
    m.add_argument("--min-prior", type=_prob, default=0.01,
                   help="least share of a surface's links that go to a target (default 0.01)")
    m.add_argument("--min-link-count", type=_workers, default=1, help="least links of a surface (default 1)")
    m.add_argument("--min-length", type=_workers, default=1, help="shortest surface, in characters (default 1)")
    m.add_argument("--max-length", type=_workers, default=50, help="longest surface, in characters (default 50)")
    m.add_argument("--block", action="store_true",
                   help="surfaces below --min-link-prob still take their span (no mention inside them)")
    m.add_argument("--context", action="store_true",
                   help="prefer a target that an unambiguous mention of the same document links to")
    m.add_argument("--workers", type=_workers, default=1, help="parallel processes (default 1)")
    m.add_argument("--overwrite", action="store_true", help="replace an existing file")
    m.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("run", help="extract + entities + augment; with no arguments, on the sample in data/")
    p.add_argument("--dump", help="the wiki's XML dump (default: the sample in data/)")
    p.add_argument("--langlinks", help="the wiki's langlinks SQL dump")
    p.add_argument("--wikidata", help="a Wikidata JSON dump")
    p.add_argument("-o", "--output", default="leia-output", help="output folder (default leia-output)")
    augment_options(p)
    filter_options(p)

    p = sub.add_parser("merge-manifests", help="assemble the output folders of a split run (--num-shards)")
    p.add_argument("parts", nargs="+", metavar="PART", help="the output folder of every part")
    p.add_argument("-o", "--output", required=True, help="folder to assemble the shards and manifest in")
    p.add_argument("--move", action="store_true", help="move the shard files (default: hard link, else copy)")
    p.add_argument("--overwrite", action="store_true", help="replace another run's shards in OUTPUT")

    p = sub.add_parser("stats", help="documents, mentions, spans and coverage of augmented shards")
    p.add_argument("folder")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("verify", help="check shard folders (manifest, checksums, rows) or DuckDB files; say what "
                                      "is wrong")
    p.add_argument("paths", nargs="+", metavar="PATH", help="a folder of shards, an entity table or a mention "
                                                            "dictionary")

    p = sub.add_parser("preview", help="show a few augmented documents with the spans highlighted")
    p.add_argument("folder")
    p.add_argument("-n", type=int, default=3, help="documents to show (default 3)")
    p.add_argument("--width", type=int, default=600, help="characters per document (default 600)")
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    command = next((w for w in words if not w.startswith("-")), "")

    def interrupted_early(signum, frame) -> None:
        sys.stderr.write(f"leia {command}: interrupted; rerun the same command to resume\n")
        os._exit(130)

    try:  # Ctrl-C before the command starts: one line too
        previous = signal.signal(signal.SIGINT, interrupted_early)
    except ValueError:  # not the main thread
        previous = None
    try:
        return _main(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.default_int_handler)
        from leia.execute.pool import stop_on_sigterm

        with stop_on_sigterm():
            return COMMANDS[args.command](args) or 0
    except LeiaError as e:
        print(f"leia {args.command}: error: {_one_line(e)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"leia {args.command}: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    except OSError as e:  # the file system refused something leia did not foresee: still one line
        print(f"leia {args.command}: error: {e}", file=sys.stderr)
        return 1


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split("\n"))


if __name__ == "__main__":
    sys.exit(main())
