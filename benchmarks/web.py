"""Web benchmark: the real server (SQLite, no access log) measured beside a bare endpoint of the same app.

Prints, in one run:
  * the throughput ceiling (wrk, 50 connections) of /healthz (the bare endpoint: same app and middleware,
    no session, no database), of the Today page, and of dose logging (POST /api/v1/.../doses, each request
    a new entry: two inserts and a durable commit);
  * p50/p99 latency of the same three at a fixed offered load of 200 requests per second, open loop: every
    request has a scheduled send time and its latency is measured from that time, so queueing in the
    client or the server is never hidden (no coordinated omission).

and, as the floors each layer sits on:
  * the service-only cost of each endpoint (the session lookup, the Today view, logging a dose), called
    in-process on the same database with no HTTP, so the framework's share is visible;
  * the durable-commit rate of the same database (SQLite: a scratch file on the same disk, WAL and
    synchronous=FULL; PostgreSQL: an insert and commit per transaction), the ceiling for any write.

Budgets: design.md (p99 < 50 ms for reads and < 100 ms for writes at 200 req/s on SQLite) and issue 10
(Today >= 1,000 req/s with 2 workers and >= 12% of the bare endpoint, p99 < 20 ms at 200 req/s with 1
worker; a logged dose >= 800 req/s with 2 workers, p99 < 30 ms with 1 worker).
Loopback only; bounded in count and time (about a minute; --seconds to change).

    .venv/bin/python benchmarks/web.py [--seconds 10] [--rate 200] [--connections 50]
    .venv/bin/python benchmarks/web.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

With --database-url the benchmark creates a scratch database next to the one named (and drops it after).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
DOSEWISE = Path(sys.executable).parent / "dosewise"
READ_BUDGET_MS = 50.0
WRITE_BUDGET_MS = 100.0


@dataclass
class Target:
    name: str
    method: str
    path: str
    kind: str  # "bare" | "read" | "write"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(data_dir: Path, database_url: str) -> dict[str, str]:
    values = {"DOSEWISE_DATA_DIR": str(data_dir)}
    if database_url:
        values["DOSEWISE_DATABASE_URL"] = database_url
    return values


def _seed(data_dir: Path, database_url: str = "") -> dict[str, str]:
    """The demo record (titration in progress, history, stock) and a second record for write load."""
    from dosewise.bootstrap import load_settings
    from dosewise.bootstrap.web import build_web_context
    from dosewise.services import accounts, plans_service, records, sharing
    from dosewise.services.demo_seed import DEMO_PASSWORD, seed_demo

    context = build_web_context(load_settings(_environment(data_dir, database_url)))
    logins = seed_demo(store=context.store, kb=context.kb, hasher=context.hasher, clock=context.clock)
    writer = accounts.register(
        store=context.store,
        hasher=context.hasher,
        clock=context.clock,
        email="writer@bench.dosewise.org",
        password=DEMO_PASSWORD,
        display_name="Load Writer",
        role="patient",
        timezone="Europe/London",
        enforce_policy=False,  # the published demo password, as for the demo accounts
    )
    writer_id = sharing.shared_with_me(store=context.store, actor=writer)[0].public_id
    records.update_profile(
        store=context.store,
        clock=context.clock,
        actor=writer,
        public_id=writer_id,
        changes=records.ProfileChanges(timezone="Europe/London"),
    )
    # Every benchmark write is a new slot, so the write-load record needs thousands of past doses: its
    # titration is started as it would have been 6,000 days ago (the planner refuses a start that is more
    # than a year from its own today, so the plan is made with that day's clock).
    then = datetime.now(UTC) - timedelta(days=6000)
    start = then.date()
    plans_service.start_titration(
        store=context.store,
        kb=context.kb,
        clock=lambda: then,
        actor=writer,
        public_id=writer_id,
        request=plans_service.TitrationRequest(drug="baclofen", start=start.isoformat()),
        reason="benchmark",
        prescriber="Dr Bench",
    )
    context.close()
    return {
        "patient": logins.patient,
        "patient_id": logins.patient_id,
        "password": DEMO_PASSWORD,
        "writer": "writer@bench.dosewise.org",
        "writer_id": writer_id,
        "writer_start": start.isoformat(),
    }


def _sign_in(base: str, email: str, password: str) -> tuple[str, str]:
    response = httpx.post(f"{base}/api/v1/session", json={"email": email, "password": password}, timeout=30)
    response.raise_for_status()
    return response.cookies["dosewise_session"], response.json()["csrf_token"]


class Slots:
    """Past planned doses of the write-load patient, handed out once each (every write is a new entry)."""

    def __init__(self, start: date, days: int) -> None:
        self.items = [(start + timedelta(days=d), i) for d in range(days) for i in range(3)]
        self.next = 0

    def take(self, count: int) -> list[tuple[date, int]]:
        chunk = self.items[self.next : self.next + count]
        self.next += count
        if len(chunk) < count:
            raise RuntimeError("out of slots: lower --seconds")
        return chunk


def _write_body(slot: tuple[date, int], key: str) -> bytes:
    return json.dumps(
        {"slot_date": slot[0].isoformat(), "slot_index": slot[1], "status": "skipped", "idempotency_key": key}
    ).encode()


# --------------------------------------------------------------------------------------------------- wrk
_WRK_WRITE = """
local slots = {%s}
local counter = 0
local thread_id = 0
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  thread_id = id
end
request = function()
  local index = thread_id + counter * %d + 1
  counter = counter + 1
  local slot = slots[((index - 1) %% #slots) + 1]
  local body = string.format('{"slot_date":"%%s","slot_index":%%d,"status":"skipped","idempotency_key":"wrk-%s-%%d-%%d"}',
                              slot[1], slot[2], thread_id, counter)
  return wrk.format("POST", "%s", {["Content-Type"]="application/json", ["Cookie"]="%s", ["X-CSRF-Token"]="%s"}, body)
end
"""


def _wrk(
    url: str, seconds: int, connections: int, headers: dict[str, str], script: str | None = None
) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    if script:
        command += ["-s", script]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    total = re.search(r"(\d+) requests in", output)
    return {
        "rate": rate,
        "non2xx": float(non2xx.group(1)) if non2xx else 0.0,
        "requests": float(total.group(1)) if total else 0.0,
    }


# ----------------------------------------------------------------------------------------------- open loop
async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    lower = head.lower()
    match = re.search(rb"content-length:\s*(\d+)", lower)
    if match:
        await reader.readexactly(int(match.group(1)))
    elif b"transfer-encoding: chunked" in lower:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _open_loop(
    host: str, port: int, make_request: object, rate: float, seconds: float, max_connections: int = 256
) -> tuple[list[float], int]:
    """Send request i at start + i/rate on a free keep-alive connection (opening one if none is free)."""
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    opened = 0
    gate = asyncio.Semaphore(max_connections)
    latencies: list[float] = []
    errors = 0
    total = int(rate * seconds)
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2

    async def one(index: int) -> None:
        nonlocal opened, errors
        scheduled = start + index / rate
        await asyncio.sleep(max(0.0, scheduled - loop.time()))
        async with gate:
            for attempt in range(2):
                if idle and attempt == 0:
                    reader, writer = idle.pop()
                else:
                    reader, writer = await asyncio.open_connection(host, port)
                    opened += 1
                try:
                    writer.write(make_request(index))  # type: ignore[operator]
                    await writer.drain()
                    status = await _read_response(reader)
                    break
                except (asyncio.IncompleteReadError, ConnectionError):
                    # The server closed an idle keep-alive connection: send again on a new one (the time
                    # this takes still counts, from the scheduled send time).
                    writer.close()
            else:
                errors += 1
                return
            latencies.append((loop.time() - scheduled) * 1000)
            if status >= 400:
                errors += 1
            idle.append((reader, writer))

    await asyncio.gather(*(one(i) for i in range(total)))
    for _, writer in idle:
        writer.close()
    return latencies, errors


def _http(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _run(
    args: argparse.Namespace, data_dir: Path, seeded: dict[str, str], slots: Slots, workers: int
) -> dict[str, dict[str, float]]:
    """Start `dosewise serve --workers N`, measure the three targets, stop it."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DOSEWISE_PORT": str(port)}
    env.pop("DOSEWISE_DATABASE_URL", None)
    env.update(_environment(data_dir, args.database_url))
    command = [str(DOSEWISE), "serve", "--workers", str(workers)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    results: dict[str, dict[str, float]] = {}
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        reader_cookie, _ = _sign_in(base, seeded["patient"], seeded["password"])
        writer_cookie, writer_csrf = _sign_in(base, seeded["writer"], seeded["password"])
        today_path = f"/p/{seeded['patient_id']}/today"
        write_path = f"/api/v1/patients/{seeded['writer_id']}/doses"
        read_headers = {"Cookie": f"dosewise_session={reader_cookie}"}
        write_headers = {
            "Cookie": f"dosewise_session={writer_cookie}",
            "X-CSRF-Token": writer_csrf,
            "Content-Type": "application/json",
        }
        assert httpx.get(base + today_path, headers=read_headers).status_code == 200
        for target in TARGETS:
            print(f"  wrk {target.name} ...", flush=True)
            path = {"read": today_path, "write": write_path}.get(target.kind, target.path)
            if target.kind == "write":
                chunk = slots.take(int(args.seconds * 500))
                table = ",".join(f'{{"{d.isoformat()}",{i}}}' for d, i in chunk)
                script = data_dir / f"write-{port}.lua"
                script.write_text(
                    textwrap.dedent(_WRK_WRITE % (table, 2, port, path, write_headers["Cookie"], writer_csrf))
                )
                results[target.name] = _wrk(base + path, args.seconds, args.connections, {}, str(script))
            else:
                headers = {} if target.kind == "bare" else read_headers
                results[target.name] = _wrk(base + path, args.seconds, args.connections, headers)
            time.sleep(1)
        for target in TARGETS:
            print(f"  open loop {target.name} at {args.rate:.0f} req/s ...", flush=True)
            path = {"read": today_path, "write": write_path}.get(target.kind, target.path)
            if target.kind == "write":
                chunk = slots.take(int(args.rate * args.seconds))

                def make(index: int, chunk: list[tuple[date, int]] = chunk, path: str = path) -> bytes:
                    return _http(
                        "POST", path, write_headers, _write_body(chunk[index], f"open-{index}-{port}")
                    )
            else:
                headers = {} if target.kind == "bare" else read_headers

                def make(index: int, path: str = path, headers: dict[str, str] = headers) -> bytes:
                    return _http("GET", path, headers)

            latencies, errors = asyncio.run(_open_loop("127.0.0.1", port, make, args.rate, args.seconds))
            results[target.name].update(
                p50=statistics.median(latencies),
                p99=_percentile(latencies, 0.99),
                errors=errors,
                sent=len(latencies),
            )
            time.sleep(1)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    return results


# ------------------------------------------------------------------------------------------------ floors
def _median_ms(call: object, count: int) -> float:
    samples = []
    for index in range(count):
        start = time.perf_counter()
        call(index)  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _service_costs(
    data_dir: Path, seeded: dict[str, str], slots: Slots, database_url: str
) -> dict[str, float]:
    """Each endpoint's service call in-process, on the same database, without HTTP (median ms)."""
    from dosewise.bootstrap import load_settings
    from dosewise.bootstrap.web import build_web_context
    from dosewise.services import accounts, today

    context = build_web_context(load_settings(_environment(data_dir, database_url)))
    try:
        reader, writer = (
            accounts.authenticate(
                store=context.store,
                hasher=context.hasher,
                clock=context.clock,
                email=seeded[who],
                password=seeded["password"],
                client="benchmark",
            )
            for who in ("patient", "writer")
        )
        session = accounts.open_session(store=context.store, clock=context.clock, actor=reader)
        chunk = slots.take(SERVICE_CALLS)
        costs = {
            "session lookup": _median_ms(
                lambda _: accounts.actor_for_session(
                    store=context.store, clock=context.clock, token=session.token
                ),
                SERVICE_CALLS,
            ),
            "Today page": _median_ms(
                lambda _: today.today_view(
                    store=context.store,
                    kb=context.kb,
                    clock=context.clock,
                    actor=reader,
                    public_id=seeded["patient_id"],
                ),
                SERVICE_CALLS,
            ),
            "log a dose (POST)": _median_ms(
                lambda index: today.log_dose(
                    store=context.store,
                    kb=context.kb,
                    clock=context.clock,
                    actor=writer,
                    public_id=seeded["writer_id"],
                    slot_date=chunk[index][0],
                    slot_index=chunk[index][1],
                    status="skipped",
                    idempotency_key=f"service-{index:06d}",
                ),
                SERVICE_CALLS,
            ),
        }
    finally:
        context.close()
    return costs


def _commit_floor(data_dir: Path, database_url: str, seconds: float = 2.0) -> float:
    """Durable commits per second of the same database: one small insert and a commit each."""
    from sqlalchemy import create_engine, text

    if database_url:
        engine = create_engine(database_url)
        with engine.connect() as connection:
            connection.execute(text("CREATE TABLE IF NOT EXISTS bench_commit_floor (x integer)"))
            connection.commit()
            count, deadline = 0, time.perf_counter() + seconds
            start = time.perf_counter()
            while time.perf_counter() < deadline:
                connection.execute(text("INSERT INTO bench_commit_floor VALUES (:x)"), {"x": count})
                connection.commit()
                count += 1
            elapsed = time.perf_counter() - start
            connection.execute(text("DROP TABLE bench_commit_floor"))
            connection.commit()
        engine.dispose()
        return count / elapsed
    import sqlite3

    path = data_dir / "commit-floor.sqlite3"
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("CREATE TABLE t (x INTEGER)")
        count, deadline = 0, time.perf_counter() + seconds
        start = time.perf_counter()
        while time.perf_counter() < deadline:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO t VALUES (?)", (count,))
            connection.execute("COMMIT")
            count += 1
        return count / (time.perf_counter() - start)
    finally:
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _scratch_database(url: str) -> str:
    """A new empty database on the server ``url`` names (dropped by ``_drop_database``)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"dosewise_bench_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _drop_database(admin_url: str, scratch_url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(scratch_url).database}" WITH (FORCE)'))
    admin.dispose()


SERVICE_CALLS = 300

TARGETS = (
    Target("bare /healthz", "GET", "/healthz", "bare"),
    Target("Today page", "GET", "", "read"),
    Target("log a dose (POST)", "POST", "", "write"),
)


def _report(
    args: argparse.Namespace, workers: int, results: dict[str, dict[str, float]], service: dict[str, float]
) -> bool:
    bare = results[TARGETS[0].name]
    print()
    print(
        f"workers: {workers} uvicorn process{'es' if workers > 1 else ''} "
        f"({os.cpu_count()} cores, shared with wrk and the open-loop client)"
    )
    print(
        f"{'endpoint':<20} {'req/s':>9} {'x bare':>7} {'ms/req':>7} {'service':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'p99 x bare':>10} {'budget':>8}  verdict"
    )
    ok = True
    for target in TARGETS:
        row = results[target.name]
        budget = {"bare": None, "read": READ_BUDGET_MS, "write": WRITE_BUDGET_MS}[target.kind]
        verdict = (
            "reference" if budget is None else ("within budget" if row["p99"] < budget else "OVER BUDGET")
        )
        if budget is not None and row["p99"] >= budget:
            ok = False
        failures = int(row["non2xx"]) + int(row["errors"])
        budget_text = "-" if budget is None else f"{budget:.0f} ms"
        # CPU time a request costs at the ceiling: every worker busy (the two cores are shared with wrk).
        per_request = 1000.0 * workers / row["rate"]
        service_text = f"{service[target.name]:.2f}" if target.name in service else "-"
        print(
            f"{target.name:<20} {row['rate']:>9.0f} {row['rate'] / bare['rate']:>7.2f} {per_request:>7.2f} "
            f"{service_text:>8} {row['p50']:>8.1f} {row['p99']:>8.1f} {row['p99'] / bare['p99']:>10.1f} "
            f"{budget_text:>8}  {verdict}{f' ({failures} error responses)' if failures else ''}"
        )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk and open-loop run")
    parser.add_argument(
        "--rate", type=float, default=200.0, help="offered load of the open-loop runs (req/s)"
    )
    parser.add_argument("--connections", type=int, default=50, help="wrk connections")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure, e.g. 1,2 (default)")
    parser.add_argument(
        "--database-url", default="", help="a PostgreSQL server to measure on instead of SQLite"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.stderr.write("wrk is not installed: apt-get install -y wrk\n")
        return 2
    counts = [int(part) for part in args.workers.split(",") if part.strip()]
    data_dir = Path(tempfile.mkdtemp(prefix="dosewise-bench-"))
    admin_url = args.database_url
    if admin_url:
        args.database_url = _scratch_database(admin_url)
    try:
        print(f"seeding {data_dir} ...", flush=True)
        seeded = _seed(data_dir, args.database_url)
        slots = Slots(date.fromisoformat(seeded["writer_start"]), 5900)
        print("floors: durable commits and service-only costs ...", flush=True)
        commits = _commit_floor(data_dir, args.database_url)
        service = _service_costs(data_dir, seeded, slots, args.database_url)
        measured = []
        for workers in counts:
            print(f"dosewise serve --workers {workers}", flush=True)
            measured.append((workers, _run(args, data_dir, seeded, slots, workers)))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if admin_url:
            _drop_database(admin_url, args.database_url)
    print()
    backend = "PostgreSQL" if args.database_url else "SQLite (WAL, synchronous=FULL)"
    print(f"dosewise web benchmark: {backend}, no access log, loopback")
    print(
        f"floor for writes: {commits:,.0f} durable commits/s on the same "
        f"{'server' if args.database_url else 'disk'} (one insert and a commit each)"
    )
    print(
        "service-only (median ms, in-process, no HTTP): "
        + ", ".join(f"{name} {cost:.2f}" for name, cost in service.items())
    )
    print(
        f"throughput: wrk -t2 -c{args.connections} -d{args.seconds}s; latency: open loop at {args.rate:.0f} req/s "
        f"for {args.seconds}s, measured from each request's scheduled send time"
    )
    verdicts = [_report(args, workers, results, service) for workers, results in measured]
    return 0 if verdicts and verdicts[-1] else 1


if __name__ == "__main__":
    sys.exit(main())
