"""Cost of SuppressTranslateLogitsProcessor in model.generate() on a tiny random Llama.

Compares generate() wall time with no processor, with a processor that returns the scores untouched (what
any processor costs), with transformers' SuppressTokensLogitsProcessor on the ``<translate>`` id (the peer:
same ban, no span awareness), with leia's processor, and with no processor but the ban add_leia_tokens saves
in the model's generation_config (``bad_words_ids``), for greedy search and beam search; runs are interleaved (in rotating order) and the median of several is reported. Target: leia's overhead at most 10%.

    python tests/benchmarks/bench_generation.py [--runs 7] [--new-tokens 64] [--batch 4] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from transformers import (  # noqa: E402
    AutoTokenizer,
    LlamaConfig,
    LlamaForCausalLM,
    LogitsProcessor,
    LogitsProcessorList,
    SuppressTokensLogitsProcessor,
)

from leia.generation import SuppressTranslateLogitsProcessor  # noqa: E402
from leia.schemas import MARKER_CLOSE, MARKER_OPEN  # noqa: E402

TOKENIZER = Path(__file__).resolve().parents[2].parent / "shared" / "tokenizers" / "llm-jp-v2.2-code10k-en20k-ja30k"
PROMPTS = ["日本の首都は", "東京は日本の", "カイロはエジプトの", "富士山は"]


class Identity(LogitsProcessor):
    """Returns the scores as they are: what any processor costs generate() before doing anything."""

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        return scores


def per_call_us(processor: LogitsProcessor, input_ids: torch.Tensor, scores: torch.Tensor, calls: int) -> float:
    """Median over 5 rounds of the time of one ``processor(input_ids, scores)`` call, in microseconds."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            processor(input_ids, scores)
        rounds.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    tokenizer = AutoTokenizer.from_pretrained(str(TOKENIZER))
    tokenizer.padding_side = "left"
    tokenizer.add_special_tokens(
        {"additional_special_tokens": [*tokenizer.extra_special_tokens, MARKER_OPEN, MARKER_CLOSE]}
    )
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = LlamaForCausalLM(config).eval()
    model.generation_config.eos_token_id = None
    prompts = (PROMPTS * args.batch)[: args.batch]
    batch = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    open_id = tokenizer.convert_tokens_to_ids(MARKER_OPEN)
    variants = {
        "none": LogitsProcessorList(),
        "identity": LogitsProcessorList([Identity()]),
        "SuppressTokens": LogitsProcessorList([SuppressTokensLogitsProcessor([open_id])]),
        "leia": LogitsProcessorList([SuppressTranslateLogitsProcessor(tokenizer)]),
        "generation_config": LogitsProcessorList(),
    }
    banned = {"generation_config": [[open_id]]}

    generator = torch.Generator().manual_seed(0)
    input_ids = torch.randint(0, len(tokenizer) - 2, (args.batch, 8 + args.new_tokens), generator=generator)
    scores = torch.randn(args.batch, len(tokenizer))
    calls = {name: per_call_us(p[0], input_ids, scores, 500) for name, p in variants.items() if p}
    print(f"one call on scores ({args.batch}, {len(tokenizer)}), {input_ids.shape[-1]} tokens per row:")
    for name, us in calls.items():
        print(f"  {name:<15} {us:8.1f} us")
    print(
        f"tiny Llama (vocab {len(tokenizer)}, hidden 32, 2 layers), batch {args.batch}, "
        f"{args.new_tokens} new tokens, {args.threads} thread(s), median of {args.runs} runs"
    )
    for case, options in [("greedy", {"do_sample": False}), ("beam-3", {"num_beams": 3, "do_sample": False})]:
        times: dict[str, list[float]] = {name: [] for name in variants}
        outputs: dict[str, torch.Tensor] = {}
        for run in range(args.runs + 1):
            names = list(variants)
            for name in names[run % len(names) :] + names[: run % len(names)]:
                processors = variants[name]
                model.generation_config.bad_words_ids = banned.get(name)
                start = time.perf_counter()
                with torch.no_grad():
                    out = model.generate(
                        **batch,
                        logits_processor=processors,
                        max_new_tokens=args.new_tokens,
                        min_new_tokens=args.new_tokens,
                        **options,
                    )
                if run:
                    times[name].append(time.perf_counter() - start)
                outputs[name] = out
        assert all(o.shape[-1] == batch["input_ids"].shape[-1] + args.new_tokens for o in outputs.values())
        medians = {name: statistics.median(t) for name, t in times.items()}
        base = medians["none"]
        print(f"{case}:")
        for name, median in medians.items():
            print(
                f"  {name:<15} median {median * 1000:7.1f} ms (min {min(times[name]) * 1000:7.1f})"
                f"   x{median / base:.3f} of none"
            )
        leia = medians["leia"]
        print(
            f"  leia overhead: {100 * (leia / base - 1):+.1f}% vs none, "
            f"{100 * (leia / medians['identity'] - 1):+.1f}% vs identity, "
            f"{100 * (leia / medians['SuppressTokens'] - 1):+.1f}% vs SuppressTokens (target: at most +10% vs none)"
        )
        print(f"  generation_config ban (bad_words_ids): {100 * (medians['generation_config'] / base - 1):+.1f}% vs none")
    steps_ms = calls["leia"] * args.new_tokens / 1000
    print(f"leia's own calls in one greedy run: {steps_ms:.1f} ms ({args.new_tokens} x {calls['leia']:.1f} us)")


if __name__ == "__main__":
    main()
