"""The local push service (web-push-testing, from npm) as a test sees it: subscribe like a browser, read
what it received (decrypted by the peer itself), expire a subscription."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).parent
NODE_MODULES = HERE / "node_modules" / "web-push-testing"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _post(url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    response = httpx.post(url, json=body or {}, timeout=10)
    text = response.text
    return response.status_code, response.json() if text.strip().startswith(("{", "[")) else text


@dataclass
class Subscription:
    """What a browser's PushSubscription.toJSON() gives, and the peer's handle on it."""

    endpoint: str
    p256dh: str
    auth: str
    client_hash: str

    def as_json(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


@dataclass
class PushPeer:
    url: str

    def subscribe(self, application_server_key: str) -> Subscription:
        # The peer wants userVisibleOnly as the string "true" (interop notes).
        status, body = _post(
            f"{self.url}/subscribe",
            {"userVisibleOnly": "true", "applicationServerKey": application_server_key},
        )
        assert status == 200, body
        data = body["data"]
        return Subscription(
            data["endpoint"], data["keys"]["p256dh"], data["keys"]["auth"], data["clientHash"]
        )

    def messages(self, subscription: Subscription) -> list[dict[str, Any]]:
        """Every payload the peer accepted for this subscription, decrypted by the peer, as JSON."""
        status, body = _post(f"{self.url}/get-notifications", {"clientHash": subscription.client_hash})
        assert status == 200, body
        return [json.loads(m) for m in body["data"]["messages"]]

    def headers(self, subscription: Subscription) -> list[dict[str, Any]]:
        """The TTL, Urgency and Topic headers of every push sent to this subscription."""
        status, body = _post(f"{self.url}/received-headers")
        assert status == 200, body
        return [h for h in body["data"] if h["path"].endswith(subscription.client_hash)]

    def expire(self, subscription: Subscription) -> None:
        status, body = _post(f"{self.url}/expire-subscription/{subscription.client_hash}")
        assert status == 200, body


@contextmanager
def running_peer() -> Iterator[PushPeer]:
    assert NODE_MODULES.is_dir(), "run `npm ci` in tests/reminders (scripts/test.sh does)"
    port = free_port()
    process = subprocess.Popen(
        ["node", str(HERE / "push_peer.js"), str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    peer = PushPeer(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if _post(f"{peer.url}/status")[0] == 200:
                    break
            except httpx.HTTPError:  # not listening yet
                pass
            assert process.poll() is None, process.stdout.read() if process.stdout else "peer exited"
            assert time.monotonic() < deadline, "the push peer did not start"
            time.sleep(0.1)
        yield peer
    finally:
        process.terminate()
        process.wait(timeout=10)
