"""What keeps outputs whole: one run per output (a lock naming the other run), manifests checked against their
schema and never trusted as paths, checksums of every shard checked on resume, merge and read, inputs known by
their size, modification time and ends, --overwrite that removes only leia's files, DuckDB files published
only once checkpointed and readable, and the dataset card that lets ``datasets`` read exactly the finished
shards."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import leia
from leia.io.card import features_yaml
from leia.cli import main
from leia.errors import InputError, OutputError
from leia.io.duckdb import atomic_duckdb
from leia.io.files import LOCK, hold, release
from leia.schemas import AUGMENTED, DOCUMENTS
from leia.io.manifest import MANIFEST, read_manifest
from leia.io.shards import iter_record_batches, verify_folder
from leia.execute.parts import merge_manifests

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DUMP = REPO / "data" / "sample-jawiki-pages-articles.xml"
SAMPLE_LANGLINKS = REPO / "data" / "sample-jawiki-langlinks.sql"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "documents"
    leia.extract(SAMPLE_DUMP, out, shard_size=2, progress=False)
    return out


@pytest.fixture(scope="module")
def entities(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("entities") / "entities.duckdb"
    leia.build_entities(path, dump=SAMPLE_DUMP, langlinks=SAMPLE_LANGLINKS, progress=False)
    return path


def _edit_manifest(folder: Path, edit) -> None:
    data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    edit(data)
    (folder / MANIFEST).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


# --- locks ----------------------------------------------------------------------------------------------------

_HOLDER = "import sys, time; from leia.io.files import hold; hold(sys.argv[1], sys.argv[2] == 'folder'); " \
          "print('held', flush=True); time.sleep(600)"


def _hold_elsewhere(path: Path, kind: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path), kind], stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.stdout.readline() == b"held\n"
    return proc


def test_a_folder_another_run_writes_is_refused_naming_it_and_taken_over_once_it_died(tmp_path, docs):
    out = tmp_path / "out"
    proc = _hold_elsewhere(out, "folder")
    try:
        with pytest.raises(OutputError, match=rf"^{out}: another leia run is writing it \(pid {proc.pid} on "
                                              rf"{os.uname().nodename}\); wait for it to finish"):
            leia.extract(SAMPLE_DUMP, out, shard_size=2, progress=False)
        assert sorted(p.name for p in out.iterdir()) == [LOCK]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert (out / LOCK).exists()  # left by the killed run, and taken over
    leia.extract(SAMPLE_DUMP, out, shard_size=2, progress=False)
    assert _files(out) == _files(docs)


def test_a_duckdb_file_another_run_builds_is_refused(tmp_path):
    out = tmp_path / "e.duckdb"
    proc = _hold_elsewhere(out, "file")
    try:
        with pytest.raises(OutputError, match=rf"{out}: another leia run is writing it \(pid {proc.pid} "):
            leia.build_entities(out, dump=SAMPLE_DUMP, langlinks=SAMPLE_LANGLINKS, progress=False)
    finally:
        proc.kill()
        proc.wait()
    assert not out.exists()


def test_the_lock_is_reentrant_in_one_process_and_gone_after_the_run(tmp_path):
    hold(tmp_path / "x")
    hold(tmp_path / "x")
    release(tmp_path / "x")
    assert (tmp_path / "x" / LOCK).read_text().split()[0] == str(os.getpid())
    release(tmp_path / "x")
    assert not (tmp_path / "x" / LOCK).exists()


# --- manifests: schema and paths ------------------------------------------------------------------------------

def _set_shard(key, value):
    def edit(data):
        data["shards"][0][key] = value
    return edit


def _set(key, value):
    def edit(data):
        data[key] = value
    return edit


def _drop_shard_key(key):
    def edit(data):
        del data["shards"][0][key]
    return edit


def _duplicate(data):
    data["shards"][1]["index"] = data["shards"][0]["index"]


BAD_MANIFESTS = [
    (_set_shard("index", "1"), r"shards\[0\]: 'index' must be a whole number >= 0, not '1'"),
    (_set_shard("index", True), r"shards\[0\]: 'index' must be a whole number"),
    (_set_shard("file", "../secret.arrow"), r"shards\[0\]: 'file' must be a shard file name inside the folder"),
    (_set_shard("file", "/etc/passwd"), r"shards\[0\]: 'file' must be a shard file name .* not '/etc/passwd'"),
    (_set_shard("file", "sub/shard-00000.arrow"), r"shards\[0\]: 'file' must be a shard file name"),
    (_set_shard("file", ".."), r"shards\[0\]: 'file' must be a shard file name"),
    (_set_shard("rows", 2.5), r"shards\[0\]: 'rows' must be a whole number"),
    (_set_shard("sha256", "abc"), r"shards\[0\]: 'sha256' must be 64 hexadecimal digits"),
    (_set_shard("counters", {"documents": "2"}), r"shards\[0\]: counters must map names to whole numbers"),
    (_drop_shard_key("sha256"), r"shards\[0\] has no 'sha256'"),
    (_set("complete", "yes"), r"'complete' must be a bool, not str"),
    (_set("shards", {}), r"'shards' must be a list"),
    (_set("inputs", ["dump.xml"]), r"'inputs' must be a list of objects"),
    (_duplicate, r"shards\[1\]: shard 0 \(shard-00001.arrow\) is listed twice"),
]


@pytest.mark.parametrize("edit, message", BAD_MANIFESTS)
def test_a_manifest_that_is_not_leias_is_refused_by_every_reader(tmp_path, docs, entities, edit, message):
    folder = tmp_path / "docs"
    shutil.copytree(docs, folder)
    _edit_manifest(folder, edit)
    pattern = rf"{folder / MANIFEST}: not a leia manifest \({message}"
    with pytest.raises(InputError, match=pattern):
        read_manifest(folder)
    with pytest.raises(InputError, match=pattern):
        list(iter_record_batches(folder))
    with pytest.raises(InputError, match=pattern):
        leia.augment(folder, entities, tmp_path / "aug", progress=False)
    assert not (tmp_path / "aug").exists()
    with pytest.raises(OutputError, match=pattern):
        leia.extract(SAMPLE_DUMP, folder, shard_size=2, progress=False, overwrite=True)
    assert verify_folder(folder)[0].startswith(f"{folder / MANIFEST}: not a leia manifest")


def test_merge_refuses_a_traversing_part_before_touching_anything(tmp_path):
    parts = [tmp_path / f"p{i}" for i in range(2)]
    for i, part in enumerate(parts):
        leia.extract(SAMPLE_DUMP, part, shard_size=2, progress=False, num_parts=2, part_index=i)
    outside = tmp_path / "x.arrow"
    outside.write_bytes(b"not yours")
    _edit_manifest(parts[1], _set_shard("file", "../x.arrow"))
    before = {p: _files(p) for p in parts}
    for move in (False, True):
        with pytest.raises(InputError, match=r"p1/manifest.json: not a leia manifest .*'file' must be a shard file"):
            merge_manifests(parts, tmp_path / "merged", move=move)
    assert not (tmp_path / "merged").exists()
    assert outside.read_bytes() == b"not yours"
    assert {p: _files(p) for p in parts} == before


# --- checksums ------------------------------------------------------------------------------------------------

def _swap(path: Path) -> None:
    """The same number of bytes, other content (a shard of another run, a flipped bit)."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_resume_redoes_a_swapped_or_truncated_shard(tmp_path, docs):
    out = tmp_path / "out"
    shutil.copytree(docs, out)
    _edit_manifest(out, _set("complete", False))
    _swap(out / "shard-00001.arrow")
    (out / "shard-00003.arrow").write_bytes((out / "shard-00003.arrow").read_bytes()[:100])
    leia.extract(SAMPLE_DUMP, out, shard_size=2, progress=False)
    assert _files(out) == _files(docs)


