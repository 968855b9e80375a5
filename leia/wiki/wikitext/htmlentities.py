"""HTML entities in wikitext (``&amp;``, ``&#x41;``, ``&nbsp;`` ...) decoded as MediaWiki shows them: a
character that would act as markup, or join a link's trail, stays an entity (as a numeric one, which the
parser shows as the character); a reference to a code point HTML does not allow is shown as written; a
no-break space becomes a plain space.
"""

from __future__ import annotations

import html
import re

from leia.wiki.wikitext.tags import MARKUP_CHARACTERS

__all__ = ["EntityDecoder"]

_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*|רלמ|رلم);")

# Entities MediaWiki accepts besides HTML's: the right-to-left mark in Hebrew and Arabic letters.
_ENTITY_ALIASES = {"&רלמ;": "\u200f", "&رلم;": "\u200f"}


def _valid_code_point(code: int) -> bool:
    return code in (0x09, 0x0A) or 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD \
        or 0x10000 <= code <= 0x10FFFF


class EntityDecoder:
    """Decodes the entities of a page of one wiki; ``after_link`` finds the end of a link and its trail
    just before a position (an entity there must stay one, not join the trail)."""

    def __init__(self, after_link: re.Pattern[str]):
        self.after_link = after_link

    def decode(self, text: str) -> str:
        return _ENTITY.sub(self._entity, text)

    def _entity(self, m: re.Match[str]) -> str:
        """An entity decoded, except where the character would act as markup (kept as a numeric entity,
        which the parser shows as the character) or would join a link's trail; a reference to a code point
        HTML does not allow is shown as written, as MediaWiki does."""
        text = m.group()
        if text[1] == "#":
            code = int(text[3:-1], 16) if text[2] in "xX" else int(text[2:-1])
            if not _valid_code_point(code):
                return "&#38;" + text[1:]
            char = chr(code)
        else:
            char = _ENTITY_ALIASES.get(text) or html.unescape(text)
        if char == text or char in "\n\r\t":
            return text
        if len(char) != 1:
            return text if any(c in MARKUP_CHARACTERS for c in char) else char
        if char in MARKUP_CHARACTERS:
            return f"&#{ord(char)};"
        if m.start() >= 2 and self.after_link.search(m.string, max(0, m.start() - 64), m.start()):
            return f"&#{ord(char)};"
        return " " if char == "\u00a0" else char
