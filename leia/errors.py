"""Errors that tell the user what happens next.

``LeiaError`` and its subclasses stop a run before (or instead of) writing anything wrong: the CLI prints
their message on one line and exits with status 1. Anything else escaping from leia is a bug in leia.
Problems confined to one page or one row are not errors: they are counted and skipped.
"""

from __future__ import annotations

import json

__all__ = [
    "LeiaError", "InputError", "ConfigError", "OutputError", "WorkerError", "Interrupted", "MissingDependencyError",
    "require",
    "json_object_line", "check_counts",
]


class LeiaError(Exception):
    """Base class: the run aborts, nothing half-written is left visible."""


class InputError(LeiaError):
    """An input file is missing, unreadable, truncated or not what it claims to be. Fix the input and rerun;
    finished shards are kept and not redone."""


class ConfigError(LeiaError, ValueError):
    """A bad setting, or parameters and artefacts that do not fit together (e.g. an entity table of another
    wiki). Also a ValueError, as Python code calling leia expects of a bad argument."""


class OutputError(LeiaError):
    """The output cannot be written: it holds something leia must not overwrite (another run's shards), another
    run is writing it, or the file system refused a write (read-only, full)."""


class WorkerError(LeiaError):
    """A worker process died (killed by the system, out of memory) while it worked on a shard. Finished shards
    are kept (the message says how many): rerun the same command to resume."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) stopped a run of shards or a training run; the message says what it kept and what a
    rerun does."""


class MissingDependencyError(LeiaError):
    """An optional part is not installed; the message carries the ``pip install`` line that fixes it."""

    def __init__(self, module: str, extra: str):
        super().__init__(f"{module} is not installed: pip install 'leia[{extra}]'")
        self.module = module
        self.extra = extra

    def __reduce__(self):
        return type(self), (self.module, self.extra)


def require(module: str, extra: str):
    """Import an optional module or raise MissingDependencyError naming the extra that provides it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(module, extra) from None


def json_object_line(raw: bytes, where: str, what: str) -> dict:
    """One line of a JSON-lines file as its object; InputError at ``where`` (file and line) when it is not UTF-8,
    not JSON, or not an object (``what`` says what each line should hold)."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise InputError(f"{where}: not UTF-8 ({e.reason} at byte {e.start} of the line)") from None
    except (ValueError, RecursionError) as e:
        raise InputError(f"{where}: not a JSON line ({e})") from None
    if not isinstance(value, dict):
        raise InputError(f"{where}: not a JSON object ({what})")
    return value


def check_counts(at_least: int = 1, **settings: object) -> None:
    """ConfigError naming the first of ``settings`` (name=value) that is not a whole number of at least
    ``at_least``."""
    for name, value in settings.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < at_least:
            raise ConfigError(f"{name.replace('_', '-')} must be a whole number of at least {at_least}, got {value!r}")
