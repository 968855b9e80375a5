"""The HTML route: Wikimedia's Enterprise HTML dumps, and the Parsoid HTML of their articles turned into
the same text and anchors as the wikitext route.

In the order the data flows: ``htmldump`` (the dump's records, one JSON object per article) and ``parsoid``
(an article's HTML to plain text with anchors, by the rules of ``leia.wiki.wikitext``).
"""
