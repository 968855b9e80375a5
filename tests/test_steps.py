"""The step protocol and the local executor: any step that says how its input is cut into batches and what
its work is on one batch runs the same whatever the workers, with its side outputs written shard for shard
and resumed with the main one; mention detection as a step of its own feeds augmentation as extracted
documents do."""

from __future__ import annotations

import inspect
import json
from functools import partial
from pathlib import Path

import pyarrow as pa
import pytest

from leia.errors import ConfigError
from leia.execute.local import run_step
from leia.io.manifest import Manifest, read_manifest
from leia.io.shards import iter_record_batches
from leia.steps.protocol import Batch, Chain, Sink, Step, WorkResult

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DUMP = REPO / "data" / "sample-jawiki-pages-articles.xml"
SAMPLE_LANGLINKS = REPO / "data" / "sample-jawiki-langlinks.sql"

NUMBERS = pa.schema([("n", pa.int64())])
SQUARES = pa.schema([("n", pa.int64()), ("square", pa.int64())])


def square(numbers: list[int], odd: bool) -> WorkResult:
    """n -> (n, n*n), with the odd numbers as the side output ``odd`` when ``odd``."""
    rows = pa.RecordBatch.from_pylist([{"n": n, "square": n * n} for n in numbers], schema=SQUARES)
    sides = {"odd": pa.RecordBatch.from_pylist([{"n": n} for n in numbers if n % 2], schema=NUMBERS)} if odd else {}
    return WorkResult(rows, {"numbers": len(numbers)}, sides)


class Numbers(Step):
    """A step over the numbers 0..count-1, ``per_shard`` to a shard, two to a batch; the odd ones to ``side``."""

    schema = SQUARES

    def __init__(self, count: int, per_shard: int, side: Path | None = None):
        self.count, self.per_shard, self.read = count, per_shard, []
        self.manifest = Manifest("squares", [], {"count": count}, SQUARES.to_string())
        self.sinks = {"odd": Sink(side, Manifest("odd", [], {}, NUMBERS.to_string()), NUMBERS)} if side else {}

    def batches(self, skip):
        for start in range(0, self.count, 2):
            if (shard := start // self.per_shard) not in skip:
                self.read.append(shard)
                yield Batch(shard, list(range(start, min(start + 2, self.count))), {"read": 1}, 2)

    def work(self):
        return partial(square, odd=bool(self.sinks))


def test_the_toy_step_takes_under_15_lines():
    """The step above is all a new step writes (the work aside): the protocol's defaults do the rest."""
    lines = [line for line in inspect.getsource(Numbers).splitlines() if line.strip()]
    assert len(lines) < 15, "\n".join(lines)
    assert {name for name in vars(Numbers) if not name.startswith("__")} == {"schema", "batches", "work"}


def _rows(folder: Path, kind: str) -> list[dict]:
    return [row for rb in iter_record_batches(folder, kind) for row in rb.to_pylist()]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_step_with_a_side_output_writes_both_shard_for_shard(tmp_path, workers):
    step = Numbers(10, 4, side=tmp_path / "odd")
    manifest = run_step(step, tmp_path / "squares", workers=workers, progress=False)
    assert manifest.complete and [s["index"] for s in manifest.shards] == [0, 1, 2]
    assert [s["counters"] for s in manifest.shards] == [{"read": 2, "numbers": 4}, {"read": 2, "numbers": 4},
                                                        {"read": 1, "numbers": 2}]
    assert _rows(tmp_path / "squares", "squares") == [{"n": n, "square": n * n} for n in range(10)]
    side = read_manifest(tmp_path / "odd", "odd")
    assert side.complete and [(s["index"], s["rows"]) for s in side.shards] == [(0, 2), (1, 2), (2, 1)]
    assert _rows(tmp_path / "odd", "odd") == [{"n": n} for n in (1, 3, 5, 7, 9)]


def test_a_shard_missing_from_a_side_output_is_done_again(tmp_path):
    run_step(Numbers(10, 4, side=tmp_path / "odd"), tmp_path / "squares", progress=False)
    before = (tmp_path / "squares" / "shard-00001.arrow").read_bytes()
    side = read_manifest(tmp_path / "odd")
    side.shards = [s for s in side.shards if s["index"] != 1]
    side.complete = False
    side.save(tmp_path / "odd")
    (tmp_path / "odd" / "shard-00001.arrow").unlink()
    again = Numbers(10, 4, side=tmp_path / "odd")
    run_step(again, tmp_path / "squares", progress=False)
    assert again.read == [1, 1]  # only shard 1 (its two batches) is read again
    assert (tmp_path / "squares" / "shard-00001.arrow").read_bytes() == before
    assert _rows(tmp_path / "odd", "odd") == [{"n": n} for n in (1, 3, 5, 7, 9)]


def test_a_bad_number_of_workers_is_a_config_error(tmp_path):
    for workers in (0, -1, True, 1.5):
        with pytest.raises(ConfigError, match="workers must be a whole number of at least 1"):
            run_step(Numbers(4, 2), tmp_path / "out", workers=workers, progress=False)
    assert not (tmp_path / "out").exists()


def test_publishing_a_shard_lists_it_then_shows_its_file_then_writes_the_card(tmp_path):
    """The one order every executor publishes a shard in: a visible shard is always a listed one."""
    from leia.execute.output import publish_shard
    from leia.io.shards import ShardWriter

    events = []
    shard = tmp_path / "shard-00000.arrow"

    class Watched(Manifest):
        def save(self, folder, card=True):
            events.append(("manifest", [s["file"] for s in self.shards], shard.exists(), card))
            super().save(folder, card=card)

        def save_card(self, folder):
            events.append(("card", shard.exists()))
            super().save_card(folder)

    writer = ShardWriter(shard, NUMBERS)
    writer.write_rows([{"n": 1}])
    writer.close(publish=False)
    publish_shard(tmp_path, Watched("odd", [], {}, NUMBERS.to_string()), writer.entry(0, {}), writer.tmp)
    assert events == [("manifest", ["shard-00000.arrow"], False, False), ("card", True)]
    assert _rows(tmp_path, "odd") == [{"n": 1}] and not writer.tmp.exists()


def test_chain_adds_up_the_counters_of_its_stages():
    chain = Chain(lambda x: (x + 1, {"a": 1}), lambda x: (x * 10, {"a": 2, "b": 1}))
    assert chain(1) == (20, {"a": 3, "b": 1})


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> dict[str, Path]:
    from leia.api import extract
    from leia.entities import build_entities
    from leia.mentions import build_mentions

    tmp = tmp_path_factory.mktemp("steps")
    extract(SAMPLE_DUMP, tmp / "documents", progress=False)
    build_entities(tmp / "entities.duckdb", dump=SAMPLE_DUMP, langlinks=SAMPLE_LANGLINKS, progress=False)
    build_mentions(tmp / "documents", tmp / "entities.duckdb", tmp / "mentions.duckdb", progress=False)
    corpus = tmp / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"text": f"{i}年、カイロからナイル川を下ってエジプトの地中海へ。"},
                                         ensure_ascii=False) + "\n" for i in range(30)), encoding="utf-8")
    return {"entities": tmp / "entities.duckdb", "mentions": tmp / "mentions.duckdb", "corpus": corpus}


