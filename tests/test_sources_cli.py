"""``reformwatch sources check|list|health`` and ``registry_or_exit``."""
from __future__ import annotations

import datetime as dt

import pytest

from reformwatch.cli import main
from reformwatch.commands.sources import registry_or_exit

SMALL = '''\
[[outlet]]
id = "bao-a"
name = "Báo A"
domain = "baoa.vn"
kind = "national"
feeds = ["https://baoa.vn/rss"]

[[outlet]]
id = "bao-quang-nam"
name = "Báo Quảng Nam"
domain = "baoquangnam.vn"
kind = "local"
province = "Quảng Nam"
province_current = "Đà Nẵng"
feeds = ["https://baoquangnam.vn/rss"]

[[outlet]]
id = "bao-da-nang"
name = "Báo Đà Nẵng"
domain = "baodanang.vn"
kind = "local"
province = "Đà Nẵng"
province_current = "Đà Nẵng"
verified = false
feeds = ["https://baodanang.vn/rss"]

[[outlet]]
id = "bao-ha-giang"
name = "Báo Hà Giang"
domain = "baohagiang.vn"
kind = "local"
province = "Hà Giang"
province_current = "Tuyên Quang"
feeds = ["https://baohagiang.vn/rss"]
'''

BAD = '''\
[[outlet]]
id = "bao-x"
name = "Báo X"
domain = "baox.vn"
kind = "nationl"
feeds = ["https://baox.vn/rss"]
'''


def run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse and registry_or_exit exit
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.fixture
def bad(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BAD, encoding="utf-8")
    return path


def test_check_bundled_registry_ok(capsys, monkeypatch):
    from crawler.registry import load_registry

    monkeypatch.delenv("REFORMWATCH_SOURCES", raising=False)
    reg = load_registry()
    code, out, _ = run(["sources", "check"], capsys)
    assert code == 0
    counts = reg.counts()
    assert out.startswith(f"OK: {len(reg)} outlets ({counts['national']} national, {counts['local']} local, "
                          f"{counts['specialized']} specialized, {counts['government_portal']} government_portal), "
                          f"{len(reg.unverified())} unverified")


def test_check_own_file(small, capsys):
    code, out, _ = run(["sources", "check", "--sources", str(small)], capsys)
    assert code == 0
    assert "OK: 4 outlets (1 national, 3 local, 0 specialized, 0 government_portal), 1 unverified" in out


def test_check_env_var_selects_the_file(small, capsys, monkeypatch):
    monkeypatch.setenv("REFORMWATCH_SOURCES", str(small))
    code, out, _ = run(["sources", "check"], capsys)
    assert code == 0 and "OK: 4 outlets" in out


def test_check_invalid_prints_every_problem_and_exits_1(bad, capsys):
    code, out, err = run(["sources", "check", "--sources", str(bad)], capsys)
    assert code == 1
    assert f"{bad}:5: [bao-x] kind: 'nationl' is not one of national, local, specialized, government_portal" in out
    assert "did you mean 'national'" in out
    assert "INVALID: 1 problem" in err


def test_registry_or_exit_stops_with_2_and_lists_problems(bad, small, capsys):
    with pytest.raises(SystemExit) as info:
        registry_or_exit(str(bad))
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"{bad}:5: [bao-x] kind:" in err and "nothing else runs" in err
    assert len(registry_or_exit(str(small))) == 4


def test_list_filters_by_kind_and_province(small, capsys):
    code, out, _ = run(["sources", "list", "--sources", str(small), "--province", "Đà Nẵng"], capsys)
    assert code == 0
    assert "bao-quang-nam" in out and "Quảng Nam → Đà Nẵng" in out and "bao-da-nang" in out
    assert "bao-ha-giang" not in out and "bao-a " not in out
    assert out.rstrip().endswith("2 of 4 outlets")
    # a former province selects only its own outlets; names without diacritics are accepted
    code, out, _ = run(["sources", "list", "--sources", str(small), "--province", "Quang Nam"], capsys)
    assert code == 0 and "bao-quang-nam" in out and "bao-da-nang" not in out
    code, out, _ = run(["sources", "list", "--sources", str(small), "--kind", "national"], capsys)
    assert code == 0 and "bao-a" in out and "bao-quang-nam" not in out and "1 of 4 outlets" in out
    code, out, _ = run(["sources", "list", "--sources", str(small), "--unverified"], capsys)
    assert code == 0 and "bao-da-nang" in out and "1 of 4 outlets" in out


def test_list_bad_arguments_give_usage_not_traceback(small, bad, capsys):
    code, _, err = run(["sources", "list", "--sources", str(small), "--province", "Sài Gòn"], capsys)
    assert code == 2 and "usage:" in err and "'Sài Gòn' is not a province" in err
    code, _, err = run(["sources", "list", "--kind", "regional"], capsys)
    assert code == 2 and "invalid choice" in err
    code, _, err = run(["sources", "lst"], capsys)
    assert code == 2 and "usage:" in err
    code, _, err = run(["sources", "list", "--sources", str(bad)], capsys)
    assert code == 2 and "[bao-x]" in err


