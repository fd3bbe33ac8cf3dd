"""Sign-up by e-mail (issue 9, finding 7): where dosewise sends e-mail, the answer to "create an account" is
the same for a taken and a free address, the account only starts from a link sent to that mailbox, and the
link works once, for a day, and only as we signed it. A real local SMTP server (aiosmtpd) receives the mail."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_support import FAST_ARGON2, PASSWORD, Inbox, MovableClock, csrf_from

from dosewise.adapters.db.testing import TEST_DATABASE_ENV, scratch_database
from dosewise.bootstrap.settings import load_settings
from dosewise.bootstrap.web import Argon2Hasher, WebContext, build_web_context
from dosewise.services import accounts, signup
from dosewise.web.app import create_app

TAKEN = "taken@example.org"
LINK = re.compile(r"http://testserver/register/finish/([A-Za-z0-9_\-.]+)")


@pytest.fixture
def mailing_context(tmp_path: Path, clock: MovableClock, kb: Any, smtp: Any) -> Iterator[WebContext]:
    """The app as `dosewise serve` builds it with an SMTP server configured, and one taken address."""
    _, port = smtp
    with scratch_database(os.environ.get(TEST_DATABASE_ENV), tmp_path) as url:
        settings = load_settings(
            {
                "DOSEWISE_DATA_DIR": str(tmp_path),
                "DOSEWISE_DATABASE_URL": url,
                "DOSEWISE_SECRET_KEY": "test-secret-key",
                "DOSEWISE_SMTP_HOST": "127.0.0.1",
                "DOSEWISE_SMTP_PORT": str(port),
                "DOSEWISE_SMTP_STARTTLS": "false",
            }
        )
        context = build_web_context(settings, clock=clock, hasher=Argon2Hasher(**FAST_ARGON2), kb=kb)
        accounts.register(
            store=context.store,
            hasher=context.hasher,
            clock=context.clock,
            email=TAKEN,
            password=PASSWORD,
            display_name="Already Here",
            role="clinician",
        )
        yield context
        context.close()


@pytest.fixture
def client(mailing_context: WebContext) -> TestClient:
    return TestClient(create_app(mailing_context), base_url="http://testserver")


def _start(client: TestClient, address: str, role: str = "clinician") -> Any:
    return client.post(
        "/api/v1/signups",
        json={"email": address, "display_name": "Sam Someone", "role": role, "timezone": "Europe/London"},
    )


def _token_for(inbox: Inbox, address: str) -> str:
    _, body = inbox.last_to(address)
    match = LINK.search(body)
    assert match, body
    return match.group(1)


def test_the_answer_is_the_same_for_a_taken_and_a_free_address(client: TestClient, smtp: Any) -> None:
    """Same status, same body; the free address gets a link, the taken one a note with no link."""
    box, _ = smtp
    free, taken = _start(client, "new.person@example.org"), _start(client, TAKEN.upper())
    assert free.status_code == taken.status_code == 202
    assert free.json() == taken.json()
    subject, body = box.last_to("new.person@example.org")
    assert "Finish creating" in subject
    assert LINK.search(body)
    subject, body = box.last_to(TAKEN)
    assert "already has one" in body
    assert not LINK.search(body)
    assert "/login" in body


def test_the_old_one_step_registration_is_refused_alike_for_every_address(client: TestClient) -> None:
    """With e-mail on, POST /accounts answers 409 before looking at the address."""
    bodies = []
    for address in ("someone.new@example.org", TAKEN):
        response = client.post(
            "/api/v1/accounts",
            json={"email": address, "password": PASSWORD, "display_name": "X Y", "role": "patient"},
        )
        assert response.status_code == 409
        bodies.append(response.json())
    assert bodies[0] == bodies[1]


def test_the_link_makes_the_account_once_and_signs_in(client: TestClient, smtp: Any) -> None:
    """A patient's link: the chosen password works, the record exists, the link then stops working."""
    box, _ = smtp
    _start(client, "pat.new@example.org", role="patient")
    token = _token_for(box, "pat.new@example.org")
    done = client.post(f"/api/v1/signups/{token}", json={"password": PASSWORD})
    assert done.status_code == 201, done.text
    assert done.json()["user"]["email"] == "pat.new@example.org"
    assert [p["relation"] for p in done.json()["patients"]] == ["self"]
    again = TestClient(client.app, base_url="http://testserver").post(
        f"/api/v1/signups/{token}", json={"password": PASSWORD}
    )
    assert again.status_code == 404
    fresh = TestClient(client.app, base_url="http://testserver")
    assert (
        fresh.post("/api/v1/session", json={"email": "pat.new@example.org", "password": PASSWORD}).status_code
        == 200
    )


