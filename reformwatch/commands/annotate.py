"""``reformwatch annotate [--db URL] [--batch-size N] [--workers N] [--worker]``.

Classifies every stored article whose ``annotated_version`` is not the current model's
(never annotated, or by an older model), in batches, with worker processes (all cores by
default): workers classify, this process writes each result with
``storage.labels.apply_annotation`` (which keeps reviewed labels). Re-running does
nothing new; a new model version re-annotates everything. Duplicates are annotated too
(cheap; coverage ignores them anyway).

``--worker`` is the mode for several machines sharing one PostgreSQL database: each
worker claims a batch of pending articles with ``SELECT … FOR UPDATE SKIP LOCKED``,
classifies and writes it in the same transaction, and exits when nothing is pending (on
SQLite, where there is one writer, a claim is a ``BEGIN IMMEDIATE`` transaction).
"""
from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Optional

from reformwatch.cli import UsageError, add_db_argument

DEFAULT_BATCH = 64


def register(sub) -> None:
    p = sub.add_parser(
        "annotate",
        help="classify stored articles not yet annotated by the current model version",
        description="Gán nhãn (liên quan CCHC, lĩnh vực, sắc thái) cho các bài trong cơ sở dữ liệu chưa được "
                    "mô hình hiện hành gán nhãn.",
    )
    add_db_argument(p)
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH, metavar="N", help=f"articles per batch (default {DEFAULT_BATCH})")
    p.add_argument("--workers", type=int, default=None, metavar="N", help="worker processes (default: all cores)")
    p.add_argument("--worker", action="store_true",
                   help="claim batches with SELECT … FOR UPDATE SKIP LOCKED (several machines on one PostgreSQL); exit when none is pending")
    p.add_argument("--model-dir", metavar="DIR", default=None, help="trained model directory (default: the committed model)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run, _parser=p)


@dataclass
class Summary:
    model_version: str = ""
    pending: int = 0
    annotated: int = 0
    relevant: int = 0
    kept_reviewed: int = 0
    skipped: list = field(default_factory=list)  # (article id, reason)
    seconds: float = 0.0

    def text(self) -> str:
        if not self.pending:
            return f"Không có bài nào cần gán nhãn (mô hình {self.model_version})."
        s = (f"Đã gán nhãn {self.annotated}/{self.pending} bài bằng mô hình {self.model_version}: "
             f"{self.relevant} liên quan CCHC; {self.kept_reviewed} bài đã duyệt giữ nguyên nhãn của cán bộ; "
             f"{self.seconds:.1f} giây")
        if self.skipped:
            s += f"; {len(self.skipped)} bài bỏ qua (không có nội dung): " + ", ".join(str(i) for i, _ in self.skipped[:10])
        return s


# ---- worker side ---------------------------------------------------------------------------
_CLASSIFIER = None


def _init_worker(model_dir: Optional[str]) -> None:
    global _CLASSIFIER
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from classifier.pipeline import Classifier

    _CLASSIFIER = Classifier.load(model_dir)


def _classify_batch(items: list[dict]) -> list[tuple[int, Optional[dict], Optional[str]]]:
    """[(article id, classify record or None, error or None)] for one batch."""
    from classifier.pipeline import RecordError

    good, out = [], []
    for it in items:
        if not (it.get("text") or "").strip():
            if (it.get("title") or "").strip():
                it = dict(it, text=it["title"])  # title-only page: classify the title
            else:
                out.append((it["id"], None, "empty title and text"))
                continue
        good.append(it)
    try:
        records = _CLASSIFIER.classify(good) if good else []
        out.extend((r["id"], r, None) for r in records)
    except RecordError as exc:  # pragma: no cover - items are checked above
        out.extend((it["id"], None, str(exc)) for it in good)
    return out


# ---- parent side ---------------------------------------------------------------------------
def _item(article) -> dict:
    return {
        "id": article.id, "title": article.title or "", "text": article.text or "", "url": article.url,
        "published": article.published.isoformat() if article.published else None,
    }


def _pending_query(version: str):
    from sqlalchemy import or_, select

    from storage.models import Article

    return select(Article.id).where(or_(Article.annotated_version.is_(None), Article.annotated_version != version))


def _write(session, results, version: str, summary: Summary) -> None:
    from storage.labels import apply_annotation
    from storage.models import Article

    for article_id, record, error in results:
        article = session.get(Article, article_id)
        if article is None:
            continue
        if record is None:
            summary.skipped.append((article_id, error))
            continue
        record = {k: v for k, v in record.items() if k not in ("id", "title", "text", "url", "published")}
        apply_annotation(session, article, record, version)
        summary.annotated += 1
        summary.relevant += bool(record["relevant"])
        summary.kept_reviewed += article.review_status != "unreviewed"


def _model_version(model_dir: Optional[str]) -> str:
    from classifier.pipeline import load_model

    return load_model(model_dir)[1]["model_version"]


def annotate_pending(db_url: Optional[str] = None, *, batch_size: int = DEFAULT_BATCH, workers: Optional[int] = None,
                     progress: bool = True, model_dir: Optional[str] = None, summary: Optional[Summary] = None) -> int:
    """Annotate every article pending for the current model; returns how many were annotated."""
    from sqlalchemy.orm import Session
    from tqdm import tqdm

    from storage.db import get_engine
    from storage.models import Article

    t0 = time.time()
    summary = summary if summary is not None else Summary()
    version = _model_version(model_dir)
    summary.model_version = version
    engine = get_engine(db_url)
    with Session(engine) as session:
        ids = list(session.scalars(_pending_query(version).order_by(Article.id)))
    summary.pending = len(ids)
    if not ids:
        return 0
    workers = max(1, min(workers or os.cpu_count() or 1, (len(ids) + batch_size - 1) // batch_size))
    batches = [ids[i:i + batch_size] for i in range(0, len(ids), batch_size)]
    bar = tqdm(total=len(ids), desc="gán nhãn", unit="bài", file=sys.stderr, disable=not progress)

    def load_items(session, batch):
        rows = session.query(Article).filter(Article.id.in_(batch)).order_by(Article.id).all()
        return [_item(a) for a in rows]

    pool = None
    try:
        if workers > 1:
            ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
            pool = ctx.Pool(workers, initializer=_init_worker, initargs=(model_dir,))
        else:
            _init_worker(model_dir)
        with Session(engine) as session:
            if pool is None:
                results_iter = (_classify_batch(load_items(session, b)) for b in batches)
            else:
                item_batches = [load_items(session, b) for b in batches]
                session.expunge_all()
                results_iter = pool.imap(_classify_batch, item_batches)
            for results in results_iter:
                _write(session, results, version, summary)
                session.commit()
                bar.update(len(results))
    finally:
        bar.close()
        if pool is not None:
            pool.close()
            pool.join()
    summary.seconds = time.time() - t0
    return summary.annotated


def work_claimed(db_url: Optional[str] = None, *, batch_size: int = DEFAULT_BATCH, model_dir: Optional[str] = None,
                 progress: bool = True, summary: Optional[Summary] = None, max_batches: Optional[int] = None) -> int:
    """Worker loop: claim a batch (FOR UPDATE SKIP LOCKED / BEGIN IMMEDIATE), classify, write, repeat."""
    from sqlalchemy.orm import Session
    from tqdm import tqdm

    from storage.db import get_engine
    from storage.models import Article

    t0 = time.time()
    summary = summary if summary is not None else Summary()
    version = _model_version(model_dir)
    summary.model_version = version
    _init_worker(model_dir)
    engine = get_engine(db_url)
    sqlite = engine.dialect.name == "sqlite"
    bar = tqdm(desc="gán nhãn (worker)", unit="bài", file=sys.stderr, disable=not progress)
    skipped_ids: set[int] = set()
    batches = 0
    try:
        while max_batches is None or batches < max_batches:
            with Session(engine) as session:
                if sqlite:  # one writer at a time: take the write lock before reading the claim
                    session.connection().exec_driver_sql("BEGIN IMMEDIATE")
                stmt = _pending_query(version).order_by(Article.id)
                if skipped_ids:
                    stmt = stmt.where(Article.id.not_in(skipped_ids))
                stmt = stmt.limit(batch_size)
                if not sqlite:
                    stmt = stmt.with_for_update(skip_locked=True)
                ids = list(session.scalars(stmt))
                if not ids:
                    session.rollback()
                    break
                rows = session.query(Article).filter(Article.id.in_(ids)).order_by(Article.id).all()
                results = _classify_batch([_item(a) for a in rows])
                before = len(summary.skipped)
                _write(session, results, version, summary)
                skipped_ids.update(i for i, _ in summary.skipped[before:])
                summary.pending += len(ids)
                session.commit()
                bar.update(len(ids))
                batches += 1
    finally:
        bar.close()
    summary.seconds = time.time() - t0
    return summary.annotated


def run(args) -> int:
    from classifier.pipeline import ModelError

    if args.batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    summary = Summary()
    try:
        if args.worker:
            work_claimed(args.db, batch_size=args.batch_size, model_dir=args.model_dir,
                         progress=not args.no_progress, summary=summary)
        else:
            annotate_pending(args.db, batch_size=args.batch_size, workers=args.workers,
                             progress=not args.no_progress, model_dir=args.model_dir, summary=summary)
    except ModelError as exc:
        print(f"reformwatch annotate: {exc}", file=sys.stderr)
        return 1
    print(summary.text())
    return 0
