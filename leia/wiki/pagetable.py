"""The page table of a dump: each page's id, namespace, title and redirect target (normalised as MediaWiki
resolves it), with the English names its interlanguage-link templates ({{仮リンク}} ...) give, one row per page
in dump order. The entity table is built from these rows, read from the dump or gathered by extraction."""

from __future__ import annotations

import pyarrow as pa

from leia.wiki.siteinfo import SiteInfo

__all__ = ["PAGES", "page_row"]

HARVESTED = pa.struct([("target", pa.string()), ("english", pa.string())])
PAGES = pa.schema([("id", pa.int64()), ("ns", pa.int32()), ("title", pa.string()), ("redirect", pa.string()),
                   ("harvested", pa.list_(HARVESTED))])


def page_row(page_id: int, ns: int, title: str, redirect: str | None, text: str, site: SiteInfo,
             harvest: bool) -> dict:
    """The page-table row of one page. A redirect out of the articles (another namespace, another wiki)
    keeps its raw target: it resolves to no article. Names are harvested (when ``harvest``) from articles
    that are not redirects."""
    from leia.wiki.titles import normalize_title

    if redirect is not None:
        normalized = normalize_title(redirect, site)
        redirect = normalized[1] if normalized else redirect
    found: list[dict] = []
    if harvest and ns == 0 and redirect is None and text:
        from leia.wiki.wikitext import harvest_interlanguage_links

        found = [{"target": t, "english": e} for t, e in harvest_interlanguage_links(text, site)]
    return {"id": page_id, "ns": ns, "title": title, "redirect": redirect, "harvested": found}
