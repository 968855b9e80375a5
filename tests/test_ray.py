"""The Ray engine writes byte for byte what the local engine writes (shard files and manifest.json), for
extraction and for augmentation of a documents folder and of a dump, from the Python API and the CLI. One
local Ray session (2 CPUs) serves the whole module."""

from __future__ import annotations

from pathlib import Path

import pytest

import leia
from leia.cli import main
from leia.execute.ray import SCRATCH
from leia.io.manifest import read_manifest

ray = pytest.importorskip("ray", reason="ray is not installed: pip install 'leia[ray]' to run the Ray engine tests")

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
DUMP = REPO / "data" / "sample-jawiki-pages-articles.xml"
LANGLINKS = REPO / "data" / "sample-jawiki-langlinks.sql"
HTML = REPO / "data" / "sample-jawiki-NS0-ENTERPRISE-HTML.ndjson"
SHARD_SIZE = 2  # 14 articles: 8 shards, several record batches each with batch_size=1


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module", autouse=True)
def ray_session():
    ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True, logging_level="ERROR")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("local")
    leia.extract(DUMP, root / "documents", shard_size=SHARD_SIZE, batch_size=1, progress=False)
    leia.build_entities(root / "entities.duckdb", dump=DUMP, langlinks=LANGLINKS, progress=False)
    return {"documents": root / "documents", "entities": root / "entities.duckdb"}


def test_extract_on_ray_equals_local(tmp_path, built):
    manifest = leia.extract(DUMP, tmp_path / "docs", shard_size=SHARD_SIZE, batch_size=1, progress=False,
                            engine="ray", workers=2)
    assert manifest.complete and len(manifest.shards) == 8
    assert folder_bytes(tmp_path / "docs") == folder_bytes(built["documents"])
    assert not (tmp_path / "docs" / SCRATCH).exists()


def test_extract_html_dump_on_ray_equals_local(tmp_path):
    """An HTML dump (one gzip stream, or ndjson) is read whole by each actor, which keeps its own shards."""
    html = REPO / "data" / "sample-jawiki-NS0-ENTERPRISE-HTML.ndjson"
    local = leia.extract(html, tmp_path / "local", shard_size=1, batch_size=1, progress=False)
    on_ray = leia.extract(html, tmp_path / "ray", shard_size=1, batch_size=1, progress=False, engine="ray",
                          workers=2)
    assert on_ray.complete and len(on_ray.shards) == len(local.shards) > 1 and on_ray.counters == local.counters
    assert folder_bytes(tmp_path / "ray") == folder_bytes(tmp_path / "local")


@pytest.mark.parametrize("dump", [DUMP, HTML], ids=["xml", "html"])
def test_the_page_table_on_ray_equals_local(tmp_path, dump):
    """The side output of extraction is written by the actors and moved into its folder by the driver, as the
    documents are."""
    options = dict(shard_size=SHARD_SIZE, batch_size=1, progress=False)
    leia.extract(dump, tmp_path / "local", pages=tmp_path / "local-pages", **options)
    on_ray = leia.extract(dump, tmp_path / "ray", pages=tmp_path / "ray-pages", engine="ray", workers=2, **options)
    pages = read_manifest(tmp_path / "ray-pages", "pages")
    assert on_ray.complete and pages.complete and len(pages.shards) == len(on_ray.shards) > 1
    assert folder_bytes(tmp_path / "ray") == folder_bytes(tmp_path / "local")
    assert folder_bytes(tmp_path / "ray-pages") == folder_bytes(tmp_path / "local-pages")
    assert not (tmp_path / "ray" / SCRATCH).exists()


def test_ray_refuses_a_step_it_cannot_cut_into_pieces_before_any_work(tmp_path, built):
    from leia.errors import ConfigError
    from leia.execute.ray import run_on_ray
    from leia.steps.detect import DetectStep, RepeatMentions
    from leia.steps.sources import open_source

    source = open_source(built["documents"], shard_size=SHARD_SIZE, batch_size=1)
    step = DetectStep(source, (RepeatMentions(),), built["documents"])
    with pytest.raises(ConfigError, match="mention detection runs on the local engine only"):
        run_on_ray(step, tmp_path / "out", workers=2, progress=False)
    assert not (tmp_path / "out").exists()


def test_augment_dump_on_ray_equals_local(tmp_path, built):
    options = dict(prob=0.5, seed=3, shard_size=SHARD_SIZE, batch_size=1, progress=False)
    local = leia.augment(DUMP, built["entities"], tmp_path / "local", **options)
    on_ray = leia.augment(DUMP, built["entities"], tmp_path / "ray", engine="ray", **options)
    assert on_ray.counters == local.counters and local.counters["spans"] > 0
    assert folder_bytes(tmp_path / "ray") == folder_bytes(tmp_path / "local")


def test_ray_resumes_a_local_run_and_reruns_nothing(tmp_path, built):
    options = dict(prob=0.5, seed=3, shard_size=SHARD_SIZE, batch_size=1, progress=False)
    local = leia.augment(built["documents"], built["entities"], tmp_path / "local", **options)
    partial = tmp_path / "partial"
    leia.augment(built["documents"], built["entities"], partial, num_parts=2, part_index=0, **options)
    # Turn the first part into an interrupted whole run: its shards are kept, the others are computed on Ray.
    manifest = read_manifest(partial)
    manifest.extra.pop("split")
    manifest.complete = False
    manifest.save(partial)
    kept = {p.name: p.stat().st_mtime_ns for p in partial.glob("shard-*.arrow")}
    leia.augment(built["documents"], built["entities"], partial, engine="ray", workers=2, **options)
    assert folder_bytes(partial) == folder_bytes(tmp_path / "local")
    assert {name: (partial / name).stat().st_mtime_ns for name in kept} == kept
    assert read_manifest(partial).counters == local.counters


def test_cli_augment_documents_on_ray_equals_local(tmp_path, built, capsys):
    assert main(["augment", str(built["documents"]), "--entities", str(built["entities"]), "-o",
                 str(tmp_path / "cli-ray"), "--shard-size", str(SHARD_SIZE), "--seed", "5", "--engine", "ray",
                 "--workers", "2", "-q"]) == 0
    assert "augmented documents in" in capsys.readouterr().out
    leia.augment(built["documents"], built["entities"], tmp_path / "local", shard_size=SHARD_SIZE, seed=5,
                 progress=False)
    assert folder_bytes(tmp_path / "cli-ray") == folder_bytes(tmp_path / "local")
