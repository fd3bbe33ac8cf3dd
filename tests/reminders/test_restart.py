"""Exactly-once delivery across a crash: a real `dosewise serve` (two worker processes, each with its
scheduler) writes the jobs, is killed with SIGKILL before they are due, stays down through the reminders'
time, and starts again: every reminder arrives once at the real push service, none twice.

Runs on the session's database (SQLite by default, PostgreSQL with DOSEWISE_TEST_DATABASE_URL), as
scripts/test.sh runs the database-backed suites on both.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from push_peer import PushPeer, Subscription
from sqlalchemy import create_engine, text
from web_support import PASSWORD, Person, saved_after_preview, set_profile

from dosewise.adapters.db.testing import TEST_DATABASE_ENV, scratch_database

pytestmark = pytest.mark.slow

PATIENTS = 6


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """`dosewise serve --workers 2` as a process group, so SIGKILL takes the workers with it."""

    def __init__(self, environment: dict[str, str], port: int, log: Path) -> None:
        self.environment, self.port, self.log = environment, port, log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        code = "import sys; from dosewise.cli.main import main; sys.exit(main(sys.argv[1:]))"
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-c", code, "serve", "--port", str(self.port), "--workers", "2"],
                env=self.environment,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.process.poll() is None, self.log.read_text()
            time.sleep(0.2)
        raise AssertionError("dosewise serve did not start: " + self.log.read_text())

    def kill(self) -> None:
        """kill -9 of the whole server: no shutdown hook runs, nothing is flushed."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    with scratch_database(os.environ.get(TEST_DATABASE_ENV), tmp_path) as url:
        yield url


@pytest.fixture
def server(tmp_path: Path, database: str) -> Iterator[Server]:
    environment = {
        **os.environ,
        "DOSEWISE_DATA_DIR": str(tmp_path / "data"),
        "DOSEWISE_DATABASE_URL": database,
        "DOSEWISE_SECRET_KEY": "restart-test-secret",
        "DOSEWISE_REMINDER_TICK_SECONDS": "1",
        "DOSEWISE_PUSH_INSECURE_ENDPOINTS": "true",
        "DOSEWISE_VAPID_SUBJECT": "mailto:reminders@example.org",
        "DOSEWISE_REGISTRATIONS_PER_HOUR": "1000",
    }
    running = Server(environment, _free_port(), tmp_path / "serve.log")
    running.start()
    yield running
    running.stop()


def _patient(server: Server, number: int) -> Person:
    client = httpx.Client(base_url=server.url, timeout=30)
    email = f"restart.{number}@example.org"
    answer = client.post(
        "/api/v1/accounts",
        json={
            "email": email,
            "password": PASSWORD,
            "display_name": f"Pat {number}",
            "role": "patient",
            "timezone": "UTC",
        },
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return Person(
        client, email, f"Pat {number}", "patient", body["csrf_token"], body["patients"][0]["patient_id"]
    )


def _plan(person: Person, first: datetime) -> None:
    """The label titration from today in UTC, its first dose at ``first`` (then 4 and 8 hours on)."""
    assert set_profile(person, timezone="UTC").status_code == 200
    times = ",".join((first + timedelta(hours=h)).strftime("%H:%M") for h in (0, 4, 8))
    body = {
        "drug": "baclofen",
        "start": first.date().isoformat(),
        "reason": "spasticity",
        "prescriber": "Dr Who",
        "times": times,
    }
    saved = saved_after_preview(person, f"/api/v1/patients/{person.patient_id}/plan", body)
    assert saved.status_code == 201, saved.text


class HoldingProxy:
    """Between dosewise and the push service: holds pushes (never forwarding them) until told to pass
    them on, so the server can be killed with a push in flight that the push service never saw."""

    def __init__(self, peer: PushPeer) -> None:
        self.peer, self.held, self.forwarding = peer, 0, False
        self.release = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if not proxy.forwarding:
                    proxy.held += 1
                    proxy.release.wait(60)  # the sender waits for an answer that never comes
                    self.close_connection = True
                    return
                names = ("TTL", "Urgency", "Topic", "Content-Encoding", "Content-Type", "Authorization")
                headers = {n: self.headers[n] for n in names if self.headers.get(n)}
                answer = httpx.post(proxy.peer.url + self.path, content=body, headers=headers, timeout=10)
                self.send_response(answer.status_code)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def pass_on(self) -> None:
        """Drop what was held (the push service never got it) and forward everything from now on."""
        self.forwarding = True
        self.release.set()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()


def _enrol(
    server: Server, peer: PushPeer, count: int, first: datetime, via: str | None = None
) -> list[Subscription]:
    """``count`` patients on plans whose first dose is at ``first``, each with a device (through ``via``)."""
    devices = []
    key = None
    for number in range(count):
        person = _patient(server, number)
        _plan(person, first)
        key = key or person.api("GET", "/api/v1/push/key").json()["public_key"]
        device = peer.subscribe(key)
        subscription = device.as_json()
        if via is not None:
            subscription["endpoint"] = subscription["endpoint"].replace(peer.url, via)
        answer = person.api(
            "POST", f"/api/v1/patients/{person.patient_id}/push-subscriptions", json=subscription
        )
        assert answer.status_code == 201, answer.text
        mine = person.api(
            "PUT", f"/api/v1/patients/{person.patient_id}/reminders", json={"own_kinds": ["dose"]}
        )
        assert mine.status_code == 200, mine.text
        devices.append(device)
    return devices


def _jobs(database: str, due: datetime) -> dict[str, int]:
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT state, due_at FROM reminder_jobs WHERE kind = 'dose'")
            ).all()
    finally:
        engine.dispose()
    states: Counter[str] = Counter()
    for state, at in rows:
        moment = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if moment == due:
            states[state] += 1
    return dict(states)


