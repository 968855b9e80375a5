"""The entity table: every answer of data/README.md's tables, the build's counters, the cleaning rules, redirect
resolution, the real dev dump with its langlinks, what the DuckDB file records, and refused inputs."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from conftest import DATA, SAMPLE_DUMP, SAMPLE_LANGLINKS, SAMPLE_WIKIDATA
from leia.entities import Cleaning, EntityTable, build_entities, clean_english, resolve_redirects
from leia.errors import ConfigError, InputError, OutputError
from leia.io.integrity import file_identity
from leia.wiki.dumps.xmldump import DumpReader


def readme_table(heading: str) -> list[dict[str, str]]:
    """The rows of the table under ``## heading`` in data/README.md, each by its column names."""
    section = (DATA / "README.md").read_text(encoding="utf-8").split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]

    def cells(line: str) -> list[str]:
        return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]

    header = cells(lines[0])
    return [dict(zip(header, cells(line))) for line in lines[2:]]


def _answer(cell: str) -> str | None:
    return None if cell == "(empty)" else cell


# data/README.md, "Pages": title -> (English, + Wikidata); None for the empty answers; then its "Other titles
# worth a lookup".
PAGES = {row["title"]: (_answer(row["English"]), _answer(row["+ Wikidata"])) for row in readme_table("Pages")}
PAGES.update({"金星": (None, "Venus"), "火星 (惑星)": (None, None), "日本": (None, None), "地球": (None, None),
              "Earth": (None, None)})

# data/README.md, "{{仮リンク}}": local title -> lookup.
HARVESTED = {
    "宝永大噴火": "Hōei eruption",
    "日本語": "Japanese language",
    "かっぱ巻き": "Makizushi",
    "回転寿司の歴史": None,
    "セト": "Set",
    "ハーン・ハリーリ": "Khan el-Khalili",
    "ビクトリア湖": "Lake Victoria",
    "白ナイル川": "White Nile",
    "青ナイル川": "Blue Nile",
    "月の海": "Lunar mare",
    "クフ王のピラミッド": "Great Pyramid of Giza",
    "カフラー王のピラミッド": "Pyramid of Khafre",
    "エドモンド・ハレー": "Edmond Halley",
}


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("entities") / "sample.duckdb"
    counters = build_entities(path, dump=SAMPLE_DUMP, langlinks=SAMPLE_LANGLINKS, progress=False)
    return path, counters


@pytest.fixture(scope="module")
def sample_table(sample_build) -> EntityTable:
    return EntityTable(sample_build[0])


@pytest.fixture(scope="module")
def wikidata_table(tmp_path_factory) -> EntityTable:
    path = tmp_path_factory.mktemp("entities") / "sample-wd.duckdb"
    build_entities(path, dump=SAMPLE_DUMP, langlinks=SAMPLE_LANGLINKS, wikidata=SAMPLE_WIKIDATA, progress=False)
    return EntityTable(path)


@pytest.fixture(scope="module")
def dev_table(tmp_path_factory, jawiki_dev_dump, jawiki_dev_langlinks) -> EntityTable:
    path = tmp_path_factory.mktemp("entities") / "dev.duckdb"
    build_entities(path, dump=jawiki_dev_dump, langlinks=jawiki_dev_langlinks, progress=False)
    return EntityTable(path)


def _site_header() -> str:
    raw = SAMPLE_DUMP.read_text(encoding="utf-8")
    return raw[: raw.index("  <page>")]


def _write_dump(path: Path, pages: list[tuple[int, str, str]]) -> Path:
    """A small dump with the sample's jawiki siteinfo and the given articles ``(id, title, wikitext)``."""
    body = "".join(
        f"  <page>\n    <title>{title}</title>\n    <ns>0</ns>\n    <id>{pid}</id>\n    <revision>\n"
        f"      <id>{pid}</id>\n      <text xml:space=\"preserve\">{text}</text>\n    </revision>\n  </page>\n"
        for pid, title, text in pages)
    path.write_text(_site_header() + body + "</mediawiki>\n", encoding="utf-8")
    return path


def _write_langlinks(path: Path, rows: list[tuple[int, str, str]]) -> Path:
    header = SAMPLE_LANGLINKS.read_text(encoding="utf-8").split("INSERT INTO")[0]
    values = ",".join(f"({pid},'{lang}','{title}')" for pid, lang, title in rows)
    path.write_text(header + f"INSERT INTO `langlinks` VALUES {values};\n"
                    "/*!40000 ALTER TABLE `langlinks` ENABLE KEYS */;\n", encoding="utf-8")
    return path


