"""augment_batch: exact output on hand-written documents for each strategy, which mentions get no span and
why, the round trip over every real dev article, determinism, batching independence and the probability."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leia.augmenter import MENTION_SOURCES, NO_SPAN_REASONS, AugmentConfig, augment_batch, is_latin
from leia.spans import draw_mask
from leia.entities import EntityTable, build_entities
from leia.api import extract
from leia.schemas import AUGMENTED, DOCUMENTS
from leia.io.shards import iter_record_batches
from leia.errors import ConfigError, LeiaError
from leia.mentions import MentionConfig
from leia.spans import STRATEGIES, check_strategy, insert_spans, strip_spans

TABLE = {
    "カイロ": ("Cairo", "langlinks"),
    "ナイル川": ("Nile", "langlinks"),
    "東京": ("Tokyo", "langlinks"),
    "セト": ("Seth", "harvested"),
    "宝永大噴火": ("Hōei eruption", "harvested"),
    "アテネ": ("Αθήνα", "langlinks"),
    "寿司": ("寿司", "wikidata"),
    "ニューヨーク": ("New York", "langlinks"),
}


class Recorder:
    """The names callable of augment_batch over TABLE, remembering what it was asked."""

    def __init__(self, table: dict = TABLE):
        self.table = table
        self.calls: list[list[str]] = []

    def __call__(self, titles):
        self.calls.append(list(titles))
        return [self.table.get(t) for t in titles]


def anchor(start: int, end: int, target: str, english: str | None = None) -> dict:
    return {"start": start, "end": end, "target": target, "english": english}


def docs(*items: tuple[str, list[dict]], first_id: int = 1) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist(
        [{"id": first_id + k, "title": f"doc{first_id + k}", "text": text, "anchors": anchors}
         for k, (text, anchors) in enumerate(items)], schema=DOCUMENTS)


def run(batch: pa.RecordBatch, prob: float = 1.0, strategy: str = "right", seed: int = 0, names=None, **options):
    config = AugmentConfig(prob=prob, strategy=strategy, seed=seed, **options)
    out, counters = augment_batch(batch, names or Recorder(), config)
    assert out.schema.equals(AUGMENTED)
    return out.to_pylist(), counters


def mention(start, end, target, english, source, inserted) -> dict:
    return {"start": start, "end": end, "target": target, "english": english, "source": source,
            "inserted": inserted}


CAIRO = ("首都はカイロ。ナイル川が流れる。", [anchor(3, 6, "カイロ"), anchor(7, 11, "ナイル川")])


@pytest.mark.parametrize("strategy, expected", [
    ("right", "首都はカイロ<translate>Cairo</translate>。ナイル川<translate>Nile</translate>が流れる。"),
    ("left", "首都は<translate>Cairo</translate>カイロ。<translate>Nile</translate>ナイル川が流れる。"),
    ("replace", "首都は<translate>Cairo</translate>。<translate>Nile</translate>が流れる。"),
])
def test_strategies(strategy, expected):
    rows, counters = run(docs(CAIRO, ("名前のない文書。", [])), strategy=strategy)
    assert rows[0]["text"] == expected
    assert rows[0]["mentions"] == [mention(3, 6, "カイロ", "Cairo", "langlinks", True),
                                   mention(7, 11, "ナイル川", "Nile", "langlinks", True)]
    assert rows[1] == {"id": 2, "title": "doc2", "text": "名前のない文書。", "mentions": []}
    assert counters == {"documents": 2, "mentions": 2, "mentions_eligible": 2, "spans": 2,
                        "mentions_named_langlinks": 2, "text_chars": len(CAIRO[0]) + 8}


@pytest.mark.parametrize("strategy, expected", [
    ("right", "カイロ<translate>Cairo</translate>ナイル川<translate>Nile</translate>"),
    ("left", "<translate>Cairo</translate>カイロ<translate>Nile</translate>ナイル川"),
    ("replace", "<translate>Cairo</translate><translate>Nile</translate>"),
])
def test_adjacent_mentions_listed_out_of_order(strategy, expected):
    text = "カイロナイル川"
    rows, _ = run(docs((text, [anchor(3, 7, "ナイル川"), anchor(0, 3, "カイロ")])), strategy=strategy)
    assert rows[0]["text"] == expected
    assert [m["start"] for m in rows[0]["mentions"]] == [3, 0]


def test_mentions_at_text_edges():
    rows, _ = run(docs(("東京", [anchor(0, 2, "東京")]), ("カイロへ", [anchor(0, 3, "カイロ")])), strategy="left")
    assert [r["text"] for r in rows] == ["<translate>Tokyo</translate>東京", "<translate>Cairo</translate>カイロへ"]


def test_same_as_mention():
    text = "Tokyo、tokyo、TOKYO、Ｔｏｋｙｏ、東京、寿司、hōei eruption、αθήνα。"
    anchors = [anchor(0, 5, "東京"), anchor(6, 11, "東京"), anchor(12, 17, "東京"), anchor(18, 23, "東京"),
               anchor(24, 26, "東京"), anchor(27, 29, "寿司"), anchor(30, 43, "宝永大噴火"), anchor(44, 49, "アテネ")]
    assert [text[a["start"]:a["end"]] for a in anchors] == [
        "Tokyo", "tokyo", "TOKYO", "Ｔｏｋｙｏ", "東京", "寿司", "hōei eruption", "αθήνα"]
    rows, counters = run(docs((text, anchors)), nearby=0)  # Tokyo stands near 東京: see test_english_nearby
    assert rows[0]["text"] == (
        "Tokyo、tokyo、TOKYO、Ｔｏｋｙｏ<translate>Tokyo</translate>、東京<translate>Tokyo</translate>、寿司、"
        "hōei eruption、αθήνα<translate>Αθήνα</translate>。")
    sources = [m["source"] for m in rows[0]["mentions"]]
    assert sources == ["same-as-mention"] * 3 + ["langlinks", "langlinks", "same-as-mention", "same-as-mention",
                                                 "langlinks"]
    assert [m["english"] for m in rows[0]["mentions"]][:3] == [None, None, None]
    assert counters["mentions_same_as_mention"] == 5
    assert counters["spans"] == counters["mentions_eligible"] == 3


def test_is_latin():
    assert is_latin("Hōei eruption") and is_latin("2012–13 Egyptian protests") and is_latin("Halley's Comet")
    assert not is_latin("東京") and not is_latin("Ｔｏｋｙｏ") and not is_latin("Αθήνα")


def test_inline_english_wins_at_its_mention():
    text = "セトとセトとセトとカイロ"
    anchors = [anchor(0, 2, "セト", "Set (deity)"), anchor(3, 5, "セト"), anchor(6, 8, "セト", "List of deities"),
               anchor(9, 12, "カイロ", "Cairo#History")]
    recorder = Recorder()
    rows, counters = run(docs((text, anchors)), names=recorder)
    assert rows[0]["text"] == ("セト<translate>Set</translate>とセト<translate>Seth</translate>と"
                               "セト<translate>Seth</translate>とカイロ<translate>Cairo</translate>")
    assert [(m["english"], m["source"]) for m in rows[0]["mentions"]] == [
        ("Set", "inline"), ("Seth", "harvested"), ("Seth", "harvested"), ("Cairo", "inline")]
    assert len(recorder.calls) == 1 and "セト" in recorder.calls[0]
    assert len(set(recorder.calls[0])) == len(recorder.calls[0])
    assert counters["mentions_named_inline"] == 2 and counters["mentions_named_harvested"] == 2


def test_unknown_targets():
    text = "月見団子と回転寿司の歴史とカイロ"
    recorder = Recorder()
    rows, counters = run(docs((text, [anchor(0, 4, "月見団子"), anchor(5, 12, "回転寿司の歴史"), anchor(13, 16, "カイロ")]),
                              (text, [anchor(0, 4, "月見団子")])), names=recorder)
    assert rows[0]["text"] == "月見団子と回転寿司の歴史とカイロ<translate>Cairo</translate>"
    assert rows[1]["text"] == text
    assert [(m["english"], m["source"], m["inserted"]) for m in rows[0]["mentions"]] == [
        (None, "unknown", False), (None, "unknown", False), ("Cairo", "langlinks", True)]
    assert recorder.calls == [["月見団子", "回転寿司の歴史", "カイロ"]]  # once per distinct target
    assert counters["mentions_unknown"] == 3 and counters["mentions"] == 4


def test_invalid_and_overlapping_anchors_are_skipped_and_counted():
    text = "東京とカイロ"
    anchors = [anchor(0, 2, "東京"), anchor(1, 3, "カイロ"), anchor(3, 6, "カイロ"), anchor(4, 99, "カイロ"),
               anchor(-1, 1, "東京"), anchor(5, 5, "東京"), anchor(5, 4, "東京")]
    rows, counters = run(docs((text, anchors)))
    assert rows[0]["text"] == "東京<translate>Tokyo</translate>とカイロ<translate>Cairo</translate>"
    assert [(m["english"], m["source"], m["inserted"]) for m in rows[0]["mentions"]] == [
        ("Tokyo", "langlinks", True), (None, "overlap", False), ("Cairo", "langlinks", True),
        (None, "invalid", False), (None, "invalid", False), (None, "invalid", False), (None, "invalid", False)]
    assert [(m["start"], m["end"]) for m in rows[0]["mentions"]] == [(a["start"], a["end"]) for a in anchors]
    assert counters["mentions_overlap"] == 1 and counters["mentions_invalid"] == 4
    assert counters["mentions"] == 7 and counters["spans"] == 2


def test_overlap_decided_in_text_order():
    rows, _ = run(docs(("東京とカイロ", [anchor(1, 3, "カイロ"), anchor(0, 2, "東京")])))
    assert [m["source"] for m in rows[0]["mentions"]] == ["overlap", "langlinks"]
    assert rows[0]["text"] == "東京<translate>Tokyo</translate>とカイロ"


def test_documents_with_marker_text_get_no_spans():
    marked = "東京で<translate>という文字列を書く"
    closing = "カイロ</translate>"
    rows, counters = run(docs((marked, [anchor(0, 2, "東京")]), (closing, [anchor(0, 3, "カイロ")]), CAIRO))
    assert [r["text"] for r in rows[:2]] == [marked, closing]
    assert [(m["english"], m["source"], m["inserted"]) for r in rows[:2] for m in r["mentions"]] == [
        (None, "marker-text", False), (None, "marker-text", False)]
    assert rows[2]["text"].count("<translate>") == 2
    assert counters["documents_with_marker_text"] == 2 and counters["spans"] == 2


def test_prob_zero_leaves_text_unchanged():
    rows, counters = run(docs(CAIRO), prob=0.0)
    assert rows[0]["text"] == CAIRO[0]
    assert [m["inserted"] for m in rows[0]["mentions"]] == [False, False]
    assert [m["english"] for m in rows[0]["mentions"]] == ["Cairo", "Nile"]
    assert counters["spans"] == 0 and counters["mentions_eligible"] == 2


def test_config_validation():
    with pytest.raises(ValueError, match="prob"):
        AugmentConfig(prob=2.0)
    with pytest.raises(ValueError, match="prob"):
        AugmentConfig(prob=-0.1)
    with pytest.raises(ValueError, match="middle"):
        AugmentConfig(strategy="middle")


# Each bad setting of augmentation, span placement and mention detection, and the setting it names.
BAD_SETTINGS = {
    "prob": lambda: AugmentConfig(prob=2.0),
    "strategy": lambda: AugmentConfig(strategy="middle"),
    "nearby": lambda: AugmentConfig(nearby=-1),
    "max_spans_per_entity": lambda: AugmentConfig(max_spans_per_entity=0),
    "unknown strategy 'middle'": lambda: insert_spans("abc", [(0, 1, "A")], "middle"),
    "min_prior": lambda: MentionConfig(min_prior=2.0),
}


@pytest.mark.parametrize("setting", list(BAD_SETTINGS))
def test_a_bad_setting_is_a_config_error_and_a_value_error(setting):
    with pytest.raises(ConfigError, match=setting) as raised:
        BAD_SETTINGS[setting]()
    assert isinstance(raised.value, LeiaError) and isinstance(raised.value, ValueError)


def test_every_strategy_is_accepted_everywhere():
    for strategy in STRATEGIES:
        check_strategy(strategy)
        assert AugmentConfig(strategy=strategy).strategy == strategy
        assert strip_spans(insert_spans("東京", [(0, 2, "Tokyo")], strategy)) == ("" if strategy == "replace" else "東京")


def test_english_nearby():
    text = "ニューヨーク（New York）\nニューヨーク、new york\nニューヨーク州。New Yorkers\nNew York。" + "あ" * 20 + "ニューヨーク"
    starts = [i for i in range(len(text)) if text.startswith("ニューヨーク", i)]
    batch = docs((text, [anchor(s, s + 6, "ニューヨーク") for s in starts]))
    rows, counters = run(batch)
    # The name stands after the mention on its line, ignoring case; inside "New Yorkers" it does not; on the
    # line before, or 20 characters before, it is not near.
    assert [m["source"] for m in rows[0]["mentions"]] == ["english-nearby", "english-nearby", "langlinks",
                                                          "langlinks"]
    assert [m["english"] for m in rows[0]["mentions"]] == [None, None, "New York", "New York"]
    assert counters["mentions_english_nearby"] == 2 and counters["spans"] == 2
    assert strip_spans(rows[0]["text"]) == text
    rows, counters = run(batch, nearby=0)
    assert counters["spans"] == 4 and "mentions_english_nearby" not in counters
    for width, source in ((28, "langlinks"), (29, "english-nearby")):  # the name, whole, within the width
        rows, _ = run(batch, nearby=width)
        assert rows[0]["mentions"][3]["source"] == source


def test_max_spans_per_entity():
    text = "東京、寿司、東京、東京、寿司、東京、東京"
    starts = [i for i in range(len(text)) if text.startswith("東京", i)]
    anchors = [anchor(s, s + 2, "東京") for s in reversed(starts)] + [anchor(3, 5, "寿司", "Sushi"),
                                                                     anchor(12, 14, "寿司", "Sushi")]
    rows, counters = run(docs((text, anchors)), max_spans_per_entity=2)
    # The first two mentions of each English name in the text get a span, however the anchors are listed.
    by_start = sorted(rows[0]["mentions"], key=lambda m: m["start"])
    assert [(m["start"], m["source"]) for m in by_start] == [
        (0, "langlinks"), (3, "inline"), (6, "langlinks"), (9, "entity-cap"), (12, "inline"), (15, "entity-cap"),
        (18, "entity-cap")]
    assert counters["mentions_entity_cap"] == 3 and counters["spans"] == 4
    assert rows[0]["text"].count("<translate>Tokyo</translate>") == 2
    _, counters = run(docs((text, anchors)), max_spans_per_entity=None)
    assert counters["spans"] == 7
    with pytest.raises(ValueError, match="max_spans_per_entity"):
        AugmentConfig(max_spans_per_entity=0)
    with pytest.raises(ValueError, match="nearby"):
        AugmentConfig(nearby=-1)


def test_repeats_keep_the_draw_of_the_anchors():
    from leia.mentions import SOURCED_ANCHOR

    text = "カイロとナイル川、カイロとナイル川、カイロ、セト、カイロ"
    base = [anchor(0, 3, "カイロ"), anchor(4, 8, "ナイル川")]
    repeats = [anchor(9, 12, "カイロ"), anchor(13, 17, "ナイル川"), anchor(18, 21, "カイロ"), anchor(22, 24, "セト"),
               anchor(25, 28, "不明")]
    plain = pa.RecordBatch.from_pylist([{"id": 4, "title": "t", "text": text, "anchors": base}], schema=DOCUMENTS)
    sourced = pa.RecordBatch.from_pylist([{"id": 4, "title": "t", "text": text, "anchors": [
        {**a, "source": None} for a in base] + [{**a, "source": "repeat"} for a in repeats]}],
        schema=pa.schema([*DOCUMENTS][:3] + [pa.field("anchors", pa.list_(SOURCED_ANCHOR))]))
    for seed in range(20):
        (without,), _ = run(plain, prob=0.5, seed=seed, max_spans_per_entity=None)
        (with_,), counters = run(sourced, prob=0.5, seed=seed, max_spans_per_entity=None)
        assert with_["mentions"][:2] == without["mentions"]
        assert [m["source"] for m in with_["mentions"][2:]] == ["repeat", "repeat", "repeat", "repeat", "unknown"]
        assert counters["mentions_repeat"] == 5 and counters["mentions_repeat_eligible"] == 4
        assert strip_spans(with_["text"]) == text
    (row,), _ = run(sourced, max_spans_per_entity=1)
    assert [m["source"] for m in row["mentions"]] == ["langlinks", "langlinks", "entity-cap", "entity-cap",
                                                      "entity-cap", "repeat", "unknown"]


def test_one_vocabulary_of_sources():
    assert set(MENTION_SOURCES).isdisjoint(NO_SPAN_REASONS)
    assert MENTION_SOURCES[-1] == "repeat"


_TEXT = st.text(st.sampled_from(list("東京都のカイロ市とナイル川、CairoNile ()（）\n<>/translate")), max_size=60)


@settings(max_examples=150, deadline=None)
@given(text=_TEXT, spans=st.lists(st.tuples(st.integers(0, 60), st.integers(1, 8), st.sampled_from(
    ["カイロ", "ナイル川", "東京", "セト", "なし"])), max_size=8), prob=st.sampled_from([0.0, 0.5, 1.0]),
    strategy=st.sampled_from(["right", "left"]), nearby=st.sampled_from([0, 5, 20]),
    cap=st.sampled_from([None, 1, 2]), repeat=st.booleans())
def test_round_trip_property(text, spans, prob, strategy, nearby, cap, repeat):
    """Whatever the text, anchors (overlapping, out of range), span controls and propagation: removing the
    spans gives the text back."""
    from leia.mentions import Propagator

    anchors = [anchor(s, s + n, t) for s, n, t in spans]
    batch = docs((text, anchors))
    if repeat:
        batch, _ = Propagator().propagate_batch(batch)
    rows, counters = run(batch, prob=prob, strategy=strategy, nearby=nearby, max_spans_per_entity=cap,
                         names=Recorder({**TABLE, "東京": ("東京 (Tokyo)", "langlinks"), "カイロ": ("Cairo", "inline")}))
    if "<translate>" not in text and "</translate>" not in text:
        assert strip_spans(rows[0]["text"]) == text
    assert counters["spans"] == sum(m["inserted"] for m in rows[0]["mentions"])
    assert all(m["source"] in MENTION_SOURCES + NO_SPAN_REASONS for m in rows[0]["mentions"])
    if cap is not None:
        per_name = [m["english"] for m in rows[0]["mentions"] if m["english"] is not None]
        assert all(per_name.count(name) <= cap for name in per_name)


def test_draw_mask():
    ids = np.array([5, 5, 5, 9, 9, 1000003], dtype=np.int64)
    ordinals = np.array([0, 1, 2, 0, 1, 7], dtype=np.int64)
    whole = draw_mask(ids, ordinals, 0.5, seed=3)
    parts = np.concatenate([draw_mask(ids[i:i + 1], ordinals[i:i + 1], 0.5, seed=3) for i in range(len(ids))])
    assert whole.tolist() == parts.tolist()
    assert draw_mask(ids[::-1], ordinals[::-1], 0.5, seed=3).tolist() == whole[::-1].tolist()
    assert draw_mask(ids, ordinals, 1.0).all() and not draw_mask(ids, ordinals, 0.0).any()
    many_ids = np.repeat(np.arange(200, dtype=np.int64), 10)
    many_ords = np.tile(np.arange(10, dtype=np.int64), 200)
    base = draw_mask(many_ids, many_ords, 0.5, seed=0)
    assert base.tolist() != draw_mask(many_ids, many_ords, 0.5, seed=1).tolist()
    assert base.tolist() != draw_mask(many_ids, many_ords, 0.5, seed=0, epoch=1).tolist()
    assert base.tolist() == draw_mask(many_ids, many_ords, 0.5, seed=0).tolist()


# --- the real dev articles ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dev(tmp_path_factory, jawiki_dev_dump, jawiki_dev_langlinks) -> tuple[pa.RecordBatch, EntityTable]:
    folder = tmp_path_factory.mktemp("dev")
    extract(jawiki_dev_dump, folder / "documents", progress=False)
    build_entities(folder / "entities.duckdb", dump=jawiki_dev_dump, langlinks=jawiki_dev_langlinks, progress=False)
    batch = pa.Table.from_batches(list(iter_record_batches(folder / "documents", "documents"))).combine_chunks()
    return batch.to_batches()[0], EntityTable(folder / "entities.duckdb")


@pytest.mark.parametrize("strategy", ["right", "left"])
@pytest.mark.parametrize("prob", [1.0, 0.5])
def test_round_trip_over_dev_articles(dev, strategy, prob):
    batch, table = dev
    assert batch.num_rows == 103
    out, counters = augment_batch(batch, table.lookup_with_source, AugmentConfig(prob=prob, strategy=strategy))
    texts = out.column("text").to_pylist()
    originals = batch.column("text").to_pylist()
    assert [strip_spans(t) for t in texts] == originals
    spans = sum(t.count("<translate>") for t in texts)
    assert spans == counters["spans"] == sum(m["inserted"] for ms in out.column("mentions").to_pylist() for m in ms)
    assert counters["mentions"] == sum(len(a) for a in batch.column("anchors").to_pylist())
    if prob == 1.0:
        assert spans == counters["mentions_eligible"] > 2000
    else:
        assert 0 < spans < counters["mentions_eligible"]


def test_round_trip_with_repeats_over_dev_articles(dev):
    """Propagation over every real dev article: each repeat is an occurrence, outside every anchor, of a text
    the article links to the same target, after that target's first link; the text comes back."""
    from leia.mentions import Propagator

    batch, table = dev
    repeated, counters = Propagator().propagate_batch(batch)
    out, augmented = augment_batch(repeated, table.lookup_with_source, AugmentConfig(prob=0.5))
    originals = batch.column("text").to_pylist()
    assert [strip_spans(t) for t in out.column("text").to_pylist()] == originals
    assert augmented["mentions_repeat"] == counters["anchors_repeated"] > 10 * batch.num_rows
    for text, anchors, mentions in zip(originals, batch.column("anchors").to_pylist(),
                                       out.column("mentions").to_pylist()):
        linked = {(text[a["start"]:a["end"]].strip(), a["target"]) for a in anchors}
        first = {}
        for a in anchors:
            first[a["target"]] = min(first.get(a["target"], len(text)), a["start"])
        covered = np.zeros(len(text) + 1, dtype=bool)
        for a in anchors:
            covered[a["start"]:a["end"]] = True
        for m in mentions[len(anchors):]:
            assert (text[m["start"]:m["end"]], m["target"]) in linked
            assert not covered[m["start"]:m["end"]].any() and m["start"] > first[m["target"]]
            assert m["source"] != "repeat" or m["english"] is not None


