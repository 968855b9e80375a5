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

The package, in the order data flows (each subpackage's docstring names its own modules: ``help(leia.wiki)``):

- ``wiki``: MediaWiki material (dump files, wikitext and Parsoid HTML to plain text with anchors, titles, the
  page table);
- ``steps``: what one pass over an input computes (extraction, mention detection, augmentation, packing);
- ``entities``: the DuckDB entity table of each title's English name;
- ``mentions``: the dictionary of anchor texts, and detection of mentions in plain text;
- ``augmenter``: ``<translate>English</translate>`` spans inserted into a batch of documents, with ``spans``
  (placing spans in one text, and taking them out) and ``batchtext`` (a batch's texts as UTF-8 bytes
  addressed by code point);
- ``schemas``: the explicit pyarrow schema of each kind of shard;
- ``execute``: where a step runs (this machine's processes, Ray, a part of a split run);
- ``io``: files, shards, manifests, dataset cards and DuckDB builds, written atomically;
- ``training``: the markers, the collator, packing and the ``leia train`` run; ``generation``: inference
  that never opens ``<translate>``;
- ``report``: what augmented shards hold (``leia stats``, ``leia preview``);
- ``api``: each command as a Python function; ``cli``: the ``leia`` command, one module per subcommand;
  ``commands``: each command's settings, one dataclass; ``settings``: a dataclass made into options and
  keywords;
- ``errors``: the errors that tell the user what happens next (``ConfigError``, ``InputError``, ...).
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
