"""PAR Index evidence pack (tài liệu kiểm chứng): one reproducible ZIP per unit and period.

    build_evidence_zip(session, unit, start, end, out, reviewed_only=False) -> EvidenceResult

``unit`` is ``Unit("province", "Hà Nội")`` or ``Unit("ministry", "Bộ Nội vụ")`` (or a
``(kind, name)`` tuple) with canonical names (see storage.coverage.resolve_province /
resolve_ministry). The ZIP holds, in sorted order:

- ``captures.warc.gz``: every stored capture as a WARC/1.0 ``response`` record (original HTTP
  status and headers, WARC-Target-URI, WARC-Date = fetch time), after one ``warcinfo``;
- ``index.html`` (printable, Vietnamese) and ``index.xlsx``: unit, period, counts by theme,
  tone and outlet kind, then the article list;
- ``snapshots/<article-id>-<sha8>.html``: each capture's body as fetched;
- ``manifest-sha256.txt``: ``<hex>  <path>`` for every other file (``sha256sum -c`` format).

Reproducible: the same database gives byte-identical ZIPs. Every timestamp (ZIP entries,
XLSX properties, warcinfo date) is the latest fetch time of the included captures (else the
end of the period), record ids are UUIDs derived from the content, and entries are sorted.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import http
import io
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterable, Union

from sqlalchemy import select
from sqlalchemy.orm import Session

from exports.labels import kind_label, sentiment_label, theme_label, themes_label, vn_date
from exports.records import OUTLET_KINDS, SENTIMENTS, VN_TZ, Tally, local_datetime
from exports.spreadsheet import EPOCH, write_xlsx

WARC_NAME = "captures.warc.gz"
MANIFEST_NAME = "manifest-sha256.txt"
UNIT_KINDS = ("province", "ministry")
UNIT_LABELS = {"province": "Tỉnh/thành phố", "ministry": "Bộ, ngành"}
_NS = uuid.UUID("6f1c2a4e-0b7d-5c9a-9e3f-2d8b7a1c4e50")  # ReformWatch WARC record namespace
_DROP_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}  # body is stored decoded


@dataclass(frozen=True)
class Unit:
    kind: str  # province | ministry
    name: str  # canonical name
    division: str = "current"

    def __post_init__(self):
        if self.kind not in UNIT_KINDS:
            raise ValueError(f"unit kind {self.kind!r}: expected province or ministry")


@dataclass
class EvidenceResult:
    articles: int
    captures: int
    files: list[str]
    tally: Tally

    @property
    def empty(self) -> bool:
        return self.articles == 0


def _as_unit(unit: Union[Unit, tuple]) -> Unit:
    return unit if isinstance(unit, Unit) else Unit(*unit)


def _filter(unit: Unit, start: dt.date, end: dt.date, reviewed_only: bool):
    from storage.queries import ArticleFilter

    return ArticleFilter(
        date_from=start, date_to=end, relevant=True, reviewed_only=reviewed_only, division=unit.division,
        province=unit.name if unit.kind == "province" else None,
        ministry=unit.name if unit.kind == "ministry" else None,
    )


def _articles(session: Session, f) -> list[Any]:
    from exports.records import stream_articles

    rows = list(stream_articles(session, f))
    far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    rows.sort(key=lambda a: (a.published or far, a.id))
    return rows


def _snapshots(session: Session, article_ids: list[int]) -> dict[int, list[Any]]:
    from storage.models import Snapshot

    out: dict[int, list[Any]] = {}
    for i in range(0, len(article_ids), 500):
        chunk = article_ids[i:i + 500]
        stmt = select(Snapshot).where(Snapshot.article_id.in_(chunk)).order_by(
            Snapshot.article_id, Snapshot.fetched_at, Snapshot.id)
        for snap in session.scalars(stmt):
            out.setdefault(snap.article_id, []).append(snap)
            session.expunge(snap)
    return out


def snapshot_path(article_id: int, sha256: str) -> str:
    return f"snapshots/{article_id}-{sha256[:8]}.html"


def _warc_date(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _record_id(*parts: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(_NS, '|'.join(parts))}>"


def _http_headers(snap, body_len: int):
    from warcio.statusandheaders import StatusAndHeaders

    items: list[tuple[str, str]] = []
    for key, value in sorted((snap.headers or {}).items()):
        if key.lower() in _DROP_HEADERS:
            continue
        for v in value if isinstance(value, list) else [value]:
            items.append((str(key), str(v)))
    items.append(("Content-Length", str(body_len)))
    try:
        reason = http.HTTPStatus(snap.http_status).phrase
    except ValueError:
        reason = "Unknown"
    return StatusAndHeaders(f"{snap.http_status} {reason}", items, protocol="HTTP/1.1")


def write_warc(captures: Iterable[tuple[Any, bytes]], out: IO[bytes], *, info: dict[str, str],
               stamp: dt.datetime) -> int:
    """Write a gzipped WARC of ``(snapshot, body)`` pairs; deterministic ids and dates."""
    from warcio.warcwriter import WARCWriter

    writer = WARCWriter(out, gzip=True, warc_version="WARC/1.0")
    from warcio.statusandheaders import StatusAndHeaders

    body = "".join(f"{k}: {v}\r\n" for k, v in sorted(info.items()) if v).encode("utf-8")
    headers = StatusAndHeaders("", [
        ("WARC-Type", "warcinfo"),
        ("WARC-Record-ID", _record_id("warcinfo", body.decode("utf-8"), _warc_date(stamp))),
        ("WARC-Filename", WARC_NAME),
        ("WARC-Date", _warc_date(stamp)),
    ], protocol="WARC/1.0")
    writer.write_record(writer.create_warc_record("", "warcinfo", payload=io.BytesIO(body), length=len(body),
                                                  warc_headers=headers, warc_content_type="application/warc-fields"))
    n = 0
    for snap, body in captures:
        uri = snap.final_url or snap.url
        date = _warc_date(snap.fetched_at)
        rec = writer.create_warc_record(
            uri, "response", payload=io.BytesIO(body), length=len(body),
            http_headers=_http_headers(snap, len(body)),
            warc_headers_dict={"WARC-Record-ID": _record_id("response", uri, date, snap.content_sha256),
                               "WARC-Date": date},
        )
        writer.write_record(rec)
        n += 1
    return n


def _render_html(**context: Any) -> bytes:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("exports", "templates"), autoescape=select_autoescape(["html"]))
    return env.get_template("evidence.html").render(**context).encode("utf-8")


def build_evidence_zip(
    session: Session,
    unit: Union[Unit, tuple],
    start: dt.date,
    end: dt.date,
    out: Union[str, Path, IO[bytes]],
    reviewed_only: bool = False,
) -> EvidenceResult:
    """Write the evidence ZIP of ``unit`` for [start, end] to ``out`` (path or binary file)."""
    unit = _as_unit(unit)
    if start > end:
        raise ValueError(f"empty period: start {start} is after end {end}")
    f = _filter(unit, start, end, reviewed_only)
    articles = _articles(session, f)
    snaps = _snapshots(session, [a.id for a in articles])

    fetched = [s.fetched_at for ss in snaps.values() for s in ss]
    if fetched:
        stamp = max(fetched)
    else:
        stamp = dt.datetime.combine(end, dt.time(), tzinfo=VN_TZ)
    stamp = max(stamp.astimezone(dt.timezone.utc).replace(tzinfo=None, microsecond=0), EPOCH)

    files: dict[str, bytes] = {}
    captures: list[tuple[Any, bytes]] = []
    paths_of: dict[int, list[dict[str, str]]] = {}
    for article in articles:
        for snap in snaps.get(article.id, []):
            body = gzip.decompress(snap.content_gzip)
            path = snapshot_path(article.id, snap.content_sha256)
            if path not in files:
                files[path] = body
                paths_of.setdefault(article.id, []).append({
                    "path": path, "sha8": snap.content_sha256[:8],
                    "fetched": local_datetime(snap.fetched_at).strftime("%d/%m/%Y %H:%M"),
                })
            captures.append((snap, body))

    info = {"software": "ReformWatch", "format": "WARC File Format 1.0",
            "description": f"{UNIT_LABELS[unit.kind]}: {unit.name}; {start.isoformat()}..{end.isoformat()}"
                           + ("; reviewed only" if reviewed_only else "")}
    warc = io.BytesIO()
    write_warc(captures, warc, info=info, stamp=stamp)
    files[WARC_NAME] = warc.getvalue()

    title = f"Tài liệu kiểm chứng – {UNIT_LABELS[unit.kind]}: {unit.name} – {vn_date(start)}–{vn_date(end)}"
    xlsx = io.BytesIO()
    result = write_xlsx(
        session, f, xlsx, fixed_time=stamp, title=title, articles=articles,
        extra_columns=[("Bản lưu (trong tệp ZIP)", 40,
                        lambda a: "; ".join(p["path"] for p in paths_of.get(a.id, [])))],
    )
    files["index.xlsx"] = xlsx.getvalue()
    tally = result.tally

    rows = []
    for a in articles:
        rows.append({
            "date": local_datetime(a.published).strftime("%d/%m/%Y %H:%M") if a.published else "",
            "title": a.title or a.url, "url": a.url,
            "outlet": a.outlet.name if a.outlet else (a.outlet_id or ""),
            "kind": kind_label(a.outlet.kind) if a.outlet else "",
            "themes": themes_label(a.themes), "sentiment": sentiment_label(a.sentiment),
            "negative": a.sentiment == "negative", "duplicate_of": a.duplicate_of_id,
            "snapshots": paths_of.get(a.id, []),
        })
    files["index.html"] = _render_html(
        unit=unit, unit_label=UNIT_LABELS[unit.kind], start=vn_date(start), end=vn_date(end),
        period=f"{vn_date(start)}–{vn_date(end)}", reviewed_only=reviewed_only, tally=tally, articles=rows,
        by_theme=[(theme_label(t), n) for t, n in sorted(tally.by_theme.items(), key=lambda kv: (-kv[1], kv[0]))],
        by_sentiment=[(sentiment_label(s), tally.by_sentiment.get(s, 0)) for s in SENTIMENTS],
        by_kind=[(kind_label(k), tally.by_kind.get(k, 0)) for k in OUTLET_KINDS],
        warc_name=WARC_NAME, stamp=stamp.strftime("%d/%m/%Y %H:%M"),
    )
    manifest = "".join(f"{hashlib.sha256(files[p]).hexdigest()}  {p}\n" for p in sorted(files))
    files[MANIFEST_NAME] = manifest.encode("utf-8")

    data = _zip(files, stamp)
    if hasattr(out, "write"):
        out.write(data)
    else:
        Path(out).write_bytes(data)
    return EvidenceResult(articles=len(articles), captures=len(captures), files=sorted(files), tally=tally)


def _zip(files: dict[str, bytes], stamp: dt.datetime) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            zi = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
            # WARC and XLSX are compressed already
            zi.compress_type = zipfile.ZIP_STORED if name.endswith((".gz", ".xlsx")) else zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zf.writestr(zi, files[name])
    return buf.getvalue()