@pytest.mark.parametrize("workers", [1, 2])
def test_detection_as_a_step_then_augmentation_equals_augmentation_that_detects(sample, tmp_path, workers):
    from leia.api import augment, detect_mentions

    detected = detect_mentions(sample["corpus"], tmp_path / "detected", mentions=sample["mentions"],
                               entities=sample["entities"], shard_size=8, workers=workers, progress=False)
    assert detected.kind == "documents" and len(detected.shards) == 4
    assert detected.counters["documents_detected"] == detected.counters["documents"] == 30
    assert detected.parameters["mentions"]["path"] == "mentions.duckdb"
    augment(tmp_path / "detected", sample["entities"], tmp_path / "two-steps", seed=1, progress=False)
    augment(sample["corpus"], sample["entities"], tmp_path / "one-step", mentions=sample["mentions"], seed=1,
            shard_size=8, progress=False)
    two = [(r["text"], r["mentions"]) for r in _rows(tmp_path / "two-steps", "augmented")]
    one = [(r["text"], r["mentions"]) for r in _rows(tmp_path / "one-step", "augmented")]
    assert two == one and len(one) == 30
    assert "カイロ<translate>Cairo</translate>" in "".join(text for text, _ in one)


def test_augmenting_an_html_dump_equals_augmenting_the_documents_extracted_from_it(sample, tmp_path):
    """A dump given to augmentation is extracted on the fly by the route of its kind (Parsoid HTML here)."""
    from leia.api import augment, extract

    html = REPO / "data" / "sample-jawiki-NS0-ENTERPRISE-HTML.ndjson"
    extract(html, tmp_path / "documents", shard_size=2, progress=False)
    options = dict(seed=1, shard_size=2, progress=False)
    from_dump = augment(html, sample["entities"], tmp_path / "from-dump", **options)
    augment(tmp_path / "documents", sample["entities"], tmp_path / "from-documents", **options)
    assert from_dump.counters["spans"] > 0 and from_dump.counters["html_bytes"] > 0
    assert _rows(tmp_path / "from-dump", "augmented") == _rows(tmp_path / "from-documents", "augmented")


def test_detection_needs_something_to_detect(sample, tmp_path):
    from leia.api import detect_mentions

    with pytest.raises(ConfigError, match="nothing to detect"):
        detect_mentions(sample["corpus"], tmp_path / "detected", progress=False)
    assert not (tmp_path / "detected").exists()


def test_the_cli_runs_detection_as_its_own_command(sample, tmp_path, capsys):
    from leia.cli import main

    assert main(["mentions", "detect", str(sample["corpus"]), "--mentions", str(sample["mentions"]),
                 "--entities", str(sample["entities"]), "-o", str(tmp_path / "detected"), "--shard-size", "8",
                 "-q"]) == 0
    assert "documents_detected                     30" in capsys.readouterr().out
    rows = _rows(tmp_path / "detected", "documents")
    assert [a["target"] for a in rows[0]["anchors"]] == ["カイロ", "ナイル川", "エジプト", "地中海"]


