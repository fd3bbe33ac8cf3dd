"""Helpers for the web tests: a movable clock, a signed-in person, and shortcuts through the JSON API."""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

# Cheap argon2id parameters: the algorithm is the real one, the cost is a test's.
FAST_ARGON2 = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
PASSWORD = "correct horse battery"


class MovableClock:
    """The app's "now", moved by the test; people passed to ``advance`` sign in again afterwards."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, *people: Any, **delta: float) -> None:
        self.now += timedelta(**delta)
        for person in people:
            person.sign_in()


@dataclass
class Person:
    """A signed-in browser: its client, who it is, and the CSRF token of its session."""

    client: TestClient
    email: str
    name: str
    role: str
    csrf: str
    patient_id: str | None

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def sign_in(self) -> Person:
        """Sign in again (a session lasts 12 hours; tests that move days ahead need a fresh one)."""
        self.client.cookies.clear()
        response = self.client.post("/api/v1/session", json={"email": self.email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        self.csrf = response.json()["csrf_token"]
        return self

    def form(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def invite(owner: Person, email: str, access: str) -> dict[str, Any]:
    """The owner invites an address; the answer carries the one-time invitation link."""
    response = owner.api(
        "POST", f"/api/v1/patients/{owner.patient_id}/grants", json={"email": email, "access": access}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def token_of(grant: dict[str, Any]) -> str:
    return str(grant["invitation_url"]).rsplit("/", 1)[1]


def give_access(owner: Person, other: Person, access: str) -> None:
    """The whole invitation: the owner invites, the other accepts the link, the owner confirms."""
    grant = invite(owner, other.email, access)
    accepted = other.api("POST", f"/api/v1/invitations/{token_of(grant)}/accept")
    assert accepted.status_code == 200, accepted.text
    confirmed = owner.api("POST", f"/api/v1/patients/{owner.patient_id}/grants/{grant['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.text


def set_profile(person: Person, **fields: Any) -> Any:
    data = {
        "date_of_birth": "1970-03-01",
        "sex": "female",
        "weight_kg": "70",
        "creatinine_value": "0.8",
        "creatinine_unit": "mg/dL",
        "creatinine_date": "2026-11-01",
        "timezone": "Europe/London",
        **fields,
    }
    return person.api("PUT", f"/api/v1/patients/{person.patient_id}/profile", json=data)


def start_titration(
    person: Person,
    pid: str | None = None,
    start: str = "2026-11-10",
    prescriber: str = "Dr Who",
    **fields: Any,
) -> Any:
    body = {"drug": "baclofen", "start": start, "reason": "spasticity", "prescriber": prescriber, **fields}
    return saved_after_preview(person, f"/api/v1/patients/{pid or person.patient_id}/plan", body)


def saved_after_preview(person: Person, path: str, body: dict[str, Any], preview: str = "") -> Any:
    """Save a plan through the API as a client must: preview it, then save with the preview's fingerprint.

    A refused preview (no access, bad input) is returned as it is; the save is never tried. A body that
    already carries a fingerprint is sent as it is (a test of a stale or forged one).
    """
    if "fingerprint" in body:
        return person.api("POST", path, json=body)
    asked = {k: v for k, v in body.items() if k not in ("reason", "prescriber", "fingerprint")}
    if path.endswith("/adjustments") and "reason" in body:
        asked["reason"] = body["reason"]
    shown = person.api("POST", preview or f"{path}/preview", json=asked)
    if shown.status_code != 200:
        return shown
    return person.api("POST", path, json={**body, "fingerprint": shown.json()["fingerprint"]})


def app_routes(app: Any) -> list[tuple[str, str]]:
    """Every (method, path) the app answers, including routers that FastAPI includes lazily."""
    from fastapi.routing import APIRoute

    found: list[tuple[str, str]] = []

    def walk(routes: Any, prefix: str) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                found.extend((method, prefix + route.path) for method in sorted(route.methods - {"HEAD"}))
            elif hasattr(route, "original_router"):
                walk(route.original_router.routes, prefix + route.include_context.prefix)

    walk(app.routes, "")
    return found


class Inbox:
    """What a real local SMTP server (aiosmtpd, see the ``smtp`` fixture) received: recipients and raw text."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"

    def last_to(self, address: str) -> tuple[str, str]:
        """The subject and decoded body of the last message to ``address``, as a mail program shows them."""
        found = [text for to, text in self.messages if address in to]
        assert found, f"no message to {address}"
        message = email.message_from_string(found[-1])
        body = message.get_payload(decode=True)
        assert isinstance(body, bytes)
        return str(message["Subject"]), body.decode()
