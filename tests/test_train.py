"""``leia train`` and ``leia tokenize``: the README's smoke command, resume equal to the run never stopped, one
epoch on two processes equal to one process, the exported blocks equal to PackedDataset's, the held-out
evaluation, and the settings helper the command's options are made with."""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import math
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import leia  # noqa: E402
from leia.cli import main  # noqa: E402
from leia.settings import POSITIVE, add_settings, setting, settings_from  # noqa: E402
from leia.training import BlockDataset, PackedDataset, TrainConfig, add_leia_tokens, train  # noqa: E402
from leia.training.blocks import epoch_blocks  # noqa: E402
from leia.training.run import stopped_note  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


# The tiny models of these tests train on one thread: on a busy 2-core machine two threads spend several times
# the CPU (each operation is small) and make runs no faster.
ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def augmented(tmp_path_factory) -> Path:
    """The sample's augmented shards (leia run on data/)."""
    out = tmp_path_factory.mktemp("sample") / "leia-output"
    leia.run(output=out, progress=False)
    return out / "augmented"


def logged(output_dir: Path, key: str = "loss") -> list[tuple[int, float]]:
    history = json.loads((output_dir / "trainer_state.json").read_text())["log_history"]
    return [(h["step"], h[key]) for h in history if key in h]


def tokens_seen(run: Path, steps: int, per_step: int, cwd: Path) -> list[int]:
    """``num_input_tokens_seen`` after each of the first ``steps`` steps of ``run``: the tokens of the blocks
    it trained on, in the order it read them, that are not the pad token."""
    record = json.loads((run / "leia-train.json").read_text())
    folders = [cwd / e["folder"] for e in record["epochs"]]
    dataset = BlockDataset(folders, seed=record["settings"]["seed"], length=steps * per_step, multiple_of=per_step)
    pad = transformers.AutoTokenizer.from_pretrained(run).pad_token_id
    counts = [int((dataset[i]["input_ids"] != pad).sum()) for i in range(steps * per_step)]
    return list(itertools.accumulate(sum(counts[i:i + per_step]) for i in range(0, len(counts), per_step)))


# -- the README ------------------------------------------------------------------------------------------

def readme_smoke_commands() -> list[str]:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## Training\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("A smoke run, on a CPU in under a minute:\n\n```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


