"""leia.training with the real tokenizer of a Japanese LLM and tiny randomly initialised Llama models."""

from __future__ import annotations

import copy
import json
import math
from collections import Counter
from pathlib import Path

import pyarrow as pa
import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from leia.errors import ConfigError, InputError  # noqa: E402
from leia.schemas import AUGMENTED  # noqa: E402
from leia.io.manifest import Manifest, shard_name  # noqa: E402
from leia.io.shards import ShardWriter  # noqa: E402
from leia.spans import draw_mask, strip_spans  # noqa: E402
from leia.training import (  # noqa: E402
    LeiaDataCollator,
    LeiaRedrawDataset,
    PackedDataset,
    add_leia_tokens,
    encode_spans,
    pack,
    redraw_batch,
    redraw_spans,
)

DOCUMENTS = json.loads((Path(__file__).parent / "fixtures" / "training_augmented.json").read_text(encoding="utf-8"))
OPEN, CLOSE = 48586, 48587
PAD = 4
IGNORE = -100


@pytest.fixture(scope="module")
def base_tokenizer(tokenizer_path):
    return transformers.AutoTokenizer.from_pretrained(tokenizer_path)


@pytest.fixture
def plain(base_tokenizer):
    return copy.deepcopy(base_tokenizer)


@pytest.fixture
def tokenizer(base_tokenizer):
    tok = copy.deepcopy(base_tokenizer)
    assert add_leia_tokens(tok) == (OPEN, CLOSE)
    return tok


def tiny_llama(vocab_size: int, tied: bool):
    config = transformers.LlamaConfig(
        vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=128,
        tie_word_embeddings=tied, pad_token_id=PAD, bos_token_id=1, eos_token_id=7,
    )
    torch.manual_seed(0)
    return transformers.LlamaForCausalLM(config)


