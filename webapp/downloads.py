"""Downloads of the review app: article exports, evidence packs and the weekly bulletin.

Each export is written to a temporary file in Starlette's thread pool (the exports stream rows
from the database, so memory stays flat for 200,000 articles), then the file is opened,
unlinked and streamed in 64 KiB chunks (``StreamingResponse`` with Content-Length): nothing
is left on disk whether the client finishes, cancels or the build fails. The database session
is closed before the first byte goes out, and an error while building gives a Vietnamese page,
never a half file.

    content_disposition("Hồ sơ – Hà Nội.zip")  -> 'attachment; filename="ho-so-ha-noi.zip"; filename*=UTF-8\'\'...'
    parse_period(params)                         -> (start, end, label) from week=YYYY-Www or start/end
"""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
import threading
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator, Mapping, Optional
from urllib.parse import quote

from starlette.responses import StreamingResponse

from storage.search import fold
from webapp.filters import BadFilter

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jsonl": "application/x-ndjson; charset=utf-8",
}
ZIP_TYPE = "application/zip"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BULLETIN_FORMATS = ("zip", "docx", "html", "pdf")
MAX_EXPORTS_ENV = "REFORMWATCH_MAX_EXPORTS"


# --------------------------------------------------------------------------- file names
def ascii_filename(name: str) -> str:
    """An ASCII stand-in for ``name`` (diacritics folded, unsafe characters -> '-')."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    folded = re.sub(r"[^a-z0-9_.]+", "-", fold(stem)).strip("-._") or "tai-ve"
    ext = re.sub(r"[^a-z0-9]+", "", ext.lower())
    return folded + (f".{ext}" if ext else "")


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the exact UTF-8 name in RFC 5987 ``filename*``."""
    name = unicodedata.normalize("NFC", filename)
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '/\\"') or "tai-ve"
    return f"attachment; filename=\"{ascii_filename(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


# --------------------------------------------------------------------------- periods
def parse_week(value: str) -> tuple[dt.date, dt.date]:
    """``2026-W48`` (also the ``<input type=week>`` value) -> (Monday, Sunday); BadFilter otherwise."""
    from storage.coverage import week_range

    try:
        return week_range(value)
    except ValueError:
        raise BadFilter([f"Tuần: “{value[:20]}” không hợp lệ (định dạng YYYY-Www, ví dụ 2026-W48)"]) from None


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def is_iso_week(start: dt.date, end: dt.date) -> bool:
    return start.isoweekday() == 1 and end == start + dt.timedelta(days=6)


def parse_period(params: Mapping[str, str]) -> tuple[dt.date, dt.date]:
    """The bulletin's period: ``week`` when given, else the dashboard's ``start``/``end``."""
    week = (params.get("week") or "").strip()
    if week:
        return parse_week(week)
    from webapp import dashboard

    values = dashboard.parse_params(params)
    return values["start"], values["end"]


# --------------------------------------------------------------------------- temporary files
def temp_path(suffix: str) -> Path:
    fd, name = tempfile.mkstemp(prefix="rw-download-", suffix=suffix)
    os.close(fd)
    return Path(name)


def remove(path: Path) -> None:
    """Delete a temporary file or directory (quietly: it may already be gone)."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


CHUNK = 1 << 16


def _chunks(fh: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := fh.read(CHUNK):
            yield chunk
    finally:
        fh.close()


@dataclass
class Download:
    """A built file waiting to be sent; ``cleanup`` (the file or its directory) is removed as soon
    as the file is open, so nothing is left behind even when the client goes away mid-download."""

    path: Path
    filename: str
    media_type: str
    cleanup: Path
    rows: Optional[int] = None  # articles in the file (X-ReformWatch-Articles)
    notice: Optional[str] = None  # e.g. "empty period" (X-ReformWatch-Notice, percent-encoded UTF-8)

    def response(self) -> StreamingResponse:
        """Open the file, unlink it (POSIX keeps the open file readable) and stream it."""
        try:
            fh = open(self.path, "rb")
        finally:
            remove(self.cleanup)
        headers = {"Content-Disposition": content_disposition(self.filename),
                   "Content-Length": str(os.fstat(fh.fileno()).st_size)}
        if self.rows is not None:
            headers["X-ReformWatch-Articles"] = str(self.rows)
        if self.notice:
            headers["X-ReformWatch-Notice"] = quote(self.notice, safe=" ,.:;()")
        return StreamingResponse(_chunks(fh), media_type=self.media_type, headers=headers)


def zip_files(files: list[Path], out: Path) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in files:
            zf.write(p, arcname=p.name)


class ExportSlots:
    """At most ``n`` exports built at once per process (big exports are CPU-bound): over the
    limit the request gets a "busy, try again" page instead of queueing behind the others."""

    def __init__(self, n: Optional[int] = None):
        if n is None:
            raw = os.environ.get(MAX_EXPORTS_ENV, "2")
            if not raw.isdigit() or int(raw) < 1:
                raise ValueError(f"${MAX_EXPORTS_ENV}={raw!r}: expected a whole number >= 1")
            n = int(raw)
        self._sem = threading.BoundedSemaphore(n)

    def acquire(self) -> bool:
        return self._sem.acquire(blocking=False)

    def release(self) -> None:
        self._sem.release()
