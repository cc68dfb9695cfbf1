"""``reformwatch serve``: the review web app (uvicorn)."""
from __future__ import annotations

from reformwatch.cli import UsageError, add_db_argument


def register(sub) -> None:
    p = sub.add_parser("serve", help="start the review web app (default http://127.0.0.1:8000)")
    add_db_argument(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--secure-cookies", action="store_true",
                   help="mark the session cookie Secure (serve behind https); also $REFORMWATCH_SECURE_COOKIES=1")
    p.add_argument("--workers", type=int, default=1,
                   help="uvicorn worker processes (login rate limits are counted per process)")
    p.set_defaults(func=_serve, _parser=p)


def _serve(args) -> int:
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port}: expected 1-65535")
    if args.workers < 1:
        raise UsageError(f"--workers {args.workers}: expected at least 1")
    import os

    import uvicorn

    from storage.db import get_engine, resolve_url

    url = resolve_url(args.db)
    get_engine(url)  # migrate once, before the workers start
    os.environ["REFORMWATCH_DB"] = url
    if args.secure_cookies:
        os.environ["REFORMWATCH_SECURE_COOKIES"] = "1"
    from webapp.app import _secret_key

    os.environ.setdefault("REFORMWATCH_SECRET_KEY", _secret_key())  # one key for every worker
    print(f"ReformWatch: http://{args.host}:{args.port}/ (CSDL: {url.split('@')[-1]})", flush=True)
    uvicorn.run("webapp.asgi:app", host=args.host, port=args.port, workers=args.workers,
                proxy_headers=False, server_header=False, log_level="info")
    return 0
