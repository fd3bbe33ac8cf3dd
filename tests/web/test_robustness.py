"""Robustness at the edge: a body ceiling before parsing, load shedding, one error shape, HSTS over https,
and an API reference page that needs no outside script."""

from __future__ import annotations

import re
from typing import Any

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient

from dosewise.web.limits import LoadShedding


def _chunks(size: int, piece: int = 65536) -> Any:
    sent = 0
    while sent < size:
        yield b" " * min(piece, size - sent)
        sent += piece


def test_a_body_over_the_limit_is_refused_with_413_before_parsing(patient: Any, web_context: Any) -> None:
    """A JSON body declared larger than the ceiling gets 413 in the documented shape, on API and page."""
    limit = web_context.settings.max_body_bytes
    pid = patient.patient_id
    big = b'{"text": "' + b"x" * (limit + 10) + b'"}'
    response = patient.api(
        "POST", f"/api/v1/patients/{pid}/symptoms", content=big, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    page = patient.client.post(f"/p/{pid}/diary/symptoms", content=b"text=" + b"x" * (limit + 10))
    assert page.status_code == 413


def test_a_chunked_body_over_the_limit_is_cut_off_while_streaming(patient: Any, web_context: Any) -> None:
    """Without Content-Length the bytes are counted as they arrive; past the ceiling the answer is 413."""
    limit = web_context.settings.max_body_bytes
    pid = patient.patient_id
    for path, kind in (
        (f"/api/v1/patients/{pid}/symptoms", "application/json"),
        (f"/p/{pid}/diary/symptoms", "application/x-www-form-urlencoded"),
    ):
        response = patient.api("POST", path, content=_chunks(limit * 4), headers={"content-type": kind})
        assert response.status_code == 413, path
        if path.startswith("/api/"):
            assert response.json()["error"]["hint"] == "send less at once"
    assert patient.api("GET", f"/api/v1/patients/{pid}/diary").json()["symptoms"] == []


def test_a_small_chunked_body_is_still_accepted(patient: Any) -> None:
    """The ceiling counts bytes, not the way they are sent: a small chunked body is read normally."""
    pid = patient.patient_id
    body = b'{"text": "dizzy"}'
    response = patient.api(
        "POST",
        f"/api/v1/patients/{pid}/symptoms",
        content=iter([body[:5], body[5:]]),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 201, response.text


def test_the_body_limit_is_a_setting(tmp_path: Any, kb: Any, clock: Any) -> None:
    """DOSEWISE_MAX_BODY_BYTES sets the ceiling; a body just above it is refused, just below passes it."""
    from web_support import FAST_ARGON2

    from dosewise.bootstrap.settings import load_settings
    from dosewise.bootstrap.web import Argon2Hasher, build_web_context
    from dosewise.web.app import create_app

    settings = load_settings(
        {"DOSEWISE_DATA_DIR": str(tmp_path), "DOSEWISE_SECRET_KEY": "k", "DOSEWISE_MAX_BODY_BYTES": "2048"}
    )
    context = build_web_context(settings, clock=clock, hasher=Argon2Hasher(**FAST_ARGON2), kb=kb)
    try:
        client = TestClient(create_app(context))
        over = client.post(
            "/api/v1/session", content=b"{" + b" " * 2100 + b"}", headers={"content-type": "application/json"}
        )
        under = client.post(
            "/api/v1/session", content=b"{" + b" " * 1900 + b"}", headers={"content-type": "application/json"}
        )
        assert over.status_code == 413
        assert under.status_code == 422
    finally:
        context.close()


@pytest.mark.parametrize("value", ["0", "ten", "-5"])
def test_a_bad_limit_setting_is_refused_at_start(value: str, tmp_path: Any) -> None:
    """A ceiling that is not a positive whole number stops start-up with the variable's name."""
    from dosewise.bootstrap.settings import load_settings

    with pytest.raises(ValueError, match="DOSEWISE_MAX_IN_FLIGHT"):
        load_settings({"DOSEWISE_DATA_DIR": str(tmp_path), "DOSEWISE_MAX_IN_FLIGHT": value})


def test_above_the_ceiling_requests_get_a_fast_503_with_retry_after() -> None:
    """With the ceiling at 2 and two requests held, the next ones are answered 503 at once; after the held
    ones finish, requests are served again."""
    release = anyio.Event()
    held = 0

    async def slow(scope: Any, receive: Any, send: Any) -> None:
        nonlocal held
        held += 1
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guard = LoadShedding(slow, max_in_flight=2)
    statuses: list[int] = []
    shed: list[httpx.Response] = []

    async def main() -> None:
        transport = httpx.ASGITransport(app=guard)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://t") as client,
            anyio.create_task_group() as tg,
        ):

            async def call() -> None:
                statuses.append((await client.get("/api/v1/me")).status_code)

            tg.start_soon(call)
            tg.start_soon(call)
            while held < 2:
                await anyio.sleep(0.01)
            for _ in range(3):
                shed.append(await client.get("/api/v1/me"))
            release.set()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=guard), base_url="http://t") as client:
            statuses.append((await client.get("/api/v1/me")).status_code)

    anyio.run(main)
    assert [r.status_code for r in shed] == [503, 503, 503]
    assert all(r.headers["retry-after"] == "1" and r.json()["error"]["code"] == "overloaded" for r in shed)
    assert statuses == [200, 200, 200]
    assert guard.in_flight == 0


