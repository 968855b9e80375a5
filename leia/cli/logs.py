"""Where leia's log records go while the ``leia`` command runs: stderr, one line each; warnings only, and with
-v also the debug lines that name each page and row a step skips."""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from typing import Iterator

__all__ = ["OneLine", "log_to_stderr"]


class OneLine(logging.Formatter):
    """``LEVEL logger: message`` on one line: a message's line breaks become spaces and no traceback follows."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{record.levelname} {record.name}: {record.getMessage()}".splitlines())


@contextmanager
def log_to_stderr(verbose: bool) -> Iterator[None]:
    """Within the block the ``leia`` logger writes to stderr: from DEBUG when ``verbose``, else from WARNING.
    Worker processes forked inside the block inherit it."""
    logger = logging.getLogger("leia")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLine())
    level = logger.level
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
