"""Checks the README's vLLM recipe against an installed vLLM, without a GPU: both SamplingParams build, and vLLM
resolves bad_words=["<translate>"] to the single id of <translate> with a tokenizer leia saved.

    python tests/benchmarks/check_vllm_recipe.py        # in an environment with vllm (and leia on PYTHONPATH)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import transformers
import vllm
from vllm import SamplingParams
from vllm.tokenizers.registry import get_tokenizer

from leia.generation import suppressed_token_ids
from leia.training import add_leia_tokens

TOKENIZER = Path(__file__).resolve().parents[2].parent / "shared" / "tokenizers" / "llm-jp-v2.2-code10k-en20k-ja30k"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer = transformers.AutoTokenizer.from_pretrained(TOKENIZER)
        add_leia_tokens(tokenizer)
        tokenizer.save_pretrained(tmp)
        saved = transformers.AutoTokenizer.from_pretrained(tmp)
        served = get_tokenizer(tmp)  # the tokenizer as vLLM loads it for a model folder
    ids = suppressed_token_ids(saved)
    bias = SamplingParams(max_tokens=64, logit_bias={i: -100.0 for i in ids})
    banned = SamplingParams(max_tokens=64, bad_words=["<translate>"])
    banned.update_from_tokenizer(served)
    print(f"vllm {vllm.__version__}, transformers {transformers.__version__}")
    print(f"suppressed_token_ids: {ids}")
    print(f"SamplingParams(logit_bias=...).logit_bias = {bias.logit_bias}")
    print(f"SamplingParams(bad_words=['<translate>']) resolved to {banned._bad_words_token_ids}")
    ok = bias.logit_bias == {ids[0]: -100.0} and banned._bad_words_token_ids == [ids]
    print("recipe arguments accepted" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
