"""``leia.augment`` on every input it reads (documents folder, dump, JSON lines, Parquet), determinism across
workers and across an interruption (a SIGKILLed run resumed), inputs refused before any work, ``stats``,
``preview`` and ``augment_dataset``."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import leia
from leia.io.integrity import file_identity
from leia.augmenter import MENTION_SOURCES, NO_SPAN_REASONS, AugmentConfig, augment_batch
from leia.entities import EntityTable, build_entities
from leia.errors import ConfigError, InputError, OutputError
from leia.io.manifest import MANIFEST, read_manifest
from leia.io.shards import iter_record_batches
from leia.spans import strip_spans

REPO = Path(__file__).resolve().parents[1]


def _texts(folder: Path) -> list[str]:
    return [t for rb in iter_record_batches(folder, "augmented") for t in rb.column("text").to_pylist()]


def _rows(folder: Path, kind: str = "augmented") -> list[dict]:
    return [r for rb in iter_record_batches(folder, kind) for r in rb.to_pylist()]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _shard_bytes(folder: Path) -> dict[str, bytes]:
    return {k: v for k, v in _files(folder).items() if k.endswith(".arrow")}


@pytest.fixture(scope="module")
def dev(tmp_path_factory, jawiki_dev_dump, jawiki_dev_langlinks) -> dict:
    """The dev dump extracted into shards of 10 documents, its entity table and a reference augmentation."""
    root = tmp_path_factory.mktemp("pipeline")
    leia.extract(jawiki_dev_dump, root / "documents", shard_size=10, progress=False)
    build_entities(root / "entities.duckdb", dump=jawiki_dev_dump, langlinks=jawiki_dev_langlinks, progress=False)
    leia.augment(root / "documents", root / "entities.duckdb", root / "reference", shard_size=10, seed=3,
                 progress=False)
    return {"root": root, "documents": root / "documents", "entities": root / "entities.duckdb",
            "reference": root / "reference", "dump": jawiki_dev_dump}


# --- inputs -----------------------------------------------------------------------------------------------

def test_documents_folder(dev):
    manifest = read_manifest(dev["reference"], "augmented")
    assert manifest.complete
    assert [s["index"] for s in manifest.shards] == list(range(11))
    assert [s["rows"] for s in manifest.shards] == [10] * 10 + [3]
    documents = _rows(dev["documents"], "documents")
    augmented = _rows(dev["reference"])
    assert [r["id"] for r in augmented] == [r["id"] for r in documents] == list(range(1, 104))
    assert [r["title"] for r in augmented] == [r["title"] for r in documents]
    assert [strip_spans(r["text"]) for r in augmented] == [r["text"] for r in documents]
    assert [[(m["start"], m["end"], m["target"]) for m in r["mentions"]] for r in augmented] == \
        [[(a["start"], a["end"], a["target"]) for a in r["anchors"]] for r in documents]
    spans = sum(r["text"].count("<translate>") for r in augmented)
    assert spans == manifest.counters["spans"] > 1000
    assert manifest.counters["documents"] == 103
    assert manifest.parameters["prob"] == 0.5 and manifest.parameters["seed"] == 3
    assert manifest.extra["wiki"]["dbname"] == "jawiki"


def test_dump_directly_gives_the_same_shards(dev, tmp_path):
    manifest = leia.augment(dev["dump"], dev["entities"], tmp_path / "out", shard_size=10, seed=3, progress=False)
    assert _shard_bytes(tmp_path / "out") == _shard_bytes(dev["reference"])
    assert manifest.inputs[0]["kind"] == "dump" and manifest.inputs[0]["dbname"] == "jawiki"
    assert manifest.counters["documents"] == 103 and manifest.counters["articles"] == 103


def _corpus_rows(dev) -> list[dict]:
    return _rows(dev["documents"], "documents")


def test_jsonl_corpus_with_anchors(dev, tmp_path):
    path = tmp_path / "corpus.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for row in _corpus_rows(dev):
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    manifest = leia.augment(path, dev["entities"], tmp_path / "out", shard_size=10, seed=3, progress=False)
    assert _texts(tmp_path / "out") == _texts(dev["reference"])
    assert manifest.inputs[0] == {"kind": "corpus", "path": "corpus.jsonl", **file_identity(path)}


def test_jsonl_corpus_text_only(dev, tmp_path):
    path = tmp_path / "plain.jsonl"
    texts = [r["text"] for r in _corpus_rows(dev)[:25]]
    path.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    manifest = leia.augment(path, dev["entities"], tmp_path / "out", shard_size=10, progress=False)
    rows = _rows(tmp_path / "out")
    assert [r["text"] for r in rows] == texts
    assert [r["id"] for r in rows] == list(range(25))
    assert all(r["mentions"] == [] and r["title"] == "" for r in rows)
    assert [s["rows"] for s in manifest.shards] == [10, 10, 5]
    assert manifest.counters["spans"] == 0


def test_parquet_corpus(dev, tmp_path):
    table = pa.Table.from_batches(list(iter_record_batches(dev["documents"], "documents")))
    folder = tmp_path / "corpus"
    folder.mkdir()
    pq.write_table(table.slice(0, 50), folder / "part-0.parquet")
    pq.write_table(table.slice(50), folder / "part-1.parquet")
    manifest = leia.augment(folder, dev["entities"], tmp_path / "out", shard_size=10, seed=3, progress=False)
    assert _texts(tmp_path / "out") == _texts(dev["reference"])
    assert [i["path"] for i in manifest.inputs[:2]] == ["part-0.parquet", "part-1.parquet"]


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_jsonl_rows_with_and_without_anchors(dev, tmp_path):
    path = tmp_path / "mixed.jsonl"
    rows = [{"text": "前置き。"}, {"id": 5, "text": "隣国エジプトへ", "anchors": [{"start": 2, "end": 6, "target": "エジプト"}]}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    leia.augment(path, dev["entities"], tmp_path / "out", prob=1.0, progress=False)
    assert [(r["id"], r["title"], r["text"]) for r in _rows(tmp_path / "out")] == [
        (0, "", "前置き。"), (5, "", "隣国エジプト<translate>Egypt</translate>へ")]


def test_parquet_anchors_of_other_types(dev, tmp_path):
    anchors = pa.array([[{"start": 2, "end": 6, "target": "エジプト"}], []],
                       pa.list_(pa.struct([("start", pa.int64()), ("end", pa.int64()), ("target", pa.string())])))
    table = pa.table({"text": ["隣国エジプトへ", "なし"], "anchors": anchors})
    pq.write_table(table, tmp_path / "c.parquet")
    leia.augment(tmp_path / "c.parquet", dev["entities"], tmp_path / "out", prob=1.0, strategy="left", progress=False)
    rows = _rows(tmp_path / "out")
    assert [(r["id"], r["text"]) for r in rows] == [(0, "隣国<translate>Egypt</translate>エジプトへ"), (1, "なし")]
    bad = pa.table({"text": ["x"], "anchors": pa.array([[1, 2]], pa.list_(pa.int64()))})
    pq.write_table(bad, tmp_path / "bad.parquet")
    with pytest.raises(InputError, match="bad.parquet: 'anchors' must be a list of"):
        leia.augment(tmp_path / "bad.parquet", dev["entities"], tmp_path / "out2", progress=False)
    assert not (tmp_path / "out2").exists()


def test_corpus_without_text_is_refused(dev, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"body": "x"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="bad.jsonl.*'text'"):
        leia.augment(path, dev["entities"], tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


# --- determinism ------------------------------------------------------------------------------------------

def test_workers_give_byte_identical_shards(dev, tmp_path):
    leia.augment(dev["documents"], dev["entities"], tmp_path / "w2", shard_size=10, seed=3, workers=2,
                 batch_size=4, progress=False)
    assert _shard_bytes(tmp_path / "w2") != {}
    assert _texts(tmp_path / "w2") == _texts(dev["reference"])
    leia.augment(dev["documents"], dev["entities"], tmp_path / "w1", shard_size=10, seed=3, workers=1,
                 batch_size=4, progress=False)
    assert _shard_bytes(tmp_path / "w2") == _shard_bytes(tmp_path / "w1")
    assert read_manifest(tmp_path / "w2").counters == read_manifest(dev["reference"]).counters


def test_extract_workers_give_byte_identical_shards(dev, tmp_path):
    leia.extract(dev["dump"], tmp_path / "docs", shard_size=10, workers=2, progress=False)
    assert _shard_bytes(tmp_path / "docs") == _shard_bytes(dev["documents"])


def _kill_after_first_shard(code: str, folder: Path, timeout: float = 60.0) -> None:
    """Run ``code`` in a new interpreter and SIGKILL it as soon as a finished shard appears in ``folder``."""
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    try:
        while not (folder / "shard-00000.arrow").exists():
            if proc.poll() is not None:
                raise AssertionError(f"the run ended before its first shard: {proc.stderr.read().decode()}")
            if time.monotonic() > deadline:
                raise AssertionError("no shard appeared in time")
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


def _check_interrupted(folder: Path, total: int) -> dict[str, tuple[int, int]]:
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert not manifest["complete"]
    finished = [s["file"] for s in manifest["shards"]]
    visible = sorted(p.name for p in folder.glob("*.arrow"))
    assert 1 <= len(visible) < total
    assert set(finished[:-1]) <= set(visible) <= set(finished)
    return {name: ((folder / name).stat().st_ino, (folder / name).stat().st_mtime_ns) for name in visible}


@pytest.mark.parametrize("workers", [1, 2])
def test_augment_resumes_after_sigkill(dev, tmp_path, workers):
    out = tmp_path / "out"
    code = textwrap.dedent(f"""
        import time
        import leia, leia.steps.augment
        call = leia.steps.augment.Augment.__call__
        def slow(self, payload):
            time.sleep(0.25)
            return call(self, payload)
        leia.steps.augment.Augment.__call__ = slow
        leia.augment({str(dev['documents'])!r}, {str(dev['entities'])!r}, {str(out)!r}, shard_size=10, seed=3,
                     progress=False, workers={workers})
    """)
    _kill_after_first_shard(code, out)
    kept = _check_interrupted(out, 11)
    manifest = leia.augment(dev["documents"], dev["entities"], out, shard_size=10, seed=3, progress=False,
                            workers=workers)
    for name, stamp in kept.items():
        assert ((out / name).stat().st_ino, (out / name).stat().st_mtime_ns) == stamp
    assert _files(out) == _files(dev["reference"])
    assert manifest.counters == read_manifest(dev["reference"]).counters


def test_extract_resumes_after_sigkill(dev, tmp_path):
    out = tmp_path / "docs"
    code = (f"import sys; from leia.cli import main; "
            f"sys.exit(main(['extract', {str(dev['dump'])!r}, '-o', {str(out)!r}, '--shard-size', '10', '-q']))")
    _kill_after_first_shard(code, out)
    kept = _check_interrupted(out, 11)
    manifest = leia.extract(dev["dump"], out, shard_size=10, progress=False)
    for name, stamp in kept.items():
        assert ((out / name).stat().st_ino, (out / name).stat().st_mtime_ns) == stamp
    assert _files(out) == _files(dev["documents"])
    assert manifest.counters == read_manifest(dev["documents"]).counters
    assert manifest.counters["pages_read"] == manifest.counters["documents"] == 103


def test_killed_right_after_a_shard_is_published(dev, tmp_path):
    """The narrowest window: the process dies the instant its first shard file gets its final name."""
    out = tmp_path / "docs"
    code = textwrap.dedent(f"""
        import os, signal
        from leia.api import extract
        rename = os.replace
        def replace(src, dst):
            rename(src, dst)
            if str(dst).endswith("shard-00000.arrow"):
                os.kill(os.getpid(), signal.SIGKILL)
        os.replace = replace
        extract({str(dev['dump'])!r}, {str(out)!r}, shard_size=10, progress=False)
    """)
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, timeout=120)
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()
    assert (out / "shard-00000.arrow").is_file()
    leia.extract(dev["dump"], out, shard_size=10, progress=False)
    assert _files(out) == _files(dev["documents"])


def test_resume_redoes_a_listed_shard_whose_file_is_missing(dev, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(dev["reference"], out)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    manifest["complete"] = False
    manifest["shards"] = manifest["shards"][:6]
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    for name in ["shard-00005.arrow", "shard-00006.arrow", "shard-00009.arrow", "shard-00010.arrow"]:
        (out / name).unlink()
    (out / ".shard-00006.arrow.tmp-99999").write_bytes(b"half")
    leia.augment(dev["documents"], dev["entities"], out, shard_size=10, seed=3, progress=False)
    assert _files(out) == _files(dev["reference"])


def test_rerun_of_a_finished_run_changes_nothing(dev, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(dev["reference"], out)
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*.arrow")}
    leia.augment(dev["documents"], dev["entities"], out, shard_size=10, seed=3, progress=False)
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.arrow")} == stamps
    assert _files(out) == _files(dev["reference"])


# --- refused before any work ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def enwiki_table(tmp_path_factory, enwiki_sample_dump) -> Path:
    """An entity table of enwiki titles (Japanese names from a small Wikidata file)."""
    root = tmp_path_factory.mktemp("enwiki")
    wikidata = root / "wikidata.json"
    item = {"type": "item", "id": "Q8366", "sitelinks": {
        "enwiki": {"site": "enwiki", "title": "Algorithm", "badges": []},
        "jawiki": {"site": "jawiki", "title": "アルゴリズム", "badges": []}}}
    wikidata.write_text("[\n" + json.dumps(item, ensure_ascii=False) + "\n]\n", encoding="utf-8")
    path = root / "enwiki.duckdb"
    build_entities(path, dump=enwiki_sample_dump, wikidata=wikidata, lang="ja", progress=False)
    assert EntityTable(path).lookup(["Algorithm"]) == ["アルゴリズム"]
    return path


def test_entity_table_of_another_wiki(dev, enwiki_table, tmp_path):
    for kind, given in (("documents folder", dev["documents"]), ("dump", dev["dump"])):
        with pytest.raises(ConfigError) as refused:
            leia.augment(given, enwiki_table, tmp_path / "out", progress=False)
        assert str(refused.value) == (f"the entity table {enwiki_table} is of enwiki, but the {kind} {given} is of "
                                      "jawiki; build the entity table from jawiki's dump (leia entities)")
    assert not (tmp_path / "out").exists()


def test_documents_with_a_foreign_schema(dev, tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(dev["documents"], docs)
    manifest = json.loads((docs / MANIFEST).read_text(encoding="utf-8"))
    manifest["schema"] = "id: int64\ntext: large_string"
    (docs / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(InputError, match="schema"):
        leia.augment(docs, dev["entities"], tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_incomplete_documents(dev, tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(dev["documents"], docs)
    manifest = json.loads((docs / MANIFEST).read_text(encoding="utf-8"))
    manifest["complete"] = False
    (docs / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(InputError, match="not complete"):
        leia.augment(docs, dev["entities"], tmp_path / "out", progress=False)
    manifest["complete"] = True
    (docs / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    (docs / "shard-00004.arrow").unlink()
    with pytest.raises(InputError, match="shard-00004.arrow.*missing"):
        leia.augment(docs, dev["entities"], tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_augmented_folder_as_input(dev, tmp_path):
    with pytest.raises(InputError, match="holds augmented shards"):
        leia.augment(dev["reference"], dev["entities"], tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_missing_input_and_table(dev, tmp_path):
    with pytest.raises(InputError, match="nowhere"):
        leia.augment(tmp_path / "nowhere", dev["entities"], tmp_path / "out", progress=False)
    with pytest.raises(InputError, match="no such entity table"):
        leia.augment(dev["documents"], tmp_path / "none.duckdb", tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_output_of_another_run_is_untouched(dev, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(dev["reference"], out)
    before = _files(out)
    with pytest.raises(OutputError, match="another run"):
        leia.augment(dev["documents"], dev["entities"], out, shard_size=10, seed=4, progress=False)
    with pytest.raises(OutputError, match="another run"):
        leia.extract(dev["dump"], out, shard_size=10, progress=False)
    assert _files(out) == before
    leia.augment(dev["documents"], dev["entities"], out, shard_size=10, seed=4, overwrite=True, progress=False)
    assert _texts(out) != _texts(dev["reference"])
    assert read_manifest(out).parameters["seed"] == 4


# --- stats, preview, augment_dataset ----------------------------------------------------------------------

def test_stats_match_the_shards(dev):
    result = leia.stats(dev["reference"])
    rows = _rows(dev["reference"])
    mentions = [m for r in rows for m in r["mentions"]]
    by_source: dict[str, int] = {}
    for m in mentions:
        by_source[m["source"]] = by_source.get(m["source"], 0) + 1
    named = sum(n for s, n in by_source.items() if s not in ("unknown", "invalid", "overlap"))
    assert result["documents"] == len(rows) == 103
    assert result["mentions"] == len(mentions)
    assert result["spans"] == sum(r["text"].count("<translate>") for r in rows)
    assert result["mentions_by_source"] == dict(sorted(by_source.items()))
    assert result["coverage"] == pytest.approx(named / len(mentions))
    assert result["coverage_by_source"] == pytest.approx(
        {s: n / len(mentions) for s, n in by_source.items() if s in MENTION_SOURCES})
    assert result["no_span_by_reason"] == {s: by_source[s] for s in NO_SPAN_REASONS if s in by_source}
    assert result["parameters"]["seed"] == 3
    counters = read_manifest(dev["reference"]).counters
    assert (result["mentions"], result["spans"]) == (counters["mentions"], counters["spans"])


def test_preview(dev):
    blocks = list(leia.preview(dev["reference"], n=2, width=2000, color=False))
    rows = _rows(dev["reference"])[:2]
    assert blocks == [f"== {r['title']} ==\n{r['text'][:2000]}" for r in rows]
    assert any("<translate>" in b for b in blocks)
    colored = list(leia.preview(dev["reference"], n=1, width=2000, color=True))
    assert "\x1b[1;36m<translate>" in colored[0] and "</translate>\x1b[0m" in colored[0]
    assert len(list(leia.preview(dev["reference"], n=500))) == 103


def test_augment_dataset_equals_augment_batch(dev):
    datasets = pytest.importorskip("datasets")
    documents = pa.Table.from_batches(list(iter_record_batches(dev["documents"], "documents")))
    dataset = datasets.Dataset(documents)
    table = EntityTable(dev["entities"])
    augmented = leia.augment_dataset(dataset, table, prob=0.5, seed=9, batch_size=7)
    expected, _ = augment_batch(documents.combine_chunks().to_batches()[0], table.lookup_with_source,
                                AugmentConfig(prob=0.5, seed=9))
    assert augmented["text"] == expected.column("text").to_pylist()
    assert augmented["mentions"] == expected.column("mentions").to_pylist()
    by_path = leia.augment_dataset(dataset, dev["entities"], prob=0.5, seed=9)
    assert by_path["text"] == augmented["text"]


# --- run ----------------------------------------------------------------------------------------------------

def test_run_on_the_sample_and_rerun_with_another_source(tmp_path):
    from conftest import SAMPLE_LANGLINKS, SAMPLE_WIKIDATA

    paths = leia.run(output=tmp_path, prob=1.0, progress=False)
    assert paths == {"documents": tmp_path / "documents", "entities": tmp_path / "entities.duckdb",
                     "augmented": tmp_path / "augmented"}
    assert leia.stats(paths["augmented"])["documents"] == 14
    table_bytes = paths["entities"].read_bytes()
    with pytest.raises(OutputError, match="entities.duckdb: an entity table built from other inputs"):
        leia.run(output=tmp_path, prob=1.0, wikidata=SAMPLE_WIKIDATA, progress=False)
    assert paths["entities"].read_bytes() == table_bytes
    leia.run(output=tmp_path, prob=1.0, wikidata=SAMPLE_WIKIDATA, overwrite=True, progress=False)
    assert EntityTable(paths["entities"]).lookup(["おにぎり"]) == ["Onigiri"]
    with pytest.raises(ConfigError, match="--langlinks without --dump"):
        leia.run(langlinks=SAMPLE_LANGLINKS, output=tmp_path / "other", progress=False)
    assert not (tmp_path / "other").exists()


# --- outputs that would destroy inputs ----------------------------------------------------------------------

def test_augment_into_its_own_input_folder_is_refused(dev, tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(dev["documents"], docs)
    before = _files(docs)
    with pytest.raises(OutputError, match="holds the input"):
        leia.augment(docs, dev["entities"], docs, overwrite=True, progress=False)
    assert _files(docs) == before


def test_corpus_file_inside_the_output_folder_is_refused(dev, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    corpus = out / "shard-00000.arrow"
    shutil.copy(dev["documents"] / "shard-00000.arrow", corpus)
    with pytest.raises(OutputError, match="holds the input"):
        leia.augment(corpus, dev["entities"], out, overwrite=True, progress=False)
    assert corpus.read_bytes() == (dev["documents"] / "shard-00000.arrow").read_bytes()


def test_files_leia_did_not_write_are_left_alone(dev, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.tmp").write_text("mine")
    (out / "draft.arrow.tmp-1").write_text("mine too")
    leia.augment(dev["documents"], dev["entities"], out, shard_size=10, seed=3, progress=False)
    assert (out / "notes.tmp").read_text() == "mine"
    assert (out / "draft.arrow.tmp-1").read_text() == "mine too"


@pytest.mark.parametrize("line, message", [
    ('[{"text": "a"}]', r"bad\.jsonl:1: not a JSON object"),
    ('{"text": null}', r"bad\.jsonl: document 0 \(counting from 0\) has no text"),
    ('{"id": "a1", "text": "x"}', r"bad\.jsonl: (rows|columns) do not fit the documents schema"),
])
def test_corpus_rows_that_cannot_be_documents_are_refused(dev, tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        leia.augment(path, dev["entities"], tmp_path / "out", progress=False)


def test_an_empty_corpus_file_beside_others_is_read_as_empty(dev, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.jsonl").write_text("", encoding="utf-8")
    (corpus / "b.jsonl").write_text('{"text": "首都はカイロ。"}\n', encoding="utf-8")
    leia.augment(corpus, dev["entities"], tmp_path / "out", progress=False)
    assert _texts(tmp_path / "out") == ["首都はカイロ。"]
    (corpus / "b.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="no documents in these files"):
        leia.augment(corpus, dev["entities"], tmp_path / "out2", progress=False)
