"""Article exports: CSV (UTF-8 with BOM, opens in Excel with Vietnamese), JSONL, and XLSX
(openpyxl write-only mode: rows stream to disk, memory stays flat for 200,000 rows).

    write_csv(session, f, path_or_file)   -> ExportResult
    write_jsonl(session, f, path_or_file) -> ExportResult
    write_xlsx(session, f, path_or_file, *, fixed_time=None, title=None, extra_columns=()) -> ExportResult

``f`` is a ``storage.queries.ArticleFilter`` (the article list's filters); articles stream
through ``storage.queries.iter_articles``. The XLSX has four sheets: the articles, coverage by
province x theme, coverage by outlet, and a summary (filters, counts by theme, tone and
outlet kind). Coverage counts take relevant, non-duplicate articles only.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, Callable, Iterator, Optional, Sequence, Union

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter
from sqlalchemy.orm import Session

from exports.labels import (COUNT_HEADINGS, DIVISION_LABELS, kind_label, review_label, sentiment_label,
                            theme_label, vn_date)
from exports.records import (ARTICLE_COLUMNS, DATE_COLUMN, NO_PROVINCE, OUTLET_KINDS, SENTIMENTS, Tally,
                             machine_record)

PathOrFile = Union[str, os.PathLike, IO[bytes]]
SHEET_ARTICLES = "Bài viết"
SHEET_PROVINCE_THEME = "Tỉnh × chủ đề"
SHEET_OUTLETS = "Cơ quan báo chí"
SHEET_SUMMARY = "Tổng hợp"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
EPOCH = dt.datetime(1980, 1, 1)  # earliest time a ZIP entry can carry


@dataclass
class ExportResult:
    rows: int  # articles written
    coverage: int  # of which relevant, non-duplicate
    tally: Tally

    @property
    def empty(self) -> bool:
        return self.rows == 0


def _iter(session: Session, f) -> Iterator[Any]:
    from exports.records import stream_articles

    yield from stream_articles(session, f, batch=1000)


@contextmanager
def _binary(target: PathOrFile):
    if hasattr(target, "write"):
        yield target
    else:
        with open(target, "wb") as fh:
            yield fh


def describe_filter(f) -> list[tuple[str, str]]:
    """The filter as (Vietnamese label, value) pairs, for summaries and index pages."""
    out: list[tuple[str, str]] = []
    if f.date_from or f.date_to:
        out.append(("Thời gian", f"{vn_date(f.date_from) or '…'} – {vn_date(f.date_to) or '…'}"))
    if f.province:
        out.append(("Tỉnh/thành", f.province))
    if f.province or getattr(f, "division", "current") != "current":
        out.append(("Địa giới", DIVISION_LABELS.get(f.division, f.division)))
    if f.ministry:
        out.append(("Bộ, ngành", f.ministry))
    if f.theme:
        out.append(("Chủ đề", theme_label(f.theme)))
    if f.sentiment:
        out.append(("Sắc thái", sentiment_label(f.sentiment)))
    if f.outlet_kind:
        out.append(("Loại báo", kind_label(f.outlet_kind)))
    if f.outlet_id:
        out.append(("Cơ quan báo chí", f.outlet_id))
    if f.relevant is not None:
        out.append(("Liên quan CCHC", "Có" if f.relevant else "Không"))
    if f.review_status:
        out.append(("Trạng thái duyệt", review_label(f.review_status)))
    if f.reviewed_only:
        out.append(("Chỉ bài đã duyệt", "Có"))
    if f.q:
        out.append(("Từ khóa", f.q))
    return out


def suggested_filename(f, fmt: str) -> str:
    """A download name for an export of filter ``f``: ``bai-viet-cchc_2025-01-01_2025-12-31_ha-noi.xlsx``."""
    import re

    from storage.search import fold

    parts = ["bai-viet-cchc"]
    if f.date_from or f.date_to:
        parts.append(f"{f.date_from or ''}_{f.date_to or ''}".strip("_"))
    for value in (f.province, f.ministry, f.theme, f.sentiment, f.outlet_kind):
        if value:
            parts.append(re.sub(r"[^a-z0-9]+", "-", fold(value)).strip("-"))
    return "_".join(p for p in parts if p) + f".{fmt}"


# --------------------------------------------------------------------------- CSV / JSONL
def write_csv(session: Session, f, target: PathOrFile) -> ExportResult:
    """CSV in UTF-8 with a BOM (Excel then reads Vietnamese correctly); dates ``YYYY-MM-DD HH:MM``."""
    tally = Tally(division=f.division)
    with _binary(target) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="", write_through=False)
        try:
            writer = csv.writer(text)
            writer.writerow([h for h, _w, _g in ARTICLE_COLUMNS])
            for article in _iter(session, f):
                row = []
                for _h, _w, get in ARTICLE_COLUMNS:
                    v = get(article, f.division)
                    row.append(v.strftime("%Y-%m-%d %H:%M") if isinstance(v, dt.datetime) else ("" if v is None else v))
                writer.writerow(row)
                tally.add(article)
            text.flush()
        finally:
            text.detach()
    return ExportResult(tally.rows, tally.coverage, tally)


def write_jsonl(session: Session, f, target: PathOrFile) -> ExportResult:
    """One JSON object per line (stored codes, ISO datetimes with +07:00)."""
    tally = Tally(division=f.division)
    with _binary(target) as raw:
        for article in _iter(session, f):
            raw.write(json.dumps(machine_record(article, f.division), ensure_ascii=False).encode("utf-8") + b"\n")
            tally.add(article)
    return ExportResult(tally.rows, tally.coverage, tally)


# --------------------------------------------------------------------------- XLSX
def _header(ws, headings: Sequence[str]) -> list:
    cells = []
    for h in headings:
        c = WriteOnlyCell(ws, value=h)
        c.font = Font(bold=True)
        c.alignment = Alignment(vertical="center", wrap_text=True)
        cells.append(c)
    return cells


def _table_sheet(wb: Workbook, title: str, headings: Sequence[str], widths: Sequence[float],
                 rows: Sequence[Sequence[Any]]) -> None:
    ws = wb.create_sheet(title)
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    ws.append(_header(ws, headings))
    for row in rows:
        ws.append(list(row))
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headings))}{len(rows) + 1}"


def _count_cols(include_kinds: bool = True) -> list[str]:
    return ["articles", *SENTIMENTS] + (list(OUTLET_KINDS) if include_kinds else [])


def write_xlsx(
    session: Session,
    f,
    target: PathOrFile,
    *,
    fixed_time: Optional[dt.datetime] = None,
    title: Optional[str] = None,
    extra_columns: Sequence[tuple[str, float, Callable[[Any], Any]]] = (),
    articles: Optional[Any] = None,
) -> ExportResult:
    """Stream the articles matching ``f`` into an XLSX workbook at ``target``.

    ``fixed_time`` (naive UTC or aware) makes the file byte-reproducible: it becomes the
    workbook's created/modified properties and every ZIP entry's timestamp, and replaces the
    export time in the summary. ``extra_columns`` appends (heading, width, getter(article))
    columns to the article sheet. ``articles`` replaces the query (an iterable of Article).
    """
    wb = Workbook(write_only=True)
    stamp = _naive_utc(fixed_time) if fixed_time else dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "ReformWatch"
    wb.properties.title = title or "Danh sách bài viết về cải cách hành chính"
    wb.properties.language = "vi-VN"

    ws = wb.create_sheet(SHEET_ARTICLES)
    columns = list(ARTICLE_COLUMNS) + [(h, w, (lambda g: (lambda a, d: g(a)))(g)) for h, w, g in extra_columns]
    for i, (_h, width, _g) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.append(_header(ws, [h for h, _w, _g in columns]))
    date_idx = [i for i, (h, _w, _g) in enumerate(columns) if h == DATE_COLUMN][0]
    tally = Tally(division=f.division)
    source = articles if articles is not None else _iter(session, f)
    for article in source:
        row: list[Any] = [get(article, f.division) for _h, _w, get in columns]
        if row[date_idx] is not None:
            cell = WriteOnlyCell(ws, value=row[date_idx])
            cell.number_format = DATETIME_FORMAT
            row[date_idx] = cell
        ws.append(row)
        tally.add(article)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{tally.rows + 1}"

    count_cols = _count_cols()
    pt_rows = []
    for (province, theme), cell in sorted(tally.by_province_theme.items(), key=lambda kv: (_sort_key(kv[0][0]), kv[0][1])):
        pt_rows.append([province or NO_PROVINCE, theme_label(theme)] + [cell.get(k, 0) for k in count_cols])
    _table_sheet(wb, SHEET_PROVINCE_THEME, ["Tỉnh/thành", "Chủ đề"] + [COUNT_HEADINGS[k] for k in count_cols],
                 [28, 44] + [13] * len(count_cols), pt_rows)

    outlet_rows = []
    for oid, o in sorted(tally.by_outlet.items(), key=lambda kv: (-kv[1]["articles"], kv[0])):
        outlet_rows.append([o["outlet"], kind_label(o["kind"]), o["articles"]] + [o.get(s, 0) for s in SENTIMENTS])
    _table_sheet(wb, SHEET_OUTLETS, ["Cơ quan báo chí", "Loại báo", "Số bài"] + [COUNT_HEADINGS[s] for s in SENTIMENTS],
                 [34, 22, 10, 10, 10, 10], outlet_rows)

    _summary_sheet(wb, f, tally, stamp, title)
    with _binary(target) as raw:
        if fixed_time is None:
            _save(wb, raw)
        else:
            buf = io.BytesIO()
            _save(wb, buf)
            raw.write(normalize_zip(buf.getvalue(), stamp))
    return ExportResult(tally.rows, tally.coverage, tally)


def _summary_sheet(wb: Workbook, f, tally: Tally, stamp: dt.datetime, title: Optional[str]) -> None:
    ws = wb.create_sheet(SHEET_SUMMARY)
    ws.column_dimensions["A"].width = 46
    ws.column_dimensions["B"].width = 40
    ws.freeze_panes = "A2"
    ws.append(_header(ws, ["Mục", "Giá trị"]))
    rows: list[list[Any]] = [[title or "Danh sách bài viết về cải cách hành chính", ""]]
    for label, value in describe_filter(f):
        rows.append([f"Bộ lọc: {label}", value])
    local = stamp.replace(tzinfo=dt.timezone.utc).astimezone(dt.timezone(dt.timedelta(hours=7))).replace(tzinfo=None)
    rows.append(["Thời điểm lập", local])
    rows.append(["Số bài trong tệp", tally.rows])
    rows.append(["Số bài CCHC được tính (không tính bản trùng)", tally.coverage])
    if tally.rows == 0:
        rows.append(["Ghi chú", "Không có bài viết nào khớp bộ lọc trong kỳ này."])
    for theme, n in sorted(tally.by_theme.items(), key=lambda kv: (-kv[1], kv[0])):
        rows.append([f"Chủ đề: {theme_label(theme)}", n])
    for s in SENTIMENTS:
        rows.append([f"Sắc thái: {sentiment_label(s)}", tally.by_sentiment.get(s, 0)])
    for k in OUTLET_KINDS:
        rows.append([f"Loại báo: {kind_label(k)}", tally.by_kind.get(k, 0)])
    for r in rows:
        if isinstance(r[1], dt.datetime):
            c = WriteOnlyCell(ws, value=r[1])
            c.number_format = DATETIME_FORMAT
            r = [r[0], c]
        ws.append(r)
    ws.auto_filter.ref = f"A1:B{len(rows) + 1}"


def _save(wb: Workbook, raw: IO[bytes]) -> None:
    # Workbook.save() would stamp "modified" with the current time: write through ExcelWriter.
    archive = zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()


def _naive_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0)


def _sort_key(name: str) -> str:
    from storage.search import fold

    return fold(name) if name else "~"


def normalize_zip(data: bytes, stamp: dt.datetime) -> bytes:
    """Rewrite a ZIP with every entry's timestamp set to ``stamp`` (same entry order):
    reproducible bytes."""
    stamp = max(stamp, EPOCH)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()
