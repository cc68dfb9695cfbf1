"""Spiders of the ReformWatch crawler: ``news`` (crawler/spiders/news.py)."""
