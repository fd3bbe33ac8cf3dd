"""Accounts: registration, sign-in, throttling, sessions and password storage."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from web_support import PASSWORD, csrf_from

from dosewise.web.security import SESSION_COOKIE


def test_a_patient_who_registers_gets_an_empty_record_of_their_own(patient: Any) -> None:
    """Registering as a patient creates a record that the patient can open."""
    response = patient.api("GET", "/api/v1/me")
    assert response.status_code == 200
    assert response.json()["patients"] == [
        {"patient_id": patient.patient_id, "display_name": "Pat Patient", "relation": "self"}
    ]


def test_registering_through_the_page_signs_in_and_opens_the_profile(app: Any) -> None:
    """The registration form creates the account, sets the session cookie and goes to the profile."""
    client = TestClient(app)
    token = csrf_from(client.get("/register").text)
    response = client.post(
        "/register",
        data={
            "csrf_token": token,
            "display_name": "Robin",
            "email": "robin@example.org",
            "password": PASSWORD,
            "role": "patient",
            "timezone": "Europe/Paris",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "/profile?welcome=1" in response.headers["location"]
    cookie = response.headers["set-cookie"]
    assert SESSION_COOKIE in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


def test_passwords_are_stored_as_argon2id_hashes(web_context: Any, patient: Any) -> None:
    """The stored password is an argon2id hash, never the password."""
    with web_context.store.read() as uow:
        user = uow.users.by_email(patient.email)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_a_second_account_with_the_same_email_is_refused(register: Any, app: Any) -> None:
    """An e-mail address can hold one account only."""
    register("Pat Patient")
    response = TestClient(app).post(
        "/api/v1/accounts",
        json={
            "email": "PAT.patient@example.org",
            "password": PASSWORD,
            "display_name": "X",
            "role": "patient",
        },
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_a_short_password_is_refused_with_the_rule(app: Any) -> None:
    """A password under ten characters is refused and the message says why."""
    response = TestClient(app).post(
        "/api/v1/accounts",
        json={"email": "a@example.org", "password": "short", "display_name": "A", "role": "patient"},
    )
    assert response.status_code == 422
    assert "10 characters" in response.json()["error"]["message"]


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(app: Any, patient: Any) -> None:
    """Sign-in with a wrong password answers 401 with one message for both wrong e-mail and password."""
    client = TestClient(app)
    wrong = client.post("/api/v1/session", json={"email": patient.email, "password": "not the password"})
    unknown = client.post(
        "/api/v1/session", json={"email": "nobody@example.org", "password": "not the password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]


def test_repeated_failed_sign_ins_are_throttled_even_with_the_right_password(app: Any, patient: Any) -> None:
    """After five failures for one address, even the right password waits (429 with Retry-After)."""
    client = TestClient(app)
    for _ in range(5):
        assert (
            client.post(
                "/api/v1/session", json={"email": patient.email, "password": "wrong wrong"}
            ).status_code
            == 401
        )
    response = client.post("/api/v1/session", json={"email": patient.email, "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0


def test_throttling_ends_after_the_window(app: Any, patient: Any, clock: Any) -> None:
    """Fifteen minutes after the failures, the right password works again."""
    client = TestClient(app)
    for _ in range(5):
        client.post("/api/v1/session", json={"email": patient.email, "password": "wrong wrong"})
    clock.advance(minutes=16)
    assert (
        client.post("/api/v1/session", json={"email": patient.email, "password": PASSWORD}).status_code == 200
    )


def test_signing_out_ends_the_session_on_the_server(patient: Any) -> None:
    """After sign-out the old session cookie opens nothing, even if a copy was kept."""
    token = patient.client.cookies.get(SESSION_COOKIE)
    assert patient.api("DELETE", "/api/v1/session").status_code == 204
    patient.client.cookies.set(SESSION_COOKIE, token)
    assert patient.api("GET", "/api/v1/me").status_code == 401


def test_sessions_expire(patient: Any, clock: Any) -> None:
    """A session stops working after its lifetime (12 hours)."""
    clock.advance(hours=13)
    assert patient.api("GET", "/api/v1/me").status_code == 401


def test_only_a_hash_of_the_session_token_is_stored(web_context: Any, patient: Any) -> None:
    """The database never holds the session token itself."""
    token = patient.client.cookies.get(SESSION_COOKIE)
    with web_context.store.read() as uow:
        assert uow.sessions.get(token) is None


def test_signing_in_through_the_page_returns_to_the_page_asked_for(app: Any, patient: Any) -> None:
    """The login form follows a local ?next= address, and never an outside one."""
    client = TestClient(app)
    token = csrf_from(client.get("/login").text)
    local = client.post(
        "/login",
        data={
            "csrf_token": token,
            "email": patient.email,
            "password": PASSWORD,
            "next": f"/p/{patient.patient_id}/diary",
        },
        follow_redirects=False,
    )
    assert local.headers["location"] == f"/p/{patient.patient_id}/diary"
    client = TestClient(app)
    token = csrf_from(client.get("/login").text)
    outside = client.post(
        "/login",
        data={"csrf_token": token, "email": patient.email, "password": PASSWORD, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert outside.headers["location"] == "/home"


def test_pages_ask_anonymous_visitors_to_sign_in(app: Any, patient: Any) -> None:
    """A record page without a session redirects to the sign-in page, keeping the address."""
    response = TestClient(app).get(f"/p/{patient.patient_id}/today", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/p/{patient.patient_id}/today"


def test_every_response_carries_the_security_headers(app: Any) -> None:
    """Pages forbid framing and inline script, and are never cached."""
    response = TestClient(app).get("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
