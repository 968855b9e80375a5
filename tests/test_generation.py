"""SuppressTranslateLogitsProcessor on a tiny random Llama with the real tokenizer, and strip_translate_spans."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from transformers import (  # noqa: E402
    AutoTokenizer,
    LlamaConfig,
    LlamaForCausalLM,
    LogitsProcessor,
    LogitsProcessorList,
    pipeline,
)

from leia.errors import ConfigError  # noqa: E402
from leia.generation import (  # noqa: E402
    SuppressTranslateLogitsProcessor,
    leia_logits_processors,
    strip_translate_spans,
    suppressed_token_ids,
)
from leia.schemas import MARKER_CLOSE, MARKER_OPEN  # noqa: E402

PROMPTS = ["日本の首都は", "東京は日本の"]


def _load_tokenizer(path: Path):
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    tokenizer.padding_side = "left"
    return tokenizer


def _tiny_llama(tokenizer, vocab_size: int):
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return LlamaForCausalLM(config).eval()


@pytest.fixture(scope="module")
def plain_tokenizer(tokenizer_path):
    return _load_tokenizer(tokenizer_path)


@pytest.fixture(scope="module")
def tokenizer(tokenizer_path):
    tokenizer = _load_tokenizer(tokenizer_path)
    tokenizer.add_special_tokens(
        {"additional_special_tokens": [*tokenizer.extra_special_tokens, MARKER_OPEN, MARKER_CLOSE]}
    )
    return tokenizer


@pytest.fixture(scope="module")
def model(plain_tokenizer, tokenizer):
    model = _tiny_llama(tokenizer, len(plain_tokenizer))
    model.resize_token_embeddings(len(tokenizer))
    assert model.config.vocab_size == len(tokenizer)
    return model


@pytest.fixture(scope="module")
def plain_model(plain_tokenizer):
    return _tiny_llama(plain_tokenizer, len(plain_tokenizer))


@pytest.fixture(scope="module")
def ids(tokenizer):
    return {m: tokenizer.convert_tokens_to_ids(m) for m in (MARKER_OPEN, MARKER_CLOSE)}


class Push(LogitsProcessor):
    """Raise chosen tokens above every other score: ``boosts`` maps a token id to how far above the maximum it
    goes; with ``first_step_only``, only those ids apply at the first generated step."""

    def __init__(self, boosts: dict[int, float], prompt_length: int = -1, first_step_only: dict | None = None):
        self.boosts = boosts
        self.prompt_length = prompt_length
        self.first_step_only = first_step_only or {}

    def __call__(self, input_ids, scores):
        top = scores.max(-1, keepdim=True).values
        scores = scores.clone()
        boosts = dict(self.boosts)
        if input_ids.shape[-1] == self.prompt_length:
            boosts.update(self.first_step_only)
        for token, boost in boosts.items():
            scores[:, token] = top[:, 0] + boost
        return scores


class SpellOut(LogitsProcessor):
    """Push the model to spell ``sequence`` token by token, starting over when it completes."""

    def __init__(self, sequence: tuple[int, ...]):
        self.sequence = sequence

    def __call__(self, input_ids, scores):
        top = scores.max(-1, keepdim=True).values
        scores = scores.clone()
        for row, ids in enumerate(input_ids.tolist()):
            step = 0
            for k in range(len(self.sequence) - 1, 0, -1):
                if tuple(ids[-k:]) == self.sequence[:k]:
                    step = k
                    break
            scores[row, self.sequence[step]] = top[row, 0] + 10.0
        return scores


def _generate(model, tokenizer, processors, prompts=PROMPTS, **kwargs):
    batch = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    with torch.no_grad():
        out = model.generate(
            **batch, logits_processor=LogitsProcessorList(processors), pad_token_id=tokenizer.pad_token_id, **kwargs
        )
    return out[:, batch["input_ids"].shape[-1] :]


def _count(tokens, token_id: int) -> int:
    return int((tokens == token_id).sum())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"do_sample": False, "max_new_tokens": 12},
        {"do_sample": True, "top_k": 0, "num_return_sequences": 10, "max_new_tokens": 12},
        {"do_sample": False, "num_beams": 3, "num_return_sequences": 3, "max_new_tokens": 12},
    ],
    ids=["greedy", "sampling-20", "beam-3"],
)
def test_generate_never_opens_a_span(model, tokenizer, ids, kwargs):
    open_id = ids[MARKER_OPEN]
    push = Push({open_id: 5.0})
    torch.manual_seed(1)
    without = _generate(model, tokenizer, [push], **kwargs)
    assert _count(without, open_id) > 0
    torch.manual_seed(1)
    guarded = _generate(model, tokenizer, [push, *leia_logits_processors(tokenizer)], **kwargs)
    assert guarded.shape[0] == len(PROMPTS) * kwargs.get("num_return_sequences", 1)
    assert guarded.shape[-1] == kwargs["max_new_tokens"]
    assert _count(guarded, open_id) == 0


def _scenario(tokenizer, texts: list[str]):
    rows = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    width = max(len(r) for r in rows)
    assert 10 <= width <= 20
    padded = [[tokenizer.pad_token_id] * (width - len(r)) + r for r in rows]
    return torch.tensor(padded)


SCENARIO = [
    "日本の首都は東京で、人口が多い都市です。",
    "首都は東京<translate>Tokyo</translate>で、",
    "首都は東京<translate>",
    "首都は東京<translate>To",
    "A<translate>a</translate>、東京<translate>",
    "東京<translate>Tokyo</translate></translate>は",
    "</translate>東京<translate>",
]


def test_only_the_opening_marker_is_suppressed_in_every_row(tokenizer, ids):
    """Outside a span, inside one the prompt opened, after a stray closer: <translate> is banned, and
    nothing else changes (</translate> included)."""
    input_ids = _scenario(tokenizer, SCENARIO)
    generator = torch.Generator().manual_seed(0)
    scores = torch.randn(len(SCENARIO), len(tokenizer), generator=generator)
    before = scores.clone()
    out = SuppressTranslateLogitsProcessor(tokenizer)(input_ids, scores)
    assert torch.equal(scores, before)
    expected = before.clone()
    expected[:, ids[MARKER_OPEN]] = float("-inf")
    assert torch.equal(out, expected)
    assert out.dtype == scores.dtype
    assert torch.isinf(out).sum() == len(SCENARIO)


def test_empty_input_and_padded_vocabulary(tokenizer, ids):
    processor = SuppressTranslateLogitsProcessor(tokenizer)
    scores = torch.zeros(2, len(tokenizer) + 64, dtype=torch.float16)
    out = processor(torch.zeros(2, 0, dtype=torch.long), scores)
    assert out.dtype == torch.float16
    assert torch.isneginf(out[:, ids[MARKER_OPEN]]).all()
    assert torch.isneginf(out).sum() == 2
    assert not scores.isinf().any()


def test_vocabulary_without_the_marker_is_a_config_error(tokenizer):
    processor = SuppressTranslateLogitsProcessor(tokenizer)
    with pytest.raises(ConfigError, match="add_leia_tokens"):
        processor(torch.tensor([[5, 6]]), torch.zeros(1, len(tokenizer) - 2))


def test_prompt_opened_span_may_close_but_not_reopen(model, tokenizer, ids):
    open_id, close_id = ids[MARKER_OPEN], ids[MARKER_CLOSE]
    prompts = ["首都は東京<translate>", "日本<translate>Japan</translate>の首都は東京<translate>"]
    length = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)["input_ids"].shape[-1]
    push = Push({open_id: 5.0}, prompt_length=length, first_step_only={close_id: 10.0})
    without = _generate(model, tokenizer, [push], prompts=prompts, max_new_tokens=4)
    assert without[:, 0].tolist() == [close_id, close_id]
    assert without[:, 1].tolist() == [open_id, open_id]
    guarded = _generate(model, tokenizer, [push, *leia_logits_processors(tokenizer)], prompts=prompts, max_new_tokens=4)
    assert guarded[:, 0].tolist() == [close_id, close_id]
    assert _count(guarded, open_id) == 0


def test_no_span_opens_inside_a_span_the_prompt_opened(model, tokenizer, ids):
    open_id, close_id = ids[MARKER_OPEN], ids[MARKER_CLOSE]
    prompts = ["首都は東京<translate>"]
    push = Push({open_id: 5.0})
    without = _generate(model, tokenizer, [push], prompts=prompts, max_new_tokens=3)
    assert without[0].tolist() == [open_id] * 3
    guarded = _generate(model, tokenizer, [Push({open_id: 5.0, close_id: 4.0}), *leia_logits_processors(tokenizer)],
                        prompts=prompts, max_new_tokens=3)
    assert guarded[0].tolist() == [close_id] * 3


def test_markers_as_token_sequences_when_not_single_tokens(plain_tokenizer):
    with pytest.warns(UserWarning, match="not single tokens in this tokenizer"):
        processor = SuppressTranslateLogitsProcessor(plain_tokenizer)
    assert not processor.single_token
    gt = plain_tokenizer.convert_tokens_to_ids(">")
    spellings = processor.open_spellings
    assert plain_tokenizer("東京<translate>", add_special_tokens=False)["input_ids"][-3:] == list(spellings[1])
    assert plain_tokenizer("<translate>", add_special_tokens=False)["input_ids"] == list(spellings[0])
    assert all(s[-1] == gt for s in spellings)

    texts = [
        ("首都は東京<translate", True),
        ("首都は <translate", True),
        ("首都は東京<translate>", False),
        ("首都は東京<translate>Tok", False),
        ("東京<translate>x<translate", True),
        ("首都は <translate>x<translate", True),
        ("東京<translate>Tokyo </translate>は<translate", True),
        ("東京<translate>Tokyo</translate>は<translate", True),
        ("首都は東京です。translate", False),
        ("首都は東京です。<", False),
    ]
    input_ids = _scenario(plain_tokenizer, [t for t, _ in texts])
    assert [plain_tokenizer.decode(r[-2:]).strip() for r in input_ids[:2]] == ["<translate"] * 2
    scores = torch.randn(len(texts), len(plain_tokenizer), generator=torch.Generator().manual_seed(3))
    before = scores.clone()
    out = processor(input_ids, scores)
    assert torch.equal(scores, before)
    expected = before.clone()
    for row, (_, banned) in enumerate(texts):
        if banned:
            expected[row, gt] = float("-inf")
    assert torch.equal(out, expected)


def test_token_sequence_mode_in_generate(plain_model, plain_tokenizer):
    with pytest.warns(UserWarning):
        processor = SuppressTranslateLogitsProcessor(plain_tokenizer)
    spelling = processor.open_spellings[1]
    n = len(spelling)

    def occurrences(tokens) -> int:
        return sum(
            tuple(row[i : i + n]) == spelling for row in tokens.tolist() for i in range(len(row) - n + 1)
        )

    without = _generate(plain_model, plain_tokenizer, [SpellOut(spelling)], max_new_tokens=9)
    assert occurrences(without) == 6
    guarded = _generate(plain_model, plain_tokenizer, [SpellOut(spelling), processor], max_new_tokens=9)
    assert occurrences(guarded) == 0
    beams = _generate(
        plain_model, plain_tokenizer, [SpellOut(spelling), processor], num_beams=3, max_new_tokens=9
    )
    assert occurrences(beams) == 0


def test_cached_tensors_follow_the_scores_device(plain_tokenizer):
    with pytest.warns(UserWarning):
        processor = SuppressTranslateLogitsProcessor(plain_tokenizer)
    text = "日本の首都は東京です。人口は多い。<translate"
    input_ids = _scenario(plain_tokenizer, [text, text + ">"])
    scores = torch.zeros(2, len(plain_tokenizer))
    processor(input_ids, scores)
    meta = processor(input_ids.to("meta"), scores.to("meta"))
    assert meta.device.type == "meta" and meta.shape == scores.shape
    assert {d.type for _, d in processor._sequences} == {"cpu", "meta"}
    assert all(seq.device == device for (_, device), seq in processor._sequences.items())
    assert torch.isneginf(processor(input_ids, scores)).sum(-1).tolist() == [1, 0]


def test_text_generation_pipeline(model, tokenizer, ids):
    generator = pipeline("text-generation", model=model, tokenizer=tokenizer, device="cpu")
    push = Push({ids[MARKER_OPEN]: 5.0})
    options = dict(max_new_tokens=6, do_sample=False, return_full_text=False, skip_special_tokens=False)
    without = generator(PROMPTS[0], logits_processor=LogitsProcessorList([push]), **options)
    assert without[0]["generated_text"].count(MARKER_OPEN) == 6
    guarded = generator(
        PROMPTS[0], logits_processor=LogitsProcessorList([push, *leia_logits_processors(tokenizer)]), **options
    )
    text = guarded[0]["generated_text"]
    assert MARKER_OPEN not in text
    assert len(tokenizer(text, add_special_tokens=False)["input_ids"]) > 0


@pytest.mark.parametrize(
    "text, expected",
    [
        ("首都はカイロ<translate>Cairo</translate>。", "首都はカイロ。"),
        ("A<translate>a</translate>とB<translate>b</translate>", "AとB"),
        ("首都はカイロ<translate>Cai", "首都はカイロ"),
        ("首都はカイロ<translate>", "首都はカイロ"),
        ("A<translate>a</translate>とB<translate>b", "AとB"),
        ("A<translate>a<translate>b</translate>c", "Ac"),
        ("A<translate>\nB</translate>C", "AC"),
        ("Tokyo</translate>は", "Tokyo</translate>は"),
        ("印なし", "印なし"),
        ("", ""),
    ],
)
def test_strip_translate_spans(text, expected):
    assert strip_translate_spans(text) == expected


def test_import_leia_does_not_import_torch():
    code = "import sys, leia; assert 'torch' not in sys.modules and 'leia.generation' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the ban saved with the model (generation_config), serving, the README ------------------------------------

def _eager_for_translate(tokenizer_path):
    """A tiny model (markers added by add_leia_tokens) whose every next token is <translate> unless banned:
    a large constant in one hidden dimension, read by <translate>'s output row only."""
    from leia.training import add_leia_tokens

    tokenizer = _load_tokenizer(tokenizer_path)
    model = _tiny_llama(tokenizer, len(tokenizer))
    open_id, _ = add_leia_tokens(tokenizer, model)
    with torch.no_grad():
        model.get_input_embeddings().weight[:, 0] = 50.0
        model.get_output_embeddings().weight[open_id] = 0.0
        model.get_output_embeddings().weight[open_id, 0] = 5.0
    return tokenizer, model, open_id


