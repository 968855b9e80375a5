"""Shard folders: atomic shard files, the manifest, and what ``open_output`` does with a folder that already
holds something (resume the same run, refuse another run's shards, clear them only when asked)."""

from __future__ import annotations

import hashlib
import json
import os

import pyarrow as pa
import pytest

from leia.errors import InputError, OutputError
from leia.schemas import DOCUMENTS
from leia.io.files import LOCK
from leia.io.folders import open_output
from leia.io.manifest import MANIFEST, Manifest, read_manifest, shard_name
from leia.io.card import CARD
from leia.io.shards import ShardWriter, iter_record_batches, schema_matches


def _rows(first: int, n: int) -> list[dict]:
    return [{"id": i, "title": f"t{i}", "text": f"本文{i}", "anchors": [{"start": 0, "end": 2, "target": "本文",
                                                                      "english": None}]}
            for i in range(first, first + n)]


def _manifest(**parameters) -> Manifest:
    return Manifest(kind="documents", inputs=[{"path": "dump.xml", "size": 10}],
                    parameters={"shard_size": 2, **parameters}, schema=DOCUMENTS.to_string())


def _write_shard(folder, manifest: Manifest, index: int, rows: list[dict], counters: dict) -> None:
    writer = ShardWriter(folder / shard_name(index), DOCUMENTS)
    writer.write_rows(rows)
    writer.close()
    manifest.add_shard(writer.entry(index, counters))
    manifest.save(folder)


def _names(folder) -> list[str]:
    """What a reader of the folder sees: every file but the lock."""
    return sorted(p.name for p in folder.iterdir() if p.name != LOCK)


def test_shard_name():
    assert shard_name(0) == "shard-00000.arrow"
    assert shard_name(123) == "shard-00123.arrow"


def test_writer_publishes_on_close(tmp_path):
    path = tmp_path / shard_name(0)
    writer = ShardWriter(path, DOCUMENTS)
    writer.write_rows(_rows(0, 3))
    writer.write_rows([])
    assert not path.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".shard-00000.arrow.tmp-{os.getpid()}"]
    writer.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shard-00000.arrow"]
    assert writer.rows == 3
    assert writer.size == path.stat().st_size
    assert writer.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert writer.entry(0, {"documents": 3}) == {"index": 0, "file": "shard-00000.arrow", "rows": 3,
                                                 "size": writer.size, "sha256": writer.sha256,
                                                 "counters": {"documents": 3}}
    with pa.OSFile(str(path), "rb") as f:
        table = pa.ipc.open_stream(f).read_all()
    assert table.schema.equals(DOCUMENTS)
    assert table.to_pylist() == _rows(0, 3)


def test_writer_abort_leaves_nothing(tmp_path):
    writer = ShardWriter(tmp_path / shard_name(4), DOCUMENTS)
    writer.write_rows(_rows(0, 2))
    writer.abort()
    assert list(tmp_path.iterdir()) == []


def test_open_output_fresh(tmp_path):
    out, manifest = open_output(tmp_path / "new" / "docs", _manifest())
    assert out.is_dir() and _names(out) == []
    assert manifest.shards == [] and not manifest.complete


