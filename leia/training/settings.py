"""The settings of ``leia train``, defined once (:class:`TrainConfig`: each with its default and help, from
which the command's options are made), and the two recipes that fill the settings left unset: the paper's,
for a real model, and ``--smoke``'s, a tiny model that checks the whole run on a CPU in seconds."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from leia.errors import ConfigError, check_counts
from leia.settings import COUNT, POSITIVE, at_least, or_word, probability, setting
from leia.spans import STRATEGIES

__all__ = ["TrainConfig", "PAPER", "SMOKE", "SCHEDULERS", "ATTENTION"]

SCHEDULERS = ("cosine", "linear", "constant", "constant_with_warmup", "cosine_with_min_lr")
ATTENTION = ("sdpa", "eager", "flash_attention_2", "flex_attention")

# Yamada & Ri (2024): AdamW with betas 0.9/0.95, learning rate 5e-6 on a cosine schedule without warm-up,
# weight decay 0.1, 2,048-token sequences and about 4.2 M tokens per optimizer step; spans redrawn with
# probability 0.5 to the right of the mention, the markers kept out of the loss.
PAPER = {"block_size": 2048, "batch_size": 8, "tokens_per_step": 2048 * 2048, "learning_rate": 5e-6,
         "logging_steps": 10, "save_steps": 50, "epochs": 1, "max_steps": None}
# A tiny randomly initialised Llama, 64-token blocks and 8 steps: seconds on a CPU.
SMOKE = {"block_size": 64, "batch_size": 2, "tokens_per_step": None, "learning_rate": 1e-3,
         "logging_steps": 1, "save_steps": 4, "epochs": None, "max_steps": 8}

_RECIPE = "(paper: {}; --smoke: {})"


def _recipe(name: str, help: str) -> str:
    def shown(value: Any) -> str:
        return "none" if value is None else f"{value:,}" if isinstance(value, int) else str(value)
    return f"{help} {_RECIPE.format(shown(PAPER[name]), shown(SMOKE[name]))}"


@dataclass
class TrainConfig:
    """Everything ``leia train`` does, as settings; the Python API takes this, ``leia train`` makes it from its
    options. A setting left None takes its value from the recipe (:attr:`smoke` or the paper's) when the
    run starts; :meth:`resolved` gives the settings a run uses."""

    data: str = setting(help="folder of augmented shards (leia augment's output) to train on")
    output_dir: str = setting(help="where checkpoints (checkpoint-N), the model, trainer_state.json and the "
                                   "settings (leia-train.json) go")
    tokenizer: str | None = setting(None, "the tokenizer: a folder or a Hub name (default: --model's; with "
                                          "--smoke alone, a small one trained on --data's text)")
    model: str | None = setting(None, "the model to continue training: a folder or a Hub name", group="model")
    config: str | None = setting(None, "a model config JSON file: an untrained model of that shape",
                                 group="model", metavar="C.json")
    smoke: bool = setting(False, "a smoke run: a tiny randomly initialised Llama (unless --model or --config), "
                                 "64-token blocks, 8 steps; under a minute on 2 CPU cores")
    max_steps: int | None = setting(None, _recipe("max_steps", "optimizer steps to run"), type=POSITIVE,
                                    group="length", metavar="N")
    epochs: int | None = setting(None, _recipe("epochs", "passes over the data"), type=POSITIVE, group="length",
                                 metavar="N")
    save_steps: int | None = setting(None, _recipe("save_steps", "save a checkpoint (checkpoint-N) every N steps"),
                                     type=POSITIVE, metavar="N")
    save_total_limit: int | None = setting(2, "keep the last N checkpoints", type=or_word("none", POSITIVE),
                                           metavar="N")
    resume: bool = setting(False, "go on from the latest checkpoint in --output-dir: the same losses as a run "
                                  "never stopped")
    batch_size: int | None = setting(None, _recipe("batch_size", "blocks per device and forward pass"),
                                     type=POSITIVE, metavar="N")
    gradient_accumulation_steps: int | None = setting(
        None, "forward passes per optimizer step (default: --tokens-per-step over the blocks of one pass of all "
              "processes; 1 without it)", type=POSITIVE, metavar="N")
    tokens_per_step: int | None = setting(None, _recipe("tokens_per_step", "tokens per optimizer step, reached "
                                                        "by gradient accumulation"), type=or_word("none", POSITIVE),
                                          metavar="N")
    logging_steps: int | None = setting(None, _recipe("logging_steps", "log the loss every N steps"), type=POSITIVE,
                                        metavar="N")
    seed: int = setting(0, "seed of the model's initialisation, the span draws and the order of the blocks",
                        type=int)
    block_size: int | None = setting(None, _recipe("block_size", "tokens per block"), type=at_least(2),
                                     metavar="N")
    prob: float | None = setting(0.5, "redraw the spans each epoch with this probability per mention ('none': "
                                      "train on the stored draw)", type=or_word("none", probability), metavar="P")
    strategy: str = setting("right", "where redrawn spans go", choices=STRATEGIES)
    mask_entity_names: bool = setting(False, "keep the English names out of the loss too (the markers always are)")
    cross_document_attention: bool = setting(False, "let attention run across the documents packed in a block "
                                                    "(the original implementation's packing)")
    shuffle: bool = setting(True, "shuffle the blocks of each epoch (seeded)")
    learning_rate: float | None = setting(None, _recipe("learning_rate", "peak learning rate"), type=float,
                                          metavar="LR")
    lr_scheduler: str = setting("cosine", "learning-rate schedule", choices=SCHEDULERS)
    warmup_steps: int = setting(0, "warm-up steps", type=COUNT, metavar="N")
    weight_decay: float = setting(0.1, "AdamW weight decay", type=float)
    adam_beta1: float = setting(0.9, "AdamW beta1", type=float)
    adam_beta2: float = setting(0.95, "AdamW beta2", type=float)
    max_grad_norm: float = setting(1.0, "gradient clipping norm", type=float)
    bf16: str = setting("auto", "bfloat16 mixed precision: auto (where the hardware has it), yes or no",
                        choices=("auto", "yes", "no"))
    attn_implementation: str = setting("sdpa", "attention kernels", choices=ATTENTION)
    gradient_checkpointing: bool = setting(False, "recompute activations in the backward pass (less memory)")
    workers: int = setting(1, "processes that tokenize and pack the data before training", type=POSITIVE,
                           metavar="N")
    dataloader_workers: int = setting(0, "DataLoader worker processes", type=COUNT, metavar="N")
    eval_data: str | None = setting(None, "held-out augmented shards or documents: perplexity on their text "
                                          "without spans and the probability of <translate>, logged every "
                                          "--eval-steps", metavar="DIR")
    eval_steps: int | None = setting(None, "evaluate every N steps (default: --save-steps)", type=POSITIVE,
                                     metavar="N")
    eval_blocks: int | None = setting(None, "evaluate on the first N blocks of --eval-data (default: all)",
                                      type=POSITIVE, metavar="N")
    deepspeed: str | None = setting(None, "a DeepSpeed config JSON (pipelines/deepspeed-zero3.json: ZeRO-3 as in "
                                          "the paper); run under deepspeed, torchrun or accelerate launch",
                                    metavar="JSON")
    fsdp: str | None = setting(None, "FSDP settings as TrainingArguments takes them (e.g. 'full_shard "
                                     "auto_wrap'); run under torchrun or accelerate launch", metavar="OPTIONS")
    fsdp_config: str | None = setting(None, "an FSDP config JSON (pipelines/fsdp.json)", metavar="JSON")
    progress: bool = setting(True, "show progress bars", off=("-q",), old=("--quiet",))

    def resolved(self) -> "TrainConfig":
        """These settings checked, with each one left None taken from the recipe (ConfigError naming the first
        bad one)."""
        if self.model is None and self.config is None and not self.smoke:
            raise ConfigError("give the model to train: --model M, --config C.json, or --smoke for a tiny one")
        if self.model is not None and self.config is not None:
            raise ConfigError("give --model or --config, not both")
        if self.max_steps is not None and self.epochs is not None:
            raise ConfigError("give --max-steps or --epochs, not both")
        if self.tokenizer is None and self.config is not None:
            raise ConfigError("--config needs --tokenizer (the tokenizer of the model to adapt)")
        recipe = SMOKE if self.smoke else PAPER
        values = dataclasses.asdict(self)
        for name, value in recipe.items():
            if values[name] is None and not (name in ("epochs", "max_steps") and
                                             (self.epochs is not None or self.max_steps is not None)):
                values[name] = value
        if values["tokenizer"] is None:
            values["tokenizer"] = self.model
        out = TrainConfig(**values)
        out.check()
        return out

    def check(self) -> None:
        """ConfigError naming the first setting out of its range."""
        counts = {k: getattr(self, k) for k in ("max_steps", "epochs", "save_steps", "save_total_limit",
                                                 "batch_size", "gradient_accumulation_steps", "tokens_per_step",
                                                 "logging_steps", "workers", "eval_steps", "eval_blocks")}
        check_counts(**{k: v for k, v in counts.items() if v is not None})
        check_counts(at_least=0, warmup_steps=self.warmup_steps, dataloader_workers=self.dataloader_workers)
        if self.block_size is not None:
            check_counts(at_least=2, block_size=self.block_size)
        if self.prob is not None and not 0.0 <= self.prob <= 1.0:
            raise ConfigError(f"prob must be between 0 and 1, got {self.prob}")
        for name, allowed in (("strategy", STRATEGIES), ("lr_scheduler", SCHEDULERS), ("bf16", ("auto", "yes", "no")),
                              ("attn_implementation", ATTENTION)):
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")
        for name in ("learning_rate", "weight_decay", "max_grad_norm"):
            value = getattr(self, name)
            if value is not None and not value >= 0:
                raise ConfigError(f"{name.replace('_', '-')} must be a number of at least 0, got {value}")
        for name in ("adam_beta1", "adam_beta2"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ConfigError(f"{name.replace('_', '-')} must be in [0, 1), got {getattr(self, name)}")

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, ensure_ascii=False) + "\n"
