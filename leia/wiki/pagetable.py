"""The page table of a dump: each page's id, namespace, title and redirect target (normalised as MediaWiki
resolves it), with the English names its interlanguage-link templates ({{仮リンク}} ...) give, one row per page
in dump order. The entity table is built from these rows, read from the dump or gathered by extraction."""

from __future__ import annotations

import pyarrow as pa

from leia.wiki.siteinfo import SiteInfo

__all__ = ["PAGES", "page_row", "redirect_target", "harvest_wikitext"]

HARVESTED = pa.struct([("target", pa.string()), ("english", pa.string())])
PAGES = pa.schema([("id", pa.int64()), ("ns", pa.int32()), ("title", pa.string()), ("redirect", pa.string()),
                   ("harvested", pa.list_(HARVESTED))])


def redirect_target(redirect: str | None, site: SiteInfo) -> str | None:
    """The article a redirect points to, normalised as MediaWiki resolves titles. A redirect out of the
    articles (another namespace, another wiki) keeps its raw target: it resolves to no article and is counted
    as dangling."""
    if redirect is None:
        return None
    from leia.wiki.titles import normalize_title

    normalized = normalize_title(redirect, site)
    return normalized[1] if normalized else redirect


def harvest_wikitext(ns: int, redirect: str | None, text: str, site: SiteInfo) -> list[tuple[str, str]]:
    """``(local title, English title)`` of the interlanguage-link templates of an article's wikitext (none
    for a redirect or a page outside the articles)."""
    if ns != 0 or redirect is not None or not text:
        return []
    from leia.wiki.wikitext import harvest_interlanguage_links

    return list(harvest_interlanguage_links(text, site))


def page_row(page_id: int, ns: int, title: str, redirect: str | None, text: str, site: SiteInfo,
             harvest: bool) -> dict:
    """The page-table row of one page; names are harvested (when ``harvest``) from articles that are not
    redirects."""
    found = harvest_wikitext(ns, redirect, text, site) if harvest else []
    return {"id": page_id, "ns": ns, "title": title, "redirect": redirect_target(redirect, site),
            "harvested": [{"target": t, "english": e} for t, e in found]}
