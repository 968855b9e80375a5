"""Where leia's log records go while the ``leia`` command runs: stderr, one line each; notes (what a resumed run
reuses) and warnings, and with -v also the debug lines that name each page and row a step skips."""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from typing import Iterator

__all__ = ["OneLine", "log_to_stderr"]


class OneLine(logging.Formatter):
    """``LEVEL logger: message`` on one line (a note, INFO, is its message alone): a message's line breaks
    become spaces and no traceback follows."""

    def format(self, record: logging.LogRecord) -> str:
        line = record.getMessage() if record.levelno == logging.INFO else \
            f"{record.levelname} {record.name}: {record.getMessage()}"
        return " ".join(line.splitlines())


@contextmanager
def log_to_stderr(verbose: bool) -> Iterator[None]:
    """Within the block the ``leia`` logger writes to stderr: from DEBUG when ``verbose``, else from INFO (notes
    and warnings). Worker processes forked inside the block inherit it."""
    logger = logging.getLogger("leia")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLine())
    level = logger.level
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
