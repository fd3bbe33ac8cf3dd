"""The parts of issue 9 #2 and #3 below the routes: proxy headers, the bounded hashing executor."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from dosewise.bootstrap.settings import load_settings
from dosewise.bootstrap.web import BoundedHasher
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


class _SlowHasher:
    def __init__(self) -> None:
        self.running = 0
        self.peak = 0
        self.lock = threading.Lock()

    def hash(self, password: str) -> str:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        time.sleep(0.05)
        with self.lock:
            self.running -= 1
        return "h$" + password

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == self.hash(password)

    def needs_rehash(self, password_hash: str) -> bool:
        return False


def test_hashing_runs_one_at_a_time_and_refuses_beyond_the_queue() -> None:
    """Twenty parallel hashes: one runs at a time, at most eight wait, the rest are refused at once."""
    inner = _SlowHasher()
    bounded = BoundedHasher(inner, workers=1, queue=8)
    outcomes: list[str] = []
    start = threading.Barrier(20)

    def work() -> None:
        start.wait()
        try:
            bounded.hash("x")
            outcomes.append("hashed")
        except ServiceBusy:
            outcomes.append("busy")

    threads = [threading.Thread(target=work) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bounded.close()
    assert inner.peak == 1
    assert outcomes.count("hashed") <= 9
    assert outcomes.count("busy") >= 11


def test_a_busy_hasher_answers_503_with_retry_after(app: Any, web_context: Any, monkeypatch: Any) -> None:
    """A sign-in that finds the hashing queue full gets a fast 503 and Retry-After."""
    from fastapi.testclient import TestClient

    def full(*args: Any) -> Any:
        raise ServiceBusy("dosewise is busy signing people in", retry_after_seconds=2)

    monkeypatch.setattr(web_context.hasher, "_run", full)
    with TestClient(app, base_url="http://testserver") as browser:
        answer = browser.post(
            "/api/v1/session", json={"email": "a@example.org", "password": "whatever words"}
        )
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "2"
    assert answer.json()["error"]["code"] == "busy"


@pytest.mark.parametrize("value", ["0", "many"])
def test_a_bad_registration_allowance_is_refused_at_start_up(value: str) -> None:
    """DOSEWISE_REGISTRATIONS_PER_HOUR must be a positive whole number."""
    with pytest.raises(ValueError, match="DOSEWISE_REGISTRATIONS_PER_HOUR"):
        load_settings({"DOSEWISE_REGISTRATIONS_PER_HOUR": value})