def write_shards(folder: Path, layout: list[list[list[dict]]], strategy: str = "right") -> Path:
    """One shard per outer item, one record batch per inner list."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(kind="augmented", inputs=[], parameters={"strategy": strategy, "prob": 0.5, "seed": 0},
                        schema=AUGMENTED.to_string(), complete=True)
    for s, batches in enumerate(layout):
        writer = ShardWriter(folder / shard_name(s), AUGMENTED)
        for rows in batches:
            writer.write_batch(pa.RecordBatch.from_pylist(rows, schema=AUGMENTED))
        writer.close()
        manifest.add_shard(writer.entry(s, {}))
    manifest.save(folder)
    return folder


@pytest.fixture
def shard_folder(tmp_path):
    d = DOCUMENTS
    return write_shards(tmp_path / "augmented", [[d[0:2], d[2:3]], [d[3:4], d[4:6]]])


# -- add_leia_tokens -------------------------------------------------------------------------------------

def test_markers_become_single_special_tokens_and_existing_extras_stay(plain):
    before = len(plain)
    assert add_leia_tokens(plain) == (OPEN, CLOSE)
    assert len(plain) == before + 2
    ids = plain("カイロ<translate>Cairo</translate>", add_special_tokens=False)["input_ids"]
    assert plain.convert_tokens_to_ids(["<translate>", "</translate>"]) == [OPEN, CLOSE]
    assert plain.convert_ids_to_tokens(ids) == ["▁", "カイロ", "<translate>", "▁Cairo", "</translate>"]
    assert set(plain.all_special_tokens) >= {"</s|LLM-jp>", "<translate>", "</translate>"}
    assert plain.decode([OPEN, 5139], skip_special_tokens=True) == "。"


def test_add_leia_tokens_twice_changes_nothing(tokenizer):
    specials = list(tokenizer.all_special_tokens)
    assert add_leia_tokens(tokenizer) == (OPEN, CLOSE)
    assert len(tokenizer) == OPEN + 2
    assert tokenizer.all_special_tokens == specials


@pytest.mark.parametrize("tied", [True, False])
def test_new_embedding_rows_are_the_mean_of_the_old_rows(plain, tied):
    model = tiny_llama(len(plain), tied)
    old_in = model.get_input_embeddings().weight.detach().clone()
    old_out = model.get_output_embeddings().weight.detach().clone()
    assert add_leia_tokens(plain, model) == (OPEN, CLOSE)
    new_in = model.get_input_embeddings().weight
    new_out = model.get_output_embeddings().weight
    assert new_in.shape == (OPEN + 2, 32) and new_out.shape == (OPEN + 2, 32)
    assert (new_out is new_in) == tied
    assert torch.equal(new_in[:OPEN], old_in)
    assert torch.equal(new_in[OPEN:], old_in.mean(dim=0).expand(2, 32))
    if not tied:
        assert torch.equal(new_out[:OPEN], old_out)
        assert torch.equal(new_out[OPEN:], old_out.mean(dim=0).expand(2, 32))
    assert model.config.vocab_size == OPEN + 2

    snapshot = {k: v.clone() for k, v in model.state_dict().items()}
    assert add_leia_tokens(plain, model) == (OPEN, CLOSE)
    assert all(torch.equal(v, snapshot[k]) for k, v in model.state_dict().items())


def test_padded_vocabulary_is_not_resized_and_only_marker_rows_are_set(plain):
    model = tiny_llama(48600, tied=False)
    old = model.get_input_embeddings().weight.detach().clone()
    add_leia_tokens(plain, model)
    new = model.get_input_embeddings().weight
    assert new.shape == (48600, 32)
    assert torch.equal(new[[OPEN, CLOSE]], old[:OPEN].mean(dim=0).expand(2, 32))
    assert torch.equal(new[:OPEN], old[:OPEN]) and torch.equal(new[CLOSE + 1:], old[CLOSE + 1:])


def test_model_is_resized_when_the_tokenizer_already_has_the_markers(tokenizer):
    model = tiny_llama(OPEN, tied=True)
    old = model.get_input_embeddings().weight.detach().clone()
    add_leia_tokens(tokenizer, model)
    assert torch.equal(model.get_input_embeddings().weight[OPEN:], old.mean(dim=0).expand(2, 32))


# -- LeiaDataCollator ------------------------------------------------------------------------------------

# 首都はカイロ<translate>Cairo</translate>。<EOD> and 東京<EOD>
SPAN = [31, 28843, 14948, 37575, OPEN, 22672, CLOSE, 5139, 7]
SHORT = [31, 25956, 7]


def test_feature_ids_are_what_the_tokenizer_gives(tokenizer):
    assert tokenizer("首都はカイロ<translate>Cairo</translate>。")["input_ids"] == [
        31, 28843, 14948, 37575, OPEN, 22672, CLOSE, 31, 5139, 7
    ]
    assert tokenizer("東京")["input_ids"] == SHORT


def test_right_padding_masks_padding_and_markers(tokenizer):
    features = [{"input_ids": list(SPAN), "title": "x", "mentions": []}, {"input_ids": list(SHORT)}]
    batch = LeiaDataCollator(tokenizer)(features)
    assert set(batch) == {"input_ids", "attention_mask", "labels"}
    assert all(v.dtype == torch.int64 for v in batch.values())
    assert torch.equal(batch["input_ids"], torch.tensor([
        [31, 28843, 14948, 37575, OPEN, 22672, CLOSE, 5139, 7],
        [31, 25956, 7, PAD, PAD, PAD, PAD, PAD, PAD],
    ]))
    assert torch.equal(batch["attention_mask"], torch.tensor([
        [1, 1, 1, 1, 1, 1, 1, 1, 1],
        [1, 1, 1, 0, 0, 0, 0, 0, 0],
    ]))
    assert torch.equal(batch["labels"], torch.tensor([
        [31, 28843, 14948, 37575, IGNORE, 22672, IGNORE, 5139, 7],
        [31, 25956, 7, IGNORE, IGNORE, IGNORE, IGNORE, IGNORE, IGNORE],
    ]))
    assert features[0]["input_ids"] == SPAN


def test_left_padding_and_entity_name_masking(tokenizer):
    tokenizer.padding_side = "left"
    batch = LeiaDataCollator(tokenizer, mask_entity_names=True)(
        [{"input_ids": torch.tensor(SPAN)}, {"input_ids": torch.tensor(SHORT)}]
    )
    assert torch.equal(batch["input_ids"], torch.tensor([
        [31, 28843, 14948, 37575, OPEN, 22672, CLOSE, 5139, 7],
        [PAD, PAD, PAD, PAD, PAD, PAD, 31, 25956, 7],
    ]))
    assert torch.equal(batch["attention_mask"], torch.tensor([
        [1, 1, 1, 1, 1, 1, 1, 1, 1],
        [0, 0, 0, 0, 0, 0, 1, 1, 1],
    ]))
    assert torch.equal(batch["labels"], torch.tensor([
        [31, 28843, 14948, 37575, IGNORE, IGNORE, IGNORE, 5139, 7],
        [IGNORE, IGNORE, IGNORE, IGNORE, IGNORE, IGNORE, 31, 25956, 7],
    ]))


def test_entity_names_of_several_spans_are_masked_and_text_between_is_kept(tokenizer):
    ids = [10, OPEN, 11, 12, CLOSE, 13, 14, OPEN, 15, CLOSE, 16]
    off = LeiaDataCollator(tokenizer)([{"input_ids": ids}])["labels"]
    on = LeiaDataCollator(tokenizer, mask_entity_names=True)([{"input_ids": ids}])["labels"]
    assert off.tolist() == [[10, IGNORE, 11, 12, IGNORE, 13, 14, IGNORE, 15, IGNORE, 16]]
    assert on.tolist() == [[10, IGNORE, IGNORE, IGNORE, IGNORE, 13, 14, IGNORE, IGNORE, IGNORE, 16]]


def test_span_cut_by_truncation_is_masked_to_the_end(tokenizer):
    collator = LeiaDataCollator(tokenizer, max_length=5, mask_entity_names=True)
    batch = collator([{"input_ids": [10, 11, OPEN, 12, 13, CLOSE, 14]}, {"input_ids": [10, 11]}])
    assert batch["input_ids"].tolist() == [[10, 11, OPEN, 12, 13], [10, 11, PAD, PAD, PAD]]
    assert batch["labels"].tolist() == [[10, 11, IGNORE, IGNORE, IGNORE], [10, 11, IGNORE, IGNORE, IGNORE]]
    unmasked = LeiaDataCollator(tokenizer, max_length=5)([{"input_ids": [10, 11, OPEN, 12, 13, CLOSE, 14]}])
    assert unmasked["labels"].tolist() == [[10, 11, IGNORE, 12, 13]]


def test_sequence_starting_inside_a_span_is_masked_up_to_its_close(tokenizer):
    collator = LeiaDataCollator(tokenizer, mask_entity_names=True)
    batch = collator([{"input_ids": [12, 13, CLOSE, 14, OPEN, 15, CLOSE, 16]}])
    assert batch["labels"].tolist() == [[IGNORE, IGNORE, IGNORE, 14, IGNORE, IGNORE, IGNORE, 16]]


def test_a_stray_closing_marker_masks_only_itself(tokenizer):
    collator = LeiaDataCollator(tokenizer, mask_entity_names=True)
    batch = collator([{"input_ids": [10, 11, OPEN, 12, CLOSE, 13, 14, CLOSE, 15]},
                      {"input_ids": [10, CLOSE, 11, CLOSE, 12]}])
    assert batch["labels"].tolist() == [
        [10, 11, IGNORE, IGNORE, IGNORE, 13, 14, IGNORE, 15],
        [IGNORE, IGNORE, 11, IGNORE, 12, IGNORE, IGNORE, IGNORE, IGNORE],
    ]


def test_text_is_tokenised_and_truncated_on_the_fly(tokenizer):
    text = "首都はカイロ<translate>Cairo</translate>。"
    batch = LeiaDataCollator(tokenizer, mask_entity_names=True, pad_to_multiple_of=4)(
        [{"text": text, "id": 1, "mentions": []}, {"text": "東京"}]
    )
    assert batch["input_ids"].tolist() == [
        [31, 28843, 14948, 37575, OPEN, 22672, CLOSE, 5139, 7, PAD, PAD, PAD],
        [31, 25956, 7, PAD, PAD, PAD, PAD, PAD, PAD, PAD, PAD, PAD],
    ]
    assert batch["labels"][0].tolist() == [
        31, 28843, 14948, 37575, IGNORE, IGNORE, IGNORE, 5139, 7, IGNORE, IGNORE, IGNORE
    ]
    cut = LeiaDataCollator(tokenizer, max_length=6, mask_entity_names=True)([{"text": text}])
    assert cut["input_ids"].tolist() == [[31, 28843, 14948, 37575, OPEN, 7]]
    assert cut["labels"].tolist() == [[31, 28843, 14948, 37575, IGNORE, IGNORE]]


def test_labels_given_with_the_features_are_kept_and_masked_further(tokenizer):
    batch = LeiaDataCollator(tokenizer, mask_entity_names=True)(
        [
            {"input_ids": [10, 11, OPEN, 12, CLOSE], "labels": [IGNORE, 11, OPEN, 12, CLOSE]},
            {"input_ids": [10], "labels": [10]},
        ]
    )
    assert batch["labels"].tolist() == [[IGNORE, 11, IGNORE, IGNORE, IGNORE], [10, IGNORE, IGNORE, IGNORE, IGNORE]]


def test_collator_refuses_a_tokenizer_without_pad_token(tokenizer):
    tokenizer.pad_token = None
    with pytest.raises(ValueError, match=r"tokenizer\.pad_token = tokenizer\.eos_token"):
        LeiaDataCollator(tokenizer)


def test_collator_refuses_a_tokenizer_without_markers(plain):
    with pytest.raises(ValueError, match=r"leia\.training\.add_leia_tokens\(tokenizer, model\)"):
        LeiaDataCollator(plain)


# -- redrawing -------------------------------------------------------------------------------------------

PERU = DOCUMENTS[3]


def test_redraw_with_prob_one_inserts_every_known_name():
    new = redraw_spans(PERU, prob=1.0, seed=3, epoch=5)
    assert new["text"] == (
        "ペルーの首都はリマ<translate>Lima</translate>である。\n"
        "マチュ・ピチュ<translate>Machu Picchu</translate>はインカ帝国の遺跡である。"
    )
    assert [m["inserted"] for m in new["mentions"]] == [True, True, False]
    left = redraw_spans(PERU, prob=1.0, strategy="left")
    assert left["text"] == (
        "ペルーの首都は<translate>Lima</translate>リマである。\n"
        "<translate>Machu Picchu</translate>マチュ・ピチュはインカ帝国の遺跡である。"
    )


def test_redraw_with_prob_zero_gives_the_plain_text():
    new = redraw_spans(DOCUMENTS[1], prob=0.0)
    assert new["text"] == "日本の首都は東京である。\n富士山は日本で最も高い山である。"
    assert [m["inserted"] for m in new["mentions"]] == [False, False]
    assert DOCUMENTS[1]["mentions"][0]["inserted"] is True


def test_redraw_follows_the_document_stream_and_changes_with_the_epoch():
    kenya = DOCUMENTS[4]
    for epoch in range(4):
        flags = draw_mask(np.full(3, 105), np.arange(3), 0.5, seed=7, epoch=epoch).tolist()
        new = redraw_spans(kenya, prob=0.5, seed=7, epoch=epoch)
        assert [m["inserted"] for m in new["mentions"]] == flags
        assert strip_spans(new["text"]) == strip_spans(kenya["text"])
        assert new["text"].count("<translate>") == sum(flags)
        assert redraw_spans(kenya, prob=0.5, seed=7, epoch=epoch) == new
    texts = {redraw_spans(d, seed=7, epoch=e)["text"] for d in DOCUMENTS for e in range(4)}
    assert len(texts) > len(DOCUMENTS)


def test_redraw_batch_and_dataset_agree_with_redraw_spans():
    columns = {k: [d[k] for d in DOCUMENTS] for k in ("id", "title", "text", "mentions")}
    batch = redraw_batch(columns, prob=0.5, seed=1, epoch=2)
    expected = [redraw_spans(d, prob=0.5, seed=1, epoch=2) for d in DOCUMENTS]
    assert batch["text"] == [e["text"] for e in expected]
    assert batch["mentions"] == [e["mentions"] for e in expected]
    assert batch["title"] == columns["title"]
    dataset = LeiaRedrawDataset(DOCUMENTS, prob=0.5, seed=1)
    dataset.set_epoch(2)
    assert [dataset[i] for i in range(len(dataset))] == expected


# -- packing ---------------------------------------------------------------------------------------------

def test_pack_drops_a_span_that_would_cross_a_block_boundary():
    ids = [1, 2, OPEN, 5, CLOSE, 6, 7, OPEN, 8, 9, CLOSE, 10]
    blocks = pack(ids, 4, OPEN, CLOSE, PAD)
    assert blocks.input_ids.tolist() == [[1, 2, 6, 7], [OPEN, 8, 9, CLOSE], [10, PAD, PAD, PAD]]
    assert blocks.labels.tolist() == [[1, 2, 6, 7], [IGNORE, 8, 9, IGNORE], [10, IGNORE, IGNORE, IGNORE]]
    assert (blocks.spans_dropped, blocks.padding, blocks.tail_tokens_dropped) == (1, 3, 0)
    assert blocks.input_ids.dtype.name == "int64"


def test_pack_keeps_a_span_ending_on_the_boundary_and_drops_one_longer_than_a_block():
    kept = pack([1, OPEN, 2, CLOSE, 3, 4, 5, 6], 4, OPEN, CLOSE, PAD)
    assert kept.input_ids.tolist() == [[1, OPEN, 2, CLOSE], [3, 4, 5, 6]]
    assert kept.spans_dropped == 0 and kept.padding == 0
    long = pack([1, OPEN, 2, 3, 4, 5, CLOSE, 6], 4, OPEN, CLOSE, PAD, drop_tail=True)
    assert long.input_ids.shape == (0, 4)
    assert (long.spans_dropped, long.tail_tokens_dropped) == (1, 2)


def test_pack_drop_tail_and_lone_markers():
    blocks = pack([1, 2, 3, OPEN, 4, 5, 6, 7, CLOSE], 3, OPEN, CLOSE, PAD, drop_tail=True)
    assert blocks.input_ids.tolist() == [[1, 2, 3]]
    assert (blocks.spans_dropped, blocks.tail_tokens_dropped, blocks.padding) == (1, 0, 0)
    lone = pack([CLOSE, 1, OPEN, 2], 2, OPEN, CLOSE, PAD)
    assert lone.input_ids.tolist() == [[CLOSE, 1], [OPEN, 2]]
    assert lone.labels.tolist() == [[IGNORE, 1], [IGNORE, 2]]


def blocks_of(dataset, num_workers: int) -> list[tuple[int, ...]]:
    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=num_workers)
    out = []
    for item in loader:
        assert item["input_ids"].shape == (16,) and item["input_ids"].dtype == torch.int64
        out.append(tuple(item["input_ids"].tolist()))
    return out


SHARDS = [DOCUMENTS[0:3], DOCUMENTS[3:6]]  # the documents of each shard of shard_folder


def expected_blocks(tokenizer, text=lambda doc: doc["text"]) -> list[tuple[int, ...]]:
    """Each shard's documents as encode_spans gives them, each followed by eos, one stream per shard."""
    blocks = []
    for docs in SHARDS:
        ids = []
        for row in encode_spans([text(d) for d in docs], tokenizer):
            ids += row + [tokenizer.eos_token_id]
        blocks += [tuple(b) for b in pack(ids, 16, OPEN, CLOSE, PAD).input_ids.tolist()]
    return blocks


