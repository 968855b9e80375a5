"""encode_spans and TokenizedBatch: the tokens outside the spans are the plain text's, a name has its
running-English tokens, the markers are single tokens; with llm-jp's tokenizer and with a Llama-style and a
GPT-2-style tokenizer trained here, on hand-written text and on the real dev articles."""

from __future__ import annotations

import bz2
import copy
import json
import re
from pathlib import Path

import numpy as np
import pytest

transformers = pytest.importorskip("transformers")
pytest.importorskip("torch")
pytest.importorskip("tokenizers")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from offline_tokenizers import byte_level, llama_style, running_english, split_spans  # noqa: E402

from leia.spans import strip_spans  # noqa: E402
from leia.training import (  # noqa: E402
    SpanEncoder,
    TokenizedBatch,
    add_leia_tokens,
    encode_spans,
    redraw_spans,
)

DOCUMENTS = json.loads((Path(__file__).parent / "fixtures" / "training_augmented.json").read_text(encoding="utf-8"))
OPEN, CLOSE = "<translate>", "</translate>"


@pytest.fixture(scope="module")
def dev_augmented(tmp_path_factory, jawiki_dev_dump, jawiki_dev_langlinks) -> list[dict]:
    """The 103 dev articles augmented with prob 1.0, as leia extract / entities / augment build them."""
    from leia.entities import build_entities
    from leia.api import extract
    from leia.api import augment
    from leia.io.shards import iter_record_batches

    folder = tmp_path_factory.mktemp("dev")
    extract(jawiki_dev_dump, folder / "documents", progress=False)
    build_entities(folder / "entities.duckdb", dump=jawiki_dev_dump, langlinks=jawiki_dev_langlinks, progress=False)
    augment(folder / "documents", folder / "entities.duckdb", folder / "augmented", prob=1.0, progress=False)
    return [row for batch in iter_record_batches(folder / "augmented", "augmented") for row in batch.to_pylist()]


@pytest.fixture(scope="module")
def training_text(enwiki_sample_dump, dev_augmented) -> list[str]:
    """About 1 MB of real English wikitext and five Japanese articles: an English-centric tokenizer's diet."""
    with bz2.open(enwiki_sample_dump, "rt", encoding="utf-8") as f:
        english = "".join(re.findall(r"<text[^>]*>(.*?)</text>", f.read(1_200_000), re.S))
    return [english, *(strip_spans(d["text"]) for d in dev_augmented[:5])]


@pytest.fixture(scope="module")
def tokenizers(tokenizer_path, training_text) -> dict:
    made = {
        "llm-jp": transformers.AutoTokenizer.from_pretrained(tokenizer_path),
        "llama-style": llama_style(training_text, vocab_size=4000),
        "byte-level": byte_level(training_text, vocab_size=4000),
    }
    for tokenizer in made.values():
        add_leia_tokens(tokenizer)
    return made


@pytest.fixture(params=["llm-jp", "llama-style", "byte-level"])
def tokenizer(request, tokenizers):
    return tokenizers[request.param]


def tokens(tokenizer, ids):
    return tokenizer.convert_ids_to_tokens(ids)


def plain_ids(tokenizer, text, add_special_tokens=False):
    return tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"]


SPAN = re.compile(re.escape(OPEN) + "(.*?)" + re.escape(CLOSE), re.S)


def check(tokenizer, texts, add_special_tokens=False) -> tuple[int, int]:
    """The three properties for each augmented text; returns (spans, spans left out) over all of them."""
    result = SpanEncoder(tokenizer).encode(texts, add_special_tokens)
    plains = tokenizer([strip_spans(t) for t in texts], add_special_tokens=add_special_tokens)["input_ids"]
    wanted = [SPAN.findall(t) for t in texts]
    distinct = sorted({n for names in wanted for n in names})
    english = dict(zip(distinct, (running_english(tokenizer, n) for n in distinct)))
    kept_total = 0
    for ids, plain, names in zip(result.input_ids, plains, wanted):
        outside, spans = split_spans(tokenizer, ids)
        assert outside == plain
        remaining = iter(names)
        for got in spans:  # the names, in order; the left-out ones are skipped
            assert any(english[name] == got for name in remaining)
        kept_total += len(spans)
    assert result.spans == sum(map(len, wanted))
    assert kept_total == result.spans - result.spans_dropped
    return result.spans, result.spans_dropped


# -- the three properties, on text written here -----------------------------------------------------------

def test_llm_jp_span_sits_between_the_plain_texts_tokens(tokenizers):
    tok = tokenizers["llm-jp"]
    text = "富士山<translate>Mount Fuji</translate>が"
    assert tokens(tok, plain_ids(tok, text)) == ["▁", "富士山", OPEN, "▁Mount", "▁Fuji", CLOSE, "▁", "が"]
    assert tokens(tok, encode_spans([text], tok)[0]) == ["▁", "富士山", OPEN, "▁Mount", "▁Fuji", CLOSE, "が"]
    assert encode_spans([text], tok, add_special_tokens=True)[0] == encode_spans([text], tok)[0] + [7]


def test_llama_style_names_keep_their_word_initial_form(tokenizers):
    tok = tokenizers["llama-style"]
    text = "富士山<translate>Mount Fuji</translate>が"
    one_string = tokens(tok, plain_ids(tok, text, True))
    assert one_string[one_string.index(OPEN) + 1] == "M"
    got = tokens(tok, encode_spans([text], tok, add_special_tokens=True)[0])
    assert got[0] == "<s>"
    assert got[got.index(OPEN) + 1:got.index(CLOSE)] == tokens(tok, running_english(tok, "Mount Fuji"))
    assert got[got.index(OPEN) + 1] == "▁M"
    assert got[:got.index(OPEN)] == tokens(tok, plain_ids(tok, "富士山", True))


