"""``reformwatch demo``: serve the bundled demo outlets on 127.0.0.1 and run the whole pipeline.

The same stages a real crawl runs: crawl (Scrapy, in its own process) -> store ->
annotate (classifier) -> coverage, into the demo database, then a per-source summary.
"""
from __future__ import annotations

import datetime as dt
import os
import sys
import time
from contextlib import contextmanager

from reformwatch.cli import add_db_argument


def register(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="serve the bundled demo outlets on 127.0.0.1 and run crawl -> annotate -> coverage on them",
    )
    add_db_argument(p)
    p.add_argument("--with-faults", action="store_true",
                   help="also serve the broken pages of the test site (broken feed, 404/500, slow, huge, redirect loop…)")
    p.add_argument("--port", type=int, default=8765, help="port of the demo site on 127.0.0.1 (default 8765; a free one if taken)")
    p.add_argument("--keep-serving", action="store_true", help="keep the demo site up after the run (Ctrl-C to stop)")
    p.set_defaults(func=_run, _parser=p)


def demo_db_url(explicit: str | None) -> str:
    import os

    from storage.db import data_dir, resolve_url

    if explicit or os.environ.get("REFORMWATCH_DB"):
        return resolve_url(explicit)
    return resolve_url(str(data_dir() / "demo.sqlite3"))


def _run(args) -> int:
    from crawler.demo.site import DemoSite
    from crawler.run import run_crawl

    db_url = demo_db_url(args.db)
    started = time.monotonic()
    with _start_site(DemoSite, args) as site:
        print(f"Trang demo đang phục vụ tại {site.base_url} (danh mục nguồn: {site.registry_path})")
        print(f"Cơ sở dữ liệu: {db_url}")
        summary = run_crawl(db_url=db_url, sources_path=site.registry_path,
                            settings={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "EXTRACTION_PROCESSES": 1})
        _print_crawl(summary)
        # local demo outlets share 127.0.0.1: the classifier finds their home province in this
        # registry (annotate's workers inherit the environment); restored afterwards
        with _environment(REFORMWATCH_SOURCES=str(site.registry_path)):
            annotated = _annotate(db_url)
        if annotated is not None:
            print(f"\nPhân loại: {annotated} bài được gán nhãn bởi mô hình.")
        if annotated is not None:
            _print_agreement(db_url, site.labels_by_url())
        _print_coverage(db_url)
        print(f"\nXong sau {time.monotonic() - started:.1f} giây. Xem và duyệt: reformwatch serve --db {db_url}")
        if args.keep_serving:
            print("Trang demo vẫn chạy; Ctrl-C để dừng.")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    errors = sum(s.get("errors", 0) for s in summary.get("sources", {}).values())
    stored = sum(s.get("new", 0) + s.get("updated", 0) + s.get("unchanged", 0) + s.get("duplicates", 0)
                 for s in summary.get("sources", {}).values())
    return 0 if stored or not errors else 1


@contextmanager
def _environment(**values: str):
    """Set environment variables for the block, then put back what was there."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _start_site(DemoSite, args):
    """The demo site on its usual port (so a second demo run is incremental), else on a free one."""
    site = DemoSite(port=args.port, faults=args.with_faults)
    try:
        site.start()
    except OSError:
        site = DemoSite(port=0, faults=args.with_faults)
        site.start()
    return site


def _print_crawl(summary: dict) -> None:
    cols = ("pages", "new", "updated", "unchanged", "skipped", "duplicates", "errors")
    heads = ("trang", "mới", "cập nhật", "không đổi", "bỏ qua", "trùng", "lỗi")
    print(f"\nThu thập (lượt #{summary.get('run_id')}):")
    print(f"{'nguồn':28}" + "".join(f"{h:>11}" for h in heads))
    totals = dict.fromkeys(cols, 0)
    for outlet_id, counts in sorted(summary.get("sources", {}).items()):
        print(f"{outlet_id:28}" + "".join(f"{counts.get(c, 0):>11}" for c in cols))
        for c in cols:
            totals[c] += counts.get(c, 0)
    print(f"{'TỔNG':28}" + "".join(f"{totals[c]:>11}" for c in cols))


def _annotate(db_url: str):
    try:
        from reformwatch.commands.annotate import annotate_pending
    except ImportError:
        return None
    return annotate_pending(db_url=db_url, progress=sys.stderr.isatty())


def _print_agreement(db_url: str, intended: dict) -> None:
    """How the model's labels compare with the labels each demo article was written to have."""
    from sqlalchemy import select

    from storage.db import session_scope
    from storage.models import Article

    rel_ok = sent_ok = n = 0
    tp = fp = fn = 0
    with session_scope(db_url) as session:
        for art in session.scalars(select(Article).where(Article.canonical_url.in_(list(intended)))):
            want = intended[art.canonical_url]
            n += 1
            rel_ok += bool(art.relevant) == want["relevant"]
            sent_ok += art.sentiment == want["sentiment"]
            got, exp = set(art.themes or []), set(want["themes"])
            tp, fp, fn = tp + len(got & exp), fp + len(got - exp), fn + len(exp - got)
    if not n:
        return
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    print(f"So với nhãn dự kiến của {n} bài mẫu: liên quan đúng {rel_ok / n:.0%}, "
          f"chủ đề micro-F1 {f1:.2f}, sắc thái đúng {sent_ok / n:.0%}.")


def _print_coverage(db_url: str) -> None:
    try:
        from storage.coverage import province_theme_matrix
    except ImportError:
        return
    from storage.db import session_scope

    today = dt.date(2026, 12, 31)
    with session_scope(db_url) as session:
        rows = province_theme_matrix(session, start=dt.date(2000, 1, 1), end=today, division="current")
    rows = [r for r in rows if r.get("province")]
    if not rows:
        return
    print("\nĐộ phủ tin cải cách hành chính theo tỉnh/thành (đơn vị hiện hành):")
    print(f"{'tỉnh/thành':28}{'số bài':>8}{'tích cực':>10}{'trung tính':>12}{'tiêu cực':>10}")
    for r in sorted(rows, key=lambda r: -r["articles"]):
        print(f"{r['province']:28}{r['articles']:>8}{r['positive']:>10}{r['neutral']:>12}{r['negative']:>10}")
