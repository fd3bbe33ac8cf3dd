"""The parts of issue 9 #2 and #3 below the routes: proxy headers, the bounded hashing executor."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from dosewise.bootstrap.settings import load_settings
from dosewise.bootstrap.web import BoundedExecutor
from dosewise.cli.commands.serve import proxy_options
from dosewise.services.ports import ServiceBusy


def test_proxy_headers_are_ignored_unless_proxies_are_configured() -> None:
    """By default uvicorn believes no X-Forwarded-For (its own default trusts 127.0.0.1)."""
    assert proxy_options(load_settings({}).trusted_proxies) == {"proxy_headers": False}


def test_configured_proxies_are_the_only_ones_believed() -> None:
    """DOSEWISE_TRUSTED_PROXIES becomes uvicorn's forwarded_allow_ips, and nothing else."""
    settings = load_settings({"DOSEWISE_TRUSTED_PROXIES": "10.0.0.5, 10.0.0.6"})
    assert proxy_options(settings.trusted_proxies) == {
        "proxy_headers": True,
        "forwarded_allow_ips": "10.0.0.5,10.0.0.6",
    }


def test_password_work_runs_one_at_a_time_and_is_refused_beyond_the_queue() -> None:
    """Twenty parallel sign-ins: one runs at a time, at most eight wait, the rest are refused at once."""
    import asyncio

    executor = BoundedExecutor(workers=1, queue=8)
    running = {"now": 0, "peak": 0}
    lock = threading.Lock()

    def hashing() -> str:
        with lock:
            running["now"] += 1
            running["peak"] = max(running["peak"], running["now"])
        time.sleep(0.05)
        with lock:
            running["now"] -= 1
        return "hashed"

    async def burst() -> list[str]:
        async def one() -> str:
            try:
                return await executor.run(hashing)
            except ServiceBusy:
                return "busy"

        return await asyncio.gather(*(one() for _ in range(20)))

    outcomes = asyncio.run(burst())
    executor.close()
    assert running["peak"] == 1
    assert outcomes.count("hashed") == 9
    assert outcomes.count("busy") == 11


def test_pages_are_served_while_the_password_executor_is_full(app: Any, web_context: Any) -> None:
    """With every password slot taken by slow sign-ins, a page request still answers at once."""
    import asyncio

    from fastapi.testclient import TestClient

    release = threading.Event()

    async def occupy() -> None:
        await asyncio.gather(
            *(web_context.auth.run(lambda: release.wait(10)) for _ in range(9)), return_exceptions=True
        )

    blocker = threading.Thread(target=lambda: asyncio.run(occupy()))
    blocker.start()
    time.sleep(0.2)
    try:
        with TestClient(app, base_url="http://testserver") as browser:
            started = time.perf_counter()
            assert browser.get("/login").status_code == 200
            elapsed = time.perf_counter() - started
            busy = browser.post(
                "/api/v1/session", json={"email": "a@example.org", "password": "some words here"}
            )
    finally:
        release.set()
        blocker.join()
    assert elapsed < 2
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "2"
    assert busy.json()["error"]["code"] == "busy"


@pytest.mark.parametrize("value", ["0", "many"])
def test_a_bad_registration_allowance_is_refused_at_start_up(value: str) -> None:
    """DOSEWISE_REGISTRATIONS_PER_HOUR must be a positive whole number."""
    with pytest.raises(ValueError, match="DOSEWISE_REGISTRATIONS_PER_HOUR"):
        load_settings({"DOSEWISE_REGISTRATIONS_PER_HOUR": value})