@pytest.fixture(scope="module")
def saved(tokenizer_path, tmp_path_factory):
    tokenizer, model, open_id = _eager_for_translate(tokenizer_path)
    folder = tmp_path_factory.mktemp("leia-model")
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    unguarded = tmp_path_factory.mktemp("unguarded-model")
    model.generation_config.bad_words_ids = None
    model.save_pretrained(unguarded)
    tokenizer.save_pretrained(unguarded)
    return folder, unguarded, open_id


def _reload(folder):
    return AutoTokenizer.from_pretrained(folder), transformers.AutoModelForCausalLM.from_pretrained(folder).eval()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"do_sample": False},
        {"do_sample": True, "top_k": 0, "num_return_sequences": 10},
        {"do_sample": False, "num_beams": 3, "num_return_sequences": 3},
    ],
    ids=["greedy", "sampling-10", "beam-3"],
)
def test_a_saved_and_reloaded_model_keeps_translate_out_of_plain_generate(saved, kwargs):
    folder, unguarded, open_id = saved
    for path, opened in ((unguarded, True), (folder, False)):
        tokenizer, model = _reload(path)
        tokenizer.padding_side = "left"
        batch = tokenizer(PROMPTS, return_tensors="pt", padding=True, add_special_tokens=False)
        torch.manual_seed(2)
        with torch.no_grad():
            out = model.generate(**batch, max_new_tokens=8, min_new_tokens=8, **kwargs)
        new = out[:, batch["input_ids"].shape[-1]:]
        assert new.shape == (len(PROMPTS) * kwargs.get("num_return_sequences", 1), 8)
        if opened:  # every token, or in beam search the best beam of each prompt
            best = new[::kwargs["num_return_sequences"]] if "num_beams" in kwargs else new
            assert _count(best, open_id) == best.numel()
        else:
            assert model.generation_config.bad_words_ids == [[open_id]]
            assert _count(new, open_id) == 0


