"""The plain-JSON logistic regressions that decide a mention's role (subject or passing).

Shared by provinces (``localities_role.json``) and ministries (``ministries_role.json``):
standardised features, coefficients and intercept stored as JSON, no pickle.
"""
from __future__ import annotations

import json
import logging
import math
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)


@lru_cache(maxsize=None)
def load_model(path: str) -> dict | None:
    """The model at ``path``, or None (callers fall back to rules) when the file is missing."""
    p = Path(path)
    if not p.exists():
        log.warning("role model %s missing: falling back to rules", p)
        return None
    return json.loads(p.read_text(encoding="utf-8"))


def score(model: dict, feats: dict[str, float]) -> float:
    """Probability from a plain-JSON logistic regression (standardised features)."""
    z = model["intercept"]
    for name, coef, mean, scale in zip(model["features"], model["coef"], model["mean"], model["scale"]):
        z += coef * (feats.get(name, 0.0) - mean) / (scale or 1.0)
    return 1.0 / (1.0 + math.exp(-z))