@pytest.mark.slow
def test_the_readme_smoke_command_runs_as_written(tmp_path):
    env = {**ONE_THREAD, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    for command in readme_smoke_commands():
        done = subprocess.run(command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, command + "\n" + done.stderr[-3000:]
    run = tmp_path / "runs" / "smoke"
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["steps"] == 8 and math.isfinite(summary["training_loss"])
    assert sorted(p.name for p in run.glob("checkpoint-*")) == ["checkpoint-4", "checkpoint-8"]
    losses = logged(run)
    assert [step for step, _ in losses] == list(range(1, 9)) and all(math.isfinite(x) for _, x in losses)
    seen = [tokens for _, tokens in logged(run, "num_input_tokens_seen")][:8]
    assert seen == tokens_seen(run, 8, 2, cwd=tmp_path) and seen[-1] < 8 * 128  # the eos that pads: not counted
    settings = json.loads((run / "leia-train.json").read_text())
    assert settings["settings"]["learning_rate"] == 1e-3 and settings["settings"]["block_size"] == 64
    assert settings["settings"]["adam_beta2"] == 0.95 and settings["settings"]["lr_scheduler"] == "cosine"
    assert settings["gradient_accumulation_steps"] == 1 and settings["world_size"] == 1
    tokenizer = transformers.AutoTokenizer.from_pretrained(run)
    model = transformers.AutoModelForCausalLM.from_pretrained(run)
    assert model.get_input_embeddings().weight.shape[0] == len(tokenizer)
    assert transformers.GenerationConfig.from_pretrained(run).bad_words_ids == [
        [tokenizer.convert_tokens_to_ids("<translate>")]]


# -- resume ----------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_an_interrupted_run_says_what_it_kept_and_resumes_to_the_losses_of_the_run_never_stopped(
        augmented, tmp_path, monkeypatch, capsys):
    """Ctrl-C while checkpoint-4 is being saved: the line names checkpoint-2, the last one saved whole, and
    --resume, which goes on from it. Bitwise: the data position (the blocks of the shuffled epochs), the RNG,
    the optimizer and the schedule are restored, and on a CPU the same operations give the same floats."""
    options = ["train", "--smoke", "--data", str(augmented), "-q", "--max-steps", "5", "--save-steps", "2",
               "--logging-steps", "1", "--prob", "0.5", "--batch-size", "4"]
    assert main([*options, "--output-dir", str(tmp_path / "whole")]) == 0
    whole = json.loads(capsys.readouterr().out.splitlines()[-1])

    save = transformers.Trainer._save_rng_state

    def interrupted_at_four(self, output_dir):
        if self.state.global_step == 4:
            raise KeyboardInterrupt
        return save(self, output_dir)

    monkeypatch.setattr(transformers.Trainer, "_save_rng_state", interrupted_at_four)
    stopped = tmp_path / "stopped"
    assert main([*options, "--output-dir", str(stopped)]) == 130
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"leia train: interrupted; kept checkpoint-2 in {stopped}; rerun the same command with --resume to go on "
        "from it")
    assert (stopped / "checkpoint-4").is_dir() and not (stopped / "checkpoint-4" / "trainer_state.json").exists()
    monkeypatch.undo()
    assert main([*options, "--output-dir", str(stopped)]) == 1  # as the line says: not without --resume
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"leia train: error: {stopped}: holds checkpoint-2 of a run; pass --resume to go on from it, or choose "
        "another --output-dir")
    assert main([*options, "--output-dir", str(stopped), "--resume"]) == 0
    resumed = json.loads(capsys.readouterr().out.splitlines()[-1])
    for key in ("loss", "grad_norm", "learning_rate", "num_input_tokens_seen"):
        assert logged(stopped, key) == logged(tmp_path / "whole", key), key
    assert resumed["num_input_tokens_seen"] == whole["num_input_tokens_seen"] == \
        tokens_seen(tmp_path / "whole", 5, 4, cwd=tmp_path)[-1]
    # the 5 steps run over more than one epoch of the sample (the last one after the resume crosses into the
    # second epoch): the second is another draw, in another order
    record = json.loads((tmp_path / "whole" / "leia-train.json").read_text())
    assert len(record["epochs"]) == 2 and record["epochs"][0]["blocks"] < 5 * 4


def test_a_run_stopped_before_its_first_checkpoint_says_the_rerun_starts_again(tmp_path):
    config = TrainConfig(data="d", output_dir=str(tmp_path / "run"), smoke=True)
    (tmp_path / "run" / "checkpoint-4").mkdir(parents=True)  # being saved when the run stopped
    assert stopped_note(config) == f"no checkpoint in {tmp_path / 'run'} yet; rerunning the same command starts " \
                                   "the training again"
    (tmp_path / "run" / "checkpoint-4" / "trainer_state.json").write_text("{}")
    assert stopped_note(config) == f"kept checkpoint-4 in {tmp_path / 'run'}; rerun the same command with " \
                                   "--resume to go on from it"
    assert stopped_note(dataclasses.replace(config, resume=True)).endswith("; rerun the same command to go on "
                                                                             "from it")


# -- several processes -----------------------------------------------------------------------------------

def _ranks(record: Path, command: list[str], tmp: Path) -> list[dict]:
    record.mkdir()
    done = subprocess.run(command, cwd=tmp, capture_output=True, text=True, timeout=300, env=ONE_THREAD)
    assert done.returncode == 0, done.stderr[-4000:]
    return [json.loads(p.read_text()) for p in sorted(record.glob("rank-*.json"))]


def _sha1(ids) -> str:
    return hashlib.sha1(np.asarray(ids, dtype=np.int64).tobytes()).hexdigest()


