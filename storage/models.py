"""SQLAlchemy 2 models: the one place where the stages meet.

crawler  -> outlets, articles, article_versions, snapshots, crawl_runs, crawl_source_stats, fetch_errors
classifier (annotate) -> annotations, article_mentions, and the *effective labels*
reviewers -> reviews, audit_log (effective labels follow the review when there is one)
coverage queries / exports -> coverage_facts (one row per relevant, non-duplicate article x province x theme)

Datetimes are stored in UTC and come back timezone-aware (see ``UTCDateTime``);
callers convert to Asia/Ho_Chi_Minh for display.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# 64-bit ids on PostgreSQL, INTEGER PRIMARY KEY (rowid) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes stored as UTC on every backend.

    SQLite has no time zone type: naive values read back are UTC by construction.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[dt.datetime], dialect) -> Optional[dt.datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware datetimes only")
        value = value.astimezone(dt.timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Optional[dt.datetime], dialect) -> Optional[dt.datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONType, list[Any]: JSONType}


# --------------------------------------------------------------------------- outlets
class Outlet(Base):
    """A news outlet from the source registry (crawler/sources.toml)."""

    __tablename__ = "outlets"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    domain: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # national | local | specialized | government_portal
    province: Mapped[Optional[str]] = mapped_column(Text)  # home province, 63-province era name
    province_current: Mapped[Optional[str]] = mapped_column(Text)  # after 1 July 2025
    verified: Mapped[bool] = mapped_column(Boolean, default=True)
    # source health, updated after each crawl run
    last_run_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    last_success_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    consecutive_empty_runs: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# --------------------------------------------------------------------------- articles
class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    outlet_id: Mapped[Optional[str]] = mapped_column(ForeignKey("outlets.id"), index=True)
    url: Mapped[str] = mapped_column(Text)  # first address it was found at
    canonical_url: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[Optional[str]] = mapped_column(Text)
    author: Mapped[Optional[str]] = mapped_column(Text)
    published: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime, index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    text_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    # lower-cased, diacritics folded title + text: diacritic-insensitive search
    search_text: Mapped[Optional[str]] = mapped_column(Text)
    version_count: Mapped[int] = mapped_column(Integer, default=1)
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_fetched_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # near-duplicate detection (MinHash signature; bands in minhash_bands)
    minhash: Mapped[Optional[bytes]] = mapped_column(LargeBinary)
    duplicate_of_id: Mapped[Optional[int]] = mapped_column(ForeignKey("articles.id"), index=True)
    duplicate_similarity: Mapped[Optional[float]] = mapped_column(Float)

    # annotation bookkeeping: the model version of the latest annotation (NULL = pending)
    annotated_version: Mapped[Optional[str]] = mapped_column(String(64), index=True)

    # effective labels: the reviewer's when reviewed, else the current model's
    relevant: Mapped[Optional[bool]] = mapped_column(Boolean, index=True)
    relevance_score: Mapped[Optional[float]] = mapped_column(Float)
    sentiment: Mapped[Optional[str]] = mapped_column(String(16))
    themes: Mapped[Optional[list[Any]]] = mapped_column(JSONType)
    provinces: Mapped[Optional[list[Any]]] = mapped_column(JSONType)
    provinces_current: Mapped[Optional[list[Any]]] = mapped_column(JSONType)
    ministries: Mapped[Optional[list[Any]]] = mapped_column(JSONType)
    ministries_current: Mapped[Optional[list[Any]]] = mapped_column(JSONType)
    review_status: Mapped[str] = mapped_column(String(16), default="unreviewed", index=True)

    outlet: Mapped[Optional[Outlet]] = relationship(lazy="joined")
    versions: Mapped[list["ArticleVersion"]] = relationship(
        back_populates="article", order_by="ArticleVersion.version", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_articles_published_id", "published", "id"),
        Index("ix_articles_url", "url"),  # the address it was first found at: redirects, known URLs
    )


class MinhashBand(Base):
    """LSH bands of an article's MinHash: articles sharing a band are duplicate candidates."""

    __tablename__ = "minhash_bands"

    band: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # band index and hash, packed
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)


class Snapshot(Base):
    """A raw HTTP capture, kept as evidence: the body as fetched (gzip), its SHA-256, status, headers."""

    __tablename__ = "snapshots"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    article_id: Mapped[Optional[int]] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)  # requested URL
    final_url: Mapped[Optional[str]] = mapped_column(Text)  # after redirects
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    http_status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONType)
    content_gzip: Mapped[bytes] = mapped_column(LargeBinary)
    content_sha256: Mapped[str] = mapped_column(String(64))  # of the uncompressed body
    content_length: Mapped[int] = mapped_column(Integer)


class ArticleVersion(Base):
    """Each distinct text an article had; version 1 is the first fetch."""

    __tablename__ = "article_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[Optional[str]] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    published: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    snapshot_id: Mapped[Optional[int]] = mapped_column(ForeignKey("snapshots.id"))

    article: Mapped[Article] = relationship(back_populates="versions")
    __table_args__ = (UniqueConstraint("article_id", "version"),)


# --------------------------------------------------------------------------- crawl runs
class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|finished|failed
    spider: Mapped[str] = mapped_column(String(64), default="news")
    group: Mapped[Optional[str]] = mapped_column(String(64))  # schedule group, when scheduled
    args: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONType)
    host: Mapped[Optional[str]] = mapped_column(String(255))
    pid: Mapped[Optional[int]] = mapped_column(Integer)
    stats: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONType)