def test_open_output_refuses_a_file(tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(OutputError, match="not a folder"):
        open_output(path, _manifest())


def test_resume_keeps_finished_shards_and_drops_temporaries(tmp_path):
    first = _manifest()
    out, first = open_output(tmp_path, first)
    _write_shard(out, first, 0, _rows(0, 2), {"documents": 2, "anchors": 2})
    _write_shard(out, first, 1, _rows(2, 2), {"documents": 2, "anchors": 2})
    (out / ".shard-00002.arrow.tmp-123").write_bytes(b"half a shard")
    (out / f".{MANIFEST}.tmp-123").write_bytes(b"{")
    before = (out / shard_name(0)).read_bytes()

    _, resumed = open_output(tmp_path, _manifest())
    assert [s["index"] for s in resumed.shards] == [0, 1]
    assert resumed.counters == {"anchors": 4, "documents": 4}
    assert _names(out) == [CARD, MANIFEST, shard_name(0), shard_name(1)]
    assert (out / shard_name(0)).read_bytes() == before


def test_resume_forgets_a_listed_shard_whose_file_is_gone(tmp_path):
    out, manifest = open_output(tmp_path, _manifest())
    _write_shard(out, manifest, 0, _rows(0, 2), {"documents": 2})
    _write_shard(out, manifest, 1, _rows(2, 2), {"documents": 2})
    (out / shard_name(1)).unlink()
    _, resumed = open_output(tmp_path, _manifest())
    assert [s["index"] for s in resumed.shards] == [0]


def test_another_run_is_refused_and_untouched(tmp_path):
    out, manifest = open_output(tmp_path, _manifest())
    _write_shard(out, manifest, 0, _rows(0, 2), {"documents": 2})
    snapshot = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(OutputError, match=str(tmp_path) + ".*another run.*--overwrite"):
        open_output(tmp_path, _manifest(converter="2"))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == snapshot
    other_kind = Manifest(kind="augmented", inputs=manifest.inputs, parameters=manifest.parameters, schema="")
    with pytest.raises(OutputError):
        open_output(tmp_path, other_kind)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == snapshot


def test_overwrite_clears_another_run(tmp_path):
    out, manifest = open_output(tmp_path, _manifest())
    _write_shard(out, manifest, 0, _rows(0, 2), {"documents": 2})
    _write_shard(out, manifest, 1, _rows(2, 2), {"documents": 2})
    _, fresh = open_output(tmp_path, _manifest(converter="2"), overwrite=True)
    assert fresh.shards == []
    assert _names(out) == [CARD, MANIFEST]
    assert read_manifest(out).parameters == {"shard_size": 2, "converter": "2"}
    assert read_manifest(out).shards == []


def test_overwrite_of_the_same_run_starts_afresh(tmp_path):
    out, manifest = open_output(tmp_path, _manifest())
    _write_shard(out, manifest, 0, _rows(0, 2), {"documents": 2})
    _, fresh = open_output(tmp_path, _manifest(), overwrite=True)
    assert fresh.shards == [] and _names(out) == [CARD, MANIFEST]


def test_shards_without_manifest_are_refused(tmp_path):
    writer = ShardWriter(tmp_path / shard_name(0), DOCUMENTS)
    writer.write_rows(_rows(0, 1))
    writer.close()
    for overwrite in (False, True):  # not leia's to remove: no manifest lists it
        with pytest.raises(OutputError, match="without a manifest"):
            open_output(tmp_path, _manifest(), overwrite=overwrite)
        assert _names(tmp_path) == [shard_name(0)]


def test_unreadable_manifest_is_refused(tmp_path):
    (tmp_path / MANIFEST).write_text("{not json", encoding="utf-8")
    for overwrite in (False, True):
        with pytest.raises(OutputError, match="unreadable manifest"):
            open_output(tmp_path, _manifest(), overwrite=overwrite)
        assert (tmp_path / MANIFEST).read_text(encoding="utf-8") == "{not json"


def test_manifest_counters_sum_the_shards(tmp_path):
    out, manifest = open_output(tmp_path, _manifest())
    _write_shard(out, manifest, 0, _rows(0, 2), {"documents": 2, "anchors": 5, "skipped_redirect": 1})
    _write_shard(out, manifest, 1, _rows(2, 1), {"documents": 1, "anchors": 3})
    assert manifest.counters == {"anchors": 8, "documents": 3, "skipped_redirect": 1}
    on_disk = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert on_disk["counters"] == {"anchors": 8, "documents": 3, "skipped_redirect": 1}
    assert [s["rows"] for s in on_disk["shards"]] == [2, 1]
    assert on_disk["kind"] == "documents" and on_disk["complete"] is False


def test_manifest_round_trip_keeps_extra_keys(tmp_path):
    manifest = _manifest()
    manifest.extra = {"wiki": {"dbname": "jawiki"}}
    manifest.complete = True
    manifest.save(tmp_path)
    back = read_manifest(tmp_path, "documents")
    assert back.to_dict() == manifest.to_dict()
    assert back.extra == {"wiki": {"dbname": "jawiki"}}


def test_read_manifest_errors(tmp_path):
    with pytest.raises(InputError, match="no manifest.json"):
        read_manifest(tmp_path)
    _manifest().save(tmp_path)
    with pytest.raises(InputError, match="holds documents shards, expected augmented"):
        read_manifest(tmp_path, "augmented")


def test_iter_record_batches_in_shard_order(tmp_path):
    out, manifest = open_output(tmp_path, _manifest())
    _write_shard(out, manifest, 1, _rows(2, 2), {})
    _write_shard(out, manifest, 0, _rows(0, 2), {})
    manifest.shards.sort(key=lambda s: s["index"])
    manifest.save(out)
    ids = [i for rb in iter_record_batches(out, "documents") for i in rb.column("id").to_pylist()]
    assert ids == [0, 1, 2, 3]


def test_schema_matches():
    assert schema_matches(DOCUMENTS, DOCUMENTS)
    assert schema_matches(DOCUMENTS.append(pa.field("extra", pa.int8())), DOCUMENTS)
    assert not schema_matches(DOCUMENTS.remove(3), DOCUMENTS)
    assert not schema_matches(DOCUMENTS.set(0, pa.field("id", pa.int32())), DOCUMENTS)
