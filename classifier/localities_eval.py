"""Evaluate (and train) the province/ministry role models on a labeled corpus.

``evaluate_localities(records, folds=5)`` returns a printable table of precision, recall and
micro-F1 for provinces and ministries: this module's method (role models cross-validated
over articles: each fold's model is trained on the other folds), baseline 1 = every
gazetteer match, baseline 2 = underthesea's NER (LOC entities matched to the gazetteer for
provinces, ORG entities for ministries). Provinces are compared as labeled (names as at the
article's date) and on the current 34-province division (both sides mapped).

``python -m classifier.localities_eval CORPUS_DIR [--folds N] [--no-ner]`` prints it;
``python -m classifier.localities_eval CORPUS_DIR --train`` refits both role models on the
whole corpus and writes ``classifier/models/localities_role.json`` and
``classifier/models/ministries_role.json`` (plain JSON coefficients + metadata).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import logging
import random
import sys
from pathlib import Path

from classifier import gazetteer as gz
from classifier import localities as loc
from classifier import ministries as mins

__all__ = ["evaluate_localities", "load_records", "fit_role_model", "train_and_save", "main"]

# Explicit hyper-parameters, chosen by 5-fold CV on the labeled corpus over C in {0.1, 0.3, 1, 3}
# and thresholds 0.30-0.60 (both kinds: a plateau around 0.35-0.5; see docs/localities.md).
C = 0.1  # inverse regularisation strength
THRESHOLD = 0.4  # probability above which a candidate is a subject
SEED = 13


def load_records(corpus: str | Path) -> list[dict]:
    """Records of ``articles.jsonl`` in a corpus directory (or the file itself)."""
    p = Path(corpus)
    if p.is_dir():
        p = p / "articles.jsonl"
    if not p.exists():
        raise FileNotFoundError(f"no corpus file at {p}")
    out = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{p}:{n}: not valid JSON ({exc.msg})") from None
    return out


# --------------------------------------------------------------------------- datasets
def _article_rows(r: dict) -> tuple[dict, dict, dict]:
    published = (r.get("date") or "")[:10] or None
    cand = loc.candidates(r.get("title") or "", r.get("text") or "", url=r.get("url"), published=published)
    pf = loc.province_features(cand)
    ms = mins.ministry_mentions(cand["full"], published)
    mf = mins.ministry_features(cand["full"], ms, cand["title_len"], cand["lead_end"],
                                gz.ministry_for_domain(r.get("url")), published)
    return cand, pf, mf


def _prepare(records: list[dict]) -> list[dict]:
    rows = []
    for r in records:
        cand, pf, mf = _article_rows(r)
        rows.append({
            "gold_p": set(r.get("provinces") or []), "gold_m": set(r.get("ministries") or []),
            "pf": pf, "mf": mf,
            "all_p": {m.name for m in cand["mentions"]},
            "all_m": set(mf),
            "text": cand["full"],
        })
    return rows


def fit_role_model(X: list[list[float]], y: list[int], features: tuple[str, ...]) -> dict:
    """Standardised logistic regression (scikit-learn Pipeline) exported as plain JSON."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = Pipeline([
        ("scale", StandardScaler()),
        ("lr", LogisticRegression(C=C, solver="lbfgs", max_iter=2000, class_weight=None)),
    ])
    pipe.fit(X, y)
    sc, lr = pipe.named_steps["scale"], pipe.named_steps["lr"]
    return {
        "features": list(features),
        "coef": [float(c) for c in lr.coef_[0]],
        "intercept": float(lr.intercept_[0]),
        "mean": [float(m) for m in sc.mean_],
        "scale": [float(s) for s in sc.scale_],
        "threshold": THRESHOLD,
    }


def _xy(rows: list[dict], kind: str) -> tuple[list, list]:
    feats = loc.FEATURES if kind == "p" else mins.MFEATURES
    X, y = [], []
    for r in rows:
        for name, f in r[kind + "f"].items():
            X.append([f[k] for k in feats])
            y.append(int(name in r["gold_" + kind]))
    return X, y


def _folds(n: int, k: int) -> list[list[int]]:
    idx = list(range(n))
    random.Random(SEED).shuffle(idx)
    return [idx[i::k] for i in range(k)]


def _cv_predictions(rows: list[dict], kind: str, folds: int) -> list[set[str]]:
    """Predicted sets per article, each from a model trained on the other folds."""
    feats = loc.FEATURES if kind == "p" else mins.MFEATURES
    preds: list[set[str]] = [set() for _ in rows]
    for test in _folds(len(rows), folds):
        test_set = set(test)
        train = [r for i, r in enumerate(rows) if i not in test_set]
        X, y = _xy(train, kind)
        if len(set(y)) < 2:
            continue
        model = fit_role_model(X, y, feats)
        for i in test:
            decide = (lambda f: loc.score(model, f) >= model["threshold"]) if kind == "p" else (lambda f: mins.decide(model, f))
            preds[i] = {n for n, f in rows[i][kind + "f"].items() if decide(f)}
    return preds


# --------------------------------------------------------------------------- scoring
def _prf(pairs: list[tuple[set, set]]) -> tuple[float, float, float]:
    tp = sum(len(p & g) for p, g in pairs)
    fp = sum(len(p - g) for p, g in pairs)
    fn = sum(len(g - p) for p, g in pairs)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


def _current(names: set[str]) -> set[str]:
    return {gz.province_to_current(n) for n in names}


def _ministry_current(names: set[str]) -> set[str]:
    return {gz.ministry_to_current(n) for n in names}


