"""The mysqldump reader: the real langlinks excerpt, then hand-written dumps for each case."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from conftest import write_compressed
from leia.errors import InputError
from leia.wiki.dumps.sqldump import (
    LANGLINKS_COLUMNS,
    iter_dump_lines,
    iter_langlink_batches,
    iter_langlinks,
    iter_rows,
    unescape,
)

HEAD = b"""-- MySQL dump 10.19  Distrib 10.3.38-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: localhost    Database: testwiki
-- ------------------------------------------------------

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;

--
-- Table structure for table `%(table)s`
--

DROP TABLE IF EXISTS `%(table)s`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8 */;
"""
# The CREATE TABLE statement of langlinks as Wikimedia's dumps write it, from the sample dump in data/.
_SAMPLE = (Path(__file__).resolve().parent.parent / "data" / "sample-jawiki-langlinks.sql").read_bytes()
_CREATE_AT = _SAMPLE.index(b"CREATE TABLE")
LANGLINKS_CREATE = _SAMPLE[_CREATE_AT:_SAMPLE.index(b";\n", _CREATE_AT) + 2]
PAGE_CREATE = b"""CREATE TABLE `page` (
  `page_id` int(8) unsigned NOT NULL AUTO_INCREMENT,
  `page_namespace` int(11) NOT NULL DEFAULT 0,
  `page_title` varbinary(255) NOT NULL DEFAULT '',
  `page_random` double unsigned NOT NULL DEFAULT 0,
  `page_lang` varbinary(35) DEFAULT NULL,
  PRIMARY KEY (`page_id`)
) ENGINE=InnoDB DEFAULT CHARSET=binary;
"""
# Line number of the first INSERT statement written after HEAD and a CREATE TABLE statement.
FIRST_INSERT = HEAD.count(b"\n") + LANGLINKS_CREATE.count(b"\n") + 1
FIRST_PAGE_INSERT = HEAD.count(b"\n") + PAGE_CREATE.count(b"\n") + 1
TAIL = b"""/*!40000 ALTER TABLE `%(table)s` ENABLE KEYS */;

