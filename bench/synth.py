"""Synthetic corpus for benchmarks and load tests: outlets, articles with effective labels,
annotations, small snapshots, article versions, coverage_facts and ministry_facts.

    from bench.synth import generate
    generate("sqlite:////tmp/rw.sqlite3", 1_000_000, seed=1)

Fast bulk loading: PostgreSQL ``COPY`` through psycopg's ``cursor.copy``; SQLite
``executemany`` in large transactions. The rows mirror what ``storage.labels.refresh_facts``
would write, so coverage queries and exports read them as they would real data.

Articles are stored roughly in publication order, as a crawl stores them (95 % within two
days of their place in the sequence, 5 % back-filled at random dates). Distributions
(roughly): 30 % relevant; 1-2 provinces per article (10 % none); 1-2 themes per
relevant article; sentiment 45 % positive, 40 % neutral, 15 % negative; 6 % of articles are
near-duplicates of an earlier one (excluded from the facts); 20 % of relevant articles name a
ministry; 10 % reviewed. Articles published before 1 July 2025 name former provinces (63),
later ones current provinces (34).

Command line: ``python -m bench.synth --db URL --n 100000 [--seed 1]``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import random
import sys
import time
from pathlib import Path
from typing import Any, Optional
from zoneinfo import ZoneInfo

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from storage.coverage import THEMES, province_names, province_to_current
from storage.db import get_engine
from storage.search import fold

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = dt.timezone.utc
REFORM_DAY = dt.date(2025, 7, 1)
MODEL_VERSION = "synth-1"
CHUNK = 20_000

_FALLBACK_MINISTRIES = [  # used only when the gazetteer is not importable
    ("Bộ Nội vụ", "Bộ Nội vụ"),
    ("Bộ Tư pháp", "Bộ Tư pháp"),
    ("Văn phòng Chính phủ", "Văn phòng Chính phủ"),
    ("Bộ Tài chính", "Bộ Tài chính"),
    ("Bộ Kế hoạch và Đầu tư", "Bộ Tài chính"),
    ("Bộ Thông tin và Truyền thông", "Bộ Khoa học và Công nghệ"),
    ("Bộ Công an", "Bộ Công an"),
    ("Bộ Y tế", "Bộ Y tế"),
]

_TOPICS = {
    "institutional": "rà soát văn bản quy phạm pháp luật",
    "procedures": "cắt giảm thủ tục hành chính tại bộ phận một cửa",
    "apparatus": "sắp xếp tổ chức bộ máy tinh gọn",
    "civil_service": "tuyển dụng công chức, viên chức",
    "public_finance": "giải ngân vốn đầu tư công",
    "digital_government": "dịch vụ công trực tuyến toàn trình",
    "direction": "công bố Chỉ số cải cách hành chính PAR Index",
    "": "hoạt động của địa phương",
}
_TONES = {
    "positive": "đạt kết quả tích cực, người dân hài lòng",
    "neutral": "triển khai theo kế hoạch",
    "negative": "còn chậm, nhiều hồ sơ trễ hạn",
}


def _ministries() -> list[tuple[str, str]]:
    try:
        from classifier import gazetteer  # type: ignore

        names = list(gazetteer.ministry_names(current=False))
        to_cur = getattr(gazetteer, "ministry_to_current", lambda n: n)
        return [(n, to_cur(n)) for n in names] or _FALLBACK_MINISTRIES
    except Exception:
        return _FALLBACK_MINISTRIES


def _outlets(rng: random.Random, former: list[str]) -> list[dict[str, Any]]:
    outlets: list[dict[str, Any]] = []
    for i in range(8):
        outlets.append(dict(id=f"synth-national-{i}", name=f"Báo Quốc gia {i}", domain=f"quocgia{i}.example.vn",
                            kind="national", province=None, province_current=None))
    for i in range(6):
        outlets.append(dict(id=f"synth-specialized-{i}", name=f"Tạp chí Chuyên ngành {i}",
                            domain=f"chuyennganh{i}.example.vn", kind="specialized", province=None, province_current=None))
    for i, prov in enumerate(former):
        slug = fold(prov).replace(" ", "")
        outlets.append(dict(id=f"synth-local-{i}", name=f"Báo {prov}", domain=f"bao{slug}.example.vn", kind="local",
                            province=prov, province_current=province_to_current(prov)))
        if i % 2 == 0:
            outlets.append(dict(id=f"synth-portal-{i}", name=f"Cổng thông tin điện tử {prov}",
                                domain=f"{slug}.example.gov.vn", kind="government_portal",
                                province=prov, province_current=province_to_current(prov)))
    return outlets


def _weights(names: list[str], rng: random.Random) -> list[float]:
    # a few big provinces get much more coverage (Zipf-like)
    order = list(range(len(names)))
    rng.shuffle(order)
    return [1.0 / (1 + order[i]) ** 0.8 for i in range(len(names))]


class _Gen:
    def __init__(self, seed: int, start: dt.date, end: dt.date, first_id: int, n: int = 1):
        self.rng = random.Random(seed)
        self.former = province_names("former")
        self.current = province_names("current")
        self.to_current = {name: province_to_current(name) for name in self.former}
        self.to_current.update({name: name for name in self.current})
        self.w_former = _weights(self.former, self.rng)
        self.w_current = _weights(self.current, self.rng)
        self.outlets = _outlets(self.rng, self.former)
        self.ministries = _ministries()
        self.start = dt.datetime.combine(start, dt.time(), VN_TZ).astimezone(UTC)
        self.span = (dt.datetime.combine(end, dt.time(), VN_TZ).astimezone(UTC) - self.start).total_seconds()
        self.reform_ts = dt.datetime.combine(REFORM_DAY, dt.time(), VN_TZ).astimezone(UTC)
        self.next_id = first_id
        self.first_id = first_id
        self.n = max(n, 1)
        self.next_fact = 1
        self.next_mfact = 1
        self.relevant_ids: list[int] = []

    def article(self) -> dict[str, Any]:
        rng = self.rng
        aid = self.next_id
        self.next_id += 1
        outlet = rng.choice(self.outlets)
        # Crawls store articles roughly in publication order: the i-th article of the run is
        # published near start + i/n of the span (+- 2 days); 5 % are back-filled at random.
        if rng.random() < 0.05:
            offset = rng.random() * self.span
        else:
            offset = (aid - self.first_id + 0.5) / self.n * self.span + (rng.random() - 0.5) * 4 * 86400
        published = self.start + dt.timedelta(seconds=int(min(max(offset, 0), self.span - 1)))
        day = published.astimezone(VN_TZ).date()
        relevant = rng.random() < 0.30
        duplicate_of = None
        if self.relevant_ids and rng.random() < 0.06:
            duplicate_of = self.relevant_ids[-1 - min(len(self.relevant_ids) - 1, int(rng.random() * 50))]
            relevant = True
        r = rng.random()
        sentiment = "positive" if r < 0.45 else "neutral" if r < 0.85 else "negative"
        themes = rng.sample(THEMES, 1 if rng.random() < 0.7 else 2) if relevant else []
        if published < self.reform_ts:
            names, weights = self.former, self.w_former
        else:
            names, weights = self.current, self.w_current
        k = rng.random()
        if outlet["province"] and k < 0.7:
            home = outlet["province"] if published < self.reform_ts else outlet["province_current"]
            provinces = [home] if home in names else rng.choices(names, weights)
        elif k < 0.1:
            provinces = []
        else:
            provinces = list(dict.fromkeys(rng.choices(names, weights, k=1 if rng.random() < 0.75 else 2)))
        ministries = [rng.choice(self.ministries)] if relevant and rng.random() < 0.2 else []
        theme0 = themes[0] if themes else ""
        place = provinces[0] if provinces else "cả nước"
        title_t = f"{place}: {_TOPICS[theme0]} {_TONES[sentiment].split(',')[0]}"
        text_t = f"Theo ghi nhận tại {place}, việc {_TOPICS[theme0]} {_TONES[sentiment]}."
        title, body = f"{title_t} (tin {aid})", f"{text_t} Bài số {aid}."
        rs = rng.random()
        review = "confirmed" if rs < 0.08 else "corrected" if rs < 0.10 else "unreviewed"
        if relevant and duplicate_of is None:
            self.relevant_ids.append(aid)
            if len(self.relevant_ids) > 1000:
                del self.relevant_ids[:500]
        return dict(
            id=aid, outlet=outlet, published=published, day=day, relevant=relevant, sentiment=sentiment,
            themes=themes, provinces=provinces, provinces_current=list(dict.fromkeys(self.to_current.get(p, p) for p in provinces)),
            ministries=[m for m, _ in ministries], ministries_current=list(dict.fromkeys(c for _, c in ministries)),
            title=title, text=body, title_t=title_t, text_t=text_t, review_status=review, duplicate_of=duplicate_of,
            score=round(0.5 + rng.random() / 2 if relevant else rng.random() / 2, 4),
        )


def _utc_naive(value: dt.datetime) -> dt.datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def _sqlite_ts(value: dt.datetime) -> str:
    naive = _utc_naive(value)
    if naive.microsecond:
        return naive.isoformat(" ")
    return naive.isoformat(" ") + ".000000"  # SQLAlchemy's SQLite storage format


_memo: dict[Any, Any] = {}


def _json(value: list) -> str:
    key = tuple(value)
    hit = _memo.get(key)
    if hit is None:
        hit = _memo[key] = json.dumps(value)
    return hit


def _page(title: str, body: str) -> tuple[bytes, bytes, str, int]:
    """(gzip, html, sha256, length) of a snapshot page, memoised: pages repeat per template."""
    key = ("page", title, body)
    hit = _memo.get(key)
    if hit is None:
        html = (f"<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{title}</title></head>"
                f"<body><h1>{title}</h1><p>{body}</p></body></html>").encode("utf-8")
        hit = _memo[key] = (gzip.compress(html, compresslevel=1, mtime=0), html, hashlib.sha256(html).hexdigest(), len(html))
    return hit


def _folded(template: str, aid: int) -> str:
    key = ("fold", template)
    hit = _memo.get(key)
    if hit is None:
        hit = _memo[key] = fold(template)
    return f"{hit} {aid}"


def _rows(a: dict[str, Any], gen: _Gen, sqlite: bool) -> dict[str, list[tuple]]:
    """The rows of every table for one generated article."""
    ts = _sqlite_ts if sqlite else (lambda v: v)
    jd = json.dumps
    b = (lambda v: int(v)) if sqlite else (lambda v: v)
    o = a["outlet"]
    url = f"https://{o['domain']}/tin-{a['id']}.html"
    gz, _html, sha_html, html_len = _page(a["title_t"], a["text_t"])
    sha_text = hashlib.sha256(a["text"].encode("utf-8")).hexdigest()
    fetched = a["published"] + dt.timedelta(minutes=30)
    jd = _json
    themes_json, prov_json = jd(a["themes"]), jd(a["provinces"])
    out: dict[str, list[tuple]] = {"articles": [], "annotations": [], "snapshots": [], "article_versions": [],
                                   "coverage_facts": [], "ministry_facts": []}
    out["articles"].append((
        a["id"], o["id"], url, url, a["title"], None, ts(a["published"]), a["text"], sha_text,
        _folded(a["title_t"] + " " + a["text_t"], a["id"]), 1, ts(fetched), ts(fetched), ts(fetched),
        a["duplicate_of"], 0.93 if a["duplicate_of"] else None, MODEL_VERSION,
        b(a["relevant"]), a["score"], a["sentiment"], themes_json, prov_json,
        jd(a["provinces_current"]), jd(a["ministries"]),
        jd(a["ministries_current"]), a["review_status"],
    ))
    scores = _memo.get(("ts", themes_json))
    if scores is None:
        scores = _memo[("ts", themes_json)] = json.dumps({t: (0.8 if t in a["themes"] else 0.1) for t in THEMES})
    sscores = _memo.get(("ss", a["sentiment"]))
    if sscores is None:
        sscores = _memo[("ss", a["sentiment"])] = json.dumps({s: (0.7 if s == a["sentiment"] else 0.15)
                                                              for s in ("positive", "neutral", "negative")})
    out["annotations"].append((
        a["id"], a["id"], MODEL_VERSION, ts(fetched), b(a["relevant"]), a["score"], themes_json, scores,
        a["sentiment"], sscores, prov_json, jd(a["provinces_current"]),
        jd(a["ministries"]), jd(a["ministries_current"]), None,
    ))
    headers = json.dumps({"Content-Type": "text/html; charset=utf-8", "Content-Length": str(html_len)})
    out["snapshots"].append((a["id"], a["id"], url, url, ts(fetched), 200, headers, gz, sha_html, html_len))
    out["article_versions"].append((a["id"], a["id"], 1, a["title"], a["text"], sha_text, ts(a["published"]),
                                    ts(fetched), a["id"]))
    if a["relevant"] and a["duplicate_of"] is None:
        day = a["day"].isoformat() if sqlite else a["day"]
        for prov in a["provinces"] or [""]:
            cur = gen.to_current.get(prov, prov) if prov else ""
            own = bool(o["province"] and prov and (prov in (o["province"], o["province_current"]) or cur == o["province_current"]))
            for theme in a["themes"] or [""]:
                out["coverage_facts"].append((gen.next_fact, a["id"], day, prov, cur, theme, a["sentiment"],
                                              o["id"], o["kind"], b(own)))
                gen.next_fact += 1
        for m, mc in zip(a["ministries"], a["ministries_current"] or a["ministries"]):
            for theme in a["themes"] or [""]:
                out["ministry_facts"].append((gen.next_mfact, a["id"], day, m, mc, theme, a["sentiment"], o["kind"]))
                gen.next_mfact += 1
    return out


COLUMNS = {
    "articles": ("id", "outlet_id", "url", "canonical_url", "title", "author", "published", "text", "text_sha256",
                 "search_text", "version_count", "first_seen_at", "last_fetched_at", "updated_at",
                 "duplicate_of_id", "duplicate_similarity", "annotated_version", "relevant", "relevance_score",
                 "sentiment", "themes", "provinces", "provinces_current", "ministries", "ministries_current",
                 "review_status"),
    "annotations": ("id", "article_id", "model_version", "created_at", "relevant", "relevance_score", "themes",
                    "theme_scores", "sentiment", "sentiment_scores", "provinces", "provinces_current", "ministries",
                    "ministries_current", "explanations"),
    "snapshots": ("id", "article_id", "url", "final_url", "fetched_at", "http_status", "headers", "content_gzip",
                  "content_sha256", "content_length"),
    "article_versions": ("id", "article_id", "version", "title", "text", "text_sha256", "published", "fetched_at",
                         "snapshot_id"),
    "coverage_facts": ("id", "article_id", "day", "province", "province_current", "theme", "sentiment", "outlet_id",
                       "outlet_kind", "own_press"),
    "ministry_facts": ("id", "article_id", "day", "ministry", "ministry_current", "theme", "sentiment", "outlet_kind"),
}
ID_TABLES = tuple(COLUMNS)


def _max_ids(conn) -> dict[str, int]:
    return {t: int(conn.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {t}")).scalar()) for t in ID_TABLES}


def generate(db_url: str, n: int, *, seed: int = 1, start: dt.date = dt.date(2022, 1, 1),
             end: dt.date = dt.date(2026, 11, 27), progress: bool = False) -> None:
    """Insert ``n`` synthetic articles (and everything hanging off them) into ``db_url``.

    Appends to what is there: ids continue after the current maximum; outlets are created once.
    """
    engine = get_engine(db_url)
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        base = _max_ids(conn)
    # every table's ids advance in step with the article ids, offset by the table's own maximum
    gen = _Gen(seed, start, end, first_id=base["articles"] + 1, n=n)
    gen.next_fact = base["coverage_facts"] + 1
    gen.next_mfact = base["ministry_facts"] + 1
    offsets = {t: base[t] - base["articles"] for t in ("annotations", "snapshots", "article_versions")}

    now = dt.datetime(2026, 1, 1, tzinfo=UTC)
    outlet_rows = [(o["id"], o["name"], o["domain"], o["kind"], o["province"], o["province_current"], True, 0, 0,
                    now, now) for o in gen.outlets]
    with engine.begin() as conn:
        existing = {r[0] for r in conn.execute(text("SELECT id FROM outlets"))}
        rows = [r for r in outlet_rows if r[0] not in existing]
        if rows:
            conn.execute(
                text("INSERT INTO outlets (id, name, domain, kind, province, province_current, verified, "
                     "consecutive_failures, consecutive_empty_runs, created_at, updated_at) VALUES "
                     "(:id, :name, :domain, :kind, :province, :province_current, :verified, 0, 0, :c, :u)"),
                [dict(id=r[0], name=r[1], domain=r[2], kind=r[3], province=r[4], province_current=r[5],
                      verified=r[6], c=_sqlite_ts(now) if sqlite else now, u=_sqlite_ts(now) if sqlite else now)
                 for r in rows],
            )

    t0 = time.perf_counter()
    raw = engine.raw_connection()
    if sqlite:  # a large page cache keeps the random index inserts in memory
        raw.cursor().execute("PRAGMA cache_size=-1048576")
    else:  # rows are consistent by construction: skip per-row foreign-key triggers when allowed
        cur = raw.cursor()
        try:
            cur.execute("SET session_replication_role = replica")
            raw.commit()
        except Exception:  # not a superuser: keep the checks
            raw.rollback()
    try:
        done = 0
        while done < n:
            size = min(CHUNK, n - done)
            batch: dict[str, list[tuple]] = {t: [] for t in COLUMNS}
            for _ in range(size):
                for table, rows in _rows(gen.article(), gen, sqlite).items():
                    batch[table].extend(rows)
            for table, off in offsets.items():
                if off:
                    batch[table] = [(r[0] + off,) + r[1:] for r in batch[table]]
            if offsets["snapshots"]:
                batch["article_versions"] = [r[:-1] + (r[-1] + offsets["snapshots"],) for r in batch["article_versions"]]
            _write(raw, sqlite, batch)
            done += size
            if progress:
                rate = done / max(time.perf_counter() - t0, 1e-9)
                print(f"\r{done:,}/{n:,} articles ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)
        if progress:
            print(file=sys.stderr)
        if not sqlite:
            cur = raw.cursor()
            for table in ID_TABLES:
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
            for table in ID_TABLES + ("outlets",):
                cur.execute(f"ANALYZE {table}")
            raw.commit()
        else:
            cur = raw.cursor()
            cur.execute("ANALYZE")
            raw.commit()
    finally:
        if not sqlite:
            try:
                raw.rollback()
                raw.cursor().execute("RESET session_replication_role")
                raw.commit()
            except Exception:
                pass
        raw.close()


def _write(raw, sqlite: bool, batch: dict[str, list[tuple]]) -> None:
    cur = raw.cursor()
    if sqlite:
        for table, rows in batch.items():
            if rows:
                cols = COLUMNS[table]
                cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)
    else:
        for table, rows in batch.items():
            if rows:
                with cur.copy(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
    raw.commit()
    cur.close()


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description="Insert synthetic ReformWatch articles (benchmarks, load tests).")
    p.add_argument("--db", required=True, help="SQLAlchemy URL or SQLite path")
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    generate(args.db, args.n, seed=args.seed, progress=True)
    print(f"{args.n:,} articles in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