@pytest.mark.slow
def test_one_epoch_on_two_processes_is_dealt_once_by_leia_train_and_by_the_readme_example(augmented, tmp_path):
    """Under torchrun: ``leia train`` (each process reading its own batches of the packed blocks), then the
    README's PackedDataset example (accelerate reading the stream in the first process and handing it out)."""
    script = str(ROOT / "tests" / "train_ranks.py")
    options = ["--smoke", "--data", str(augmented), "--epochs", "1", "-q", "--save-steps", "100"]
    two = _ranks(tmp_path / "two", [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", script,
                                    str(tmp_path / "two"), *options, "--output-dir", str(tmp_path / "run")],
                 tmp_path)
    assert len(two) == 2 and all(rank["status"] == 0 for rank in two)  # every process ended
    # One process trains on every block of the packed epoch once (BlockDataset read in order).
    epoch = tmp_path / "run" / "blocks" / "epoch-00000"
    rows = [r for b in leia.io.shards.iter_record_batches(epoch, "blocks") for r in b.to_pylist()]
    single = Counter(_sha1(r["input_ids"]) for r in rows if any(x != -100 for x in r["labels"]))
    blocks = epoch_blocks(epoch)
    assert sum(single.values()) == blocks == len(rows) and max(single.values()) == 1
    # leia train on two: the same blocks, each once, split between the processes
    ranks = [Counter(b["sha1"] for b in rank["blocks"]) for rank in two]
    assert ranks[0] + ranks[1] == single and not set(ranks[0]) & set(ranks[1])
    assert all(ranks)
    assert sum(b["tokens"] for rank in two for b in rank["blocks"]) == blocks * 64
    state = json.loads((tmp_path / "run" / "trainer_state.json").read_text())
    assert state["global_step"] == math.ceil(blocks / 4)
    # the tokens trained on, not those of the blocks that pad the epoch to whole steps
    pad = transformers.AutoTokenizer.from_pretrained(tmp_path / "run").pad_token_id
    assert blocks % 4 and state["num_input_tokens_seen"] == sum(sum(x != pad for x in r["input_ids"]) for r in rows)

    # The README's example on two: the blocks PackedDataset yields in one process (those of the packed epoch),
    # each once, but for the last step's places left over, which accelerate fills from the start of the epoch.
    tokenizer = transformers.AutoTokenizer.from_pretrained(tmp_path / "run")
    stream = [_sha1(b["input_ids"]) for b in PackedDataset(augmented, tokenizer, 64, prob=0.5)]
    assert Counter(stream) == single
    readme = [rank["readme"] for rank in two]
    assert [r["steps"] for r in readme] == [r["expected_steps"] for r in readme] == [math.ceil(blocks / 16)] * 2
    trained = [Counter(b["sha1"] for b in r["blocks"]) for r in readme]
    extra = trained[0] + trained[1] - Counter(stream)
    assert set(trained[0] + trained[1]) == set(stream)
    assert sum(extra.values()) == -len(stream) % 2 and set(extra) <= set(stream[:2])
    assert set(trained[0]) & set(trained[1]) <= set(extra) and all(trained)


# -- leia tokenize ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tokenizer(tokenizer_path):
    tok = transformers.AutoTokenizer.from_pretrained(tokenizer_path)
    add_leia_tokens(tok)
    return tok


@pytest.mark.parametrize(("prob", "epoch", "cross"), [(0.5, 0, False), (0.5, 2, False), (None, 0, False),
                                                      (1.0, 1, True)])
def test_exported_blocks_are_those_packed_dataset_yields(augmented, tokenizer, tmp_path, prob, epoch, cross):
    out = tmp_path / "blocks"
    manifest = leia.api.tokenize(augmented, out, tokenizer=tokenizer, block_size=48, epoch=epoch, prob=prob, seed=3,
                                 cross_document_attention=cross, progress=False)
    dataset = PackedDataset(augmented, tokenizer, 48, prob=prob, seed=3, cross_document_attention=cross)
    dataset.set_epoch(epoch)
    expected = list(dataset)
    exported = leia.io.shards.iter_record_batches(out, "blocks")
    rows = [row for batch in exported for row in batch.to_pylist()]
    assert len(rows) == len(expected) == manifest.counters["blocks"] > 10
    for row, block in zip(rows, expected):
        assert row["input_ids"] == block["input_ids"].tolist()
        assert row["labels"] == block["labels"].tolist()
        positions = block["position_ids"].tolist() if not cross else list(range(48))
        assert row["position_ids"] == positions
    assert manifest.counters["tokens"] == 48 * len(rows)
    assert manifest.counters["loss_tokens"] == sum(sum(x != -100 for x in r["labels"]) for r in rows)


