"""ArticleStore: what the crawler writes — outlets, articles, text versions, raw snapshots.

One store holds one session (one per spider, never one per item); ``save`` flushes, the
caller commits in batches (``commit()``). Outcomes of ``save(item)``:

* ``new``: first time this canonical URL is stored (version 1);
* ``duplicate``: new, but a near-duplicate of an earlier story (``storage.dedup``) — stored
  and linked through ``duplicate_of_id``;
* ``updated``: known URL whose text changed: a new ``ArticleVersion``, the article's current
  fields updated, ``annotated_version`` reset to NULL so the classifier re-annotates;
* ``unchanged``: known URL, same text (or an empty text: a bad fetch never overwrites what
  is stored).

Every call keeps the raw snapshot (gzip of the bytes as fetched, SHA-256 of the uncompressed
bytes, status, headers, fetch time, final URL) linked to the article and, for a new text, to
its version.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import os
import unicodedata
from typing import Any, Callable, Iterable, Mapping, Optional

from sqlalchemy import bindparam, insert, or_, select
from sqlalchemy.orm import Session, sessionmaker

from storage import dedup, runs
from storage.models import Article, ArticleVersion, Outlet, Snapshot, utcnow
from storage.dedup import fast_fold

OUTCOMES = ("new", "updated", "unchanged", "duplicate")


def _nfc(text: Optional[str]) -> Optional[str]:
    if text is None:
        return None
    try:
        from classifier.normalize import normalize_text  # type: ignore
    except ImportError:  # pragma: no cover - classifier not built yet
        return unicodedata.normalize("NFC", text)
    return normalize_text(text)


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def content_values(html: bytes | str | None) -> dict[str, Any]:
    """The evidence columns of a snapshot: gzip of the bytes as fetched, their SHA-256, length."""
    body = html or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return dict(
        content_gzip=gzip.compress(body, compresslevel=6, mtime=0),
        content_sha256=hashlib.sha256(body).hexdigest(),
        content_length=len(body),
    )


def snapshot_values(item: Mapping[str, Any], content: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    """The ``snapshots`` row of a fetched item (without ``article_id``); ``content`` is
    ``content_values(item["html"])`` when already computed."""
    headers = item.get("headers") or {}
    return dict(
        url=item["url"],
        final_url=item.get("final_url") or item["url"],
        fetched_at=item.get("fetched_at") or utcnow(),
        http_status=int(item.get("http_status") or 200),
        headers={str(k): str(v) for k, v in headers.items()},
        **(content if content is not None else content_values(item.get("html"))),
    )


def prepare(text: Optional[str], title: Optional[str], html: bytes | str | None, *, with_signature: bool = True) -> dict[str, Any]:
    """Everything ``ArticleStore.save`` derives from an item's text, title and page alone —
    pure and picklable, so the crawler computes it in its extraction worker process, off the
    process that talks to the database. ``save(item, prepared=…)`` uses it only when it was
    made from the same text, title and page bytes (``PREPARED_ATTR`` on the item)."""
    norm_text = _nfc(text or "") or ""
    norm_title = _nfc(title)
    folded = fast_fold(norm_text)
    sig = dedup.signature(folded, folded=True) if with_signature and norm_text.strip() else None
    return {
        "source": (text or "", title),
        "text": norm_text,
        "title": norm_title,
        "text_sha256": sha256_hex(norm_text),
        "folded": folded,
        "search_text": (fast_fold(norm_title) + " " + folded).strip(),
        "signature": sig,
        "has_signature": with_signature,
        "content": content_values(html),
    }


PREPARED_ATTR = "_rw_prepared"  # item attribute: (prepare(...) result, the page bytes it was made from)


def _prepared_for(item: Mapping[str, Any]) -> Optional[dict[str, Any]]:
    found = getattr(item, PREPARED_ATTR, None)
    if not found:
        return None
    prepared, html = found
    if html is not item.get("html") or prepared["source"] != (item.get("text") or "", item.get("title")):
        return None  # the item changed after it was prepared: derive again
    return prepared


def make_snapshot(item: Mapping[str, Any]) -> Snapshot:
    return Snapshot(**snapshot_values(item))


_ARTICLE_INSERT = insert(Article.__table__).returning(Article.__table__.c.id)
_SNAPSHOT_INSERT = insert(Snapshot.__table__).returning(Snapshot.__table__.c.id)
_VERSION_INSERT = insert(ArticleVersion.__table__)
_BY_CANONICAL = select(Article.__table__.c.canonical_url, Article.__table__.c.id).where(
    Article.__table__.c.canonical_url.in_(bindparam("urls", expanding=True))
)


class ArticleStore:
    """Writes crawl results; ``db`` is an SQLAlchemy URL (or None for the default database)."""

    def __init__(
        self,
        db: Optional[str] = None,
        *,
        session_factory: Optional[Callable[[], Session] | sessionmaker] = None,
        dedup_enabled: bool = True,
    ):
        if session_factory is None:
            from storage.db import get_engine

            # a parent that already migrated the schema (crawler/run.py) says so: skip Alembic
            migrate = os.environ.get("REFORMWATCH_SCHEMA_READY") != "1"
            session_factory = sessionmaker(bind=get_engine(db, migrate=migrate), expire_on_commit=False, future=True)
        self.session: Session = session_factory()
        self.dedup_enabled = dedup_enabled
        self.pending = 0
        self._urls: dict[Optional[str], dict[str, int]] = {}

    # ------------------------------------------------------------------ outlets
    def upsert_outlets(self, outlets: Iterable[Any]) -> int:
        """Insert or update the outlets of the registry (objects or mappings with the
        registry's fields). Returns how many were written."""
        outlets = list(outlets)
        # Several crawlers may start together on one database: insert the missing ids with
        # ON CONFLICT DO NOTHING first, so that a concurrent insert is not an error.
        ids = []
        for src in outlets:
            oid = src.get("id") if isinstance(src, Mapping) else getattr(src, "id", None)
            ids.append(oid)
        if ids:
            dialect = self.session.get_bind().dialect.name
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as dialect_insert
            else:
                from sqlalchemy.dialects.sqlite import insert as dialect_insert
            now = utcnow()
            self.session.execute(
                dialect_insert(Outlet).on_conflict_do_nothing(index_elements=["id"]),
                [{"id": oid, "name": oid, "domain": "", "kind": "national", "verified": True,
                  "consecutive_failures": 0, "consecutive_empty_runs": 0, "created_at": now, "updated_at": now}
                 for oid in dict.fromkeys(ids)],
            )
        n = 0
        existing = {o.id: o for o in self.session.scalars(select(Outlet).where(Outlet.id.in_(ids)))}
        for src in outlets:
            get = src.get if isinstance(src, Mapping) else (lambda k, s=src: getattr(s, k, None))
            oid = get("id")
            row = existing[oid]
            row.name = get("name") or oid
            row.domain = get("domain") or ""
            row.kind = get("kind") or "national"
            row.province = get("province")
            row.province_current = get("province_current")
            verified = get("verified")
            row.verified = True if verified is None else bool(verified)
            n += 1
        self.session.flush()
        return n

    # ------------------------------------------------------------------ incremental
    def known_urls(self, outlet_id: Optional[str] = None) -> dict[str, Optional[dt.datetime]]:
        """canonical URL (and first-seen URL) -> last fetch time, for one outlet (or all).

        One query: the spider loads this once per outlet at start.
        """
        q = select(Article.canonical_url, Article.url, Article.last_fetched_at)
        if outlet_id is not None:
            q = q.where(Article.outlet_id == outlet_id)
        known: dict[str, Optional[dt.datetime]] = {}
        for canonical, url, fetched in self.session.execute(q):
            known[canonical] = fetched
            if url and url not in known:
                known[url] = fetched
        return known

    def find(self, url: str) -> Optional[Article]:
        return self.session.scalar(
            select(Article).where(or_(Article.canonical_url == url, Article.url == url)).limit(1)
        )

    # ------------------------------------------------------------------ save
    def _lookup(self, outlet_id: Optional[str], canonical: str, url: str) -> Optional[Article]:
        """The stored article for these addresses: by canonical URL (unique index; one id-only
        query for both addresses), else by either address in the outlet's URL map (canonical
        and first-seen URLs, loaded once per outlet)."""
        addresses = [canonical] if url == canonical else [canonical, url]
        found = dict(self.session.connection().execute(_BY_CANONICAL, {"urls": addresses}).all())
        aid = found.get(canonical) or found.get(url)
        if aid is None:
            index = self._urls.get(outlet_id)
            if index is None:
                index = {}
                q = select(Article.id, Article.canonical_url, Article.url).where(Article.outlet_id == outlet_id)
                for row_id, can, first in self.session.execute(q):
                    index[can] = row_id
                    index.setdefault(first, row_id)
                self._urls[outlet_id] = index
            aid = index.get(canonical) or index.get(url)
        return self.session.get(Article, aid) if aid is not None else None

    def save(self, item: Mapping[str, Any]) -> str:
        """Store one fetched article; returns new | updated | unchanged | duplicate."""
        session = self.session
        canonical = item.get("canonical_url") or item["url"]
        published = item.get("published")
        if published is not None and published.tzinfo is None:
            raise ValueError(f"naive published datetime for {canonical}")
        prep = _prepared_for(item) or prepare(item.get("text"), item.get("title"), item.get("html"), with_signature=False)
        text, title, text_sha, folded = prep["text"], prep["title"], prep["text_sha256"], prep["folded"]
        fetched_at = item.get("fetched_at") or utcnow()
        snap = snapshot_values(item, prep["content"])
        art = self._lookup(item.get("outlet_id"), canonical, item.get("url") or canonical)
        self.pending += 1

        if art is None:
            if not text.strip():
                raise ValueError(f"no article text for {canonical}")
            # Core inserts, no ORM unit of work: the article (with its MinHash signature),
            # its snapshot, version 1 and its LSH bands; the ORM object is loaded only when
            # the article turns out to be a near-duplicate (dedup.index_new_article)
            sig = None
            if self.dedup_enabled:
                sig = prep["signature"] if prep["has_signature"] else dedup.signature(folded, folded=True)
            session.flush()  # anything pending goes first, as an ORM add would have done
            conn = session.connection()
            outlet_id, first_url = item.get("outlet_id"), item.get("url") or canonical
            art_id = conn.execute(_ARTICLE_INSERT, dict(
                outlet_id=outlet_id,
                url=first_url,
                canonical_url=canonical,
                title=title,
                author=item.get("author"),
                published=published,
                text=text,
                text_sha256=text_sha,
                search_text=prep["search_text"],
                version_count=1,
                first_seen_at=fetched_at,
                last_fetched_at=fetched_at,
                minhash=dedup.to_bytes(sig) if sig is not None else None,
            )).scalar_one()
            index = self._urls.get(outlet_id)
            if index is not None:
                index[canonical] = art_id
                index.setdefault(first_url, art_id)
            snap_id = conn.execute(_SNAPSHOT_INSERT, dict(snap, article_id=art_id)).scalar_one()
            conn.execute(_VERSION_INSERT, dict(
                article_id=art_id, version=1, title=title, text=text, text_sha256=text_sha,
                published=published, fetched_at=fetched_at, snapshot_id=snap_id,
            ))
            dup = dedup.index_new_article(session, art_id, sig) if self.dedup_enabled else None
            return "duplicate" if dup else "new"

        snap = Snapshot(**snap)
        snap.article_id = art.id
        session.add(snap)
        art.last_fetched_at = fetched_at
        if not text.strip() or text_sha == art.text_sha256:
            session.flush()
            return "unchanged"
        session.flush()
        version = (art.version_count or 1) + 1
        session.add(
            ArticleVersion(
                article_id=art.id, version=version, title=title, text=text, text_sha256=text_sha,
                published=published or art.published, fetched_at=fetched_at, snapshot_id=snap.id,
            )
        )
        art.version_count = version
        art.text = text
        art.text_sha256 = text_sha
        if title:
            art.title = title
        if published is not None:
            art.published = published
        if item.get("author"):
            art.author = item.get("author")
        art.search_text = (fast_fold(art.title) + " " + folded).strip()
        art.annotated_version = None
        if self.dedup_enabled:
            dedup.index_article(session, art, folded, folded=True)
        session.flush()
        return "updated"

    # ------------------------------------------------------------------ runs / errors
    def start_run(self, **kwargs) -> int:
        run_id = runs.start_run(self.session, **kwargs)
        self.session.commit()
        return run_id

    def record_error(self, *, run_id, outlet_id, url, stage, reason, http_status=None) -> None:
        runs.record_error(
            self.session, run_id=run_id, outlet_id=outlet_id, url=url, stage=stage, reason=reason,
            http_status=http_status,
        )
        self.pending += 1

    def finish_run(self, run_id: int, counts, *, status="finished", stats=None) -> None:
        self.commit()
        runs.finish_run(self.session, run_id, counts, status=status, stats=stats)
        self.session.commit()

    # ------------------------------------------------------------------ transactions
    def commit(self) -> None:
        try:
            self.session.commit()
        except Exception:
            self.session.rollback()
            raise
        finally:
            self.pending = 0

    def rollback(self) -> None:
        self.session.rollback()
        self.pending = 0
        self._urls.clear()  # rolled-back inserts must not stay known

    def close(self) -> None:
        try:
            if self.pending:
                self.commit()
        finally:
            self.session.close()
