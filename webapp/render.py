"""Untrusted content made safe to show: article text segments and sanitised snapshots.

Article text is never put in a page as HTML: ``text_segments`` cuts it into plain-text
pieces tagged "term" (a term that drove a theme), "place" (a locality mention) or None,
and the template escapes each piece. Snapshots (raw HTML as crawled) go through
lxml_html_clean with scripts, event handlers, javascript: links, forms, frames, embedded
objects and external resources removed, and are then served with a sandboxing CSP.
"""
from __future__ import annotations

import gzip
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from lxml_html_clean import Cleaner

_CHARSET_RE = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", re.I)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def _lower_same_length(text: str) -> str:
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


@dataclass
class Segment:
    text: str
    kind: Optional[str] = None  # None | "term" | "place"
    labels: list[str] = field(default_factory=list)  # themes of a term / name of a place


def theme_terms(explanations: Optional[dict[str, Any]]) -> dict[str, list[str]]:
    """term -> themes it drove, from an annotation's explanations (positive weights only)."""
    out: dict[str, list[str]] = {}
    themes = (explanations or {}).get("themes") or {}
    if not isinstance(themes, dict):
        return out
    for code, pairs in themes.items():
        for pair in pairs or []:
            try:
                term, weight = pair[0], float(pair[1])
            except (TypeError, ValueError, IndexError):
                continue
            term = _nfc(str(term)).replace("_", " ").strip()
            if len(term) < 2 or weight <= 0:
                continue
            out.setdefault(term, [])
            if code not in out[term]:
                out[term].append(code)
    return out


def _word_boundary(lowered: str, start: int, end: int) -> bool:
    before = lowered[start - 1] if start > 0 else " "
    after = lowered[end] if end < len(lowered) else " "
    return not before.isalnum() and not after.isalnum()


def text_segments(
    text: str,
    *,
    terms: Optional[dict[str, list[str]]] = None,
    places: Iterable[tuple[str, str]] = (),
) -> list[Segment]:
    """Cut ``text`` into segments marking theme terms and locality mentions.

    ``places`` are (surface, canonical name) pairs: every whole-word occurrence of a
    surface is marked. Where marks overlap, the longer one wins, places before terms.
    """
    text = _nfc(text)
    lowered = _lower_same_length(text)
    spans: list[tuple[int, int, str, list[str]]] = []
    for surface, name in places:
        needle = _lower_same_length(_nfc(surface))
        if not needle.strip():
            continue
        for m in re.finditer(re.escape(needle), lowered):
            if _word_boundary(lowered, m.start(), m.end()):
                spans.append((m.start(), m.end(), "place", [name]))
    for term, codes in (terms or {}).items():
        needle = _lower_same_length(term)
        for m in re.finditer(re.escape(needle), lowered):
            if _word_boundary(lowered, m.start(), m.end()):
                spans.append((m.start(), m.end(), "term", list(codes)))
    # longest first, places before terms; keep non-overlapping
    spans.sort(key=lambda s: (-(s[1] - s[0]), s[2] != "place", s[0]))
    taken: list[tuple[int, int, str, list[str]]] = []
    for span in spans:
        if all(span[1] <= t[0] or span[0] >= t[1] for t in taken):
            taken.append(span)
    taken.sort()
    out: list[Segment] = []
    pos = 0
    for start, end, kind, labels in taken:
        if start > pos:
            out.append(Segment(text[pos:start]))
        out.append(Segment(text[start:end], kind, labels))
        pos = end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out


# --------------------------------------------------------------------------- snapshots
_cleaner = Cleaner(
    scripts=True,
    javascript=True,
    comments=True,
    style=False,
    inline_style=False,
    links=True,
    meta=True,
    page_structure=False,
    processing_instructions=True,
    embedded=True,
    frames=True,
    forms=True,
    annoying_tags=True,
    remove_unknown_tags=False,
    safe_attrs_only=True,
    kill_tags={"base", "noscript", "template"},
)


def decode_snapshot(content_gzip: bytes, headers: Optional[dict[str, Any]] = None) -> str:
    """The snapshot body as text: charset from the HTTP header, else the <meta>, else UTF-8."""
    body = gzip.decompress(content_gzip)
    charset = None
    for key, value in (headers or {}).items():
        if str(key).lower() == "content-type":
            value = value[0] if isinstance(value, list) and value else value
            m = re.search(r"charset=([A-Za-z0-9_-]+)", str(value), re.I)
            charset = m.group(1) if m else None
    if not charset:
        m = _CHARSET_RE.search(body[:4096])
        charset = m.group(1).decode("ascii") if m else "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def sanitize_html(html: str) -> str:
    """Snapshot HTML without anything active; images become placeholders (no outside requests)."""
    if not html.strip():
        return "<p></p>"
    cleaned = _cleaner.clean_html(html)
    # external images would leak the reader's visit to the outlet: keep only their alt text
    cleaned = re.sub(r"<img\b[^>]*>", "<span class=\"img\">[ảnh]</span>", cleaned, flags=re.I)
    return cleaned
