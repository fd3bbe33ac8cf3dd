"""The real app over a throwaway database (SQLite, or PostgreSQL with DOSEWISE_TEST_DATABASE_URL), a clock
the tests move, and people signed in through the JSON API."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_support import FAST_ARGON2, PASSWORD, Inbox, MovableClock, Person

from dosewise.adapters.db.testing import TEST_DATABASE_ENV, scratch_database
from dosewise.bootstrap.settings import load_settings
from dosewise.bootstrap.web import Argon2Hasher, WebContext, build_web_context
from dosewise.web.app import create_app


@pytest.fixture
def clock() -> MovableClock:
    """The app's clock, at 09:30 London time on 10 November 2026."""
    return MovableClock(datetime(2026, 11, 10, 9, 30, tzinfo=UTC))


@pytest.fixture
def web_context(tmp_path: Path, clock: MovableClock, kb: Any) -> Iterator[WebContext]:
    """The composition root, as `dosewise serve` builds it, over a scratch database."""
    with scratch_database(os.environ.get(TEST_DATABASE_ENV), tmp_path) as url:
        settings = load_settings(
            {
                "DOSEWISE_DATA_DIR": str(tmp_path),
                "DOSEWISE_DATABASE_URL": url,
                "DOSEWISE_SECRET_KEY": "test-secret-key",
            }
        )
        context = build_web_context(settings, clock=clock, hasher=Argon2Hasher(**FAST_ARGON2), kb=kb)
        yield context
        context.close()


@pytest.fixture
def app(web_context: WebContext) -> Any:
    """The FastAPI application."""
    return create_app(web_context)


@pytest.fixture
def register(app: Any) -> Any:
    """Register someone through the JSON API and return them signed in."""

    def _register(name: str, role: str = "patient", timezone: str = "Europe/London") -> Person:
        client = TestClient(app, base_url="http://testserver")
        email = f"{name.lower().replace(' ', '.')}@example.org"
        response = client.post(
            "/api/v1/accounts",
            json={
                "email": email,
                "password": PASSWORD,
                "display_name": name,
                "role": role,
                "timezone": timezone,
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        own = [p["patient_id"] for p in body["patients"] if p["relation"] == "self"]
        return Person(client, email, name, role, body["csrf_token"], own[0] if own else None)

    return _register


@pytest.fixture
def patient(register: Any) -> Person:
    """A signed-in patient with an empty record."""
    return register("Pat Patient")


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server (aiosmtpd) on a free local port, and what it received."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()
