"""The tokens a model trains on, per tokenizer, over the 103 dev articles augmented with --prob 1.0: the
augmented text tokenized as one string (what leia did before encode_spans) against encode_spans.

    python tests/benchmarks/eval_tokens.py

For llm-jp's tokenizer (../shared/tokenizers) and for a Llama-style (Metaspace, prepend_scheme="first") and
a GPT-2-style byte-level BPE trained here on ~1 MB of the enwiki sample and five dev articles (as
tests/test_encode_spans.py builds them), it prints:
- documents whose tokens outside the spans differ from the plain text's (``tokenizer(plain)``),
- spans whose name is tokenized unlike running English text (the tokens of "The " + name after "The"),
- spans left out because their place falls inside a token (encode_spans only).
"""

from __future__ import annotations

import bz2
import re
import sys
import tempfile
from pathlib import Path

import transformers

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _dev_corpus  # noqa: E402
from offline_tokenizers import byte_level, llama_style, split_spans  # noqa: E402

from leia.schemas import MARKER_CLOSE, MARKER_OPEN  # noqa: E402
from leia.io.shards import iter_record_batches  # noqa: E402
from leia.spans import strip_spans  # noqa: E402
from leia.training import SpanEncoder, add_leia_tokens  # noqa: E402

SPAN = re.compile(re.escape(MARKER_OPEN) + "(.*?)" + re.escape(MARKER_CLOSE), re.S)


def measure(tokenizer, texts: list[str], ids: list[list[int]], english: dict[str, list[int]]) -> tuple[int, int, int]:
    plains = tokenizer([strip_spans(t) for t in texts], add_special_tokens=False)["input_ids"]
    docs_altered = names_altered = spans = 0
    for text, row, plain in zip(texts, ids, plains):
        outside, names = split_spans(tokenizer, row)
        docs_altered += outside != plain
        wanted = SPAN.findall(text)
        if len(names) == len(wanted):
            names_altered += sum(english[n] != got for n, got in zip(wanted, names))
        else:  # some spans were left out: match the names in order, skipping those
            remaining = iter(wanted)
            names_altered += sum(not any(english[n] == got for n in remaining) for got in names)
        spans += len(names)
    return docs_altered, names_altered, spans


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = _dev_corpus.build(Path(tmp))
        docs = [row for batch in iter_record_batches(folder, "augmented") for row in batch.to_pylist()]
    texts = [d["text"] for d in docs]
    with bz2.open(_dev_corpus.ENWIKI, "rt", encoding="utf-8") as f:
        english_text = "".join(re.findall(r"<text[^>]*>(.*?)</text>", f.read(1_200_000), re.S))
    training = [english_text, *(strip_spans(t) for t in texts[:5])]
    tokenizers = {
        "llm-jp": transformers.AutoTokenizer.from_pretrained(_dev_corpus.TOKENIZER),
        "llama-style": llama_style(training, vocab_size=4000),
        "byte-level": byte_level(training, vocab_size=4000),
    }
    total = sum(t.count(MARKER_OPEN) for t in texts)
    print(f"{len(texts)} dev articles augmented with --prob 1.0, {total} spans")
    print(f"{'tokenizer':<12} {'method':<12} {'docs altered':>13} {'names unlike English':>21} {'spans left out':>15}")
    for name, tokenizer in tokenizers.items():
        add_leia_tokens(tokenizer)
        context = tokenizer("The", add_special_tokens=False)["input_ids"]
        distinct = sorted({n for t in texts for n in SPAN.findall(t)})
        full = tokenizer([f"The {n}" for n in distinct], add_special_tokens=False)["input_ids"]
        english = {n: ids[len(context):] for n, ids in zip(distinct, full)}
        one_string = tokenizer(texts, add_special_tokens=False)["input_ids"]
        encoded = SpanEncoder(tokenizer).encode(texts)
        for method, ids, dropped in (("one string", one_string, 0), ("encode_spans", encoded.input_ids,
                                                                      encoded.spans_dropped)):
            docs_altered, names_altered, spans = measure(tokenizer, texts, ids, english)
            print(f"{name:<12} {method:<12} {docs_altered:>6} / {len(texts):<4} {names_altered:>12} / {spans:<6} "
                  f"{dropped:>6} ({100 * dropped / total:.2f}%)")


if __name__ == "__main__":
    main()
