"""`dosewise demo` and `dosewise serve`, run as a person would run them (real processes)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

DOSEWISE = Path(sys.executable).parent / "dosewise"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOSEWISE_")}
    return {**env, "DOSEWISE_DATA_DIR": str(tmp_path), **extra}


def test_demo_seeds_a_titration_in_progress_and_prints_the_logins(tmp_path: Path) -> None:
    """The demo prints three logins; a second run finds the record and does not seed it twice."""
    first = subprocess.run(
        [str(DOSEWISE), "demo", "--json"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    payload = json.loads(first.stdout)
    assert payload["created"] is True
    assert set(payload["logins"]) == {"patient", "caregiver", "clinician"}
    second = subprocess.run(
        [str(DOSEWISE), "demo", "--json"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(second.stdout)["created"] is False
    assert (tmp_path / "dosewise.sqlite3").exists()


def test_serve_prints_its_address_and_serves_the_demo_record(tmp_path: Path) -> None:
    """`dosewise serve` says where it runs, answers there, and the demo patient sees doses to take today."""
    demo = json.loads(
        subprocess.run(
            [str(DOSEWISE), "demo", "--json"],
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [str(DOSEWISE), "serve", "--workers", "1"],
        env=_env(tmp_path, DOSEWISE_PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        first_line = server.stdout.readline() if server.stdout else ""
        assert f"http://127.0.0.1:{port}" in first_line
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        session = httpx.post(
            base + "/api/v1/session", json={"email": demo["logins"]["patient"], "password": demo["password"]}
        )
        assert session.status_code == 200
        today = httpx.get(f"{base}/api/v1/patients/{demo['patient_id']}/today", cookies=session.cookies)
        assert today.status_code == 200
        assert len(today.json()["doses"]) == 3
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_admin_reset_link_prints_a_one_time_link_that_sets_a_new_password(tmp_path: Path) -> None:
    """`dosewise admin reset-link EMAIL` prints a link; an unknown address exits 2 and prints none."""
    demo = json.loads(
        subprocess.run(
            [str(DOSEWISE), "demo", "--json"], env=_env(tmp_path), capture_output=True, text=True, check=True
        ).stdout
    )
    email = demo["logins"]["caregiver"]
    issued = subprocess.run(
        [str(DOSEWISE), "admin", "reset-link", email, "--json"],
        env=_env(tmp_path, DOSEWISE_PUBLIC_URL="https://care.example.org"),
        capture_output=True,
        text=True,
        check=True,
    )
    link = json.loads(issued.stdout)["link"]
    assert link.startswith("https://care.example.org/reset/")
    unknown = subprocess.run(
        [str(DOSEWISE), "admin", "reset-link", "nobody@example.org"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert unknown.returncode == 2
    assert "reset" not in unknown.stdout
