"""leia: LEIA training corpora from Wikipedia dumps, for Hugging Face training and inference.

The steps, as functions with the same parameters as the ``leia`` commands (each made from the command's
settings in :mod:`leia.commands`: what it reads and where it writes positional, the rest keywords)::

    leia.extract(dump, output)                                 # dump -> documents
    leia.build_entities(output, dump=..., langlinks=...)       # -> entity table (DuckDB)
    leia.augment(documents, entities, output)                  # -> augmented shards
    leia.run()                                                 # all three, on the sample in data/
    leia.build_mentions(documents, entities, output)           # -> mention dictionary (DuckDB)
    leia.detect_mentions(input, output, mentions=...)          # -> documents with the detected mentions
    leia.tokenize(augmented, output, tokenizer=..., block_size=...)  # -> packed blocks of token ids

Training and inference live in ``leia.training`` and ``leia.generation`` (they need ``leia[train]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "extract", "build_entities", "EntityTable", "augment", "augment_dataset", "run", "build_mentions",
    "detect_mentions", "tokenize", "stats", "preview", "strip_spans", "__version__",
]

_LAZY = {
    "extract": "leia.api",
    "build_entities": "leia.entities",
    "EntityTable": "leia.entities",
    "augment": "leia.api",
    "augment_dataset": "leia.api",
    "run": "leia.api",
    "build_mentions": "leia.mentions",
    "detect_mentions": "leia.api",
    "tokenize": "leia.api",
    "stats": "leia.report",
    "preview": "leia.report",
    "strip_spans": "leia.spans",
}

if TYPE_CHECKING:
    from leia.entities import EntityTable, build_entities
    from leia.api import augment, augment_dataset, detect_mentions, extract, run, tokenize
    from leia.mentions import build_mentions
    from leia.report import preview, stats
    from leia.spans import strip_spans


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'leia' has no attribute {name!r}")
