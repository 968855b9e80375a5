"""The Wikidata JSON dump reader, on small hand-made dumps in the real layout."""

from __future__ import annotations

import bz2
import json
import logging
from pathlib import Path

import pytest

from conftest import write_compressed
from leia.errors import InputError
from leia.wiki.dumps.wikidata import iter_sitelinks


def sitelink(site: str, title: str) -> dict:
    return {"site": site, "title": title, "badges": []}


def item(qid: str, **titles: str) -> dict:
    return {
        "type": "item",
        "id": qid,
        "labels": {"ja": {"language": "ja", "value": titles.get("jawiki", qid)}},
        "descriptions": {},
        "aliases": {},
        "claims": {},
        "sitelinks": {site: sitelink(site, title) for site, title in titles.items()},
        "lastrevid": 1,
    }


ENTITIES = [
    item("Q85", jawiki="カイロ", enwiki="Cairo", frwiki="Le Caire"),
    item("Q79", jawiki="エジプト", dewiki="Ägypten"),
    item("Q90", enwiki="Paris", dewiki="Paris"),
    item("Q17", jawiki="日本", enwiki="Japan", dewiki="Japan"),
    {
        "type": "property",
        "id": "P31",
        "datatype": "wikibase-item",
        "labels": {"en": {"language": "en", "value": "instance of"}},
    },
    # "jawiki" and "enwiki" appear, but not as sitelinks of this item
    {
        "type": "item",
        "id": "Q123",
        "labels": {"en": {"language": "en", "value": "jawiki"}},
        "descriptions": {"en": {"language": "en", "value": "enwiki"}},
        "sitelinks": {"enwiki": sitelink("enwiki", "Quoted")},
    },
    item("Q1490", jawiki="東京都", enwiki="Tokyo"),
]
EXPECTED = [("Q85", "カイロ", "Cairo"), ("Q17", "日本", "Japan"), ("Q1490", "東京都", "Tokyo")]


def dump_bytes(lines: list[bytes]) -> bytes:
    return b"[\n" + b",\n".join(lines) + b"\n]\n"


def entity_lines(entities: list[dict], ensure_ascii: bool = False) -> list[bytes]:
    return [json.dumps(e, ensure_ascii=ensure_ascii, separators=(",", ":")).encode() for e in entities]


@pytest.mark.parametrize("compress", [None, "gzip", "bz2"])
def test_both_sitelinks(tmp_path: Path, compress: str | None) -> None:
    path = write_compressed(tmp_path / "wikidata-all.json", dump_bytes(entity_lines(ENTITIES)), compress)
    counters: dict[str, int] = {}
    assert list(iter_sitelinks(path, counters=counters)) == EXPECTED
    assert counters == {"entities": 7, "parsed": 4, "kept": 3, "skipped_bad_line": 0}


def test_escaped_unicode_and_other_wikis(tmp_path: Path) -> None:
    path = write_compressed(tmp_path / "wikidata-all.json.gz", dump_bytes(entity_lines(ENTITIES, ensure_ascii=True)), "gzip")
    assert list(iter_sitelinks(path)) == EXPECTED
    assert list(iter_sitelinks(path, "dewiki", "enwiki")) == [("Q90", "Paris", "Paris"), ("Q17", "Japan", "Japan")]
    assert list(iter_sitelinks(path, "jawiki", "frwiki")) == [("Q85", "カイロ", "Le Caire")]


