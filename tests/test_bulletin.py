"""``reformwatch bulletin``: the DOCX opened with python-docx (a heading per theme, province
sections, follow-up flags), the HTML read back, the empty week, bad input."""
from __future__ import annotations

import datetime as dt

import docx
import pytest

from reformwatch.cli import main
from storage.db import session_scope
from test_coverage import add_article, add_outlets, at


@pytest.fixture
def week(db_url):
    """Week 2025-W06 (3-9 Feb 2025): procedures (a syndicated lead story), civil service (negative)."""
    with session_scope(db_url) as s:
        add_outlets(s)
        lead = add_article(s, "hanoimoi", at(2025, 2, 3), themes=("procedures",), sentiment="positive",
                           provinces=("Hà Nội",), score=0.7, title="Hà Nội cắt giảm 30% thủ tục")
        for h in (5, 6):
            add_article(s, "vnexpress", at(2025, 2, 3, h), themes=("procedures",), sentiment="positive",
                        provinces=("Hà Nội",), duplicate_of=lead, title=f"Đăng lại {h}")
        add_article(s, "vnexpress", at(2025, 2, 4), themes=("procedures",), sentiment="neutral",
                    provinces=("Hà Nội",), score=0.99, title="Hà Nội công bố bộ thủ tục mới")
        add_article(s, "baobinhduong", at(2025, 2, 5), themes=("civil_service",), sentiment="negative",
                    provinces=("Bình Dương",), title="Công chức Bình Dương gây phiền hà")
        add_article(s, "vnexpress", at(2025, 2, 12), themes=("apparatus",), provinces=("Hà Nội",),
                    title="Tuần sau")
    return db_url


def test_bulletin_docx_and_html(week, tmp_path, capsys):
    out = tmp_path / "bt"
    assert main(["bulletin", "--week", "2025-W06", "--output", str(out), "--db", week]) == 0
    err = capsys.readouterr().err
    assert "3 tin" in err
    d = docx.Document(out / "ban-tin-cchc-2025-W06.docx")
    heads = [(p.style.name, p.text) for p in d.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert heads[0] == ("Title", "Bản tin cải cách hành chính")
    theme_heads = [t for s, t in heads if s == "Heading 2" and "(" in t and "tin)" in t]
    assert theme_heads == ["1. Cải cách thủ tục hành chính (2 tin)", "2. Cải cách chế độ công vụ (1 tin)"]
    assert ("Heading 2", "Hà Nội – 2 tin") in heads
    assert ("Heading 2", "Thành phố Hồ Chí Minh – 1 tin (1 tin cần theo dõi)") in heads
    import re

    texts = [re.sub(r"^\d+\.\t", "", p.text) for p in d.paragraphs]  # numbered stories: "1.\t<title>"
    assert any(p.text.startswith("1.\tHà Nội cắt giảm 30% thủ tục") for p in d.paragraphs)
    # leading story first: the one syndicated by two outlets beats the higher-scored one
    i_lead = next(i for i, t in enumerate(texts) if t.startswith("Hà Nội cắt giảm 30% thủ tục"))
    i_other = next(i for i, t in enumerate(texts) if t.startswith("Hà Nội công bố bộ thủ tục mới"))
    assert i_lead < i_other and "2 báo đăng lại" in texts[i_lead]
    assert any(t.startswith("Công chức Bình Dương gây phiền hà [Cần theo dõi]") for t in texts)
    assert not any("Tuần sau" in t or "Đăng lại" in t for t in texts)
    # links to the originals
    links = [r.target_ref for r in d.part.rels.values() if "hyperlink" in r.reltype]
    assert any(link.startswith("https://hanoimoi.example.vn/") for link in links)

    html = (out / "ban-tin-cchc-2025-W06.html").read_text(encoding="utf-8")
    assert "Tuần 6/2025 (từ 03/02/2025 đến 09/02/2025)" in html
    assert html.index("Hà Nội cắt giảm 30% thủ tục") < html.index("Hà Nội công bố bộ thủ tục mới")
    assert "[Cần theo dõi]" in html and 'href="https://baobinhduong.example.vn/' in html


def test_bulletin_from_to_and_empty(sqlite_url, tmp_path, capsys):
    out = tmp_path / "empty"
    assert main(["bulletin", "--from", "2019-03-01", "--to", "2019-03-07", "-o", str(out), "--db", sqlite_url]) == 0
    err = capsys.readouterr().err
    assert "bản tin rỗng" in err
    d = docx.Document(out / "ban-tin-cchc-2019-03-01_2019-03-07.docx")
    assert any("Không có tin nào" in p.text for p in d.paragraphs)
    html = (out / "ban-tin-cchc-2019-03-01_2019-03-07.html").read_text(encoding="utf-8")
    assert "Không có tin nào" in html and html.rstrip().endswith("</html>")


def test_bulletin_bad_input(sqlite_url, tmp_path, capsys):
    for args in (["--week", "2025-6"], ["--week", "2025-W60"], ["--from", "2025-01-01"],
                 ["--week", "2025-W06", "--from", "2025-01-01", "--to", "2025-01-02"]):
        assert main(["bulletin", *args, "-o", str(tmp_path), "--db", sqlite_url]) == 2
        assert "usage:" in capsys.readouterr().err


def test_pdf_skipped_or_made(sqlite_url, tmp_path):
    from exports.bulletin import build_bulletin, pdf_engine

    with session_scope(sqlite_url) as s:
        result = build_bulletin(s, dt.date(2025, 2, 3), dt.date(2025, 2, 9), tmp_path)
    if pdf_engine() is None:
        assert result.pdf is None and any("PDF" in m for m in result.messages)
    else:
        assert result.pdf is not None and result.pdf.read_bytes().startswith(b"%PDF")
