"""The options several subcommands share (workers, progress, engine and parts, page filters, augmentation), each
defined once, with the argparse types that refuse a bad setting while the command line is parsed (from
:mod:`leia.settings`)."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn, Sequence

from leia.settings import POSITIVE, probability

__all__ = [
    "Parser", "add_version", "add_command", "add_verbose", "add_workers", "add_overwrite", "add_quiet", "progress",
    "add_scale_options", "scale", "add_filter_options", "filters", "add_augment_options",
]


class Parser(argparse.ArgumentParser):
    """argparse's parser (and its subcommands'), except that an option it does not know is the error it
    reports, before a required argument it misses (``--entity`` for ``--entities`` reads as a missing
    ``--entities`` otherwise), and the subcommand reports it, with the option it most resembles. Options
    are not abbreviated: ``leia run --lang de`` would otherwise read a file ``de`` as ``--langlinks``."""

    words: Sequence[str] = ()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def parse_known_args(self, args=None, namespace=None):
        self.words = list(sys.argv[1:] if args is None else args)
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(self.unrecognized(extras))
        return namespace, extras

    def error(self, message: str) -> NoReturn:
        unknown = self.unknown_options(self.words)
        if unknown and message.startswith("the following arguments are required"):
            message = self.unrecognized(unknown)
        super().error(message)

    def options(self) -> list[str]:
        return [s for action in self._actions for s in action.option_strings]

    def unknown_options(self, words: Sequence[str]) -> list[str]:
        """The words that look like options and are none of this parser's."""
        known = self.options()
        unknown = []
        for word in words:
            if word == "--":
                break
            name = word.split("=", 1)[0]
            if len(name) < 2 or not name.startswith("-") or name[1:2].isdigit():
                continue
            if name not in known:
                unknown.append(name)
        return unknown

    def unrecognized(self, extras: Sequence[str]) -> str:
        import difflib

        message = f"unrecognized arguments: {' '.join(extras)}"
        unknown = self.unknown_options(extras)
        close = difflib.get_close_matches(unknown[0], self.options(), n=1) if unknown else []
        return message + (f" (did you mean {close[0]}?)" if close else "")


class _Version(argparse.Action):
    """``--version``: the installed package's version, from its metadata, read only when asked."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None) -> NoReturn:
        from importlib.metadata import version

        sys.stdout.write(f"leia {version('leia')}\n")
        parser.exit()


def add_version(p: argparse.ArgumentParser) -> None:
    p.add_argument("--version", action=_Version, help="print leia's version and exit")


def add_verbose(p: argparse.ArgumentParser, default: object = False) -> None:
    p.add_argument("-v", "--verbose", action="store_true", default=default, help="log each skipped page and row")


def add_command(commands: argparse._SubParsersAction, name: str, help: str) -> argparse.ArgumentParser:
    """The parser of subcommand ``name``, which takes -v after its name too (``leia extract -v``); the command
    it parses is named ``command_name`` in its namespace."""
    p = commands.add_parser(name, help=help)
    add_verbose(p, default=argparse.SUPPRESS)  # absent: leave what ``leia -v`` set
    p.set_defaults(command_name=p.prog)  # "leia mentions build": how its errors begin, as argparse's do
    return p


RAY_WORKERS = "parallel processes (default 1; with --engine ray, one per CPU of the cluster)"


def add_workers(p: argparse.ArgumentParser, help: str = RAY_WORKERS, default: int | None = None) -> None:
    p.add_argument("--workers", type=POSITIVE, default=default, help=help)


def add_overwrite(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--overwrite", action="store_true", help=help)


def add_quiet(p: argparse.ArgumentParser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def progress(args: argparse.Namespace) -> bool:
    return not args.quiet


def add_scale_options(p: argparse.ArgumentParser) -> None:
    """Where a step runs (this machine or a Ray cluster) and which part of a split run it computes."""
    from leia.execute import ENGINES

    p.add_argument("--engine", choices=ENGINES, default="local",
                   help="local processes (default) or a Ray cluster (pip install 'leia[ray]')")
    p.add_argument("--address", help="the Ray cluster to join (default: RAY_ADDRESS, else a local one)")
    p.add_argument("--num-parts", "--num-shards", dest="num_parts", type=POSITIVE, default=1, metavar="N",
                   help="split the run into N independent parts (job arrays); see merge-manifests")
    p.add_argument("--part-index", "--shard-index", dest="part_index", type=int, default=0, metavar="I",
                   help="the part to run, 0..N-1: the shards whose index is I modulo N")


def scale(args: argparse.Namespace) -> dict:
    """The keyword arguments of :func:`add_scale_options`' settings."""
    return {"engine": args.engine, "address": args.address, "num_parts": args.num_parts,
            "part_index": args.part_index}


def add_filter_options(p: argparse.ArgumentParser) -> None:
    """Which pages and sections extraction leaves out, and the language variant."""
    from leia.wiki.wikitext.langconv import DEFAULT_VARIANT, VARIANTS

    p.add_argument("--keep-disambiguation", action="store_true",
                   help="keep disambiguation pages (default: skipped, counted as skipped_disambiguation)")
    p.add_argument("--keep-navigation-sections", action="store_true",
                   help="keep the See also / References / External links ... sections (default: cut, "
                        "counted as sections_dropped)")
    p.add_argument("--variant", choices=sorted(VARIANTS), default=None, metavar="VARIANT",
                   help=f"language variant -{{...}}- markup shows on zh wikis (default {DEFAULT_VARIANT}; "
                        f"{', '.join(sorted(VARIANTS))})")


def filters(args: argparse.Namespace) -> dict:
    """The keyword arguments of :func:`add_filter_options`' settings."""
    return {"skip_disambiguation": not args.keep_disambiguation,
            "drop_navigation_sections": not args.keep_navigation_sections, "variant": args.variant}


def add_augment_options(p: argparse.ArgumentParser, workers: str = RAY_WORKERS) -> None:
    """How spans are drawn and inserted, and how the augmentation runs (``leia augment`` and ``leia run``);
    ``workers`` is the help of ``--workers``."""
    from leia.spans import STRATEGIES

    p.add_argument("--prob", type=probability, default=0.5, help="probability of a span per mention (default 0.5)")
    p.add_argument("--strategy", choices=STRATEGIES, default="right",
                   help="span after the mention (right, default), before it, or instead of it")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    add_workers(p, workers)
    add_overwrite(p, "replace another run's output (only the files leia wrote)")
    add_quiet(p)
