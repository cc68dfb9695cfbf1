"""``reformwatch`` console script: one sub-command per stage, wired here and nowhere else."""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Optional, Sequence

from reformwatch import __version__

# Command modules in the order they appear in --help. Each has register(subparsers).
COMMAND_MODULES = [
    "demo",        # serve the bundled demo outlets and run the whole pipeline
    "crawl",       # crawl outlets into the database
    "extract",     # extract one saved page
    "sources",     # registry check / list / health
    "classify",    # JSONL in -> JSONL out
    "train",
    "evaluate",
    "annotate",    # classify stored articles
    "coverage",
    "serve",       # review web app
    "users",
    "export",
    "evidence",
    "bulletin",
    "schedule",
    "db",
]


class UsageError(Exception):
    """A wrong argument detected after parsing: printed with usage, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reformwatch",
        description="Theo dõi báo chí về cải cách hành chính — media monitoring of Vietnamese administrative-reform news.",
    )
    parser.add_argument("--version", action="version", version=f"reformwatch {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        modname = f"reformwatch.commands.{name}"
        try:
            module = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name == modname:
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="SQLAlchemy database URL or SQLite file path (default: $REFORMWATCH_DB, else the embedded SQLite file)",
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        sub = getattr(args, "_parser", parser)
        sub.print_usage(sys.stderr)
        print(f"{sub.prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