def test_reading_a_swapped_shard_is_refused_naming_it(tmp_path, docs, entities):
    folder = tmp_path / "docs"
    shutil.copytree(docs, folder)
    _swap(folder / "shard-00002.arrow")
    message = rf"{folder / 'shard-00002.arrow'}: does not match its size and checksum in the manifest"
    with pytest.raises(InputError, match=message):
        list(iter_record_batches(folder))
    with pytest.raises(InputError, match=message):
        leia.augment(folder, entities, tmp_path / "aug", progress=False)
    assert verify_folder(folder) == [f"{folder / 'shard-00002.arrow'}: does not match its checksum in the manifest "
                                     "(damaged or replaced)"]
    parts = [tmp_path / f"p{i}" for i in range(2)]
    for i, part in enumerate(parts):
        leia.extract(SAMPLE_DUMP, part, shard_size=2, progress=False, num_parts=2, part_index=i)
    _swap(parts[0] / "shard-00002.arrow")
    with pytest.raises(InputError, match=r"p0: shard shard-00002.arrow does not match its checksum"):
        merge_manifests(parts, tmp_path / "merged")
    assert not (tmp_path / "merged").exists()


@pytest.mark.parametrize("change, reason", [
    (lambda p: p.write_bytes(p.read_bytes() + b"\n"), r"its size changed from \d+ to \d+ bytes"),
    (lambda p: p.write_bytes(p.read_bytes().replace("東京".encode(), "京東".encode(), 1)),
     r"its content changed \(same size\)"),
    (lambda p: os.utime(p, (p.stat().st_atime, p.stat().st_mtime + 10)), r"it was modified since"),
])
def test_a_changed_input_is_refused_with_the_reason(tmp_path, change, reason):
    dump = tmp_path / "dump.xml"
    shutil.copyfile(SAMPLE_DUMP, dump)
    out = tmp_path / "out"
    leia.extract(dump, out, shard_size=2, progress=False)
    _edit_manifest(out, _set("complete", False))
    change(dump)
    before = _files(out)
    with pytest.raises(OutputError, match=rf"{out}: the input dump.xml is not the one this folder was written from: "
                                          rf"{reason}.*pass --overwrite"):
        leia.extract(dump, out, shard_size=2, progress=False)
    assert _files(out) == before


