"""Scheduled runs: crawl -> annotate per group of sources, on cron expressions.

The schedule file (``reformwatch/schedules.toml`` by default, ``--config`` for another) has
one ``[[group]]`` per group of sources::

    [[group]]
    name = "national"                 # unique, [a-z0-9_-]
    cron = "*/30 * * * *"             # standard 5-field cron, in Asia/Ho_Chi_Minh time
    kinds = ["national", "specialized", "government_portal"]   # select by outlet kind …
    sources = []                      # … and/or by outlet id
    since_days = 3                    # only articles of the last N days (optional)
    annotate = true                   # run the classifier after the crawl (default true)

A lock per group makes sure two runs of the same group never overlap, whether they are
started by this scheduler, by cron (``reformwatch schedule --once GROUP``) or on another
machine: with ``REDIS_URL`` set the lock lives in Redis (expiring, so a crashed holder
cannot block forever), otherwise it is an ``flock`` on a file in the data directory.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import re
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional
from zoneinfo import ZoneInfo

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore

log = logging.getLogger("reformwatch.schedule")
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_SCHEDULE = Path(__file__).with_name("schedules.toml")
GROUP_KEYS = {"name", "cron", "kinds", "sources", "since_days", "annotate"}
KINDS = {"national", "local", "specialized", "government_portal"}


class ScheduleError(ValueError):
    """An invalid schedule file; the message names the file, the line and the group."""


@dataclass(frozen=True)
class Group:
    name: str
    cron: str
    kinds: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    since_days: Optional[int] = None
    annotate: bool = True
    line: int = 0

    def next_after(self, when: dt.datetime) -> dt.datetime:
        from croniter import croniter

        return croniter(self.cron, when.astimezone(VN_TZ)).get_next(dt.datetime)


def _line_of(lines: list[str], pattern: str, start: int = 0) -> int:
    rx = re.compile(pattern)
    for i in range(start, len(lines)):
        if rx.search(lines[i]):
            return i + 1
    return 0


def load_schedule(path: Optional[Path] = None) -> list[Group]:
    from croniter import croniter

    path = Path(path or DEFAULT_SCHEDULE)
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScheduleError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleError(f"{path}: {exc}") from exc
    lines = raw.splitlines()
    unknown_top = set(data) - {"group"}
    if unknown_top:
        key = sorted(unknown_top)[0]
        line = _line_of(lines, r"^\s*\[*" + re.escape(key))
        raise ScheduleError(f"{path}:{line}: unknown key {key!r} (expected [[group]] tables)")
    groups: list[Group] = []
    problems: list[str] = []
    headers = [i for i, line in enumerate(lines) if line.strip() == "[[group]]"]
    for idx, entry in enumerate(data.get("group", [])):
        start = headers[idx] if idx < len(headers) else 0
        name = entry.get("name", f"#{idx + 1}")
        where = lambda key: _line_of(lines, rf"^\s*{key}\s*=", start) or start + 1  # noqa: E731
        for key in sorted(set(entry) - GROUP_KEYS):
            problems.append(f"{path}:{where(key)}: [{name}] unknown key {key!r}")
        if not isinstance(entry.get("name"), str) or not re.fullmatch(r"[a-z0-9_-]+", entry.get("name", "")):
            problems.append(f"{path}:{where('name')}: [{name}] name must be lower-case letters, digits, - or _")
        cron = entry.get("cron")
        if not isinstance(cron, str) or not croniter.is_valid(cron):
            problems.append(f"{path}:{where('cron')}: [{name}] invalid cron expression {cron!r}")
        kinds = tuple(entry.get("kinds", ()))
        for kind in kinds:
            if kind not in KINDS:
                problems.append(f"{path}:{where('kinds')}: [{name}] unknown outlet kind {kind!r}")
        sources = tuple(entry.get("sources", ()))
        if not kinds and not sources:
            problems.append(f"{path}:{start + 1}: [{name}] select outlets with kinds = [...] or sources = [...]")
        since = entry.get("since_days")
        if since is not None and (not isinstance(since, int) or since < 1):
            problems.append(f"{path}:{where('since_days')}: [{name}] since_days must be a positive integer")
        groups.append(Group(name=name, cron=cron or "", kinds=kinds, sources=sources, since_days=since,
                            annotate=bool(entry.get("annotate", True)), line=start + 1))
    names = [g.name for g in groups]
    for g in groups:
        if names.count(g.name) > 1:
            problems.append(f"{path}:{g.line}: [{g.name}] duplicate group name")
    if not groups:
        problems.append(f"{path}: no [[group]] defined")
    if problems:
        raise ScheduleError("\n".join(dict.fromkeys(problems)))
    return groups


# ----------------------------------------------------------------------------- locks
class GroupBusy(RuntimeError):
    pass


class FileLock:
    """Non-blocking flock on ``<dir>/<group>.lock``; released when the process dies."""

    def __init__(self, directory: Path, name: str):
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{name}.lock"
        self._fh = None

    def acquire(self) -> bool:
        fh = open(self.path, "a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(f"{socket.gethostname()} {os.getpid()} {dt.datetime.now(dt.timezone.utc).isoformat()}\n")
        fh.flush()
        self._fh = fh
        return True

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


class RedisLock:
    """A Redis lock shared by every machine; it expires after ``ttl`` seconds unless renewed."""

    def __init__(self, url: str, name: str, ttl: int = 6 * 3600):
        import redis

        self._client = redis.Redis.from_url(url)
        self._lock = self._client.lock(f"reformwatch:schedule:{name}", timeout=ttl, blocking=False)

    def acquire(self) -> bool:
        return bool(self._lock.acquire(blocking=False))

    def release(self) -> None:
        try:
            self._lock.release()
        except Exception:  # expired meanwhile: nothing to release
            pass
        self._client.close()


def group_lock(name: str, *, redis_url: Optional[str] = None, lock_dir: Optional[Path] = None):
    redis_url = redis_url if redis_url is not None else os.environ.get("REDIS_URL")
    if redis_url:
        return RedisLock(redis_url, name)
    from storage.db import data_dir

    return FileLock(lock_dir or data_dir() / "locks", name)


# ----------------------------------------------------------------------------- runs
@dataclass
class RunSummary:
    group: str
    started: dt.datetime
    finished: Optional[dt.datetime] = None
    skipped_locked: bool = False
    crawl: dict = field(default_factory=dict)
    annotated: int = 0
    error: Optional[str] = None

    def line(self) -> str:
        if self.skipped_locked:
            return f"[{self.group}] skipped: a run of this group is still in progress (locked)"
        sources = self.crawl.get("sources", {}) if self.crawl else {}
        new = sum(s.get("new", 0) for s in sources.values())
        updated = sum(s.get("updated", 0) for s in sources.values())
        errors = sum(s.get("errors", 0) for s in sources.values())
        took = (self.finished - self.started).total_seconds() if self.finished else 0
        status = f"FAILED: {self.error}" if self.error else "ok"
        return (f"[{self.group}] {status}: {len(sources)} sources, {new} new, {updated} updated, "
                f"{errors} errors, {self.annotated} annotated, {took:.1f}s")


def select_sources(group: Group, registry) -> list[str]:
    ids = [o.id for o in registry.outlets if o.kind in group.kinds]
    ids += [s for s in group.sources if s not in ids]
    registry.select(ids)  # raises on unknown ids
    return ids


def run_group(
    group: Group,
    *,
    db_url: Optional[str] = None,
    sources_path: Optional[Path] = None,
    settings: Optional[dict] = None,
    redis_url: Optional[str] = None,
    lock_dir: Optional[Path] = None,
    crawl: Optional[Callable[..., dict]] = None,
    annotate: Optional[Callable[..., int]] = None,
) -> RunSummary:
    """One run of a group under its lock: crawl its sources, then annotate what is new."""
    summary = RunSummary(group=group.name, started=dt.datetime.now(dt.timezone.utc))
    lock = group_lock(group.name, redis_url=redis_url, lock_dir=lock_dir)
    if not lock.acquire():
        summary.skipped_locked = True
        log.warning(summary.line())
        return summary
    try:
        from crawler.registry import load_registry

        if crawl is None:
            from crawler.run import run_crawl as crawl
        registry = load_registry(sources_path)
        since = None
        if group.since_days:
            since = (dt.datetime.now(VN_TZ) - dt.timedelta(days=group.since_days)).date()
        summary.crawl = crawl(db_url=db_url, sources_path=sources_path, source_ids=select_sources(group, registry),
                              since=since, settings=settings, job=f"schedule-{group.name}")
        if group.annotate:
            if annotate is None:
                from reformwatch.commands.annotate import annotate_pending as annotate
            summary.annotated = int(annotate(db_url=db_url) or 0)
    except Exception as exc:  # a failed run is logged and recorded, the scheduler goes on
        summary.error = f"{type(exc).__name__}: {exc}"
        log.exception("run of group %s failed", group.name)
    finally:
        lock.release()
        summary.finished = dt.datetime.now(dt.timezone.utc)
    log.info(summary.line())
    return summary


def serve_forever(
    groups: list[Group],
    *,
    max_runs: Optional[int] = None,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
    on_summary: Callable[[RunSummary], None] = lambda s: print(s.line(), flush=True),
    **run_kwargs,
) -> int:
    """Run groups when their cron expressions fire. A run that is still going when its next
    fire time passes makes that fire time be skipped (runs never pile up)."""
    runs = 0
    start = now()
    pending = {g.name: g.next_after(start) for g in groups}
    by_name = {g.name: g for g in groups}
    while max_runs is None or runs < max_runs:
        name = min(pending, key=lambda n: pending[n])
        wait = (pending[name] - now()).total_seconds()
        if wait > 0:
            sleep(wait)
        on_summary(run_group(by_name[name], **run_kwargs))
        runs += 1
        pending[name] = by_name[name].next_after(max(now(), pending[name]))
    return runs