def test_packed_dataset_blocks_run_on_across_record_batches(tokenizer, shard_folder):
    dataset = PackedDataset(shard_folder, tokenizer, 16)
    got = blocks_of(dataset, 0)
    assert got == expected_blocks(tokenizer)
    assert sum(b.count(tokenizer.eos_token_id) for b in got) == len(DOCUMENTS)
    assert sum(b.count(PAD) for b in got) == dataset.stats["padding"] < 2 * 16
    assert dataset.stats["documents"] == 6 and dataset.stats["blocks"] == len(got)
    assert 31 not in [b[i + 1] for b in got for i in range(15) if b[i] == CLOSE]  # no bare "▁" after a span


def test_documents_are_kept_apart_by_position_ids_and_first_token_labels(tokenizer, shard_folder):
    eos = tokenizer.eos_token_id
    previous = eos
    for item in PackedDataset(shard_folder, tokenizer, 16, prob=1.0):
        ids, labels, positions = item["input_ids"].tolist(), item["labels"].tolist(), item["position_ids"].tolist()
        starts = [i == 0 or ids[i - 1] == eos for i in range(16)]
        first_of_document = [(ids[i - 1] if i else previous) == eos for i in range(16)]
        expected_positions, expected_labels = [], []
        for i in range(16):
            expected_positions.append(0 if starts[i] else expected_positions[-1] + 1)
            masked = ids[i] in (OPEN, CLOSE, PAD) or first_of_document[i]
            expected_labels.append(IGNORE if masked else ids[i])
        assert positions == expected_positions
        assert labels == expected_labels
        previous = ids[-1] if ids[-1] != PAD else eos