def test_detection_counts_the_documents_it_passes_on_even_when_it_detects_nothing(sample, tmp_path, capsys):
    """Documents that have anchors are passed on as they are: the run still counts them (it ended with docs=0)."""
    from leia.cli import main

    folder = tmp_path.parent / "documents-with-anchors"
    if not folder.exists():
        from leia.api import extract

        extract(SAMPLE_DUMP, folder, progress=False)
    assert main(["mentions", "detect", str(folder), "--mentions", str(sample["mentions"]), "-o",
                 str(tmp_path / "detected"), "-q"]) == 0
    assert capsys.readouterr().out == f"documents in {tmp_path / 'detected'}\n  {'documents':<28} {14:>12,}\n"


def _tables(path: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        return {name: con.execute(f'SELECT * FROM "{name}" ORDER BY ALL').fetchall() for name in names
                if name != "meta"} | {"meta": dict(con.execute("SELECT * FROM meta").fetchall())}
    finally:
        con.close()


def _one_read_equals_two(dump: Path, langlinks: Path, tmp: Path) -> dict:
    from leia.api import run
    from leia.entities import build_entities

    paths = run(dump, tmp / "run", langlinks=langlinks, workers=2, progress=False)
    pages = read_manifest(tmp / "run" / "pages", "pages")
    assert pages.complete and pages.inputs == read_manifest(paths["documents"], "documents").inputs
    build_entities(tmp / "from-dump.duckdb", dump=dump, langlinks=langlinks, progress=False)
    one, two = _tables(paths["entities"]), _tables(tmp / "from-dump.duckdb")
    assert {k: v for k, v in one["meta"].items() if k != "leia_version"} == \
        {k: v for k, v in two["meta"].items() if k != "leia_version"}
    assert one == two
    return one


def test_run_builds_the_entity_table_from_the_extraction_pass(tmp_path):
    tables = _one_read_equals_two(SAMPLE_DUMP, SAMPLE_LANGLINKS, tmp_path)
    assert len(tables["pages"]) == 23 and any(row[2] == "harvested" for row in tables["mappings"])


@pytest.mark.shared
def test_run_on_the_dev_dump_reads_it_once_for_the_same_entity_table(tmp_path, jawiki_dev_dump, jawiki_dev_langlinks):
    tables = _one_read_equals_two(jawiki_dev_dump, jawiki_dev_langlinks, tmp_path)
    assert len(tables["mappings"]) > 1000


def test_entities_from_a_page_table_of_another_dump_are_refused(tmp_path):
    from leia.api import extract
    from leia.entities import build_entities

    extract(SAMPLE_DUMP, tmp_path / "documents", pages=tmp_path / "pages", progress=False)
    other = tmp_path / "other.xml"
    other.write_bytes(SAMPLE_DUMP.read_bytes().replace("東京".encode(), "京都".encode(), 1))
    with pytest.raises(ConfigError, match="a page table of another dump"):
        build_entities(tmp_path / "e.duckdb", dump=other, pages=tmp_path / "pages", progress=False)
    assert not (tmp_path / "e.duckdb").exists()
    build_entities(tmp_path / "e.duckdb", pages=tmp_path / "pages", langlinks=SAMPLE_LANGLINKS, progress=False)
    assert _tables(tmp_path / "e.duckdb")["meta"]["inputs"].startswith('[{"kind": "dump", "path": "sample-jawiki')


def test_the_cli_extracts_the_page_table_and_builds_the_entity_table_from_it(tmp_path, capsys):
    from leia.cli import main

    assert main(["extract", str(SAMPLE_DUMP), "-o", str(tmp_path / "docs"), "--pages", str(tmp_path / "pages"),
                 "-q"]) == 0
    assert main(["entities", "--pages", str(tmp_path / "pages"), "--langlinks", str(SAMPLE_LANGLINKS),
                 "-o", str(tmp_path / "one.duckdb"), "-q"]) == 0
    assert main(["entities", "--dump", str(SAMPLE_DUMP), "--langlinks", str(SAMPLE_LANGLINKS),
                 "-o", str(tmp_path / "two.duckdb"), "-q"]) == 0
    one, two = _tables(tmp_path / "one.duckdb"), _tables(tmp_path / "two.duckdb")
    assert one["mappings"] == two["mappings"] and one["entities"] == two["entities"] and one["pages"] == two["pages"]


def test_a_step_that_refuses_its_input_leaves_no_output_and_no_lock(tmp_path):
    from leia.errors import InputError

    class Refusing(Numbers):
        def work(self):
            raise InputError("the input is not what it claims")

    with pytest.raises(InputError, match="not what it claims"):
        run_step(Refusing(4, 2), tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()
    run_step(Numbers(4, 2), tmp_path / "out", progress=False)  # and nothing holds the folder
    assert _rows(tmp_path / "out", "squares") == [{"n": n, "square": n * n} for n in range(4)]
