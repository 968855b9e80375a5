"""The files every process maps beside a DuckDB file: an entity table's names (``<table>.names``) and a mention
dictionary's surfaces (``<dictionary>.surfaces``). They answer exactly what the tables hold, are published
with their table (both or neither), are tied to it by the digest its meta records, are built on first use for
a table that has none, and travel between processes as their path."""

from __future__ import annotations

import errno
import json
import pickle
import shutil
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import leia.entities.lookup as lookup
import leia.io.mapped as mapped
from leia.cli import main
from leia.entities import EntityTable, build_entities
from leia.entities.lookup import NAMES, Names, build_names
from leia.errors import InputError, OutputError
from leia.io.mapped import MappedFile
from leia.mentions import Detector, MentionConfig, MentionTable, make_entries
from leia.mentions.surfaces import SURFACES, Surfaces, build_surfaces

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DUMP = REPO / "data" / "sample-jawiki-pages-articles.xml"
SAMPLE_LANGLINKS = REPO / "data" / "sample-jawiki-langlinks.sql"
SOURCES = ("langlinks", "wikidata", "harvested")


def names_file(tmp: Path, rows: dict[str, tuple[str, str]], name: str = "t.names") -> Names:
    """The names file of an ``entities`` table holding ``rows`` (title -> (english, source))."""
    con = duckdb.connect()
    con.execute("CREATE TABLE entities (title VARCHAR, english VARCHAR, source VARCHAR)")
    if rows:
        con.executemany("INSERT INTO entities VALUES (?, ?, ?)", [(t, e, s) for t, (e, s) in rows.items()])
    path = tmp / name
    build_names(con, path, "key")
    con.close()
    return Names(MappedFile(path, NAMES.kind))


