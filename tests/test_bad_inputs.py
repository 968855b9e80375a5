"""Bad input, as a table: each case is the files it writes, the command run on them, and the one line of
error the command must print (exit status 1, never a traceback), with nothing half-written left behind; and bad
settings, as a second table: each refused in one line before anything is read or written."""

from __future__ import annotations

import bz2
import gzip
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb
import pytest

import leia
from leia.cli import main
from leia.io.shards import verify_folder

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DUMP = REPO / "data" / "sample-jawiki-pages-articles.xml"
SAMPLE_LANGLINKS = REPO / "data" / "sample-jawiki-langlinks.sql"
SAMPLE_HTML = REPO / "data" / "sample-jawiki-NS0-ENTERPRISE-HTML.ndjson"
SAMPLE = re.escape(str(SAMPLE_DUMP))

_SITEINFO = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" xml:lang="ja">
<siteinfo><sitename>Wikipedia</sitename><dbname>jawiki</dbname><case>first-letter</case>
<namespaces><namespace key="0" case="first-letter" />{extra}</namespaces></siteinfo>
"""


def _page(page_id: str = "1", ns: str = "0", title: str = "東京", text: str = "東京は[[日本]]の首都。") -> str:
    return (f"<page><title>{title}</title><ns>{ns}</ns><id>{page_id}</id><revision><id>1</id>"
            f"<timestamp>2024-01-01T00:00:00Z</timestamp><text>{text}</text></revision></page>\n")


def _dump(tmp: Path, *pages: str, extra: str = "", wiki: str = "jawiki") -> Path:
    path = tmp / "dump.xml"
    path.write_text(_SITEINFO.replace("{extra}", extra).replace("jawiki", wiki) + "".join(pages) + "</mediawiki>\n",
                    encoding="utf-8")
    return path


@dataclass
class Case:
    name: str
    make: Callable[[Path, dict], list[str]]  # writes the inputs, returns the command line
    error: str  # the line after "leia COMMAND: error: " (a regex; {tmp} is the test's folder, {docs} the
    # documents folder of the fixtures)


def _flipped_bz2(tmp: Path, fixtures: dict) -> list[str]:
    data = bytearray(bz2.compress(SAMPLE_DUMP.read_bytes() * 1))
    data[len(data) // 2] ^= 0x10
    (tmp / "dump.xml.bz2").write_bytes(bytes(data))
    return ["extract", str(tmp / "dump.xml.bz2"), "-o", str(tmp / "out"), "-q"]


def _extract(*pages: str, extra: str = "") -> Callable[[Path, dict], list[str]]:
    def make(tmp: Path, fixtures: dict) -> list[str]:
        return ["extract", str(_dump(tmp, *pages, extra=extra)), "-o", str(tmp / "out"), "-q"]
    return make


def _langlinks(row: str) -> Callable[[Path, dict], list[str]]:
    def make(tmp: Path, fixtures: dict) -> list[str]:
        sql = tmp / "ll.sql"
        sql.write_text("CREATE TABLE `langlinks` (\n  `ll_from` int,\n  `ll_lang` varbinary(35),\n"
                       "  `ll_title` varbinary(255)\n);\n"
                       f"INSERT INTO `langlinks` VALUES {row};\n", encoding="utf-8")
        return ["entities", "--dump", str(SAMPLE_DUMP), "--langlinks", str(sql), "-o", str(tmp / "e.duckdb"), "-q"]
    return make


def _augment_lines(raw: bytes, name: str = "corpus.jsonl", compress: bool = False) -> Callable[[Path, dict], list[str]]:
    def make(tmp: Path, fixtures: dict) -> list[str]:
        path = tmp / name
        path.write_bytes(gzip.compress(raw) if compress else raw)
        return ["augment", str(path), "--entities", str(fixtures["entities"]), "-o", str(tmp / "out"), "-q"]
    return make


def _truncated_gz(tmp: Path, fixtures: dict) -> list[str]:
    lines = "".join(json.dumps({"text": f"東京{i}は首都。" * 20}, ensure_ascii=False) + "\n" for i in range(200))
    data = gzip.compress(lines.encode())
    (tmp / "corpus.jsonl.gz").write_bytes(data[: len(data) * 2 // 3])
    return ["augment", str(tmp / "corpus.jsonl.gz"), "--entities", str(fixtures["entities"]), "-o",
            str(tmp / "out"), "-q"]


def _damaged_documents(how: str) -> Callable[[Path, dict], list[str]]:
    def make(tmp: Path, fixtures: dict) -> list[str]:
        docs = tmp / "docs"
        shutil.copytree(fixtures["documents"], docs)
        shard = docs / "shard-00001.arrow"
        data = bytearray(shard.read_bytes())
        if how == "truncated":
            data = data[: len(data) // 2]
        else:
            data[len(data) // 2] ^= 0x01
        shard.write_bytes(bytes(data))
        return ["augment", str(docs), "--entities", str(fixtures["entities"]), "-o", str(tmp / "out"), "-q"]
    return make


def _read_only_output(command: str) -> Callable[[Path, dict], list[str]]:
    def make(tmp: Path, fixtures: dict) -> list[str]:
        if os.geteuid() == 0:  # root writes anywhere on a normal file system; sysfs refuses even root
            out = Path("/sys/kernel")
        else:
            out = tmp / "ro"
            out.mkdir()
            out.chmod(0o555)
        if command == "extract":
            return ["extract", str(SAMPLE_DUMP), "-o", str(out), "-q"]
        return ["augment", str(fixtures["documents"]), "--entities", str(fixtures["entities"]), "-o", str(out), "-q"]
    return make


def _entity_table_without_columns(tmp: Path, fixtures: dict) -> list[str]:
    path = tmp / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR); CREATE TABLE entities (title VARCHAR)")
    con.close()
    return ["augment", str(fixtures["documents"]), "--entities", str(path), "-o", str(tmp / "out"), "-q"]


def _entities_into_a_folder(tmp: Path, fixtures: dict) -> list[str]:
    (tmp / "dir").mkdir()
    return ["entities", "--dump", str(SAMPLE_DUMP), "-o", str(tmp / "dir"), "--overwrite", "-q"]


def _run_into_a_file(tmp: Path, fixtures: dict) -> list[str]:
    (tmp / "file").write_text("mine")
    return ["run", "-o", str(tmp / "file"), "-q"]


def _fifo(command: str) -> Callable[[Path, dict], list[str]]:
    def make(tmp: Path, fixtures: dict) -> list[str]:
        os.mkfifo(tmp / "pipe.xml")
        if command == "extract":
            return ["extract", str(tmp / "pipe.xml"), "-o", str(tmp / "out"), "-q"]
        return ["entities", "--dump", str(SAMPLE_DUMP), "--langlinks", str(tmp / "pipe.xml"), "-o",
                str(tmp / "e.duckdb"), "-q"]
    return make


def _langlinks_of(wiki: str, command: str) -> Callable[[Path, dict], list[str]]:
    """The sample's langlinks with a header that names ``wiki``, given with the (jawiki) sample dump."""
    def make(tmp: Path, fixtures: dict) -> list[str]:
        sql = tmp / "ll.sql"
        sql.write_text(SAMPLE_LANGLINKS.read_text(encoding="utf-8").replace("Database: jawiki", f"Database: {wiki}"),
                       encoding="utf-8")
        if command == "run":
            return ["run", "--dump", str(SAMPLE_DUMP), "--langlinks", str(sql), "-o", str(tmp / "out"), "-q"]
        pages = ["--pages", str(fixtures["pages"])] if command == "entities --pages" else ["--dump", str(SAMPLE_DUMP)]
        return ["entities", *pages, "--langlinks", str(sql), "-o", str(tmp / "e.duckdb"), "-q"]
    return make


