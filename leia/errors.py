"""Errors that tell the user what happens next.

``LeiaError`` and its subclasses stop a run before (or instead of) writing anything wrong: the CLI prints
their message on one line and exits with status 1. Anything else escaping from leia is a bug in leia.
Problems confined to one page or one row are not errors: they are counted and skipped.
"""

from __future__ import annotations

__all__ = [
    "LeiaError", "InputError", "ConfigError", "OutputError", "WorkerError", "MissingDependencyError", "require",
]


class LeiaError(Exception):
    """Base class: the run aborts, nothing half-written is left visible."""


class InputError(LeiaError):
    """An input file is missing, unreadable, truncated or not what it claims to be. Fix the input and rerun;
    finished shards are kept and not redone."""


class ConfigError(LeiaError):
    """Parameters or artefacts that do not fit together (e.g. an entity table of another wiki)."""


class OutputError(LeiaError):
    """The output cannot be written: it holds something leia must not overwrite (another run's shards), another
    run is writing it, or the file system refused a write (read-only, full)."""


class WorkerError(LeiaError):
    """A worker process died (killed by the system, out of memory) while it worked on a shard. Finished shards
    are kept: rerun the same command to resume."""


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