def test_cross_document_attention_leaves_out_position_ids(tokenizer, shard_folder):
    for item in PackedDataset(shard_folder, tokenizer, 16, prob=1.0, cross_document_attention=True):
        ids, labels = item["input_ids"], item["labels"]
        assert set(item) == {"input_ids", "labels"}
        special = (ids == OPEN) | (ids == CLOSE) | (ids == PAD)
        assert torch.equal(labels, ids.masked_fill(special, IGNORE))


def test_each_document_is_tokenized_once_and_every_epoch_redraws(tokenizer, shard_folder):
    dataset = PackedDataset(shard_folder, tokenizer, 16, prob=0.5, seed=4)
    epochs = []
    for epoch in range(3):
        dataset.set_epoch(epoch)
        epochs.append(blocks_of(dataset, 0))
        assert epochs[-1] == expected_blocks(tokenizer, lambda d: redraw_spans(d, 0.5, "right", 4, epoch)["text"])
    assert dataset.stats["documents_tokenized"] == 6 and dataset.stats["documents"] == 18
    assert len({tuple(e) for e in epochs}) == 3


def test_set_epoch_reaches_persistent_workers(tokenizer, shard_folder):
    dataset = PackedDataset(shard_folder, tokenizer, 16, prob=0.5, seed=4)
    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=1, persistent_workers=True)
    seen = []
    for epoch in (0, 1):
        dataset.set_epoch(epoch)
        seen.append([tuple(item["input_ids"].tolist()) for item in loader])
        assert seen[-1] == expected_blocks(tokenizer, lambda d: redraw_spans(d, 0.5, "right", 4, epoch)["text"])
    assert seen[0] != seen[1]


