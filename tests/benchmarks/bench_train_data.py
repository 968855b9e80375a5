"""What feeding `leia train` costs, on the 103 dev articles with llm-jp's tokenizer and 2,048-token blocks:

- packing (``leia tokenize``, what `leia train` does once per epoch before the first step): tokens per CPU-second;
- going back to the data position on resume: `Trainer` on a streamed dataset (PackedDataset) reads, tokenizes
  and packs every batch before the position again (tokens per CPU-second, extrapolated to jawiki), where
  BlockDataset's data loader skips them unread (the time to reach the last batch against the first);
- the data loader of one process (BlockDataset + LeiaDataCollator) in tokens per CPU-second, against the
  tokens per second a model trains at: measured here for the --smoke model and a 75 M-parameter one on this
  CPU, and for 8 GPUs at the rate given with --gpu-tokens-per-second (an assumption, printed as such).

    python tests/benchmarks/bench_train_data.py [--gpu-tokens-per-second 20000]

jawiki's size is extrapolated from the dev articles' tokens per byte of wikitext and --jawiki-wikitext-gb
(10 GB of article wikitext in 2024, as the README says).
"""

from __future__ import annotations

import argparse
import bz2
import sys
import tempfile
import time
from pathlib import Path

import torch
import transformers
from accelerate import skip_first_batches

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _dev_corpus  # noqa: E402

from leia.api import tokenize  # noqa: E402
from leia.training import BlockDataset, LeiaDataCollator, PackedDataset, add_leia_tokens  # noqa: E402
from leia.training.loading import build_model, smoke_config  # noqa: E402


def cpu() -> float:
    return time.process_time()


def loader(dataset, collate, batch_size: int):
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, collate_fn=collate, shuffle=False)


def model_rate(tokenizer, config: dict, block: int, batch: int, steps: int) -> float:
    torch.manual_seed(0)
    model = build_model(tokenizer, config=config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(0, len(tokenizer) - 2, (batch, block))
    start = None
    for step in range(steps + 1):
        if step == 1:
            start = time.perf_counter()
        model(input_ids=ids, labels=ids, use_cache=False).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return steps * batch * block / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--block-size", type=int, default=2048)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--jawiki-wikitext-gb", type=float, default=10.0)
    parser.add_argument("--gpu-tokens-per-second", type=float, default=20_000.0,
                        help="tokens per second one GPU trains the model at (an assumption: about what a 1-2 B "
                             "model in bf16 reaches on one recent GPU)")
    args = parser.parse_args()
    tokenizer = transformers.AutoTokenizer.from_pretrained(_dev_corpus.TOKENIZER)
    add_leia_tokens(tokenizer)
    wikitext = len(bz2.decompress(_dev_corpus.DUMP.read_bytes()))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = _dev_corpus.build(root, prob=0.5)

        t = cpu()
        manifest = tokenize(data, root / "e0", tokenizer=tokenizer, block_size=args.block_size, prob=0.5,
                            progress=False)
        pack_cpu = cpu() - t
        tokens = manifest.counters["tokens"]
        jawiki_tokens = tokens / wikitext * args.jawiki_wikitext_gb * 1e9
        print(f"dev articles: {wikitext / 1e6:.1f} MB of wikitext, {tokens:,} tokens in "
              f"{manifest.counters['blocks']} blocks; jawiki ({args.jawiki_wikitext_gb:g} GB of wikitext) "
              f"extrapolated: {jawiki_tokens / 1e9:.2f} G tokens")
        print(f"packing an epoch (tokenize + draw + pack + write): {tokens / pack_cpu / 1e6:.2f} M tokens per "
              f"CPU-second; jawiki: {jawiki_tokens / (tokens / pack_cpu) / 60:.0f} CPU-minutes per epoch "
              f"(spread over --workers)")

        collate = LeiaDataCollator(tokenizer)
        streamed = PackedDataset(data, tokenizer, args.block_size, prob=0.5)
        t = cpu()
        seen = sum(b["input_ids"].numel() for b in loader(streamed, collate, args.batch_size))
        stream_rate = seen / (cpu() - t)
        print(f"resume on the stream (re-read, re-tokenized, packed, collated up to the position): "
              f"{stream_rate / 1e6:.2f} M tokens per CPU-second; at the end of a jawiki epoch that is "
              f"{jawiki_tokens / stream_rate / 60:.0f} CPU-minutes on every process")

        blocks = BlockDataset([root / "e0"], seed=0)
        batches = len(blocks) // args.batch_size
        timings = []
        next(iter(loader(blocks, collate, args.batch_size)))  # warm up
        for skip in (0, batches - 1):
            t = time.perf_counter()
            first = next(iter(skip_first_batches(loader(blocks, collate, args.batch_size), skip)))
            timings.append(time.perf_counter() - t)
        assert first["input_ids"].shape == (args.batch_size, args.block_size)
        print(f"resume on BlockDataset: the first batch after skipping 0 batches {timings[0] * 1e3:.1f} ms, "
              f"after skipping {batches - 1} {timings[1] * 1e3:.1f} ms (the skipped ones are not read)")

        t = cpu()
        fed = 0
        for _ in range(5):
            fed += sum(b["input_ids"].numel() for b in loader(blocks, collate, args.batch_size))
        loader_rate = fed / (cpu() - t)
        print(f"data loader of one process (BlockDataset + LeiaDataCollator, shuffled): "
              f"{loader_rate / 1e6:.1f} M tokens per CPU-second")

    smoke = model_rate(tokenizer, smoke_config(tokenizer, 512), 512, 2, 3)
    small = model_rate(tokenizer, {**smoke_config(tokenizer, 512), "hidden_size": 512, "intermediate_size": 1408,
                                   "num_hidden_layers": 8, "num_attention_heads": 8, "num_key_value_heads": 8},
                       512, 1, 2)
    gpus = 8 * args.gpu_tokens_per_second
    print(f"models on this CPU (training steps, 512-token blocks): --smoke {smoke:,.0f} tokens/s, 75 M parameters "
          f"{small:,.0f} tokens/s")
    print(f"8 GPUs at an assumed {args.gpu_tokens_per_second:,.0f} tokens/s each: {gpus:,.0f} tokens/s; one "
          f"process reading every batch (accelerate's dispatch) keeps up {loader_rate / gpus:,.0f} times over; "
          f"with leia train each process reads only its own")


if __name__ == "__main__":
    main()
