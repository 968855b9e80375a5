"""Golden outputs: what `leia run` writes on the sample in data/ and on the real dev dump, pinned by the
checksums of its shards and the counters and parameters of its manifests. A change that alters the corpus
must regenerate them in the same commit, deliberately:

    LEIA_REGENERATE_GOLDEN=1 python -m pytest tests/test_golden.py

(the run then rewrites tests/golden/*.json and fails, so that a regeneration is never silent)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from leia.api import run
from leia.io.manifest import read_manifest

GOLDEN = Path(__file__).parent / "golden"


def _summary(out: Path) -> dict:
    summary: dict = {}
    for step in ("documents", "augmented"):
        manifest = read_manifest(out / step, step)
        summary[step] = {
            "shards": [{"file": s["file"], "rows": s["rows"], "sha256": s["sha256"]} for s in manifest.shards],
            "counters": manifest.counters,
            "parameters": manifest.parameters,
        }
    con = duckdb.connect(str(out / "entities.duckdb"), read_only=True)
    try:
        tables = [row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        summary["entities"] = {
            table: con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables if table != "meta"
        }
    finally:
        con.close()
    return summary


def _check(name: str, summary: dict) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(summary, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if os.environ.get("LEIA_REGENERATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        pytest.fail(f"{path} regenerated: review the diff and commit it")
    assert path.is_file(), f"{path} is missing: run with LEIA_REGENERATE_GOLDEN=1 to write it"
    assert json.loads(text) == json.loads(path.read_text(encoding="utf-8"))


def test_golden_sample(tmp_path):
    out = tmp_path / "run"
    run(output=out, workers=1, progress=False)
    _check("sample", _summary(out))


@pytest.mark.shared
def test_golden_dev_dump(tmp_path, jawiki_dev_dump, jawiki_dev_langlinks):
    out = tmp_path / "run"
    run(output=out, dump=jawiki_dev_dump, langlinks=jawiki_dev_langlinks, workers=2, progress=False)
    _check("jawiki-country-dev", _summary(out))