def test_dev_spans_follow_their_mentions(dev):
    batch, table = dev
    out, _ = augment_batch(batch, table.lookup_with_source, AugmentConfig(prob=1.0))
    egypt = out.to_pylist()[0]
    assert egypt["title"] == "エジプト"
    original = batch.column("text")[0].as_py()
    shift = 0
    for m in egypt["mentions"]:
        if m["inserted"]:
            end = m["end"] + shift
            span = f"<translate>{m['english']}</translate>"
            assert egypt["text"][m["start"] + shift:end] == original[m["start"]:m["end"]]
            assert egypt["text"][end:end + len(span)] == span
            shift += len(span)
    assert "西にリビア<translate>Libya</translate>、南にスーダン<translate>Sudan</translate>" in egypt["text"]


def test_determinism(dev):
    batch, table = dev
    first, _ = augment_batch(batch, table.lookup_with_source, AugmentConfig(prob=0.5, seed=7))
    again, _ = augment_batch(batch, table.lookup_with_source, AugmentConfig(prob=0.5, seed=7))
    other, _ = augment_batch(batch, table.lookup_with_source, AugmentConfig(prob=0.5, seed=8))
    assert first.equals(again)
    assert first.column("text").to_pylist() != other.column("text").to_pylist()


def test_independent_of_batching(dev):
    batch, table = dev
    config = AugmentConfig(prob=0.5, seed=11, strategy="left")
    whole, _ = augment_batch(batch, table.lookup_with_source, config)
    singles = [augment_batch(batch.slice(i, 1), table.lookup_with_source, config)[0] for i in range(batch.num_rows)]
    assert pa.Table.from_batches(singles).to_pylist() == whole.to_pylist()
    reversed_batch = pa.Table.from_batches([batch.slice(i, 1) for i in reversed(range(batch.num_rows))])
    backwards, _ = augment_batch(reversed_batch.combine_chunks().to_batches()[0], table.lookup_with_source, config)
    assert backwards.to_pylist()[::-1] == whole.to_pylist()


