"""Tokenizers of the two other common styles, trained in a second or two with the ``tokenizers`` library on
the text given, wrapped as transformers fast tokenizers, and what checks the ids they give for augmented text:

- ``llama_style``: SentencePiece-like BPE with byte fallback, a Metaspace pre-tokenizer with
  ``prepend_scheme="first"`` (what ``LlamaTokenizerFast(legacy=False)`` builds: no "▁" is prepended to text
  that follows a special token), a bos before every text;
- ``byte_level``: GPT-2-like byte-level BPE (a space is part of the next word's token, "Ġ").
"""

from __future__ import annotations

from typing import Iterable

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

ENGLISH = (
    "The Mount Fuji is the highest mountain of Japan. The Nile flows through Cairo and Egypt. "
    "Paris, Lima, Machu Picchu, Tokyo, the United States of America, New Zealand, South Africa. "
)


def llama_style(texts: Iterable[str], vocab_size: int = 3000) -> PreTrainedTokenizerFast:
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    # Trained on words, as SentencePiece learns pieces that never hold a "▁" past their first character;
    # used on whole texts, as LlamaTokenizerFast does.
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    tokenizer.decoder = decoders.Sequence([
        decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0),
    ])
    specials = ["<unk>", "<s>", "</s>"]
    byte_tokens = [f"<0x{b:02X}>" for b in range(256)]
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials + byte_tokens,
                                  show_progress=False, max_token_length=16)
    tokenizer.train_from_iterator([ENGLISH, *texts], trainer)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", tokenizer.token_to_id("<s>"))]
    )
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>",
                                   unk_token="<unk>", pad_token="</s>")


def byte_level(texts: Iterable[str], vocab_size: int = 3000) -> PreTrainedTokenizerFast:
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=True)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<|endoftext|>"], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator([ENGLISH, *texts], trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<|endoftext|>",
                                   eos_token="<|endoftext|>", pad_token="<|endoftext|>")


def running_english(tokenizer, name: str) -> list[int]:
    """The ids of ``name`` after ``The`` in English text."""
    context = tokenizer("The", add_special_tokens=False)["input_ids"]
    ids = tokenizer("The " + name, add_special_tokens=False)["input_ids"]
    assert ids[:len(context)] == context
    return ids[len(context):]


def split_spans(tokenizer, ids: list[int]) -> tuple[list[int], list[list[int]]]:
    """(the ids outside the spans, the ids between each pair of markers); asserts the markers pair up."""
    open_id, close_id = tokenizer.convert_tokens_to_ids(["<translate>", "</translate>"])
    outside: list[int] = []
    names: list[list[int]] = []
    current: list[int] | None = None
    for i in ids:
        if i == open_id:
            assert current is None
            current = []
        elif i == close_id:
            assert current is not None
            names.append(current)
            current = None
        elif current is not None:
            current.append(i)
        else:
            outside.append(i)
    assert current is None
    return outside, names