def sdpa_llama(vocab_size: int):
    config = transformers.LlamaConfig(
        vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=128, attn_implementation="sdpa", torch_dtype="float32",
    )
    torch.manual_seed(0)
    return transformers.LlamaForCausalLM(config).eval()


def segments(position_ids: list[int]) -> list[tuple[int, int]]:
    starts = [i for i, p in enumerate(position_ids) if p == 0] + [len(position_ids)]
    return list(zip(starts, starts[1:]))


def documents_alone(model, batch) -> list[bool]:
    """For every segment of every row (positions restarting at 0), whether its logits are those of its ids
    alone."""
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    alone = []
    with torch.no_grad():
        logits = model(**inputs).logits
        for row, ids in enumerate(batch["input_ids"]):
            for start, end in segments(batch["position_ids"][row].tolist()):
                by_itself = model(ids[start:end][None]).logits[0]
                alone.append(torch.allclose(logits[row, start:end], by_itself, atol=1e-5, rtol=1e-4))
    assert len(alone) > 2
    return alone


def as_the_trainer_leaves_it(model, folder: Path):
    """``model`` after ``Trainer`` took it: its config's ``use_cache`` set from ``TrainingArguments.use_cache``
    (False by default), so that it makes no cache, which would hide the position ids' boundaries."""
    assert model.config.use_cache is True  # as models come
    transformers.Trainer(model=model, args=transformers.TrainingArguments(str(folder), use_cpu=True,
                                                                          report_to="none"))
    assert model.config.use_cache is False
    return model