def _wait(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def test_a_reminder_is_delivered_exactly_once_when_the_server_is_killed_between_scheduling_and_sending(
    server: Server, database: str, push_peer: PushPeer
) -> None:
    """Six patients' next dose reminders are written by the running server; kill -9 before they are due;
    the server stays down through their time; after the restart each arrives once: sent 6, delivered 6,
    duplicates 0, and nothing is left pending."""
    now = datetime.now(UTC)
    # The first dose far enough ahead for six accounts and plans to be made (argon2 at full cost).
    first = (now + timedelta(seconds=150)).replace(second=0, microsecond=0)
    devices = _enrol(server, push_peer, PATIENTS, first)
    assert datetime.now(UTC) < first - timedelta(seconds=10), "setup took too long for this run"
    _wait(lambda: _jobs(database, first).get("pending", 0) == PATIENTS, 30, "the jobs to be scheduled")
    server.kill()
    assert _jobs(database, first) == {"pending": PATIENTS}
    assert all(push_peer.messages(device) == [] for device in devices)
    # Down through the reminders' time (they are still inside the take window when it comes back).
    time.sleep(max(0.0, (first - datetime.now(UTC)).total_seconds()) + 3)
    server.start()
    _wait(lambda: _jobs(database, first).get("sent", 0) == PATIENTS, 60, "every reminder to be sent")
    time.sleep(3)  # two more ticks of both workers: anything sent twice would show now
    received = [push_peer.messages(device) for device in devices]
    titles = Counter(m["title"] for messages in received for m in messages)
    delivered = sum(len(messages) for messages in received)
    duplicates = sum(max(0, len(messages) - 1) for messages in received)
    backend = "PostgreSQL" if database.startswith("postgresql") else "SQLite"
    print(
        f"restart test ({backend}, 2 workers, kill -9): sent {PATIENTS}, delivered {delivered}, duplicates {duplicates}"
    )
    assert titles == {f"Time for your {first:%H:%M} dose": PATIENTS}
    assert [len(messages) for messages in received] == [1] * PATIENTS
    assert duplicates == 0
    assert _jobs(database, first) == {"sent": PATIENTS}


def test_a_push_in_flight_when_the_server_is_killed_is_sent_once_after_the_restart(
    server: Server, database: str, push_peer: PushPeer
) -> None:
    """The worst moment: a worker has claimed the due reminders and its push is on the wire (held by a
    proxy, never reaching the push service) when the server is killed. The claims outlive the process;
    when their lease runs out the restarted server sends each reminder once: duplicates 0."""
    count = 3
    proxy = HoldingProxy(push_peer)
    try:
        first = (datetime.now(UTC) + timedelta(seconds=90)).replace(second=0, microsecond=0)
        devices = _enrol(server, push_peer, count, first, via=proxy.url)
        assert datetime.now(UTC) < first, "setup took too long for this run"
        _wait(lambda: proxy.held >= 1, (first - datetime.now(UTC)).total_seconds() + 20, "a push in flight")
        server.kill()
        at_kill = _jobs(database, first)
        assert at_kill.get("claimed", 0) >= 1, at_kill
        assert at_kill.get("sent", 0) == 0, at_kill
        proxy.pass_on()
        assert all(push_peer.messages(device) == [] for device in devices)
        server.start()
        # The dead worker's claims are honoured until their lease (60 s) runs out, then taken over.
        _wait(lambda: _jobs(database, first).get("sent", 0) == count, 120, "every reminder to be sent")
        time.sleep(3)
        received = [push_peer.messages(device) for device in devices]
        duplicates = sum(max(0, len(messages) - 1) for messages in received)
        backend = "PostgreSQL" if database.startswith("postgresql") else "SQLite"
        print(
            f"restart test, push in flight ({backend}, kill -9 with {at_kill.get('claimed', 0)} claimed): "
            f"sent {count}, delivered {sum(len(m) for m in received)}, duplicates {duplicates}"
        )
        assert [len(messages) for messages in received] == [1] * count
        assert duplicates == 0
    finally:
        proxy.close()