def _sql_english_rows(path: Path) -> list[tuple[int, str]]:
    """The English rows of a langlinks SQL dump, read with a plain regular expression."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        sql = f.read()
    rows = re.findall(r"\((\d+),'en','((?:[^'\\]|\\.)*)'\)", sql)
    return [(int(pid), re.sub(r"\\(.)", r"\1", title)) for pid, title in rows]


# --- the sample: data/README.md -------------------------------------------------------------------------

@pytest.mark.parametrize("title", list(PAGES))
def test_sample_pages(sample_table, wikidata_table, title):
    english, with_wikidata = PAGES[title]
    assert sample_table.lookup_raw([title]) == [english]
    assert wikidata_table.lookup_raw([title]) == [with_wikidata]


@pytest.mark.parametrize("title", list(HARVESTED))
def test_sample_harvested(sample_table, title):
    assert sample_table.lookup_raw([title]) == [HARVESTED[title]]


def test_sources(sample_table, wikidata_table):
    titles = ["東京", "東京都", "宝永大噴火", "日本語", "おにぎり", "金星", "冥王星"]
    assert sample_table.lookup_with_source(titles) == [
        ("Tokyo", "langlinks"), ("Tokyo", "langlinks"), ("Hōei eruption", "harvested"),
        ("Japanese language", "langlinks"), None, None, None]
    assert wikidata_table.lookup_with_source(titles)[4:6] == [("Onigiri", "wikidata"), ("Venus", "wikidata")]


def test_lookup_raw_normalises_titles(sample_table):
    assert sample_table.lookup_raw(["nile_River", "Nile_River", "  東京 ", "ファイル:X.jpg", "en:Tokyo"]) == [
        "Nile", "Nile", "Tokyo", None, None]
    assert sample_table.lookup(["Nile River", "nile_River"]) == ["Nile", None]


def test_via_redirect_recorded(sample_build):
    con = duckdb.connect(str(sample_build[0]), read_only=True)
    try:
        via = dict(con.execute("SELECT title, via FROM entities WHERE via IS NOT NULL").fetchall())
        redirects = dict(con.execute("SELECT title, target FROM redirects").fetchall())
    finally:
        con.close()
    assert via == {"東京都": "東京", "フジヤマ": "富士山", "不二山": "富士山", "Nile River": "ナイル川"}
    assert redirects == via


def test_sample_counters(sample_build):
    en_rows = _sql_english_rows(SAMPLE_LANGLINKS)
    all_rows = re.findall(r"\((\d+),'([a-z-]+)',", SAMPLE_LANGLINKS.read_text(encoding="utf-8"))
    assert (len(en_rows), len(all_rows)) == (14, 50)
    assert {k: v for k, v in sample_build[1].items() if v} == {
        "pages": 23, "redirects": 7, "redirect_cycle": 2, "redirect_dangling": 1,
        "langlinks_rows": 50, "langlinks_kept": 14,
        "dropped_langlinks_not_article": 2,          # Template:基礎情報 国, Category:天体
        "mappings_read_langlinks": 12,
        "mappings_read_harvested": 12,               # 13 {{仮リンク}} less the one to fr
        "entities": 27, "entities_from_langlinks": 16, "entities_from_harvested": 11,
        "entities_via_redirect": 4,
    }
    assert sample_build[1].get("entities_from_wikidata", 0) == 0


def test_meta_records_inputs_and_parameters(sample_build):
    con = duckdb.connect(str(sample_build[0]), read_only=True)
    try:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    finally:
        con.close()
    assert json.loads(meta["inputs"]) == [
        {"kind": "dump", "path": SAMPLE_DUMP.name, **file_identity(SAMPLE_DUMP), "dbname": "jawiki"},
        {"kind": "langlinks", "path": SAMPLE_LANGLINKS.name, **file_identity(SAMPLE_LANGLINKS)},
    ]
    assert json.loads(meta["parameters"]) == {
        "lang": "en", "harvest": True,
        "cleaning": {"drop_disambiguator": True, "drop_fragment": True, "skip_namespaces": True,
                     "skip_lists": True}}
    assert meta["lang"] == "en"
    assert json.loads(meta["wiki"])["dbname"] == "jawiki"
    assert json.loads(meta["counters"]) == sample_build[1]
    table = EntityTable(sample_build[0])
    assert table.dbname == "jawiki" and table.counters == sample_build[1] and len(table) == 27


def test_keep_disambiguators(tmp_path):
    path = tmp_path / "keep.duckdb"
    build_entities(path, dump=SAMPLE_DUMP, langlinks=SAMPLE_LANGLINKS,
                   drop_disambiguator=False, progress=False)
    assert EntityTable(path).lookup_raw(["水星", "セト", "かっぱ巻き"]) == ["Mercury (planet)", "Set (deity)",
                                                                       "Makizushi"]


def test_other_target_language_takes_no_english_harvest(tmp_path):
    path = tmp_path / "de.duckdb"
    counters = build_entities(path, dump=SAMPLE_DUMP, langlinks=SAMPLE_LANGLINKS, lang="de", progress=False)
    assert "mappings_read_harvested" not in counters
    table = EntityTable(path)
    assert table.lookup_raw(["東京", "水星", "東京都", "宝永大噴火", "セト"]) == ["Tokio", "Merkur", "Tokio", None, None]


def test_wikidata_alone(tmp_path):
    path = tmp_path / "wd.duckdb"
    counters = build_entities(path, wikidata=SAMPLE_WIKIDATA, wiki="jawiki", progress=False)
    assert counters["entities"] == counters["entities_from_wikidata"] == 7
    assert EntityTable(path).lookup_raw(["東京", "水星", "おにぎり", "金星", "月見団子", "東京都"]) == [
        "Tokyo", "Mercury", "Onigiri", "Venus", None, None]


def test_harvest_votes_and_own_langlink(tmp_path):
    dump = _write_dump(tmp_path / "tiny.xml", [
        (1, "甲", "{{仮リンク|乙|en|Beta}}と{{仮リンク|丙|en|Gamma one}}。"),
        (2, "丁", "{{仮リンク|乙|en|Beta}}と{{仮リンク|丙|en|Gamma two}}と{{仮リンク|甲|en|Not Alpha}}。"),
        (3, "戊", "{{仮リンク|乙|en|Bravo}}。"),
    ])
    langlinks = _write_langlinks(tmp_path / "tiny.sql", [(1, "en", "Alpha"), (1, "fr", "Alpha-fr")])
    path = tmp_path / "tiny.duckdb"
    counters = build_entities(path, dump=dump, langlinks=langlinks, progress=False)
    assert counters["mappings_read_harvested"] == 6
    # 乙: two votes for Beta; 丙: a tie, broken by the name; 甲: its own langlink wins.
    assert EntityTable(path).lookup(["乙", "丙", "甲", "丁"]) == ["Beta", "Gamma one", "Alpha", None]


# --- clean_english and resolve_redirects ----------------------------------------------------------------

@pytest.mark.parametrize("title, expected", [
    ("Mercury (planet)", ("Mercury", None)),
    ("Set (deity)", ("Set", None)),
    ("Justice Party (Egypt)", ("Justice Party", None)),
    ("Makizushi#Kappamaki", ("Makizushi", None)),
    ("Egypt#History (ancient)", ("Egypt", None)),
    ("Halley's_Comet", ("Halley's Comet", None)),
    ("  Lake   Victoria ", ("Lake Victoria", None)),
    ("(Sandy) Koufax", ("(Sandy) Koufax", None)),
    ("(planet)", ("(planet)", None)),
    ("Tokyo (city) (Japan)", ("Tokyo (city)", None)),
    *[(title, (None, "namespace")) for title in (
        "Category:Astronomical objects", "File:Fuji.jpg", "Image:Fuji.jpg", "Template:Infobox country",
        "Wikipedia:Manual of Style", "Portal:Japan", "Help:Contents", "Draft:Something", "category talk:Egypt",
        "Talk:Egypt")],
    ("List of rivers of Egypt", (None, "list")),
    ("Lists of countries", (None, "list")),
    ("Listening", ("Listening", None)),
    ("#Top", (None, "empty")),
    ("", (None, "empty")),
    ("Star Wars: Episode IV", ("Star Wars: Episode IV", None)),
])
def test_clean_english(title, expected):
    assert clean_english(title) == expected


def test_clean_english_options_off():
    off = Cleaning(drop_disambiguator=False, drop_fragment=False, skip_namespaces=False, skip_lists=False)
    assert clean_english("Mercury (planet)", off) == ("Mercury (planet)", None)
    assert clean_english("Makizushi#Kappamaki", off) == ("Makizushi#Kappamaki", None)
    assert clean_english("Category:Egypt", off) == ("Category:Egypt", None)
    assert clean_english("List of rivers of Egypt", off) == ("List of rivers of Egypt", None)
    assert clean_english("Mercury (planet)", Cleaning(drop_fragment=False)) == ("Mercury", None)


def test_resolve_redirects():
    redirects = {
        "A1": "A", "A2": "A1", "A3": "A2",      # chain to an article
        "C1": "C2", "C2": "C3", "C3": "C1",     # cycle
        "S": "S",                                 # self-redirect
        "D1": "Nowhere", "D2": "D1",            # dangling
        "B": "Bart",                              # straight to an article
    }
    resolved, dropped = resolve_redirects(redirects, {"A", "Bart"})
    assert resolved == {"A1": "A", "A2": "A", "A3": "A", "B": "Bart"}
    assert dropped == Counter({"redirect_cycle": 4, "redirect_dangling": 2})


def test_resolve_redirects_hop_limit():
    chain = {f"R{i}": f"R{i + 1}" for i in range(20)}
    chain["R20"] = "Article"
    resolved, dropped = resolve_redirects(chain, {"Article"}, max_hops=16)
    assert resolved == {f"R{i}": "Article" for i in range(4, 21)}
    assert dropped == Counter({"redirect_cycle": 4})


def test_redirect_to_an_article_wins_over_its_own_name():
    resolved, _ = resolve_redirects({"X": "Y"}, {"X", "Y"})
    assert resolved == {"X": "Y"}


# --- the real dev dump ------------------------------------------------------------------------------------

def test_dev_article_titles_match_the_sql_rows(dev_table, jawiki_dev_dump, jawiki_dev_langlinks):
    titles = {p.id: p.title for p in DumpReader(jawiki_dev_dump)}
    rows = _sql_english_rows(jawiki_dev_langlinks)
    assert len(rows) == 103
    assert dev_table.lookup([titles[pid] for pid, _ in rows]) == [english for _, english in rows]
    assert dev_table.lookup_raw(["エジプト", "インドネシア", "中華人民共和国", "イタリア"]) == [
        "Egypt", "Indonesia", "China", "Italy"]


def test_dev_harvested_titles(dev_table, jawiki_dev_dump):
    egypt = next(iter(DumpReader(jawiki_dev_dump)))
    assert egypt.title == "エジプト"
    for written in ("{{仮リンク|エジプト・エヤレト|en|Egypt Eyalet}}",
                    "{{仮リンク|エジプトの政治|en|Politics of Egypt|ar|",
                    "{{仮リンク|アダラ党|en|Justice Party (Egypt)|label=公正党}}",
                    "{{仮リンク|2012年-13年エジプト抗議運動|en|2012–13 Egyptian protests}}"):
        assert written in egypt.text
    assert dev_table.lookup_with_source(["エジプト・エヤレト", "エジプトの政治", "アダラ党", "2012年-13年エジプト抗議運動"]) == [
        ("Egypt Eyalet", "harvested"), ("Politics of Egypt", "harvested"), ("Justice Party", "harvested"),
        ("2012–13 Egyptian protests", "harvested")]


def test_dev_counters(dev_table):
    c = dev_table.counters
    assert (c["pages"], c["langlinks_rows"], c["langlinks_kept"], c["mappings_read_langlinks"]) == (103, 103, 103, 103)
    assert c["entities_from_langlinks"] == 103
    assert c["entities"] == c["entities_from_langlinks"] + c["entities_from_harvested"] == len(dev_table)


# --- refused inputs ---------------------------------------------------------------------------------------

# (what is asked, the error it meets): the build is refused before anything is written.
REFUSED = {
    "langlinks without a dump": (dict(langlinks=SAMPLE_LANGLINKS), "--langlinks needs --dump"),
    "nothing to build from": (dict(), "nothing to build from"),
    "wikidata without --wiki": (dict(wikidata=SAMPLE_WIKIDATA), "--wiki"),
    "--wiki not the dump's": (dict(dump=SAMPLE_DUMP, wiki="dewiki"), "dewiki.*jawiki"),
    "source wiki is the target language": (dict(dump="enwiki"), "same.*enwiki"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_request_writes_nothing(case, tmp_path, request):
    given, message = REFUSED[case]
    if given.get("dump") == "enwiki":
        given = dict(given, dump=request.getfixturevalue("enwiki_sample_dump"))
    with pytest.raises(ConfigError, match=message):
        build_entities(tmp_path / "x.duckdb", progress=False, **given)
    assert list(tmp_path.iterdir()) == []


def test_existing_output_needs_overwrite_and_is_replaced_only_when_leia_built_it(tmp_path):
    path = tmp_path / "e.duckdb"
    build_entities(path, dump=SAMPLE_DUMP, progress=False)
    assert EntityTable(path).lookup(["東京"]) == [None]
    with pytest.raises(OutputError, match=re.escape(f"{path}: exists; choose another file or pass --overwrite")):
        build_entities(path, dump=SAMPLE_DUMP, langlinks=SAMPLE_LANGLINKS, progress=False)
    build_entities(path, dump=SAMPLE_DUMP, langlinks=SAMPLE_LANGLINKS, overwrite=True, progress=False)
    assert EntityTable(path).lookup(["東京"]) == ["Tokyo"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.duckdb", "e.duckdb.names"]


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_file_leia_did_not_build_is_never_replaced(tmp_path, overwrite):
    mine = tmp_path / "notes.txt"
    mine.write_bytes(b"precious")
    other = tmp_path / "other.duckdb"  # a DuckDB file, but not one of leia's
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.close()
    before = other.read_bytes()
    for path in (mine, other):
        with pytest.raises(OutputError, match=re.escape(f"{path}: exists and is not a file leia built; --overwrite "
                                                        "replaces only what leia built, so move it away or choose "
                                                        "another file")):
            build_entities(path, dump=SAMPLE_DUMP, langlinks=SAMPLE_LANGLINKS, overwrite=overwrite, progress=False)
    assert mine.read_bytes() == b"precious" and other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "other.duckdb"]


def test_langlinks_of_another_language_only(tmp_path):
    dump = _write_dump(tmp_path / "plain.xml", [(1, "東京", "東京は[[日本]]の首都。"), (2, "大阪", "大阪は都市。")])
    langlinks = _write_langlinks(tmp_path / "de.sql", [(1, "de", "Tokio"), (2, "de", "Osaka")])
    out = tmp_path / "e.duckdb"
    with pytest.raises(InputError, match="no English names.*langlinks de.sql"):
        build_entities(out, dump=dump, langlinks=langlinks, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["de.sql", "plain.xml"]
    build_entities(out, dump=dump, langlinks=langlinks, lang="de", progress=False)
    assert EntityTable(out).lookup(["東京", "大阪"]) == ["Tokio", "Osaka"]


def test_missing_langlinks_file_leaves_nothing(tmp_path):
    with pytest.raises(InputError, match="nowhere.sql"):
        build_entities(tmp_path / "e.duckdb", dump=SAMPLE_DUMP, langlinks=tmp_path / "nowhere.sql", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_broken_dump_mid_build_leaves_nothing(tmp_path):
    raw = SAMPLE_DUMP.read_bytes()
    (tmp_path / "broken.xml").write_bytes(raw[: len(raw) * 2 // 3])
    with pytest.raises(InputError, match="broken.xml: malformed XML"):
        build_entities(tmp_path / "e.duckdb", dump=tmp_path / "broken.xml", langlinks=SAMPLE_LANGLINKS,
                       progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.xml"]


def test_not_an_entity_table(tmp_path):
    with pytest.raises(InputError, match="no such entity table"):
        EntityTable(tmp_path / "none.duckdb")
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(InputError, match="junk.duckdb"):
        EntityTable(junk)
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    with pytest.raises(InputError, match="not a leia entity table"):
        EntityTable(other)


def test_a_redirect_out_of_the_articles_is_dangling_not_an_article(tmp_path):
    dump = tmp_path / "d.xml"
    header = _site_header()
    body = (
        "  <page>\n    <title>天体</title>\n    <ns>0</ns>\n    <id>1</id>\n"
        "    <redirect title=\"Category:天体\" />\n    <revision>\n      <id>1</id>\n"
        "      <text xml:space=\"preserve\">#転送 [[:Category:天体]]</text>\n    </revision>\n  </page>\n"
        "  <page>\n    <title>月</title>\n    <ns>0</ns>\n    <id>2</id>\n    <revision>\n      <id>2</id>\n"
        "      <text xml:space=\"preserve\">月は衛星。</text>\n    </revision>\n  </page>\n"
    )
    dump.write_text(header + body + "</mediawiki>\n", encoding="utf-8")
    langlinks = _write_langlinks(tmp_path / "l.sql", [(1, "en", "Astronomical object"), (2, "en", "Moon")])
    counters = build_entities(tmp_path / "e.duckdb", dump=dump, langlinks=langlinks, progress=False)
    assert counters["redirect_dangling"] == 1
    assert counters["mappings_read_langlinks"] == 2
    assert EntityTable(tmp_path / "e.duckdb").lookup(["天体", "月"]) == [None, "Moon"]
