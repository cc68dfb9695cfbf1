"""Decode fetched page bytes into text, robust to wrong or missing charset declarations.

Order of evidence: byte-order mark, then valid multi-byte UTF-8 (the web's default and the
strongest signal there is), then the HTTP ``Content-Type`` charset, then ``<meta charset>`` /
``http-equiv``, then statistical detection (charset-normalizer), then windows-1258 (the
Vietnamese Windows code page). A declared charset is only trusted when the bytes decode
under it without error. Never raises; returns ``(text, encoding_used)`` with NFC text.
"""
from __future__ import annotations

import codecs
import re
import unicodedata
from typing import Optional

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]+)""", re.IGNORECASE)
# labels browsers map to another codec (WHATWG encoding standard)
_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252",
            "windows-1258": "cp1258", "x-user-defined": "cp1252", "unicode": "utf-8", "utf8": "utf-8"}


def _codec(label: Optional[str]) -> Optional[str]:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def declared_charsets(data: bytes, http_charset: Optional[str] = None) -> list[str]:
    """Charsets the transport and the document declare, most authoritative first."""
    found: list[str] = []
    if http_charset:
        header = _HEADER_CHARSET.search(http_charset)
        codec = _codec(header.group(1) if header else http_charset)
        if codec:
            found.append(codec)
    meta = _META_CHARSET.search(data[:4096]) or _META_CHARSET.search(data[:65536])
    if meta:
        codec = _codec(meta.group(1).decode("ascii", "ignore"))
        if codec and codec not in found:
            found.append(codec)
    return found


def _strict(data: bytes, codec: str) -> Optional[str]:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _is_utf8_family(codec: str) -> bool:
    return codec.replace("_", "-").startswith("utf-8")


def decode_html(data: bytes | str, http_charset: Optional[str] = None) -> tuple[str, str]:
    """Return ``(text, encoding)`` for page bytes; text is Unicode NFC."""
    if isinstance(data, str):
        return unicodedata.normalize("NFC", data), "str"
    if not data:
        return "", "utf-8"
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = data.decode(codec, errors="replace")
            return unicodedata.normalize("NFC", text.lstrip("\ufeff")), codec.replace("-sig", "")

    declared = declared_charsets(data, http_charset)
    has_high_bytes = any(b > 0x7F for b in data)

    # valid multi-byte UTF-8 is practically never produced by a single-byte code page
    if has_high_bytes:
        text = _strict(data, "utf-8")
        if text is not None:
            return unicodedata.normalize("NFC", text), "utf-8"
    else:
        return data.decode("ascii"), (declared[0] if declared else "ascii")

    for codec in declared:
        if _is_utf8_family(codec):
            continue  # already failed above: the declaration is wrong
        text = _strict(data, codec)
        if text is not None:
            return unicodedata.normalize("NFC", text), codec

    detected = _detect(data)
    if detected:
        text = _strict(data, detected)
        if text is not None:
            return unicodedata.normalize("NFC", text), detected

    for codec in ("cp1258", "cp1252"):
        text = _strict(data, codec)
        if text is not None:
            return unicodedata.normalize("NFC", text), codec
    return unicodedata.normalize("NFC", data.decode("utf-8", errors="replace")), "utf-8"


def _detect(data: bytes) -> Optional[str]:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a trafilatura dependency
        return None
    # Vietnamese single-byte pages are nearly always windows-1258; favour it when plausible
    best = from_bytes(data[:200_000], cp_isolation=["cp1258", "cp1252"]).best()
    if best is None:
        return None
    return _codec(best.encoding)
