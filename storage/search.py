"""Diacritic-insensitive search keys for Vietnamese text.

``fold("Cải cách hành chính Đà Nẵng") == "cai cach hanh chinh da nang"``: what is stored in
``articles.search_text`` and what a search query is folded to, so that a query finds
Vietnamese words with or without diacritics.
"""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_TRANSLATE = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str | None) -> str:
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_TRANSLATE))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped.lower()).strip()