def test_multistream_bz2(tmp_path: Path) -> None:
    data = dump_bytes(entity_lines(ENTITIES))
    middle = data.index(b"\n", len(data) // 2) + 1
    path = tmp_path / "wikidata-all.json.bz2"
    path.write_bytes(bz2.compress(data[:middle]) + bz2.compress(data[middle:]))
    assert list(iter_sitelinks(path)) == EXPECTED


def test_bad_lines_are_counted_and_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lines = entity_lines(ENTITIES[:1])
    lines += [b'{"type":"item","id":"Q2","sitelinks":{"jawiki":{"title":"X"},"enwiki":{"title"', b'["jawiki","enwiki"]']
    lines += entity_lines(ENTITIES[3:4])
    path = write_compressed(tmp_path / "wikidata-all.json", dump_bytes(lines))
    counters: dict[str, int] = {}
    with caplog.at_level(logging.WARNING, logger="leia.wiki.dumps.wikidata"):
        assert list(iter_sitelinks(path, counters=counters)) == [EXPECTED[0], EXPECTED[1]]
    assert counters == {"entities": 4, "parsed": 4, "kept": 2, "skipped_bad_line": 2}
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "wikidata-all.json, line 3: skipped a line that is not an entity" in messages[0]
    assert "wikidata-all.json, line 4: skipped" in messages[1]


def test_debug_logs_each_skipped_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """With debug logging on (``-v``), one line per entity skipped, naming the file and the line; off, none."""
    path = write_compressed(tmp_path / "wikidata-all.json", dump_bytes(entity_lines(ENTITIES)))
    with caplog.at_level(logging.INFO, logger="leia.wiki.dumps.wikidata"):
        assert list(iter_sitelinks(path)) == EXPECTED
    assert caplog.records == []
    with caplog.at_level(logging.DEBUG, logger="leia.wiki.dumps.wikidata"):
        assert list(iter_sitelinks(path)) == EXPECTED
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.DEBUG, f"{path}, line 3: skipped an entity not linked to both jawiki and enwiki"),
        (logging.DEBUG, f"{path}, line 4: skipped an entity not linked to both jawiki and enwiki"),
        (logging.DEBUG, f"{path}, line 6: skipped an entity not linked to both jawiki and enwiki"),
        (logging.DEBUG, f"{path}, line 7: skipped Q123, which has no title on both jawiki and enwiki"),
    ]


def test_bad_lines_past_the_warnings_are_logged_at_debug_level(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lines = [b'["jawiki","enwiki"]'] * 22 + entity_lines(ENTITIES[:1])
    path = write_compressed(tmp_path / "wikidata-all.json", dump_bytes(lines))
    counters: dict[str, int] = {}
    with caplog.at_level(logging.DEBUG, logger="leia.wiki.dumps.wikidata"):
        assert list(iter_sitelinks(path, counters=counters)) == [EXPECTED[0]]
    assert counters["skipped_bad_line"] == 22
    levels = [r.levelno for r in caplog.records]
    assert levels == [logging.WARNING] * 20 + [logging.DEBUG] * 2
    assert f"{path}, line 23: skipped a line that is not an entity" in caplog.records[-1].getMessage()


@pytest.mark.parametrize(
    "content",
    [b"", b'{"type":"item","id":"Q85","sitelinks":{}}\n', b"<mediawiki>\n", b"-- MySQL dump 10.19\n"],
)
def test_not_a_wikidata_dump(tmp_path: Path, content: bytes) -> None:
    path = write_compressed(tmp_path / "other.json", content)
    with pytest.raises(InputError, match=r"other\.json: not a Wikidata JSON dump"):
        list(iter_sitelinks(path))


def test_missing_closing_bracket(tmp_path: Path) -> None:
    path = write_compressed(tmp_path / "wikidata-all.json", dump_bytes(entity_lines(ENTITIES))[: -len(b"\n]\n")])
    found = []
    with pytest.raises(InputError, match=r"wikidata-all\.json: ends at line 8 without the closing '\]'"):
        for row in iter_sitelinks(path):
            found.append(row)
    assert found == EXPECTED


def test_truncated_bz2(tmp_path: Path) -> None:
    entities = [item(f"Q{i}", jawiki=f"項目{i}", enwiki=f"Item {i}") for i in range(3000)]
    data = bz2.compress(dump_bytes(entity_lines(entities)))
    path = write_compressed(tmp_path / "wikidata-cut.json.bz2", data[: len(data) // 2])
    with pytest.raises(InputError, match=r"wikidata-cut\.json\.bz2: compressed data truncated or corrupt at line \d+"):
        list(iter_sitelinks(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="absent.json.bz2"):
        list(iter_sitelinks(tmp_path / "absent.json.bz2"))
