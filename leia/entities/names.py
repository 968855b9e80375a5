"""English titles cleaned into the names inserted in text (the paper's rules), and where a name may come from."""

from __future__ import annotations

import re

from leia.commands import Cleaning

__all__ = ["SOURCES", "clean_english"]

# Where a name comes from, in order of precedence: a page's own langlink wins over Wikidata, and both over
# names harvested from {{仮リンク}} on other pages.
SOURCES = ("langlinks", "wikidata", "harvested")

_ENGLISH_NAMESPACES = (
    "Category", "File", "Image", "Template", "Wikipedia", "Portal", "Help", "Draft", "User", "Talk", "Module",
    "MediaWiki", "Special", "Media", "Book", "TimedText", "Project", "WP", "WT", "CAT", "Gadget",
    "Education Program", "Topic",
)
_NS_RE = re.compile(r"^(?:%s)(?: talk)?\s*:" % "|".join(re.escape(n) for n in _ENGLISH_NAMESPACES), re.IGNORECASE)
_DISAMBIGUATOR_RE = re.compile(r"\s+\([^()]*\)$")


def clean_english(title: str, cleaning: Cleaning = Cleaning()) -> tuple[str | None, str | None]:
    """``(name, None)`` for a usable English title, ``(None, reason)`` for one that is dropped.

    >>> clean_english("Mercury (planet)")
    ('Mercury', None)
    >>> clean_english("List of rivers of Egypt")
    (None, 'list')
    """
    name = " ".join(title.replace("_", " ").split())
    if cleaning.drop_fragment and "#" in name:
        name = name.split("#", 1)[0].strip()
    if not name:
        return None, "empty"
    if cleaning.skip_namespaces and _NS_RE.match(name):
        return None, "namespace"
    if cleaning.skip_lists and name.startswith(("List of ", "Lists of ")):
        return None, "list"
    if cleaning.drop_disambiguator:
        stripped = _DISAMBIGUATOR_RE.sub("", name)
        if stripped:
            name = stripped
    return name, None
