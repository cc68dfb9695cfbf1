"""Vietnamese word segmentation with underthesea, bounded and cached.

``word_tokenize(text, format="text")`` joins the syllables of one word with ``_``
("cải_cách hành_chính"). The classifier segments the title and the first
``MAX_SEGMENT_CHARS`` characters of the body (cut at a word boundary): news puts what
it is about first, and the cost of underthesea grows with the length (a 2 MB page must
not take minutes). The rest of a long body is still seen by the character n-grams and
the lexicon features, which work on unsegmented text. Measured on the shared corpus
(texts of 0.6–1.6 k characters): about 110 full texts/s on one core; see docs/classifier.md.

Results are cached (LRU) because titles and leads repeat across re-crawls and duplicates.
"""
from __future__ import annotations

import re
from functools import lru_cache

MAX_SEGMENT_CHARS = 3000
_WORD_CHARS = re.compile(r"\w")


def truncate(text: str, max_chars: int = MAX_SEGMENT_CHARS) -> str:
    """``text`` cut to at most ``max_chars``, at the last whitespace before the limit."""
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars)
    return text[: cut if cut > max_chars // 2 else max_chars]


@lru_cache(maxsize=1)
def _tokenizer():
    from underthesea import word_tokenize

    return word_tokenize


@lru_cache(maxsize=4096)
def _segment_cached(text: str) -> str:
    if not _WORD_CHARS.search(text):
        return ""
    return _tokenizer()(text, format="text")


def segment(text: str, max_chars: int = MAX_SEGMENT_CHARS) -> str:
    """Word-segmented text ("cải_cách hành_chính …") of the first ``max_chars`` characters."""
    text = truncate(text or "", max_chars)
    if not text.strip():
        return ""
    # underthesea works sentence-like; segment per line so one huge paragraph-less page
    # and one newline-rich page cost the same, and the cache hits on repeated lines.
    return "\n".join(_segment_cached(line) for line in text.split("\n") if line.strip())


def warm_up() -> None:
    """Load underthesea's model now (the first call takes ~1 s)."""
    _segment_cached("khởi động")
