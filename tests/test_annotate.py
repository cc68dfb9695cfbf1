"""`reformwatch annotate` on SQLite and PostgreSQL: all annotated, idempotent, new version re-annotates, reviews kept."""
from __future__ import annotations

import json
import shutil

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from classifier.pipeline import MODEL_DIR
from reformwatch.cli import main
from reformwatch.commands.annotate import Summary, annotate_pending, work_claimed

ARTICLES = [
    ("Tỉnh rút ngắn thời gian giải quyết thủ tục hành chính",
     "Tỉnh rút ngắn thời gian giải quyết thủ tục hành chính\nBộ phận một cửa tiếp nhận hồ sơ trực tuyến, "
     "tỷ lệ hồ sơ đúng hạn đạt 99%. Cải cách hành chính được đẩy mạnh."),
    ("Đội tuyển bóng đá thắng trận giao hữu", "Đội tuyển bóng đá thắng 2-1 trong trận giao hữu tối qua."),
    ("Sắp xếp tinh gọn bộ máy các sở", "Tỉnh sắp xếp, tinh gọn bộ máy, giảm 5 sở và tinh giản biên chế công chức."),
    ("Giá vàng hôm nay tăng nhẹ", "Giá vàng trong nước tăng nhẹ theo thị trường thế giới."),
    ("Chỉ có tiêu đề về dịch vụ công trực tuyến", ""),
]


def seed(url: str) -> list[int]:
    from storage.db import get_engine
    from storage.models import Article

    with Session(get_engine(url)) as s:
        arts = [Article(url=f"https://baomau.vn/{i}", canonical_url=f"https://baomau.vn/{i}", title=t, text=x)
                for i, (t, x) in enumerate(ARTICLES)]
        s.add_all(arts)
        s.commit()
        return [a.id for a in arts]


def versions(url: str) -> dict[int, str]:
    from storage.db import get_engine
    from storage.models import Article

    with Session(get_engine(url)) as s:
        return dict(s.execute(select(Article.id, Article.annotated_version)).all())


def model_copy(tmp_path, version: str):
    d = tmp_path / version
    shutil.copytree(MODEL_DIR, d)
    meta = json.loads((d / "metadata.json").read_text())
    meta["model_version"] = version
    (d / "metadata.json").write_text(json.dumps(meta))
    return str(d)


def test_annotate_idempotent_new_version_and_reviews(db_url, tmp_path):
    from storage.db import get_engine
    from storage.labels import apply_review
    from storage.models import Annotation, Article

    ids = seed(db_url)
    current = json.loads((MODEL_DIR / "metadata.json").read_text())["model_version"]
    summary = Summary()
    assert annotate_pending(db_url, workers=1, progress=False, summary=summary) == len(ids)
    assert set(versions(db_url).values()) == {current}
    assert summary.relevant >= 2 and "Đã gán nhãn 5/5" in summary.text()
    with Session(get_engine(db_url)) as s:
        first = s.get(Article, ids[0])
        assert first.relevant is True and first.relevance_score > 0.5
        ann = s.scalar(select(Annotation).where(Annotation.article_id == ids[0]))
        assert ann.model_version == current and ann.explanations["relevant"]
        assert s.get(Article, ids[1]).relevant is False
        # a reviewer corrects article 2 (football) to relevant/positive
        apply_review(s, s.get(Article, ids[1]), reviewer="tester",
                     labels={"relevant": True, "themes": ["procedures"], "sentiment": "positive"})
        s.commit()

    # re-run: nothing new
    again = Summary()
    assert annotate_pending(db_url, workers=1, progress=False, summary=again) == 0
    assert again.pending == 0 and "Không có bài nào" in again.text()

    # a new model version re-annotates everything, but keeps the reviewed labels
    newdir = model_copy(tmp_path, "clf-test-v2")
    assert annotate_pending(db_url, workers=1, progress=False, model_dir=newdir) == len(ids)
    assert set(versions(db_url).values()) == {"clf-test-v2"}
    with Session(get_engine(db_url)) as s:
        reviewed = s.get(Article, ids[1])
        assert reviewed.relevant is True and reviewed.sentiment == "positive" and reviewed.themes == ["procedures"]
        n = s.scalar(select(func.count()).select_from(Annotation).where(Annotation.article_id == ids[1]))
        assert n == 2  # both versions' annotations kept


