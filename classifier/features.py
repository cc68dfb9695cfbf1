"""From an article (title, text) to the feature columns the models read.

``prepare(title, text)`` normalises and segments once; the result ``Doc`` has the
columns the scikit-learn pipelines select with a ``ColumnTransformer``:

- ``DOC``   segmented, lower-cased title + body (word n-grams);
- ``HEAD``  segmented title and lead (first ``LEAD_TOKENS`` words of the body) — the
  guide says "the headline and the lead decide" the tone; the title weighs more
  because it is a separate column;
- ``RAW``   normalised, lower-cased, unsegmented title + body (character n-grams and
  lexicon terms; cut at ``MAX_RAW_CHARS``);
- ``HEAD_RAW`` the same for the title and the first ``LEAD_CHARS`` characters of the body
  (lexicon terms of the headline and lead, for the tone).

Lexicon terms come from ``lexicon.toml`` (data, edited by staff).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

import numpy as np

from classifier.normalize import normalize_text
from classifier.segment import MAX_SEGMENT_CHARS, segment

LEXICON_PATH = Path(__file__).with_name("lexicon.toml")
LEAD_TOKENS = 60
LEAD_CHARS = 400
MAX_RAW_CHARS = 6000
DOC, HEAD, RAW, HEAD_RAW = 0, 1, 2, 3
COLUMNS = ("doc", "head", "raw", "head_raw")
TOKEN_PATTERN = r"(?u)\b\w+\b"
THEMES = ("institutional", "procedures", "apparatus", "civil_service", "public_finance",
          "digital_government", "direction")
SENTIMENTS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Doc:
    doc: str
    head: str
    raw: str
    head_raw: str = ""

    def row(self) -> tuple[str, str, str, str]:
        return (self.doc, self.head, self.raw, self.head_raw)


def split_title(title: Optional[str], text: str) -> tuple[str, str]:
    """(title, body), normalised. The corpus text starts with the title line: drop it from the body."""
    text = normalize_text(text)
    title = normalize_text(title)
    if not title:
        first, _, rest = text.partition("\n")
        if len(first) <= 300 and rest:
            return first, rest
        return "", text
    if text.startswith(title):
        text = text[len(title):].lstrip()
    return title, text


_HAS_WORD = re.compile(r"\w")


def break_at_punctuation(segmented: str) -> str:
    """Every punctuation token of segmented text (underthesea splits them off) made ``_``.

    The word n-gram pattern skips punctuation, so "các bộ, cơ quan" would give the bigram
    "bộ cơ_quan", which is not in the text (and an explanation could not be highlighted);
    ``_`` is a token, so n-grams stop there, and the explanations drop it (``_`` reads as a
    space). The title/body separator and line breaks become ``_`` too."""
    return " ".join(t if _HAS_WORD.search(t) else "_" for t in segmented.replace("\n", " _ ").split())


def prepare(title: Optional[str], text: str) -> Doc:
    title, body = split_title(title, text)
    seg_title = break_at_punctuation(segment(title, 500).lower())
    seg_body = break_at_punctuation(segment(body, MAX_SEGMENT_CHARS).lower())
    lead = " ".join(seg_body.split(" ", LEAD_TOKENS)[:LEAD_TOKENS])
    raw = (title + "\n" + body[:MAX_RAW_CHARS]).lower()
    head_raw = (title + "\n" + body[:LEAD_CHARS]).lower()
    return Doc(doc=f"{seg_title} _ {seg_body}", head=f"{seg_title} _ {lead}", raw=raw, head_raw=head_raw)


def to_matrix(docs: Iterable[Doc]) -> np.ndarray:
    rows = [d.row() for d in docs]
    arr = np.empty((len(rows), len(COLUMNS)), dtype=object)
    for i, r in enumerate(rows):
        arr[i] = r
    return arr


@lru_cache(maxsize=4)
def load_lexicon(path: Optional[str] = None) -> dict:
    """The lexicon, every term normalised and lower-cased."""
    with open(path or LEXICON_PATH, "rb") as fh:
        data = tomllib.load(fh)

    def clean(terms):
        return sorted({normalize_text(t).lower() for t in terms if t and t.strip()})

    themes = {code: clean(t.get("terms", [])) for code, t in data.get("themes", {}).items()}
    unknown = set(themes) - set(THEMES)
    if unknown:
        raise ValueError(f"{path or LEXICON_PATH}: unknown theme code(s) {sorted(unknown)}; expected {THEMES}")
    return {
        "relevance": clean(data.get("relevance", {}).get("terms", [])),
        "themes": themes,
        "positive": clean(data.get("sentiment", {}).get("positive", [])),
        "negative": clean(data.get("sentiment", {}).get("negative", [])),
    }


def lexicon_terms(lexicon: dict, kinds: tuple[str, ...] = ("relevance", "themes", "positive", "negative")) -> list[str]:
    terms: set[str] = set()
    for kind in kinds:
        value = lexicon[kind]
        if isinstance(value, dict):
            for t in value.values():
                terms.update(t)
        else:
            terms.update(value)
    return sorted(terms)


def term_ngram_range(terms: Iterable[str]) -> tuple[int, int]:
    longest = max((len(re.findall(TOKEN_PATTERN, t)) for t in terms), default=1)
    return (1, max(1, longest))


def count_terms(raw: str, terms: Iterable[str]) -> dict[str, int]:
    """Occurrences of each term in ``raw`` (lower-cased, normalised), on syllable boundaries."""
    counts = {}
    for t in terms:
        n = len(re.findall(r"(?<!\w)" + re.escape(t) + r"(?!\w)", raw))
        if n:
            counts[t] = n
    return counts