def test_a_trainer_without_leia_reads_the_export_through_its_card(augmented, tokenizer_path, tmp_path, capsys):
    import datasets

    out = tmp_path / "blocks"
    status = main(["tokenize", str(augmented), "--tokenizer", str(tokenizer_path), "--block-size", "32", "-o",
                   str(out), "-q"])
    assert status == 0
    assert "blocks in" in capsys.readouterr().out
    ds = datasets.load_dataset(str(out), split="train")
    assert ds.column_names == ["input_ids", "labels", "position_ids"]
    assert len(ds) == epoch_blocks(out)
    batch = transformers.default_data_collator([ds[0], ds[1]])
    assert batch["input_ids"].shape == batch["labels"].shape == batch["position_ids"].shape == (2, 32)
    card = (out / "README.md").read_text()
    assert "- name: input_ids" in card and "license: cc-by-sa-4.0" in card


# -- the blocks a run trains on --------------------------------------------------------------------------

def test_the_run_deals_each_epoch_in_its_own_seeded_order_and_pads_with_masked_blocks(augmented, tokenizer,
                                                                                        tmp_path):
    for e in (0, 1):
        leia.api.tokenize(augmented, tmp_path / f"e{e}", tokenizer=tokenizer, block_size=32, epoch=e, prob=0.5,
                          progress=False)
    folders = [tmp_path / "e0", tmp_path / "e1"]
    sizes = [epoch_blocks(f) for f in folders]
    run = BlockDataset(folders, seed=7, multiple_of=8)
    assert run.blocks == sum(sizes) and len(run) % 8 == 0 and len(run) - run.blocks < 8
    where = [run.locate(i) for i in range(len(run))]
    assert where[:sizes[0]] == [(0, int(j)) for j in run.order(0)]
    assert sorted(j for e, j in where[:sizes[0]]) == list(range(sizes[0]))
    assert sorted(j for e, j in where[sizes[0]:run.blocks]) == list(range(sizes[1]))
    assert list(run.order(0)) != list(range(sizes[0])) and list(run.order(0)) != list(run.order(1))[:sizes[0]]
    assert list(BlockDataset(folders, seed=7).order(1)) == list(run.order(1))
    padding = run[len(run) - 1]
    assert (padding["labels"] == -100).all() and padding["input_ids"].shape == (32,)
    exported = [r for b in leia.io.shards.iter_record_batches(tmp_path / "e1", "blocks") for r in b.to_pylist()]
    first = run[sizes[0]]
    assert first["input_ids"].tolist() == exported[int(run.order(1)[0])]["input_ids"]
    short = BlockDataset(folders, length=5, multiple_of=2, shuffle=False)
    assert len(short) == 6 and [short.locate(i) for i in range(6)] == [(0, 0), (0, 1), (0, 2), (0, 3), (0, 4), None]


# -- evaluation ------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_held_out_perplexity_and_the_probability_of_translate_are_logged(augmented, tmp_path):
    train(TrainConfig(data=str(augmented), output_dir=str(tmp_path / "run"), smoke=True, progress=False, max_steps=4,
                      save_steps=4, eval_data=str(augmented), eval_steps=2, eval_blocks=6))
    evaluations = [h for h in json.loads((tmp_path / "run" / "trainer_state.json").read_text())["log_history"]
                   if "eval_perplexity" in h]
    assert [h["step"] for h in evaluations] == [2, 4]
    vocabulary = len(transformers.AutoTokenizer.from_pretrained(tmp_path / "run"))
    for h in evaluations:
        assert 1.0 < h["eval_perplexity"] < 2 * vocabulary
        assert math.isclose(h["eval_perplexity"], math.exp(h["eval_loss"]), rel_tol=1e-3)
        assert 0.0 < h["eval_translate_prob"] <= h["eval_translate_prob_max"] < 1.0
        assert h["eval_tokens"] > 0
    # spans are never drawn in the held-out text: no marker in its blocks
    held_out = [r for b in leia.io.shards.iter_record_batches(tmp_path / "run" / "blocks" / "eval", "blocks")
                for r in b.to_pylist()]
    tokenizer = transformers.AutoTokenizer.from_pretrained(tmp_path / "run")
    markers = set(tokenizer.convert_tokens_to_ids(["<translate>", "</translate>"]))
    assert held_out and not any(markers & set(r["input_ids"]) for r in held_out)