class CrawlSourceStat(Base):
    """Per-source counters of one run: every outcome counted, errors as visible as successes."""

    __tablename__ = "crawl_source_stats"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True)
    outlet_id: Mapped[str] = mapped_column(ForeignKey("outlets.id"), index=True)
    pages: Mapped[int] = mapped_column(Integer, default=0)  # responses received
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)  # known URLs not re-downloaded, out of window
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (UniqueConstraint("run_id", "outlet_id"),)


class FetchError(Base):
    __tablename__ = "fetch_errors"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[Optional[int]] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True)
    outlet_id: Mapped[Optional[str]] = mapped_column(ForeignKey("outlets.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(String(32))  # feed | sitemap | listing | article | store
    reason: Mapped[str] = mapped_column(Text)
    http_status: Mapped[Optional[int]] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# --------------------------------------------------------------------------- annotations
class Annotation(Base):
    """One model version's output for one article (kept: versions are comparable)."""

    __tablename__ = "annotations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    model_version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    relevant: Mapped[bool] = mapped_column(Boolean)
    relevance_score: Mapped[float] = mapped_column(Float)
    themes: Mapped[list[Any]] = mapped_column(JSONType)
    theme_scores: Mapped[dict[str, Any]] = mapped_column(JSONType)
    sentiment: Mapped[str] = mapped_column(String(16))
    sentiment_scores: Mapped[dict[str, Any]] = mapped_column(JSONType)
    provinces: Mapped[Optional[list[Any]]] = mapped_column(JSONType)
    provinces_current: Mapped[Optional[list[Any]]] = mapped_column(JSONType)
    ministries: Mapped[Optional[list[Any]]] = mapped_column(JSONType)
    ministries_current: Mapped[Optional[list[Any]]] = mapped_column(JSONType)
    explanations: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONType)  # decision -> top terms
    __table_args__ = (UniqueConstraint("article_id", "model_version"),)


class ArticleMention(Base):
    """A locality or ministry found in an article's text."""

    __tablename__ = "article_mentions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # province | ministry
    name: Mapped[str] = mapped_column(Text)  # canonical, as the text means it (former division)
    name_current: Mapped[Optional[str]] = mapped_column(Text)  # mapped to the current division
    level: Mapped[Optional[str]] = mapped_column(String(16))  # province | district | commune
    surface: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)  # first character offset in title + "\n" + text
    count: Mapped[int] = mapped_column(Integer, default=1)
    in_title: Mapped[bool] = mapped_column(Boolean, default=False)
    in_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    role: Mapped[str] = mapped_column(String(16))  # subject | passing


# --------------------------------------------------------------------------- review
class Review(Base):
    """The reviewer's labels for an article (the latest state; history is in audit_log)."""

    __tablename__ = "reviews"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # confirmed | corrected
    relevant: Mapped[bool] = mapped_column(Boolean)
    themes: Mapped[list[Any]] = mapped_column(JSONType)
    sentiment: Mapped[str] = mapped_column(String(16))
    provinces: Mapped[list[Any]] = mapped_column(JSONType)
    ministries: Mapped[list[Any]] = mapped_column(JSONType)
    note: Mapped[Optional[str]] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(64))
    reviewed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))  # viewer | reviewer | admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # confirm | correct | bulk_confirm | user_add ...
    article_id: Mapped[Optional[int]] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"), index=True)
    before: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONType)
    after: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONType)


# --------------------------------------------------------------------------- coverage
class CoverageFact(Base):
    """Denormalised coverage: one row per relevant, non-duplicate article x province x theme.

    ``theme`` is '' for a relevant article without theme, ``province`` '' for one without
    province (kept so that totals and ministry-only coverage still count). Rebuilt from the
    effective labels whenever they change (storage.labels.refresh_facts).
    """

    __tablename__ = "coverage_facts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)  # publication date in Asia/Ho_Chi_Minh
    province: Mapped[str] = mapped_column(Text)  # as the text means it (former division)
    province_current: Mapped[str] = mapped_column(Text)
    theme: Mapped[str] = mapped_column(String(32))
    sentiment: Mapped[str] = mapped_column(String(16))
    outlet_id: Mapped[Optional[str]] = mapped_column(String(64))
    outlet_kind: Mapped[Optional[str]] = mapped_column(String(32))
    own_press: Mapped[bool] = mapped_column(Boolean, default=False)  # outlet's home province

    __table_args__ = (
        Index("ix_cov_day_cur", "day", "province_current", "theme", "sentiment", "article_id"),
        Index("ix_cov_day_former", "day", "province", "theme", "sentiment", "article_id"),
    )


class MinistryFact(Base):
    """One row per relevant, non-duplicate article x ministry x theme."""

    __tablename__ = "ministry_facts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    ministry: Mapped[str] = mapped_column(Text)
    ministry_current: Mapped[str] = mapped_column(Text)
    theme: Mapped[str] = mapped_column(String(32))
    sentiment: Mapped[str] = mapped_column(String(16))
    outlet_kind: Mapped[Optional[str]] = mapped_column(String(32))

    __table_args__ = (Index("ix_minfact_day", "day", "ministry_current", "theme", "sentiment", "article_id"),)