# --- --overwrite ----------------------------------------------------------------------------------------------

def test_overwrite_removes_only_the_files_the_old_manifest_lists(tmp_path, docs):
    out = tmp_path / "out"
    leia.extract(SAMPLE_DUMP, out, shard_size=3, progress=False)
    (out / "shard-2019-backup.parquet").write_bytes(b"mine")
    (out / "notes.txt").write_text("mine too")
    leia.extract(SAMPLE_DUMP, out, shard_size=2, progress=False, overwrite=True)
    assert (out / "shard-2019-backup.parquet").read_bytes() == b"mine"
    assert (out / "notes.txt").read_text() == "mine too"
    assert {k: v for k, v in _files(out).items() if k not in ("shard-2019-backup.parquet", "notes.txt")} == \
        _files(docs)


def test_an_interrupted_overwrite_left_a_manifest_that_finishes_the_removal(tmp_path, docs):
    out = tmp_path / "out"
    leia.extract(SAMPLE_DUMP, out, shard_size=3, progress=False)
    old = read_manifest(out)
    # What --overwrite writes before it removes the old shards: the new run's manifest naming them.
    new = read_manifest(docs)
    new.shards, new.complete = [], False
    new.extra["removing"] = [s["file"] for s in old.shards]
    new.save(out)
    leia.extract(SAMPLE_DUMP, out, shard_size=2, progress=False)
    assert _files(out) == _files(docs)


# --- DuckDB files ---------------------------------------------------------------------------------------------