def _wikidata_of(*wikis: str) -> Callable[[Path, dict], list[str]]:
    def make(tmp: Path, fixtures: dict) -> list[str]:
        item = {"type": "item", "id": "Q1", "sitelinks": {w: {"site": w, "title": "X"} for w in wikis}}
        (tmp / "wd.json").write_text("[\n" + json.dumps(item) + "\n]\n", encoding="utf-8")
        return ["entities", "--dump", str(SAMPLE_DUMP), "--wikidata", str(tmp / "wd.json"), "-o",
                str(tmp / "e.duckdb"), "-q"]
    return make


def _target_dump_of_the_source_wiki(tmp: Path, fixtures: dict) -> list[str]:
    shutil.copy(SAMPLE_HTML, tmp / "ja.ndjson")
    return ["entities", "--dump", str(SAMPLE_HTML), "--target-dump", str(tmp / "ja.ndjson"), "-o",
            str(tmp / "e.duckdb"), "-q"]


def _english_dump(command: str) -> Callable[[Path, dict], list[str]]:
    def make(tmp: Path, fixtures: dict) -> list[str]:
        dump = _dump(tmp, _page(title="Tokyo", text="Tokyo is the capital of [[Japan]]."), wiki="enwiki")
        if command == "run":
            return ["run", "--dump", str(dump), "-o", str(tmp / "out"), "-q"]
        return ["entities", "--dump", str(dump), "-o", str(tmp / "e.duckdb"), "-q"]
    return make


