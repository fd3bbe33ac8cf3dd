"""Browser tests: Debian's Chromium through Playwright against the real server (uvicorn, SQLite in a temp
data directory, the real clock) on a free loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_support import LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if str(item.fspath).startswith(str(Path(__file__).parent)):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium with the flags this machine needs (no downloads, no sandbox as root)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app served by uvicorn as `dosewise serve` serves it, on a free port, for the whole session."""
    import uvicorn

    from dosewise.bootstrap.settings import load_settings
    from dosewise.bootstrap.web import Argon2Hasher, build_web_context
    from dosewise.web.app import create_app

    data = tmp_path_factory.mktemp("dosewise-browser")
    # Every journey registers from 127.0.0.1: lift the per-client sign-up allowance for the session.
    settings = load_settings({"DOSEWISE_DATA_DIR": str(data), "DOSEWISE_REGISTRATIONS_PER_HOUR": "10000"})
    context = build_web_context(settings, hasher=Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1))
    app = create_app(context)
    port = _free_port()
    uv = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")
    )
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:  # pragma: no cover
        raise RuntimeError("the server did not start")
    yield LiveServer(url, app)
    uv.should_exit = True
    thread.join(timeout=10)
    context.close()
