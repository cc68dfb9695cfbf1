"""Schedule file validation, per-group locks (file and Redis), and the scheduler loop."""
import datetime as dt
import subprocess
import sys
import textwrap
import time

import pytest

from reformwatch.schedule import (
    FileLock,
    Group,
    RedisLock,
    ScheduleError,
    load_schedule,
    run_group,
    serve_forever,
)


def test_bundled_schedule_is_valid():
    groups = load_schedule()
    names = {g.name for g in groups}
    assert {"national", "local"} <= names
    national = next(g for g in groups if g.name == "national")
    start = dt.datetime(2026, 11, 27, 3, 10, tzinfo=dt.timezone.utc)
    assert (national.next_after(start) - start) <= dt.timedelta(minutes=30)


@pytest.mark.parametrize(
    "body, expected",
    [
        ('[[group]]\nname = "x"\ncron = "61 * * * *"\nkinds = ["local"]\n', ":3: [x] invalid cron expression"),
        ('[[group]]\nname = "x"\ncron = "0 * * * *"\nkinds = ["locl"]\n', ":4: [x] unknown outlet kind 'locl'"),
        ('[[group]]\nname = "x"\ncron = "0 * * * *"\nkinds = ["local"]\nevery = 3\n', ":5: [x] unknown key 'every'"),
        ('[[group]]\nname = "x"\ncron = "0 * * * *"\n', ":1: [x] select outlets"),
        ('[[group]]\nname = "x"\ncron = "0 * * * *"\nkinds = ["local"]\n[[group]]\nname = "x"\ncron = "0 * * * *"\nkinds = ["local"]\n',
         "[x] duplicate group name"),
        ('[[group]\nname = "x"\n', "Expected"),
    ],
)
def test_schedule_errors_name_file_line_and_group(tmp_path, body, expected):
    path = tmp_path / "s.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ScheduleError) as err:
        load_schedule(path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from reformwatch.schedule import FileLock
    lock = FileLock(Path(sys.argv[1]), "national")
    assert lock.acquire()
    print("held", flush=True)
    time.sleep(30)
    """
)


def test_file_lock_excludes_other_processes_and_is_released_when_holder_dies(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert not FileLock(tmp_path, "national").acquire()
        assert FileLock(tmp_path, "local").acquire()  # other groups are independent
    finally:
        holder.kill()
        holder.wait()
    lock = FileLock(tmp_path, "national")
    assert lock.acquire()  # the kernel released the dead holder's lock
    lock.release()


@pytest.mark.redis
def test_redis_lock_is_shared_and_expires(redis_url):
    a = RedisLock(redis_url, "national", ttl=1)
    b = RedisLock(redis_url, "national", ttl=1)
    assert a.acquire()
    assert not b.acquire()
    time.sleep(1.2)  # a crashed holder cannot block the group forever
    assert b.acquire()
    b.release()


def test_locked_group_run_is_skipped(tmp_path):
    group = Group(name="national", cron="*/30 * * * *", kinds=("national",))
    held = FileLock(tmp_path, "national")
    assert held.acquire()
    calls = []
    summary = run_group(group, lock_dir=tmp_path, redis_url="", crawl=lambda **kw: calls.append(kw) or {})
    held.release()
    assert summary.skipped_locked
    assert calls == []
    assert "skipped" in summary.line()


def test_scheduler_fires_groups_in_cron_order_without_piling_up(tmp_path):
    clock = [dt.datetime(2026, 11, 27, 3, 0, 30, tzinfo=dt.timezone.utc)]
    fired = []

    def crawl(**kw):
        fired.append((clock[0], kw["job"].removeprefix("schedule-")))
        clock[0] += dt.timedelta(minutes=45)  # a run longer than the 30-minute period
        return {"sources": {}}

    def sleep(seconds):
        clock[0] += dt.timedelta(seconds=seconds)

    groups = [Group(name="national", cron="*/30 * * * *", kinds=("national",), annotate=False),
              Group(name="local", cron="0 */3 * * *", kinds=("local",), annotate=False)]
    runs = serve_forever(groups, max_runs=4, sleep=sleep, now=lambda: clock[0], on_summary=lambda s: None,
                         lock_dir=tmp_path, redis_url="", crawl=crawl)
    assert runs == 4
    times = [t for t, _ in fired]
    assert times == sorted(times)
    # the first national run starts at 03:30 UTC; the long run makes the 04:00 fire time be skipped
    assert fired[0] == (dt.datetime(2026, 11, 27, 3, 30, tzinfo=dt.timezone.utc), "national")
    assert all(b - a >= dt.timedelta(minutes=45) for a, b in zip(times, times[1:]))
    assert "local" in {g for _, g in fired}