titles = st.text(st.sampled_from("東京都日本語あいうアイウabc _()1"), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(rows=st.dictionaries(titles, st.tuples(st.text("ABCabc ", min_size=1, max_size=8), st.sampled_from(SOURCES)),
                            max_size=40),
       others=st.lists(st.one_of(titles, st.just(""), st.none()), max_size=20))
def test_a_names_file_answers_what_the_table_holds(tmp_path_factory, rows, others):
    names = names_file(tmp_path_factory.mktemp("names"), rows)
    asked = list(rows)[::2] + others + list(rows)[1::2]
    expected = [rows.get(t) if t is not None else None for t in asked]
    assert names.lookup_with_source(asked) == expected
    assert names.lookup(asked) == [e[0] if e else None for e in expected]
    for kind in (pa.string(), pa.large_string()):
        array = pa.array(["x"] + asked, kind).slice(1)  # an offset into the array's buffers
        table = names.lookup_arrow(array)
        assert table.column("english").to_pylist() == [e[0] if e else None for e in expected]
        assert table.column("source").to_pylist() == [e[1] if e else None for e in expected]


@settings(max_examples=50, deadline=None)
@given(strings=st.lists(st.text(max_size=20), min_size=1, max_size=30), seed=st.integers(0, 20))
def test_a_string_hashes_the_same_wherever_it_lies(strings, seed):
    together = lookup.hash_strings(pa.array(["pad"] + strings).slice(1), seed)
    alone = [int(lookup.hash_strings(pa.array([s], pa.large_string()), seed)[0]) for s in strings]
    assert together.tolist() == alone
    assert len(set(alone)) == len(set(strings))  # no collision among so few


def test_answers_kept_between_batches_are_the_same_answers(tmp_path, monkeypatch):
    monkeypatch.setattr(lookup, "CACHE_SIZE", 3)
    rows = {f"題{k}": (f"Title {k}", SOURCES[k % 3]) for k in range(10)}
    names = names_file(tmp_path, rows)
    for batch in (["題1", "無", "題2"], ["題2", "題1", "題3", "題4"], ["無", "題9", "題1"], ("題5", None)):
        assert names.lookup_with_source(batch) == [rows.get(t) if t else None for t in batch]


def test_titles_that_share_a_hash_take_another_seed(tmp_path, monkeypatch):
    real = lookup.hash_strings

    def colliding(strings, seed):
        hashes = real(strings, seed)
        return hashes * 0 if seed == 0 else hashes  # every title the same hash under seed 0

    monkeypatch.setattr(lookup, "hash_strings", colliding)
    names = names_file(tmp_path, {"東京": ("Tokyo", "langlinks"), "大阪": ("Osaka", "harvested")})
    assert names.seed == 1
    assert names.lookup(["大阪", "東京", "京都"]) == ["Osaka", "Tokyo", None]


@pytest.fixture(scope="module")
def sample_table(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("entities") / "e.duckdb"
    build_entities(path, dump=SAMPLE_DUMP, langlinks=SAMPLE_LANGLINKS, progress=False)
    return path


def _rows(path: Path) -> dict[str, tuple[str, str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: (e, s) for t, e, s in con.execute("SELECT title, english, source FROM entities").fetchall()}
    finally:
        con.close()


def test_the_table_is_published_with_its_names_file(sample_table):
    table = EntityTable(sample_table)
    names = MappedFile(sample_table.with_name("e.duckdb.names"), NAMES.kind)
    assert NAMES.recorded(table.meta) == names.digest and names.check()
    rows = _rows(sample_table)
    assert len(table) == len(rows)
    assert table.lookup_with_source(list(rows) + ["無い"]) == list(rows.values()) + [None]
    # Pickled, the table is its path and meta: another process maps the names file itself.
    table.lookup(["東京"])
    data = pickle.dumps(table)
    assert b"Tokyo" not in data
    assert pickle.loads(data).lookup(["東京", "無い"]) == ["Tokyo", None]


def _copy(table: Path, folder: Path, names: bool = True) -> Path:
    folder.mkdir()
    shutil.copyfile(table, folder / table.name)
    if names:
        shutil.copyfile(str(table) + ".names", folder / (table.name + ".names"))
    return folder / table.name


def test_a_table_without_its_names_file_gets_it_on_first_use(sample_table, tmp_path):
    copy = _copy(sample_table, tmp_path / "copied", names=False)
    assert EntityTable(copy).lookup(["東京"]) == ["Tokyo"]
    # Built again from the table, the file is the one the table records.
    assert MappedFile(str(copy) + ".names", NAMES.kind).digest == NAMES.recorded(EntityTable(copy).meta)
    assert sorted(p.name for p in copy.parent.iterdir()) == ["e.duckdb", "e.duckdb.names"]


def _lookup_tokyo(path: str) -> list:
    return EntityTable(path).lookup(["東京"])


def test_processes_that_find_no_names_file_at_once_all_get_it(sample_table, tmp_path):
    import multiprocessing

    copy = _copy(sample_table, tmp_path / "many", names=False)
    with multiprocessing.get_context("spawn").Pool(3) as pool:  # (a fork of a process with threads may hang)
        assert pool.map(_lookup_tokyo, [str(copy)] * 6) == [["Tokyo"]] * 6
    assert sorted(p.name for p in copy.parent.iterdir()) == ["e.duckdb", "e.duckdb.names"]  # no lock, no temporary
    assert main(["verify", str(copy)]) == 0


def _as_built_before(path: Path, record: str | None = None) -> None:
    """Make ``path`` look like a table built before names files (no record in its meta), or before this
    format of them (``record``)."""
    con = duckdb.connect(str(path))
    con.execute("DELETE FROM meta WHERE key = 'names_file'")
    if record is not None:
        con.execute("INSERT INTO meta VALUES ('names_file', ?)", [record])
    con.close()


@pytest.mark.parametrize("record", [None, '{"format": 0, "digest": "of a format gone"}'])
def test_a_table_of_an_older_leia_gets_a_names_file_once(sample_table, tmp_path, record):
    old = _copy(sample_table, tmp_path / "old", names=record is not None)
    _as_built_before(old, record)
    assert EntityTable(old).lookup(["東京", "無い"]) == ["Tokyo", None]
    built = Path(str(old) + ".names")
    stamp = built.stat().st_mtime_ns
    assert EntityTable(old).lookup(["東京"]) == ["Tokyo"]
    assert built.stat().st_mtime_ns == stamp  # mapped, not built again
    # The names file of another table beside it is replaced by its own.
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE entities (title VARCHAR, english VARCHAR, source VARCHAR)")
    con.execute("INSERT INTO entities VALUES ('東京', 'Tokio', 'langlinks')")
    build_names(con, built, "another table")
    con.close()
    assert EntityTable(old).lookup(["東京"]) == ["Tokyo"]
    assert main(["verify", str(old)]) == 0


def test_a_names_file_of_another_table_is_refused(sample_table, tmp_path, capsys):
    copy = _copy(sample_table, tmp_path / "mixed")
    con = duckdb.connect()
    con.execute("CREATE TABLE entities (title VARCHAR, english VARCHAR, source VARCHAR)")
    con.execute("INSERT INTO entities VALUES ('東京', 'Tokio', 'langlinks')")
    build_names(con, Path(str(copy) + ".names"), "another table")
    con.close()
    with pytest.raises(InputError, match=r"e.duckdb.names: not the names file of .*e.duckdb .*leia entities"):
        EntityTable(copy).lookup(["東京"])
    assert main(["verify", str(copy)]) == 1
    assert "e.duckdb.names: not the names file e.duckdb records" in capsys.readouterr().out


def test_verify_finds_a_damaged_names_file(sample_table, tmp_path, capsys):
    copy = _copy(sample_table, tmp_path / "damaged")
    names = Path(str(copy) + ".names")
    data = bytearray(names.read_bytes())
    data[data.index(b"Tokyo")] ^= 1  # an English name, in the file's sections
    names.write_bytes(bytes(data))
    assert main(["verify", str(copy)]) == 1
    assert "its content does not match its digest" in capsys.readouterr().out
    data = names.read_bytes()
    names.write_bytes(data[:16 + int.from_bytes(data[8:16], "little") + 8])  # the header, and a few bytes more
    with pytest.raises(InputError, match="e.duckdb.names: truncated"):
        EntityTable(copy).lookup(["東京"])


def test_a_names_file_that_cannot_be_written_is_an_input_error(sample_table, tmp_path, monkeypatch):
    copy = _copy(sample_table, tmp_path / "readonly", names=False)

    def refuse(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied", str(dst))

    monkeypatch.setattr(mapped.os, "replace", refuse)
    with pytest.raises(InputError, match=r"e.duckdb: its names file e.duckdb.names is missing and cannot be written "
                                         r"beside it .*leia entities"):
        EntityTable(copy).lookup(["東京"])
    assert sorted(p.name for p in copy.parent.iterdir()) == ["e.duckdb"]


def test_a_build_whose_names_file_fails_publishes_neither(tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(lookup, "write_mapped", full)
    with pytest.raises(OutputError, match="e.duckdb: cannot write .*no space left"):
        build_entities(tmp_path / "e.duckdb", dump=SAMPLE_DUMP, langlinks=SAMPLE_LANGLINKS, progress=False)
    assert list(tmp_path.iterdir()) == []


# --- the surfaces of a mention dictionary

LINKS = {
    "日本": ({"日本": 6}, 10), "日本語": ({"日本語": 3}, 4), "東京": ({"東京": 2}, 4), "東京都": ({"東京都": 3}, 3),
    "ジョージア": ({"ジョージア州": 3, "ジョージア (国)": 2}, 5), "首相": ({"内閣総理大臣": 1}, 10),
    "カイロ": ({"カイロ": 99, "カイロ (暖房器具)": 1}, 100), "ソ連": ({"ソビエト連邦": 4}, 4),
}
TEXTS = ["日本語と日本の首相が東京都とカイロを訪れた。", "ジョージアのソ連時代", "東京の日本", ""]


def _entries():
    links = Counter({(s, t): n for s, (targets, _) in LINKS.items() for t, n in targets.items()})
    return make_entries(links, Counter({s: occ for s, (_, occ) in LINKS.items()}), MentionConfig())


def surfaces_file(tmp: Path, entries) -> Surfaces:
    con = duckdb.connect()
    con.execute("CREATE TABLE surfaces (surface VARCHAR, link_prob DOUBLE, doc_link_prob DOUBLE)")
    con.execute("CREATE TABLE candidates (surface VARCHAR, target VARCHAR, links BIGINT, prior DOUBLE)")
    con.executemany("INSERT INTO surfaces VALUES (?, ?, ?)", [(s, e.link_prob, e.doc_link_prob)
                                                               for s, e in entries.items()])
    con.executemany("INSERT INTO candidates VALUES (?, ?, ?, ?)", [
        (s, t, round(p * 1000), p) for s, e in entries.items() for t, p in e.targets])
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('config', ?)", [json.dumps(asdict(MentionConfig()))])
    build_surfaces(con, tmp / "d.surfaces", "key")
    con.close()
    return Surfaces.from_mapped(MappedFile(tmp / "d.surfaces", SURFACES.kind))


@pytest.mark.parametrize("overrides", [{}, {"block": True}, {"context": True}, {"min_link_prob": 0.9},
                                       {"min_prior": 0.5}, {"max_length": 2}])
def test_a_surfaces_file_detects_what_the_entries_detect(tmp_path, overrides):
    config = MentionConfig(**overrides)
    surfaces = surfaces_file(tmp_path, _entries())
    # What the dictionary's own settings look for is in the file; other settings are worked out.
    assert (surfaces.select(config).kept.base is None) == bool(overrides)
    mapped_detector = Detector(surfaces, config)
    in_memory = Detector(_entries(), config)
    assert len(mapped_detector) == len(in_memory)
    for text in TEXTS:
        assert mapped_detector.detect(text) == in_memory.detect(text)
        assert mapped_detector.matches(text) == in_memory.matches(text)
    # 首相 is linked at one of its ten occurrences: no mention.
    assert Detector(_entries()).detect(TEXTS[0]) == [(0, 3, "日本語"), (4, 6, "日本"), (10, 13, "東京都"),
                                                     (14, 17, "カイロ")]
    # Pickled, a detector over a mapped file is its path: the other process maps it.
    data = pickle.dumps(mapped_detector)
    assert b"\xe3\x82\xab\xe3\x82\xa4\xe3\x83\xad" not in data  # カイロ
    assert pickle.loads(data).detect(TEXTS[0]) == in_memory.detect(TEXTS[0])


def _leftmost_longest(surfaces: set[str], text: str) -> list[tuple[int, int, str]]:
    found, i = [], 0
    while i < len(text):
        ends = [i + n for n in range(1, len(text) - i + 1) if text[i:i + n] in surfaces]
        if ends:
            found.append((i, ends[-1], text[i:ends[-1]]))
            i = ends[-1]
        else:
            i += 1
    return found


@settings(max_examples=150, deadline=None)
@given(surfaces=st.sets(st.text("abcd", min_size=1, max_size=5), min_size=1, max_size=12),
       text=st.text("abcde", max_size=30))
def test_detection_takes_the_longest_surface_at_each_position(surfaces, text):
    """Without word boundaries, every match counts: the mentions are the leftmost longest matches, and the
    matches every occurrence (an Aho-Corasick longest-match iterator missed some, inside a longer failed path)."""
    links = Counter({(s, s.upper()): 1 for s in surfaces})
    config = MentionConfig(segment=False)
    detector = Detector(make_entries(links, Counter(), config), config)
    assert detector.detect(text) == [(s, e, t.upper()) for s, e, t in _leftmost_longest(surfaces, text)]
    assert detector.matches(text) == sorted((i, i + len(s), detector.dictionary.trie[s]) for s in surfaces
                                            for i in range(len(text)) if text.startswith(s, i))


def test_a_dictionary_of_an_older_leia_gets_its_surfaces_file(tmp_path):
    from leia.api import extract
    from leia.mentions import build_mentions

    extract(SAMPLE_DUMP, tmp_path / "documents", progress=False)
    build_entities(tmp_path / "e.duckdb", dump=SAMPLE_DUMP, langlinks=SAMPLE_LANGLINKS, progress=False)
    out = tmp_path / "m.duckdb"
    build_mentions(tmp_path / "documents", tmp_path / "e.duckdb", out, progress=False)
    surfaces = Path(str(out) + ".surfaces")
    assert SURFACES.recorded(MentionTable(out).meta) == MappedFile(surfaces, SURFACES.kind).digest
    expected = MentionTable(out).detector().detect("カイロはエジプトの首都")
    assert expected == [(0, 3, "カイロ"), (4, 8, "エジプト"), (9, 11, "首都")]
    surfaces.unlink()
    con = duckdb.connect(str(out))
    con.execute("DELETE FROM meta WHERE key = 'surfaces_file'")
    con.close()
    assert MentionTable(out).detector().detect("カイロはエジプトの首都") == expected
    assert surfaces.is_file()
    assert main(["verify", str(out)]) == 0


def test_augment_dataset_in_several_processes_maps_the_names_file(sample_table, tmp_path):
    datasets = pytest.importorskip("datasets")
    import leia
    from leia.api import extract
    from leia.io.shards import iter_record_batches

    extract(SAMPLE_DUMP, tmp_path / "documents", progress=False)
    documents = pa.Table.from_batches(list(iter_record_batches(tmp_path / "documents", "documents")))
    dataset = datasets.Dataset(documents)
    table = EntityTable(sample_table)
    one = leia.augment_dataset(dataset, table, prob=1.0, seed=3, batch_size=2)
    two = leia.augment_dataset(dataset, table, prob=1.0, seed=3, batch_size=2, num_proc=2)
    assert two["text"] == one["text"]
    assert any("<translate>Tokyo</translate>" in text for text in one["text"])


def test_the_pieces_of_a_ray_augmentation_carry_no_names(sample_table, tmp_path):
    """Each Ray actor maps the names file from the shared file system: nothing goes through the object
    store, and a piece pickles as paths and settings."""
    from leia.api import extract
    from leia.augmenter import AugmentConfig
    from leia.steps.augment import AugmentStep
    from leia.steps.sources import open_source

    extract(SAMPLE_DUMP, tmp_path / "documents", shard_size=2, progress=False)
    source = open_source(tmp_path / "documents", shard_size=2, batch_size=2)
    step = AugmentStep(source, EntityTable(sample_table), AugmentConfig(), tmp_path / "documents")
    step.work()  # the names are mapped in this process
    assert step.shared() is None
    pieces = step.pieces(2, frozenset(), None)
    assert len(pieces) > 1
    data = pickle.dumps(pieces[-1])
    assert b"Tokyo" not in data
    assert pickle.loads(data).step.table.lookup(["東京"]) == ["Tokyo"]
