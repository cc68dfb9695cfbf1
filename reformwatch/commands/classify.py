"""``reformwatch classify --input IN.jsonl --output OUT.jsonl``: label articles given as JSON lines."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from reformwatch.cli import UsageError

BATCH = 64


def register(sub) -> None:
    p = sub.add_parser(
        "classify",
        help="classify JSONL articles (relevance, themes, sentiment, explanations)",
        description="Phân loại bài báo (JSONL): mỗi dòng có id, text và tùy chọn title, published, url. "
                    "Each output line adds relevant, relevance_score, themes, theme_scores, sentiment, "
                    "sentiment_scores and explanations.",
    )
    p.add_argument("--input", required=True, metavar="IN.jsonl", help="input JSON lines ('-' for stdin)")
    p.add_argument("--output", required=True, metavar="OUT.jsonl", help="output JSON lines ('-' for stdout)")
    p.add_argument("--model-dir", metavar="DIR", default=None,
                   help="trained model directory (default: $REFORMWATCH_MODEL_DIR, else the committed model)")
    p.set_defaults(func=run, _parser=p)


def read_records(path: str, stream, errors) -> list[dict]:
    """Valid records of a JSONL stream; a per-line 'PATH:LINE: problem' on ``errors`` for the others."""
    from classifier.pipeline import RecordError, check_record

    good = []
    for lineno, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            print(f"{path}:{lineno}: broken JSON ({exc.msg} at column {exc.colno}); line skipped", file=errors)
            continue
        try:
            check_record(obj)
        except RecordError as exc:
            print(f"{path}:{lineno}: {exc}; line skipped", file=errors)
            continue
        good.append(obj)
    return good


def run(args) -> int:
    from classifier.pipeline import Classifier, ModelError

    if args.input != "-" and not Path(args.input).is_file():
        raise UsageError(f"--input {args.input}: no such file")
    try:
        clf = Classifier.load(args.model_dir)
    except ModelError as exc:
        print(f"reformwatch classify: {exc}", file=sys.stderr)
        return 1
    if args.input == "-":
        records = read_records("<stdin>", sys.stdin, sys.stderr)
    else:
        with open(args.input, encoding="utf-8", errors="replace") as fh:
            records = read_records(args.input, fh, sys.stderr)
    if not records:
        print(f"reformwatch classify: {args.input}: không đọc được bài nào (no valid line)", file=sys.stderr)
        return 1
    out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
    n_rel = 0
    try:
        for start in range(0, len(records), BATCH):
            for rec in clf.classify(records[start:start + BATCH]):
                n_rel += bool(rec["relevant"])
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"Đã phân loại {len(records)} bài ({n_rel} liên quan CCHC), mô hình {clf.version} → {args.output}",
          file=sys.stderr)
    return 0
