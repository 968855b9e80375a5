"""The parser of the ``leia`` command and of each subcommand (options are never abbreviated, an unknown one is
named with the option it most resembles), the options every subcommand takes (-v, --version), and a
subcommand's options made from its settings (:mod:`leia.commands`) and handed to its function."""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, NoReturn, Sequence

__all__ = ["Parser", "add_version", "add_command", "add_verbose", "add_overwrite", "add_command_settings",
           "call_with_settings"]


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


def add_command_settings(commands: argparse._SubParsersAction, name: str, help: str, settings: type,
                         handler: Callable[[argparse.Namespace], Any]) -> argparse.ArgumentParser:
    """The parser of subcommand ``name`` (:func:`add_command`) with an option for each field of the dataclass
    ``settings`` (:func:`leia.settings.add_settings`), which ``handler`` runs."""
    from leia.settings import add_settings

    p = add_command(commands, name, help=help)
    add_settings(p, settings)
    p.set_defaults(handler=handler, settings=settings)
    return p


def call_with_settings(function: Callable[..., Any], args: argparse.Namespace) -> Any:
    """``function`` (of :mod:`leia.api`, or made with :func:`leia.settings.takes`) called with the settings the
    parsed command line ``args`` gives (checked as the dataclass checks them)."""
    from leia.settings import settings_from, values

    settings = settings_from(args, args.settings)
    return function(**values(settings, args.settings))


def add_overwrite(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--overwrite", action="store_true", help=help)
