"""Building larger dumps for benchmarks by repeating the pages of a real one (new page ids each copy)."""

from __future__ import annotations

import bz2
from pathlib import Path
from xml.sax.saxutils import escape

from leia.wiki.dumps.xmldump import DumpReader
from leia.wiki.dumps.compression import open_binary

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
DEV_DUMP = SHARED / "jawiki-country-dev.xml.bz2"


def siteinfo_block(path: Path) -> bytes:
    stream, _ = open_binary(path)
    head = stream.read(1 << 16)
    stream.close()
    end = head.index(b"</siteinfo>") + len(b"</siteinfo>")
    return head[:end] + b"\n"


def repeated_dump(out: Path, target_mb: float, source: Path = DEV_DUMP, compress: bool = True) -> tuple[Path, int]:
    """Write ``source``'s pages again and again until about ``target_mb`` MB of wikitext; returns the path
    and the bytes of wikitext written."""
    if not source.exists():
        raise SystemExit(f"{source} is absent: the benchmarks read ../shared/data beside the checkout")
    pages = list(DumpReader(source))
    written = 0
    copy = 0
    opener = bz2.open if compress else open
    with opener(out, "wb") as f:
        f.write(siteinfo_block(source))
        while written < target_mb * 1e6:
            for p in pages:
                body = p.text.encode("utf-8")
                redirect = f'    <redirect title="{escape(p.redirect, {chr(34): "&quot;"})}" />\n' if p.redirect else ""
                f.write((
                    f"  <page>\n    <title>{escape(p.title)}</title>\n    <ns>{p.ns}</ns>\n"
                    f"    <id>{copy * 1_000_000 + p.id}</id>\n{redirect}    <revision>\n      <id>{copy}</id>\n"
                    f"      <timestamp>2024-07-01T00:00:00Z</timestamp>\n      <model>wikitext</model>\n"
                    f"      <format>text/x-wiki</format>\n"
                    f'      <text bytes="{len(body)}" xml:space="preserve">'
                ).encode() + escape(p.text).encode() + b"</text>\n    </revision>\n  </page>\n")
                written += len(body)
            copy += 1
        f.write(b"</mediawiki>\n")
    return out, written
