"""``reformwatch train [--corpus DIR] [--db URL] [--output DIR]``: rebuild the models.

Training data: the labeled corpus (``--corpus``, else $REFORMWATCH_CORPUS) plus every
article a reviewer confirmed or corrected in the database (a reviewed article replaces a
corpus article with the same text). Without a corpus, the reviewed labels alone are used
when there are enough of them (``MIN_EXAMPLES``); otherwise it is a usage error.
"""
from __future__ import annotations

import os
import sys
import time

from reformwatch.cli import UsageError, add_db_argument

MIN_EXAMPLES = 30


def register(sub) -> None:
    p = sub.add_parser(
        "train",
        help="rebuild the classifier from the labeled corpus and reviewers' labels",
        description="Huấn luyện lại mô hình phân loại từ kho bài có nhãn và các nhãn đã được cán bộ "
                    "xác nhận/sửa trong cơ sở dữ liệu.",
    )
    p.add_argument("--corpus", metavar="DIR", default=None,
                   help="labeled corpus directory (holding articles.jsonl) or file (default: $REFORMWATCH_CORPUS)")
    add_db_argument(p)
    p.add_argument("--no-db", action="store_true", help="do not read reviewed labels from the database")
    p.add_argument("--output", metavar="DIR", default=None,
                   help="where to write model.skops and metadata.json (default: the committed model directory)")
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds for the scores in the metadata (0: skip)")
    p.set_defaults(func=run, _parser=p)


def reviewed_examples(db_url):
    """Reviewed labels from the database as training examples."""
    from classifier.corpus import example_from_labels
    from storage.db import get_engine
    from storage.labels import reviewed_labels
    from sqlalchemy.orm import Session

    out, skipped = [], 0
    with Session(get_engine(db_url)) as session:
        for article, review in reviewed_labels(session):
            try:
                out.append(example_from_labels(
                    f"db:{article.id}", article.title or "", article.text or "", review.relevant,
                    review.themes or [], review.sentiment or "neutral", source="review"))
            except ValueError as exc:
                skipped += 1
                print(f"reformwatch train: article {article.id}: {exc}; skipped", file=sys.stderr)
    return out, skipped


def run(args) -> int:
    from tqdm import tqdm

    from classifier.corpus import CORPUS_ENV, CorpusError, fingerprint, load_corpus, merge
    from classifier.evaluation import cross_val_predict, prepare_examples, score
    from classifier.models import Settings, train
    from classifier.pipeline import default_model_dir, save_model

    if args.folds and args.folds < 2 and args.folds != 0:
        raise UsageError("--folds must be 0 (no cross-validation) or at least 2")
    corpus_dir = args.corpus or os.environ.get(CORPUS_ENV)
    corpus = []
    if corpus_dir:
        try:
            corpus = load_corpus(corpus_dir)
        except CorpusError as exc:
            raise UsageError(str(exc))
    reviewed, skipped = ([], 0)
    if not args.no_db:
        reviewed, skipped = reviewed_examples(args.db)
    if not corpus and len(reviewed) < MIN_EXAMPLES:
        raise UsageError(f"no corpus given (--corpus or ${CORPUS_ENV}) and only {len(reviewed)} reviewed "
                         f"labels in the database (at least {MIN_EXAMPLES} needed to train on them alone)")
    examples = merge(corpus, reviewed)
    print(f"Dữ liệu huấn luyện: {len(examples)} bài ({len(corpus)} từ kho nhãn, {len(reviewed)} đã duyệt"
          f"{f', {skipped} bỏ qua' if skipped else ''})", file=sys.stderr)
    t0 = time.time()
    docs = prepare_examples(examples, progress=lambda xs: tqdm(xs, desc="tách từ", unit="bài", file=sys.stderr))
    settings = Settings()
    cv = {}
    if args.folds:
        print(f"Đánh giá chéo {args.folds} phần…", file=sys.stderr)
        cv = score(examples, cross_val_predict(examples, docs, settings, folds=args.folds)).summary()
        cv["folds"] = args.folds
    model = train(docs, [e.relevant for e in examples], [e.themes for e in examples],
                  [e.sentiment for e in examples], settings)
    out_dir = args.output or default_model_dir()
    sizes = {
        "examples": len(examples), "from_corpus": sum(e.source == "corpus" for e in examples),
        "from_reviews": sum(e.source == "review" for e in examples),
        "relevant": sum(e.relevant for e in examples),
        "themes": {c: sum(c in e.themes for e in examples) for c in model.theme_thresholds},
        "sentiment": {s: sum(e.sentiment == s for e in examples) for s in ("negative", "neutral", "positive")},
        "features": int(len(model.features.get_feature_names_out())),
    }
    meta = save_model(model, out_dir, fingerprint=fingerprint(examples), sizes=sizes, cv_scores=cv)
    print(f"Đã lưu mô hình {meta['model_version']} vào {out_dir} ({meta['model_file_bytes'] / 1e6:.1f} MB, "
          f"{time.time() - t0:.0f} s)", file=sys.stderr)
    if cv:
        print(f"CV: relevance F1 {cv['relevance_f1']:.3f} (FPR {cv['relevance_fpr']:.3f}), themes micro-F1 "
              f"{cv['themes_micro_f1']:.3f} (min {cv['themes_min_f1']:.3f}), sentiment macro-F1 "
              f"{cv['sentiment_macro_f1']:.3f}", file=sys.stderr)
    return 0