# -- the GPU check, in its reduced form on a CPU ----------------------------------------------------------

@pytest.mark.slow
def test_the_gpu_check_runs_reduced_on_a_cpu(augmented, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "pipelines" / "gpu_check.py")
    gpu_check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu_check)
    assert gpu_check.main(["--data", str(augmented), "--cpu"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(x["model"], x["attention"], x["dtype"]) for x in lines] == [("smoke", "sdpa", "float32"),
                                                                          ("smoke", "eager", "float32")]
    for x in lines:
        assert x["documents_in_block"] >= 2 and x["packed_vs_alone_max_logprob_diff"] < 1e-4
        assert x["tokens_per_second"] > 0 and x["peak_memory_mib"] > 0 and math.isfinite(x["last_loss"])


# -- the configs in pipelines/ ---------------------------------------------------------------------------

def test_transformers_accepts_the_deepspeed_and_fsdp_configs_shipped(tmp_path):
    pytest.importorskip("deepspeed")
    args = transformers.TrainingArguments(str(tmp_path / "ds"), deepspeed=str(ROOT / "pipelines" /
                                                                                  "deepspeed-zero3.json"),
                                          use_cpu=True, report_to="none")
    assert args.hf_deepspeed_config.config["zero_optimization"]["stage"] == 3
    assert args.hf_deepspeed_config.is_zero3()
    args = transformers.TrainingArguments(str(tmp_path / "fsdp"), fsdp="full_shard auto_wrap",
                                          fsdp_config=str(ROOT / "pipelines" / "fsdp.json"), use_cpu=True,
                                          report_to="none")
    assert args.fsdp_config["version"] == 2 and args.fsdp_config["auto_wrap_policy"] == "TRANSFORMER_BASED_WRAP"


# -- the settings helper ---------------------------------------------------------------------------------

@dataclasses.dataclass
class Toy:
    path: str = setting(help="where", positional=True)
    size: int = setting(help="how many", type=POSITIVE)
    rate: float = setting(0.5, "how fast")
    mode: str = setting("a", "which", choices=("a", "b"))
    loud: bool = setting(False, "say more", short="-l")
    tidy: bool = setting(True, "clean up")
    left: str | None = setting(None, "one side", group="side")
    right: str | None = setting(None, "the other", group="side")


def toy_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toy")
    add_settings(parser, Toy)
    return parser


def test_the_settings_helper_makes_one_option_per_field_and_gives_the_dataclass_back(capsys):
    parser = toy_parser()
    toy = settings_from(parser.parse_args(["p", "--size", "3", "-l", "--no-tidy", "--left", "x"]), Toy)
    assert toy == Toy("p", 3, 0.5, "a", True, False, "x", None)
    assert settings_from(parser.parse_args(["p", "--size", "1", "--rate", "2.5", "--mode", "b"]), Toy) == \
        Toy("p", 1, 2.5, "b", False, True, None, None)
    text = parser.format_help()
    assert "how fast (default 0.5)" in text and "--tidy, --no-tidy" in text and "say more\n" in text
    assert re.search(r"\[--left LEFT \| --right RIGHT\]", parser.format_usage())
    for argv, message in ((["p"], "the following arguments are required: --size"),
                          (["p", "--size", "0"], "argument --size: must be at least 1"),
                          (["p", "--size", "1", "--mode", "c"], "argument --mode: invalid choice: 'c'"),
                          (["p", "--size", "1", "--left", "x", "--right", "y"],
                           "argument --right: not allowed with argument --left")):
        with pytest.raises(SystemExit):
            toy_parser().parse_args(argv)
        assert capsys.readouterr().err.splitlines()[-1].startswith("toy: error: " + message)


def test_every_train_setting_is_an_option_of_leia_train():
    from leia.cli import build_parser

    text = build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    for field in dataclasses.fields(TrainConfig):
        assert "--" + field.name.replace("_", "-") in text, field.name
