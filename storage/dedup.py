"""Near-duplicate detection of syndicated stories: MinHash + LSH bands in the database.

Method (see docs/crawling.md, "Duplicates"):

* the text is folded (``storage.search.fold``: lower case, no diacritics, single spaces) and
  cut into overlapping 5-word shingles;
* a 128-permutation MinHash (datasketch) of the shingles is stored in ``articles.minhash``
  (128 little-endian uint32);
* the first 125 values are cut into 25 bands of 5 rows; each band is hashed (BLAKE2b, 56 bits)
  and packed with its band index into one signed 64-bit integer, stored in
  ``minhash_bands(band, article_id)``. Articles sharing a band are *candidates*, found by one
  indexed ``band IN (…)`` query — this works across processes and machines since the index is
  the database itself. With 25×5 bands the chance to become a candidate is 99 % at Jaccard
  0.7, 55 % at 0.5 and 6 % at 0.3;
* candidates are verified with the Jaccard similarity estimated from both stored signatures;
  at or above ``THRESHOLD`` (0.7) the article is a duplicate of the group's original, the
  earliest-published (else first-stored) article. Duplicates are stored, never dropped.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Iterable, Optional

import numpy as np
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from storage.models import Article, MinhashBand
from storage.search import fold

NUM_PERM = 128
BANDS = 25
ROWS = 5
SHINGLE = 5
THRESHOLD = 0.7
_SEED = 1
_WORD = re.compile(r"\w+", re.UNICODE)
_MINHASH: list = []  # [MinHash class, template with the permutations, extra kwargs], on first use


def _minhash():
    """datasketch, imported on first use: it pulls in scipy (≈ 0.8 s), which a crawl process
    whose signatures are computed in its extraction workers never needs."""
    if not _MINHASH:
        from datasketch import MinHash

        try:  # datasketch >= 2.0 names its hashing scheme; stored signatures depend on it
            template = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme="affine32")  # permutations computed once
            extra = {"scheme": "affine32"}
        except TypeError:  # pragma: no cover - datasketch 1.x
            template = MinHash(num_perm=NUM_PERM, seed=_SEED)
            extra = {}
        _MINHASH[:] = [MinHash, template, extra]
    return _MINHASH


def _fold_table() -> dict[int, str]:
    table = {}
    for code in list(range(0x41, 0x5B)) + list(range(0x80, 0x2100)):
        ch = chr(code)
        table[code] = " " if ch.isspace() else fold(ch)
    return table


_FOLD_TABLE = _fold_table()
_NOT_IN_TABLE = re.compile(r"[^\x00-\u20ff]")
_SPACES = re.compile(r"\s+")


def fast_fold(text: Optional[str]) -> str:
    """``storage.search.fold`` (same result, tested) at table speed for Latin/Vietnamese text."""
    if not text:
        return ""
    if _NOT_IN_TABLE.search(text):
        return fold(text)
    return _SPACES.sub(" ", text.translate(_FOLD_TABLE)).strip()


def shingles(text: str, size: int = SHINGLE, *, folded: bool = False) -> set[bytes]:
    words = _WORD.findall(text if folded else fast_fold(text))
    if not words:
        return set()
    if len(words) <= size:
        return {" ".join(words).encode("utf-8")}
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


def signature(text: str, *, folded: bool = False) -> Optional[np.ndarray]:
    """The MinHash signature of ``text`` (uint32 array of NUM_PERM), None for an empty text."""
    sh = shingles(text, folded=folded)
    if not sh:
        return None
    minhash, template, extra = _minhash()
    mh = minhash(num_perm=NUM_PERM, seed=_SEED, permutations=template.permutations, **extra)
    mh.update_batch(sh)
    return mh.hashvalues.astype(np.uint32)


def to_bytes(sig: np.ndarray) -> bytes:
    return sig.astype("<u4").tobytes()


def from_bytes(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u4")


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    if a is None or b is None or len(a) != len(b):
        return 0.0
    return float(np.count_nonzero(a == b)) / len(a)


def band_keys(sig: np.ndarray) -> list[int]:
    """The LSH band keys: band index in the top byte, 56 bits of the band's hash below."""
    keys = []
    raw = sig.astype("<u4")
    for i in range(BANDS):
        digest = hashlib.blake2b(raw[i * ROWS : (i + 1) * ROWS].tobytes(), digest_size=7).digest()
        keys.append((i << 56) | int.from_bytes(digest, "big"))  # < 2**63: fits a signed BIGINT
    return keys


def _sort_key(art: Article) -> tuple:
    far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    return (art.published or far, art.id or 0)


_BANDS = MinhashBand.__table__
_ARTICLES = Article.__table__
_CANDIDATES = select(_BANDS.c.article_id).where(_BANDS.c.band.in_(bindparam("keys", expanding=True))).distinct()
_SIGNATURES = select(_ARTICLES.c.id, _ARTICLES.c.minhash).where(_ARTICLES.c.id.in_(bindparam("ids", expanding=True)))


