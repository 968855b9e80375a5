"""The tokenizer and the model a run starts from, loaded with errors that name the fix: a local path that is
missing is an InputError (never a request to the Hub), the markers are added, and ``--smoke``'s tiny model
and a config file's untrained one are built here."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from leia.errors import ConfigError, InputError, require
from leia.training.tokens import add_leia_tokens

__all__ = ["load_tokenizer", "smoke_tokenizer", "build_model", "smoke_config", "looks_local", "check_local"]

# owner/name as the Hub spells a repository: anything else is a path on this machine.
_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?$")


def looks_local(name: str) -> bool:
    """Whether ``name`` can only be a path on this machine (it exists, or it is not a Hub name such as
    ``llm-jp/llm-jp-3-1.8b``)."""
    return Path(name).exists() or not _HUB_NAME.match(name) or name.startswith((".", "~"))


def check_local(name: str, what: str, option: str) -> None:
    """InputError when ``name`` can only be a path here (:func:`looks_local`) and nothing is there."""
    if looks_local(name) and not Path(name).exists():
        raise InputError(f"{name}: no such file or folder ({what}; give {option} a local folder or a Hub name)")


def load_tokenizer(name: str | os.PathLike) -> Any:
    """The fast tokenizer at ``name`` (a folder, or a Hub name), with a pad token (eos when it has none) and
    the two markers added."""
    transformers = require("transformers", "train")
    name = os.fspath(name)
    check_local(name, "the tokenizer", "--tokenizer")
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(name)
    except (OSError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputError(f"{name}: cannot load a tokenizer from it ({first})") from None
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError(f"{name}: not a fast tokenizer; leia needs the offsets only fast tokenizers give")
    if tokenizer.eos_token_id is None:
        raise ConfigError(f"{name}: the tokenizer has no eos token to put between documents")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    add_leia_tokens(tokenizer)
    return tokenizer


def smoke_tokenizer(folder: str | os.PathLike, vocab_size: int = 1000) -> Any:
    """A small byte-level BPE tokenizer trained on the text (without spans) of the shards in ``folder``, for
    ``--smoke`` runs without a tokenizer of their own: the same folder always gives the same tokenizer."""
    require("transformers", "train")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from leia.io.shards import iter_record_batches
    from leia.spans import strip_spans

    texts = (strip_spans(t) for batch in iter_record_batches(folder) for t in batch.column("text").to_pylist())
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=["<|endoftext|>"], show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<|endoftext|>", eos_token="<|endoftext|>",
                                        pad_token="<|endoftext|>", name_or_path="smoke")
    add_leia_tokens(tokenizer)
    return tokenizer


def smoke_config(tokenizer: Any, block_size: int) -> dict:
    """The tiny Llama of ``--smoke``: two layers of width 32, for runs that check the plumbing on a CPU."""
    return {"model_type": "llama", "vocab_size": len(tokenizer), "hidden_size": 32, "intermediate_size": 64,
            "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 2,
            "max_position_embeddings": max(block_size, 128), "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id, "pad_token_id": tokenizer.pad_token_id}


def build_model(tokenizer: Any, *, model: str | None = None, config: str | os.PathLike | dict | None = None,
                attn_implementation: str | None = None) -> Any:
    """The model to train: ``model`` loaded (a folder or a Hub name), or an untrained one of ``config`` (a
    JSON file, or the dict of one); its embeddings resized for the markers (:func:`add_leia_tokens`)."""
    transformers = require("transformers", "train")
    kwargs = {"attn_implementation": attn_implementation} if attn_implementation else {}
    if model is not None:
        check_local(model, "the model", "--model")
        try:
            built = transformers.AutoModelForCausalLM.from_pretrained(model, **kwargs)
        except (OSError, ValueError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise InputError(f"{model}: cannot load a model from it ({first})") from None
    else:
        if not isinstance(config, dict):
            config = _read_config(Path(config))
        values = dict(config)
        model_type = values.pop("model_type", None)
        if model_type is None:
            raise ConfigError("the model config has no model_type (e.g. \"llama\")")
        try:
            shape = transformers.AutoConfig.for_model(model_type, **values)
        except ValueError as e:
            raise ConfigError(f"the model config: {e}") from None
        built = transformers.AutoModelForCausalLM.from_config(shape, **kwargs)
    add_leia_tokens(tokenizer, built)
    return built


def _read_config(path: Path) -> dict:
    if not path.is_file():
        raise InputError(f"{path}: no such file (--config: a model config JSON file)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise InputError(f"{path}: not a JSON model config ({e})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a JSON object (a model config)")
    return data