def test_probability_within_bounds(dev):
    batch, table = dev
    out, counters = augment_batch(batch, table.lookup_with_source, AugmentConfig(prob=0.3, seed=5))
    mentions = [m for ms in out.column("mentions").to_pylist() for m in ms]
    eligible = sum(m["english"] is not None for m in mentions)
    spans = sum(m["inserted"] for m in mentions)
    assert eligible == counters["mentions_eligible"] and spans == counters["spans"]
    assert eligible > 2000
    sd = math.sqrt(0.3 * 0.7 / eligible)
    assert abs(spans / eligible - 0.3) < 4 * sd


def test_a_name_holding_a_marker_gets_no_span():
    text = "日本語を話す。"
    rows, counters = run(docs((text, [anchor(0, 3, "日本語", "Ja</translate>pan")])))
    assert rows[0]["text"] == text
    assert rows[0]["mentions"] == [mention(0, 3, "日本語", None, "marker-text", False)]
    assert counters["mentions_marker_text"] == 1 and counters["spans"] == 0


def test_anchors_with_null_offsets_are_invalid():
    loose = pa.struct([("start", pa.int32()), ("end", pa.int32()), ("target", pa.string()), ("english", pa.string())])
    anchors = pa.array([[{"start": None, "end": 6, "target": "カイロ", "english": None}]], pa.list_(loose))
    batch = pa.RecordBatch.from_arrays(
        [pa.array([1], pa.int64()), pa.array(["t"]), pa.array(["首都はカイロ。"]), anchors],
        names=["id", "title", "text", "anchors"])
    out, counters = augment_batch(batch, Recorder(), AugmentConfig(prob=1.0))
    assert out.column("text").to_pylist() == ["首都はカイロ。"]
    assert counters["mentions_invalid"] == 1
