"""``reformwatch evidence``: the ZIP is opened and every part checked — manifest hashes,
WARC read back with warcio, snapshots as fetched, XLSX/HTML index — and a second build is
byte-identical."""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import shutil
import subprocess
import zipfile

import pytest
from openpyxl import load_workbook
from warcio.archiveiterator import ArchiveIterator

from reformwatch.cli import main
from test_coverage import build_sample

ARGS = ["--from", "2025-01-01", "--to", "2025-06-30"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def sample(request, tmp_path_factory):
    from conftest import module_database

    with module_database(request.param, tmp_path_factory, build_sample) as url:
        yield url


def _stored(url: str, title: str) -> tuple[int, bytes, str]:
    from sqlalchemy import select

    from storage.db import session_scope
    from storage.models import Article, Snapshot

    with session_scope(url) as s:
        a = s.scalar(select(Article).where(Article.title == title))
        snap = s.scalar(select(Snapshot).where(Snapshot.article_id == a.id))
        return a.id, gzip.decompress(snap.content_gzip), snap.url


def test_evidence_zip_contents(sample, tmp_path, capsys):
    out = tmp_path / "hn.zip"
    assert main(["evidence", "--province", "Hà Nội", *ARGS, "--output", str(out), "--db", sample]) == 0
    assert "Hà Nội: 5 bài viết, 5 bản lưu" in capsys.readouterr().err
    zf = zipfile.ZipFile(out)
    names = zf.namelist()
    assert names == sorted(names)
    assert {"index.html", "index.xlsx", "captures.warc.gz", "manifest-sha256.txt"} <= set(names)
    snaps = [n for n in names if n.startswith("snapshots/")]
    assert len(snaps) == 5  # 4 Hà Nội articles + the duplicate copy, each with its capture

    # manifest: sha256sum format, every other file, hashes match
    manifest = zf.read("manifest-sha256.txt").decode("utf-8").splitlines()
    listed = {}
    for line in manifest:
        digest, path = line.split("  ", 1)
        listed[path] = digest
    assert set(listed) == set(names) - {"manifest-sha256.txt"}
    for path, digest in listed.items():
        assert hashlib.sha256(zf.read(path)).hexdigest() == digest

    # the snapshot is the body as fetched
    aid, body, url = _stored(sample, "Hồ sơ trễ hạn ở Hà Nội")
    path = f"snapshots/{aid}-{hashlib.sha256(body).hexdigest()[:8]}.html"
    assert zf.read(path) == body

    # WARC: warcinfo + one response per capture, original status/headers, target URIs, fetch dates
    records = list(ArchiveIterator(io.BytesIO(zf.read("captures.warc.gz"))))
    assert records[0].rec_type == "warcinfo"
    responses = [r for r in records if r.rec_type == "response"]
    assert len(responses) == 5
    uris = {r.rec_headers.get_header("WARC-Target-URI") for r in responses}
    assert url in uris
    found = 0
    for rec in ArchiveIterator(io.BytesIO(zf.read("captures.warc.gz"))):  # streaming: read while iterating
        if rec.rec_type == "response" and rec.rec_headers.get_header("WARC-Target-URI") == url:
            found += 1
            assert rec.http_headers.get_statuscode() == "200"
            assert rec.http_headers.get_header("Server") == "test"
            assert rec.rec_headers.get_header("WARC-Date") == "2025-02-04T10:00:00Z"  # fetched 1 h after 09:00 UTC
            assert rec.content_stream().read() == body
    assert found == 1

    # index.xlsx and index.html
    wb = load_workbook(io.BytesIO(zf.read("index.xlsx")))
    ws = wb["Bài viết"]
    assert ws.max_row == 6
    assert [c.value for c in ws[1]][-1] == "Bản lưu (trong tệp ZIP)"
    assert path in [r[-1] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert wb.properties.created == wb.properties.modified == dt.datetime(2025, 3, 31, 21, 0)  # latest fetch (UTC)
    html = zf.read("index.html").decode("utf-8")
    assert "Tỉnh/thành phố:</b> Hà Nội" in html and "01/01/2025" in html and "30/06/2025" in html
    assert "Hồ sơ trễ hạn ở Hà Nội" in html and path in html
    assert "Cải cách thủ tục hành chính" in html and "Tiêu cực" in html


def test_evidence_is_byte_identical(sample, tmp_path):
    a, b = tmp_path / "a.zip", tmp_path / "b.zip"
    for out in (a, b):
        assert main(["evidence", "--ministry", "Bộ Nội vụ", *ARGS, "-o", str(out), "--db", sample]) == 0
    assert a.read_bytes() == b.read_bytes()
    zf = zipfile.ZipFile(a)
    assert {i.date_time for i in zf.infolist()} == {(2025, 3, 10, 4, 0, 0)}
    core = zipfile.ZipFile(io.BytesIO(zf.read("index.xlsx"))).read("docProps/core.xml").decode()
    assert "2025-03-10T04:00:00Z" in core
    assert len([n for n in zf.namelist() if n.startswith("snapshots/")]) == 1


@pytest.mark.skipif(shutil.which("warcio") is None, reason="warcio command not installed")
def test_warcio_check_passes(sample, tmp_path):
    out = tmp_path / "hcm.zip"
    assert main(["evidence", "--province", "tphcm", *ARGS, "-o", str(out), "--db", sample]) == 0
    warc = tmp_path / "captures.warc.gz"
    warc.write_bytes(zipfile.ZipFile(out).read("captures.warc.gz"))
    proc = subprocess.run(["warcio", "check", "-v", str(warc)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("digest pass") >= 3  # warcinfo + 2 responses (payload and block digests)


def test_empty_period_and_bad_names(sample, tmp_path, capsys):
    out = tmp_path / "empty.zip"
    assert main(["evidence", "--province", "Đà Nẵng", "--from", "2019-01-01", "--to", "2019-12-31",
                 "-o", str(out), "--db", sample]) == 0
    assert "Không có bài viết nào" in capsys.readouterr().err
    zf = zipfile.ZipFile(out)
    assert zf.testzip() is None
    assert "Không có bài viết nào" in zf.read("index.html").decode("utf-8")
    assert [r.rec_type for r in ArchiveIterator(io.BytesIO(zf.read("captures.warc.gz")))] == ["warcinfo"]
    assert load_workbook(io.BytesIO(zf.read("index.xlsx")))["Bài viết"].max_row == 1

    assert main(["evidence", "--province", "Đà Nẳng ba", *ARGS, "-o", str(out), "--db", sample]) == 2
    assert "Đà Nẵng" in capsys.readouterr().err
    assert main(["evidence", "--ministry", "Bo Tu phap xx", *ARGS, "-o", str(out), "--db", sample]) == 2
    assert "Bộ Tư pháp" in capsys.readouterr().err
    assert main(["evidence", "--province", "Hà Nội", *ARGS, "-o", str(tmp_path / "x.tar"), "--db", sample]) == 2