def test_the_logits_of_each_document_in_a_packed_row_are_those_of_the_document_alone(tokenizer, shard_folder,
                                                                                       tmp_path):
    model = sdpa_llama(len(tokenizer))
    collator = LeiaDataCollator(tokenizer, mask_entity_names=True)
    separate = list(PackedDataset(shard_folder, tokenizer, 32, prob=1.0))
    batch = collator(separate[:3])
    # tensors only (accelerate concatenates and splits batches it hands out), no attention mask
    assert set(batch) == {"input_ids", "labels", "position_ids"}
    assert all(isinstance(v, torch.Tensor) for v in batch.values())
    assert batch["position_ids"].shape == (3, 32)
    assert sum(len(segments(row.tolist())) for row in batch["position_ids"]) > 4
    # a model that makes a cache (as models come) lets the documents of a row see each other...
    assert not all(documents_alone(model, batch))
    # ...one without, as Trainer leaves it, gets from transformers a block-causal mask from the position ids
    assert all(documents_alone(as_the_trainer_leaves_it(model, tmp_path), batch))

    crossing = collator(list(PackedDataset(shard_folder, tokenizer, 32, prob=1.0, cross_document_attention=True))[:3])
    assert set(crossing) == {"input_ids", "attention_mask", "labels"}
    assert torch.equal(crossing["input_ids"], batch["input_ids"])
    with torch.no_grad():
        logits = model(input_ids=crossing["input_ids"], attention_mask=crossing["attention_mask"]).logits
    differs = []
    for row in range(3):
        for start, end in segments(batch["position_ids"][row].tolist()):
            with torch.no_grad():
                alone = model(crossing["input_ids"][row, start:end][None]).logits[0]
            differs.append(not torch.allclose(logits[row, start:end], alone, atol=1e-5, rtol=1e-4))
    assert any(differs) and not all(differs)


