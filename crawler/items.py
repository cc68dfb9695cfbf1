"""Items: what a spider hands to the pipelines (contract in docs/architecture.md)."""
from __future__ import annotations

import scrapy


class ArticleItem(scrapy.Item):
    """One fetched article page.

    The spider fills what it fetched (``outlet_id, url, html, http_status, headers,
    fetched_at, final_url``); ``ExtractionPipeline`` fills what the page says
    (``canonical_url, title, published, author, text``); ``StoragePipeline`` stores it.
    """

    outlet_id = scrapy.Field()
    url = scrapy.Field()  # canonicalised URL as discovered and requested
    canonical_url = scrapy.Field()  # the page's rel=canonical (canonicalised) when it is the outlet's
    title = scrapy.Field()
    published = scrapy.Field()  # timezone-aware datetime or None
    author = scrapy.Field()
    text = scrapy.Field()
    html = scrapy.Field()  # bytes exactly as fetched
    http_status = scrapy.Field()
    headers = scrapy.Field()  # dict str -> str
    fetched_at = scrapy.Field()  # timezone-aware datetime (UTC)
    final_url = scrapy.Field()  # after redirects
