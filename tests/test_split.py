"""Splitting a run into N parts (``--num-parts N --part-index I``): part I owns the shards whose index is I
modulo N, the parts together write exactly what one run writes, and ``merge-manifests`` assembles them into
a folder byte-identical to a single run's (shard files and manifest.json), refusing parts that do not belong
together."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import leia
from leia.cli import main
from leia.errors import ConfigError, InputError, MissingDependencyError, OutputError
from leia.io.manifest import MANIFEST, read_manifest
from leia.execute.parts import Part, Skipped, merge_manifests

REPO = Path(__file__).resolve().parents[1]
DUMP = REPO / "data" / "sample-jawiki-pages-articles.xml"
LANGLINKS = REPO / "data" / "sample-jawiki-langlinks.sql"
# The sample dump holds 14 articles: 2 per shard gives shards 0..6, and shard 7 holds no document, only the
# counters of the category page after the last article; each of 3 parts gets two or three shards.
SHARD_SIZE = 2


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of a shard folder by name: what must be identical between two ways of running."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def entities(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("entities") / "entities.duckdb"
    leia.build_entities(path, dump=DUMP, langlinks=LANGLINKS, progress=False)
    return path


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("single") / "documents"
    leia.extract(DUMP, out, shard_size=SHARD_SIZE, batch_size=1, progress=False)
    return out


def test_part_owns_the_shards_congruent_to_its_index():
    part = Part(3, 1)
    assert [s for s in range(10) if s in part] == [1, 4, 7]
    assert Part().whole and 0 in Part() and 5 in Part()
    skip = Skipped(part, {4})
    assert [s for s in range(10) if s not in skip] == [1, 7]
    assert [s for s in range(10) if s not in Skipped(part, {4}, only=range(5, 10))] == [7]
    assert [s for s in range(10) if s not in Skipped(only={3})] == [3]


@pytest.mark.parametrize("n, i", [(0, 0), (3, 3), (3, -1)])
def test_part_refuses_an_index_outside_the_split(n, i):
    with pytest.raises(ConfigError, match="--num-parts|--part-index"):
        Part(n, i)


def test_extract_split_three_ways_merges_to_the_single_run(tmp_path, documents):
    parts = []
    for i in range(3):
        out = tmp_path / f"part-{i}"
        manifest = leia.extract(DUMP, out, shard_size=SHARD_SIZE, batch_size=1, progress=False,
                                num_parts=3, part_index=i)
        assert manifest.extra["split"] == {"num_parts": 3, "part_index": i}
        assert manifest.complete
        assert [s["index"] for s in manifest.shards] == [s for s in range(8) if s % 3 == i]
        parts.append(out)
    merged = merge_manifests(parts, tmp_path / "merged")
    assert "split" not in merged.extra and merged.complete
    assert folder_bytes(tmp_path / "merged") == folder_bytes(documents)
    assert merged.counters["documents"] == 14


def test_the_page_table_of_a_split_extraction_merges_to_the_single_run(tmp_path):
    """Each part writes the page table of its own shards beside its documents; merged, both folders are a
    single run's."""
    options = dict(shard_size=SHARD_SIZE, batch_size=1, progress=False)
    leia.extract(DUMP, tmp_path / "docs", pages=tmp_path / "pages", **options)
    for i in range(3):
        manifest = leia.extract(DUMP, tmp_path / f"docs-{i}", pages=tmp_path / f"pages-{i}", num_parts=3,
                                part_index=i, **options)
        pages = read_manifest(tmp_path / f"pages-{i}", "pages")
        assert pages.complete and pages.extra["split"] == {"num_parts": 3, "part_index": i}
        assert [s["index"] for s in pages.shards] == [s["index"] for s in manifest.shards]
    for kind in ("docs", "pages"):
        merge_manifests([tmp_path / f"{kind}-{i}" for i in range(3)], tmp_path / f"merged-{kind}")
        assert folder_bytes(tmp_path / f"merged-{kind}") == folder_bytes(tmp_path / kind)
    assert sum(s["rows"] for s in read_manifest(tmp_path / "merged-pages").shards) == 23


@pytest.mark.parametrize("input_kind", ["documents", "dump"])
def test_augment_split_three_ways_merges_to_the_single_run(tmp_path, documents, entities, input_kind):
    source = documents if input_kind == "documents" else DUMP
    options = dict(prob=0.5, seed=7, shard_size=SHARD_SIZE, batch_size=1, progress=False)
    single = leia.augment(source, entities, tmp_path / "single", **options)
    assert len(single.shards) == (7 if input_kind == "documents" else 8) and single.counters["spans"] > 0
    parts = [tmp_path / f"part-{i}" for i in range(3)]
    for i, out in enumerate(parts):
        leia.augment(source, entities, out, num_parts=3, part_index=i, **options)
    merge_manifests(list(reversed(parts)), tmp_path / "merged")
    assert folder_bytes(tmp_path / "merged") == folder_bytes(tmp_path / "single")


def test_local_workers_do_not_change_a_byte(tmp_path, documents, entities):
    options = dict(prob=0.5, seed=7, shard_size=SHARD_SIZE, batch_size=1, progress=False)
    leia.augment(documents, entities, tmp_path / "one", workers=1, **options)
    leia.augment(documents, entities, tmp_path / "two", workers=2, **options)
    assert folder_bytes(tmp_path / "one") == folder_bytes(tmp_path / "two")