def test_flattened_documents_attend_to_themselves_only(tokenizer, tmp_path):
    model = as_the_trainer_leaves_it(sdpa_llama(len(tokenizer)), tmp_path)
    features = [{"text": d["text"]} for d in DOCUMENTS[:4]]
    batch = LeiaDataCollator(tokenizer, flatten=True, mask_entity_names=True)(features)
    assert set(batch) == {"input_ids", "labels", "position_ids"}
    assert all(isinstance(v, torch.Tensor) for v in batch.values())
    encoded = encode_spans([f["text"] for f in features], tokenizer, add_special_tokens=True)
    assert batch["input_ids"].tolist() == [[i for ids in encoded for i in ids]]
    assert batch["position_ids"].tolist() == [[p for ids in encoded for p in range(len(ids))]]
    starts = np.cumsum([0] + [len(ids) for ids in encoded[:-1]])
    labels = batch["labels"][0]
    assert (labels[starts] == IGNORE).all()
    open_at = batch["input_ids"][0] == OPEN
    assert (labels[open_at] == IGNORE).all()
    assert all(documents_alone(model, batch))


def test_packed_dataset_gives_the_same_blocks_with_two_workers(tokenizer, shard_folder):
    dataset = PackedDataset(shard_folder, tokenizer, 16, prob=0.5, seed=4)
    single = blocks_of(dataset, 0)
    assert Counter(blocks_of(dataset, 2)) == Counter(single)
    assert len(single) > 4


