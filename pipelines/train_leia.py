"""Continue training a causal language model on a folder of augmented shards, as LEIA does.

On a GPU machine, with a real model:

    python pipelines/train_leia.py --model llm-jp/llm-jp-3-1.8b --data out/augmented \\
        --output-dir runs/leia --max-steps 1000 --block-size 2048 --prob 0.5 --bf16

A CPU smoke run with a tiny randomly initialised Llama (the tokenizer still has to be a real one):

    python pipelines/train_leia.py --tiny-llama --tokenizer PATH --data out/augmented \\
        --output-dir /tmp/leia-smoke --max-steps 5 --block-size 64

The documents are packed into blocks of --block-size tokens (leia.training.PackedDataset), each document
attending to itself only (--cross-document-attention lets attention run across the documents of a block, as
the original implementation did); with --prob the spans are redrawn for every document each epoch, with that
probability, instead of using the stored draw. Documents are tokenized once; DataLoader workers are kept
across epochs so that they keep the tokens.
The loss never covers the marker tokens, nor the English names with --mask-entity-names. The model, the
tokenizer (with the markers added) and trainer_state.json (the logged losses) end up in --output-dir.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from leia.spans import STRATEGIES
from leia.training import LeiaDataCollator, PackedDataset, add_leia_tokens


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--model", help="model path or hub name; a .json file builds an untrained model from that config"
    )
    source.add_argument(
        "--tiny-llama", action="store_true", help="a tiny randomly initialised Llama, for CPU smoke runs"
    )
    parser.add_argument("--tokenizer", help="tokenizer path or hub name (default: --model)")
    parser.add_argument("--data", required=True, type=Path, help="folder of augmented shards (with manifest.json)")
    parser.add_argument("--output-dir", required=True, type=Path)
    parser.add_argument("--max-steps", type=int, default=1000)
    parser.add_argument("--block-size", type=int, default=2048)
    parser.add_argument("--prob", type=float, default=None,
                        help="redraw spans with this probability each epoch (the paper used 0.5); default: stored text")
    parser.add_argument("--strategy", choices=STRATEGIES, default="right", help="where redrawn spans go")
    parser.add_argument("--cross-document-attention", action="store_true",
                        help="let attention run across the documents packed in a block")
    parser.add_argument("--mask-entity-names", action="store_true", help="also keep the English names out of the loss")
    parser.add_argument("--batch-size", type=int, default=8, help="blocks per device and step")
    parser.add_argument("--gradient-accumulation-steps", type=int, default=1)
    parser.add_argument("--learning-rate", type=float, default=2e-5)
    parser.add_argument("--warmup-steps", type=int, default=0)
    parser.add_argument("--num-workers", type=int, default=0, help="DataLoader workers")
    parser.add_argument("--logging-steps", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bf16", action="store_true")
    args = parser.parse_args(argv)
    if args.tokenizer is None:
        if args.tiny_llama or args.model.endswith(".json"):
            parser.error("--tiny-llama and a --model config file need --tokenizer")
        args.tokenizer = args.model
    return args


def build_model(args: argparse.Namespace, tokenizer):
    import transformers

    if args.tiny_llama:
        config = transformers.LlamaConfig(
            vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=max(args.block_size, 128),
            bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
        return transformers.LlamaForCausalLM(config)
    if args.model.endswith(".json"):
        config = transformers.AutoConfig.for_model(**json.loads(Path(args.model).read_text(encoding="utf-8")))
        return transformers.AutoModelForCausalLM.from_config(config)
    return transformers.AutoModelForCausalLM.from_pretrained(args.model)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch
    import transformers

    transformers.set_seed(args.seed)
    tokenizer = transformers.AutoTokenizer.from_pretrained(args.tokenizer)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = build_model(args, tokenizer)
    add_leia_tokens(tokenizer, model)

    train_dataset = PackedDataset(
        args.data, tokenizer, args.block_size, prob=args.prob, strategy=args.strategy, seed=args.seed,
        cross_document_attention=args.cross_document_attention,
    )
    training_args = transformers.TrainingArguments(
        output_dir=str(args.output_dir),
        max_steps=args.max_steps,
        per_device_train_batch_size=args.batch_size,
        gradient_accumulation_steps=args.gradient_accumulation_steps,
        learning_rate=args.learning_rate,
        warmup_steps=args.warmup_steps,
        logging_steps=args.logging_steps,
        dataloader_num_workers=args.num_workers,
        dataloader_persistent_workers=args.num_workers > 0,
        dataloader_pin_memory=torch.cuda.is_available(),
        bf16=args.bf16,
        seed=args.seed,
        save_strategy="no",
        report_to="none",
        remove_unused_columns=False,
    )
    trainer = transformers.Trainer(
        model=model,
        args=training_args,
        train_dataset=train_dataset,
        data_collator=LeiaDataCollator(tokenizer, mask_entity_names=args.mask_entity_names),
    )
    result = trainer.train()
    trainer.save_model(str(args.output_dir))
    tokenizer.save_pretrained(str(args.output_dir))
    trainer.save_state()
    print(json.dumps({"steps": result.global_step, "training_loss": result.training_loss}))
    return 0 if math.isfinite(result.training_loss) else 1


if __name__ == "__main__":
    raise SystemExit(main())
