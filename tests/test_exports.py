"""``reformwatch export`` and exports.spreadsheet: the files are opened and read back
(openpyxl, csv, json) on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook

from reformwatch.cli import main
from test_coverage import build_sample

SHEETS = ["Bài viết", "Tỉnh × chủ đề", "Cơ quan báo chí", "Tổng hợp"]
HEADERS = ["Mã bài", "Tiêu đề", "Cơ quan báo chí", "Loại báo", "Ngày đăng", "URL", "Chủ đề", "Sắc thái",
           "Tỉnh/thành", "Bộ, ngành", "Trạng thái duyệt"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def sample(request, tmp_path_factory):
    from conftest import module_database

    with module_database(request.param, tmp_path_factory, build_sample) as url:
        yield url


def test_xlsx_sheets_headers_counts_dates(sample, tmp_path, capsys):
    out = tmp_path / "bai-viet.xlsx"
    assert main(["export", "--output", str(out), "--from", "2025-01-01", "--to", "2025-06-30", "--db", sample]) == 0
    assert "Đã xuất 7 bài viết (6 bài CCHC" in capsys.readouterr().err
    wb = load_workbook(out)
    assert wb.sheetnames == SHEETS
    ws = wb["Bài viết"]
    header = [c.value for c in ws[1]]
    assert header[:len(HEADERS)] == HEADERS
    assert ws.max_row == 1 + 7  # 6 counted + the duplicate copy (marked), not the irrelevant one
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}8"
    rows = [dict(zip(header, (c.value for c in r))) for r in ws.iter_rows(min_row=2)]
    for r in rows:
        assert isinstance(r["Ngày đăng"], dt.datetime)
    first = {r["Tiêu đề"]: r for r in rows}
    hn = first["Hà Nội cắt giảm thủ tục"]
    assert hn["Chủ đề"] == "Cải cách thủ tục hành chính; Xây dựng, phát triển Chính phủ điện tử, Chính phủ số"
    assert hn["Sắc thái"] == "Tích cực" and hn["Loại báo"] == "Báo địa phương"
    assert hn["Ngày đăng"] == dt.datetime(2025, 2, 3, 10, 0)  # 03:00 UTC shown in Việt Nam time
    assert first["Hồ sơ trễ hạn ở Hà Nội"]["Sắc thái"] == "Tiêu cực"
    assert first["Bình Dương: công chức gây phiền hà"]["Tỉnh/thành"] == "Thành phố Hồ Chí Minh"
    assert first["Hà Nội cắt giảm thủ tục (đăng lại)"]["Bản trùng của bài"] == hn["Mã bài"]
    assert ws.column_dimensions["B"].width == 60

    pt = wb["Tỉnh × chủ đề"]
    assert [c.value for c in pt[1]][:6] == ["Tỉnh/thành", "Chủ đề", "Số bài", "Tích cực", "Trung lập", "Tiêu cực"]
    cells = {(r[0], r[1]): r[2] for r in pt.iter_rows(min_row=2, values_only=True)}
    assert cells[("Hà Nội", "Cải cách thủ tục hành chính")] == 2  # the duplicate is not counted
    assert cells[("Thành phố Hồ Chí Minh", "Cải cách chế độ công vụ")] == 1
    assert pt.freeze_panes == "A2" and pt.auto_filter.ref

    outlets = {r[0]: r for r in wb["Cơ quan báo chí"].iter_rows(min_row=2, values_only=True)}
    assert outlets["VnExpress"][2] == 2 and outlets["VnExpress"][5] == 1  # 2 articles, 1 negative
    summary = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(min_row=2, values_only=True)}
    assert summary["Số bài trong tệp"] == 7
    assert summary["Số bài CCHC được tính (không tính bản trùng)"] == 6
    assert summary["Sắc thái: Tiêu cực"] == 2
    assert isinstance(summary["Thời điểm lập"], dt.datetime)


def test_xlsx_filters_match_article_list(sample, tmp_path):
    out = tmp_path / "hn.xlsx"
    assert main(["export", "-o", str(out), "--from", "2025-01-01", "--to", "2025-06-30", "--province", "ha noi",
                 "--sentiment", "negative", "--db", sample]) == 0
    ws = load_workbook(out)["Bài viết"]
    titles = [r[1] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert titles == ["Hồ sơ trễ hạn ở Hà Nội"]
    out2 = tmp_path / "kind.xlsx"
    assert main(["export", "-o", str(out2), "--from", "2025-01-01", "--to", "2025-06-30", "--outlet-kind",
                 "specialized", "--theme", "direction", "--db", sample]) == 0
    ws = load_workbook(out2)["Bài viết"]
    assert [r[1] for r in ws.iter_rows(min_row=2, values_only=True)] == ["TP.HCM và Hà Nội dẫn đầu PAR Index"]
    out3 = tmp_path / "reviewed.xlsx"
    assert main(["export", "-o", str(out3), "--reviewed-only", "--db", sample]) == 0
    assert load_workbook(out3)["Bài viết"].max_row == 1  # nothing reviewed yet: header only


def test_csv_bom_and_jsonl(sample, tmp_path):
    out = tmp_path / "bai-viet.csv"
    assert main(["export", "--format", "csv", "-o", str(out), "--from", "2025-01-01", "--to", "2025-06-30",
                 "--include-irrelevant", "--db", sample]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 8  # with the irrelevant one
    titles = {r["Tiêu đề"] for r in rows}
    assert "Bình Dương: công chức gây phiền hà" in titles and "Bóng đá" in titles
    by_title = {r["Tiêu đề"]: r for r in rows}
    assert by_title["Bóng đá"]["Liên quan CCHC"] == "Không"
    assert by_title["Hà Nội cắt giảm thủ tục"]["Ngày đăng"] == "2025-02-03 10:00"

    out = tmp_path / "bai-viet.jsonl"
    assert main(["export", "-o", str(out), "--from", "2025-01-01", "--to", "2025-06-30", "--db", sample]) == 0
    recs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(recs) == 7
    bd = [r for r in recs if r["provinces"] == ["Bình Dương"]][0]
    assert bd["provinces_current"] == ["Thành phố Hồ Chí Minh"] and bd["sentiment"] == "negative"
    assert bd["published"].endswith("+07:00")


def test_empty_period_gives_valid_files(sample, tmp_path, capsys):
    for fmt in ("xlsx", "csv", "jsonl"):
        out = tmp_path / f"empty.{fmt}"
        assert main(["export", "-o", str(out), "--from", "2019-01-01", "--to", "2019-01-31", "--db", sample]) == 0
        assert "Không có bài viết nào" in capsys.readouterr().err
        if fmt == "xlsx":
            wb = load_workbook(out)
            assert wb.sheetnames == SHEETS and wb["Bài viết"].max_row == 1
        elif fmt == "csv":
            assert out.read_bytes().decode("utf-8-sig").splitlines()[0].startswith("Mã bài,Tiêu đề")
        else:
            assert out.read_bytes() == b""


def test_bad_input(sqlite_url, tmp_path, capsys):
    out = tmp_path / "x.xlsx"
    assert main(["export", "-o", str(out), "--province", "Hà Nộii ba", "--db", sqlite_url]) == 2
    err = capsys.readouterr().err
    assert "unknown province" in err and "Hà Nội" in err
    assert main(["export", "-o", str(out), "--ministry", "Bo Noi vuu", "--db", sqlite_url]) == 2
    assert "Bộ Nội vụ" in capsys.readouterr().err
    assert main(["export", "-o", str(tmp_path / "x.pdf"), "--db", sqlite_url]) == 2
    assert main(["export", "-o", str(out), "--from", "2025-1-1", "--db", sqlite_url]) == 2
    assert main(["export", "-o", str(tmp_path / "missing" / "x.csv"), "--db", sqlite_url]) == 2
    assert not out.exists()


def test_suggested_filename():
    from exports.spreadsheet import suggested_filename
    from storage.queries import ArticleFilter

    f = ArticleFilter(date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 12, 31), province="Đắk Lắk",
                      sentiment="negative")
    assert suggested_filename(f, "xlsx") == "bai-viet-cchc_2025-01-01_2025-12-31_dak-lak_negative.xlsx"
    assert suggested_filename(ArticleFilter(), "csv") == "bai-viet-cchc.csv"
