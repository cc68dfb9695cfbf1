"""Articles of the demo outlets: the bundled hand-written set and deterministic synthetic ones.

Pure data handling: loading ``data/articles.json``, building :class:`Article` records with
stable numeric ids and paths, and generating extra synthetic articles from phrase lists
(``crawler.demo.phrases``) with a seeded random generator. Dates never depend on today.
"""
from __future__ import annotations

import hashlib
import json
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable

from crawler.demo import phrases
from crawler.demo.outlets import BY_ID, OUTLETS

VN = timezone(timedelta(hours=7))
REFERENCE_NOW = datetime(2026, 11, 27, 9, 0, tzinfo=VN)   # the demo's fixed "today"
WINDOW_DAYS = 90
DATA_FILE = Path(__file__).with_name("data") / "articles.json"
BUNDLED_FIRST_ID = 1001
GENERATED_FIRST_ID = 200001

REQUIRED_KEYS = ("outlet", "slug", "title", "lead", "paragraphs", "author", "published", "category",
                 "relevant", "themes", "sentiment", "provinces", "ministries")


class DemoDataError(ValueError):
    """The bundled article file is malformed; the message names the record and the field."""


@dataclass
class Article:
    id: int
    outlet: str
    slug: str
    category: str
    title: str
    lead: str
    paragraphs: list[str]
    author: str
    published: datetime
    modified: datetime
    labels: dict = field(default_factory=dict)
    generated: bool = False

    @property
    def path(self) -> str:
        return f"/{self.outlet}/{self.category}/{self.slug}-{self.id}.html"

    @property
    def amp_path(self) -> str:
        return f"/{self.outlet}/amp/{self.category}/{self.slug}-{self.id}.html"

    @property
    def etag(self) -> str:
        digest = hashlib.sha1("\n".join([self.title, self.lead, *self.paragraphs]).encode("utf-8"))
        return '"' + digest.hexdigest()[:20] + '"'


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def slugify(text: str, limit: int = 80) -> str:
    """ASCII URL slug of a Vietnamese title (đ→d, tone marks dropped)."""
    text = nfc(text).replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:limit].rstrip("-") or "bai-viet"


def _parse_published(value: str, where: str) -> datetime:
    try:
        stamp = datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise DemoDataError(f"{where}: 'published' is not an ISO date: {value!r}") from exc
    if stamp.tzinfo is None:
        raise DemoDataError(f"{where}: 'published' needs an offset (+07:00): {value!r}")
    return stamp


def parse_bundled(records: Iterable[dict], source: str = str(DATA_FILE)) -> list[Article]:
    """Validate the bundled records and turn them into articles with stable ids (file order)."""
    articles: list[Article] = []
    seen: set[tuple[str, str]] = set()
    for index, rec in enumerate(records):
        where = f"{source} record {index}"
        if not isinstance(rec, dict):
            raise DemoDataError(f"{where}: expected an object, got {type(rec).__name__}")
        missing = [key for key in REQUIRED_KEYS if key not in rec]
        if missing:
            raise DemoDataError(f"{where} ({rec.get('slug', '?')}): missing {', '.join(missing)}")
        outlet = BY_ID.get(rec["outlet"])
        if outlet is None:
            raise DemoDataError(f"{where}: unknown outlet {rec['outlet']!r}")
        if rec["category"] not in {slug for slug, _ in outlet.categories}:
            raise DemoDataError(f"{where}: outlet {outlet.id} has no category {rec['category']!r}")
        if not isinstance(rec["paragraphs"], list) or not rec["paragraphs"]:
            raise DemoDataError(f"{where}: 'paragraphs' must be a non-empty list")
        key = (rec["outlet"], rec["slug"])
        if key in seen:
            raise DemoDataError(f"{where}: duplicate slug {rec['slug']!r} in {rec['outlet']}")
        seen.add(key)
        published = _parse_published(rec["published"], where)
        modified = _parse_published(rec["modified"], where) if rec.get("modified") else published
        labels = {key: rec[key] for key in ("relevant", "themes", "sentiment", "provinces", "ministries")}
        articles.append(Article(
            id=BUNDLED_FIRST_ID + index, outlet=rec["outlet"], slug=rec["slug"], category=rec["category"],
            title=nfc(rec["title"]), lead=nfc(rec["lead"]), paragraphs=[nfc(p) for p in rec["paragraphs"]],
            author=nfc(rec["author"]), published=published, modified=modified, labels=labels))
    return articles


def load_bundled(path: Path = DATA_FILE) -> list[Article]:
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DemoDataError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    if not isinstance(records, list):
        raise DemoDataError(f"{path}: expected a JSON list of articles")
    return parse_bundled(records, str(path))


def _weighted_outlets() -> list[str]:
    return [o.id for o in OUTLETS for _ in range(o.weight)]


def generate(count: int, seed: int = 7) -> list[Article]:
    """``count`` synthetic articles, deterministic from ``seed``, each with a unique title."""
    if count <= 0:
        return []
    rng = random.Random(seed)
    pool = _weighted_outlets()
    titles: set[str] = set()
    articles: list[Article] = []
    for n in range(count):
        outlet = BY_ID[pool[rng.randrange(len(pool))]]
        story = phrases.story(rng, outlet.province_current or None)
        title = story.title
        suffix = 2
        while title in titles:                       # the phrase space is large; this rarely loops
            title = f"{story.title} (kỳ {suffix})"
            suffix += 1
        titles.add(title)
        category = _category_for(outlet, story.relevant, rng)
        published = REFERENCE_NOW - timedelta(minutes=rng.randrange(WINDOW_DAYS * 24 * 60))
        articles.append(Article(
            id=GENERATED_FIRST_ID + n, outlet=outlet.id, slug=slugify(title, 70), category=category,
            title=title, lead=story.lead, paragraphs=story.paragraphs, author=story.author,
            published=published, modified=published + timedelta(minutes=rng.randrange(0, 240)),
            labels=story.labels, generated=True))
    return articles


def _category_for(outlet, relevant: bool, rng: random.Random) -> str:
    slugs = [slug for slug, _ in outlet.categories]
    return slugs[0] if relevant or len(slugs) == 1 else slugs[1 + rng.randrange(len(slugs) - 1)]
