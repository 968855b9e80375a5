"""External links and bare URLs in wikitext, as far as the converter reads them: where a bracketed URL ends,
what a bare URL shows, and whether a text starts with a URL (MediaWiki's ``$wgUrlProtocols``, in
``titles.URL_PROTOCOLS``).
"""

from __future__ import annotations

import re

from leia.wiki.titles import URL_PROTOCOLS

__all__ = ["FREE_URL", "break_bracketed_urls", "shown_url", "starts_with_url"]

_PROTOCOLS = "|".join(re.escape(p) for p in URL_PROTOCOLS)
# A bracketed URL ends at an ideographic space, a tag or two apostrophes (MediaWiki has turned quotes
# into tags before it reads external links): a space makes that boundary explicit.
_PROTOCOL_FIRST = "".join(sorted({c for p in URL_PROTOCOLS for c in (p[0].lower(), p[0].upper())}))
_URL_BREAK = re.compile(
    rf"\[(?=[{_PROTOCOL_FIRST}])((?i:{_PROTOCOLS})(?:[^\s\[\]<>\"'\u3000]|'(?!'))*)(?:\u3000|(?=<(?!!--|/?(?:noinclude|includeonly|onlyinclude)\b)|''))"
)
FREE_URL = re.compile(r"(?<![\w/])(?i:" + "|".join(re.escape(p) for p in URL_PROTOCOLS if p != "//")
                      + r")[^\s\[\]<>\"]+")
_URL_START = re.compile(rf"[\s:]*(?i:{_PROTOCOLS})")
starts_with_url = _URL_START.match  # a text starting with spaces or colons, then a URL


def break_bracketed_urls(text: str) -> str:
    """``text`` with a space where a bracketed URL ends at an ideographic space, a tag or two apostrophes."""
    if "[" in text and ("\u3000" in text or "<" in text or "''" in text):
        return _URL_BREAK.sub(r"[\1 ", text)
    return text


# A bare URL is shown with brackets and newlines percent-encoded, as MediaWiki shows them; only
# entities can put them there (a literal one ends the URL), so lines of the fast path never need this.
_URL_ESCAPED = re.compile(r"[\[\]\n]")


def shown_url(url: str) -> str:
    if _URL_ESCAPED.search(url):
        return _URL_ESCAPED.sub(lambda m: f"%{ord(m.group()):02X}", url)
    return url
