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
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import sys

    import uvicorn

    from dosewise.bootstrap import load_settings

    settings = load_settings()
    host = args.host or settings.host
    port = args.port or settings.port
    where = "PostgreSQL" if settings.database_url.startswith("postgresql") else f"SQLite in {settings.data_dir}"
    sys.stdout.write(f"dosewise is running on http://{host}:{port} ({where}); press Ctrl+C to stop\n")
    sys.stdout.flush()
    # The app is named, not imported: the CLI and the web app are sibling entry points. The factory
    # reads the settings once and migrates the database before the first request.
    uvicorn.run(
        "dosewise.web.app:app_from_environment", factory=True, host=host, port=port, access_log=args.access_log,
        log_level="warning",
    )
    return 0
