"""DumpReader on the sample dump, the real dev and enwiki dumps, every compression it accepts, and the
faults of a broken file (each an InputError naming the file, and for a fault mid-file how far it got)."""

from __future__ import annotations

import bz2
import gzip
import json
import re
from collections import Counter

import pytest

from conftest import SAMPLE_DUMP
from leia.errors import InputError
from leia.wiki.dumps.xmldump import DumpReader, Page

SAMPLE_REDIRECTS = {
    "東京都": "東京", "フジヤマ": "富士山", "不二山": "フジヤマ", "Nile River": "ナイル川",
    "冥王星": "第9惑星", "第9惑星": "冥王星", "火星": "火星 (惑星)",
}
SAMPLE_ARTICLE_IDS = [1, 3, 6, 7, 9, 10, 12, 13, 14, 15, 16, 20, 21, 22]


def _pages(path) -> list[Page]:
    return list(DumpReader(path))


def _consume_until_error(path) -> tuple[int, InputError]:
    """How many pages a reader yields before it raises, and the error."""
    reader = DumpReader(path)
    n = 0
    with pytest.raises(InputError) as info:
        for _ in reader:
            n += 1
    return n, info.value


def test_sample_siteinfo():
    reader = DumpReader(SAMPLE_DUMP)
    site = reader.read_siteinfo()
    assert reader.pages_read == 0
    assert (site.dbname, site.lang, site.case) == ("jawiki", "ja", "first-letter")
    assert site.namespaces[6] == "ファイル"
    assert site.namespaces[10] == "Template"
    assert site.namespaces[14] == "Category"
    assert site.namespaces[0] == ""
    assert site.base == "https://ja.wikipedia.org/wiki/"


def test_sample_pages():
    reader = DumpReader(SAMPLE_DUMP)
    pages = list(reader)
    assert reader.pages_read == 23
    assert [p.id for p in pages] == list(range(1, 24))
    assert reader.siteinfo is not None and reader.siteinfo.dbname == "jawiki"
    assert {p.title: p.redirect for p in pages if p.redirect is not None} == SAMPLE_REDIRECTS
    assert [p.id for p in pages if p.is_article] == SAMPLE_ARTICLE_IDS
    assert {p.id: (p.ns, p.title) for p in pages if p.ns != 0} == {
        8: (10, "Template:基礎情報 国"), 23: (14, "Category:天体")}
    by_title = {p.title: p for p in pages}
    assert by_title["東京"].timestamp == "2024-07-02T01:07:00Z"
    assert "[[徳川家康|家康]]" in by_title["東京"].text
    assert not by_title["東京都"].is_article


def test_sample_texts_are_read_exactly():
    """Each revision's ``bytes=`` is the UTF-8 length of its text: entities unescaped, nothing lost."""
    raw = SAMPLE_DUMP.read_text(encoding="utf-8")
    declared = [int(b) for b in re.findall(r'<text bytes="(\d+)"', raw)]
    pages = _pages(SAMPLE_DUMP)
    assert len(declared) == 23
    assert [len(p.text.encode("utf-8")) for p in pages] == declared
    assert "&amp;" in next(p.text for p in pages if p.title == "寿司")