def test_a_reloaded_model_in_a_text_generation_pipeline_needs_no_processor(saved):
    folder, unguarded, _ = saved
    options = dict(max_new_tokens=6, do_sample=False, return_full_text=False, skip_special_tokens=False,
                   add_special_tokens=False)
    texts = {}
    for path in (unguarded, folder):
        tokenizer, model = _reload(path)
        texts[path] = pipeline("text-generation", model=model, tokenizer=tokenizer, device="cpu")(
            PROMPTS[0], **options)[0]["generated_text"]
    assert texts[unguarded] == MARKER_OPEN * 6
    assert MARKER_OPEN not in texts[folder] and texts[folder]


def test_add_leia_tokens_keeps_other_bad_words_and_adds_the_marker_once(tokenizer_path):
    from leia.training import add_leia_tokens

    tokenizer = _load_tokenizer(tokenizer_path)
    model = _tiny_llama(tokenizer, len(tokenizer))
    model.generation_config.bad_words_ids = [[5, 6]]
    open_id, _ = add_leia_tokens(tokenizer, model)
    add_leia_tokens(tokenizer, model)
    assert model.generation_config.bad_words_ids == [[5, 6], [open_id]]


def test_suppressed_token_ids(tokenizer, plain_tokenizer, ids):
    assert suppressed_token_ids(tokenizer) == [ids[MARKER_OPEN]]
    with pytest.raises(ConfigError, match="add_leia_tokens"):
        suppressed_token_ids(plain_tokenizer)


def _readme_snippet() -> str:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Generating with a LEIA model", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_generation_snippet_runs_as_written(saved, capsys):
    folder, _, open_id = saved
    snippet = _readme_snippet()
    assert 'model_dir = "runs/leia"' in snippet
    namespace: dict = {}
    exec(compile(snippet.replace('"runs/leia"', repr(str(folder))), "README.md", "exec"), namespace)
    assert namespace["inputs"]["input_ids"][0].tolist() == namespace["tokenizer"]("日本の首都は",
                                                                                 add_special_tokens=False)["input_ids"]
    assert namespace["out"].shape[-1] > namespace["inputs"]["input_ids"].shape[-1]
    assert _count(namespace["out"], open_id) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed and all(line.startswith("日本の首都は") for line in printed)
