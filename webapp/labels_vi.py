"""Vietnamese names for the codes stored in the database (what staff see)."""
from __future__ import annotations

from exports.labels import OUTLET_KIND_LABELS, RELEVANCE_FACTOR_LABELS, REVIEW_LABELS, SENTIMENT_LABELS, THEME_LABELS

# One vocabulary for every screen and file staff see: exports/labels.py holds it.
THEMES = {code: label for code, label in THEME_LABELS.items() if code}
THEME_SHORT = {
    "institutional": "Thể chế",
    "procedures": "Thủ tục HC",
    "apparatus": "Bộ máy",
    "civil_service": "Công vụ",
    "public_finance": "Tài chính công",
    "digital_government": "CP số",
    "direction": "Chỉ đạo",
    "": "Không chủ đề",
}
SENTIMENTS = SENTIMENT_LABELS
OUTLET_KINDS = {**OUTLET_KIND_LABELS, "": "Không rõ"}
REVIEW_STATUSES = REVIEW_LABELS
ROLES = {"viewer": "Xem", "reviewer": "Duyệt", "admin": "Quản trị"}
ACTIONS = {
    "confirm": "Xác nhận",
    "correct": "Sửa nhãn",
    "bulk_confirm": "Xác nhận hàng loạt",
    "user_add": "Thêm người dùng",
}
FIELDS = {
    "relevant": "Liên quan CCHC",
    "themes": "Chủ đề",
    "sentiment": "Sắc thái",
    "provinces": "Tỉnh/thành",
    "ministries": "Bộ/ngành",
    "note": "Ghi chú",
    "review_status": "Trạng thái duyệt",
    "username": "Tên đăng nhập",
    "role": "Vai trò",
}
DIVISIONS = {"current": "Hiện hành (34 tỉnh)", "former": "Trước 1/7/2025 (63 tỉnh)"}


def theme(code: str) -> str:
    return THEMES.get(code, code or "Không chủ đề")


def relevance_factor(name: str) -> str:
    """A level-2 input of the relevance model, as staff read it."""
    if name.startswith("theme:"):
        code = name.split(":", 1)[1]
        return "dấu hiệu lĩnh vực " + THEME_SHORT.get(code, code)
    return RELEVANCE_FACTOR_LABELS.get(name, name)


def value(field: str, val) -> str:
    """A label value as text for the audit trail."""
    if val is None:
        return "—"
    if isinstance(val, bool):
        return "Có" if val else "Không"
    if isinstance(val, list):
        if field == "themes":
            return ", ".join(THEME_SHORT.get(v, v) for v in val) or "—"
        return ", ".join(str(v) for v in val) or "—"
    if field == "sentiment":
        return SENTIMENTS.get(val, val)
    if field == "review_status":
        return REVIEW_STATUSES.get(val, val)
    return str(val)
