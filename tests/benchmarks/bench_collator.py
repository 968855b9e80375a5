"""LeiaDataCollator against transformers' DataCollatorForLanguageModeling(mlm=False), and packing throughput.

    python tests/benchmarks/bench_collator.py [--repeat 30] [--articles 103]

The text is the real jawiki sample (../shared/data/jawiki-country-dev.jsonl.gz) with every [[link]] turned
into its label followed by a <translate>...</translate> span (the link target stands in for the English
name), so the batches and blocks hold spans at the density of real articles. The collators get the same 32
features of 2048 tokens (and a second batch of mixed lengths, so both pad); LeiaDataCollator runs with
mask_entity_names=True. Packing is timed over a shard folder of those articles, with 0, 1 and 2 (persistent)
DataLoader workers, for two epochs (the first tokenizes); tokens/s counts the tokens of the blocks produced,
worker start-up included. The script also runs against an earlier leia checkout on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import tempfile
import time
from pathlib import Path

import torch
import transformers

from leia.schemas import AUGMENTED
from leia.io.manifest import Manifest
from leia.io.shards import ShardWriter
from leia.training import LeiaDataCollator, PackedDataset, add_leia_tokens

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
TOKENIZER = SHARED / "tokenizers" / "llm-jp-v2.2-code10k-en20k-ja30k"
ARTICLES = SHARED / "data" / "jawiki-country-dev.jsonl.gz"
LINK = re.compile(r"\[\[([^\[\]|]+)(?:\|([^\[\]]*))?\]\]")


def augmented_articles(limit: int) -> list[dict]:
    docs = []
    with gzip.open(ARTICLES, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= limit:
                break
            page = json.loads(line)
            text = LINK.sub(lambda m: f"{m.group(2) or m.group(1)}<translate>{m.group(1)}</translate>", page["text"])
            docs.append({"id": i, "title": page["title"], "text": text, "mentions": []})
    return docs


def time_per_call(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_collators(tokenizer, docs: list[dict], repeat: int) -> None:
    stream = []
    for doc in docs:
        stream += tokenizer(doc["text"], add_special_tokens=False)["input_ids"]
        if len(stream) >= 32 * 2048:
            break
    full = [{"input_ids": stream[i * 2048:(i + 1) * 2048]} for i in range(32)]
    mixed = [{"input_ids": f["input_ids"][: 1024 + 32 * i]} for i, f in enumerate(full)]
    spans = sum(f["input_ids"].count(tokenizer.convert_tokens_to_ids("<translate>")) for f in full)
    leia = LeiaDataCollator(tokenizer, mask_entity_names=True)
    peer = transformers.DataCollatorForLanguageModeling(tokenizer, mlm=False)
    print(f"collator: 32 features, {spans} spans in the 2048-token batch; median of {repeat} calls")
    for name, features in (("32 x 2048", full), ("32 x 1024..2016", mixed)):
        ours = time_per_call(lambda: leia(features), repeat)
        theirs = time_per_call(lambda: peer(features), repeat)
        print(
            f"  {name:<16} LeiaDataCollator {ours * 1e3:7.2f} ms/batch   "
            f"DataCollatorForLanguageModeling {theirs * 1e3:7.2f} ms/batch   ratio {ours / theirs:.2f}"
        )


def bench_packing(tokenizer, docs: list[dict], block_size: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shards = []
        for s in range(4):
            name = f"shard-{s:05d}.arrow"
            part = docs[s::4]
            writer = ShardWriter(folder / name, AUGMENTED)
            for b in range(0, len(part), 8):
                writer.write_rows(part[b:b + 8])
            writer.close()
            shards.append(writer.entry(s, {}))
        Manifest(kind="augmented", inputs=[], parameters={"strategy": "right"}, schema=AUGMENTED.to_string(),
                 shards=shards, complete=True).save(folder)
        megabytes = sum(len(d["text"].encode()) for d in docs) / 1e6
        print(f"packing: {len(docs)} articles, {megabytes:.1f} MB of text, block_size {block_size}")
        for workers in (0, 1, 2):
            dataset = PackedDataset(folder, tokenizer, block_size)
            loader = torch.utils.data.DataLoader(dataset, batch_size=8, num_workers=workers,
                                                 persistent_workers=workers > 0)
            rates = []
            for epoch in (0, 1):
                dataset.set_epoch(epoch)
                start = time.perf_counter()
                tokens = sum(batch["input_ids"].numel() for batch in loader)
                elapsed = time.perf_counter() - start
                rates.append(f"epoch {epoch} {tokens / elapsed:>11,.0f} tokens/s")
            print(f"  {workers} workers: {tokens:,} tokens per epoch; {', '.join(rates)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--articles", type=int, default=103)
    parser.add_argument("--block-size", type=int, default=2048)
    args = parser.parse_args()
    torch.set_num_threads(1)
    tokenizer = transformers.AutoTokenizer.from_pretrained(TOKENIZER)
    add_leia_tokens(tokenizer)
    docs = augmented_articles(args.articles)
    bench_collators(tokenizer, docs, args.repeat)
    bench_packing(tokenizer, docs, args.block_size)


if __name__ == "__main__":
    main()
