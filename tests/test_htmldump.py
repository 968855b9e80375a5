"""``leia extract`` on HTML dumps: the sample in data/ as .ndjson and as the published .json.tar.gz, in
parallel and resumed, and bad input (a line that is not JSON, a record without article_body, a truncated
tar)."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import pyarrow as pa
import pytest

from leia.errors import InputError
from leia.api import extract
from leia.io.manifest import MANIFEST, read_manifest
from leia.wiki.html.htmldump import HtmlDumpReader, is_html_dump

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample-jawiki-NS0-ENTERPRISE-HTML.ndjson"


def _rows(folder: Path, kind: str | None = "documents") -> list[dict]:
    rows = []
    for shard in read_manifest(folder, kind).shards:
        with pa.memory_map(str(folder / shard["file"])) as f:
            rows.extend(pa.ipc.open_stream(f).read_all().to_pylist())
    return rows


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _lines() -> list[bytes]:
    return SAMPLE.read_bytes().splitlines(keepends=True)


def test_sample_extracts_to_documents(tmp_path):
    manifest = extract(SAMPLE, tmp_path / "out", progress=False)
    rows = _rows(tmp_path / "out")
    assert [(r["id"], r["title"]) for r in rows] == [(101, "架空王国"), (102, "架空市"), (103, "架空川")]
    kingdom = rows[0]
    assert kingdom["text"].split("\n") == [
        "架空王国（かくうおうこく）は、架空大陸の東にある立憲君主制の国。首都は架空市。",
        "国王は架空王家の出身である。人口は1,200,000人。", "地理", "主な川:", "架空川", "霧川"]
    assert [(kingdom["text"][a["start"]:a["end"]], a["target"], a["english"]) for a in kingdom["anchors"]] == [
        ("架空大陸", "架空大陸", None), ("立憲君主制", "立憲君主制", None), ("架空市", "架空市", None),
        ("架空王家", "架空王朝", "Fictional dynasty"), ("架空川", "架空川", None), ("霧川", "霧川", None)]
    assert rows[2]["text"] == "架空川は架空王国を流れる川。河口に首都がある。"
    counters = manifest.counters
    assert (counters["articles"], counters["documents"], counters["skipped_disambiguation"],
            counters["sections_dropped"], counters["anchors"], counters["anchors_inline_english"]) == (4, 3, 1, 2, 11, 2)
    assert manifest.extra["wiki"]["dbname"] == "jawiki" and manifest.extra["wiki"]["lang"] == "ja"
    assert manifest.parameters["converter"] == "parsoid-1"


def test_tar_gz_in_parallel_equals_ndjson(tmp_path):
    lines = _lines()
    dump = _tar(tmp_path / "jawiki-NS0-20261201-ENTERPRISE-HTML.json.tar.gz",
                {"jawiki_namespace_0_0.ndjson": b"".join(lines[:2]), "jawiki_namespace_0_1.ndjson": b"".join(lines[2:])})
    assert is_html_dump(dump) and is_html_dump(SAMPLE) and not is_html_dump("x.xml.bz2")
    extract(SAMPLE, tmp_path / "one", progress=False, shard_size=1)
    manifest = extract(dump, tmp_path / "two", progress=False, shard_size=1, workers=2, batch_size=1)
    assert _rows(tmp_path / "two") == _rows(tmp_path / "one")
    assert len(manifest.shards) == 4 and manifest.complete


def test_bad_line_stops_the_run_naming_file_and_line_and_leaves_only_whole_shards(tmp_path):
    dump = tmp_path / "dump.ndjson"
    dump.write_bytes(b"".join(_lines()[:3]) + b"{not json\n")
    with pytest.raises(InputError, match=r"dump\.ndjson: dump\.ndjson:4: not a JSON line"):
        extract(dump, tmp_path / "out", progress=False, shard_size=1)
    manifest = read_manifest(tmp_path / "out", "documents")
    listed = sorted(s["file"] for s in manifest.shards)
    assert not manifest.complete and 3 not in [s["index"] for s in manifest.shards]
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.name.endswith(".arrow")) == listed


def test_resume_redoes_only_the_shards_not_listed(tmp_path):
    reference = tmp_path / "reference"
    extract(SAMPLE, reference, progress=False, shard_size=1)
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    manifest["complete"] = False
    manifest["shards"] = manifest["shards"][:2]
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    (out / "shard-00002.arrow").unlink()
    kept = {s["file"]: (out / s["file"]).stat().st_mtime_ns for s in manifest["shards"]}
    done = extract(SAMPLE, out, progress=False, shard_size=1)
    assert done.complete and _rows(out) == _rows(reference)
    assert {name: (out / name).stat().st_mtime_ns for name in kept} == kept


def test_record_without_article_body_is_a_counted_skip(tmp_path):
    lines = _lines()
    record = json.loads(lines[1])
    del record["article_body"]
    dump = tmp_path / "dump.ndjson"
    dump.write_bytes(lines[0] + json.dumps(record, ensure_ascii=False).encode() + b"\n" + lines[2])
    manifest = extract(dump, tmp_path / "out", progress=False)
    assert [r["id"] for r in _rows(tmp_path / "out")] == [101, 103]
    assert manifest.counters["skipped_no_body"] == 1 and manifest.counters["documents"] == 2


def test_truncated_tar_is_one_clear_error_and_no_half_shard(tmp_path):
    full = _tar(tmp_path / "full.json.tar.gz", {"a.ndjson": b"".join(_lines()) * 20})
    cut = tmp_path / "cut.json.tar.gz"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(InputError, match=r"cut\.json\.tar\.gz: truncated or corrupt tar\.gz"):
        extract(cut, tmp_path / "out", progress=False, shard_size=1000)
    assert not list((tmp_path / "out").glob("*.arrow"))
    assert not (tmp_path / "out" / MANIFEST).exists() or not read_manifest(tmp_path / "out").complete


def test_no_articles_and_unknown_wiki(tmp_path):
    empty = tmp_path / "empty.ndjson"
    empty.write_bytes(b"\n")
    with pytest.raises(InputError, match="no articles in this HTML dump"):
        HtmlDumpReader(empty).read_siteinfo()
    anonymous = tmp_path / "anon.ndjson"
    anonymous.write_text(json.dumps({"name": "x", "identifier": 1, "article_body": {"html": "<p>x</p>"}}) + "\n")
    with pytest.raises(InputError, match=r"anon\.ndjson:1: no in_language nor is_part_of"):
        HtmlDumpReader(anonymous).read_siteinfo()


# --- the entity table from HTML dumps ------------------------------------------------------------------------

def _english_dump(path: Path) -> Path:
    records = [{"name": name, "identifier": i, "in_language": {"identifier": "en"}, "is_part_of": {"identifier": "enwiki"},
                "main_entity": {"identifier": q}, "redirects": [], "article_body": {"html": "<p>x</p>"}}
               for i, (name, q) in enumerate([("Fictional Kingdom", "Q9000001"), ("Fictional City (capital)", "Q9000002"),
                                              ("Unrelated", "Q1")], 1)]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _table(db: Path, sql: str) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_entities_from_an_html_dump_with_an_english_html_dump(tmp_path):
    from leia.entities import build_entities

    db = tmp_path / "e.duckdb"
    counters = build_entities(db, dump=SAMPLE, target_dump=_english_dump(tmp_path / "enwiki.ndjson"), progress=False)
    assert sorted(_table(db, "SELECT * FROM pages"), key=lambda row: row[2]) == sorted([
        (104, 0, "架空", None), (103, 0, "架空川", None), (102, 0, "架空市", None), (None, 0, "架空国", "架空王国"),
        (101, 0, "架空王国", None), (None, 0, "架空都", "架空市")], key=lambda row: row[2])
    assert _table(db, "SELECT * FROM items ORDER BY item") == [
        ("架空王国", "Q9000001"), ("架空市", "Q9000002"), ("架空川", "Q9000003"), ("架空", "Q9000004")]
    found = dict((t, (e, s)) for t, e, s in _table(db, "SELECT title, english, source FROM entities"))
    assert found == {"架空国": ("Fictional Kingdom", "wikidata"), "架空王国": ("Fictional Kingdom", "wikidata"),
                     "架空市": ("Fictional City", "wikidata"), "架空都": ("Fictional City", "wikidata"),
                     "架空王朝": ("Fictional dynasty", "harvested"), "架空鉄道": ("Fictional Railway", "harvested")}
    assert (counters["items"], counters["mappings_read_target_dump"], counters["redirects"]) == (4, 2, 2)


def test_entities_langlinks_win_over_the_items_of_an_english_dump(tmp_path):
    from leia.entities import build_entities

    langlinks = tmp_path / "langlinks.sql"
    langlinks.write_text("INSERT INTO `langlinks` VALUES (101,'en','Kingdom of Fiction'),(101,'fr','Royaume');\n",
                         encoding="utf-8")
    db = tmp_path / "e.duckdb"
    build_entities(db, dump=SAMPLE, langlinks=langlinks, target_dump=_english_dump(tmp_path / "enwiki.ndjson"),
                   progress=False)
    found = dict((t, (e, s)) for t, e, s in _table(db, "SELECT title, english, source FROM entities"))
    assert found["架空王国"] == ("Kingdom of Fiction", "langlinks") and found["架空国"] == ("Kingdom of Fiction", "langlinks")
    assert found["架空市"] == ("Fictional City", "wikidata")


def test_target_dump_needs_html_dumps_of_the_right_wikis(tmp_path):
    from leia.entities import build_entities
    from leia.errors import ConfigError

    with pytest.raises(ConfigError, match="--target-dump"):
        build_entities(tmp_path / "e.duckdb", target_dump=_english_dump(tmp_path / "enwiki.ndjson"), progress=False)
    with pytest.raises(ConfigError, match=f"^the target dump {SAMPLE} is of jawiki, not of the target wiki enwiki; "
                                          "give the HTML dump of enwiki "):
        build_entities(tmp_path / "e.duckdb", dump=SAMPLE, target_dump=SAMPLE, progress=False)
    assert not (tmp_path / "e.duckdb").exists()


def _entity_tables(path: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'main' AND table_name <> 'meta'").fetchall()]
        meta = dict(con.execute("SELECT * FROM meta").fetchall())
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').fetchall() for n in names} | {
            "counters": json.loads(meta["counters"]), "parameters": meta["parameters"]}
    finally:
        con.close()


@pytest.mark.parametrize("wikitext", [True, False], ids=["records-with-wikitext", "html-only"])
def test_the_page_table_of_an_html_dump_gives_the_table_the_dump_gives(tmp_path, wikitext):
    """Extraction writes the page table of an HTML dump in its workers ({{仮リンク}} names from the record's
    wikitext, or from its HTML when it has none; each article's item; the redirects), and the entity table
    built from it is the one built from the dump; a target wiki's dump then names the pages through it."""
    from leia.entities import build_entities

    dump = SAMPLE
    if not wikitext:
        dump = tmp_path / "html-only.ndjson"
        records = [json.loads(line) for line in _lines()]
        for record in records:
            record["article_body"].pop("wikitext", None)
        dump.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    extract(dump, tmp_path / "docs", pages=tmp_path / "pages", workers=2, shard_size=2, progress=False)
    rows = _rows(tmp_path / "pages", "pages")
    assert [(r["id"], r["title"], r["redirect"], r["item"]) for r in rows] == [
        (101, "架空王国", None, "Q9000001"), (None, "架空国", "架空王国", None), (102, "架空市", None, "Q9000002"),
        (None, "架空都", "架空市", None), (103, "架空川", None, "Q9000003"), (104, "架空", None, "Q9000004")]
    assert ("架空王朝", "Fictional dynasty") in [(h["target"], h["english"]) for r in rows for h in r["harvested"]]
    english = _english_dump(tmp_path / "enwiki.ndjson")
    build_entities(tmp_path / "pages.duckdb", pages=tmp_path / "pages", target_dump=english, progress=False)
    build_entities(tmp_path / "dump.duckdb", dump=dump, target_dump=english, progress=False)
    one, two = _entity_tables(tmp_path / "pages.duckdb"), _entity_tables(tmp_path / "dump.duckdb")
    assert one == two and one["counters"]["items"] == 4 and one["counters"]["mappings_read_target_dump"] > 0


def test_cli_extract_and_entities_on_the_sample(tmp_path, capsys):
    from leia.cli import main

    assert main(["extract", str(SAMPLE), "-o", str(tmp_path / "docs"), "-q"]) == 0
    assert [r["id"] for r in _rows(tmp_path / "docs")] == [101, 102, 103]
    assert main(["entities", "--dump", str(SAMPLE), "--target-dump", str(_english_dump(tmp_path / "en.ndjson")),
                 "-o", str(tmp_path / "e.duckdb"), "-q"]) == 0
    bad = tmp_path / "bad.ndjson"
    bad.write_bytes(_lines()[0] + b"[1, 2\n")
    assert main(["extract", str(bad), "-o", str(tmp_path / "bad"), "-q", "--shard-size", "1"]) != 0
    err = capsys.readouterr().err
    assert err.startswith("leia extract: error: ") and "bad.ndjson:2: not a JSON line" in err and err.count("\n") == 1


def test_augment_reads_an_html_dump_on_the_fly(tmp_path):
    import leia
    from leia.entities import build_entities

    db = tmp_path / "e.duckdb"
    build_entities(db, dump=SAMPLE, target_dump=_english_dump(tmp_path / "en.ndjson"), progress=False)
    extract(SAMPLE, tmp_path / "docs", progress=False)
    leia.augment(SAMPLE, db, tmp_path / "from-dump", prob=1.0, progress=False)
    leia.augment(tmp_path / "docs", db, tmp_path / "from-docs", prob=1.0, progress=False)
    texts = [r["text"] for r in _rows(tmp_path / "from-dump", None)]
    assert texts == [r["text"] for r in _rows(tmp_path / "from-docs", None)]
    assert "架空王国<translate>Fictional Kingdom</translate>" in texts[1]



def test_run_on_an_html_dump_reads_it_once(tmp_path):
    from leia.api import run
    from leia.entities import build_entities

    paths = run(SAMPLE, output=tmp_path / "run", workers=2, progress=False)
    assert read_manifest(tmp_path / "run" / "pages", "pages").complete
    build_entities(tmp_path / "dump.duckdb", dump=SAMPLE, progress=False)
    assert _entity_tables(paths["entities"]) == _entity_tables(tmp_path / "dump.duckdb")