def _ner_baseline(rows: list[dict]) -> tuple[list[set], list[set]] | str:
    """underthesea NER: LOC entities → provinces, ORG entities → ministries (gazetteer match)."""
    try:
        from underthesea import ner
    except Exception as exc:  # pragma: no cover - depends on the installation
        return f"underthesea unavailable: {exc}"
    prov, mini = [], []
    try:
        for r in rows:
            ents: list[tuple[str, str]] = []
            for para in r["text"].split("\n"):
                if not para.strip():
                    continue
                cur, typ = [], None
                for tok in ner(para[:3000]):
                    word, tag = tok[0], tok[-1]
                    if tag.startswith("B-") or (tag.startswith("I-") and typ != tag[2:]):
                        if cur:
                            ents.append((typ, " ".join(cur)))
                        cur, typ = [word], tag[2:]
                    elif tag.startswith("I-"):
                        cur.append(word)
                    else:
                        if cur:
                            ents.append((typ, " ".join(cur)))
                        cur, typ = [], None
                if cur:
                    ents.append((typ, " ".join(cur)))
            prov.append({p for t, e in ents if t == "LOC" for p in [gz.canonical_province(e)] if p})
            mini.append({m for t, e in ents if t == "ORG" for m in [gz.canonical_ministry(e)] if m})
    except Exception as exc:  # the model files could not be loaded (offline, no cache)
        return f"underthesea NER failed: {exc}"
    return prov, mini


def evaluate_localities(records: list[dict], folds: int = 5, *, ner: bool = True) -> str:
    """Printable comparison table (see module docstring)."""
    rows = _prepare(records)
    gp = [r["gold_p"] for r in rows]
    gm = [r["gold_m"] for r in rows]
    ours_p = _cv_predictions(rows, "p", folds)
    ours_m = _cv_predictions(rows, "m", folds)
    methods: list[tuple[str, list[set], list[set]]] = [
        (f"role model ({folds}-fold CV)", ours_p, ours_m),
        ("baseline 1: every gazetteer match", [r["all_p"] for r in rows], [r["all_m"] for r in rows]),
    ]
    ner_note = ""
    if ner:
        res = _ner_baseline(rows)
        if isinstance(res, str):
            ner_note = res
        else:
            methods.append(("baseline 2: underthesea NER + gazetteer", res[0], res[1]))
    else:
        ner_note = "baseline 2 (underthesea NER) skipped (--no-ner)"
    lines = [
        f"Localities and ministries — {len(records)} articles, "
        f"{sum(map(len, gp))} province labels, {sum(map(len, gm))} ministry labels",
        f"{'method':<42} {'prov P':>7} {'prov R':>7} {'prov F1':>8} {'cur F1':>7} {'min P':>7} {'min R':>7} {'min F1':>7}",
    ]
    for name, pp, pm in methods:
        p, r, f = _prf(list(zip(pp, gp)))
        _, _, fc = _prf([(_current(a), _current(b)) for a, b in zip(pp, gp)])
        mp, mr, mf = _prf([(_ministry_current(a) if False else a, b) for a, b in zip(pm, gm)])
        lines.append(f"{name:<42} {p:7.3f} {r:7.3f} {f:8.3f} {fc:7.3f} {mp:7.3f} {mr:7.3f} {mf:7.3f}")
    lines.append("prov = names as labeled (as at the article's date); cur = both sides mapped to the 34-province division; "
                 "micro-averaged over articles.")
    if ner_note:
        lines.append("note: " + ner_note)
    return "\n".join(lines)


# --------------------------------------------------------------------------- training
def train_and_save(records: list[dict], out_dir: Path | None = None, folds: int = 5) -> list[Path]:
    """Fit both role models on all records and write them with metadata and CV scores."""
    out_dir = out_dir or loc.MODELS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = _prepare(records)
    written = []
    for kind, feats, fname in (("p", loc.FEATURES, "localities_role.json"), ("m", mins.MFEATURES, "ministries_role.json")):
        X, y = _xy(rows, kind)
        model = fit_role_model(X, y, feats)
        preds = _cv_predictions(rows, kind, folds)
        gold = [r["gold_" + kind] for r in rows]
        p, r_, f = _prf(list(zip(preds, gold)))
        model["metadata"] = {
            "what": "province role (subject vs passing)" if kind == "p" else "ministry role (subject vs passing)",
            "estimator": f"StandardScaler + LogisticRegression(C={C}, l2, lbfgs)",
            "trained_on": f"{len(records)} labeled articles, {len(y)} candidates ({sum(y)} positive)",
            "cv": {"folds": folds, "precision": round(p, 4), "recall": round(r_, 4), "micro_f1": round(f, 4)},
            "trained": _dt.date.today().isoformat(),
            "gazetteer": gz.data_source(),
        }
        path = out_dir / fname
        path.write_text(json.dumps(model, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        written.append(path)
    loc._load_model.cache_clear()  # one cache, shared by both (classifier.role_model)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m classifier.localities_eval",
                                 description="Evaluate (or --train) the province/ministry role models.")
    ap.add_argument("corpus", help="corpus directory holding articles.jsonl (or the file)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--no-ner", action="store_true", help="skip the underthesea NER baseline")
    ap.add_argument("--train", action="store_true", help="refit and write the role models")
    args = ap.parse_args(argv)
    if args.folds < 2:
        ap.error("--folds must be at least 2")
    try:
        records = load_records(args.corpus)
    except (FileNotFoundError, ValueError) as exc:
        ap.error(str(exc))
    if args.train:
        for p in train_and_save(records, folds=args.folds):
            print(f"wrote {p}")
    print(evaluate_localities(records, folds=args.folds, ner=not args.no_ner))
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    sys.exit(main())
