"""The three models — relevance, themes, sentiment — as scikit-learn Pipelines.

All three read the same feature space (``build_features``: a ``ColumnTransformer`` of
word n-grams on the segmented text, word n-grams on the segmented headline + lead,
character n-grams on the unsegmented text, and counts of the lexicon terms), fitted once
per training set and shared by the pipelines (skops stores it once).

- relevance, stacked in two levels (``Settings.relevance_stack``):
  level 1 — ``LogisticRegression`` (C=100, balanced classes) reading the word n-gram block
  only (``Settings.relevance_blocks``; its coefficients on the other blocks are 0), beside
  one word-block ``LogisticRegression`` per theme trained on every article (a theme's
  positives are the relevant articles with that theme);
  level 2 — ``StandardScaler`` + ``LogisticRegression`` (C=1) over the eight level-1
  margins and six centrality figures (``features.centrality_features``: how much of the
  text, its first sentence and its title carry reform terms), trained on out-of-fold
  level-1 margins. Its probability is ``relevance_score``.
  The decision threshold on that score is chosen by inner cross-validation on the
  training data only: the best F1 among thresholds calling at most ``max_fpr`` of the
  non-relevant training articles relevant, set midway to the next lower score.
- themes: one ``LogisticRegression`` per theme, trained on the relevant articles only,
  each with its own threshold chosen by inner cross-validation (best F1); a theme is
  given only when the article is relevant; a relevant article with no theme over its
  threshold gets the one closest to it.
- sentiment: multinomial ``LogisticRegression`` (C=30, balanced classes) reading the word
  and headline+lead blocks (``Settings.sentiment_blocks``).

Hyper-parameters are explicit in ``Settings`` and recorded in the metadata.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Optional, Sequence

import numpy as np
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from classifier.features import (
    CENTRALITY_FEATURES, DOC, HEAD, HEAD_RAW, RAW, SENTIMENTS, THEMES, TOKEN_PATTERN, Doc, centrality_matrix,
    lexicon_terms, load_lexicon, term_ngram_range, to_matrix,
)


@dataclass(frozen=True)
class Settings:
    word: bool = True
    word_ngrams: tuple[int, int] = (1, 2)
    word_max_features: int = 20000
    head: bool = True
    head_ngrams: tuple[int, int] = (1, 2)
    head_max_features: int = 10000
    char: bool = True
    char_ngrams: tuple[int, int] = (2, 5)
    char_max_features: int = 20000
    lexicon: bool = True
    head_lexicon: bool = False
    sentiment_split: bool = False  # separate tone models for relevant / other news, blended by relevance
    min_df: int = 2
    relevance_C: float = 100.0
    relevance_blocks: tuple[str, ...] = ("word",)  # feature blocks the relevance model reads
    relevance_stack: bool = True  # level-2 model over relevance + theme margins + centrality figures
    stack_theme_C: float = 10.0  # level-1 theme models of the stack (word block, all articles)
    stack_C: float = 1.0  # level-2 logistic regression
    themes_C: float = 10.0
    themes_on_all: bool = False  # train theme models on every article (non-relevant = negative) instead of the relevant ones
    sentiment_C: float = 30.0
    sentiment_blocks: tuple[str, ...] = ("word", "head")  # feature blocks the tone model reads
    max_fpr: float = 0.015
    inner_folds: int = 5
    theme_threshold_grid: tuple[float, ...] = tuple(np.round(np.arange(0.15, 0.71, 0.05), 2))
    at_least_one_theme: bool = True
    seed: int = 0

    def as_dict(self) -> dict:
        d = asdict(self)
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}

    @classmethod
    def from_dict(cls, d: dict) -> "Settings":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items() if k in known})


def _lexicon_vocabulary() -> list[str]:
    terms = lexicon_terms(load_lexicon())
    return sorted({" ".join(re.findall(TOKEN_PATTERN, t)) for t in terms} - {""})


def build_features(s: Settings) -> ColumnTransformer:
    parts = []
    if s.word:
        parts.append(("word", TfidfVectorizer(
            token_pattern=TOKEN_PATTERN, ngram_range=s.word_ngrams, min_df=s.min_df, sublinear_tf=True,
            max_features=s.word_max_features, lowercase=False, dtype=np.float32), DOC))
    if s.head:
        parts.append(("head", TfidfVectorizer(
            token_pattern=TOKEN_PATTERN, ngram_range=s.head_ngrams, min_df=s.min_df, sublinear_tf=True,
            max_features=s.head_max_features, lowercase=False, dtype=np.float32), HEAD))
    if s.char:
        parts.append(("char", TfidfVectorizer(
            analyzer="char_wb", ngram_range=s.char_ngrams, min_df=s.min_df, sublinear_tf=True,
            max_features=s.char_max_features, lowercase=False, dtype=np.float32), RAW))
    if s.lexicon:
        vocab = _lexicon_vocabulary()
        parts.append(("lex", TfidfVectorizer(
            token_pattern=TOKEN_PATTERN, vocabulary=vocab, ngram_range=term_ngram_range(vocab),
            sublinear_tf=True, use_idf=False, lowercase=False, dtype=np.float32), RAW))
    if s.head_lexicon:
        vocab = _lexicon_vocabulary()
        parts.append(("hlex", TfidfVectorizer(
            token_pattern=TOKEN_PATTERN, vocabulary=vocab, ngram_range=term_ngram_range(vocab),
            sublinear_tf=True, use_idf=False, lowercase=False, dtype=np.float32), HEAD_RAW))
    return ColumnTransformer(parts, sparse_threshold=1.0, n_jobs=None)


def _lr(C: float, seed: int, balanced: bool = True) -> LogisticRegression:
    return LogisticRegression(C=C, class_weight="balanced" if balanced else None, max_iter=2000,
                              solver="liblinear", random_state=seed)


def _lr_multi(C: float, seed: int) -> LogisticRegression:
    return LogisticRegression(C=C, class_weight="balanced", max_iter=3000, solver="lbfgs", random_state=seed)


def _strip_vectorizers(ct: ColumnTransformer) -> None:
    """Drop ``stop_words_`` (every pruned n-gram: large, only for introspection) and make the
    vocabulary plain ``{str: int}`` (numpy integer values are stored one file each by skops)."""
    for _, est, _ in ct.transformers_:
        if hasattr(est, "stop_words_"):
            delattr(est, "stop_words_")
        if isinstance(getattr(est, "vocabulary_", None), dict):
            est.vocabulary_ = {str(k): int(v) for k, v in est.vocabulary_.items()}


def _compact(clf: LogisticRegression) -> LogisticRegression:
    """float32 coefficients: half the size on disk, same decisions to 1e-6."""
    clf.coef_ = clf.coef_.astype(np.float32)
    clf.intercept_ = clf.intercept_.astype(np.float32)
    return clf


def block_mask(ct: ColumnTransformer, blocks: Optional[Sequence[str]], width: int) -> np.ndarray:
    """Boolean mask of the feature columns produced by the named blocks (all columns when ``blocks`` is empty)."""
    mask = np.zeros(width, dtype=bool)
    if not blocks:
        mask[:] = True
        return mask
    for name, sl in ct.output_indices_.items():
        if name in blocks:
            mask[sl] = True
    if not mask.any():  # none of the blocks is enabled in these settings: use everything
        mask[:] = True
    return mask


def _fit_on_columns(clf: LogisticRegression, X, y, mask: np.ndarray) -> LogisticRegression:
    """Fit ``clf`` on the columns in ``mask`` only, then widen its coefficients to every column
    (zeros elsewhere): the same linear model, applied to the shared feature space."""
    clf.fit(X[:, np.flatnonzero(mask)], y)
    full = np.zeros((clf.coef_.shape[0], len(mask)), dtype=clf.coef_.dtype)
    full[:, mask] = clf.coef_
    clf.coef_ = full
    clf.n_features_in_ = len(mask)
    return clf


def _inner_proba(est, X, y, folds: int, seed: int) -> np.ndarray:
    """Out-of-fold probabilities of the positive class on (already vectorised) training data."""
    y = np.asarray(y)
    k = min(folds, int(np.bincount(y.astype(int)).min()) if len(set(y)) > 1 else 0)
    out = np.full(len(y), np.nan)
    if k < 2:
        return out
    for tr, te in StratifiedKFold(k, shuffle=True, random_state=seed).split(X, y):
        m = clone(est).fit(X[tr], y[tr])
        out[te] = m.predict_proba(X[te])[:, 1]
    return out


def _best_f1_threshold(y: np.ndarray, p: np.ndarray, grid: Sequence[float], max_fpr: Optional[float] = None,
                       default: float = 0.5) -> float:
    if np.isnan(p).any() or y.sum() == 0:
        return default
    best, best_t = -1.0, default
    neg = max(1, int((y == 0).sum()))
    for t in grid:
        pred = p >= t
        tp = int((pred & (y == 1)).sum())
        fp = int((pred & (y == 0)).sum())
        fn = int((~pred & (y == 1)).sum())
        if max_fpr is not None and fp / neg > max_fpr:
            continue
        f1 = 2 * tp / max(1, 2 * tp + fp + fn)
        # ties: prefer the threshold nearest 0.5 (robustness)
        if f1 > best + 1e-9 or (abs(f1 - best) <= 1e-9 and abs(t - 0.5) < abs(best_t - 0.5)):
            best, best_t = f1, float(t)
    if best < 0:  # no threshold met the FPR bound: the strictest of the grid
        return float(max(grid))
    return best_t


def _score_threshold(y: np.ndarray, p: np.ndarray, max_fpr: Optional[float], default: float = 0.5) -> float:
    """The best-F1 threshold among those keeping the false-positive rate on (y, p) within ``max_fpr``.

    Candidates are the observed scores; the threshold returned is the midpoint between the
    lowest score called positive and the next score below it (not the score itself, which
    sits on a training article and would be optimistic). Ties: the higher threshold."""
    y = np.asarray(y)
    if np.isnan(p).any() or y.sum() == 0 or y.sum() == len(y):
        return default
    neg = max(1, int((y == 0).sum()))
    best, best_t = -1.0, None
    for t in np.unique(p)[::-1]:
        pred = p >= t
        tp = int((pred & (y == 1)).sum())
        fp = int((pred & (y == 0)).sum())
        fn = int((~pred & (y == 1)).sum())
        if max_fpr is not None and fp / neg > max_fpr:
            break  # lower thresholds only add false positives
        f1 = 2 * tp / max(1, 2 * tp + fp + fn)
        if f1 > best + 1e-9:
            best, best_t = f1, float(t)
    if best_t is None:
        return float(np.nextafter(p.max(), 1.0))
    lower = p[p < best_t]
    return float((best_t + lower.max()) / 2) if len(lower) else best_t


STACK_INPUTS = ("relevance_terms",) + tuple(f"theme:{c}" for c in THEMES) + CENTRALITY_FEATURES


def _margins(rel: LogisticRegression, themes: dict[str, LogisticRegression], X) -> np.ndarray:
    """The level-1 margins: relevance, then one per theme (0 for a theme without a model)."""
    cols = [rel.decision_function(X)]
    cols += [themes[c].decision_function(X) if c in themes else np.zeros(X.shape[0]) for c in THEMES]
    return np.stack(cols, 1)


def stack_inputs(rel: LogisticRegression, themes: dict[str, LogisticRegression], X, centrality: np.ndarray) -> np.ndarray:
    """Level-2 inputs (named in ``STACK_INPUTS``): the level-1 margins, then the centrality figures."""
    return np.hstack([_margins(rel, themes, X), centrality])


def _fit_stack(X, docs: Sequence[Doc], y_rel: np.ndarray, themes: Sequence[Sequence[str]], s: Settings,
               rel_mask: np.ndarray) -> Optional[tuple[dict, Pipeline, float]]:
    """Level-1 theme models, the level-2 model and its threshold (see the module docstring);
    None when a relevance class has too few articles to cross-validate (fewer than 2).

    Level 2 is trained on out-of-fold level-1 margins (``inner_folds`` folds); its own
    out-of-fold probabilities (folds drawn with another seed) choose the threshold."""
    k = min(s.inner_folds, int(np.bincount(y_rel, minlength=2).min()))
    if k < 2:
        return None
    y_th = {c: np.asarray([int(y_rel[i] == 1 and c in (themes[i] or [])) for i in range(len(y_rel))])
            for c in THEMES}
    usable = {c: y for c, y in y_th.items() if 1 < y.sum() < len(y)}
    M = np.zeros((len(y_rel), 1 + len(THEMES)))
    for tr, te in StratifiedKFold(k, shuffle=True, random_state=s.seed).split(X, y_rel):
        rel = _fit_on_columns(_lr(s.relevance_C, s.seed), X[tr], y_rel[tr], rel_mask)
        th = {c: _fit_on_columns(_lr(s.stack_theme_C, s.seed), X[tr], y[tr], rel_mask)
              for c, y in usable.items() if 0 < y[tr].sum() < len(tr)}
        M[te] = _margins(rel, th, X[te])
    Z = np.hstack([M, centrality_matrix(docs)])
    level2 = Pipeline([("scale", StandardScaler()),
                       ("clf", LogisticRegression(C=s.stack_C, class_weight="balanced", max_iter=3000,
                                                  random_state=s.seed))])
    p = np.zeros(len(y_rel))
    for tr, te in StratifiedKFold(k, shuffle=True, random_state=s.seed + 1).split(Z, y_rel):
        p[te] = clone(level2).fit(Z[tr], y_rel[tr]).predict_proba(Z[te])[:, 1]
    threshold = _score_threshold(y_rel, p, max_fpr=s.max_fpr)
    stack_themes = {c: _compact(_fit_on_columns(_lr(s.stack_theme_C, s.seed), X, y, rel_mask))
                    for c, y in usable.items()}
    return stack_themes, level2.fit(Z, y_rel), threshold


@dataclass
class Model:
    """The fitted pipelines, thresholds and settings: what ``predict`` needs."""

    relevance: Pipeline
    themes: dict[str, Pipeline]
    sentiment: Pipeline
    relevance_threshold: float
    theme_thresholds: dict[str, float]
    settings: Settings = field(default_factory=Settings)
    sentiment_other: Optional[Pipeline] = None  # tone model for non-relevant news (sentiment_split)
    stack_themes: dict[str, LogisticRegression] = field(default_factory=dict)  # level-1 theme models
    relevance_stack: Optional[Pipeline] = None  # level 2 (StandardScaler + LogisticRegression)

    @property
    def features(self) -> ColumnTransformer:
        return self.relevance.named_steps["features"]

    def stack_inputs(self, docs: Sequence[Doc], X) -> Optional[np.ndarray]:
        """The level-2 inputs of these documents (None when relevance is not stacked)."""
        if self.relevance_stack is None:
            return None
        return stack_inputs(self.relevance.named_steps["clf"], self.stack_themes, X, centrality_matrix(docs))

    def relevance_proba(self, docs: Sequence[Doc], X, Z: Optional[np.ndarray] = None) -> np.ndarray:
        """The 0–1 relevance score: the level-2 model's when stacked, else the word model's."""
        if self.relevance_stack is None:
            return self.relevance.named_steps["clf"].predict_proba(X)[:, 1]
        if Z is None:
            Z = self.stack_inputs(docs, X)
        return self.relevance_stack.predict_proba(Z)[:, 1]

    def predict_docs(self, docs: Sequence[Doc], X=None, Z: Optional[np.ndarray] = None) -> list[dict]:
        """Labels and 0–1 scores for prepared documents (no explanations); ``X``: their features
        and ``Z``: their level-2 inputs, if known."""
        if not docs:
            return []
        if X is None:
            X = self.features.transform(to_matrix(docs))
        rel_p = self.relevance_proba(docs, X, Z)
        theme_p = {c: p.named_steps["clf"].predict_proba(X)[:, 1] for c, p in self.themes.items()}
        sent_clf = self.sentiment.named_steps["clf"]
        sent_p = sent_clf.predict_proba(X)
        classes = [str(c) for c in sent_clf.classes_]
        if self.sentiment_other is not None:
            other = self.sentiment_other.named_steps["clf"]
            p_other = other.predict_proba(X)
            aligned = np.zeros_like(sent_p)
            for j, c in enumerate(other.classes_):
                aligned[:, classes.index(str(c))] = p_other[:, j]
            sent_p = rel_p[:, None] * sent_p + (1 - rel_p[:, None]) * aligned
        out = []
        for i in range(len(docs)):
            relevant = bool(rel_p[i] >= self.relevance_threshold)
            scores = {c: round(float(theme_p[c][i]), 4) for c in self.themes}
            themes: list[str] = []
            if relevant:
                themes = [c for c in self.themes if theme_p[c][i] >= self.theme_thresholds[c]]
                if not themes and self.settings.at_least_one_theme and self.themes:
                    themes = [max(self.themes, key=lambda c: theme_p[c][i] / self.theme_thresholds[c])]
            sp = {c: round(float(sent_p[i, j]), 4) for j, c in enumerate(classes)}
            out.append({
                "relevant": relevant,
                "relevance_score": round(float(rel_p[i]), 4),
                "themes": themes,
                "theme_scores": scores,
                "sentiment": classes[int(np.argmax(sent_p[i]))],
                "sentiment_scores": sp,
            })
        return out


def train(docs: Sequence[Doc], relevant: Sequence[bool], themes: Sequence[Sequence[str]],
          sentiment: Sequence[str], settings: Settings = Settings()) -> Model:
    """Fit the three pipelines (thresholds by inner cross-validation on these data only)."""
    s = settings
    X_raw = to_matrix(docs)
    y_rel = np.asarray([bool(r) for r in relevant], dtype=int)
    y_sent = np.asarray([str(x) for x in sentiment])
    bad = sorted(set(y_sent) - set(SENTIMENTS))
    if bad:
        raise ValueError(f"unknown sentiment label(s) {bad}; expected {SENTIMENTS}")
    ct = build_features(s)
    X = ct.fit_transform(X_raw).tocsr()
    _strip_vectorizers(ct)

    rel_clf = _lr(s.relevance_C, s.seed)
    rel_mask = block_mask(ct, s.relevance_blocks, X.shape[1])
    stacked = _fit_stack(X, docs, y_rel, themes, s, rel_mask) if s.relevance_stack else None
    stack_themes, rel_stack = {}, None
    if stacked is not None:
        stack_themes, rel_stack, rel_t = stacked
    else:  # the word model alone
        p_inner = _inner_proba(rel_clf, X[:, np.flatnonzero(rel_mask)], y_rel, s.inner_folds, s.seed)
        rel_t = _score_threshold(y_rel, p_inner, max_fpr=s.max_fpr)
    _compact(_fit_on_columns(rel_clf, X, y_rel, rel_mask))

    rel_idx = np.flatnonzero(y_rel == 1)
    X_relevant = X[rel_idx]
    theme_idx = np.arange(len(y_rel)) if s.themes_on_all else rel_idx
    X_theme = X[theme_idx]
    theme_pipes, theme_t = {}, {}
    for code in THEMES:
        y = np.asarray([int(y_rel[i] == 1 and code in (themes[i] or [])) for i in theme_idx])
        if y.sum() < 2 or y.sum() == len(y):
            continue  # too few examples to learn this theme
        clf = _lr(s.themes_C, s.seed)
        p = _inner_proba(clf, X_theme, y, s.inner_folds, s.seed)
        theme_t[code] = _best_f1_threshold(y, p, s.theme_threshold_grid)
        theme_pipes[code] = Pipeline([("features", ct), ("clf", _compact(clf.fit(X_theme, y)))])

    sent_other = None
    if s.sentiment_split and len(set(y_sent[rel_idx])) == len(SENTIMENTS) \
            and len(set(y_sent[y_rel == 0])) == len(SENTIMENTS):
        sent_clf = _compact(_lr_multi(s.sentiment_C, s.seed).fit(X_relevant, y_sent[rel_idx]))
        non = np.flatnonzero(y_rel == 0)
        sent_other = Pipeline([("features", ct), ("clf", _compact(_lr_multi(s.sentiment_C, s.seed).fit(X[non], y_sent[non])))])
    else:
        sent_clf = _compact(_fit_on_columns(_lr_multi(s.sentiment_C, s.seed), X, y_sent,
                                            block_mask(ct, s.sentiment_blocks, X.shape[1])))
    return Model(
        relevance=Pipeline([("features", ct), ("clf", rel_clf)]),
        themes=theme_pipes,
        sentiment=Pipeline([("features", ct), ("clf", sent_clf)]),
        relevance_threshold=rel_t,
        theme_thresholds=theme_t,
        settings=s,
        sentiment_other=sent_other,
        stack_themes=stack_themes,
        relevance_stack=rel_stack,
    )


def lexicon_baseline(raw: str, lexicon: Optional[dict] = None) -> dict:
    """The keyword baseline on a normalised, lower-cased text (``Doc.raw``).

    Relevant when a relevance term occurs; themes with at least one of their terms
    (only when relevant); sentiment by the count of positive vs negative words.
    """
    from classifier.features import count_terms

    lex = lexicon or load_lexicon()
    relevant = bool(count_terms(raw, lex["relevance"]))
    themes = [c for c in THEMES if relevant and count_terms(raw, lex["themes"].get(c, []))]
    pos = sum(count_terms(raw, lex["positive"]).values())
    neg = sum(count_terms(raw, lex["negative"]).values())
    sentiment = "positive" if pos > neg else "negative" if neg > pos else "neutral"
    return {"relevant": relevant, "themes": themes, "sentiment": sentiment}
