"""The page table of a dump: each page's id, namespace, title and redirect target (normalised as MediaWiki
resolves it), with the English names its interlanguage-link templates ({{仮リンク}} ...) give and (HTML dumps)
its Wikidata item, one row per page in dump order. The entity table is built from these rows, read from the
dump or gathered by extraction."""

from __future__ import annotations

import pyarrow as pa

from leia.wiki.siteinfo import SiteInfo

__all__ = ["PAGES", "page_row", "record_rows", "redirect_target", "harvest", "harvest_wikitext"]

HARVESTED = pa.struct([("target", pa.string()), ("english", pa.string())])
PAGES = pa.schema([("id", pa.int64()), ("ns", pa.int32()), ("title", pa.string()), ("redirect", pa.string()),
                   ("harvested", pa.list_(HARVESTED)), ("item", pa.string())])


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
    from leia.wiki.wikitext.templates.interlanguage import harvest_interlanguage_links

    return list(harvest_interlanguage_links(text, site))


def harvest(page, site: SiteInfo, parsed=None) -> list[tuple[str, str]]:
    """``(local title, English title)`` of the interlanguage-link templates of a page: from its wikitext, or,
    for a page of an HTML dump that carries none, from its Parsoid HTML (``parsed``: that HTML already parsed,
    a ``leia.wiki.html.parsoid.Page``)."""
    if page.text:
        return harvest_wikitext(page.ns, page.redirect, page.text, site)
    if page.redirect is None and getattr(page, "html", ""):
        from leia.wiki.html.parsoid import convert

        return [(a.target, a.english) for a in convert(parsed or page.html, site)[0].anchors if a.english]
    return []


def page_row(page_id: int, ns: int, title: str, redirect: str | None, text: str, site: SiteInfo,
             harvest: bool) -> dict:
    """The page-table row of one page; names are harvested (when ``harvest``) from articles that are not
    redirects."""
    found = harvest_wikitext(ns, redirect, text, site) if harvest else []
    return {"id": page_id, "ns": ns, "title": title, "redirect": redirect_target(redirect, site),
            "harvested": [{"target": t, "english": e} for t, e in found], "item": None}


def record_rows(data: dict, site: SiteInfo, harvest_names: bool, where: str = "dump", parsed=None) -> list[dict]:
    """The page-table rows of one record of an HTML dump (its JSON object): the article with its Wikidata
    item, then its redirects (which the dump gives no id), as ``leia entities --dump`` reads them
    (leia.wiki.html.htmldump.record_pages); ``parsed`` is the article's HTML already parsed, if it was."""
    from leia.wiki.html.htmldump import record_pages

    rows = []
    for page in record_pages(data, where):
        found = harvest(page, site, parsed) if harvest_names else []
        rows.append({"id": page.id, "ns": page.ns, "title": page.title, "redirect": redirect_target(page.redirect, site),
                     "harvested": [{"target": t, "english": e} for t, e in found], "item": page.item})
    return rows
