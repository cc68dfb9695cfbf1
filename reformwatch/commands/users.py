"""``reformwatch users add NAME --role ROLE [--password-stdin]`` and ``users list``."""
from __future__ import annotations

import sys

from reformwatch.cli import UsageError, add_db_argument

ROLES = ("viewer", "reviewer", "admin")


def register(sub) -> None:
    p = sub.add_parser("users", help="staff accounts of the review app: add, list")
    p.set_defaults(_parser=p)
    usub = p.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = usub.add_parser("add", help="create a user (asks for the password, or reads it from stdin)")
    add.add_argument("name", help="username (letters, digits, . _ @ -)")
    add.add_argument("--role", required=True, help="viewer | reviewer | admin")
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    add_db_argument(add)
    add.set_defaults(func=_add, _parser=add)
    ls = usub.add_parser("list", help="list users with their role")
    add_db_argument(ls)
    ls.set_defaults(func=_list, _parser=ls)


def _read_password(args) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    import getpass

    first = getpass.getpass(f"Mật khẩu cho {args.name}: ")
    second = getpass.getpass("Nhập lại mật khẩu: ")
    if first != second:
        raise UsageError("the two passwords differ")
    return first


def _add(args) -> int:
    if args.role not in ROLES:
        raise UsageError(f"--role {args.role!r}: expected one of {', '.join(ROLES)}")
    from storage.users import MIN_PASSWORD_LENGTH, USERNAME_RE

    if not USERNAME_RE.match(args.name):
        raise UsageError(f"username {args.name!r}: use 1-64 letters, digits or . _ @ -")
    password = _read_password(args)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsageError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    from storage.db import session_scope
    from storage.users import UserError, create_user

    try:
        with session_scope(args.db) as session:
            create_user(session, args.name, password, args.role, created_by="cli")
    except UserError as exc:
        print(f"reformwatch users add: error: {exc}", file=sys.stderr)
        return 1
    print(f"Đã tạo người dùng {args.name} (vai trò {args.role}).")
    return 0


def _list(args) -> int:
    from storage.db import session_scope
    from storage.users import list_users

    with session_scope(args.db) as session:
        users = list_users(session)
        if not users:
            print("(chưa có người dùng nào)")
        for u in users:
            state = "" if u.active else " (đã khoá)"
            print(f"{u.username}\t{u.role}{state}\t{u.created_at:%Y-%m-%d}")
    return 0
