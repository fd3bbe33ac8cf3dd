"""CSRF: every state-changing route, page or API, refuses every kind of forged request, and nothing changes.

The routes are read from the app, so a new one is forged the day it is added.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from web_support import app_routes, give_access, set_profile, start_titration

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_IDS = ("medication_id", "event_id", "grant_id", "entry_id")
_FORM = {"name": "Xanax", "text": "dizzy", "reason": "x", "email": "x@example.org", "access": "caregiver"}


def _url(path: str, pid: str) -> str:
    url = path.replace("{pid}", pid).replace("{patient_id}", pid)
    for name in _IDS:
        url = url.replace("{" + name + "}", "1")
    return url


def _forgeries(victim: Any, other: Any, anonymous_token: str) -> dict[str, dict[str, Any]]:
    """Each way a cross-site page (or a stolen-token mix-up) could try to act as the victim."""
    return {
        "no token": {},
        "wrong token": {"token": "forged-" + victim.csrf[:10]},
        "another session's token": {"token": other.csrf},
        "the pre-sign-in token": {"token": anonymous_token},
        "empty token": {"token": ""},
        "token in the query string": {"query": victim.csrf},
        "plain-text body": {"content_type": "text/plain"},
        "form body to the API": {"content_type": "application/x-www-form-urlencoded"},
    }


def _send(client: TestClient, method: str, url: str, forgery: dict[str, Any]) -> Any:
    token = forgery.get("token")
    if "query" in forgery:
        url = f"{url}?csrf_token={forgery['query']}"
    content_type = forgery.get("content_type")
    if url.startswith("/api/") and content_type is None:
        headers = {} if token is None else {"X-CSRF-Token": token}
        return client.request(method, url, json={"reason": "x"}, headers=headers, follow_redirects=False)
    data = dict(_FORM, **({} if token is None else {"csrf_token": token}))
    if content_type == "text/plain":
        body = "&".join(f"{k}={v}" for k, v in data.items()).encode()
        return client.request(
            method, url, content=body, headers={"content-type": "text/plain"}, follow_redirects=False
        )
    return client.request(method, url, data=data, follow_redirects=False)


def test_every_state_changing_route_refuses_every_forgery(app: Any, patient: Any, register: Any) -> None:
    """Signed in as the patient, each forgery of each unsafe route answers 403 and the audit trail (every
    change leaves a line there) is unchanged afterwards."""
    set_profile(patient)
    pid = patient.patient_id
    patient.api("POST", f"/api/v1/patients/{pid}/medications", json={"name": "Valium"})
    assert start_titration(patient).status_code == 201
    give_access(patient, register("Cara Carer", "caregiver"), "caregiver")
    other = register("Olga Other")
    anonymous = TestClient(app)
    anonymous.get("/login")
    anonymous_token = anonymous.cookies.get("dosewise_csrf")
    assert anonymous_token
    before = patient.api("GET", f"/api/v1/patients/{pid}/audit").json()["events"]
    refused = 0
    for method, path in app_routes(app):
        if (
            method not in _UNSAFE
            or path in ("/logout",)
            or (path == "/api/v1/session" and method == "DELETE")
            # CDS Hooks calls are authenticated by the EHR's signed JWT, never by a cookie, so a forged
            # cross-site request carries no credential at all (401: test_no_token_and_a_foreign_key_get_401).
            or path.startswith("/cds-services")
            # A notification button: the service worker posts the notification's own token, no cookie
            # (tests/reminders: test_a_forged_or_altered_action_token_records_nothing).
            or path == "/api/v1/push/actions"
        ):
            continue
        url = _url(path, pid)
        for name, forgery in _forgeries(patient, other, anonymous_token).items():
            response = _send(patient.client, method, url, forgery)
            assert response.status_code == 403, f"{name}: {method} {url} answered {response.status_code}"
            refused += 1
    after = patient.api("GET", f"/api/v1/patients/{pid}/audit").json()["events"]
    assert after == before
    print(f"CSRF forgeries refused: {refused}")
    assert refused >= 8 * 35


def test_signing_out_cannot_be_forged(app: Any, patient: Any) -> None:
    """Sign-out without the token is refused, so a cross-site page cannot end someone's session."""
    for forgery in ({}, {"token": "forged"}):
        assert _send(patient.client, "POST", "/logout", forgery).status_code == 403
        assert _send(patient.client, "DELETE", "/api/v1/session", forgery).status_code == 403
    assert patient.api("GET", "/api/v1/me").status_code == 200


def test_sign_in_and_registration_cannot_be_forged_cross_site(app: Any) -> None:
    """Without a session, the forms need the signed pre-session token and the API needs a JSON body, which
    a cross-site form cannot send (login CSRF)."""
    client = TestClient(app)
    refused = 0
    for path in ("/login", "/register"):
        for token in (None, "", "nonce.signature"):
            data = {
                "email": "a@example.org",
                "password": "x" * 12,
                **({} if token is None else {"csrf_token": token}),
            }
            assert client.post(path, data=data, follow_redirects=False).status_code == 403
            refused += 1
    for path in ("/api/v1/session", "/api/v1/accounts"):
        sends = (
            {"content": b'{"email": "a@example.org"}', "headers": {"content-type": "text/plain"}},
            {"data": {"email": "a@example.org", "password": "x" * 12}},
            {"files": {"email": (None, "a@example.org"), "password": (None, "x" * 12)}},
        )
        for kwargs in sends:
            response = client.post(path, **kwargs)
            assert response.status_code == 403, (path, kwargs)
            refused += 1
    assert refused == 12
