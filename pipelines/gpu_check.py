"""The GPU check of training, short enough for a few minutes of a lent GPU: for the --smoke model and a small
one (about 75 M parameters, from a config), in bf16, with sdpa and with flash-attention where it is installed:
do the documents packed in a block get the losses they get alone (no attention across documents on the GPU's
kernels), how many tokens per second does a training step take, and what is the peak memory. One JSON line per
model and attention kernel.

    python pipelines/gpu_check.py --data leia-output/augmented [--tokenizer T] [--steps 10]
    python pipelines/gpu_check.py --data leia-output/augmented --cpu     # a reduced run on a CPU (fp32)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import time

import torch

from leia.training import LeiaDataCollator, PackedDataset
from leia.training.loading import build_model, load_tokenizer, smoke_config, smoke_tokenizer


def small_config(tokenizer, block_size: int) -> dict:
    """About 75 M parameters with llm-jp's 48k vocabulary: 8 layers of width 512."""
    return {**smoke_config(tokenizer, block_size), "hidden_size": 512, "intermediate_size": 1408,
            "num_hidden_layers": 8, "num_attention_heads": 8, "num_key_value_heads": 8}


def packed_against_alone(model, block: dict) -> float:
    """The largest difference between the log-probability a document's token gets in the packed block and
    the one it gets with the document alone, over the documents of ``block``."""
    ids, positions = block["input_ids"][None], block["position_ids"][None]
    with torch.no_grad():
        packed = model(input_ids=ids, position_ids=positions, use_cache=False).logits.float().log_softmax(-1)
        starts = (positions[0] == 0).nonzero().flatten().tolist() + [ids.shape[1]]
        worst = 0.0
        for start, end in zip(starts, starts[1:]):
            alone = model(input_ids=ids[:, start:end], use_cache=False).logits.float().log_softmax(-1)
            worst = max(worst, float((packed[:, start:end] - alone).abs().max()))
    return worst


def check(name: str, config: dict, attention: str, batches: list[dict], block: dict, device: str, dtype,
          steps: int, tokenizer) -> dict:
    torch.manual_seed(0)
    model = build_model(tokenizer, config=config, attn_implementation=attention).to(device=device, dtype=dtype)
    parameters = sum(p.numel() for p in model.parameters())
    model.eval()
    difference = packed_against_alone(model, block)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    tokens = 0
    start = None
    for step in range(steps + 1):
        batch = batches[step % len(batches)]
        loss = model(input_ids=batch["input_ids"], labels=batch["labels"], position_ids=batch["position_ids"],
                     use_cache=False).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if step == 0:  # the first step warms the kernels up
            if device == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
        else:
            tokens += batch["input_ids"].numel()
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    peak = (torch.cuda.max_memory_allocated() / 2**20 if device == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return {"model": name, "parameters": parameters, "attention": attention, "dtype": str(dtype).split(".")[-1],
            "documents_in_block": int((block["position_ids"] == 0).sum()),
            "packed_vs_alone_max_logprob_diff": round(difference, 5), "tokens_per_second": round(tokens / seconds),
            "peak_memory_mib": round(peak), "last_loss": round(float(loss.detach()), 4), "device": device}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="folder of augmented shards")
    parser.add_argument("--tokenizer", help="tokenizer folder or Hub name (default: one trained on --data)")
    parser.add_argument("--steps", type=int, default=10, help="timed training steps per model and kernel")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--block-size", type=int, default=2048)
    parser.add_argument("--cpu", action="store_true", help="a reduced run on a CPU: fp32, 128-token blocks, "
                                                           "the smoke model, sdpa and eager")
    args = parser.parse_args(argv)
    cpu = args.cpu or not torch.cuda.is_available()
    device, dtype = ("cpu", torch.float32) if cpu else ("cuda", torch.bfloat16)
    block_size = 128 if cpu else args.block_size
    batch_size = 2 if cpu else args.batch_size
    tokenizer = load_tokenizer(args.tokenizer) if args.tokenizer else smoke_tokenizer(args.data)
    blocks = list(PackedDataset(args.data, tokenizer, block_size, prob=0.5))
    collate = LeiaDataCollator(tokenizer)
    batches = [{k: v.to(device) for k, v in collate(blocks[i:i + batch_size]).items()}
               for i in range(0, len(blocks) - batch_size + 1, batch_size)]
    if not batches:
        parser.error(f"{args.data} holds fewer than {batch_size} blocks of {block_size} tokens")
    # the block holding the most documents, for the packed-against-alone check
    block = max(blocks, key=lambda b: int((b["position_ids"] == 0).sum()))
    block = {"input_ids": block["input_ids"].to(device), "position_ids": block["position_ids"].to(device)}
    kernels = ["sdpa", "eager"] if cpu else ["sdpa"] + (
        ["flash_attention_2"] if importlib.util.find_spec("flash_attn") else [])
    models = [("smoke", smoke_config(tokenizer, block_size))] + ([] if cpu else [("small", small_config(tokenizer,
                                                                                                         block_size))])
    for name, config in models:
        for attention in kernels:
            print(json.dumps(check(name, config, attention, batches, block, device, dtype,
                                   2 if cpu else args.steps, tokenizer)), flush=True)
    if not cpu and "flash_attention_2" not in kernels:
        print(json.dumps({"flash_attention_2": "not installed (pip install flash-attn)"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
