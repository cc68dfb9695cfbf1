"""k-fold cross-validation of the models and of the keyword baseline, and the printed report."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np
from sklearn.model_selection import StratifiedKFold

from classifier.corpus import Example
from classifier.features import SENTIMENTS, THEMES, Doc, load_lexicon, prepare
from classifier.models import Settings, lexicon_baseline, train


def prepare_examples(examples: Sequence[Example], progress: Optional[Callable] = None) -> list[Doc]:
    it = progress(examples) if progress else examples
    return [prepare(e.title, e.text) for e in it]


def cross_val_predict(examples: Sequence[Example], docs: Sequence[Doc], settings: Settings = Settings(),
                      folds: int = 5, seed: int = 0) -> list[dict]:
    """Out-of-fold predictions of the models (each fold trained on the other folds only)."""
    strata = np.asarray([int(e.relevant) * 3 + SENTIMENTS.index(e.sentiment) for e in examples])
    preds: list[Optional[dict]] = [None] * len(examples)
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(strata, strata):
        model = train([docs[i] for i in tr], [examples[i].relevant for i in tr],
                      [examples[i].themes for i in tr], [examples[i].sentiment for i in tr], settings)
        for i, p in zip(te, model.predict_docs([docs[i] for i in te])):
            preds[i] = p
    return preds  # type: ignore[return-value]


def baseline_predict(docs: Sequence[Doc]) -> list[dict]:
    lex = load_lexicon()
    return [lexicon_baseline(d.raw, lex) for d in docs]


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


@dataclass
class Scores:
    relevance: dict
    themes: dict        # code -> (p, r, f1, support)
    themes_micro: float
    themes_macro: float
    sentiment: dict     # label -> (p, r, f1, support)
    sentiment_macro: float
    confusion: list[list[int]]  # rows gold, columns predicted, order SENTIMENTS

    def summary(self) -> dict:
        return {
            "relevance_f1": round(self.relevance["f1"], 4),
            "relevance_fpr": round(self.relevance["fpr"], 4),
            "themes_micro_f1": round(self.themes_micro, 4),
            "themes_macro_f1": round(self.themes_macro, 4),
            "themes_min_f1": round(min(v[2] for v in self.themes.values()), 4),
            "themes_f1": {c: round(v[2], 4) for c, v in self.themes.items()},
            "sentiment_macro_f1": round(self.sentiment_macro, 4),
        }


def score(examples: Sequence[Example], preds: Sequence[dict]) -> Scores:
    gold_r = np.asarray([e.relevant for e in examples])
    pred_r = np.asarray([bool(p["relevant"]) for p in preds])
    tp = int((gold_r & pred_r).sum()); fp = int((~gold_r & pred_r).sum()); fn = int((gold_r & ~pred_r).sum())
    p, r, f = _prf(tp, fp, fn)
    rel = {"precision": p, "recall": r, "f1": f, "fpr": fp / max(1, int((~gold_r).sum())),
           "support": int(gold_r.sum()), "fp": fp, "negatives": int((~gold_r).sum())}
    if all("relevance_score" in p_ for p_ in preds):  # the operating point a 0.5 threshold would give
        half = np.asarray([p_["relevance_score"] >= 0.5 for p_ in preds])
        t_, f_, n_ = int((gold_r & half).sum()), int((~gold_r & half).sum()), int((gold_r & ~half).sum())
        rel["f1_at_half"] = _prf(t_, f_, n_)[2]
        rel["fpr_at_half"] = f_ / max(1, int((~gold_r).sum()))
    themes = {}
    TP = FP = FN = 0
    for c in THEMES:
        g = np.asarray([c in e.themes for e in examples]); q = np.asarray([c in p_["themes"] for p_ in preds])
        t_, f_, n_ = int((g & q).sum()), int((~g & q).sum()), int((g & ~q).sum())
        TP, FP, FN = TP + t_, FP + f_, FN + n_
        themes[c] = (*_prf(t_, f_, n_), int(g.sum()))
    micro = _prf(TP, FP, FN)[2]
    macro = float(np.mean([v[2] for v in themes.values()]))
    sent = {}
    conf = [[0] * len(SENTIMENTS) for _ in SENTIMENTS]
    for e, p_ in zip(examples, preds):
        conf[SENTIMENTS.index(e.sentiment)][SENTIMENTS.index(p_["sentiment"])] += 1
    for j, lab in enumerate(SENTIMENTS):
        t_ = conf[j][j]; f_ = sum(conf[i][j] for i in range(3)) - t_; n_ = sum(conf[j]) - t_
        sent[lab] = (*_prf(t_, f_, n_), sum(conf[j]))
    return Scores(rel, themes, micro, macro, sent, float(np.mean([v[2] for v in sent.values()])), conf)


def format_report(model: Scores, baseline: Scores, *, folds: int, n: int, title: str = "") -> str:
    """Side-by-side text report (figures as fractions, 3 decimals)."""
    L = []
    L.append(title or f"Đánh giá chéo {folds} phần (k-fold cross-validation) trên {n} bài có nhãn")
    L.append(f"{'':34}{'MÔ HÌNH (model)':>24}   {'TỪ KHÓA (lexicon baseline)':>26}")
    L.append(f"{'':34}{'P':>8}{'R':>8}{'F1':>8}   {'P':>8}{'R':>8}{'F1':>8}   {'n':>5}")

    def row(name, a, b, support):
        L.append(f"{name:34}{a[0]:8.3f}{a[1]:8.3f}{a[2]:8.3f}   {b[0]:8.3f}{b[1]:8.3f}{b[2]:8.3f}   {support:5d}")

    L.append("Liên quan CCHC (relevance)")
    mr, br = model.relevance, baseline.relevance
    row("  relevant", (mr["precision"], mr["recall"], mr["f1"]), (br["precision"], br["recall"], br["f1"]), mr["support"])
    L.append(f"{'  tỷ lệ báo nhầm (false-positive rate)':50}{mr['fpr']:8.3f}{'':19}{br['fpr']:8.3f}"
             f"   ({mr['fp']} / {br['fp']} của {mr['negatives']} bài không liên quan)")
    if "f1_at_half" in mr:
        L.append(f"{'  (ngưỡng 0,5 thay vì ngưỡng đã chọn: F1 / FPR)':42}{mr['f1_at_half']:8.3f}{mr['fpr_at_half']:8.3f}"
                 f"   — ngưỡng đã chọn giữ FPR ≤ 2 %")
    L.append("Lĩnh vực (themes)")
    for c in THEMES:
        row(f"  {c}", model.themes[c], baseline.themes[c], model.themes[c][3])
    L.append(f"{'  micro-F1':50}{model.themes_micro:8.3f}{'':19}{baseline.themes_micro:8.3f}")
    L.append(f"{'  macro-F1':50}{model.themes_macro:8.3f}{'':19}{baseline.themes_macro:8.3f}")
    L.append(f"{'  F1 thấp nhất (weakest theme)':50}{min(v[2] for v in model.themes.values()):8.3f}{'':19}"
             f"{min(v[2] for v in baseline.themes.values()):8.3f}")
    L.append("Sắc thái (sentiment)")
    for lab in SENTIMENTS:
        row(f"  {lab}", model.sentiment[lab], baseline.sentiment[lab], model.sentiment[lab][3])
    L.append(f"{'  macro-F1':50}{model.sentiment_macro:8.3f}{'':19}{baseline.sentiment_macro:8.3f}")
    for name, sc in (("mô hình", model), ("từ khóa", baseline)):
        L.append(f"Ma trận nhầm lẫn sắc thái — {name} (hàng: nhãn đúng, cột: dự đoán)")
        L.append(f"{'':12}" + "".join(f"{lab:>10}" for lab in SENTIMENTS))
        for lab, r in zip(SENTIMENTS, sc.confusion):
            L.append(f"{lab:12}" + "".join(f"{v:10d}" for v in r))
    return "\n".join(L)
