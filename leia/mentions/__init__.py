"""Entity mentions in text without hyperlinks: a dictionary of anchor texts built from extracted documents,
and detection that turns plain Japanese text into the same ``anchors`` column as extraction.

In the order the data flows:

- ``segment``: word boundaries of Japanese text, where a mention may start and end;
- ``entries``: which anchor texts count as mentions (:class:`MentionConfig`), with their link probabilities;
- ``build``: the dictionary built from extracted documents (``leia mentions build``);
- ``hashtrie``: a trie of strings in flat numpy arrays, searched at every position of a text at once;
- ``surfaces``: a dictionary's surfaces as a file every process memory-maps (``<dictionary>.surfaces``);
- ``table``: a built dictionary opened read-only (:class:`MentionTable`), and its detector;
- ``detect``: plain text turned into the same ``anchors`` column as extraction;
- ``propagate``: the later occurrences of what a document links, added as mentions (:class:`Propagator`).
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
