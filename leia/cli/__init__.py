"""The ``leia`` command: parses the command line, hands it to the module of its subcommand, and turns leia's
errors and an interrupt into one line and an exit status (1 for an error, 2 for a bad command line, 130 when
interrupted).

One module per subcommand, named after it (``extract``, ``entities``, ``augment``, ``run``, ``mentions`` and
``tokenize`` make their options from the command's settings in :mod:`leia.commands`, ``train`` from
:class:`leia.training.settings.TrainConfig`):

- ``extract``: a dump -> document shards (and the page table);
- ``entities``: the DuckDB entity table of the English names of a wiki's pages;
- ``lookup``: the English name an entity table gives each title;
- ``augment``: documents -> augmented shards;
- ``run``: extract, build the entity table and augment in one go (on the sample in data/ with no arguments);
- ``mentions``: ``leia mentions build`` (the dictionary of anchor texts) and ``leia mentions detect``;
- ``tokenize``: augmented shards -> packed blocks of token ids;
- ``train``: continued training of a causal LM on augmented shards;
- ``stats`` and ``preview``: what augmented shards hold, and a few documents with their spans highlighted;
- ``verify``: shard folders and DuckDB files checked, with what is wrong with each;
- ``merge_manifests``: ``leia merge-manifests``, the folders of a run split into parts made one.

Around them:

- ``options``: the parser of the command and of each subcommand, and the options every subcommand takes;
- ``logs``: where log records go while the command runs (stderr, one line each; debug lines with -v);
- ``report``: what a command prints when it is done (a title, then its counters);
- ``__main__``: ``python -m leia.cli``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import Sequence

from leia.cli import (augment, entities, extract, lookup, mentions, merge_manifests, preview, run, stats,
                      tokenize, train, verify)
from leia.cli.logs import log_to_stderr
from leia.cli.options import Parser, add_verbose, add_version
from leia.errors import LeiaError

__all__ = ["main", "build_parser"]

SUBCOMMANDS = (extract, entities, lookup, augment, mentions, run, merge_manifests, stats, verify, preview, tokenize,
               train)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="leia", description="Build LEIA training corpora from Wikipedia dumps.")
    add_version(parser)
    add_verbose(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for subcommand in SUBCOMMANDS:
        subcommand.add_parser(commands)
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
    with log_to_stderr(args.verbose):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.default_int_handler)
        from leia.execute.pool import stop_on_sigterm

        with stop_on_sigterm():
            status = args.handler(args) or 0
            sys.stdout.flush()  # here, not at exit: a reader that went away is told apart below
            return status
    except LeiaError as e:
        print(f"{args.command_name}: error: {_one_line(e)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as e:  # leia.errors.Interrupted says what the run kept
        print(f"{args.command_name}: interrupted; {str(e) or 'rerun the same command to resume'}", file=sys.stderr)
        return 130
    except OSError as e:  # the file system refused something leia did not foresee: still one line
        if isinstance(e, BrokenPipeError) and _stdout_closed():
            # The reader of stdout went away (leia preview DIR | head -2): stop quietly, as Unix tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        print(f"{args.command_name}: error: {e}", file=sys.stderr)
        return 1


def _stdout_closed() -> bool:
    """Whether stdout is a pipe whose reading end is closed."""
    import io
    import select

    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):  # not a file: not a pipe either
        return False
    if not hasattr(select, "poll"):  # cannot tell: take the error as stdout's
        return True
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split("\n"))
