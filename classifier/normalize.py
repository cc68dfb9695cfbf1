"""Text normalisation for Vietnamese news: one spelling of every word before matching.

``normalize_text`` applies, in order:

1. HTML entities unescaped (``&amp;`` ``&nbsp;`` ``&#7843;`` …; a doubly escaped
   ``&amp;nbsp;`` too);
2. Unicode NFC (decomposed input — NFD, combining tone marks — is composed), plus the
   look-alike ``Ð``/``ð`` (U+00D0/U+00F0, Icelandic eth, found in legacy-encoded pages)
   read as ``Đ``/``đ``;
3. ONE tone-mark placement: the *old* ("classic") style, ``hòa``, ``thủy``, ``khỏe``,
   ``xóa`` — the one the labeled corpus and the labeling guide use (in the corpus
   ``hòa`` 109 × vs ``hoà`` 9 ×, ``hóa`` 220 × vs ``hoá`` 14 ×, ``thủy`` 26 × vs ``thuỷ``
   1 ×). The placements differ only for the open syllables whose nucleus is ``oa``,
   ``oe`` or ``uy`` with no final consonant (``hoà`` → ``hòa``, ``khoẻ`` → ``khỏe``,
   ``thuỷ`` → ``thủy``); with a final consonant both styles agree (``hoàn``,
   ``thuyết``) and after ``q`` the ``u`` is part of the consonant (``quý`` stays);
4. whitespace: zero-width characters and soft hyphens dropped, every run of spaces,
   tabs and other blanks inside a line made one space, lines stripped, and runs of
   empty lines made one empty line (paragraph breaks are kept as ``\\n\\n``, line
   breaks as ``\\n``).

Pure functions, no third-party imports: the crawler, the gazetteer and the classifier
all call it.
"""
from __future__ import annotations

import html
import re
import unicodedata

__all__ = ["normalize_text", "normalize_tone_marks", "collapse_whitespace"]

# Tone marks as combining characters (NFD): grave, acute, hook above, tilde, dot below.
_TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")


def _with_tone(base: str, tone: str) -> str:
    return unicodedata.normalize("NFC", base + tone)


def _build_nucleus_map() -> dict[str, str]:
    """New-style nucleus (tone on the 2nd vowel) -> old style (tone on the 1st vowel)."""
    mapping: dict[str, str] = {}
    for first, second in (("o", "a"), ("o", "e"), ("u", "y")):
        for f in (first, first.upper()):
            for s in (second, second.upper()):
                for tone in _TONES:
                    mapping[f + _with_tone(s, tone)] = _with_tone(f, tone) + s
    return mapping


_NUCLEUS_MAP = _build_nucleus_map()
_LETTER = r"[^\W\d_]"
# An onset of consonant letters (never q: in "quý" the u belongs to the consonant), or
# "gi"; then a new-style nucleus ending the word.
_TONE_RE = re.compile(
    r"(?<!" + _LETTER + r")((?:[gG][iI])?[bcdđghklmnprstvxBCDĐGHKLMNPRSTVX]*)("
    + "|".join(sorted(map(re.escape, _NUCLEUS_MAP), key=len, reverse=True))
    + r")(?!" + _LETTER + r")"
)

_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_BLANKS_RE = re.compile(r"[^\S\n]+")  # whitespace except newline (incl. NBSP, tabs)
_EMPTY_LINES_RE = re.compile(r"\n{3,}")
_ENTITY_RE = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def normalize_tone_marks(text: str) -> str:
    """Move new-style tone marks to the old-style place (``hoà`` → ``hòa``); NFC input."""
    return _TONE_RE.sub(lambda m: m.group(1) + _NUCLEUS_MAP[m.group(2)], text)


def collapse_whitespace(text: str) -> str:
    """One space between words, stripped lines, at most one empty line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH_RE.sub("", text)
    text = _BLANKS_RE.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _EMPTY_LINES_RE.sub("\n\n", text).strip()


def normalize_text(s: str | None) -> str:
    """The one normalised form of a Vietnamese text (see the module docstring)."""
    if not s:
        return ""
    text = html.unescape(s)
    if "&" in text and _ENTITY_RE.search(text):  # doubly escaped: "&amp;nbsp;"
        text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u00d0", "\u0110").replace("\u00f0", "\u0111")
    text = normalize_tone_marks(text)
    return collapse_whitespace(text)
