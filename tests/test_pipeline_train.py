"""pipelines/train_leia.py end to end: a tiny Llama (--smoke) trained for a few steps on a hand-made shard folder."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pyarrow as pa
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from leia.schemas import AUGMENTED  # noqa: E402
from leia.io.manifest import Manifest  # noqa: E402
from leia.io.shards import ShardWriter  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = json.loads((Path(__file__).parent / "fixtures" / "training_augmented.json").read_text(encoding="utf-8"))


def load_pipeline():
    spec = importlib.util.spec_from_file_location("train_leia", ROOT / "pipelines" / "train_leia.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_train_leia_runs_and_saves_the_model(tmp_path, capsys, tokenizer_path):
    data = tmp_path / "augmented"
    data.mkdir()
    writer = ShardWriter(data / "shard-00000.arrow", AUGMENTED)
    writer.write_batch(pa.RecordBatch.from_pylist(DOCUMENTS[:3], schema=AUGMENTED))
    writer.write_batch(pa.RecordBatch.from_pylist(DOCUMENTS[3:], schema=AUGMENTED))
    writer.close()
    parameters = {"strategy": "right", "prob": 0.5, "seed": 0}
    manifest = Manifest(kind="augmented", inputs=[], parameters=parameters, schema=AUGMENTED.to_string(),
                        complete=True)
    manifest.add_shard(writer.entry(0, {}))
    manifest.save(data)
    out = tmp_path / "run"

    status = load_pipeline().main([
        "--smoke", "--tokenizer", str(tokenizer_path), "--data", str(data), "--output-dir", str(out),
        "--max-steps", "4", "--block-size", "32", "--batch-size", "2", "--prob", "0.5", "--mask-entity-names", "-q",
    ])

    assert status == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["steps"] == 4 and math.isfinite(summary["training_loss"])
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    losses = [log["loss"] for log in history if "loss" in log]
    assert len(losses) == 4 and all(math.isfinite(x) for x in losses)
    model = transformers.AutoModelForCausalLM.from_pretrained(out)
    tokenizer = transformers.AutoTokenizer.from_pretrained(out)
    assert model.get_input_embeddings().weight.shape[0] == len(tokenizer) == 48588
    assert tokenizer.convert_tokens_to_ids(["<translate>", "</translate>"]) == [48586, 48587]
    assert transformers.GenerationConfig.from_pretrained(out).bad_words_ids == [[48586]]
