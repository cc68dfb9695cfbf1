"""``reformwatch schedule``: crawl -> annotate per group of sources on cron schedules."""
from __future__ import annotations

import sys
from pathlib import Path

from reformwatch.cli import UsageError, add_db_argument
from reformwatch.commands.sources import add_sources_argument


def register(sub) -> None:
    p = sub.add_parser(
        "schedule",
        help="run crawl -> annotate on the cron schedules of a config file (or one group now with --once)",
        description="Runs each group of outlets when its cron expression fires; a lock per group keeps two "
        "runs of the same group from overlapping (Redis lock when REDIS_URL is set, else a file lock).",
    )
    p.add_argument("--config", type=Path, default=None, help="schedule file (default: the bundled reformwatch/schedules.toml)")
    add_sources_argument(p)
    add_db_argument(p)
    p.add_argument("--once", metavar="GROUP", help="run this group once now (for cron / systemd timers) and exit")
    p.add_argument("--check", action="store_true", help="validate the schedule file, print the next run times, exit")
    p.add_argument("--max-runs", type=int, default=None, help="stop after this many runs (default: run forever)")
    p.set_defaults(func=_run, _parser=p)


def _run(args) -> int:
    import datetime as dt

    from reformwatch.commands.sources import registry_or_exit
    from reformwatch.schedule import ScheduleError, load_schedule, run_group, select_sources, serve_forever

    try:
        groups = load_schedule(args.config)
    except ScheduleError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    registry = registry_or_exit(args.sources)
    for group in groups:
        try:
            select_sources(group, registry)
        except (KeyError, ValueError) as exc:
            print(f"{args.config or 'schedules.toml'}:{group.line}: [{group.name}] {exc}", file=sys.stderr)
            return 2
    if args.check:
        now = dt.datetime.now(dt.timezone.utc)
        for group in groups:
            n = len(select_sources(group, registry))
            print(f"{group.name:12} {group.cron:16} {n:4d} nguồn  lần chạy tới: {group.next_after(now):%Y-%m-%d %H:%M %Z}")
        return 0
    kwargs = dict(db_url=args.db, sources_path=args.sources)
    if args.once:
        by_name = {g.name: g for g in groups}
        if args.once not in by_name:
            raise UsageError(f"unknown group {args.once!r}; groups: {', '.join(by_name)}")
        summary = run_group(by_name[args.once], **kwargs)
        print(summary.line())
        return 1 if summary.error else 0
    if args.max_runs is not None and args.max_runs < 1:
        raise UsageError("--max-runs must be at least 1")
    serve_forever(groups, max_runs=args.max_runs, **kwargs)
    return 0
