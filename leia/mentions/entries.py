"""Which anchor texts count as mentions: the settings (:class:`MentionConfig`), and a dictionary's entries
(link probabilities and targets with their priors) made from counts of links and occurrences.

A surface's *link probability* is how often it is linked over how often it occurs; its document-level link
probability (*keyphraseness*) is in how many documents it is linked over in how many it occurs (Wikipedia
links an entity once per article, so 日本 is a link at few of its occurrences but in most articles that name
it); each target's *prior* is its share of the surface's links. A surface is a mention when either link
probability reaches its threshold.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields
from typing import Iterable

from leia.commands import MentionSettings

__all__ = ["MentionConfig", "unknown_settings", "Entry", "make_entries", "is_mention"]


@dataclass(frozen=True, kw_only=True)
class MentionConfig(MentionSettings):
    """Which anchor texts count as mentions: the settings of ``leia mentions build``
    (:class:`leia.commands.MentionSettings`, where each is described), which a detector may override (length
    limits and link counts can only narrow what was built), and ``segment``: False for no word boundaries at
    all, any substring match counts (for comparison)."""

    segment: bool = True


def unknown_settings(names: Iterable[str]) -> list[str]:
    """Those of ``names`` that are no setting of :class:`MentionConfig`, sorted."""
    return sorted(set(names) - {f.name for f in fields(MentionConfig)})


@dataclass
class Entry:
    """A surface of the dictionary: its link probabilities and its targets with their priors, most probable first."""

    link_prob: float
    targets: list[tuple[str, float]]
    doc_link_prob: float = 0.0


def make_entries(links: Counter, occurrences: Counter, config: MentionConfig, doc_links: Counter | None = None,
                 doc_occurrences: Counter | None = None) -> dict[str, Entry]:
    """Dictionary entries from counts: ``links[(surface, target)]``, ``occurrences[surface]`` and, for the
    document-level link probability, ``doc_links[surface]`` (documents where the surface is linked) and
    ``doc_occurrences[surface]`` (documents where it occurs)."""
    doc_links = doc_links or Counter()
    doc_occurrences = doc_occurrences or Counter()
    by_surface: dict[str, list[tuple[str, int]]] = {}
    for (surface, target), n in links.items():
        if n > 0:
            by_surface.setdefault(surface, []).append((target, n))
    entries: dict[str, Entry] = {}
    for surface, targets in by_surface.items():
        total = sum(n for _, n in targets)
        if total < config.min_link_count or not config.min_length <= len(surface) <= config.max_length:
            continue
        occ = max(occurrences.get(surface, 0), total)
        targets.sort(key=lambda t: (-t[1], t[0]))
        linked_in = doc_links.get(surface, 0)
        doc_prob = linked_in / max(doc_occurrences.get(surface, 0), linked_in) if linked_in else 0.0
        entries[surface] = Entry(total / occ, [(t, n / total) for t, n in targets], doc_prob)
    return entries


def is_mention(entry: Entry, config: MentionConfig) -> bool:
    """Whether a surface is linked often enough: per occurrence, or per document when that is asked for."""
    if entry.targets and entry.targets[0][1] < config.min_prior:
        return False
    return entry.link_prob >= config.min_link_prob or (
        config.min_doc_link_prob is not None and entry.doc_link_prob >= config.min_doc_link_prob)
