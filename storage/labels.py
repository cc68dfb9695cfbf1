"""Effective labels: what an article *is* for coverage, lists and exports.

An article's labels come from the current model's annotation until a reviewer confirms or
corrects them; from then on the review wins (a new model version still records its
annotation, but does not overwrite reviewed labels). Every change of the effective labels
rebuilds the article's rows in ``coverage_facts`` / ``ministry_facts``, the denormalised
tables the coverage queries read.

Called by: ``reformwatch annotate`` (apply_annotation), the review app (apply_review).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import Annotation, Article, AuditEntry, CoverageFact, MinistryFact, Review, utcnow

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
LABEL_FIELDS = ("relevant", "themes", "sentiment", "provinces", "ministries")


def _default_province_to_current() -> Callable[[str], str]:
    try:
        from classifier.gazetteer import province_to_current  # type: ignore
    except ImportError:  # gazetteer not available: names are kept as they are
        return lambda name: name
    return province_to_current


def _default_ministry_to_current() -> Callable[[str], str]:
    try:
        from classifier.gazetteer import ministry_to_current  # type: ignore
    except ImportError:
        return lambda name: name
    return ministry_to_current


def local_day(article: Article) -> dt.date:
    when = article.published or article.first_seen_at or utcnow()
    return when.astimezone(VN_TZ).date()


def labels_of(article: Article) -> dict[str, Any]:
    return {
        "relevant": article.relevant,
        "themes": list(article.themes or []),
        "sentiment": article.sentiment,
        "provinces": list(article.provinces or []),
        "ministries": list(article.ministries or []),
    }


def refresh_facts(
    session: Session,
    article: Article,
    *,
    province_to_current: Optional[Callable[[str], str]] = None,
    ministry_to_current: Optional[Callable[[str], str]] = None,
) -> None:
    """Rebuild the article's coverage rows from its effective labels."""
    session.execute(delete(CoverageFact).where(CoverageFact.article_id == article.id))
    session.execute(delete(MinistryFact).where(MinistryFact.article_id == article.id))
    if not article.relevant or article.duplicate_of_id is not None:
        return
    p2c = province_to_current or _default_province_to_current()
    m2c = ministry_to_current or _default_ministry_to_current()
    day = local_day(article)
    themes = list(dict.fromkeys(article.themes or [])) or [""]
    sentiment = article.sentiment or "neutral"
    outlet = article.outlet
    kind = outlet.kind if outlet else None
    provinces = list(dict.fromkeys(article.provinces or [])) or [""]
    for province in provinces:
        current = p2c(province) if province else ""
        own = bool(outlet and province and (province in (outlet.province, outlet.province_current)
                                             or current == outlet.province_current))
        for theme in themes:
            session.add(CoverageFact(
                article_id=article.id, day=day, province=province, province_current=current,
                theme=theme, sentiment=sentiment, outlet_id=article.outlet_id, outlet_kind=kind, own_press=own,
            ))
    for ministry in dict.fromkeys(article.ministries or []):
        for theme in themes:
            session.add(MinistryFact(
                article_id=article.id, day=day, ministry=ministry, ministry_current=m2c(ministry),
                theme=theme, sentiment=sentiment, outlet_kind=kind,
            ))


def apply_annotation(session: Session, article: Article, result: dict[str, Any], model_version: str) -> Annotation:
    """Record one model version's output for ``article`` (a ``classify`` record).

    Re-applying the same version replaces its annotation. Effective labels follow the
    model unless the article was reviewed.
    """
    ann = session.scalar(
        select(Annotation).where(Annotation.article_id == article.id, Annotation.model_version == model_version)
    )
    if ann is None:
        ann = Annotation(article_id=article.id, model_version=model_version)
        session.add(ann)
    ann.relevant = bool(result["relevant"])
    ann.relevance_score = float(result["relevance_score"])
    ann.themes = list(result.get("themes") or [])
    ann.theme_scores = dict(result.get("theme_scores") or {})
    ann.sentiment = result["sentiment"]
    ann.sentiment_scores = dict(result.get("sentiment_scores") or {})
    ann.provinces = list(result.get("provinces") or [])
    ann.provinces_current = list(result.get("provinces_current") or [])
    ann.ministries = list(result.get("ministries") or [])
    ann.ministries_current = list(result.get("ministries_current") or [])
    ann.explanations = result.get("explanations")
    ann.created_at = utcnow()
    article.annotated_version = model_version
    article.relevance_score = ann.relevance_score
    if article.review_status == "unreviewed":
        article.relevant = ann.relevant
        article.themes = ann.themes
        article.sentiment = ann.sentiment
        article.provinces = ann.provinces
        article.provinces_current = ann.provinces_current
        article.ministries = ann.ministries
        article.ministries_current = ann.ministries_current
        session.flush()
        refresh_facts(session, article)
    return ann


def apply_review(
    session: Session,
    article: Article,
    *,
    reviewer: str,
    labels: Optional[dict[str, Any]] = None,
    note: Optional[str] = None,
    action: Optional[str] = None,
    province_to_current: Optional[Callable[[str], str]] = None,
    ministry_to_current: Optional[Callable[[str], str]] = None,
) -> Review:
    """Confirm (``labels`` None or equal to the current ones) or correct the article's labels.

    Writes the review, the audit entry (before -> after) and rebuilds the coverage rows.
    """
    before = labels_of(article)
    before_status = article.review_status
    after = dict(before)
    for key, value in (labels or {}).items():
        if key not in LABEL_FIELDS:
            raise ValueError(f"unknown label field {key!r}; expected one of {', '.join(LABEL_FIELDS)}")
        after[key] = list(value) if isinstance(value, (list, tuple)) else value
    if after["relevant"] is None or after["sentiment"] is None:
        raise ValueError("an article without relevance or sentiment cannot be confirmed: set them first")
    if not after["relevant"]:
        after["themes"] = []
    status = "corrected" if after != before else "confirmed"
    p2c = province_to_current or _default_province_to_current()
    m2c = ministry_to_current or _default_ministry_to_current()

    review = session.get(Review, article.id)
    if review is None:
        review = Review(article_id=article.id)
        session.add(review)
    # A correction stays a correction when later confirmed again.
    if review.status == "corrected" and status == "confirmed":
        status = "corrected"
    review.status = status
    review.relevant = bool(after["relevant"])
    review.themes = after["themes"]
    review.sentiment = after["sentiment"]
    review.provinces = after["provinces"]
    review.ministries = after["ministries"]
    review.note = note
    review.reviewer = reviewer
    review.reviewed_at = utcnow()

    article.relevant = review.relevant
    article.themes = review.themes
    article.sentiment = review.sentiment
    article.provinces = review.provinces
    article.provinces_current = list(dict.fromkeys(p2c(p) for p in review.provinces))
    article.ministries = review.ministries
    article.ministries_current = list(dict.fromkeys(m2c(m) for m in review.ministries))
    article.review_status = status

    session.add(AuditEntry(
        username=reviewer, action=action or ("correct" if after != before else "confirm"),
        article_id=article.id, before=dict(before, review_status=before_status), after=dict(after, note=note, review_status=status),
    ))
    session.flush()
    refresh_facts(session, article, province_to_current=p2c, ministry_to_current=m2c)
    return review


def reviewed_labels(session: Session) -> Iterable[tuple[Article, Review]]:
    """Every confirmed or corrected article with its review: what ``reformwatch train`` adds to the corpus."""
    stmt = select(Article, Review).join(Review, Review.article_id == Article.id).order_by(Article.id)
    for article, review in session.execute(stmt).all():
        yield article, review
