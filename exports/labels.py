"""Vietnamese labels for codes shown to staff in exports, bulletins and CLI tables."""
from __future__ import annotations

from typing import Iterable, Optional

THEME_LABELS = {
    "institutional": "Cải cách thể chế",
    "procedures": "Cải cách thủ tục hành chính",
    "apparatus": "Cải cách tổ chức bộ máy hành chính nhà nước",
    "civil_service": "Cải cách chế độ công vụ",
    "public_finance": "Cải cách tài chính công",
    "digital_government": "Xây dựng, phát triển Chính phủ điện tử, Chính phủ số",
    "direction": "Chỉ đạo, điều hành và thông tin, tuyên truyền CCHC",
    "": "Chưa phân loại chủ đề",
}
SENTIMENT_LABELS = {"positive": "Tích cực", "neutral": "Trung lập", "negative": "Tiêu cực"}
OUTLET_KIND_LABELS = {
    "national": "Báo trung ương",
    "local": "Báo địa phương",
    "specialized": "Báo chuyên ngành",
    "government_portal": "Cổng thông tin điện tử",
}
REVIEW_LABELS = {"unreviewed": "Chưa duyệt", "confirmed": "Đã xác nhận", "corrected": "Đã sửa"}
DIVISION_LABELS = {"current": "34 tỉnh/thành (từ 01/7/2025)", "former": "63 tỉnh/thành (trước 01/7/2025)"}

# What pushed the stacked relevance model's decision (classifier.models.STACK_INPUTS);
# "theme:<code>" reads "dấu hiệu lĩnh vực" + the theme's short name.
RELEVANCE_FACTOR_LABELS = {
    "relevance_terms": "từ ngữ của bài",
    "relevance_sentence_share": "tỷ lệ câu có thuật ngữ CCHC",
    "relevance_density": "mật độ thuật ngữ CCHC",
    "relevance_in_first_sentence": "thuật ngữ CCHC ở câu mở đầu",
    "reform_sentence_share": "tỷ lệ câu có thuật ngữ cải cách",
    "reform_density": "mật độ thuật ngữ cải cách",
    "reform_in_title": "thuật ngữ cải cách ở tiêu đề",
}

# Column headings of the coverage counts, in display order.
COUNT_HEADINGS = {
    "articles": "Số bài",
    "positive": "Tích cực",
    "neutral": "Trung lập",
    "negative": "Tiêu cực",
    "national": "Báo trung ương",
    "local": "Báo địa phương",
    "specialized": "Báo chuyên ngành",
    "government_portal": "Cổng TTĐT",
    "own_press": "Báo chí của tỉnh",
}


def theme_label(code: Optional[str]) -> str:
    return THEME_LABELS.get(code or "", code or "")


def themes_label(codes: Optional[Iterable[str]]) -> str:
    return "; ".join(theme_label(c) for c in (codes or []))


def sentiment_label(code: Optional[str]) -> str:
    return SENTIMENT_LABELS.get(code or "", code or "")


def kind_label(code: Optional[str]) -> str:
    return OUTLET_KIND_LABELS.get(code or "", code or "")


def review_label(code: Optional[str]) -> str:
    return REVIEW_LABELS.get(code or "", code or "")


def vn_date(day) -> str:
    """``27/11/2026`` (the Vietnamese day/month/year order)."""
    return day.strftime("%d/%m/%Y") if day else ""