def find_candidates(
    session: Session, article_id: Optional[int], sig: np.ndarray, keys: Optional[list[int]] = None
) -> list[tuple[int, float]]:
    """(article id, estimated Jaccard) of stored articles sharing a band with ``sig``, ≥ THRESHOLD."""
    keys = band_keys(sig) if keys is None else keys
    conn = session.connection()  # statements built once (expanding IN): no ORM compile per call
    ids = [i for (i,) in conn.execute(_CANDIDATES, {"keys": keys}) if i != article_id]
    if not ids:
        return []
    out = []
    for aid, blob in conn.execute(_SIGNATURES, {"ids": ids}):
        if blob is None:
            continue
        sim = similarity(sig, from_bytes(blob))
        if sim >= THRESHOLD:
            out.append((aid, sim))
    return out


def index_article(
    session: Session, article: Article, text: Optional[str] = None, *, folded: bool = False, new: bool = False
) -> Optional[tuple[int, float]]:
    """(Re)compute ``article``'s signature and bands, link it to its duplicate group.

    ``article`` must be flushed (have an id); ``folded`` says ``text`` is already folded;
    ``new`` skips deleting old bands. Returns (original_id, similarity) when it is a
    duplicate, else None. When the new article was published before the group's original,
    it becomes the original and the group is re-pointed to it.
    """
    sig = signature(text if text is not None else article.text, folded=folded and text is not None)
    if not new:
        session.execute(delete(MinhashBand).where(MinhashBand.article_id == article.id))
    if sig is None:
        article.minhash = None
        return None
    article.minhash = to_bytes(sig)
    return _link(session, article, sig)


def index_new_article(session: Session, article_id: int, sig: Optional[np.ndarray]) -> Optional[tuple[int, float]]:
    """``index_article`` for an article just inserted (``article_id``) with
    ``minhash = to_bytes(sig)``: no old bands to delete, no signature to recompute, and the
    ORM object is loaded only when there is a near-duplicate to link (the crawler's hot path)."""
    if sig is None:
        return None
    keys = band_keys(sig)
    matches = find_candidates(session, article_id, sig, keys)
    session.connection().execute(_BAND_INSERT, [{"band": k, "article_id": article_id} for k in keys])
    if not matches:
        return None
    return _resolve(session, session.get(Article, article_id), matches)


_BAND_INSERT = insert(MinhashBand.__table__)


def _link(session: Session, article: Article, sig: np.ndarray) -> Optional[tuple[int, float]]:
    keys = band_keys(sig)
    with session.no_autoflush:
        matches = find_candidates(session, article.id, sig, keys)
    session.connection().execute(_BAND_INSERT, [{"band": k, "article_id": article.id} for k in keys])
    return _resolve(session, article, matches)


def _resolve(session: Session, article: Article, matches: list[tuple[int, float]]) -> Optional[tuple[int, float]]:
    """Link ``article`` to its duplicate group given its verified candidates."""
    if not matches:
        if article.duplicate_of_id is not None:
            article.duplicate_of_id = None
            article.duplicate_similarity = None
        return None
    # resolve each match to its group's original
    roots: dict[int, tuple[Article, float]] = {}
    for aid, sim in matches:
        art = session.get(Article, aid)
        root = art
        if art.duplicate_of_id is not None:
            root = session.get(Article, art.duplicate_of_id) or art
        best = roots.get(root.id)
        if best is None or sim > best[1]:
            roots[root.id] = (root, sim)
    original = min((r for r, _ in roots.values()), key=_sort_key)
    sim = max(s for _, s in matches)
    if _sort_key(article) < _sort_key(original):
        # the newcomer is older: it becomes the original of every matched group
        for root, root_sim in roots.values():
            session.execute(
                update(Article)
                .where(Article.duplicate_of_id == root.id)
                .values(duplicate_of_id=article.id)
                .execution_options(synchronize_session="fetch")
            )
            root.duplicate_of_id = article.id
            root.duplicate_similarity = root_sim
        article.duplicate_of_id = None
        article.duplicate_similarity = None
        return None
    article.duplicate_of_id = original.id
    article.duplicate_similarity = round(sim, 4)
    return original.id, article.duplicate_similarity


def pair_similarity(text_a: str, text_b: str) -> float:
    """Estimated Jaccard of two texts (for measurements and docs)."""
    return similarity(signature(text_a), signature(text_b))


def exact_jaccard(text_a: str, text_b: str) -> float:
    a, b = shingles(text_a), shingles(text_b)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


__all__: Iterable[str] = [
    "THRESHOLD", "signature", "band_keys", "similarity", "find_candidates", "index_article", "index_new_article",
    "pair_similarity", "exact_jaccard", "shingles",
]
