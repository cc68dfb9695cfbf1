"""Coverage dashboard: province x theme matrix, SVG map, SVG timeline, gaps, negative share.

Figures come from storage.coverage (which reads coverage_facts); the drawing is plain SVG
computed here (no tile server, no chart library).
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any, Mapping, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import coverage
from storage.models import CoverageFact
from webapp import labels_vi, places
from webapp.filters import BadFilter

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
THEMES = list(labels_vi.THEMES)

# Map frame: mainland Vietnam with the Hoàng Sa and Trường Sa archipelagos, equirectangular projection.
LON_MIN, LON_MAX, LAT_MIN, LAT_MAX = 101.8, 115.0, 8.2, 23.6
MAP_W = 460
# A schematic outline of the mainland (lat, lon), clockwise from the Laos-China tripoint: only a
# backdrop for the province marks, not a boundary of record.
OUTLINE = [
    (22.40, 102.14), (22.70, 102.50), (22.45, 103.00), (22.80, 103.50), (22.60, 104.00), (22.82, 104.30),
    (23.15, 104.80), (23.39, 105.33), (23.00, 105.90), (22.85, 106.70), (22.40, 106.70), (21.95, 107.35),
    (21.55, 108.00), (21.30, 107.50), (20.90, 107.00), (20.60, 106.70), (20.00, 106.30), (19.60, 105.85),
    (18.80, 105.75), (18.10, 106.50), (17.50, 106.60), (16.80, 107.20), (16.40, 107.70), (16.05, 108.25),
    (15.40, 108.85), (14.40, 109.10), (13.10, 109.30), (12.20, 109.25), (11.60, 109.10), (11.00, 108.30),
    (10.40, 107.20), (10.30, 106.80), (9.80, 106.60), (9.30, 106.20), (8.60, 105.10), (9.00, 104.80),
    (9.90, 104.90), (10.40, 104.45), (10.90, 105.10), (11.00, 105.90), (11.60, 106.10), (12.00, 106.50),
    (12.30, 107.50), (12.90, 107.50), (13.90, 107.40), (14.70, 107.50), (15.60, 107.40), (16.20, 107.00),
    (16.60, 106.60), (17.40, 106.00), (18.20, 105.40), (18.70, 104.80), (19.30, 104.20), (19.60, 104.00),
    (20.20, 104.50), (20.50, 104.40), (20.90, 103.80), (20.80, 103.30), (21.30, 102.90), (21.70, 102.80),
    (22.10, 102.50),
]
ARCHIPELAGOS = [
    ("Quần đảo Hoàng Sa", [(16.53, 111.60), (16.83, 112.33), (16.45, 111.75), (16.97, 112.27), (16.25, 111.95)]),
    ("Quần đảo Trường Sa", [(10.38, 114.36), (8.65, 111.92), (10.20, 114.22), (11.43, 114.33), (9.90, 114.50),
                           (10.72, 114.03), (8.85, 112.60)]),
]
SCALE = MAP_W / (LON_MAX - LON_MIN)
MAP_H = round((LAT_MAX - LAT_MIN) * SCALE)
MAX_R = 24.0


def parse_params(params: Mapping[str, str]) -> dict[str, Any]:
    errors: list[str] = []
    today = dt.datetime.now(VN_TZ).date()
    values: dict[str, Any] = {"end": today, "start": today - dt.timedelta(days=364), "division": "current", "theme": None}
    for key, label in (("start", "Từ ngày"), ("end", "Đến ngày")):
        raw = (params.get(key) or "").strip()
        if raw:
            try:
                values[key] = dt.date.fromisoformat(raw)
            except ValueError:
                errors.append(f"{label}: “{raw[:40]}” không phải ngày hợp lệ (YYYY-MM-DD)")
    division = (params.get("division") or "current").strip()
    if division not in ("current", "former"):
        errors.append(f"Địa giới: “{division[:20]}” không hợp lệ (current hoặc former)")
    values["division"] = division
    theme = (params.get("theme") or "").strip() or None
    if theme and theme not in labels_vi.THEMES:
        errors.append(f"Chủ đề: “{theme[:40]}” không phải mã chủ đề")
    values["theme"] = theme
    if not errors and values["start"] > values["end"]:
        errors.append("Từ ngày phải trước hoặc bằng Đến ngày")
    if not errors and (values["end"] - values["start"]).days > 3660:
        errors.append("Khoảng thời gian tối đa 10 năm")
    if errors:
        raise BadFilter(errors)
    return values


def _project(lat: float, lon: float) -> tuple[float, float]:
    return round((lon - LON_MIN) * SCALE, 1), round((LAT_MAX - lat) * SCALE, 1)


def _shade(n: int, top: int) -> int:
    """Colour class 0..5 of a matrix cell (CSS classes; no inline styles under the CSP)."""
    if n <= 0 or top <= 0:
        return 0
    return min(5, 1 + int(4 * n / top))


def _granularity(start: dt.date, end: dt.date) -> str:
    days = (end - start).days
    return "day" if days <= 62 else "week" if days <= 200 else "month" if days <= 1100 else "quarter"


def _matrix_rows(session: Session, *, start: dt.date, end: dt.date, division: str, theme: Optional[str]):
    """Articles per (province, theme): one coverage_facts row per article x province x theme, so a
    plain count is the number of distinct articles (no COUNT DISTINCT needed)."""
    pcol = CoverageFact.province_current if division == "current" else CoverageFact.province
    stmt = (select(pcol.label("province"), CoverageFact.theme.label("theme"), func.count().label("articles"))
            .where(CoverageFact.day >= start, CoverageFact.day <= end, pcol != "")
            .group_by(pcol, CoverageFact.theme))
    if theme:
        stmt = stmt.where(CoverageFact.theme == theme)
    return [dict(r._mapping) for r in session.execute(stmt)]


def _province_totals(session: Session, *, start: dt.date, end: dt.date, division: str, theme: Optional[str]):
    """Distinct articles per province, and the negative ones (an article with two themes counts once)."""
    pcol = CoverageFact.province_current if division == "current" else CoverageFact.province
    pairs = (select(pcol.label("province"), CoverageFact.article_id, CoverageFact.sentiment)
             .where(CoverageFact.day >= start, CoverageFact.day <= end, pcol != "")
             .distinct())
    if theme:
        pairs = pairs.where(CoverageFact.theme == theme)
    pairs = pairs.subquery()
    stmt = (select(pairs.c.province, func.count().label("articles"),
                   func.count().filter(pairs.c.sentiment == "negative").label("negative"))
            .group_by(pairs.c.province))
    return [dict(r._mapping) for r in session.execute(stmt)]


def build(session: Session, *, start: dt.date, end: dt.date, division: str, theme: Optional[str]) -> dict[str, Any]:
    # The matrix and the per-province totals read coverage_facts with lean aggregates: the
    # general-purpose storage.coverage.province_theme_matrix computes nine COUNT(DISTINCT)
    # per group (sentiments, outlet kinds, own press) that this page does not show, and
    # takes ~3x longer on a million articles (see docs/webapp.md).
    matrix_rows = _matrix_rows(session, start=start, end=end, division=division, theme=theme)
    totals_rows = _province_totals(session, start=start, end=end, division=division, theme=theme)
    names = places.province_names(division)
    cells: dict[tuple[str, str], int] = {}
    for r in matrix_rows:
        cells[(r["province"] or "", r.get("theme") or "")] = int(r["articles"])
    totals: dict[str, dict[str, int]] = {}
    for r in totals_rows:
        totals[r["province"] or ""] = {k: int(r.get(k) or 0) for k in ("articles", "negative")}
    extra = sorted({p for p, _ in cells if p and p not in names} | {p for p in totals if p and p not in names})
    provinces = names + extra
    top_cell = max(cells.values(), default=0)
    themes = [theme] if theme else THEMES
    matrix = []
    for p in sorted(provinces, key=lambda p: -totals.get(p, {}).get("articles", 0)):
        row = [(cells.get((p, t), 0), _shade(cells.get((p, t), 0), top_cell)) for t in themes]
        matrix.append({"province": p, "cells": row, "total": totals.get(p, {}).get("articles", 0)})

    coords = places.province_coordinates(division)
    top = max((t["articles"] for p, t in totals.items() if p), default=0)
    circles = []
    for name in names:
        if name not in coords:
            continue
        x, y = _project(*coords[name])
        n = totals.get(name, {}).get("articles", 0)
        neg = totals.get(name, {}).get("negative", 0)
        r = MAX_R * math.sqrt(n / top) if top and n else 0
        circles.append({"name": name, "x": x, "y": y, "r": round(max(r, 3.0), 1), "n": n,
                        "covered": n > 0, "negative_share": (neg / n) if n else 0.0})
    circles.sort(key=lambda c: -c["r"])  # small circles drawn last, on top

    outline = " ".join(f"{x},{y}" for x, y in (_project(lat, lon) for lat, lon in OUTLINE))
    islands = []
    for label, points in ARCHIPELAGOS:
        dots = [_project(lat, lon) for lat, lon in points]
        lx = min(x for x, _ in dots)
        ly = min(y for _, y in dots) - 6
        islands.append({"label": label, "dots": dots, "x": lx, "y": ly})

    granularity = _granularity(start, end)
    series = coverage.timeline(session, start=start, end=end, granularity=granularity, division=division, theme=theme)
    bar_top = max((int(s["articles"]) for s in series), default=0)
    chart_h, bar_w = 160, max(4, min(40, 760 // max(1, len(series))))
    bars = []
    for i, s in enumerate(series):
        x = i * bar_w
        y = chart_h
        parts = []
        for key in ("negative", "neutral", "positive"):
            h = round(chart_h * int(s.get(key) or 0) / bar_top, 1) if bar_top else 0
            y -= h
            parts.append({"key": key, "y": round(y, 1), "h": h})
        bars.append({"x": x, "w": bar_w - 1, "parts": parts, "period": str(s["period"]), "n": int(s["articles"]),
                     "label_every": max(1, len(series) // 12)})
    uncovered = [name for name in names if not totals.get(name, {}).get("articles")]
    # every article has one day, so the timeline's per-period counts add up to distinct articles
    all_articles = sum(int(s["articles"]) for s in series)
    negative = (sum(int(s["negative"]) for s in series) / all_articles) if all_articles else 0.0
    return {
        "start": start, "end": end, "division": division, "theme": theme, "themes": themes,
        "matrix": matrix, "circles": circles, "outline": outline, "islands": islands, "map_w": MAP_W, "map_h": MAP_H,
        "bars": bars, "chart_h": chart_h, "chart_w": max(1, len(series)) * bar_w, "granularity": granularity,
        "uncovered": uncovered, "negative_share": negative,
        "total_articles": sum(b["n"] for b in bars),
    }