def test_byte_level_names_have_their_leading_space_form(tokenizers):
    tok = tokenizers["byte-level"]
    got = tokens(tok, encode_spans(["<translate>Mount Fuji</translate>が"], tok)[0])
    assert got[:2] == [OPEN, "ĠM"] and got[-2:] == [CLOSE, tokens(tok, plain_ids(tok, "が"))[0]]


def test_a_mention_ending_inside_a_token_gets_no_span(tokenizers):
    tok = tokenizers["llm-jp"]
    assert tokens(tok, plain_ids(tok, "東京都")) == ["▁", "東", "京都"]
    result = SpanEncoder(tok).encode(["東京<translate>Tokyo</translate>都", "東京<translate>Tokyo</translate>"])
    assert result.input_ids[0] == plain_ids(tok, "東京都")
    assert tokens(tok, result.input_ids[1]) == ["▁", "東京", OPEN, "▁Tokyo", CLOSE]
    assert (result.spans, result.spans_dropped) == (2, 1)


def test_special_tokens_stay_when_truncating(tokenizers):
    tok = copy.deepcopy(tokenizers["llm-jp"])
    text = "首都はカイロ<translate>Cairo</translate>。"
    full = encode_spans([text], tok, add_special_tokens=True)[0]
    assert tokens(tok, full) == ["▁", "首都", "は", "カイロ", OPEN, "▁Cairo", CLOSE, "。", "<EOD|LLM-jp>"]
    assert encode_spans([text], tok, add_special_tokens=True, max_length=5)[0] == full[:4] + full[-1:]
    assert encode_spans([text], tok, max_length=5)[0] == full[:5]
    tok.truncation_side = "left"
    assert encode_spans([text], tok, add_special_tokens=True, max_length=4)[0] == full[-4:]
    assert encode_spans([], tok) == []


def test_each_distinct_name_is_tokenized_once(tokenizers):
    encoder = SpanEncoder(tokenizers["llm-jp"])
    texts = ["カイロ<translate>Cairo</translate>とギザ<translate>Giza</translate>", "カイロ<translate>Cairo</translate>"]
    first = encoder.encode(texts)
    assert encoder.stats["names"] == 2
    assert encoder.encode(texts) == first
    assert encoder.stats["names"] == 2


PIECES = ["東京", "は", "日本", "の", "首都", "。", "カイロ", "都", " ", "\n", "a", "Tokyo", "(", ")", "、", "2024年", "ō"]
NAMES = ["Tokyo", "Mount Fuji", "Cairo", "New York City", "São Paulo", "(band)", "A", "U.S.", "Ōsaka"]


@st.composite
def augmented_texts(draw):
    parts = []
    for _ in range(draw(st.integers(0, 12))):
        parts.append(draw(st.sampled_from(PIECES)))
        if draw(st.booleans()):
            parts.append(OPEN + draw(st.sampled_from(NAMES)) + CLOSE)
    return "".join(parts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=augmented_texts(), specials=st.booleans())
def test_the_three_properties_hold_for_any_text(tokenizer, text, specials):
    check(tokenizer, [text], specials)


# -- on the real dev articles --------------------------------------------------------------------------------

def test_the_three_properties_hold_on_every_dev_article(tokenizer, dev_augmented):
    spans, dropped = check(tokenizer, [doc["text"] for doc in dev_augmented])
    assert spans == sum(doc["text"].count(OPEN) for doc in dev_augmented) > 2000
    assert dropped / spans < 0.015


# -- TokenizedBatch: another draw splices ids ------------------------------------------------------------------

@pytest.mark.parametrize("strategy", ["right", "left"])
def test_a_redraw_splices_the_ids_encode_spans_gives_for_the_redrawn_text(tokenizer, dev_augmented, strategy):
    docs = DOCUMENTS + dev_augmented[:4]
    encoder = SpanEncoder(tokenizer)
    batch = TokenizedBatch(encoder, [d["id"] for d in docs], [d["text"] for d in docs], [d["mentions"] for d in docs])
    eos = tokenizer.eos_token_id
    for prob, epoch in [(0.5, 0), (0.5, 1), (1.0, 0)]:
        draw = batch.draw(prob, strategy, 3, epoch, eos)
        texts = [redraw_spans(d, prob, strategy, 3, epoch)["text"] for d in docs]
        expected = SpanEncoder(tokenizer).encode(texts)
        assert draw.ids.tolist() == [i for ids in expected.input_ids for i in (*ids, eos)]
        assert draw.lengths.tolist() == [len(ids) + 1 for ids in expected.input_ids]
        assert (draw.spans, draw.spans_dropped) == (expected.spans, expected.spans_dropped)


def test_replace_takes_the_mentions_tokens_out(tokenizers):
    tok = tokenizers["llm-jp"]
    docs = DOCUMENTS[:2]
    batch = TokenizedBatch(SpanEncoder(tok), [d["id"] for d in docs], [d["text"] for d in docs],
                           [d["mentions"] for d in docs])
    draw = batch.draw(1.0, "replace", 0, 0, 7)
    first = tokens(tok, draw.ids[:draw.lengths[0]].tolist())
    assert first == tokens(tok, plain_ids(tok, "エジプトの首都は")) + [OPEN, "▁Cairo", CLOSE] + tokens(
        tok, plain_ids(tok, "である。\n")[1:]) + [OPEN, *tokens(tok, running_english(tok, "Nile")), CLOSE] + tokens(
        tok, plain_ids(tok, "が国土を南北に流れる。")[1:]) + ["<EOD|LLM-jp>"]
    assert np.array_equal(draw.lengths, [len(first), len(draw.ids) - len(first)])