def test_two_ranks_partition_the_blocks(tokenizer, shard_folder):
    everything = Counter(blocks_of(PackedDataset(shard_folder, tokenizer, 16), 0))
    parts = [Counter(blocks_of(PackedDataset(shard_folder, tokenizer, 16, rank=r, world_size=2), 0)) for r in (0, 1)]
    assert parts[0] + parts[1] == everything
    assert not set(parts[0]) & set(parts[1])
    assert all(parts)


def test_packed_dataset_redraws_every_known_name_with_prob_one(tokenizer, shard_folder):
    dataset = PackedDataset(shard_folder, tokenizer, 16, prob=1.0)
    opened = sum(b.count(OPEN) for b in blocks_of(dataset, 0))
    assert opened + dataset.stats["spans_dropped"] == 13
    assert dataset.stats["spans_dropped"] > 0
    none = PackedDataset(shard_folder, tokenizer, 16, prob=0.0)
    assert not any(OPEN in b or CLOSE in b for b in blocks_of(none, 0))


def test_packed_dataset_checks_its_folder(tokenizer, tmp_path):
    with pytest.raises(InputError, match="manifest.json"):
        PackedDataset(tmp_path, tokenizer, 16)
    replaced = write_shards(tmp_path / "replace", [[DOCUMENTS[:1]]], strategy="replace")
    with pytest.raises(ConfigError, match="'replace'"):
        PackedDataset(replaced, tokenizer, 16, prob=0.5)
    assert len(list(PackedDataset(replaced, tokenizer, 16))) == 2


# -- Trainer ---------------------------------------------------------------------------------------------

def test_trainer_runs_on_redrawn_documents_with_finite_loss(plain, tmp_path):
    model = tiny_llama(len(plain), tied=False)
    add_leia_tokens(plain, model)
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"), max_steps=3, per_device_train_batch_size=2, learning_rate=1e-3,
        logging_steps=1, save_strategy="no", report_to="none", remove_unused_columns=False, use_cpu=True,
        disable_tqdm=True,
    )
    trainer = transformers.Trainer(
        model=model, args=args, train_dataset=LeiaRedrawDataset(DOCUMENTS, prob=0.5),
        data_collator=LeiaDataCollator(plain, max_length=64, mask_entity_names=True),
    )
    result = trainer.train()
    losses = [log["loss"] for log in trainer.state.log_history if "loss" in log]
    assert len(losses) == 3 and all(math.isfinite(x) for x in losses)
    assert math.isfinite(result.training_loss)


def test_redraw_at_epoch_zero_reproduces_the_augmenters_draw():
    import pyarrow as pa

    from leia.augmenter import AugmentConfig, augment_batch
    from leia.schemas import DOCUMENTS as DOCUMENT_SCHEMA

    text = "カイロとナイル川とギザとルクソールとアスワン"
    anchors = [{"start": s, "end": e, "target": t, "english": None}
               for s, e, t in [(0, 3, "カイロ"), (4, 8, "ナイル川"), (9, 11, "ギザ"), (12, 17, "ルクソール"),
                               (18, 22, "アスワン")]]
    names = {"カイロ": ("Cairo", "langlinks"), "ナイル川": ("Nile", "langlinks"), "ギザ": ("Giza", "langlinks"),
             "アスワン": ("Aswan", "langlinks")}
    batch = pa.RecordBatch.from_pylist([{"id": 42, "title": "t", "text": text, "anchors": anchors}],
                                       schema=DOCUMENT_SCHEMA)
    for seed in range(6):
        out, _ = augment_batch(batch, lambda ts: [names.get(t) for t in ts], AugmentConfig(prob=0.5, seed=seed))
        example = out.to_pylist()[0]
        assert redraw_spans(example, prob=0.5, seed=seed, epoch=0) == example


def test_collator_refuses_an_empty_batch_and_two_dimensional_ids(tokenizer):
    collator = LeiaDataCollator(tokenizer)
    with pytest.raises(ValueError, match="empty batch"):
        collator([])
    with pytest.raises(ValueError, match=r"got shape \(1, 3\)"):
        collator([{"input_ids": torch.tensor([[10, 11, 12]])}])
