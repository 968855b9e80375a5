"""Entity mentions in text without hyperlinks: a dictionary of anchor texts built from extracted documents,
and detection that turns plain Japanese text into the same ``anchors`` column as extraction.

:mod:`~leia.mentions.segment` finds word boundaries, :mod:`~leia.mentions.entries` says which anchor texts
are mentions, :mod:`~leia.mentions.build` builds the dictionary, :mod:`~leia.mentions.table` reads it,
:mod:`~leia.mentions.detect` detects mentions and :mod:`~leia.mentions.propagate` adds the later occurrences
of what a document links.
"""

from leia.augmenter import REPEAT
from leia.mentions.build import build_mentions, count_links, count_occurrences
from leia.mentions.detect import Detector, detect_batch
from leia.mentions.entries import MentionConfig, make_entries
from leia.mentions.propagate import SOURCED_ANCHOR, Propagator
from leia.mentions.segment import CACHE_SIZE, LOOSE_SUFFIXES, Segmenter
from leia.mentions.table import MentionTable, mention_detector

__all__ = [
    "MentionConfig", "Segmenter", "Detector", "MentionTable", "build_mentions", "count_links",
    "count_occurrences", "make_entries", "detect_batch", "mention_detector", "LOOSE_SUFFIXES", "Propagator",
    "REPEAT", "SOURCED_ANCHOR", "CACHE_SIZE",
]
