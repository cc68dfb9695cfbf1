"""`reformwatch classify`: good and bad lines, exit codes, stderr line numbers."""
from __future__ import annotations

import json

from reformwatch.cli import main

GOOD_1 = {"id": "a1", "title": "Đẩy mạnh cải cách thủ tục hành chính",
          "text": "Tỉnh yêu cầu các sở rút ngắn thời gian giải quyết hồ sơ tại bộ phận một cửa, "
                  "tăng tỷ lệ dịch vụ công trực tuyến toàn trình.", "url": "https://baomau.vn/a1", "published": "2025-03-01"}
GOOD_2 = {"id": "a2", "text": "Đội tuyển bóng đá thắng 2-1 trong trận giao hữu tối qua."}


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_good_and_bad_lines(tmp_path, capsys):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_lines(src, [
        json.dumps(GOOD_1, ensure_ascii=False),        # 1
        "{broken json",                                # 2
        json.dumps({"id": "x", "title": "no text"}),   # 3
        json.dumps({"id": "y", "text": "   "}),        # 4
        "",                                            # 5 (blank: ignored)
        json.dumps(GOOD_2, ensure_ascii=False),        # 6
        json.dumps({"text": "không có id"}),           # 7
        json.dumps(["not", "an", "object"]),           # 8
        json.dumps({"id": "big", "text": "Cải cách hành chính. " * 100_000}),  # 9: 2 MB
    ])
    assert main(["classify", "--input", str(src), "--output", str(dst)]) == 0
    err = capsys.readouterr().err
    for lineno, what in [(2, "broken JSON"), (3, "missing key(s): text"), (4, "empty 'text'"),
                         (7, "missing key(s): id"), (8, "expected a JSON object")]:
        assert f"{src}:{lineno}: {what}" in err
    assert f"{src}:1:" not in err and f"{src}:6:" not in err and f"{src}:9:" not in err
    out = [json.loads(l) for l in dst.read_text(encoding="utf-8").splitlines()]
    assert [o["id"] for o in out] == ["a1", "a2", "big"]
    first = out[0]
    assert first["url"] == GOOD_1["url"] and first["published"] == "2025-03-01"  # input keys kept
    for key in ("relevant", "relevance_score", "themes", "theme_scores", "sentiment", "sentiment_scores", "explanations"):
        assert key in first
    assert first["relevant"] is True and "procedures" in first["themes"]
    assert out[1]["relevant"] is False and out[1]["themes"] == []


def test_nothing_readable_exits_non_zero(tmp_path, capsys):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_lines(src, ["nope", json.dumps({"id": 1})])
    assert main(["classify", "--input", str(src), "--output", str(dst)]) == 1
    err = capsys.readouterr().err
    assert f"{src}:1: broken JSON" in err and f"{src}:2: missing key(s): text" in err


def test_missing_input_file_is_usage_error(tmp_path, capsys):
    assert main(["classify", "--input", str(tmp_path / "none.jsonl"), "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "no such file" in err


def test_missing_arguments_give_usage(capsys):
    import pytest

    with pytest.raises(SystemExit) as exc:
        main(["classify"])
    assert exc.value.code == 2
    assert "--input" in capsys.readouterr().err
