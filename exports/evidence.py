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
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Optional, Union

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


@dataclass(frozen=True)
class _Capture:
    """A snapshot's metadata (its body is read from the database only when written)."""

    id: int
    article_id: int
    url: str
    final_url: Optional[str]
    fetched_at: dt.datetime
    http_status: int
    headers: Optional[dict]
    content_sha256: str


def _captures(session: Session, article_ids: list[int]) -> list[_Capture]:
    """Every capture of the articles, in (article, fetch time, id) order, without the bodies."""
    from storage.models import Snapshot

    out: list[_Capture] = []
    cols = (Snapshot.id, Snapshot.article_id, Snapshot.url, Snapshot.final_url, Snapshot.fetched_at,
            Snapshot.http_status, Snapshot.headers, Snapshot.content_sha256)
    for i in range(0, len(article_ids), 500):
        stmt = select(*cols).where(Snapshot.article_id.in_(article_ids[i:i + 500]))
        out.extend(_Capture(*row) for row in session.execute(stmt))
    order = {aid: n for n, aid in enumerate(article_ids)}
    out.sort(key=lambda c: (order[c.article_id], c.fetched_at, c.id))
    return out


def _bodies(session: Session, captures: list[_Capture], chunk: int = 200) -> Iterator[tuple[_Capture, bytes]]:
    """(capture, body as fetched) in order, ``chunk`` bodies in memory at a time."""
    from storage.models import Snapshot

    for i in range(0, len(captures), chunk):
        part = captures[i:i + chunk]
        stmt = select(Snapshot.id, Snapshot.content_gzip).where(Snapshot.id.in_([c.id for c in part]))
        blobs = {sid: blob for sid, blob in session.execute(stmt)}
        for c in part:
            yield c, gzip.decompress(blobs[c.id])


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
    """Write the evidence ZIP of ``unit`` for [start, end] to ``out`` (path or binary file).

    Snapshot bodies stream from the database twice (WARC, then the ZIP entries), a few hundred
    at a time: memory stays bounded however many captures the unit has.
    """
    unit = _as_unit(unit)
    if start > end:
        raise ValueError(f"empty period: start {start} is after end {end}")
    f = _filter(unit, start, end, reviewed_only)
    articles = _articles(session, f)
    captures = _captures(session, [a.id for a in articles])
    if captures:
        stamp = max(c.fetched_at for c in captures)
    else:
        stamp = dt.datetime.combine(end, dt.time(), tzinfo=VN_TZ)
    stamp = max(stamp.astimezone(dt.timezone.utc).replace(tzinfo=None, microsecond=0), EPOCH)

    paths_of: dict[int, list[dict[str, str]]] = {}
    first_of_path: dict[str, int] = {}  # snapshot file -> the capture id whose body it holds
    for c in captures:
        path = snapshot_path(c.article_id, c.content_sha256)
        if path not in first_of_path:
            first_of_path[path] = c.id
            paths_of.setdefault(c.article_id, []).append({
                "path": path, "sha8": c.content_sha256[:8],
                "fetched": local_datetime(c.fetched_at).strftime("%d/%m/%Y %H:%M"),
            })

    with tempfile.TemporaryDirectory(prefix="rw-evidence-") as tmp:
        # 1. the WARC, streamed to a temporary file; the bodies' real hashes on the way
        digests: dict[str, str] = {}
        info = {"software": "ReformWatch", "format": "WARC File Format 1.0",
                "description": f"{UNIT_LABELS[unit.kind]}: {unit.name}; {start.isoformat()}..{end.isoformat()}"
                               + ("; reviewed only" if reviewed_only else "")}

        def bodies_with_digest() -> Iterator[tuple[_Capture, bytes]]:
            for c, body in _bodies(session, captures):
                path = snapshot_path(c.article_id, c.content_sha256)
                if first_of_path[path] == c.id:
                    digests[path] = hashlib.sha256(body).hexdigest()
                yield c, body

        warc_path = Path(tmp) / WARC_NAME
        with open(warc_path, "wb") as fh:
            write_warc(bodies_with_digest(), fh, info=info, stamp=stamp)

        # 2. the indexes (small: one row per article)
        title = f"Tài liệu kiểm chứng – {UNIT_LABELS[unit.kind]}: {unit.name} – {vn_date(start)}–{vn_date(end)}"
        xlsx = io.BytesIO()
        result = write_xlsx(
            session, f, xlsx, fixed_time=stamp, title=title, articles=articles,
            extra_columns=[("Bản lưu (trong tệp ZIP)", 40,
                            lambda a: "; ".join(p["path"] for p in paths_of.get(a.id, [])))],
        )
        tally = result.tally
        small = {"index.xlsx": xlsx.getvalue(), "index.html": _index_html(
            unit, start, end, reviewed_only, tally, articles, paths_of, stamp)}

        # 3. the manifest: every other file
        digests[WARC_NAME] = _file_sha256(warc_path)
        for name, data in small.items():
            digests[name] = hashlib.sha256(data).hexdigest()
        manifest = "".join(f"{digests[p]}  {p}\n" for p in sorted(digests)).encode("utf-8")
        small[MANIFEST_NAME] = manifest
        names = sorted(set(digests) | {MANIFEST_NAME})

        # 4. the ZIP, entries in sorted order; snapshot bodies streamed again
        def entries() -> Iterator[tuple[str, Any]]:
            # one body per snapshot file, fetched in file-name order = ZIP entry order
            unique = sorted((c for c in captures if first_of_path[snapshot_path(c.article_id, c.content_sha256)] == c.id),
                            key=lambda c: snapshot_path(c.article_id, c.content_sha256))
            bodies = _bodies(session, unique)
            for name in names:
                if name == WARC_NAME:
                    yield name, warc_path
                elif name in small:
                    yield name, small[name]
                else:
                    c, body = next(bodies)
                    assert snapshot_path(c.article_id, c.content_sha256) == name
                    yield name, body

        if hasattr(out, "write"):
            _write_zip(out, entries(), stamp)
        else:
            with open(out, "wb") as fh:
                _write_zip(fh, entries(), stamp)
    return EvidenceResult(articles=len(articles), captures=len(captures), files=names, tally=tally)


