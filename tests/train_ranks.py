"""Run by torchrun in tests/test_train.py: in each process, ``leia train``, then the README's example of
``PackedDataset`` under ``Trainer`` as written (its paths and sizes aside: the model ``leia train`` saved, the
same data, 64-token blocks, the steps of one epoch; and ``use_cpu=True``, without which ``Trainer`` on a machine
without a GPU trains in each process alone), recording every block each process trains on (a hash of
its input_ids, for the blocks that carry a label) and that the process ended.

    python -m torch.distributed.run --nproc_per_node 2 tests/train_ranks.py RECORD_DIR [leia train options]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import sys
from pathlib import Path

import torch
import transformers

from leia.cli import main
from leia.training import PackedDataset
from leia.training.blocks import epoch_blocks

README = Path(__file__).resolve().parents[1] / "README.md"
record = Path(sys.argv[1])
rank = int(os.environ.get("RANK", "0"))
world = int(os.environ.get("WORLD_SIZE", "1"))
seen: list[dict] = []
step = transformers.Trainer.training_step


def recording(self, model, inputs, *args, **kwargs):
    """What this process trains on: its own part of the batch, however the batch reached it."""
    for ids, labels in zip(inputs["input_ids"], inputs["labels"]):
        if bool((labels != -100).any()):
            seen.append({"sha1": hashlib.sha1(ids.numpy().tobytes()).hexdigest(), "tokens": int(ids.numel())})
    return step(self, model, inputs, *args, **kwargs)


def readme_example(data: str, model: str, out: Path, block_size: int) -> tuple[str, int]:
    """The README's PackedDataset example, its placeholders replaced, and the steps of one epoch there."""
    (code,) = [b for b in re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M)
               if "PackedDataset(" in b and "Trainer(" in b]
    batch = transformers.TrainingArguments.__dataclass_fields__["per_device_train_batch_size"].default
    steps = math.ceil(epoch_blocks(Path(model) / "blocks" / "epoch-00000") / (batch * world))
    for placeholder, value in (("path/to/model", model), ("leia-output/augmented", data),
                               ("runs/leia", str(out)), ("block_size=2048", f"block_size={block_size}"),
                               ("max_steps=1000", f"max_steps={steps}"),
                               ("remove_unused_columns=False", "remove_unused_columns=False, use_cpu=True")):
        assert placeholder in code, placeholder
        code = code.replace(placeholder, value)
    return code, steps


transformers.Trainer.training_step = recording
status = main(["train", *sys.argv[2:]])
result = {"status": status, "blocks": list(seen)}
if status == 0:
    options = argparse.ArgumentParser(add_help=False)
    for name in ("--data", "--output-dir"):
        options.add_argument(name)
    given, _ = options.parse_known_args(sys.argv[2:])
    code, steps = readme_example(given.data, given.output_dir, record / "readme", block_size=64)
    torch.distributed.barrier()  # the model leia train saved is written whole (by the first process)
    seen.clear()
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)
    dataset = namespace["train"]
    assert isinstance(dataset, PackedDataset) and dataset.rank == 0 and dataset.world_size == 1
    result["readme"] = {"steps": namespace["trainer"].state.global_step, "expected_steps": steps,
                        "blocks": list(seen)}
(record / f"rank-{rank}.json").write_text(json.dumps(result))
sys.exit(status)
