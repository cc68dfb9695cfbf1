"""Per-outlet rules as data: the file loads, every outlet's layout works on a saved page of it."""
from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from crawler.extraction import extract_article
from crawler.extraction.evaluate import body_complete, same_minute
from crawler.extraction.parse import parse_html
from crawler.extraction.rules import (
    DEFAULT_RULES_PATH,
    RulesError,
    choose_layout,
    load_outlet_rules,
    rules_for,
    validate_layout,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TABLE = load_outlet_rules()


def _truth(shared_dir):
    html = shared_dir / "html"
    rows = [json.loads(l) for l in (html / "truth.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    return html, [r for r in rows if r["kind"] == "article"]


def test_builtin_file_loads_and_is_normalised():
    assert DEFAULT_RULES_PATH.name == "outlet_rules.toml"
    assert "vnexpress.net" in TABLE and len(TABLE) >= 8
    for domain, layouts in TABLE.items():
        assert domain == domain.lower() and not domain.startswith("www.")
        for layout in layouts:
            assert layout.get("body"), f"{domain}: every built-in layout names its body container"
            for key in ("title", "author", "body", "drop", "lead", "published"):
                assert key not in layout or isinstance(layout[key], list)


def test_every_outlet_rule_set_has_a_saved_page(shared_dir):
    _, articles = _truth(shared_dir)
    outlets = {a["outlet"] for a in articles}
    missing = sorted(d for d in TABLE if d not in outlets)
    assert not missing, f"outlet rules without a saved test page: {missing}"


def test_rules_work_on_each_outlets_saved_page(shared_dir):
    html, articles = _truth(shared_dir)
    checked = 0
    for row in articles:
        if not rules_for(row["outlet"], TABLE):
            continue
        raw = (html / row["file"]).read_bytes()
        result = extract_article(raw, row["url"])
        src = result["sources"]
        where = row["file"]
        assert src["layout"], f"{where}: no layout of {row['outlet']} matched"
        assert src["title"] == "rules" and result["title"] == row["title"], where
        assert src["text"] == "rules", f"{where}: body selector matched nothing"
        assert body_complete(result["text"], row), f"{where}: body incomplete or with junk"
        assert same_minute(result["published"], row["published"]), where
        assert result["author"] == row["author"], where
        if row["author"]:
            assert src["author"] == "rules", f"{where}: author selector found nothing"
        if row.get("lead"):
            assert result["lead"] and result["lead"][:40] == " ".join(row["lead"].split())[:40], where
        checked += 1
    assert checked >= 8


def test_vnexpress_byline_beats_organisation_author(shared_dir):
    html, articles = _truth(shared_dir)
    row = next(a for a in articles if a["file"].startswith("vnexpress.net__lymphoma"))
    raw = (html / row["file"]).read_bytes()
    assert b'"name": "VnExpress"' in raw or b'"name":"VnExpress"' in raw  # JSON-LD author is the Organization
    result = extract_article(raw, row["url"])
    assert result["author"] == "Lê Phương"
    assert "Lê Phương" not in result["text"]  # the byline paragraph is not body text


def test_rules_argument_overrides_builtin_rules():
    page = (
        "<html><head><title>Sai tiêu đề - Báo X</title></head><body>"
        "<h1 class='headline'>Tiêu đề đúng của bài viết về cải cách hành chính</h1>"
        "<div class='when'>Thứ sáu, 27/11/2026, 10:25 (GMT+7)</div>"
        "<div class='story'><p>" + "Đoạn một nói về thủ tục hành chính một cửa liên thông. " * 4 + "</p>"
        "<div class='box-ad'><p>Quảng cáo không thuộc bài</p></div>"
        "<p>" + "Đoạn hai nói về chuyển đổi số trong cơ quan nhà nước. " * 4 + "</p>"
        "<p class='byline'><b>Nguyễn Văn An</b></p></div></body></html>"
    )
    rules = [{"title": "css:h1.headline", "published": "div.when", "author": "p.byline b", "body": "div.story",
              "drop": ["div.box-ad", "p.byline"]}]
    result = extract_article(page, "https://baox.example.vn/bai-viet-123456.html", rules=rules)
    assert result["title"] == "Tiêu đề đúng của bài viết về cải cách hành chính"
    assert result["published"] == datetime(2026, 11, 27, 10, 25, tzinfo=VN)
    assert result["author"] == "Nguyễn Văn An"
    assert "Quảng cáo" not in result["text"] and "Nguyễn Văn An" not in result["text"]
    assert result["text"].count("\n") == 1
    assert result["sources"]["text"] == "rules"


def test_layout_chosen_by_date_then_by_match():
    old = validate_layout({"name": "old", "until": "2024-01-01", "body": "div.old-body"}, "t")
    new = validate_layout({"name": "new", "since": "2024-01-01", "body": "div.new-body"}, "t")
    both = parse_html("<html><body><div class='old-body'><p>a</p></div><div class='new-body'><p>b</p></div></body></html>")
    assert choose_layout(both, [old, new], datetime(2023, 5, 1, tzinfo=VN))["name"] == "old"
    assert choose_layout(both, [old, new], datetime(2025, 5, 1, tzinfo=VN))["name"] == "new"
    only_new = parse_html("<html><body><div class='new-body'><p>b</p></div></body></html>")
    assert choose_layout(only_new, [old, new], None)["name"] == "new"  # no date: the one that matches
    assert choose_layout(parse_html("<html><body><p>x</p></body></html>"), [old, new], None) is None
    assert choose_layout(both, [], None) is None


def test_rules_for_domain_lookup():
    table = {"vnexpress.net": [{"name": "a"}], "e.vnexpress.net": [{"name": "e"}]}
    assert rules_for("www.vnexpress.net", table) == [{"name": "a"}]
    assert rules_for("video.vnexpress.net", table) == [{"name": "a"}]  # parent domain
    assert rules_for("e.vnexpress.net", table) == [{"name": "e"}]
    assert rules_for("example.com", table) == []
    assert rules_for("", table) == []


@pytest.mark.parametrize(
    "text,message",
    [
        ('[[domain."x.vn"]]\nbody = "div.a"\ncolour = "red"\n', "unknown key(s) colour"),
        ('[[domain."x.vn"]]\nbody = "div[["\n', "x.vn"),
        ('[[domain."x.vn"]]\nbody = "xpath://div[@"\n', "body"),
        ('[[domain."x.vn"]]\nsince = "yesterday"\n', "since"),
        ('[[domain."x.vn"]]\nbody = 3\n', "selector string"),
        ('[[domain."x.vn"]\nbody = ', "invalid TOML"),
    ],
)
def test_bad_rules_file_names_the_problem(tmp_path, text, message):
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_outlet_rules(path)
    assert message in str(err.value) and "rules.toml" in str(err.value)


def test_missing_rules_file(tmp_path):
    with pytest.raises(RulesError, match="not found"):
        load_outlet_rules(tmp_path / "nope.toml")


def test_dates_in_rules_file(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text('[[domain."www.X.vn"]]\nsince = 2024-01-01\nuntil = "2025-02-03"\nbody = "div.a"\n', encoding="utf-8")
    table = load_outlet_rules(path)
    assert table["x.vn"][0]["since"] == date(2024, 1, 1) and table["x.vn"][0]["until"] == date(2025, 2, 3)
