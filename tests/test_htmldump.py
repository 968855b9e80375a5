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
from leia.extraction import extract
from leia.shards import MANIFEST, read_manifest
from leia.wiki.htmldump import HtmlDumpReader, is_html_dump

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample-jawiki-NS0-ENTERPRISE-HTML.ndjson"


def _rows(folder: Path) -> list[dict]:
    rows = []
    for shard in read_manifest(folder, "documents").shards:
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
