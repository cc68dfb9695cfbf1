"""Ministries: names before/after the 2025 restructuring, abbreviations, naming by date, roles."""
from __future__ import annotations

import pytest

from classifier import gazetteer as gz
from classifier import localities as loc
from classifier.ministries import ministry_as_of, ministry_mentions


def _found(text: str, published: str | None = None) -> list[tuple[str, str]]:
    return [(m["surface"], m["canonical"]) for m in ministry_mentions(gz.normalize(text), published)]


@pytest.mark.parametrize("surface,canonical,current", [
    ("Bộ NV", "Bộ Nội vụ", "Bộ Nội vụ"),
    ("Bộ TT&TT", "Bộ Thông tin và Truyền thông", "Bộ Khoa học và Công nghệ"),
    ("Bộ KH&ĐT", "Bộ Kế hoạch và Đầu tư", "Bộ Tài chính"),
    ("Bộ GD-ĐT", "Bộ Giáo dục và Đào tạo", "Bộ Giáo dục và Đào tạo"),
    ("Bộ GD&ĐT", "Bộ Giáo dục và Đào tạo", "Bộ Giáo dục và Đào tạo"),
    ("Bộ GTVT", "Bộ Giao thông vận tải", "Bộ Xây dựng"),
    ("Bộ TN&MT", "Bộ Tài nguyên và Môi trường", "Bộ Nông nghiệp và Môi trường"),
    ("Bộ NN&PTNT", "Bộ Nông nghiệp và Phát triển nông thôn", "Bộ Nông nghiệp và Môi trường"),
    ("Bộ LĐ-TB&XH", "Bộ Lao động - Thương binh và Xã hội", "Bộ Nội vụ"),
    ("Bộ Lao động, Thương binh và Xã hội", "Bộ Lao động - Thương binh và Xã hội", "Bộ Nội vụ"),
    ("VPCP", "Văn phòng Chính phủ", "Văn phòng Chính phủ"),
    ("NHNN", "Ngân hàng Nhà nước Việt Nam", "Ngân hàng Nhà nước Việt Nam"),
    ("Ngân hàng Nhà nước", "Ngân hàng Nhà nước Việt Nam", "Ngân hàng Nhà nước Việt Nam"),
    ("Ủy ban Dân tộc", "Ủy ban Dân tộc", "Bộ Dân tộc và Tôn giáo"),
    ("Bộ Văn hóa - Thể thao và Du lịch", "Bộ Văn hóa, Thể thao và Du lịch", "Bộ Văn hóa, Thể thao và Du lịch"),
    ("Bộ trưởng Tư pháp", "Bộ Tư pháp", "Bộ Tư pháp"),
    ("Bộ trưởng Bộ Công an", "Bộ Công an", "Bộ Công an"),
])
def test_names_and_abbreviations_in_text(surface, canonical, current):
    found = _found(f"Hôm qua, {surface} cho biết sẽ đẩy mạnh cải cách thủ tục.")
    assert [c for _s, c in found] == [canonical]
    assert gz.ministry_to_current(canonical) == current


def test_old_names_map_to_merged_successors():
    assert gz.ministry_to_current("Bộ Kế hoạch và Đầu tư") == gz.ministry_to_current("Bộ Tài chính") == "Bộ Tài chính"
    assert gz.ministry_to_current("Bộ Giao thông vận tải") == "Bộ Xây dựng"
    assert gz.ministry_to_current("Bộ Tài nguyên và Môi trường") == "Bộ Nông nghiệp và Môi trường"
    assert gz.ministry_to_current("Bộ Nông nghiệp và Phát triển nông thôn") == "Bộ Nông nghiệp và Môi trường"
    assert gz.ministry_to_current("Bộ Thông tin và Truyền thông") == "Bộ Khoa học và Công nghệ"


def test_name_in_force_at_the_article_date():
    assert ministry_as_of("Bộ Thông tin và Truyền thông", "2024-05-01") == "Bộ Thông tin và Truyền thông"
    assert ministry_as_of("Bộ Thông tin và Truyền thông", "2025-06-01") == "Bộ Khoa học và Công nghệ"
    assert ministry_as_of("Bộ Thông tin và Truyền thông", None) == "Bộ Thông tin và Truyền thông"
    title = "Bộ Thông tin và Truyền thông công bố Chỉ số chuyển đổi số"
    body = "Bộ Thông tin và Truyền thông vừa công bố Chỉ số chuyển đổi số. Bộ Thông tin và Truyền thông cho biết..."
    before = loc.locate(title, body, published="2024-05-01")
    after = loc.locate(title, body, published="2025-06-01")
    assert before["ministries"] == ["Bộ Thông tin và Truyền thông"]
    assert before["ministries_current"] == ["Bộ Khoa học và Công nghệ"]
    assert after["ministries"] == ["Bộ Khoa học và Công nghệ"]


def test_foreign_ministries_and_lowercase_words_are_not_matched():
    assert _found("Bộ Ngoại giao Mỹ và Bộ Quốc phòng Nhật Bản ra tuyên bố.") == []
    assert _found("Một bộ tài liệu về tư pháp được phát hành.") == []
    # "BTC" (Ban tổ chức) and "BCT" (Bộ Chính trị) are not ministry abbreviations
    assert _found("BTC giải chạy và BCT đã họp.") == []


def test_ministry_subject_vs_list():
    title = "Bộ Tư pháp đẩy mạnh rà soát văn bản quy phạm pháp luật"
    body = ("Bộ Tư pháp vừa tổ chức hội nghị rà soát văn bản quy phạm pháp luật. Bộ trưởng Bộ Tư pháp "
            "yêu cầu hoàn thành trong năm. Dự hội nghị có đại diện Bộ Công an, Bộ Y tế và Bộ Tài chính.")
    r = loc.locate(title, body)
    assert r["ministries"] == ["Bộ Tư pháp"]
    roles = {m["name"]: m["role"] for m in r["mentions"] if m["kind"] == "ministry"}
    assert roles["Bộ Tư pháp"] == "subject" and roles["Bộ Y tế"] == "passing"


def test_ministry_portal_counts_its_own_ministry():
    r = loc.locate("Rà soát quy định kinh doanh", "Đơn vị tiếp tục rà soát, cắt giảm quy định kinh doanh.",
                   url="https://mic.gov.vn/tin/1.htm", published="2024-01-10")
    assert r["ministries"] == ["Bộ Thông tin và Truyền thông"]