def _duckdb_of(path: Path, wiki: str, table: str, columns: str) -> Path:
    """A DuckDB file that reads as one leia built of ``wiki``, with an empty ``table``."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('wiki', ?), ('leia_version', '0.1.0')", [json.dumps({"dbname": wiki})])
    con.execute(f"CREATE TABLE {table} ({columns})")
    con.close()
    return path


def _entity_table_of(wiki: str, command: str) -> Callable[[Path, dict], list[str]]:
    def make(tmp: Path, fixtures: dict) -> list[str]:
        table = _duckdb_of(tmp / "zh.duckdb", wiki, "entities",
                           "title VARCHAR, english VARCHAR, source VARCHAR, via VARCHAR")
        if command == "mentions build":
            return ["mentions", "build", "--documents", str(fixtures["documents"]), "--entities", str(table), "-o",
                    str(tmp / "e.duckdb"), "-q"]
        return ["augment", str(fixtures["documents"]), "--entities", str(table), "-o", str(tmp / "out"), "-q"]
    return make


def _mention_dictionary_of(wiki: str) -> Callable[[Path, dict], list[str]]:
    def make(tmp: Path, fixtures: dict) -> list[str]:
        mentions = _duckdb_of(tmp / "m.duckdb", wiki, "candidates", "surface VARCHAR, target VARCHAR")
        return ["augment", str(fixtures["documents"]), "--entities", str(fixtures["entities"]), "--mentions",
                str(mentions), "-o", str(tmp / "out"), "-q"]
    return make


def _overwrite_a_file_of_the_user(command: str, overwrite: bool) -> Callable[[Path, dict], list[str]]:
    def make(tmp: Path, fixtures: dict) -> list[str]:
        flag = ["--overwrite"] if overwrite else []
        if command == "run":
            (tmp / "run").mkdir()
            (tmp / "run" / "entities.duckdb").write_text("my notes")
            return ["run", "-o", str(tmp / "run"), "-q", *flag]
        (tmp / "notes.txt").write_text("my notes")
        if command == "mentions build":
            return ["mentions", "build", "--documents", str(fixtures["documents"]), "--entities",
                    str(fixtures["entities"]), "-o", str(tmp / "notes.txt"), "-q", *flag]
        return ["entities", "--dump", str(SAMPLE_DUMP), "-o", str(tmp / "notes.txt"), "-q", *flag]
    return make


def _run_again_with_another_seed(tmp: Path, fixtures: dict) -> list[str]:
    leia.run(output=tmp / "run", progress=False)
    return ["run", "-o", str(tmp / "run"), "--seed", "5", "-q"]


def _mentions_into_a_folder(tmp: Path, fixtures: dict) -> list[str]:
    (tmp / "dir").mkdir()
    return ["mentions", "build", "--documents", str(fixtures["documents"]), "--entities", str(fixtures["entities"]),
            "-o", str(tmp / "dir"), "-q"]


def _entities_request(*words: str) -> Callable[[Path, dict], list[str]]:
    def make(tmp: Path, fixtures: dict) -> list[str]:
        dump = _dump(tmp, _page(title="Tokyo", text="Tokyo is the capital of [[Japan]]."), wiki="enwiki")
        return ["entities", *[str(dump) if w == "DUMP" else w for w in words], "-o", str(tmp / "e.duckdb"), "-q"]
    return make


_LANGLINKS_OF_ZHWIKI = (r"the langlinks dump {tmp}/ll\.sql is of zhwiki, but the {given} is of jawiki; give the "
                        r"langlinks dump of jawiki \(jawiki-YYYYMMDD-langlinks\.sql\.gz\)")
_SAME_LANGUAGE = (r"the source wiki and the target language are the same \(enwiki\): leia inserts names in 'en' into "
                  r"text of another language; give the dump of that language's wiki")
_NOT_LEIAS = (r"{tmp}/{name}: exists and is not a file leia built; --overwrite replaces only what leia built, so "
              r"move it away or choose another file")

_NESTED = ("[" * 200_000 + "]" * 200_000).encode()

CASES = [
    Case("bz2 block with a flipped bit", _flipped_bz2,
         r"{tmp}/dump.xml.bz2: compressed stream is truncated or corrupt \(.*\) \(after \d+ pages\)"),
    Case("<ns> that is not a number", _extract(_page(ns="abc")),
         r"{tmp}/dump.xml: page 1: <ns> 'abc' is not a whole number in \[-2147483648, 2147483648\)"),
    Case("<id> that is not a number", _extract(_page(page_id="xyz")),
         r"{tmp}/dump.xml: page 1: <id> 'xyz' is not a whole number in \[0, 9223372036854775808\)"),
    Case("<id> beyond 64 bits", _extract(_page(page_id=str(10**20))),
         r"{tmp}/dump.xml: page 1: <id> '100000000000000000000' is not a whole number in \[0, 9223372036854775808\)"),
    Case("namespace key that is not a number", _extract(_page(), extra='<namespace key="x">Foo</namespace>'),
         r"{tmp}/dump.xml: <siteinfo>: <namespace key> 'x' is not a whole number in \[-2147483648, 2147483648\)"),
    Case("ll_from beyond 64 bits", _langlinks("(99999999999999999999,'en','Tokyo')"),
         r"{tmp}/ll.sql, line 6: ll_from 99999999999999999999 is not a page id \(beyond 64 bits\)"),
    Case("JSON lines with invalid UTF-8", _augment_lines(b'{"text": "ok"}\n{"text": "\xff\xfe"}\n'),
         r"{tmp}/corpus.jsonl:2: not UTF-8 \(invalid start byte at byte 10 of the line\)"),
    Case("JSON line with a lone surrogate", _augment_lines(b'{"text": "a\\ud800b"}\n'),
         r"{tmp}/corpus.jsonl:1: text holds a lone surrogate \('\\ud800' at character 1\), not Unicode text"),
    Case("JSON line of 200k nested arrays", _augment_lines(b'{"text": "a", "x": ' + _NESTED + b'}\n'),
         r"{tmp}/corpus.jsonl:1: not a JSON line \(maximum recursion depth exceeded.*\)"),
    Case("float anchor offset", _augment_lines(
        b'{"text": "abc", "anchors": [{"start": 1.5, "end": 2, "target": "X"}]}\n'),
         r"{tmp}/corpus.jsonl:1: anchor start 1.5 is not a whole number of characters \(0 to 2\^31-1\)"),
    Case("corpus id beyond 64 bits", _augment_lines(b'{"id": 100000000000000000000, "text": "a"}\n'),
         r"{tmp}/corpus.jsonl:1: id 100000000000000000000 does not fit in 64 bits"),
    Case("truncated .gz corpus", _truncated_gz,
         r"{tmp}/corpus.jsonl.gz: unreadable, truncated or corrupt \(Compressed file ended before the "
         r"end-of-stream marker was reached\)"),
    Case("documents shard swapped for another of the same size", _damaged_documents("swapped"),
         r"{tmp}/docs/shard-00001.arrow: does not match its size and checksum in the manifest \(damaged or "
         r"replaced\); check the folder with `leia verify`"),
    Case("truncated documents shard", _damaged_documents("truncated"),
         r"{tmp}/docs: shard shard-00001.arrow has \d+ bytes, the manifest says \d+ \(truncated or replaced\)"),
    Case("read-only output folder (extract)", _read_only_output("extract"),
         r"\S+: cannot write \(not writable \(Permission denied\)\)"),
    Case("read-only output folder (augment)", _read_only_output("augment"),
         r"\S+: cannot write \(not writable \(Permission denied\)\)"),
    Case("entity table without its columns", _entity_table_without_columns,
         r"{tmp}/old.duckdb: its table entities has no column english, source, via; rebuild the entity table with "
         r"`leia entities`"),
    Case("entities -o a folder --overwrite", _entities_into_a_folder,
         r"{tmp}/dir: is a folder; give the path of the entity table to write \(a file\)"),
    Case("run -o a file", _run_into_a_file, r"{tmp}/file: exists and is not a folder; give a folder for the three "
                                            r"outputs"),
    Case("a FIFO as the dump", _fifo("extract"),
         r"{tmp}/pipe.xml: not a regular file \(a pipe or a device\?\); give the input as a file"),
    Case("a FIFO as the langlinks", _fifo("entities"),
         r"{tmp}/pipe.xml: not a regular file \(a pipe or a device\?\); give the langlinks as a file"),
    # Inputs of another wiki, each refused from its header before any work.
    Case("langlinks of another wiki (entities --dump)", _langlinks_of("zhwiki", "entities"),
         _LANGLINKS_OF_ZHWIKI.replace("{given}", "dump " + SAMPLE)),
    Case("langlinks of another wiki (entities --pages)", _langlinks_of("zhwiki", "entities --pages"),
         _LANGLINKS_OF_ZHWIKI.replace("{given}", r"page table {pages}")),
    Case("langlinks of another wiki (run)", _langlinks_of("zhwiki", "run"),
         _LANGLINKS_OF_ZHWIKI.replace("{given}", "dump " + SAMPLE)),
    Case("Wikidata dump that links no page of the wiki", _wikidata_of("zhwiki", "enwiki"),
         r"{tmp}/wd.json: none of its first 1 entities with sitelinks links a page of jawiki \(the first links "
         r"enwiki, zhwiki\); give a Wikidata JSON dump that covers both wikis \(wikidata-YYYYMMDD-all\.json\.bz2\)"),
    Case("Wikidata dump without sitelinks", _wikidata_of(),
         r"{tmp}/wd.json: no entity of it links a page of any wiki \(no sitelinks\); give the Wikidata JSON dump "
         r"\(wikidata-YYYYMMDD-all\.json\.bz2\)"),
    Case("--target-dump of the source wiki", _target_dump_of_the_source_wiki,
         r"the target dump {tmp}/ja.ndjson is of jawiki, not of the target wiki enwiki; give the HTML dump of enwiki "
         r"\(enwiki-NS0-YYYYMMDD-ENTERPRISE-HTML\.json\.tar\.gz\)"),
    Case("run on a dump of the target language", _english_dump("run"), _SAME_LANGUAGE),
    Case("entities of a dump of the target language", _english_dump("entities"), _SAME_LANGUAGE),
    Case("augment with an entity table of another wiki", _entity_table_of("zhwiki", "augment"),
         r"the entity table {tmp}/zh.duckdb is of zhwiki, but the documents folder {docs} is of jawiki; build the "
         r"entity table from jawiki's dump \(leia entities\)"),
    Case("mentions build with an entity table of another wiki", _entity_table_of("zhwiki", "mentions build"),
         r"the entity table {tmp}/zh.duckdb is of zhwiki, but the documents folder {docs} is of jawiki; build the "
         r"entity table from jawiki's dump \(leia entities\)"),
    Case("augment with a mention dictionary of another wiki", _mention_dictionary_of("zhwiki"),
         r"the mention dictionary {tmp}/m.duckdb is of zhwiki, but the documents folder {docs} is of jawiki; build "
         r"the mention dictionary from jawiki's documents \(leia mentions build\)"),
    # What --overwrite may replace: only what leia built.
    Case("entities -o a file of the user's --overwrite", _overwrite_a_file_of_the_user("entities", True),
         _NOT_LEIAS.replace("{name}", "notes.txt")),
    Case("entities -o a file of the user's", _overwrite_a_file_of_the_user("entities", False),
         _NOT_LEIAS.replace("{name}", "notes.txt")),
    Case("mentions build -o a file of the user's --overwrite", _overwrite_a_file_of_the_user("mentions build", True),
         _NOT_LEIAS.replace("{name}", "notes.txt")),
    Case("run --overwrite over an entities.duckdb of the user's", _overwrite_a_file_of_the_user("run", True),
         _NOT_LEIAS.replace("{name}", "run/entities.duckdb")),
    Case("run again with another seed, before any work", _run_again_with_another_seed,
         r"{tmp}/run/augmented: holds augmented shards of another run \(different inputs, parameters, schema or part "
         r"of a split\); choose another folder or pass --overwrite"),
    Case("mentions build -o a folder", _mentions_into_a_folder,
         r"{tmp}/dir: is a folder; give the path of the mention dictionary to write \(a file\)"),
    # Requests that cannot give a table, refused before anything is read.
    Case("entities --langlinks without --dump or --pages", _entities_request("--langlinks", str(SAMPLE_LANGLINKS)),
         r"--langlinks needs --dump or --pages: the langlinks rows name pages by id, the dump \(or its page table\) "
         r"maps ids to titles"),
    Case("entities --lang ja from the dump alone", _entities_request("--dump", "DUMP", "--lang", "ja"),
         r"--lang ja: the dump alone gives English names only \(those its \{\{仮リンク\}\} name\); names in 'ja' come "
         r"from --langlinks, --wikidata or --target-dump"),
]


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("fixtures")
    leia.extract(SAMPLE_DUMP, root / "documents", shard_size=4, progress=False, pages=root / "pages")
    leia.build_entities(root / "entities.duckdb", dump=SAMPLE_DUMP, langlinks=SAMPLE_LANGLINKS, progress=False)
    return {"documents": root / "documents", "entities": root / "entities.duckdb", "pages": root / "pages"}


def _files(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gives_one_line_and_leaves_nothing_half_written(case, tmp_path, fixtures, capsys):
    argv = case.make(tmp_path, fixtures)
    before = {p: p.stat().st_mtime_ns for p in Path(fixtures["documents"]).iterdir()}
    given = _files(tmp_path) if tmp_path.is_dir() else {}
    status = main(argv)
    captured = capsys.readouterr()
    assert status == 1, captured.err
    assert captured.err.count("\n") == 1, captured.err
    command = " ".join(argv[:2]) if argv[0] == "mentions" else argv[0]
    pattern = f"leia {command}: error: " + case.error.replace("{tmp}", re.escape(str(tmp_path))).replace(
        "{docs}", re.escape(str(fixtures["documents"]))).replace("{pages}", re.escape(str(fixtures["pages"]))) + "\n"
    assert re.fullmatch(pattern, captured.err), captured.err
    # the files the case wrote are as they were; anything new lies in the output folder
    assert {p: data for p, data in _files(tmp_path).items() if p in given} == given
    assert [p for p in _files(tmp_path) if p not in given and (tmp_path / "out") not in p.parents] == []
    left = [p for p in tmp_path.rglob("*") if ".tmp" in p.name or p.name.endswith((".wal", ".lock"))]
    assert left == []
    for out in (tmp_path / "out", tmp_path / "e.duckdb"):
        if out.is_dir():  # only finished shards and a manifest that says the run is not complete
            assert all("incomplete" in line for line in verify_folder(out)), verify_folder(out)
        else:
            assert not out.exists()
    assert {p: p.stat().st_mtime_ns for p in Path(fixtures["documents"]).iterdir()} == before


def test_wikidata_lines_skipped_as_bad_are_counted_in_the_table(tmp_path):
    path = tmp_path / "wikidata.json"
    good = {"type": "item", "id": "Q1", "sitelinks": {"jawiki": {"title": "東京"}, "enwiki": {"title": "Tokyo"}}}
    nested = '{"jawiki": 1, "enwiki": ' + "[" * 200_000 + "]" * 200_000 + "},"
    path.write_text("[\n" + json.dumps(good, ensure_ascii=False) + ",\n" + nested + "\n" + "{\"jawiki\" \"enwiki\"\n]\n",
                    encoding="utf-8")
    counters = leia.build_entities(tmp_path / "e.duckdb", dump=SAMPLE_DUMP, wikidata=path, progress=False)
    assert counters["wikidata_skipped_bad_line"] == 2
    assert counters["mappings_read_wikidata"] == 1


def test_the_block_reader_refuses_what_is_not_a_regular_file(tmp_path):
    from leia.errors import InputError
    from leia.wiki.dumps.multistream import dump_blocks

    os.mkfifo(tmp_path / "pipe.xml.bz2")
    with pytest.raises(InputError, match=r"pipe.xml.bz2: not a regular file \(a pipe or a device\?\); give the dump"):
        dump_blocks(tmp_path / "pipe.xml.bz2")
    with pytest.raises(InputError, match=r"gone.xml: no such file \(dump\)"):
        dump_blocks(tmp_path / "gone.xml")


# Bad settings, as a table: each setting, the subcommands that take it, and the line that refuses it. Status 2:
# refused while the command line is parsed (argparse's usage, then the line); status 1: refused when the run
# starts, before it reads or writes anything (the line alone).
@dataclass
class BadSetting:
    setting: tuple[str, ...]
    commands: tuple[str, ...]
    error: str  # the line after "leia COMMAND: error: "
    status: int = 2


_RUNS = ("extract", "augment", "run", "mentions build")
_CHOICES = {"--strategy": "'right', 'left', 'replace'", "--engine": "'local', 'ray'",
            "--variant": "'zh', 'zh-cn', 'zh-hans', 'zh-hant', 'zh-hk', 'zh-mo', 'zh-my', 'zh-sg', 'zh-tw'",
            "--color": "'auto', 'always', 'never'"}


def _choice(option: str, value: str, commands: tuple[str, ...]) -> BadSetting:
    return BadSetting((option, value), commands,
                      f"argument {option}: invalid choice: '{value}' (choose from {_CHOICES[option]})")


SETTINGS = [
    BadSetting(("--workers", "0"), _RUNS, "argument --workers: must be at least 1"),
    BadSetting(("--workers", "-3"), _RUNS, "argument --workers: must be at least 1"),
    BadSetting(("--workers", "two"), _RUNS, "argument --workers: invalid int value: 'two'"),
    BadSetting(("--shard-size", "0"), ("extract", "augment"), "argument --shard-size: must be at least 1"),
    BadSetting(("--shard-size", "1.5"), ("extract", "augment"), "argument --shard-size: invalid int value: '1.5'"),
    BadSetting(("--prob", "2"), ("augment", "run"), "argument --prob: must be between 0 and 1"),
    BadSetting(("--prob", "-0.1"), ("augment", "run"), "argument --prob: must be between 0 and 1"),
    BadSetting(("--prob", "nan"), ("augment", "run"), "argument --prob: must be between 0 and 1"),
    BadSetting(("--prob", "half"), ("augment", "run"), "argument --prob: invalid float value: 'half'"),
    _choice("--strategy", "x", ("augment", "run")),
    BadSetting(("--seed", "x"), ("augment", "run"), "argument --seed: invalid int value: 'x'"),
    BadSetting(("--nearby", "-1"), ("augment",), "argument --nearby: must be at least 0"),
    BadSetting(("--max-spans-per-entity", "0"), ("augment",), "argument --max-spans-per-entity: must be at least 1"),
    BadSetting(("--max-spans-per-entity", "all"), ("augment",),
               "argument --max-spans-per-entity: invalid int value: 'all'"),
    BadSetting(("--num-parts", "0"), ("extract", "augment"), "argument --num-parts/--num-shards: must be at least 1"),
    BadSetting(("--part-index", "first"), ("extract", "augment"),
               "argument --part-index/--shard-index: invalid int value: 'first'"),
    BadSetting(("--part-index", "5", "--num-parts", "2"), ("extract", "augment"),
               "--part-index must be between 0 and 1 for --num-parts 2, got 5", status=1),
    BadSetting(("--part-index", "-1"), ("extract", "augment"),
               "--part-index must be between 0 and 0 for --num-parts 1, got -1", status=1),
    _choice("--engine", "x", ("extract", "augment")),
    BadSetting(("--engine", "ray", "--num-parts", "2"), ("extract", "augment"),
               "--num-parts splits a run among independent processes; with --engine ray the cluster already "
               "divides the work: drop --num-parts/--part-index or use --engine local", status=1),
    _choice("--variant", "xx", ("extract", "run")),
    BadSetting(("--min-link-prob", "2"), ("mentions build",), "argument --min-link-prob: must be between 0 and 1"),
    BadSetting(("--min-doc-link-prob", "-1"), ("mentions build",),
               "argument --min-doc-link-prob: must be between 0 and 1"),
    BadSetting(("--min-doc-link-prob", "none"), ("mentions build",),
               "argument --min-doc-link-prob: invalid float value: 'none'"),
    BadSetting(("--min-prior", "x"), ("mentions build",), "argument --min-prior: invalid float value: 'x'"),
    BadSetting(("--min-link-count", "0"), ("mentions build",), "argument --min-link-count: must be at least 1"),
    BadSetting(("--min-length", "0"), ("mentions build",), "argument --min-length: must be at least 1"),
    BadSetting(("--max-length", "0"), ("mentions build",), "argument --max-length: must be at least 1"),
    BadSetting(("--min-length", "5", "--max-length", "2"), ("mentions build",),
               "length limits must satisfy 1 <= min_length <= max_length, got 5..2", status=1),
    BadSetting(("-n", "-1"), ("preview",), "argument -n: must be at least 0"),
    BadSetting(("--width", "-5"), ("preview",), "argument --width: must be at least 0"),
    _choice("--color", "x", ("preview",)),
]


def _command_line(command: str, tmp: Path, fixtures: dict) -> list[str]:
    """``command`` with good inputs, writing under ``tmp``."""
    docs, entities, out = str(fixtures["documents"]), str(fixtures["entities"]), str(tmp / "out")
    return {
        "extract": ["extract", str(SAMPLE_DUMP), "-o", out, "-q"],
        "augment": ["augment", docs, "--entities", entities, "-o", out, "-q"],
        "run": ["run", "-o", out, "-q"],
        "mentions build": ["mentions", "build", "--documents", docs, "--entities", entities, "-o", out, "-q"],
        "preview": ["preview", docs],
    }[command]


BAD_SETTINGS = [(command, bad) for bad in SETTINGS for command in bad.commands]


def _exit_status(argv: list[str], usage: bool) -> int:
    """The exit status of ``leia ARGV``: a bad command line (``usage``) exits from the parser with 2, every other
    failure is returned by ``main``."""
    if usage:
        with pytest.raises(SystemExit) as info:
            main(argv)
        return info.value.code
    return main(argv)


@pytest.mark.parametrize(("command", "bad"), BAD_SETTINGS,
                         ids=[f"{command} {' '.join(bad.setting)}" for command, bad in BAD_SETTINGS])
def test_a_bad_setting_is_refused_in_one_line_before_the_run(command, bad, tmp_path, fixtures, capsys):
    argv = _command_line(command, tmp_path, fixtures) + list(bad.setting)
    status = _exit_status(argv, bad.status == 2)
    captured = capsys.readouterr()
    assert status == bad.status, captured.err
    line = f"leia {command}: error: {bad.error}"
    if bad.status == 2:
        assert captured.err.startswith(f"usage: leia {command} ")
        assert captured.err.splitlines()[-1] == line
    else:
        assert captured.err == line + "\n"
    assert "Traceback" not in captured.err
    assert captured.out == ""
    assert list(tmp_path.iterdir()) == []


# The same settings given to the Python API: each a ConfigError (which is also a ValueError), raised before
# anything is written.
def _api_calls(tmp: Path, fixtures: dict) -> dict:
    docs, entities, out = fixtures["documents"], fixtures["entities"], tmp / "out"
    return {
        "extract": lambda **bad: leia.extract(SAMPLE_DUMP, out, progress=False, **bad),
        "augment": lambda **bad: leia.augment(docs, entities, out, progress=False, **bad),
        "augment a dump": lambda **bad: leia.augment(SAMPLE_DUMP, entities, out, progress=False, **bad),
        "run": lambda **bad: leia.run(output=out, progress=False, **bad),
        "preview": lambda **bad: leia.preview(docs, **bad),
    }


API_SETTINGS = [
    ("extract", {"workers": 0}, "workers must be a whole number of at least 1, got 0"),
    ("extract", {"workers": 1.5}, "workers must be a whole number of at least 1, got 1.5"),
    ("extract", {"shard_size": 0}, "shard-size must be a whole number of at least 1, got 0"),
    ("extract", {"batch_size": -1}, "batch-size must be a whole number of at least 1, got -1"),
    ("extract", {"num_parts": 0}, "--num-parts must be at least 1, got 0"),
    ("extract", {"variant": "xx"}, "unknown language variant"),
    ("augment", {"workers": 0}, "workers must be a whole number of at least 1, got 0"),
    ("augment", {"batch_size": 0}, "batch-size must be a whole number of at least 1, got 0"),
    ("augment a dump", {"shard_size": 0}, "shard-size must be a whole number of at least 1, got 0"),
    ("augment", {"prob": 2}, "prob"),
    ("augment", {"strategy": "x"}, "strategy"),
    ("augment", {"nearby": -1}, "nearby"),
    ("augment", {"max_spans_per_entity": 0}, "max_spans_per_entity|max-spans-per-entity"),
    ("augment", {"engine": "x"}, "unknown engine 'x'"),
    ("run", {"workers": 0}, "workers must be a whole number of at least 1, got 0"),
    ("preview", {"n": -1}, "n must be a whole number of at least 0, got -1"),
    ("preview", {"width": 0}, "width must be a whole number of at least 1, got 0"),
]


@pytest.mark.parametrize(("call", "bad", "message"), API_SETTINGS,
                         ids=[f"{call} {bad}" for call, bad, _ in API_SETTINGS])
def test_a_bad_setting_given_to_the_python_api_is_a_config_error(call, bad, message, tmp_path, fixtures):
    from leia.errors import ConfigError

    with pytest.raises(ConfigError, match=message) as info:
        _api_calls(tmp_path, fixtures)[call](**bad)
    assert isinstance(info.value, ValueError)
    assert not (tmp_path / "out").exists()


# -- leia train and leia tokenize: each bad setting one line, before anything is written --------------------

TRAIN_SETTINGS = [
    BadSetting(("--prob", "2"), ("train", "tokenize"), "argument --prob: must be between 0 and 1"),
    BadSetting(("--prob", "half"), ("train", "tokenize"), "argument --prob: invalid float value: 'half'"),
    BadSetting(("--batch-size", "0"), ("train",), "argument --batch-size: must be at least 1"),
    BadSetting(("--block-size", "1"), ("train",), "argument --block-size: must be at least 2"),
    BadSetting(("--block-size", "0"), ("tokenize",), "argument --block-size: must be at least 1"),
    BadSetting(("--epoch", "-1"), ("tokenize",), "argument --epoch: must be at least 0"),
    BadSetting(("--max-steps", "0"), ("train",), "argument --max-steps: must be at least 1"),
    BadSetting(("--max-steps", "5", "--epochs", "1"), ("train",), "argument --epochs: not allowed with argument "
                                                                  "--max-steps"),
    BadSetting(("--tokens-per-step", "x"), ("train",), "argument --tokens-per-step: invalid int value: 'x'"),
    BadSetting(("--bf16", "maybe"), ("train",), "argument --bf16: invalid choice: 'maybe' (choose from 'auto', "
                                                "'yes', 'no')"),
    BadSetting(("--lr-scheduler", "x"), ("train",), "argument --lr-scheduler: invalid choice: 'x' (choose from "
                                                    "'cosine', 'linear', 'constant', 'constant_with_warmup', "
                                                    "'cosine_with_min_lr')"),
    _choice("--strategy", "x", ("train", "tokenize")),
    BadSetting(("--adam-beta2", "1"), ("train",), "adam-beta2 must be in [0, 1), got 1.0", status=1),
    BadSetting(("--learning-rate", "-1"), ("train",), "learning-rate must be a number of at least 0, got -1.0",
               status=1),
    BadSetting(("--resume",), ("train",), "{tmp}/out: no checkpoint-N to resume from; run without --resume to "
                                          "start", status=1),
    BadSetting(("--tokenizer", "./no-such-tokenizer"), ("train", "tokenize"),
               "./no-such-tokenizer: no such file or folder (the tokenizer; give --tokenizer a local folder or a "
               "Hub name)", status=1),
    BadSetting(("--eval-data", "{tmp}/held-out"), ("train",), "{tmp}/held-out: no such folder (--eval-data: a "
                                                              "folder of augmented shards from leia augment)",
               status=1),
]


@pytest.fixture(scope="module")
def augmented(fixtures, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("augmented") / "augmented"
    leia.augment(fixtures["documents"], fixtures["entities"], out, progress=False)
    return out


def _train_line(command: str, tmp: Path, augmented: Path) -> list[str]:
    if command == "train":
        return ["train", "--smoke", "--data", str(augmented), "--output-dir", str(tmp / "out"), "-q"]
    return ["tokenize", str(augmented), "--tokenizer", "gpt2", "--block-size", "64", "-o", str(tmp / "out"), "-q"]


BAD_TRAIN_SETTINGS = [(command, bad) for bad in TRAIN_SETTINGS for command in bad.commands]


@pytest.mark.parametrize(("command", "bad"), BAD_TRAIN_SETTINGS,
                         ids=[f"{command} {' '.join(bad.setting)}" for command, bad in BAD_TRAIN_SETTINGS])
def test_a_bad_training_setting_is_refused_in_one_line_before_the_run(command, bad, tmp_path, augmented, capsys):
    pytest.importorskip("torch")
    setting = [word.replace("{tmp}", str(tmp_path)) for word in bad.setting]
    argv = _train_line(command, tmp_path, augmented) + setting
    status = _exit_status(argv, bad.status == 2)
    captured = capsys.readouterr()
    assert status == bad.status, captured.err
    line = f"leia {command}: error: {bad.error.replace('{tmp}', str(tmp_path))}"
    if bad.status == 2:
        assert captured.err.splitlines()[-1] == line
    else:
        assert captured.err == line + "\n"
    assert "Traceback" not in captured.err and "huggingface.co" not in captured.err
    assert list(tmp_path.iterdir()) == []


TRAIN_CASES = [
    ("no --data", ["train", "--smoke", "--output-dir", "{tmp}/out"],
     "the following arguments are required: --data", 2),
    ("a --data folder that is not there", ["train", "--smoke", "--data", "{tmp}/nothing", "--output-dir", "{tmp}/out"],
     "{tmp}/nothing: no such folder (--data: a folder of augmented shards from leia augment)", 1),
    ("no model", ["train", "--data", "{augmented}", "--output-dir", "{tmp}/out"],
     "give the model to train: --model M, --config C.json, or --smoke for a tiny one", 1),
    ("--config without --tokenizer", ["train", "--config", "{tmp}/c.json", "--data", "{augmented}", "--output-dir",
                                      "{tmp}/out"], "--config needs --tokenizer (the tokenizer of the model to adapt)", 1),
    ("a --model path that is not there", ["train", "--model", "{tmp}/model", "--data", "{augmented}",
                                          "--output-dir", "{tmp}/out"],
     "{tmp}/model: no such file or folder (the model; give --model a local folder or a Hub name)", 1),
    ("tokenize a folder that is not there", ["tokenize", "{tmp}/nothing", "--tokenizer", "gpt2", "--block-size", "8",
                                             "-o", "{tmp}/out"],
     "{tmp}/nothing: no manifest.json; not a leia shard folder", 1),
]


@pytest.mark.parametrize(("argv", "error", "status"), [c[1:] for c in TRAIN_CASES], ids=[c[0] for c in TRAIN_CASES])
def test_bad_training_input_gives_one_line(argv, error, status, tmp_path, augmented, capsys):
    pytest.importorskip("torch")
    argv = [w.replace("{tmp}", str(tmp_path)).replace("{augmented}", str(augmented)) for w in argv]
    code = _exit_status(argv, status == 2)
    err = capsys.readouterr().err
    assert code == status, err
    assert err.splitlines()[-1] == f"leia {argv[0]}: error: {error.replace('{tmp}', str(tmp_path))}"
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


# Not errors, but nothing goes in silently: what a command says when an input is missing or not there.
def test_a_table_of_the_dumps_names_alone_is_warned_of_in_one_line_by_run_and_by_entities(tmp_path, capsys):
    line = ("WARNING leia.entities.build: no --langlinks: the English names come from the {{仮リンク}} of the dump "
            "alone, which name a small part of the pages its articles link to; give the wiki's langlinks dump "
            "(jawiki-YYYYMMDD-langlinks.sql.gz) with --langlinks\n")
    assert main(["run", "--dump", str(SAMPLE_DUMP), "-o", str(tmp_path / "out"), "-q"]) == 0
    assert capsys.readouterr().err == line  # once, before the extraction
    assert main(["entities", "--dump", str(SAMPLE_DUMP), "-o", str(tmp_path / "dump.duckdb"), "-q"]) == 0
    assert capsys.readouterr().err == line
    assert main(["entities", "--pages", str(tmp_path / "out" / "pages"), "-o", str(tmp_path / "pages.duckdb"),
                 "-q"]) == 0
    assert capsys.readouterr().err == line
    assert main(["run", "--dump", str(SAMPLE_DUMP), "--langlinks", str(SAMPLE_LANGLINKS), "-o",
                 str(tmp_path / "with"), "-q"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["entities", "--dump", str(SAMPLE_DUMP), "--langlinks", str(SAMPLE_LANGLINKS), "-o",
                 str(tmp_path / "with.duckdb"), "-q"]) == 0
    assert capsys.readouterr().err == ""


def test_verify_of_a_path_that_does_not_exist(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "nosuch")]) == 1
    assert capsys.readouterr().out == f"{tmp_path / 'nosuch'}: no such file or folder\n"


@pytest.mark.parametrize(("argv", "line"), [
    (["augment", "docs", "--entity", "e.duckdb", "-o", "out"],
     "leia augment: error: unrecognized arguments: --entity (did you mean --entities?)"),
    (["augment", "docs", "--entities", "e.duckdb", "-o", "out", "--sead", "3"],
     "leia augment: error: unrecognized arguments: --sead 3 (did you mean --seed?)"),
    (["mentions", "build", "--document", "docs", "--entities", "e.duckdb", "-o", "m.duckdb"],
     "leia mentions build: error: unrecognized arguments: --document (did you mean --documents?)"),
    (["run", "--lang", "de"], "leia run: error: unrecognized arguments: --lang de (did you mean --langlinks?)"),
])
def test_an_unknown_option_is_named_even_when_it_hides_a_required_one(argv, line, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: leia {' '.join(argv[:2]) if argv[0] == 'mentions' else argv[0]} ")
    assert err.splitlines()[-1] == line
    assert list(tmp_path.iterdir()) == []
