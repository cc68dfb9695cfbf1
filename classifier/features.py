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


# --- How central reform is to an article (inputs of the stacked relevance model) -----------------

CENTRALITY_FEATURES = ("relevance_sentence_share", "relevance_density", "relevance_in_first_sentence",
                       "reform_sentence_share", "reform_density", "reform_in_title")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?;:])\s+|\n+")
_SYLLABLE = re.compile(TOKEN_PATTERN)


@lru_cache(maxsize=4)
def _term_sets(path: Optional[str] = None) -> tuple[dict, dict]:
    """Lexicon terms as syllable tuples, indexed by first syllable ({first: {length: {terms}}}):
    the relevance terms, and all reform terms (relevance + themes)."""
    lex = load_lexicon(path)

    def index(terms) -> dict:
        out: dict = {}
        for x in terms:
            t = tuple(_SYLLABLE.findall(x))
            if t:
                out.setdefault(t[0], {}).setdefault(len(t), set()).add(t)
        return out

    themes = [t for c in THEMES for t in lex["themes"].get(c, [])]
    return index(lex["relevance"]), index(list(lex["relevance"]) + themes)


def _term_hits(syllables: list[str], terms: dict) -> int:
    """How many term occurrences (overlaps included) the syllable list holds."""
    hits = 0
    for i, first in enumerate(syllables):
        by_length = terms.get(first)
        if by_length:
            for n, group in by_length.items():
                if tuple(syllables[i:i + n]) in group:
                    hits += 1
    return hits


def centrality_features(raw: str, lexicon_path: Optional[str] = None) -> np.ndarray:
    """Six label-free figures of how central reform is to an article (``Doc.raw``: lower-cased
    "title\\nbody"), named in ``CENTRALITY_FEATURES``: for the relevance terms of the lexicon and
    for all reform terms (relevance + themes), the share of body sentences holding one, the
    density per word (log), and whether the first body sentence (relevance terms) or the
    title (reform terms) holds one. Shares and densities are smoothed (``+10`` sentences,
    ``+300`` words) so a very short text cannot get an extreme value from one term — a
    bag of n-grams cannot tell a main subject from a passing word; these can."""
    rel, reform = _term_sets(lexicon_path)
    title, _, body = raw.partition("\n")
    sentences = [_SYLLABLE.findall(s) for s in _SENTENCE_SPLIT.split(body) if len(s) > 3] or [_SYLLABLE.findall(body)]
    rel_hits = [_term_hits(s, rel) for s in sentences]
    reform_hits = [_term_hits(s, reform) for s in sentences]
    title_syl = _SYLLABLE.findall(title)
    n_words = len(title_syl) + sum(len(s) for s in sentences)
    n = len(sentences)
    title_rel, title_reform = _term_hits(title_syl, rel), _term_hits(title_syl, reform)
    return np.asarray([
        sum(h > 0 for h in rel_hits) / (n + 10),
        np.log1p(100 * (sum(rel_hits) + title_rel) / (n_words + 300)),
        float(rel_hits[0] > 0),
        sum(h > 0 for h in reform_hits) / (n + 10),
        np.log1p(100 * (sum(reform_hits) + title_reform) / (n_words + 300)),
        float(title_reform > 0),
    ], dtype=np.float64)


def centrality_matrix(docs: Iterable[Doc]) -> np.ndarray:
    rows = [centrality_features(d.raw) for d in docs]
    return np.vstack(rows) if rows else np.zeros((0, len(CENTRALITY_FEATURES)))
