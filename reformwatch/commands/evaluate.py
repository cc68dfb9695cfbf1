"""``reformwatch evaluate --corpus DIR [--folds 5]``: cross-validated figures, models vs keyword baseline."""
from __future__ import annotations

import os
import sys

from reformwatch.cli import UsageError


def register(sub) -> None:
    p = sub.add_parser(
        "evaluate",
        help="k-fold cross-validation of the classifier and of the keyword baseline, side by side",
        description="Đánh giá chéo k phần mô hình phân loại và phương pháp từ khóa trên kho bài có nhãn.",
    )
    p.add_argument("--corpus", metavar="DIR", default=None,
                   help="labeled corpus directory or articles.jsonl (default: $REFORMWATCH_CORPUS)")
    p.add_argument("--folds", type=int, default=5, help="number of folds (default 5)")
    p.add_argument("--no-localities", action="store_true", help="skip the provinces/ministries report")
    p.set_defaults(func=run, _parser=p)


def run(args) -> int:
    from tqdm import tqdm

    from classifier.corpus import CORPUS_ENV, CorpusError, load_corpus
    from classifier.evaluation import baseline_predict, cross_val_predict, format_report, prepare_examples, score
    from classifier.models import Settings

    corpus_dir = args.corpus or os.environ.get(CORPUS_ENV)
    if not corpus_dir:
        raise UsageError(f"--corpus is required (or set ${CORPUS_ENV})")
    if args.folds < 2:
        raise UsageError("--folds must be at least 2")
    try:
        examples = load_corpus(corpus_dir)
    except CorpusError as exc:
        raise UsageError(str(exc))
    if len(examples) < args.folds * 2:
        raise UsageError(f"{len(examples)} examples are too few for {args.folds} folds")
    docs = prepare_examples(examples, progress=lambda xs: tqdm(xs, desc="tách từ", unit="bài", file=sys.stderr))
    preds = cross_val_predict(examples, docs, Settings(), folds=args.folds)
    report = format_report(score(examples, preds), score(examples, baseline_predict(docs)),
                           folds=args.folds, n=len(examples))
    print(report)
    if not args.no_localities:
        print(localities_report(corpus_dir, args.folds))
    return 0


def localities_report(corpus_dir: str, folds: int) -> str:
    """The provinces/ministries report of issue 4, when its evaluator is installed."""
    import json

    from classifier.corpus import corpus_path

    try:
        from classifier.localities_eval import evaluate_localities  # type: ignore
    except ImportError:
        return "\n(Chưa có đánh giá tỉnh/bộ: classifier.localities_eval chưa được cài đặt)"
    with open(corpus_path(corpus_dir), encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    return "\n" + str(evaluate_localities(records, folds=folds))
