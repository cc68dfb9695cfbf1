"""Labeled examples: the corpus JSONL (``articles.jsonl``) and reviewer labels, and their fingerprint."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from classifier.features import SENTIMENTS, THEMES

CORPUS_ENV = "REFORMWATCH_CORPUS"
CORPUS_FILE = "articles.jsonl"


@dataclass
class Example:
    id: str
    title: str
    text: str
    relevant: bool
    themes: list[str] = field(default_factory=list)
    sentiment: str = "neutral"
    source: str = "corpus"  # corpus | review


class CorpusError(ValueError):
    """A corpus file or line that cannot be used (names the file and line)."""


def corpus_path(path: Optional[str | os.PathLike]) -> Path:
    """The JSONL file for ``--corpus`` (a directory holding articles.jsonl, or the file itself)."""
    p = Path(path)
    if p.is_dir():
        p = p / CORPUS_FILE
    if not p.is_file():
        raise CorpusError(f"{p}: no such corpus file (give a directory holding {CORPUS_FILE}, or the file)")
    return p


def load_corpus(path: str | os.PathLike) -> list[Example]:
    p = corpus_path(path)
    out: list[Example] = []
    with open(p, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                ex = example_from_labels(
                    str(rec["id"]), rec.get("title") or "", rec["text"], rec["relevant"],
                    rec.get("themes") or [], rec["sentiment"],
                )
            except (ValueError, KeyError, TypeError) as exc:
                what = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
                raise CorpusError(f"{p}:{lineno}: {what}") from None
            out.append(ex)
    if not out:
        raise CorpusError(f"{p}: no labeled articles")
    return out


def example_from_labels(id: str, title: str, text: str, relevant, themes: Iterable[str], sentiment: str,
                        source: str = "corpus") -> Example:
    if not isinstance(text, str) or not text.strip():
        raise ValueError("empty text")
    if sentiment not in SENTIMENTS:
        raise ValueError(f"sentiment {sentiment!r} is not one of {', '.join(SENTIMENTS)}")
    themes = [t for t in dict.fromkeys(themes or [])]
    unknown = [t for t in themes if t not in THEMES]
    if unknown:
        raise ValueError(f"unknown theme code(s) {unknown}")
    relevant = bool(relevant)
    return Example(id=id, title=title or "", text=text, relevant=relevant,
                   themes=themes if relevant else [], sentiment=sentiment, source=source)


def fingerprint(examples: Iterable[Example]) -> str:
    """SHA-256 of the sorted (id, labels) lines: changes when an example or a label changes."""
    lines = sorted(
        json.dumps([e.source, e.id, e.relevant, sorted(e.themes), e.sentiment,
                    hashlib.sha256(e.text.encode()).hexdigest()[:16]], ensure_ascii=False)
        for e in examples
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def merge(corpus: list[Example], reviewed: list[Example]) -> list[Example]:
    """Corpus plus reviewed labels; a reviewed article with the same text as a corpus one replaces it."""
    texts = {hashlib.sha256(e.text.encode()).hexdigest() for e in reviewed}
    kept = [e for e in corpus if hashlib.sha256(e.text.encode()).hexdigest() not in texts]
    return kept + list(reviewed)
