"""Why the model decided: the terms that weighed most in THIS article.

For a linear model the log-odds are a sum over features of ``coefficient × value``;
the explanation of a decision lists the features with the largest contribution in the
direction of the decision (top ``TOP_K``), as ``[term, weight]`` with the segmentation
``_`` turned back into spaces, so the review app can highlight them in the text.

- relevance: the contribution toward "relevant" when the article was called relevant,
  toward "not relevant" otherwise (terms of the level-1 word model); with the stacked
  model also ``relevance_factors``: the level-2 inputs (a theme's evidence, how much of
  the text carries reform terms…) that pushed most toward the decision;
- each theme given: the contribution toward that theme;
- sentiment: the contribution toward the predicted class relative to the average of the
  classes (softmax is unchanged by subtracting the mean coefficient).

Word, headline and lexicon features of the same term are summed; character n-grams are
left out (fragments of words mean nothing to a reviewer).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import sparse

from classifier.models import STACK_INPUTS

TOP_K = 8
_EXPLAINED = ("word", "head", "lex", "hlex")


def term_index(feature_names: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """For each feature, the index of its display term (-1 when not explained), and the terms."""
    terms: dict[str, int] = {}
    idx = np.full(len(feature_names), -1, dtype=np.int64)
    for i, name in enumerate(feature_names):
        part, _, term = name.partition("__")
        if part not in _EXPLAINED:
            continue
        term = term.replace("_", " ").strip()
        if not term or term == ".":
            continue
        idx[i] = terms.setdefault(term, len(terms))
    return idx, list(terms)


def top_terms(row: sparse.csr_matrix, coef: np.ndarray, idx: np.ndarray, terms: list[str],
              k: int = TOP_K) -> list[list]:
    """``[[term, weight], …]``: the ``k`` terms with the largest positive ``coef × value`` sums."""
    row = row.tocsr()
    cols, vals = row.indices, row.data
    keep = idx[cols] >= 0
    cols, vals = cols[keep], vals[keep]
    if not len(cols):
        return []
    contrib = np.asarray(coef, dtype=np.float64)[cols] * vals
    sums = np.bincount(idx[cols], weights=contrib, minlength=len(terms))
    order = np.argsort(-sums)[:k]
    return [[terms[j], round(float(sums[j]), 4)] for j in order if sums[j] > 0]


class Explainer:
    """Precomputed term map for one fitted model (see ``classifier.models.Model``)."""

    def __init__(self, model) -> None:
        self.model = model
        names = model.features.get_feature_names_out()
        self.idx, self.terms = term_index(list(names))
        rel = model.relevance.named_steps["clf"]
        self.rel_coef = rel.coef_[0]
        self.theme_coef = {c: p.named_steps["clf"].coef_[0] for c, p in model.themes.items()}
        sent = model.sentiment.named_steps["clf"]
        self.sent_classes = [str(c) for c in sent.classes_]
        coef = sent.coef_
        if coef.shape[0] == 1:  # binary sentiment (tiny training sets): class 1 vs class 0
            coef = np.vstack([-coef[0], coef[0]])
        self.sent_coef = coef - coef.mean(axis=0, keepdims=True)
        self.stack = None
        if getattr(model, "relevance_stack", None) is not None:
            scale = model.relevance_stack.named_steps["scale"]
            self.stack = (scale.mean_, scale.scale_, model.relevance_stack.named_steps["clf"].coef_[0])

    def relevance_factors(self, z: np.ndarray, relevant: bool, k: int = 4) -> list[list]:
        """``[[input name, weight], …]``: the level-2 inputs (``models.STACK_INPUTS``) that pushed
        most toward the decision — e.g. ``theme:civil_service`` or ``reform_sentence_share``."""
        mean, scale, coef = self.stack
        contrib = (1.0 if relevant else -1.0) * coef * (np.asarray(z, dtype=np.float64) - mean) / scale
        order = np.argsort(-contrib)[:k]
        return [[STACK_INPUTS[j], round(float(contrib[j]), 4)] for j in order if contrib[j] > 0]

    def explain(self, row, prediction: dict, z: np.ndarray | None = None, k: int = TOP_K) -> dict:
        sign = 1.0 if prediction["relevant"] else -1.0
        out = {
            "relevant": top_terms(row, sign * self.rel_coef, self.idx, self.terms, k),
            "themes": {c: top_terms(row, self.theme_coef[c], self.idx, self.terms, k)
                       for c in prediction["themes"] if c in self.theme_coef},
            "sentiment": [],
        }
        if self.stack is not None and z is not None:
            out["relevance_factors"] = self.relevance_factors(z, prediction["relevant"])
        if prediction["sentiment"] in self.sent_classes:
            j = self.sent_classes.index(prediction["sentiment"])
            out["sentiment"] = top_terms(row, self.sent_coef[j], self.idx, self.terms, k)
        return out
