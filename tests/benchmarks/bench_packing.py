"""PackedDataset over the 103 dev articles with llm-jp's tokenizer: tokens/s per epoch, the first epoch
(which tokenizes) apart from the later ones (which splice the kept ids), against slicing an already tokenized
array into the same number of blocks (the floor of any packer).

    python tests/benchmarks/bench_packing.py [--epochs 4] [--block-size 2048]

The articles are built as a user builds them (leia extract / entities / augment --prob 1.0, record batches
of 8 documents so that blocks run on across batches); PackedDataset redraws the spans with prob 0.5 each
epoch (and, in a second run, uses the stored text as is). Blocks are iterated directly (no DataLoader),
documents kept apart (position_ids). The same script runs against an earlier leia checkout on PYTHONPATH,
for a before/after comparison (options it lacks are left out).
"""

from __future__ import annotations

import argparse
import inspect
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import transformers

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _dev_corpus  # noqa: E402

from leia.io.shards import iter_record_batches  # noqa: E402
from leia.training import PackedDataset, add_leia_tokens  # noqa: E402


def epoch_rate(dataset, epoch: int) -> tuple[int, float]:
    dataset.set_epoch(epoch)
    start = time.perf_counter()
    tokens = sum(item["input_ids"].numel() for item in dataset)
    return tokens, time.perf_counter() - start


def floor_rate(tokens: int, block_size: int, repeat: int = 5) -> float:
    """Tokens/s of cutting one int64 array into block tensors and yielding dicts, median of ``repeat``."""
    ids = np.arange(tokens, dtype=np.int64) % 40000
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        blocks = torch.from_numpy(ids[: len(ids) // block_size * block_size].reshape(-1, block_size))
        labels = blocks.clone()
        n = sum(item["input_ids"].numel() for item in ({"input_ids": b, "labels": l} for b, l in zip(blocks, labels)))
        times.append(time.perf_counter() - start)
        assert n
    return tokens / sorted(times)[len(times) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--block-size", type=int, default=2048)
    args = parser.parse_args()
    torch.set_num_threads(1)
    tokenizer = transformers.AutoTokenizer.from_pretrained(_dev_corpus.TOKENIZER)
    add_leia_tokens(tokenizer)
    with tempfile.TemporaryDirectory() as tmp:
        folder = _dev_corpus.build(Path(tmp), batch_size=8)
        batches = sum(1 for _ in iter_record_batches(folder, "augmented"))
        print(f"PackedDataset, 103 dev articles, block_size {args.block_size}, llm-jp tokenizer, "
              f"{batches} record batches of up to 8 documents")
        for prob in (0.5, None):
            dataset = PackedDataset(folder, tokenizer, args.block_size, prob=prob)
            rates = []
            for epoch in range(args.epochs):
                tokens, seconds = epoch_rate(dataset, epoch)
                rates.append(tokens / seconds)
                print(f"  prob={prob}: epoch {epoch}: {tokens:,} tokens in {seconds:.3f} s = "
                      f"{tokens / seconds / 1e6:5.2f} M tokens/s")
            later = rates[1:]
            if later:
                print(f"  prob={prob}: epochs after the first: {min(later) / 1e6:.2f}-{max(later) / 1e6:.2f} M tokens/s"
                      f"; the first {rates[0] / 1e6:.2f} M tokens/s")
            padding = dataset.stats.get("padding", 0)
            tokenized = dataset.stats.get("documents_tokenized")
            print(f"  prob={prob}: padding {padding:,} tokens over {args.epochs} epochs"
                  + (f"; documents tokenized {tokenized} (once)" if tokenized is not None else ""))
        floor = floor_rate(tokens, args.block_size)
        print(f"  floor: slicing {tokens:,} pre-tokenized ids into blocks {floor / 1e6:.1f} M tokens/s")
        if "cross_document_attention" in inspect.signature(PackedDataset).parameters:
            dataset = PackedDataset(folder, tokenizer, args.block_size, prob=0.5, cross_document_attention=True)
            rates = [t / s for t, s in (epoch_rate(dataset, e) for e in range(args.epochs))]
            print(f"  cross_document_attention=True, prob=0.5: after the first epoch "
                  f"{min(rates[1:]) / 1e6:.2f}-{max(rates[1:]) / 1e6:.2f} M tokens/s")


if __name__ == "__main__":
    main()