def test_worker_mode_claims_until_nothing_pending(db_url, tmp_path):
    ids = seed(db_url)
    summary = Summary()
    assert work_claimed(db_url, batch_size=2, progress=False, summary=summary) == len(ids)
    assert summary.pending == len(ids)
    assert len(set(versions(db_url).values())) == 1 and None not in versions(db_url).values()
    assert work_claimed(db_url, batch_size=2, progress=False) == 0


def test_cli_with_two_workers(sqlite_url, capsys):
    seed(sqlite_url)
    assert main(["annotate", "--db", sqlite_url, "--workers", "2", "--batch-size", "2", "--no-progress"]) == 0
    assert "Đã gán nhãn 5/5" in capsys.readouterr().out
    assert main(["annotate", "--db", sqlite_url, "--no-progress"]) == 0
    assert "Không có bài nào" in capsys.readouterr().out
    assert main(["annotate", "--db", sqlite_url, "--batch-size", "0"]) == 2


def test_train_from_reviewed_labels(sqlite_url, tmp_path, monkeypatch, capsys):
    """Reviewers' labels are training data: without a corpus they are used alone (when enough)."""
    from pathlib import Path

    from classifier.pipeline import Classifier
    from storage.db import get_engine
    from storage.labels import apply_review
    from storage.models import Article

    monkeypatch.delenv("REFORMWATCH_CORPUS", raising=False)
    out = tmp_path / "model"
    # no corpus, no reviews: a usage error, not a traceback
    assert main(["train", "--db", sqlite_url, "--output", str(out), "--folds", "0"]) == 2
    assert "no corpus given" in capsys.readouterr().err

    demo = json.loads((Path(__file__).resolve().parents[1] / "crawler/demo/data/articles.json").read_text())
    with Session(get_engine(sqlite_url)) as s:
        for i, d in enumerate(demo):
            a = Article(url=f"https://demo.vn/{i}", canonical_url=f"https://demo.vn/{i}", title=d["title"],
                        text="\n".join([d["title"], d.get("lead", "")] + d["paragraphs"]))
            s.add(a)
            s.flush()
            apply_review(s, a, reviewer="tester", labels={"relevant": d["relevant"], "themes": d.get("themes") or [],
                                                          "sentiment": d["sentiment"]})
        s.commit()
    assert main(["train", "--db", sqlite_url, "--output", str(out), "--folds", "0"]) == 0
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["sizes"]["from_reviews"] == len(demo) and meta["sizes"]["from_corpus"] == 0
    clf = Classifier.load(out, localities=False)
    assert clf.version == meta["model_version"] != json.loads((MODEL_DIR / "metadata.json").read_text())["model_version"]
    rec = clf.classify([{"id": 1, "text": demo[0]["title"] + "\n" + demo[0]["lead"]}])[0]
    assert rec["relevant"] == demo[0]["relevant"]


def _claiming_worker(url, queue):
    queue.put(work_claimed(url, batch_size=1, progress=False))


def test_concurrent_workers_share_the_work_on_postgresql(pg_url):
    """Two worker processes with FOR UPDATE SKIP LOCKED: every article annotated exactly once."""
    import multiprocessing as mp

    from storage.db import get_engine
    from storage.models import Annotation

    with Session(get_engine(pg_url)) as s:
        from storage.models import Article

        s.add_all([Article(url=f"https://baomau.vn/c{i}", canonical_url=f"https://baomau.vn/c{i}",
                           title=f"Cải cách thủ tục hành chính số {i}",
                           text=f"Cải cách thủ tục hành chính số {i}\nTỉnh giải quyết hồ sơ đúng hạn tại bộ phận một cửa.")
                   for i in range(12)])
        s.commit()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_claiming_worker, args=(pg_url, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    counts = [queue.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert sum(counts) == 12
    with Session(get_engine(pg_url)) as s:
        per_article = s.execute(select(Annotation.article_id, func.count()).group_by(Annotation.article_id)).all()
    assert len(per_article) == 12 and all(n == 1 for _, n in per_article)
    assert None not in versions(pg_url).values()
