"""Mention detection in plain text: a hand-made dictionary and texts with the exact mentions expected, the
dictionary built from the sample dump with counts checked by hand, and ``leia augment --mentions`` on a
text-only JSON-lines corpus."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leia.augmenter import NO_SPAN_REASONS
from leia.cli import main
from leia.entities import build_entities
from leia.errors import ConfigError, InputError, OutputError
from leia.api import extract
from leia.mentions import (
    REPEAT, SOURCED_ANCHOR, Detector, MentionConfig, MentionTable, Propagator, Segmenter, build_mentions,
    count_occurrences, make_entries,
)
from leia.mentions import detect as detect_module
from leia.mentions.hashtrie import SEPARATOR, WINDOW, build_hashtrie, text_codes
from leia.schemas import DOCUMENTS
from leia.io.shards import iter_record_batches
from leia.spans import strip_spans

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DUMP = REPO / "data" / "sample-jawiki-pages-articles.xml"
SAMPLE_LANGLINKS = REPO / "data" / "sample-jawiki-langlinks.sql"

# surface -> {target: links}, and how often the surface occurs in all text.
LINKS = {
    "日本": ({"日本": 6}, 10),
    "東京": ({"東京": 2}, 4),
    "東京都": ({"東京都": 3}, 3),
    "エジプト・アラブ": ({"エジプト": 1}, 1),
    "アラブ共和国": ({"アラブ連合共和国": 2}, 2),
    "ソ連": ({"ソビエト連邦": 4}, 4),
    "1990年": ({"1990年": 5}, 5),
    "ジョージア": ({"ジョージア州": 3, "ジョージア (国)": 2}, 5),
    "グルジア": ({"ジョージア (国)": 2}, 2),
    "首相": ({"内閣総理大臣": 1}, 10),
    "カイロ": ({"カイロ": 99, "カイロ (暖房器具)": 1}, 100),
    # Surfaces that begin or end with hiragana: their ends between two hiragana are MeCab's to decide.
    "ドラえもん": ({"ドラえもん": 2}, 2),
    "さいたま": ({"さいたま市": 3}, 4),
    "すし": ({"寿司": 2}, 2),
    "おにぎり": ({"おにぎり": 1}, 1),
    "かし": ({"菓子": 1}, 1),
}


def detector(**overrides) -> Detector:
    links = Counter({(s, t): n for s, (targets, _) in LINKS.items() for t, n in targets.items()})
    occurrences = Counter({s: occ for s, (_, occ) in LINKS.items()})
    config = MentionConfig(**overrides)
    return Detector(make_entries(links, occurrences, config), config)


CASES = [
    # (text, expected mentions as (text[start:end], target)), default thresholds
    ("日本の首都は東京である。", [("日本", "日本"), ("東京", "東京")]),
    ("日本語を話す。", []),  # 日本|語: a lone kanji noun after the mention makes one word with it
    ("日本人と日本政府", [("日本", "日本")]),  # 人 glues, 政府 is a word of its own
    ("東京都に住む", [("東京都", "東京都")]),  # longest match first
    ("東京湾に面する", []),
    ("エジプト・アラブ共和国は", [("エジプト・アラブ", "エジプト")]),  # leftmost-longest, no overlap
    ("旧ソ連の国々", []),  # a lone kanji at the start of a compound glues to what follows
    ("ソ連の崩壊", [("ソ連", "ソビエト連邦")]),
    ("1990年頃に", [("1990年", "1990年")]),  # 頃 is a loose suffix
    ("𠮷野の日本", [("日本", "日本")]),  # offsets are code points, astral characters included
    ("首相が来た", []),  # link probability 0.1 < 0.2
    ("カイロは暑い", [("カイロ", "カイロ")]),  # the second target's prior is 0.01: kept but less probable
    ("ジョージアの州都", [("ジョージア", "ジョージア州")]),
    ("グルジアは旧名で、ジョージアが今の名", [("グルジア", "ジョージア (国)"), ("ジョージア", "ジョージア州")]),
    ("すしとおにぎり", [("すし", "寿司"), ("おにぎり", "おにぎり")]),  # all hiragana: すし|と|おにぎり
    ("ドラえもんは人気だ。", [("ドラえもん", "ドラえもん")]),  # ends between ん and は
    ("ドラえもん。", [("ドラえもん", "ドラえもん")]),
    ("これはさいたまの話", [("さいたま", "さいたま市")]),  # これ|は|さいたま|の|話
    ("しかし、", []),  # かし inside the one word しかし
    ("日本語とすしとおにぎり", [("すし", "寿司"), ("おにぎり", "おにぎり")]),  # a kanji and a hiragana run
    ("東京湾のすし", [("すし", "寿司")]),
    ("", []),
]


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0] or "empty" for c in CASES])
def test_detect(text, expected):
    found = detector().detect(text)
    assert [(text[s:e], t) for s, e, t in found] == expected
    assert found == sorted(found)
    assert all(e1 <= s2 for (_, e1, _), (s2, _, _) in zip(found, found[1:]))


def test_thresholds_and_options():
    text = "首相は日本語でグルジアとジョージアを語った"
    assert [text[s:e] for s, e, _ in detector(min_link_prob=0.1).detect(text)] == ["首相", "グルジア", "ジョージア"]
    assert [t for _, _, t in detector().detect(text)] == ["ジョージア (国)", "ジョージア州"]
    assert [t for _, _, t in detector(context=True).detect(text)] == ["ジョージア (国)", "ジョージア (国)"]
    assert [text[s:e] for s, e, _ in detector(min_length=5).detect(text)] == ["ジョージア"]
    assert [text[s:e] for s, e, _ in detector(max_length=4).detect(text)] == ["グルジア"]
    assert [text[s:e] for s, e, _ in detector(segment=False).detect(text)] == ["日本", "グルジア", "ジョージア"]
    # A prior below min_prior drops the target; a surface left with none is no mention.
    assert detector(min_prior=0.5).detect("カイロへ") == [(0, 3, "カイロ")]
    assert detector(min_prior=0.7).detect("ジョージアへ") == []
    # With block, a surface below min_link_prob still takes its span.
    assert detector(block=True).detect("首相が") == []
    with pytest.raises(ConfigError):
        MentionConfig(min_link_prob=1.5)
    with pytest.raises(ConfigError):
        MentionConfig(min_length=3, max_length=2)


def test_document_level_link_probability():
    # 日本 is linked once in each of 6 of the 8 documents that hold it, 40 times unlinked: 6 / 46 of its
    # occurrences are links, 6 / 8 of its documents link it. 首相: 1 of 10 occurrences, 1 of 5 documents.
    links = Counter({("日本", "日本"): 6, ("首相", "内閣総理大臣"): 1})
    entries = make_entries(links, Counter({"日本": 46, "首相": 10}), MentionConfig(),
                           Counter({"日本": 6, "首相": 1}), Counter({"日本": 8, "首相": 5}))
    assert (entries["日本"].link_prob, entries["日本"].doc_link_prob) == (6 / 46, 6 / 8)
    assert (entries["首相"].link_prob, entries["首相"].doc_link_prob) == (1 / 10, 1 / 5)
    text = "日本の首相"
    found = lambda **o: [text[s:e] for s, e, _ in Detector(entries, MentionConfig(**o)).detect(text)]
    assert found() == ["日本", "首相"]  # default: per document at least 0.2, or per occurrence at least 0.2
    assert found(min_doc_link_prob=0.5) == ["日本"]
    assert found(min_doc_link_prob=None) == []
    assert found(min_doc_link_prob=None, min_link_prob=0.1) == ["日本", "首相"]
    # Without document counts (a dictionary of occurrences only) the document-level probability is 0.
    assert make_entries(links, Counter({"日本": 46}), MentionConfig())["日本"].doc_link_prob == 0.0
    with pytest.raises(ConfigError):
        MentionConfig(min_doc_link_prob=1.5)


def _anchor(text: str, word: str, target: str, n: int = 0, english: str | None = None) -> dict:
    """The anchor of the ``n``-th occurrence of ``word`` in ``text``."""
    at = -1
    for _ in range(n + 1):
        at = text.index(word, at + 1)
    return {"start": at, "end": at + len(word), "target": target, "english": english}


PROPAGATION_TEXT = ("東京の話。日本の首都は東京である。日本語を話す日本人が住む。東京は日本の首都。アメリカ合衆国と日本は"
                    "同盟国で、米国の首都はワシントン。米国大統領が米国を語る。ジョージアとジョージアの州都。ジョージア")


def test_propagate():
    text = PROPAGATION_TEXT
    anchors = [_anchor(text, "日本", "日本"), _anchor(text, "東京", "東京", 1, english="Tokyo"),
               _anchor(text, "アメリカ合衆国", "アメリカ合衆国"), _anchor(text, "米国", "アメリカ合衆国", 1),
               _anchor(text, "ジョージア", "ジョージア州"), _anchor(text, "ジョージア", "ジョージア (国)", 1)]
    added = Propagator().propagate(text, anchors)
    assert [(text[s:e], s, t, en) for s, e, t, en in added] == [
        ("東京", 30, "東京", "Tokyo"),  # not the 東京 before the first link; the inline English name goes along
        ("日本", 33, "日本", None),  # not in 日本語 nor 日本人 (語 and 人 glue)
        ("日本", 47, "日本", None),
        ("米国", 55, "アメリカ合衆国", None),  # another surface the document links to the same entity, after
        ("米国", 73, "アメリカ合衆国", None),  # the entity's first link (even before 米国's own link)
    ]  # ジョージア: linked to two entities, not propagated
    assert Propagator(min_length=3).propagate(text, anchors) == []
    assert Propagator().propagate(text, []) == []


def test_propagate_around_the_subject():
    text = "中華人民共和国は中華の国。中華料理と中華人民共和国。メキシコのメキシコ。中華人民共和国語"
    anchors = [_anchor(text, "中華", "中華", 1), _anchor(text, "メキシコ", "メキシコシティ")]
    found = lambda title: [(text[s:e], s) for s, e, _, _ in Propagator().propagate(text, anchors, title)]
    # In the article 中華人民共和国, never inside its own name (which a Wikipedia article never links).
    assert found("中華人民共和国") == [("中華", 13), ("メキシコ", 31)]
    # In the article メキシコ, its own name is not propagated to what it links once.
    assert found("メキシコ (国)") == [("中華", 13), ("中華", 18), ("中華", 36)]


def test_propagate_batch():
    batch = pa.RecordBatch.from_pylist([
        {"id": 1, "title": "a", "text": "日本の日本語と日本", "anchors": [
            {"start": 7, "end": 9, "target": "日本", "english": "Japan"},
            {"start": 0, "end": 2, "target": "日本", "english": None}]},
        {"id": 2, "title": "b", "text": "東京", "anchors": []},
    ], schema=DOCUMENTS)
    out, counters = Propagator().propagate_batch(batch)
    assert out.schema.field("anchors").type == pa.list_(SOURCED_ANCHOR)
    assert out.column("anchors").to_pylist() == [[
        {"start": 7, "end": 9, "target": "日本", "english": "Japan", "source": None},  # order kept
        {"start": 0, "end": 2, "target": "日本", "english": None, "source": None},
    ], []]  # 日本 at 7 is an anchor, 日本 at 3 is inside 日本語
    assert counters == {"anchors_repeated": 0, "documents_with_repeats": 0}
    batch = pa.RecordBatch.from_pylist([{"id": 1, "title": "a", "text": "日本と日本", "anchors": [
        {"start": 0, "end": 2, "target": "日本", "english": None}]}], schema=DOCUMENTS)
    out, counters = Propagator().propagate_batch(batch)
    assert out.column("anchors").to_pylist()[0][1] == {"start": 3, "end": 5, "target": "日本", "english": None,
                                                       "source": REPEAT}
    assert counters == {"anchors_repeated": 1, "documents_with_repeats": 1}


def test_segmenter_decides_every_position_it_is_asked_about():
    seg = Segmenter()
    text = "これはさいたまの話"
    seg.reset(text)
    assert np.flatnonzero(seg.sure).tolist() == [0, 8, 9]  # only hiragana|kanji and the ends are sure
    seg.prepare(np.arange(len(text) + 1))
    assert np.flatnonzero(seg.start_ok).tolist() == np.flatnonzero(seg.end_ok).tolist() == [0, 2, 3, 7, 8, 9]
    assert seg.analysed == 1
    seg.reset("すしとおにぎり")  # no position decided by the script inside: one run, the whole text
    seg.prepare(np.array([5]))
    assert np.flatnonzero(seg.start_ok).tolist() == [0, 2, 3, 7] and seg.analysed == 2
    seg.reset("東京湾に面した日本語の本")  # asking about 日本|語 analyses 日本語 alone, not 東京湾 nor した
    seg.prepare(np.array([9]))
    assert np.flatnonzero(seg.start_ok).tolist() == [0, 3, 4, 5, 7, 9, 10, 11, 12]
    assert np.flatnonzero(seg.end_ok).tolist() == [0, 3, 4, 5, 7, 10, 11, 12]  # 日本|語: 語 glues
    assert seg.analysed == 3


def test_segmenter_cuts_a_run_by_its_text_alone():
    """A run is cut the same whatever the runs around it, so a process analyses a run it has seen only once."""
    one, other = Segmenter(), Segmenter()
    one.reset("旧ソ連と東京湾と日本語")
    one.prepare(np.arange(12))
    assert (one.analysed, one.tagged) == (3, 3)
    other.reset("日本語、東京湾")
    other.prepare(np.arange(8))
    for run_one, run_other in ((slice(4, 8), slice(4, 8)), (slice(8, 12), slice(0, 4))):  # 東京|湾, 日本|語
        assert np.flatnonzero(one.end_ok[run_one]).tolist() == np.flatnonzero(other.end_ok[run_other]).tolist() \
            == [0, 3]
        assert np.flatnonzero(one.start_ok[run_one]).tolist() == \
            np.flatnonzero(other.start_ok[run_other]).tolist() == [0, 2, 3]
    one.reset("日本語、東京湾")
    one.prepare(np.arange(8))
    assert (one.analysed, one.tagged) == (5, 3)  # both runs known: MeCab is not called
    assert one.end_ok.tolist() == other.end_ok.tolist() and one.start_ok.tolist() == other.start_ok.tolist()


def test_texts_detected_at_once_get_what_each_gets_alone():
    """Joined, no mention runs from one text into the next, nor does a word boundary or a target chosen by
    context depend on the other texts."""
    texts = [text for text, _ in CASES] + ["日本", "本の日本", "", "グルジア"]
    for overrides in ({}, {"context": True}, {"block": True}, {"segment": False}):
        d = detector(**overrides)
        assert d.detect_many(texts) == [d.detect(text) for text in texts]
    assert detector().detect_many([]) == []
    assert detector().detect_many(["東京", "都に住む"]) == [[(0, 2, "東京")], []]  # not 東京都


def test_texts_searched_at_once_get_the_occurrences_each_gets_alone(monkeypatch):
    """What the mention dictionary's build counts: every occurrence on word boundaries, overlapping ones
    included, the same for each text searched with others as alone, however many characters go at once."""
    texts = [text for text, _ in CASES] + ["日本", "本の日本", "", "グルジア", "東京", "都に住む"]
    for overrides in ({}, {"block": True}, {"segment": False}):
        d = detector(**overrides)
        alone = [d.matches(text) for text in texts]
        assert any(alone) and d.matches_many(texts) == alone
        for budget in (1, 7, 40):
            monkeypatch.setattr(detect_module, "BUDGET", budget)
            assert d.matches_many(texts) == alone
        monkeypatch.undo()
    assert detector().matches_many([]) == []
    assert [[(s, e) for s, e, _ in m] for m in detector().matches_many(["東京", "都に住む"])] == [[(0, 2)], []]


@pytest.mark.parametrize("budget", [1, 5, 12, 40])
def test_texts_detected_a_few_characters_at_a_time_get_what_each_gets_alone(monkeypatch, budget):
    """Texts are joined up to a number of characters at a time (a longer text alone): the same mentions for
    each, in the order of the texts, however they are grouped."""
    texts = [text for text, _ in CASES] + ["日本", "", "本の日本", "グルジア", "東京", "都に住む"]
    d = detector(context=True)
    alone = [d.detect(text) for text in texts]
    monkeypatch.setattr(detect_module, "BUDGET", budget)
    calls = []
    joined = d._detect_joined
    monkeypatch.setattr(d, "_detect_joined", lambda group: calls.append(group) or joined(group))
    assert d.detect_many(texts) == alone
    assert [text for group in calls for text in group] == texts
    size = [sum(map(len, group)) + len(group) - 1 for group in calls]  # joined by one character
    assert all(n <= budget or len(group) == 1 for n, group in zip(size, calls))
    assert all(n + 1 + len(after[0]) > budget for n, after in zip(size, calls[1:]))  # each group as full as it fits


# Characters of the strings and texts of the trie tests: few, so that strings share prefixes and occur; one
# past the Basic Multilingual Plane, and the last code point.
TRIE_CHARS = "ab日本\U00020BB7\U0010FFFF"


@settings(max_examples=150, deadline=None)
@given(strings=st.lists(st.text(TRIE_CHARS, min_size=1, max_size=6), unique=True, max_size=40),
       texts=st.lists(st.text(TRIE_CHARS + "x", max_size=25), min_size=1, max_size=3),
       data=st.data())
def test_the_hash_trie_finds_every_occurrence(strings, texts, data):
    """Every occurrence of every string wanted and not too long, by start then end, with its id; texts joined
    by the separator are searched at once, and no occurrence runs across it; whatever the number of positions
    followed at once, an occurrence that starts in one window and ends in the next included."""
    ids = data.draw(st.permutations(range(100, 100 + len(strings))))
    wanted = np.array(data.draw(st.lists(st.booleans(), min_size=100 + len(strings), max_size=100 + len(strings))))
    longest = data.draw(st.integers(0, 7))
    window = data.draw(st.sampled_from([1, 2, 3, 7, WINDOW]))  # the positions followed at once
    trie = build_hashtrie(strings, np.array(ids, dtype=np.int64))
    id_of = dict(zip(strings, ids))
    joined = "|".join(texts)  # the separator stands where "|" does: no string holds either
    codes = np.concatenate([np.append(text_codes(t), np.uint32(SEPARATOR)) for t in texts])[:-1]
    starts, ends, found = trie.search(codes, wanted, longest, window)
    expected = sorted((i, i + len(s), id_of[s]) for s in strings for i in range(len(joined))
                      if joined.startswith(s, i) and wanted[id_of[s]] and len(s) <= longest)
    assert list(zip(starts.tolist(), ends.tolist(), found.tolist())) == expected
    assert starts.dtype == ends.dtype == found.dtype == np.int64


def test_a_hash_trie_of_no_strings_finds_nothing():
    trie = build_hashtrie([], np.zeros(0, np.int64))
    assert [a.tolist() for a in trie.search(text_codes("abc"), np.ones(1, bool), 5)] == [[], [], []]
    with pytest.raises(ValueError):
        build_hashtrie(["a", ""], np.arange(2))


def test_a_run_met_twice_in_one_call_is_tagged_once():
    seg = Segmenter()
    seg.reset("日本語と日本語と東京湾")
    seg.prepare(np.arange(12))
    assert (seg.analysed, seg.tagged) == (3, 2)
    assert np.flatnonzero(seg.end_ok).tolist() == [0, 3, 4, 7, 8, 11]  # 日本|語 twice, 東京|湾: 語, 湾 glue
    assert np.flatnonzero(seg.start_ok).tolist() == [0, 2, 3, 4, 6, 7, 8, 10, 11]


def test_count_occurrences_in_hiragana():
    d = detector(min_link_prob=0.0, min_prior=0.0)
    text = "すしとおにぎりとおかし、しかしすし"
    assert count_occurrences(d, text) == Counter({"すし": 2, "おにぎり": 1})  # not かし in おかし or しかし
    assert count_occurrences(d, text, [{"start": 3, "end": 7}]) == Counter({"すし": 2, "おにぎり": 1})


def test_detect_batch_fills_only_documents_without_anchors():
    batch = pa.RecordBatch.from_pylist([
        {"id": 1, "title": "a", "text": "日本の首都", "anchors": []},
        {"id": 2, "title": "b", "text": "日本の首都", "anchors": [{"start": 3, "end": 5, "target": "首都", "english": None}]},
    ], schema=DOCUMENTS)
    out, counters = detector().detect_batch(batch)
    assert out.schema.equals(DOCUMENTS)
    assert out.column("anchors").to_pylist() == [
        [{"start": 0, "end": 2, "target": "日本", "english": None}],
        [{"start": 3, "end": 5, "target": "首都", "english": None}],
    ]
    assert counters == {"documents_detected": 1, "anchors_detected": 1}


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("mentions")
    # The sections kept whole: the counts below include the links of the 関連項目 sections.
    extract(SAMPLE_DUMP, tmp / "documents", progress=False, drop_navigation_sections=False)
    build_entities(tmp / "entities.duckdb", dump=SAMPLE_DUMP, langlinks=SAMPLE_LANGLINKS, progress=False)
    return {"documents": tmp / "documents", "entities": tmp / "entities.duckdb", "tmp": tmp}


def test_build_on_sample(sample):
    out = sample["tmp"] / "mentions.duckdb"
    counters = build_mentions(sample["documents"], sample["entities"], out, progress=False)
    anchors = sum(len(a) for rb in iter_record_batches(sample["documents"], "documents")
                  for a in rb.column("anchors").to_pylist())
    assert counters["anchors"] == anchors == 90
    con = duckdb.connect(str(out), read_only=True)
    rows = con.execute("SELECT surface, links, occurrences, link_prob, documents_linked, documents, doc_link_prob "
                       "FROM surfaces").fetchall()
    surfaces = {s: (links, occ) for s, links, occ, *_ in rows}
    documents = {s: (linked, docs) for s, _, _, _, linked, docs, _ in rows}
    assert all(p == links / occ and d == linked / docs for _, links, occ, p, linked, docs, d in rows)
    candidates = {s: (t, n) for s, t, n, _ in con.execute("SELECT * FROM candidates").fetchall()}
    con.close()
    # 日本: linked in 東京, 富士山 and 日本語; also in 日本料理 twice (料理 is a word of its own), never
    # counted in 日本語 (語 glues).
    assert surfaces["日本"] == (3, 5)
    # 月: linked in 富士山, 水星, 月見団子; unlinked in 月 (its first word, 上弦の月, 下弦の月, 月の海);
    # not in 満月, 新月, 月見.
    assert surfaces["月"] == (3, 7)
    # エジプト: linked in カイロ, ナイル川, ピラミッド; unlinked at the start of エジプト and in
    # エジプト考古学博物館.
    assert surfaces["エジプト"] == (3, 5)
    # 東京: linked in 富士山; unlinked at the start of 東京, in 東京に and in the line 東京の歴史 (linked there
    # as a whole); not in 東京湾 nor 東京都.
    assert surfaces["東京"] == (1, 4)
    # ナイル: linked in エジプト; unlinked in ナイルがわ; not in ナイル川 (川 glues) nor 青ナイル (青 glues).
    assert surfaces["ナイル"] == (1, 2)
    # Documents: 日本 is linked in 3 and occurs in 2 more (寿司 and おにぎり, in 日本料理); 月 is linked in 3
    # and unlinked only in 月 itself, so its link probability per document is far above that per occurrence;
    # エジプト is unlinked in the article エジプト; 東京 in the article 東京.
    assert documents["日本"] == (3, 5)
    assert documents["月"] == (3, 4)
    assert documents["エジプト"] == (3, 4)
    assert documents["東京"] == (1, 2)
    # Targets through the entity table's redirects: Nile River -> ナイル川, 不二山 -> 富士山, 東京都 -> 東京.
    assert candidates["ナイル"] == ("ナイル川", 1)
    assert candidates["フジヤマ"] == ("富士山", 1)
    assert candidates["東京都"] == ("東京", 1)
    table = MentionTable(out)
    assert table.config == MentionConfig()
    assert table.dbname == "jawiki"
    assert table.entries()["月"].link_prob == pytest.approx(3 / 7)
    assert table.entries()["月"].doc_link_prob == pytest.approx(3 / 4)
    with pytest.raises(OutputError):
        build_mentions(sample["documents"], sample["entities"], out, progress=False)
    assert table.detector(min_link_prob=0.5).config == MentionConfig(min_link_prob=0.5)
    with pytest.raises(ConfigError, match="no mention setting min_link_probability; the settings are min_link_prob"):
        table.detector(min_link_probability=0.5)
    other = sample["tmp"] / "other-version.duckdb"
    shutil.copyfile(out, other)
    con = duckdb.connect(str(other))
    con.execute("""UPDATE meta SET value = '{"min_link_prob": 0.2, "fuzzy": true}' WHERE key = 'config'""")
    con.close()
    with pytest.raises(InputError, match=r"other-version.duckdb: a mention dictionary built with settings .*\(fuzzy\)"):
        MentionTable(other)


def test_augment_text_only_corpus(sample, tmp_path, capsys):
    dictionary = tmp_path / "mentions.duckdb"
    assert main(["mentions", "build", "--documents", str(sample["documents"]), "--entities",
                 str(sample["entities"]), "-o", str(dictionary), "-q"]) == 0
    corpus = tmp_path / "corpus.jsonl"
    texts = ["カイロはエジプトの首都である。", "月の海を見る。", "日本語の本", "すしとおにぎり"]
    corpus.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    out = tmp_path / "augmented"
    assert main(["augment", str(corpus), "--entities", str(sample["entities"]), "--mentions", str(dictionary),
                 "-o", str(out), "--prob", "1", "-q"]) == 0
    rows = [row for rb in iter_record_batches(out, "augmented") for row in rb.to_pylist()]
    assert [r["text"] for r in rows] == [
        "カイロ<translate>Cairo</translate>はエジプト<translate>Egypt</translate>の首都である。",
        "月の海<translate>Lunar mare</translate>を見る。",
        "日本語<translate>Japanese language</translate>の本",
        "すしとおにぎり",  # おにぎり has no English name
    ]
    assert [strip_spans(r["text"]) for r in rows] == texts
    assert [[(m["start"], m["end"], m["target"]) for m in r["mentions"]] for r in rows] == [
        [(0, 3, "カイロ"), (4, 8, "エジプト"), (9, 11, "首都")],
        [(0, 3, "月の海")],
        [(0, 3, "日本語")],
        [(3, 7, "おにぎり")],
    ]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["mentions"]["path"] == "mentions.duckdb"
    assert manifest["counters"]["documents_detected"] == 4
    assert manifest["counters"]["anchors_detected"] == 6


def test_augment_repeat_mentions(sample, tmp_path, capsys):
    """--repeat-mentions on Wikipedia documents: the anchors keep their draws, the later occurrences follow
    in text order, the text comes back without the spans, and the counters and stats count them."""
    outputs = {}
    for flag in ([], ["--repeat-mentions"]):
        out = tmp_path / f"augmented{len(flag)}"
        assert main(["augment", str(sample["documents"]), "--entities", str(sample["entities"]), "-o", str(out),
                     "-q", *flag]) == 0
        outputs[bool(flag)] = [row for rb in iter_record_batches(out, "augmented") for row in rb.to_pylist()]
    documents = [row for rb in iter_record_batches(sample["documents"], "documents") for row in rb.to_pylist()]
    repeats = []
    for doc, plain, repeated in zip(documents, outputs[False], outputs[True]):
        assert strip_spans(repeated["text"]) == doc["text"]
        n = len(doc["anchors"])
        assert repeated["mentions"][:n] == plain["mentions"]
        added = repeated["mentions"][n:]
        assert all(m["source"] in ("repeat", "unknown", "entity-cap", "english-nearby") for m in added)
        assert [m["start"] for m in added] == sorted(m["start"] for m in added)
        repeats += [(doc["title"], doc["text"][m["start"]:m["end"]], m["target"], m["source"]) for m in added]
    # 月 links 満月 in its list of phases and names it again in the next line but one; 水星 links 惑星 and
    # says it again later. Neither has an English name in the sample's entity table. (月 itself in 月見 or
    # 新月 is no repeat: 見 and 新 make one word with it; 月 in the article 月 is its own title.)
    assert repeats == [("月", "満月", "満月", "unknown"), ("水星", "惑星", "惑星", "unknown")]
    manifest = json.loads((tmp_path / "augmented1" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["repeat_mentions"] is True
    assert manifest["counters"]["anchors_repeated"] == manifest["counters"]["mentions_repeat"] == 2
    assert manifest["counters"]["mentions_unknown"] == 58 == 56 + 2
    capsys.readouterr()
    assert main(["stats", "--json", str(tmp_path / "augmented1")]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["mentions"] == 92 and figures["mentions_by_source"]["unknown"] == 58
    assert figures["no_span_by_reason"] == {k: v for k, v in figures["mentions_by_source"].items()
                                            if k in NO_SPAN_REASONS}


def test_cli_options(sample, tmp_path):
    dictionary = tmp_path / "mentions.duckdb"
    assert main(["mentions", "build", "--documents", str(sample["documents"]), "--entities", str(sample["entities"]),
                 "-o", str(dictionary), "--min-doc-link-prob", "off", "-q"]) == 0
    assert MentionTable(dictionary).config == MentionConfig(min_doc_link_prob=None)
    out = tmp_path / "augmented"
    assert main(["augment", str(sample["documents"]), "--entities", str(sample["entities"]), "-o", str(out),
                 "--nearby", "0", "--max-spans-per-entity", "none", "-q"]) == 0
    parameters = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["parameters"]
    assert (parameters["nearby"], parameters["max_spans_per_entity"]) == (0, None)
    assert "repeat_mentions" not in parameters
    with pytest.raises(SystemExit):
        main(["augment", "docs", "--entities", "e.duckdb", "-o", "out", "--max-spans-per-entity", "0"])


def test_workers_give_the_same_results(sample, tmp_path):
    one, two = tmp_path / "one.duckdb", tmp_path / "two.duckdb"
    assert build_mentions(sample["documents"], sample["entities"], one, progress=False) == \
        build_mentions(sample["documents"], sample["entities"], two, workers=2, progress=False)
    for table in ("surfaces", "candidates"):
        rows = []
        for path in (one, two):
            con = duckdb.connect(str(path), read_only=True)
            rows.append(con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall())
            con.close()
        assert rows[0] == rows[1] and rows[0]
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"text": f"{i}年、カイロからナイル川を下ってエジプトの地中海へ。"},
                                         ensure_ascii=False) + "\n" for i in range(40)), encoding="utf-8")
    outputs = []
    for workers in (1, 2):
        out = tmp_path / f"augmented-{workers}"
        assert main(["augment", str(corpus), "--entities", str(sample["entities"]), "--mentions", str(one),
                     "-o", str(out), "--workers", str(workers), "--shard-size", "8", "-q"]) == 0
        outputs.append([row for rb in iter_record_batches(out, "augmented") for row in rb.to_pylist()])
    assert outputs[0] == outputs[1]
    assert [(m["start"], m["end"], m["target"]) for m in outputs[0][0]["mentions"]] == [
        (3, 6, "カイロ"), (8, 12, "ナイル川"), (16, 20, "エジプト"), (21, 24, "地中海")]


def test_refuses_another_wiki(sample, tmp_path):
    dictionary = tmp_path / "mentions.duckdb"
    build_mentions(sample["documents"], sample["entities"], dictionary, progress=False)
    con = duckdb.connect(str(dictionary))
    con.execute("UPDATE meta SET value = '{\"dbname\": \"dewiki\"}' WHERE key = 'wiki'")
    con.close()
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"text": "カイロ"}\n', encoding="utf-8")
    from leia.api import augment

    with pytest.raises(ConfigError, match="dewiki"):
        augment(corpus, sample["entities"], tmp_path / "out", mentions=dictionary, progress=False)