def test_dev_dump(jawiki_dev_dump, jawiki_dev_jsonl):
    reader = DumpReader(jawiki_dev_dump)
    pages = list(reader)
    assert len(pages) == 103
    assert [p.id for p in pages] == list(range(1, 104))
    assert all(p.is_article for p in pages)
    assert (pages[0].title, pages[-1].title) == ("エジプト", "南オセチア")
    assert reader.siteinfo.dbname == "jawiki" and reader.siteinfo.lang == "ja"
    assert reader.bytes_read == jawiki_dev_dump.stat().st_size
    with gzip.open(jawiki_dev_jsonl, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    assert [p.title for p in pages] == [r["title"] for r in rows]
    assert [p.text for p in pages] == [r["text"] for r in rows]


def test_enwiki_sample(enwiki_sample_dump):
    reader = DumpReader(enwiki_sample_dump)
    pages = list(reader)
    site = reader.siteinfo
    assert (site.dbname, site.lang, site.case) == ("enwiki", "en", "first-letter")
    assert site.namespaces[6] == "File"
    assert len(pages) == 206
    kinds = Counter((p.ns, p.redirect is not None) for p in pages)
    assert kinds == {(0, False): 106, (0, True): 99, (4, True): 1}
    assert sum(p.is_article for p in pages) == 106
    by_title = {p.title: p for p in pages}
    assert by_title["AccessibleComputing"].redirect == "Computer accessibility"
    assert by_title["Wikipedia:Adding Wikipedia articles to Nupedia"].ns == 4
    assert by_title["Algorithm"].redirect is None and len(by_title["Algorithm"].text) > 10_000


def _split_at_pages(raw: bytes, pieces: int) -> list[bytes]:
    starts = [m.start() for m in re.finditer(rb"  <page>", raw)]
    cuts = [starts[len(starts) * k // pieces] for k in range(1, pieces)]
    bounds = [0, *cuts, len(raw)]
    return [raw[a:b] for a, b in zip(bounds, bounds[1:])]


def test_multistream_bz2(tmp_path):
    raw = SAMPLE_DUMP.read_bytes()
    parts = _split_at_pages(raw, 3)
    assert len(parts) == 3 and b"".join(parts) == raw
    path = tmp_path / "jawiki-multistream.xml.bz2"
    path.write_bytes(b"".join(bz2.compress(p) for p in parts))
    assert path.read_bytes().count(b"BZh9") >= 3
    assert _pages(path) == _pages(SAMPLE_DUMP)


def test_gzip(tmp_path):
    path = tmp_path / "jawiki.xml.gz"
    path.write_bytes(gzip.compress(SAMPLE_DUMP.read_bytes()))
    reader = DumpReader(path)
    assert list(reader) == _pages(SAMPLE_DUMP)
    assert reader.siteinfo.dbname == "jawiki"


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.xml.bz2"
    with pytest.raises(InputError, match=re.escape(str(path))):
        list(DumpReader(path))


def test_folder_is_not_a_dump(tmp_path):
    with pytest.raises(InputError, match=re.escape(str(tmp_path)) + ".*folder"):
        list(DumpReader(tmp_path))


def test_text_file_is_not_a_dump(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("首都はカイロ。\nnot XML at all\n", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(str(path)) + ": not a MediaWiki XML dump"):
        list(DumpReader(path))


def test_empty_file(tmp_path):
    path = tmp_path / "empty.xml"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=re.escape(str(path)) + ": not a MediaWiki XML dump"):
        DumpReader(path).read_siteinfo()


def test_other_root_element(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_text('<?xml version="1.0"?>\n<rss><page><title>x</title></page></rss>\n', encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(str(path)) + r": not a MediaWiki XML dump \(root element <rss>\)"):
        list(DumpReader(path))


def test_truncated_bz2_sample(tmp_path):
    compressed = bz2.compress(SAMPLE_DUMP.read_bytes())
    path = tmp_path / "cut.xml.bz2"
    path.write_bytes(compressed[: len(compressed) // 2])
    n, error = _consume_until_error(path)
    assert str(error).startswith(f"{path}: compressed stream is truncated or corrupt")
    assert str(error).endswith(f"(after {n} pages)")


def test_truncated_bz2_dev_dump_reports_pages_read(tmp_path, jawiki_dev_dump):
    compressed = jawiki_dev_dump.read_bytes()
    path = tmp_path / "cut-dev.xml.bz2"
    path.write_bytes(compressed[: len(compressed) // 2])
    n, error = _consume_until_error(path)
    assert 0 < n < 103
    assert str(error).startswith(f"{path}: ")
    assert "truncated" in str(error) and str(error).endswith(f"(after {n} pages)")


def test_malformed_xml_mid_file(tmp_path):
    raw = SAMPLE_DUMP.read_bytes()
    ninth = [m.start() for m in re.finditer(rb"</page>", raw)][8]
    path = tmp_path / "broken.xml"
    path.write_bytes(raw[:ninth] + b"<oops></page>" + raw[ninth + len(b"</page>"):])
    n, error = _consume_until_error(path)
    assert n == 8
    assert str(error).startswith(f"{path}: malformed XML")
    assert str(error).endswith("(after 8 pages)")


def test_uncompressed_dump_cut_short(tmp_path):
    raw = SAMPLE_DUMP.read_bytes()
    tenth = [m.start() for m in re.finditer(rb"  <page>", raw)][10]
    path = tmp_path / "short.xml"
    path.write_bytes(raw[: tenth + 40])
    n, error = _consume_until_error(path)
    assert n == 10
    assert str(error).startswith(f"{path}: malformed XML") and str(error).endswith("(after 10 pages)")


def test_no_siteinfo(tmp_path):
    path = tmp_path / "nosite.xml"
    path.write_text('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/"></mediawiki>\n', encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(str(path)) + ": no <siteinfo>"):
        DumpReader(path).read_siteinfo()


def test_bz2_is_decoded_by_indexed_bzip2_with_the_same_bytes_as_pythons_bz2(jawiki_dev_dump):
    import bz2

    from leia.wiki.dumps.compression import FastBz2, open_binary

    stream, counter = open_binary(jawiki_dev_dump)
    with stream:
        data = stream.read()
    assert isinstance(counter, FastBz2)
    assert data == bz2.open(jawiki_dev_dump).read()
    assert counter.consumed == jawiki_dev_dump.stat().st_size


def test_a_truncated_bz2_yields_the_intact_text_before_the_damage(tmp_path, jawiki_dev_dump):
    """indexed_bzip2 stops at the first damaged block it reads ahead to (after 1 MiB here); the rest is read
    again with Python's bz2, which gets as far as the damage."""
    import bz2

    from leia.wiki.dumps.compression import open_binary

    whole = bz2.open(jawiki_dev_dump).read()
    cut = tmp_path / "cut.xml.bz2"
    cut.write_bytes(jawiki_dev_dump.read_bytes()[: jawiki_dev_dump.stat().st_size // 2])
    stream, _ = open_binary(cut)
    got = bytearray()
    with pytest.raises(EOFError):
        while piece := stream.read(1 << 16):
            got += piece
    assert whole.startswith(bytes(got))
    assert 1_700_000 < len(got) < len(whole) // 2


def test_a_dump_without_pages_has_no_pages(tmp_path):
    from conftest import SAMPLE_DUMP

    text = SAMPLE_DUMP.read_text(encoding="utf-8")
    empty = tmp_path / "empty.xml"
    empty.write_text(text[: text.index("</siteinfo>") + len("</siteinfo>")] + "\n</mediawiki>\n", encoding="utf-8")
    assert list(DumpReader(empty).raw_pages()) == []
    assert list(DumpReader(empty)) == []