def test_a_duckdb_build_is_checkpointed_checked_and_leaves_nothing_else(tmp_path):
    out = tmp_path / "e.duckdb"
    (tmp_path / ".e.duckdb.tmp-99999").write_bytes(b"left by a killed run")
    (tmp_path / ".e.duckdb.tmp-99999.wal").write_bytes(b"its log")
    (tmp_path / ".e.duckdb.names.tmp-99999").write_bytes(b"and its names file")
    leia.build_entities(out, dump=SAMPLE_DUMP, langlinks=SAMPLE_LANGLINKS, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.duckdb", "e.duckdb.names"]
    assert main(["verify", str(out)]) == 0


def test_a_failed_duckdb_build_publishes_nothing_and_keeps_the_old_file(tmp_path):
    out = tmp_path / "t.duckdb"
    with atomic_duckdb(out) as con:
        con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
        con.execute("INSERT INTO meta VALUES ('leia_version', '0')")
    before = out.read_bytes()
    with pytest.raises(RuntimeError, match="stop"):
        with atomic_duckdb(out, overwrite=True) as con:
            con.execute("CREATE TABLE big AS SELECT range AS x FROM range(100000)")
            raise RuntimeError("stop")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.duckdb"]
    assert out.read_bytes() == before
    with pytest.raises(OutputError, match="is a folder"):
        with atomic_duckdb(tmp_path):
            pass


_FULL = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
from leia.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("argv, limit", [
    (["entities", "--dump", str(SAMPLE_DUMP), "--langlinks", str(SAMPLE_LANGLINKS), "-o", "{out}/e.duckdb", "-q"], 20_000),
    (["extract", str(SAMPLE_DUMP), "-o", "{out}/docs", "--shard-size", "2", "-q"], 2_500),
])
def test_a_full_disk_gives_one_line_and_publishes_nothing_broken(tmp_path, argv, limit):
    """A file-size limit stands in for a full disk: every write past it fails, as on a full device."""
    out = tmp_path / "out"
    out.mkdir()
    argv = [a.replace("{out}", str(out)) for a in argv]
    result = subprocess.run([sys.executable, "-c", _FULL.format(limit=limit), *argv], capture_output=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    err = result.stderr.decode()
    assert result.returncode == 1, err
    assert err.count("\n") == 1 and "cannot write (no space left on the device" in err, err
    visible = [p for p in out.rglob("*") if ".tmp-" in p.name or p.suffix == ".wal"]
    assert visible == []
    assert not (out / "e.duckdb").exists()
    if (out / "docs").exists():
        assert verify_folder(out / "docs")[0].startswith(f"{out / 'docs'}: incomplete")
        assert all(line.endswith("to finish it") for line in verify_folder(out / "docs"))


# --- the dataset card and `datasets` --------------------------------------------------------------------------

def test_the_card_features_are_those_datasets_derives_from_the_schema():
    datasets = pytest.importorskip("datasets")
    for schema in (DOCUMENTS, AUGMENTED):
        assert datasets.Features._from_yaml_list(features_yaml(schema)) == \
            datasets.Features.from_arrow_schema(schema)


def test_load_dataset_reads_exactly_the_finished_shards(tmp_path, docs):
    datasets = pytest.importorskip("datasets")
    folder = tmp_path / "docs"
    shutil.copytree(docs, folder)
    manifest = read_manifest(folder)
    manifest.shards, manifest.complete = manifest.shards[:3], False  # a run stopped after three shards
    manifest.save(folder)
    for name in ("shard-00003.arrow", "shard-00004.arrow", "shard-00005.arrow", "shard-00006.arrow",
                 "shard-00007.arrow"):
        (folder / name).unlink(missing_ok=True)
    shutil.copyfile(docs / "shard-00003.arrow", folder / ".shard-00003.arrow.tmp-4242")  # one in the making
    cache = tmp_path / "cache"
    whole = datasets.load_dataset(str(folder), split="train", cache_dir=str(cache))
    assert whole.num_rows == sum(s["rows"] for s in manifest.shards) == 6
    assert whole["id"] == [i for rb in iter_record_batches(folder) for i in rb.column("id").to_pylist()]
    assert whole.features == datasets.Features.from_arrow_schema(DOCUMENTS)
    globbed = datasets.load_dataset("arrow", data_files=str(folder / "shard-*.arrow"), split="train",
                                    cache_dir=str(cache))
    assert globbed["id"] == whole["id"]
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\nlicense: cc-by-sa-4.0\nlanguage:\n- ja\n")
    assert "**incomplete**: 3 finished shards so far" in card
    assert "- source dump: sample-jawiki-pages-articles.xml\n" in card
    assert '"shard_size": 2' in card and '"documents": 6' in card


def test_load_dataset_reads_the_card_without_a_warning(tmp_path, docs, entities):
    """The card's YAML is what ``datasets`` (and the Hub) read without complaint: its split with name, examples
    and bytes, the sizes, the features."""
    import logging
    import warnings

    import yaml

    datasets = pytest.importorskip("datasets")
    augmented = tmp_path / "augmented"
    leia.augment(docs, entities, augmented, progress=False)

    class Records(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.WARNING)
            self.lines: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.lines.append(f"{record.name}: {record.getMessage()}")

    records = Records()
    logging.getLogger("datasets").addHandler(records)
    try:
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            loaded = {folder.name: datasets.load_dataset(str(folder), split="train", cache_dir=str(tmp_path / "cache"))
                      for folder in (docs, augmented)}
    finally:
        logging.getLogger("datasets").removeHandler(records)
    assert records.lines == [] and [str(w.message) for w in warned] == []
    for folder in (docs, augmented):
        manifest = read_manifest(folder)
        rows, size = sum(s["rows"] for s in manifest.shards), sum(s["size"] for s in manifest.shards)
        assert loaded[folder.name].info.splits["train"].num_examples == loaded[folder.name].num_rows == rows
        header = yaml.safe_load((folder / "README.md").read_text(encoding="utf-8").split("---\n")[1])
        info = header["dataset_info"]
        assert info["splits"] == [{"name": "train", "num_bytes": size, "num_examples": rows}]
        assert (info["download_size"], info["dataset_size"]) == (size, size)


def test_verify_says_what_is_wrong(tmp_path, docs, capsys):
    folder = tmp_path / "docs"
    shutil.copytree(docs, folder)
    assert main(["verify", str(folder)]) == 0
    assert capsys.readouterr().out == f"{folder}: ok\n"
    (folder / "shard-00004.arrow").unlink()
    (folder / "shard-00009.arrow").write_bytes(b"stray")
    (folder / ".shard-00005.arrow.tmp-7").write_bytes(b"half")
    _edit_manifest(folder, _set("complete", False))
    assert main(["verify", str(folder)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{folder}: incomplete (8 shards finished); rerun the command that wrote it to finish it",
        f"{folder / 'shard-00004.arrow'}: is missing",
        f"{folder / '.shard-00005.arrow.tmp-7'}: left by a run that was stopped (removed when the run is resumed)",
        f"{folder / 'shard-00009.arrow'}: a shard file the manifest does not list",
        f"{folder / 'README.md'}: missing or not the dataset card of this manifest",
    ]


def test_stats_and_preview_of_an_unfinished_folder_warn(tmp_path, docs, entities, caplog):
    out = tmp_path / "aug"
    leia.augment(docs, entities, out, progress=False)
    _edit_manifest(out, _set("complete", False))
    with caplog.at_level("WARNING"):
        assert leia.stats(out)["complete"] is False
        list(leia.preview(out, n=1))
    assert [r.getMessage() for r in caplog.records] == [
        f"{out}: the run that writes it has not finished ({len(read_manifest(out).shards)} shards so far); these "
        "figures cover the finished shards only"] * 2


def test_verify_a_duckdb_file(tmp_path, entities, capsys):
    copy = tmp_path / "e.duckdb"
    shutil.copyfile(entities, copy)
    assert main(["verify", str(copy)]) == 0
    assert capsys.readouterr().out == f"{copy}: ok\n"
    Path(str(copy) + ".wal").write_bytes(b"")
    (tmp_path / "other.duckdb").write_bytes(b"not a database")
    assert main(["verify", str(copy), str(tmp_path / "other.duckdb")]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{copy}.wal: a write-ahead log beside the table (its build did not finish cleanly)"
    assert lines[-1].startswith(f"{tmp_path / 'other.duckdb'}: not a DuckDB file that opens (")


def test_a_run_that_fails_before_its_first_shard_leaves_no_folder(tmp_path, entities):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a"}\n' * 3 + '{"text": "\\ud800"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.jsonl:4: text holds a lone surrogate"):
        leia.augment(bad, entities, tmp_path / "new" / "out", batch_size=2, progress=False)
    assert not (tmp_path / "new" / "out").exists()
    (tmp_path / "kept").mkdir()
    with pytest.raises(InputError):
        leia.augment(bad, entities, tmp_path / "kept", batch_size=2, progress=False)
    assert (tmp_path / "kept").is_dir()


def test_an_interrupted_merge_is_taken_up_by_a_rerun(tmp_path, docs):
    parts = [tmp_path / f"p{i}" for i in range(2)]
    for i, part in enumerate(parts):
        leia.extract(SAMPLE_DUMP, part, shard_size=2, progress=False, num_parts=2, part_index=i)
    merged = tmp_path / "merged"
    merged.mkdir()
    # What a merge killed after adopting the first part leaves: its manifest listing part 0's shards, and
    # their files.
    manifest = read_manifest(docs)
    manifest.shards = [s for s in manifest.shards if s["index"] % 2 == 0]
    manifest.complete = False
    manifest.save(merged)
    for s in manifest.shards:
        shutil.copyfile(parts[0] / s["file"], merged / s["file"])
    merge_manifests(parts, merged)
    assert _files(merged) == _files(docs)
