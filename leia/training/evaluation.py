"""The held-out evaluation of a run: per predicted token, the log-likelihood of the text without spans
(its perplexity) and the probability the model gives ``<translate>`` with no ban (which should stay near
zero, since the markers are kept out of the loss), reduced from the logits as they are computed."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from leia.training.tokens import leia_token_ids

__all__ = ["TranslateMetrics"]


class TranslateMetrics:
    """``preprocess`` (``Trainer(preprocess_logits_for_metrics=...)``) keeps, per position, the probability
    of ``<translate>`` and the log-probability of the next token; ``compute`` (``compute_metrics``) gives
    ``perplexity``, ``translate_prob`` (mean) and ``translate_prob_max`` over the positions with a label."""

    def __init__(self, tokenizer: Any, label_pad_token_id: int = -100):
        self.open_id = leia_token_ids(tokenizer)[0]
        self.label_pad_token_id = label_pad_token_id

    def preprocess(self, logits: Any, labels: Any) -> Any:
        logits = logits.float()
        total = torch.logsumexp(logits, dim=-1)
        translate = torch.exp(logits[..., self.open_id] - total)
        following = labels[..., 1:].clamp(min=0)
        picked = logits[..., :-1, :].gather(-1, following.unsqueeze(-1)).squeeze(-1)
        log_likelihood = torch.nn.functional.pad(picked - total[..., :-1], (0, 1))
        return torch.stack([translate, log_likelihood], dim=-1)

    def compute(self, prediction: Any) -> dict[str, float]:
        values, labels = prediction.predictions, prediction.label_ids
        scored = np.zeros(labels.shape, dtype=bool)
        scored[:, :-1] = labels[:, 1:] != self.label_pad_token_id
        if not scored.any():
            return {"perplexity": float("nan"), "translate_prob": float("nan"), "translate_prob_max": float("nan")}
        translate = values[..., 0][scored]
        log_likelihood = values[..., 1][scored]
        return {"perplexity": math.exp(-float(np.mean(log_likelihood, dtype=np.float64))),
                "translate_prob": float(np.mean(translate, dtype=np.float64)),
                "translate_prob_max": float(np.max(translate)),
                "tokens": int(scored.sum())}