def _seed_health(url):
    from storage.db import session_scope
    from storage.models import CrawlRun, CrawlSourceStat, Outlet

    t0 = dt.datetime(2026, 3, 1, 1, 0, tzinfo=dt.timezone.utc)
    with session_scope(url) as s:
        for oid, kind, fails, empty in [("bao-a", "national", 0, 0), ("bao-quang-nam", "local", 0, 3),
                                        ("bao-da-nang", "local", 4, 0)]:
            s.add(Outlet(id=oid, name=oid, domain=f"{oid}.vn", kind=kind, consecutive_failures=fails,
                         consecutive_empty_runs=empty, last_run_at=t0 + dt.timedelta(hours=6),
                         last_success_at=t0 + dt.timedelta(hours=6 if fails == 0 else 1)))
        s.flush()
        for i in range(6):  # six runs: only the last five count
            run = CrawlRun(started_at=t0 + dt.timedelta(hours=i + 1), finished_at=t0 + dt.timedelta(hours=i + 1, minutes=5),
                           status="finished")
            s.add(run)
            s.flush()
            s.add(CrawlSourceStat(run_id=run.id, outlet_id="bao-a", pages=10, new=100 if i == 0 else i, unchanged=3))
            qn_new = 7 if i < 3 else 0  # the last three runs found nothing at all
            s.add(CrawlSourceStat(run_id=run.id, outlet_id="bao-quang-nam", pages=2, new=qn_new,
                                  unchanged=0 if i >= 3 else 1))
            s.add(CrawlSourceStat(run_id=run.id, outlet_id="bao-da-nang", pages=0, errors=1))


def test_health_flags_outlets_and_lists_them_first(db_url, small, capsys):
    _seed_health(db_url)
    code, out, _ = run(["sources", "health", "--db", db_url, "--sources", str(small)], capsys)
    assert code == 0
    lines = out.splitlines()
    body = lines[2:-1]
    order = [line.split()[0] for line in body]
    assert set(order[:2]) == {"bao-quang-nam", "bao-da-nang"}  # flagged first
    assert order[2:] == ["bao-a", "bao-ha-giang"]
    qn = next(line for line in body if line.startswith("bao-quang-nam"))
    assert "CẢNH BÁO" in qn and "layout changed?" in qn and "3 lần chạy không có bài" in qn
    assert "14 / 5" in qn  # of the last five runs, the first two found 7 each
    dn = next(line for line in body if line.startswith("bao-da-nang"))
    assert "CẢNH BÁO: 4 lần lỗi liên tiếp" in dn
    a = next(line for line in body if line.startswith("bao-a"))
    assert "ổn" in a and "CẢNH BÁO" not in a
    assert f"{1 + 2 + 3 + 4 + 5} / 5" in a  # the 100 of the oldest run is outside the window
    assert "2026-03-01 14:00" in a  # last run 07:00 UTC shown in Asia/Ho_Chi_Minh
    hg = next(line for line in body if line.startswith("bao-ha-giang"))
    assert "chưa chạy" in hg and "0 / 0" in hg
    assert lines[-1].startswith("4 nguồn; 2 cần kiểm tra")


def test_health_outlet_health_counts_trailing_empty_runs_without_counter(sqlite_url, small):
    """The crawler's counter missing (0), three trailing zero-article runs in the stats still flag."""
    from crawler.registry import load_registry
    from reformwatch.commands.sources import outlet_health
    from storage.db import session_scope
    from storage.models import CrawlRun, CrawlSourceStat, Outlet

    t0 = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    with session_scope(sqlite_url) as s:
        s.add(Outlet(id="bao-ha-giang", name="x", domain="baohagiang.vn", kind="local"))
        s.flush()
        for i, new in enumerate([5, 0, 0, 0]):
            run = CrawlRun(started_at=t0 + dt.timedelta(hours=i), status="finished")
            s.add(run)
            s.flush()
            s.add(CrawlSourceStat(run_id=run.id, outlet_id="bao-ha-giang", pages=1, new=new))
    with session_scope(sqlite_url) as s:
        health = {h["id"]: h for h in outlet_health(s, load_registry(small))}
    assert health["bao-ha-giang"]["consecutive_empty_runs"] == 3 and health["bao-ha-giang"]["flagged"]
    assert health["bao-ha-giang"]["new_recent"] == 5 and health["bao-ha-giang"]["runs"] == 4
    assert not health["bao-a"]["flagged"] and health["bao-a"]["runs"] == 0


def test_health_on_invalid_registry_exits_2(bad, sqlite_url, capsys):
    code, out, err = run(["sources", "health", "--db", sqlite_url, "--sources", str(bad)], capsys)
    assert code == 2 and "[bao-x]" in err and out == ""
