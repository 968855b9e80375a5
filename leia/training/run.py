"""The ``leia train`` run: the settings resolved and checked, the data packed once into the blocks of each
epoch it needs (on the main process, before the others read them), the model built, and
``transformers.Trainer`` run with checkpoints every ``save_steps``, resume from the latest one, and the
held-out evaluation."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from pathlib import Path
from typing import Any, Sequence

from leia.errors import ConfigError, InputError, Interrupted, require
from leia.io.files import write_text_atomic
from leia.training.settings import TrainConfig

__all__ = ["train", "SETTINGS_FILE", "latest_checkpoint", "stopped_note", "effective_settings"]

SETTINGS_FILE = "leia-train.json"
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
_STATE = "trainer_state.json"
# Settings a resumed run may change: they do not touch what is trained on or how.
_FREE_ON_RESUME = {"resume", "max_steps", "epochs", "save_steps", "save_total_limit", "logging_steps", "workers",
                   "dataloader_workers", "eval_steps", "progress", "deepspeed", "fsdp", "fsdp_config",
                   "gradient_checkpointing", "attn_implementation", "eval_data", "eval_blocks"}


def latest_checkpoint(output_dir: str | Path) -> Path | None:
    """The ``checkpoint-N`` folder with the highest N in ``output_dir`` that was saved whole, or None. Trainer
    writes a checkpoint in place and its ``trainer_state.json`` last: a folder without one was being saved
    when the run stopped, and the run resumes from the checkpoint before it."""
    out = Path(output_dir)
    found = [(int(m.group(1)), p) for p in out.glob("checkpoint-*")
             if (m := _CHECKPOINT.match(p.name)) and (p / _STATE).is_file()]
    return max(found)[1] if found else None


def stopped_note(config: TrainConfig) -> str:
    """What a run with ``config`` that stopped before its end (Ctrl-C, SIGTERM) kept, and what rerunning it
    does: resuming needs ``--resume``, and without a checkpoint the rerun starts again (on the blocks packed
    already)."""
    out = Path(config.output_dir)
    checkpoint = latest_checkpoint(out)
    if checkpoint is None:
        return f"no checkpoint in {out} yet; rerunning the same command starts the training again"
    command = "the same command" if config.resume else "the same command with --resume"
    return f"kept {checkpoint.name} in {out}; rerun {command} to go on from it"


def effective_settings(config: TrainConfig, world_size: int) -> dict:
    """What a run does besides its settings: the gradient accumulation that gives ``tokens_per_step`` with
    ``world_size`` processes, and the tokens of one optimizer step."""
    accumulation = config.gradient_accumulation_steps
    if accumulation is None:
        pass_tokens = config.block_size * config.batch_size * world_size
        accumulation = max(1, round(config.tokens_per_step / pass_tokens)) if config.tokens_per_step else 1
    return {"world_size": world_size, "gradient_accumulation_steps": accumulation,
            "tokens_per_step": config.block_size * config.batch_size * world_size * accumulation}


def _check_inputs(config: TrainConfig) -> Path | None:
    """The checkpoint to resume from, after checking the data and the output folder."""
    for name in ("data", "eval_data"):
        folder = getattr(config, name)
        if folder is not None and not Path(folder).is_dir():
            option = "--" + name.replace("_", "-")
            raise InputError(f"{folder}: no such folder ({option}: a folder of augmented shards from leia augment)")
    from leia.training.loading import check_local

    if config.model is not None:
        check_local(config.model, "the model", "--model")
    if config.tokenizer is not None:
        check_local(config.tokenizer, "the tokenizer", "--tokenizer")
    for name in ("config", "deepspeed", "fsdp_config"):
        path = getattr(config, name)
        if path is not None and not Path(path).is_file():
            raise InputError(f"{path}: no such file (--{name.replace('_', '-')})")
    out = Path(config.output_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: exists and is not a folder (--output-dir)")
    checkpoint = latest_checkpoint(out)
    if config.resume:
        if checkpoint is None:
            raise ConfigError(f"{out}: no checkpoint-N to resume from; run without --resume to start")
        saved = out / SETTINGS_FILE
        if saved.is_file():
            before = json.loads(saved.read_text(encoding="utf-8"))["settings"]
            now = dataclasses.asdict(config)
            changed = [k for k in now if k not in _FREE_ON_RESUME and before.get(k) != now[k]]
            if changed:
                raise ConfigError(f"{out}: the run there had other settings ({', '.join(changed)}); resume with "
                                  "the same ones, or train into another --output-dir")
    elif checkpoint is not None:
        raise ConfigError(f"{out}: holds {checkpoint.name} of a run; pass --resume to go on from it, or choose "
                          "another --output-dir")
    return checkpoint


def _pack_epochs(config: TrainConfig, tokenizer: Any, blocks_needed: int | None, epochs: int | None) -> list[Path]:
    """The folders of the packed epochs the run reads, packed where they are not yet: ``epochs`` of them, or
    as many as hold ``blocks_needed`` blocks."""
    from leia.api import tokenize
    from leia.training.blocks import epoch_blocks

    root = Path(config.output_dir) / "blocks"
    folders: list[Path] = []
    total = 0
    while (epochs is not None and len(folders) < epochs) or (blocks_needed is not None and total < blocks_needed):
        epoch = len(folders)
        folder = root / f"epoch-{epoch:05d}"
        if config.prob is None and folders:
            folder = folders[0]  # the stored draw: every epoch holds the same blocks
        else:
            tokenize(config.data, folder, tokenizer=tokenizer, block_size=config.block_size, epoch=epoch,
                     prob=config.prob, strategy=config.strategy, seed=config.seed,
                     cross_document_attention=config.cross_document_attention, workers=config.workers,
                     progress=config.progress)
        count = epoch_blocks(folder)
        if count == 0:
            raise InputError(f"{config.data}: holds no text to train on")
        folders.append(folder)
        total += count
    return folders


def _eval_folder(config: TrainConfig, tokenizer: Any) -> Path:
    from leia.api import tokenize
    from leia.io.manifest import read_manifest

    kind = read_manifest(config.eval_data).kind
    folder = Path(config.output_dir) / "blocks" / "eval"
    # the text without spans: no span drawn for augmented shards, the text itself for documents
    tokenize(config.eval_data, folder, tokenizer=tokenizer, block_size=config.block_size,
             prob=0.0 if kind == "augmented" else None, strategy=config.strategy, seed=config.seed,
             cross_document_attention=config.cross_document_attention, workers=config.workers,
             progress=config.progress)
    return folder


def _bf16(setting: str) -> bool:
    import torch

    if setting == "auto":
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    return setting == "yes"


def train(config: TrainConfig, callbacks: Sequence[Any] = ()) -> dict:
    """Run ``leia train`` with ``config`` (and ``callbacks``, passed to the Trainer); returns the summary it
    prints: steps, training loss, tokens seen, where the model is. Stopped by Ctrl-C or SIGTERM, it raises
    :class:`leia.errors.Interrupted` saying what it kept (:func:`stopped_note`)."""
    try:
        return _train(config, callbacks)
    except Interrupted:  # while packing: what the packing kept, and the rerun resumes it
        raise
    except KeyboardInterrupt:
        raise Interrupted(stopped_note(config)) from None


def _train(config: TrainConfig, callbacks: Sequence[Any]) -> dict:
    require("torch", "train")
    transformers = require("transformers", "train")
    from accelerate import PartialState

    from leia.training.blocks import BlockDataset
    from leia.training.collator import LeiaDataCollator
    from leia.training.evaluation import TranslateMetrics
    from leia.training.loading import build_model, load_tokenizer, smoke_tokenizer

    config = config.resolved()
    checkpoint = _check_inputs(config)
    cpu = not _has_accelerator()
    # the process group of torchrun & co., as the Trainer opens it (gloo where there is no GPU)
    launched = int(os.environ.get("WORLD_SIZE", "1")) > 1
    state = PartialState(cpu=True, backend="gloo" if launched else None) if cpu else PartialState()
    if config.tokenizer is not None:
        tokenizer = load_tokenizer(config.tokenizer)
    else:
        with state.main_process_first():
            tokenizer = smoke_tokenizer(config.data)
    effective = effective_settings(config, state.num_processes)
    per_pass = config.batch_size * state.num_processes
    with state.main_process_first():
        if config.max_steps is not None:
            needed = config.max_steps * effective["gradient_accumulation_steps"] * per_pass
            folders = _pack_epochs(config, tokenizer, needed, None)
        else:
            needed = None
            folders = _pack_epochs(config, tokenizer, None, config.epochs)
        eval_folder = _eval_folder(config, tokenizer) if config.eval_data else None
    dataset = BlockDataset(folders, shuffle=config.shuffle, seed=config.seed, length=needed, multiple_of=per_pass)
    eval_dataset = None
    if eval_folder is not None:
        # not padded: a batch of padding alone would make the evaluation loss of its process 0/0
        eval_dataset = BlockDataset([eval_folder], shuffle=False, length=config.eval_blocks)

    transformers.set_seed(config.seed)
    model = build_model(tokenizer, model=config.model,
                        config=config.config if config.config else (None if config.model else _smoke(tokenizer, config)),
                        attn_implementation=config.attn_implementation)
    bf16 = _bf16(config.bf16)
    eval_steps = config.eval_steps or config.save_steps
    args = transformers.TrainingArguments(
        output_dir=str(config.output_dir), num_train_epochs=1, max_steps=-1,
        per_device_train_batch_size=config.batch_size, per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=effective["gradient_accumulation_steps"],
        learning_rate=config.learning_rate, lr_scheduler_type=config.lr_scheduler, warmup_steps=config.warmup_steps,
        weight_decay=config.weight_decay, adam_beta1=config.adam_beta1, adam_beta2=config.adam_beta2,
        max_grad_norm=config.max_grad_norm, bf16=bf16, seed=config.seed, data_seed=config.seed,
        logging_steps=config.logging_steps, save_strategy="steps", save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        eval_strategy="steps" if eval_dataset is not None else "no", eval_steps=eval_steps,
        train_sampling_strategy="sequential",  # BlockDataset deals each epoch in its own seeded order
        # the tokens that are not the pad token: not those of the padding blocks (or of the padding ending a
        # shard's last block), which "all" counts; nor, where eos pads, the eos between documents
        include_num_input_tokens_seen="non_padding", dataloader_num_workers=config.dataloader_workers,
        dataloader_persistent_workers=config.dataloader_workers > 0,
        deepspeed=config.deepspeed,
        fsdp=config.fsdp or None, fsdp_config=config.fsdp_config,
        report_to="none", remove_unused_columns=False, disable_tqdm=not config.progress,
        use_cpu=cpu, ddp_backend="gloo" if cpu and state.num_processes > 1 else None,
        **_checkpointing(transformers, config.gradient_checkpointing),
    )
    metrics = TranslateMetrics(tokenizer) if eval_dataset is not None else None
    trainer = transformers.Trainer(
        model=model, args=args, train_dataset=dataset, eval_dataset=eval_dataset,
        data_collator=LeiaDataCollator(tokenizer, mask_entity_names=config.mask_entity_names),
        processing_class=tokenizer, callbacks=list(callbacks),
        compute_metrics=metrics.compute if metrics else None,
        preprocess_logits_for_metrics=metrics.preprocess if metrics else None,
    )
    out = Path(config.output_dir)
    if state.is_main_process:
        out.mkdir(parents=True, exist_ok=True)
        record = {"settings": dataclasses.asdict(config), **effective, "bf16": bf16,
                  "epochs": [{"folder": str(f), "blocks": len(e)} for f, e in zip(folders, dataset.epochs)],
                  "blocks": dataset.blocks, "padding_blocks": len(dataset) - dataset.blocks}
        write_text_atomic(out / SETTINGS_FILE, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    trainer.save_model(str(out))
    trainer.save_state()
    summary = {"steps": result.global_step, "training_loss": result.training_loss,
               "num_input_tokens_seen": trainer.state.num_input_tokens_seen, "output_dir": str(out)}
    if not math.isfinite(result.training_loss):
        summary["error"] = "the training loss is not finite"
    return summary


def _smoke(tokenizer: Any, config: TrainConfig) -> dict:
    from leia.training.loading import smoke_config

    return smoke_config(tokenizer, config.block_size)


def _checkpointing(transformers: Any, on: bool) -> dict:
    """Activation checkpointing under the name this version of transformers gives it."""
    fields = {f.name for f in dataclasses.fields(transformers.TrainingArguments)}
    return {"activation_checkpointing" if "activation_checkpointing" in fields else "gradient_checkpointing": on}


def _has_accelerator() -> bool:
    import torch

    return bool(torch.cuda.is_available())