@pytest.fixture
def two_parts(tmp_path) -> list[Path]:
    parts = [tmp_path / f"part-{i}" for i in range(2)]
    for i, out in enumerate(parts):
        leia.extract(DUMP, out, shard_size=SHARD_SIZE, progress=False, num_parts=2, part_index=i)
    return parts


def test_merge_refuses_a_missing_part(tmp_path, two_parts):
    with pytest.raises(InputError, match=r"parts \[1\] of 2 are missing"):
        merge_manifests(two_parts[:1], tmp_path / "merged")
    assert not (tmp_path / "merged" / MANIFEST).exists()


def test_merge_refuses_parts_of_another_run(tmp_path, two_parts):
    other = tmp_path / "other-1"
    leia.extract(DUMP, other, shard_size=SHARD_SIZE + 1, progress=False, num_parts=2, part_index=1)
    with pytest.raises(ConfigError, match="another run"):
        merge_manifests([two_parts[0], other], tmp_path / "merged")


def test_merge_refuses_the_same_part_twice_and_an_unfinished_one(tmp_path, two_parts):
    with pytest.raises(ConfigError, match="both hold part 0 of 2"):
        merge_manifests([two_parts[0], two_parts[0], two_parts[1]], tmp_path / "merged")
    path = two_parts[1] / MANIFEST
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "complete": False}), encoding="utf-8")
    with pytest.raises(InputError, match="part 1 of 2 is not finished"):
        merge_manifests(two_parts, tmp_path / "merged")


def test_merge_refuses_a_whole_run(tmp_path, two_parts, documents):
    with pytest.raises(InputError, match="not a part of a split run"):
        merge_manifests([two_parts[0], documents], tmp_path / "merged")


def test_a_part_does_not_resume_another_parts_folder(tmp_path, two_parts):
    with pytest.raises(OutputError, match="another run"):
        leia.extract(DUMP, two_parts[0], shard_size=SHARD_SIZE, progress=False, num_parts=2, part_index=1)
    with pytest.raises(OutputError, match="another run"):
        leia.extract(DUMP, two_parts[0], shard_size=SHARD_SIZE, progress=False)


def test_cli_split_and_merge(tmp_path, documents, capsys):
    for i in range(3):
        assert main(["extract", str(DUMP), "-o", str(tmp_path / f"p{i}"), "--shard-size", str(SHARD_SIZE),
                     "--num-parts", "3", "--part-index", str(i), "-q"]) == 0
    assert main(["merge-manifests", *(str(tmp_path / f"p{i}") for i in range(3)), "-o",
                 str(tmp_path / "merged"), "--move"]) == 0
    assert "8 shards of 3 parts" in capsys.readouterr().out
    single = tmp_path / "single"
    assert main(["extract", str(DUMP), "-o", str(single), "--shard-size", str(SHARD_SIZE), "-q"]) == 0
    assert folder_bytes(tmp_path / "merged") == folder_bytes(single)
    assert not list((tmp_path / "p0").glob("*.arrow"))
    assert main(["extract", str(DUMP), "-o", str(tmp_path / "bad"), "--num-parts", "3", "--part-index", "3"]) == 1
    assert "--part-index must be between 0 and 2" in capsys.readouterr().err


def test_unknown_engine_and_split_on_ray_are_refused(tmp_path, entities):
    with pytest.raises(ConfigError, match="unknown engine 'spark'"):
        leia.extract(DUMP, tmp_path / "x", engine="spark")
    with pytest.raises(ConfigError, match="drop --num-parts"):
        leia.augment(DUMP, entities, tmp_path / "y", engine="ray", num_parts=2, part_index=0)
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_ray_engine_without_ray_names_the_extra(tmp_path, entities, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'leia\[ray\]'"):
        leia.augment(DUMP, entities, tmp_path / "out", engine="ray")
    with pytest.raises(MissingDependencyError, match=r"pip install 'leia\[ray\]'"):
        leia.extract(DUMP, tmp_path / "docs", engine="ray")
    assert not (tmp_path / "out").exists() and not (tmp_path / "docs").exists()


def test_merge_into_one_of_the_parts_is_refused_and_leaves_it_whole(two_parts):
    before = {p.name: p.read_bytes() for p in two_parts[0].iterdir()}
    with pytest.raises(ConfigError, match="must not be one of the parts"):
        merge_manifests(two_parts, two_parts[0], overwrite=True)
    assert {p.name: p.read_bytes() for p in two_parts[0].iterdir()} == before


def test_the_old_spellings_of_the_part_options_still_work(tmp_path):
    from leia.cli import main

    for name, options in (("new", ["--num-parts", "3", "--part-index", "1"]),
                          ("old", ["--num-shards", "3", "--shard-index", "1"])):
        assert main(["extract", str(DUMP), "-o", str(tmp_path / name), "--shard-size", str(SHARD_SIZE), "-q",
                     *options]) == 0
    assert (tmp_path / "new" / MANIFEST).read_bytes() == (tmp_path / "old" / MANIFEST).read_bytes()
    assert json.loads((tmp_path / "new" / MANIFEST).read_text())["split"] == {"num_parts": 3, "part_index": 1}
