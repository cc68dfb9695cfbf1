"""``reformwatch db upgrade|current``: schema migrations."""
from __future__ import annotations

from reformwatch.cli import add_db_argument


def register(sub) -> None:
    p = sub.add_parser("db", help="database schema: upgrade to the latest revision, show the current one")
    p.set_defaults(_parser=p)
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = dsub.add_parser("upgrade", help="apply migrations up to the latest revision")
    add_db_argument(up)
    up.set_defaults(func=_upgrade, _parser=up)
    cur = dsub.add_parser("current", help="print the schema revision of the database")
    add_db_argument(cur)
    cur.set_defaults(func=_current, _parser=cur)


def _upgrade(args) -> int:
    from storage.db import current_revision, get_engine, resolve_url

    engine = get_engine(args.db)
    print(f"{resolve_url(args.db)}: schema at revision {current_revision(engine)}")
    return 0


def _current(args) -> int:
    from storage.db import current_revision, get_engine

    print(current_revision(get_engine(args.db, migrate=False)) or "(empty database)")
    return 0