-- Dump completed on 2024-07-02  3:12:44
"""


def insert(rows: bytes, table: bytes = b"langlinks") -> bytes:
    return b"INSERT INTO `" + table + b"` VALUES " + rows + b";\n"


def write_dump(
    path: Path,
    inserts: list[bytes],
    table: bytes = b"langlinks",
    create: bytes | None = LANGLINKS_CREATE,
    compress: str | None = "gzip",
) -> Path:
    data = (HEAD % {b"table": table}) + (create or b"") + b"".join(inserts) + (TAIL % {b"table": table})
    return write_compressed(path, data, compress)


def rows_of(pairs: list[tuple[int, str, str]]) -> bytes:
    return b",".join(b"(%d,'%s','%s')" % (i, lang.encode(), title.encode()) for i, lang, title in pairs)


# The real excerpt (jawiki_dev_langlinks: ../shared/data/jawiki-country-dev-langlinks.sql.gz, from conftest)


@pytest.mark.shared
def test_real_langlinks_rows(jawiki_dev_langlinks: Path) -> None:
    counters: dict[str, int] = {}
    rows = list(iter_langlinks(jawiki_dev_langlinks, counters=counters))
    assert len(rows) == 103
    assert [page_id for page_id, _ in rows] == list(range(1, 104))
    assert rows[0] == (1, "Egypt")
    assert rows[59] == (60, "São Tomé and Príncipe")
    assert rows[100] == (101, "Japan")
    assert rows[102] == (103, "South Ossetia")
    assert counters == {"rows": 103, "kept": 103}


@pytest.mark.shared
def test_real_langlinks_other_views(jawiki_dev_langlinks: Path) -> None:
    everything = list(iter_langlinks(jawiki_dev_langlinks, lang=None))
    assert len(everything) == 103
    assert everything[58] == (59, "en", "Ivory Coast")
    assert list(iter_rows(jawiki_dev_langlinks, "langlinks", LANGLINKS_COLUMNS)) == everything
    counters: dict[str, int] = {}
    assert list(iter_langlinks(jawiki_dev_langlinks, lang="fr", counters=counters)) == []
    assert counters == {"rows": 103, "kept": 0}


# Values and escapes


@pytest.mark.parametrize(
    "literal, expected",
    [
        (rb"L\'Aquila", "L'Aquila"),
        (rb"It''s", "It's"),
        (rb"C:\\dir", "C:\\dir"),
        (rb"say \"hi\"", 'say "hi"'),
        (rb"a\nb", "a\nb"),
        (rb"a\rb", "a\rb"),
        (rb"a\tb", "a\tb"),
        (rb"a\0b", "a\x00b"),
        (rb"a\Zb", "a\x1ab"),
        (rb"a\bb", "a\x08b"),
        (rb"100\%", "100\\%"),
        (rb"a\_b", "a\\_b"),
        (rb"\\", "\\"),
        (rb"\\\'", "\\'"),
        (rb"x),(2,\'en\',\'y", "x),(2,'en','y"),
        (b"", ""),
        ("São Tomé and Príncipe".encode(), "São Tomé and Príncipe"),
        ("カイロ".encode(), "カイロ"),
    ],
)
def test_escapes(tmp_path: Path, literal: bytes, expected: str) -> None:
    path = write_dump(tmp_path / "x.sql.gz", [insert(b"(7,'en','" + literal + b"'),(8,'en','next')")])
    assert list(iter_langlinks(path)) == [(7, expected), (8, "next")]
    assert list(iter_langlinks(path, None)) == [(7, "en", expected), (8, "en", "next")]


def test_unescape_is_one_left_to_right_pass() -> None:
    assert unescape(rb"\\n") == b"\\n"
    assert unescape(rb"a\'''b") == b"a''b"
    assert unescape(rb"\q") == b"q"


def test_values_of_any_table(tmp_path: Path) -> None:
    rows = (
        b"(1,0,'Main_Page',0.123456789,NULL),(2,-1,'It''s',1e3,'ja'),"
        b"(3,4,0x616263,-.5,_binary 'x\\'y'),(4,0,'',2.5E-2,NULL)"
    )
    path = write_dump(tmp_path / "page.sql", [insert(rows, b"page")], b"page", PAGE_CREATE, None)
    counters: dict[str, int] = {}
    assert list(iter_rows(path, "page", counters=counters)) == [
        (1, 0, "Main_Page", 0.123456789, None),
        (2, -1, "It's", 1000.0, "ja"),
        (3, 4, "abc", -0.5, "x'y"),
        (4, 0, "", 0.025, None),
    ]
    assert counters == {"rows": 4}
    with pytest.raises(InputError, match=r"page\.sql: table `page` has columns \(page_id, "):
        list(iter_rows(path, "page", ["page_id", "page_title"]))


def test_row_of_another_width_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rows = b"(1,0,'A',0.5,NULL),(2,0,'B',0.5),(3,0,'C',0.5,NULL)"
    path = write_dump(tmp_path / "page.sql", [insert(rows, b"page")], b"page", PAGE_CREATE, None)
    counters: dict[str, int] = {}
    with caplog.at_level(logging.WARNING, logger="leia.wiki.dumps.sqldump"):
        assert [r[0] for r in iter_rows(path, "page", counters=counters)] == [1, 3]
    assert counters == {"rows": 2, "skipped_bad_row": 1}
    assert f"page.sql, line {FIRST_PAGE_INSERT}: skipped a row" in caplog.text


# Filtering, formats, long lines


def test_languages_are_filtered(tmp_path: Path) -> None:
    pairs = [(1, "de", "Ägypten"), (1, "en", "Egypt"), (1, "fr", "Égypte"), (2, "en", "Cairo"), (3, "zh", "开罗")]
    path = write_dump(tmp_path / "x.sql.gz", [insert(rows_of(pairs[:3])), insert(rows_of(pairs[3:]))])
    counters: dict[str, int] = {}
    assert list(iter_langlinks(path, "en", counters)) == [(1, "Egypt"), (2, "Cairo")]
    assert counters == {"rows": 5, "kept": 2}
    assert list(iter_langlinks(path, "fr")) == [(1, "Égypte")]
    assert list(iter_langlinks(path, None)) == pairs


@pytest.mark.parametrize("compress", [None, "gzip", "bz2"])
def test_compression_is_told_by_magic_bytes(tmp_path: Path, compress: str | None) -> None:
    path = write_dump(tmp_path / "misnamed.sql.gz", [insert(rows_of([(5, "en", "Costa Rica")]))], compress=compress)
    assert list(iter_langlinks(path)) == [(5, "Costa Rica")]


def test_dump_without_create_table(tmp_path: Path) -> None:
    path = write_dump(tmp_path / "x.sql", [insert(rows_of([(5, "en", "Costa Rica")]))], create=None, compress=None)
    assert list(iter_langlinks(path)) == [(5, "Costa Rica")]


def test_empty_table_yields_nothing(tmp_path: Path) -> None:
    counters: dict[str, int] = {}
    assert list(iter_langlinks(write_dump(tmp_path / "x.sql.gz", []), counters=counters)) == []
    assert counters == {}


def test_very_long_line(tmp_path: Path) -> None:
    n = 200_000
    langs = [b"en", b"fr", b"de", b"ja"]
    rows = b",".join(b"(%d,'%s','T%d\\'s')" % (i, langs[i % 4], i) for i in range(n))
    path = write_dump(tmp_path / "long.sql.gz", [insert(rows)])
    counters: dict[str, int] = {}
    got = list(iter_langlinks(path, counters=counters))
    assert counters == {"rows": n, "kept": n // 4}
    assert got[:2] == [(0, "T0's"), (4, "T4's")]
    assert got[-1] == (n - 4, f"T{n - 4}'s")


def test_batches_go_into_duckdb(tmp_path: Path) -> None:
    pairs = [(i, lang, f"T{i}") for i in range(10) for lang in ("en", "fr")]
    path = write_dump(tmp_path / "x.sql.gz", [insert(rows_of(pairs[:7])), insert(rows_of(pairs[7:]))])
    batches = list(iter_langlink_batches(path, "en", batch_rows=4))
    assert [b.num_rows for b in batches] == [4, 6]
    assert batches[0].schema == pa.schema(
        [pa.field("ll_from", pa.int64(), nullable=False), pa.field("ll_title", pa.string(), nullable=False)]
    )
    everything = pa.Table.from_batches(list(iter_langlink_batches(path, None)))
    assert everything.column_names == list(LANGLINKS_COLUMNS)
    con = duckdb.connect()
    con.execute("CREATE TABLE ll (ll_from BIGINT, ll_title VARCHAR)")
    for batch in batches:
        con.execute("INSERT INTO ll SELECT * FROM batch")
    assert con.execute("SELECT ll_from, ll_title FROM ll ORDER BY ll_from").fetchall() == [
        (i, f"T{i}") for i in range(10)
    ]
    assert con.execute("SELECT count(*) FROM everything WHERE ll_lang = 'fr'").fetchone() == (10,)


# Faults in rows: counted and skipped


def test_bad_rows_are_counted_and_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rows = b"(1,'en','A'),(2,'en',NULL),(3,'en','C'),(4 'en' 'D'),(5,'en','E')"
    path = write_dump(tmp_path / "x.sql.gz", [insert(rows_of([(9, "en", "Z")])), insert(rows)])
    counters: dict[str, int] = {}
    with caplog.at_level(logging.WARNING, logger="leia.wiki.dumps.sqldump"):
        assert list(iter_langlinks(path, counters=counters)) == [(9, "Z"), (1, "A"), (3, "C"), (5, "E")]
    assert counters == {"rows": 4, "kept": 4, "skipped_bad_row": 2}
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2
    assert all(f"x.sql.gz, line {FIRST_INSERT + 1}: skipped a row that does not parse" in w for w in warnings)
    assert "(2,'en',NULL)" in warnings[0] and "(4 'en' 'D')" in warnings[1]
    counters = {}
    assert [r[0] for r in iter_langlinks(path, None, counters)] == [9, 1, 3, 5]
    assert counters == {"rows": 4, "kept": 4, "skipped_bad_row": 2}


def test_debug_logs_each_skipped_row(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """With debug logging on (``-v``), one line per row skipped, rows of other languages included, naming
    the file and the line; off, none, and the same rows either way."""
    rows = rows_of([(1, "en", "A"), (1, "fr", "A1"), (2, "de", "B"), (3, "en", "C")])
    path = write_dump(tmp_path / "x.sql.gz", [insert(rows)])
    with caplog.at_level(logging.INFO, logger="leia.wiki.dumps.sqldump"):
        assert list(iter_langlinks(path)) == [(1, "A"), (3, "C")]
    assert caplog.records == []
    with caplog.at_level(logging.DEBUG, logger="leia.wiki.dumps.sqldump"):
        assert list(iter_langlinks(path)) == [(1, "A"), (3, "C")]
        assert len(list(iter_langlinks(path, None))) == 4
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.DEBUG, f"{path}, line {FIRST_INSERT}: skipped the row of ll_from 1 to language 'fr'"),
        (logging.DEBUG, f"{path}, line {FIRST_INSERT}: skipped the row of ll_from 2 to language 'de'"),
    ]


def test_bad_rows_past_the_warnings_are_logged_at_debug_level(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rows = b",".join([b"(1,'en','A')"] + [b"(%d,'en',NULL)" % i for i in range(2, 25)])
    path = write_dump(tmp_path / "x.sql.gz", [insert(rows)])
    counters: dict[str, int] = {}
    with caplog.at_level(logging.DEBUG, logger="leia.wiki.dumps.sqldump"):
        assert list(iter_langlinks(path, counters=counters)) == [(1, "A")]
    assert counters["skipped_bad_row"] == 23
    levels = [r.levelno for r in caplog.records]
    assert levels == [logging.WARNING] * 21 + [logging.DEBUG] * 3
    assert "further rows that do not parse are counted" in caplog.records[20].getMessage()
    assert caplog.records[-1].getMessage() == (
        f"{path}, line {FIRST_INSERT}: skipped a row that does not parse: b\"(24,'en',NULL)\"")


def test_invalid_utf8_is_replaced_and_counted(tmp_path: Path) -> None:
    path = write_dump(tmp_path / "x.sql.gz", [insert(b"(1,'en','Caf\xe9'),(2,'en','Caf\xc3\xa9\\'s')")])
    counters: dict[str, int] = {}
    assert list(iter_langlinks(path, counters=counters)) == [(1, "Caf\ufffd"), (2, "Café's")]
    assert counters == {"rows": 2, "kept": 2, "replaced_invalid_utf8": 1}
    counters = {}
    assert list(iter_langlinks(path, None, counters)) == [(1, "en", "Caf\ufffd"), (2, "en", "Café's")]
    assert counters == {"rows": 2, "kept": 2, "replaced_invalid_utf8": 1}


# Faults in the file: InputError naming it


def test_line_where_nothing_parses(tmp_path: Path) -> None:
    path = write_dump(tmp_path / "x.sql.gz", [insert(rows_of([(1, "en", "A")])), insert(b"(garbage here)")])
    message = rf"x\.sql\.gz, line {FIRST_INSERT + 1}: no row of this INSERT statement parses"
    with pytest.raises(InputError, match=message):
        list(iter_langlinks(path))


@pytest.mark.parametrize(
    "table, create",
    [(b"page", PAGE_CREATE), (b"redirect", None)],
)
def test_another_table(tmp_path: Path, table: bytes, create: bytes | None) -> None:
    path = write_dump(tmp_path / f"jawiki-{table.decode()}.sql.gz", [insert(b"(1,0,'A')", table)], table, create)
    with pytest.raises(InputError, match=rf"jawiki-{table.decode()}\.sql\.gz: a dump of table `{table.decode()}`"):
        list(iter_langlinks(path))


def test_langlinks_with_other_columns(tmp_path: Path) -> None:
    create = LANGLINKS_CREATE.replace(b"`ll_title`", b"`ll_name`")
    path = write_dump(tmp_path / "x.sql.gz", [insert(rows_of([(1, "en", "A")]))], create=create)
    with pytest.raises(InputError, match=r"x\.sql\.gz: table `langlinks` has columns \(ll_from, ll_lang, ll_name\)"):
        list(iter_langlinks(path))


@pytest.mark.parametrize(
    "content",
    [b"", b"-- only a comment\n", b"<mediawiki xmlns='http://www.mediawiki.org/xml/export-0.10/'>\n", b"\xfd7zXZ\x00"],
)
def test_not_a_mysqldump(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.sql.gz"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"notes\.sql\.gz: not a mysqldump of `langlinks`"):
        list(iter_langlinks(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="absent.sql.gz"):
        list(iter_langlinks(tmp_path / "absent.sql.gz"))


def test_truncated_gzip(tmp_path: Path) -> None:
    inserts = [insert(rows_of([(i * 100 + j, "en", f"Title {i}-{j}") for j in range(100)])) for i in range(500)]
    full = write_dump(tmp_path / "full.sql.gz", inserts)
    path = tmp_path / "cut.sql.gz"
    path.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    read = 0
    with pytest.raises(InputError, match=r"cut\.sql\.gz: compressed data truncated or corrupt at line (\d+)") as err:
        for read, _ in iter_dump_lines(path):
            pass
    assert 20 < read < 500 + 20
    assert f"at line {read + 1} " in str(err.value)
    with pytest.raises(InputError, match=rf"cut\.sql\.gz: compressed data truncated or corrupt at line {read + 1} "):
        list(iter_langlinks(path))
    assert re.search(r"download the file again", str(err.value))


def mysqldump_escape(text: str) -> bytes:
    """How mysqldump writes a string (mysql_real_escape_string)."""
    table = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\x00": "\\0", "\x1a": "\\Z"}
    return "".join(table.get(c, c) for c in text).encode()


def test_round_trip_of_mysqldump_escaping(tmp_path: Path) -> None:
    import random

    rng = random.Random(20240702)
    alphabet = "ab ),('\\\"\n\r\x00\x1a\t%_é日本"
    titles = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12))) for _ in range(2000)]
    rows = b",".join(b"(%d,'en','%s')" % (i, mysqldump_escape(t)) for i, t in enumerate(titles))
    path = write_dump(tmp_path / "x.sql.gz", [insert(rows)])
    assert list(iter_langlinks(path)) == list(enumerate(titles))
    assert list(iter_langlinks(path, None)) == [(i, "en", t) for i, t in enumerate(titles)]