def test_a_weak_password_is_refused_and_the_link_still_works(client: TestClient, smtp: Any) -> None:
    box, _ = smtp
    _start(client, "weak@example.org")
    token = _token_for(box, "weak@example.org")
    assert client.post(f"/api/v1/signups/{token}", json={"password": "password12"}).status_code == 422
    assert client.post(f"/api/v1/signups/{token}", json={"password": PASSWORD}).status_code == 201


@pytest.mark.parametrize("damage", ["flip-payload", "flip-mac", "drop-mac", "other-secret", "non-ascii"])
def test_a_link_we_did_not_sign_is_refused(
    client: TestClient, smtp: Any, mailing_context: WebContext, damage: str
) -> None:
    """A changed address, role or signature, or a token signed with another key, opens nothing."""
    box, _ = smtp
    _start(client, "forge@example.org")
    token = _token_for(box, "forge@example.org")
    payload, mac = token.split(".")
    forged = {
        "flip-payload": ("A" if payload[0] != "A" else "B") + payload[1:] + "." + mac,
        "flip-mac": payload + "." + ("A" if mac[0] != "A" else "B") + mac[1:],
        "drop-mac": payload,
        "other-secret": "",
        "non-ascii": payload + "." + "é" + mac[1:],
    }[damage]
    if damage == "other-secret":
        request = signup.SignupRequest("forge@example.org", "Sam Someone", "clinician", "UTC")
        other = signup._seal(request, secret="not-our-key", at=mailing_context.clock())
        forged = other
    assert client.post(f"/api/v1/signups/{forged}", json={"password": PASSWORD}).status_code == 404
    assert client.post(f"/api/v1/signups/{token}", json={"password": PASSWORD}).status_code == 201


def test_the_link_expires_after_a_day(client: TestClient, smtp: Any, clock: MovableClock) -> None:
    box, _ = smtp
    _start(client, "slow@example.org")
    token = _token_for(box, "slow@example.org")
    clock.advance(seconds=(signup.SIGNUP_LIFETIME - timedelta(minutes=1)).total_seconds())
    assert signup.open_signup_link(
        store=client.app.state.ctx.store, clock=clock, secret="test-secret-key", token=token
    )
    clock.advance(minutes=2)
    assert client.post(f"/api/v1/signups/{token}", json={"password": PASSWORD}).status_code == 404


def test_sign_ups_count_against_the_registration_allowance(
    client: TestClient, mailing_context: WebContext
) -> None:
    """The per-client allowance for new accounts also bounds sign-up e-mails (no inbox flooding)."""
    allowance = mailing_context.settings.registrations_per_hour
    codes = [_start(client, f"flood{i}@example.org").status_code for i in range(allowance + 1)]
    assert codes[:allowance] == [202] * allowance
    assert codes[-1] == 429


def test_the_pages_ask_for_the_password_only_from_the_link(client: TestClient, smtp: Any) -> None:
    """The form has no password field; both addresses see the same page; the link's page finishes."""
    box, _ = smtp
    form = client.get("/register")
    assert 'name="password"' not in form.text
    pages = []
    for address in ("page.person@example.org", TAKEN):
        page = client.post(
            "/register",
            data={
                "csrf_token": csrf_from(client.get("/register").text),
                "display_name": "Page Person",
                "email": address,
                "role": "caregiver",
                "timezone": "Europe/London",
            },
        )
        assert page.status_code == 200
        pages.append(page.text.replace(address, "ADDRESS"))
    assert pages[0] == pages[1]
    assert "Check your e-mail" in pages[0]
    token = _token_for(box, "page.person@example.org")
    finish = client.get(f"/register/finish/{token}")
    assert "Page Person" in finish.text
    assert 'name="password"' in finish.text
    done = client.post(
        f"/register/finish/{token}",
        data={"csrf_token": csrf_from(finish.text), "password": PASSWORD},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/home"
    assert client.get("/home").status_code == 200
    gone = TestClient(client.app, base_url="http://testserver").get(f"/register/finish/{token}")
    assert gone.status_code == 404