def test_the_app_sheds_load_at_the_configured_ceiling(app: Any, web_context: Any) -> None:
    """The served app carries the load-shedding guard with DOSEWISE_MAX_IN_FLIGHT's value."""
    found = [m for m in app.user_middleware if m.cls is LoadShedding]
    assert found
    assert found[0].kwargs["max_in_flight"] == web_context.settings.max_in_flight


def test_malformed_json_and_unknown_routes_answer_in_the_documented_shape(patient: Any) -> None:
    """Broken JSON, a missing route and a wrong method all answer {"error": {code, message, hint}}."""
    pid = patient.patient_id
    broken = patient.api(
        "POST",
        f"/api/v1/patients/{pid}/symptoms",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert broken.status_code == 422
    assert broken.json()["error"] == {
        "code": "invalid_input",
        "message": "the request body is not valid JSON",
        "hint": "send a JSON object",
    }
    missing = patient.api("GET", "/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = patient.api("PUT", "/api/v1/me")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


def test_hsts_is_sent_over_https_only(app: Any, web_context: Any) -> None:
    """Over https every response carries Strict-Transport-Security; over plain http none does."""
    secure = TestClient(app, base_url="https://testserver").get("/login")
    plain = TestClient(app, base_url="http://testserver").get("/login")
    seconds = web_context.settings.hsts_seconds
    assert secure.headers["strict-transport-security"] == f"max-age={seconds}; includeSubDomains"
    assert "strict-transport-security" not in plain.headers


def test_the_api_reference_page_needs_no_outside_script(app: Any) -> None:
    """/api/docs is plain HTML from the OpenAPI: no script, nothing from another site, every operation."""
    client = TestClient(app)
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script" not in page.text.lower()
    assert not re.search(r'(src|href)="(https?:)?//', page.text)
    spec = client.get("/api/v1/openapi.json").json()
    for path, item in spec["paths"].items():
        for method in item:
            assert f"{method.upper()} {path}" in page.text.replace("&#x27;", "'"), (method, path)


def test_a_body_that_is_not_utf8_is_refused_like_bad_json(patient: Any) -> None:
    """Bytes that are not UTF-8 get the same documented 422 as malformed JSON, not an undocumented 400."""
    response = patient.api(
        "POST",
        f"/api/v1/patients/{patient.patient_id}/symptoms",
        content=b"\xff\xfe\x00k",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "the request body is not valid JSON"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/session", {"email": "a\u0000@example.org", "password": "long enough password"}),
        ("POST", "/api/v1/patients/{pid}/symptoms", {"text": "sleepy\u0000", "severity": "mild"}),
        (
            "POST",
            "/api/v1/patients/{pid}/doses/1/corrections",
            {"reason": "x", "idempotency_key": "k\u0000" * 8},
        ),
    ],
    ids=["sign-in e-mail", "diary text", "idempotency key"],
)
def test_text_with_a_nul_character_is_refused_as_input_on_every_database(
    patient: Any, method: str, path: str, body: dict[str, str]
) -> None:
    """A NUL character in any text field is a 422 in the documented shape, never a 500 (PostgreSQL cannot
    store it; schemathesis found the 500 on the sign-in e-mail and an idempotency key)."""
    response = patient.api(method, path.format(pid=patient.patient_id), json=body)
    assert response.status_code in (404, 422), response.text
    assert "error" in response.json()
