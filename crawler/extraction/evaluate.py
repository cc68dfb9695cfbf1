"""Score extraction against hand-read truth: ``python -m crawler.extraction.evaluate DIR``.

DIR holds saved pages and ``truth.jsonl`` (one object per page: file, kind article|listing,
url, title, published, author, body_first, body_last, body_chars). Figures are computed for
``extract_article`` and for bare ``trafilatura.bare_extraction(with_metadata=True)`` on the
same pages:

* title: exact match after whitespace collapsing and NFC
* published: same instant to the minute (truth carries an offset)
* author: exact match (None when the page has no personal author)
* body complete: body_first and body_last both in the text and at most 10 % (+20 chars)
  more text than the true body (extra text is menu/related/caption junk)
* "no rules" column: extract_article with rules=[] (what an outlet without rules gets)
* listing: listing pages reported as not articles (ours only; trafilatura has no such flag)
"""
from __future__ import annotations

import json
import sys
import time
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

JUNK_ALLOWANCE = 0.10


def _norm(text: Optional[str]) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def load_truth(directory: Path) -> list[dict]:
    rows = []
    with open(directory / "truth.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def same_minute(found: Optional[datetime], truth: Optional[str]) -> bool:
    if truth is None:
        return found is None
    if found is None:
        return False
    expected = datetime.fromisoformat(truth)
    return abs((found - expected).total_seconds()) < 60 and found.replace(second=0, microsecond=0) == expected.astimezone(found.tzinfo).replace(second=0, microsecond=0)


def body_complete(text: str, truth: dict) -> bool:
    text = unicodedata.normalize("NFC", text or "")
    first, last = unicodedata.normalize("NFC", truth["body_first"]), unicodedata.normalize("NFC", truth["body_last"])
    if first.strip() not in text or last.strip() not in text:
        return False
    return len(text) <= truth["body_chars"] * (1 + JUNK_ALLOWANCE) + 20


def score_page(found: dict, truth: dict) -> dict[str, bool]:
    return {
        "title": _norm(found.get("title")) == _norm(truth["title"]),
        "published": same_minute(found.get("published"), truth.get("published")),
        "author": _norm(found.get("author")) == _norm(truth.get("author")),
        "body": body_complete(found.get("text") or "", truth),
    }


def baseline_extract(raw: bytes, url: Optional[str]) -> dict:
    """Bare trafilatura on the same decoded page, mapped to our keys."""
    import trafilatura

    from .dates import parse_date
    from .encoding import decode_html

    text, _ = decode_html(raw)
    doc = trafilatura.bare_extraction(text, url=url, with_metadata=True)
    if doc is None:
        return {}
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    return {"title": data.get("title"), "published": parse_date(data.get("date")), "author": data.get("author"), "text": data.get("text") or ""}


def evaluate_pages(directory: str | Path, repeat: int = 1) -> dict[str, Any]:
    """Figures for ours and for bare trafilatura; also per-page misses and total timings."""
    import trafilatura

    from . import extract_article
    from .encoding import decode_html

    directory = Path(directory)
    truth = load_truth(directory)
    fields = ("title", "published", "author", "body")
    hits = {"ours": dict.fromkeys(fields, 0), "generic": dict.fromkeys(fields, 0), "trafilatura": dict.fromkeys(fields, 0)}
    misses: dict[str, list[str]] = {f: [] for f in fields}
    listing_ok, listings, articles = 0, 0, 0
    wrongly_rejected: list[str] = []
    t_ours = t_base = 0.0
    for row in truth:
        raw = (directory / row["file"]).read_bytes()
        url = row.get("url") or f"https://{row['outlet']}/"
        for _ in range(repeat):
            start = time.perf_counter()
            ours = extract_article(raw, url)
            t_ours += time.perf_counter() - start
            start = time.perf_counter()
            trafilatura.bare_extraction(decode_html(raw)[0], url=url, with_metadata=True)
            t_base += time.perf_counter() - start
        if row["kind"] == "listing":
            listings += 1
            listing_ok += not ours["is_article"]
            continue
        articles += 1
        if not ours["is_article"]:
            wrongly_rejected.append(f"{row['file']}: {ours['reason']}")
        base = baseline_extract(raw, url)
        generic = extract_article(raw, url, rules=[])  # no outlet rules: what an unseen outlet gets
        for name, found in (("ours", ours), ("generic", generic), ("trafilatura", base)):
            for field, ok in score_page(found, row).items():
                hits[name][field] += ok
                if name == "ours" and not ok:
                    misses[field].append(row["file"])
    figures = {name: {f: (hits[name][f] / articles if articles else 0.0) for f in fields} for name in hits}
    return {
        "articles": articles,
        "listings": listings,
        "ours": figures["ours"],
        "generic": figures["generic"],
        "trafilatura": figures["trafilatura"],
        "listing_rejected": (listing_ok / listings) if listings else None,
        "articles_rejected": wrongly_rejected,
        "misses": misses,
        "seconds_ours": t_ours,
        "seconds_trafilatura": t_base,
        "time_ratio": (t_ours / t_base) if t_base else None,
    }


def format_table(result: dict) -> str:
    lines = [
        f"{result['articles']} articles, {result['listings']} listing pages",
        f"{'figure':<22}{'ours':>8}{'no rules':>10}{'trafilatura':>13}",
    ]
    labels = {"title": "title exact", "published": "time to the minute", "author": "author exact", "body": "body complete"}
    for key, label in labels.items():
        lines.append(f"{label:<22}{result['ours'][key]:>8.1%}{result['generic'][key]:>10.1%}{result['trafilatura'][key]:>13.1%}")
    if result["listing_rejected"] is not None:
        lines.append(f"{'listings rejected':<22}{result['listing_rejected']:>8.1%}{'':>10}{'n/a':>13}")
    lines.append(
        f"{'time (s, all pages)':<22}{result['seconds_ours']:>8.2f}{result['seconds_trafilatura']:>13.2f}"
        f"   ratio {result['time_ratio']:.2f}x"
    )
    for field, files in result["misses"].items():
        for name in files:
            lines.append(f"miss {field}: {name}")
    for item in result["articles_rejected"]:
        lines.append(f"article rejected: {item}")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not (Path(argv[0]) / "truth.jsonl").is_file():
        print("usage: python -m crawler.extraction.evaluate DIR   (DIR must contain truth.jsonl)", file=sys.stderr)
        return 2
    print(format_table(evaluate_pages(argv[0], repeat=3)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
