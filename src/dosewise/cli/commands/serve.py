"""`dosewise serve`: the web app on http://127.0.0.1:8000 (SQLite in the data directory by default)."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("serve", help="start the web app (prints its address)")
    parser.add_argument("--host", default=None, help="address to bind (default DOSEWISE_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default DOSEWISE_PORT or 8000)")
    parser.add_argument("--access-log", action="store_true", help="log every request (off by default)")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: 2, or 1 on a single core); one process saturates near 200 req/s",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import os
    import sys

    import uvicorn

    from dosewise.bootstrap import load_settings

    settings = load_settings()
    host = args.host or settings.host
    port = args.port or settings.port
    where = (
        "PostgreSQL" if settings.database_url.startswith("postgresql") else f"SQLite in {settings.data_dir}"
    )
    scheme = "https" if settings.tls_certfile else "http"
    sys.stdout.write(f"dosewise is running on {scheme}://{host}:{port} ({where}); press Ctrl+C to stop\n")
    sys.stdout.flush()
    # The app is named, not imported: the CLI and the web app are sibling entry points. The factory
    # reads the settings once and migrates the database before the first request.
    workers = args.workers or min(2, os.cpu_count() or 1)
    if workers > 1:
        # Migrate once, before the workers start, so they never race each other on the first start.
        from dosewise.bootstrap.web import build_web_context

        build_web_context(settings).close()
    uvicorn.run(
        "dosewise.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        access_log=args.access_log,
        log_level="warning",
        workers=max(1, workers),
        ssl_certfile=settings.tls_certfile or None,
        ssl_keyfile=settings.tls_keyfile or None,
        **proxy_options(settings.trusted_proxies),
    )
    return 0


def proxy_options(trusted_proxies: tuple[str, ...]) -> dict[str, Any]:
    """uvicorn's proxy-header options: X-Forwarded-For/-Proto believed only from the configured proxies.

    uvicorn's own default believes them from 127.0.0.1, so anything on the same machine (or a proxy
    that passes the header through) could choose its client address and dodge the sign-in throttle.
    """
    if not trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(trusted_proxies)}
