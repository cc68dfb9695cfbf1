"""classifier.normalize: one spelling of every Vietnamese word."""
import unicodedata

import pytest

from classifier.normalize import collapse_whitespace, normalize_text, normalize_tone_marks


@pytest.mark.parametrize("new, old", [
    ("hoà", "hòa"), ("Hoà", "Hòa"), ("HOÀ", "HÒA"), ("thuỷ", "thủy"), ("khoẻ", "khỏe"),
    ("hoá", "hóa"), ("xoá", "xóa"), ("toà", "tòa"), ("hoạ", "họa"), ("huỷ", "hủy"),
    ("luỹ", "lũy"), ("khoá", "khóa"), ("tuỳ", "tùy"), ("thoả", "thỏa"), ("Thuỵ", "Thụy"),
])
def test_new_style_tone_marks_become_old_style(new, old):
    assert normalize_text(new) == old
    assert normalize_text(old) == old  # old style is kept as it is


@pytest.mark.parametrize("word", ["hoàn", "toàn", "thuyết", "quý", "Quỳnh", "quà", "hoạch", "khoèo", "hòa"])
def test_syllables_where_both_styles_agree_are_untouched(word):
    assert normalize_text(word) == word


def test_sentence_with_both_placements_gives_one_spelling():
    a = normalize_text("Cải cách hành chính: Hoà Bình chuyển đổi số, sức khoẻ, thuỷ lợi")
    b = normalize_text("Cải cách hành chính: Hòa Bình chuyển đổi số, sức khỏe, thủy lợi")
    assert a == b
    assert "Hòa Bình" in a and "khỏe" in a and "thủy" in a


def test_nfd_input_is_composed_and_tone_normalised():
    nfd = unicodedata.normalize("NFD", "Chuyển đổi số ở Thanh Hoá")
    assert nfd != unicodedata.normalize("NFC", nfd)
    out = normalize_text(nfd)
    assert unicodedata.is_normalized("NFC", out)
    assert out == "Chuyển đổi số ở Thanh Hóa"


def test_html_entities_and_eth_lookalike():
    assert normalize_text("Bộ&nbsp;Nội vụ &amp; Bộ Tư pháp") == "Bộ Nội vụ & Bộ Tư pháp"
    assert normalize_text("c&#7843;i c&#225;ch") == "cải cách"
    assert normalize_text("a&amp;nbsp;b") == "a b"  # doubly escaped
    assert normalize_text("Ðồng Nai") == "Đồng Nai"


def test_whitespace_collapsed_paragraphs_kept():
    text = "  Tiêu đề \t bài\u00a0báo \r\n\r\n\r\n Đoạn  một.\u200b\nDòng hai.  \n\n\nĐoạn hai. "
    assert normalize_text(text) == "Tiêu đề bài báo\n\nĐoạn một.\nDòng hai.\n\nĐoạn hai."
    assert collapse_whitespace("a\n\n\n\nb") == "a\n\nb"


def test_empty_and_none():
    assert normalize_text("") == "" and normalize_text(None) == ""
    assert normalize_tone_marks("") == ""


def test_idempotent_on_corpus_like_text():
    s = "Thủ tướng yêu cầu đẩy mạnh cải cách thủ tục hành chính, hoà nhập, xoá bỏ \"giấy phép con\"."
    once = normalize_text(s)
    assert normalize_text(once) == once