def _index_html(unit: Unit, start: dt.date, end: dt.date, reviewed_only: bool, tally: Tally, articles: list,
                paths_of: dict[int, list[dict[str, str]]], stamp: dt.datetime) -> bytes:
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
    return _render_html(
        unit=unit, unit_label=UNIT_LABELS[unit.kind], start=vn_date(start), end=vn_date(end),
        period=f"{vn_date(start)}–{vn_date(end)}", reviewed_only=reviewed_only, tally=tally, articles=rows,
        by_theme=[(theme_label(t), n) for t, n in sorted(tally.by_theme.items(), key=lambda kv: (-kv[1], kv[0]))],
        by_sentiment=[(sentiment_label(s), tally.by_sentiment.get(s, 0)) for s in SENTIMENTS],
        by_kind=[(kind_label(k), tally.by_kind.get(k, 0)) for k in OUTLET_KINDS],
        warc_name=WARC_NAME, stamp=stamp.strftime("%d/%m/%Y %H:%M"),
    )


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_zip(fh: IO[bytes], entries: Iterable[tuple[str, Any]], stamp: dt.datetime) -> None:
    """Entries (name, bytes or a file path) with one fixed timestamp and mode: reproducible."""
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for name, content in entries:
            zi = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
            # WARC and XLSX are compressed already
            zi.compress_type = zipfile.ZIP_STORED if name.endswith((".gz", ".xlsx")) else zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            if isinstance(content, Path):
                zi.file_size = content.stat().st_size
                with open(content, "rb") as src, zf.open(zi, "w", force_zip64=zi.file_size > 2**31) as dst:
                    for block in iter(lambda: src.read(1 << 20), b""):
                        dst.write(block)
            else:
                zf.writestr(zi, content)
