"""The JSON API: an OpenAPI description for every action the pages offer, with documented errors."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from web_support import app_routes

# Every page action and the API operation that does the same thing. A new page action fails the test
# below until it is listed here with its API twin.
PAGE_TO_API = {
    ("POST", "/register"): ("POST", "/api/v1/accounts"),
    ("POST", "/login"): ("POST", "/api/v1/session"),
    ("POST", "/logout"): ("DELETE", "/api/v1/session"),
    ("POST", "/p/{pid}/profile"): ("PUT", "/api/v1/patients/{patient_id}/profile"),
    ("POST", "/p/{pid}/medications"): ("POST", "/api/v1/patients/{patient_id}/medications"),
    ("POST", "/p/{pid}/medications/{medication_id}/remove"): (
        "DELETE",
        "/api/v1/patients/{patient_id}/medications/{medication_id}",
    ),
    ("POST", "/p/{pid}/medications/{medication_id}/replace"): (
        "PUT",
        "/api/v1/patients/{patient_id}/medications/{medication_id}",
    ),
    ("POST", "/p/{pid}/doses"): ("POST", "/api/v1/patients/{patient_id}/doses"),
    ("POST", "/p/{pid}/doses/{event_id}/error"): (
        "POST",
        "/api/v1/patients/{patient_id}/doses/{event_id}/corrections",
    ),
    ("POST", "/p/{pid}/stock"): ("POST", "/api/v1/patients/{patient_id}/stock"),
    ("POST", "/p/{pid}/plan/preview"): ("POST", "/api/v1/patients/{patient_id}/plan/preview"),
    ("POST", "/p/{pid}/plan"): ("POST", "/api/v1/patients/{patient_id}/plan"),
    ("POST", "/p/{pid}/plan/adjust/preview"): (
        "POST",
        "/api/v1/patients/{patient_id}/plan/adjustments/preview",
    ),
    ("POST", "/p/{pid}/plan/adjust"): ("POST", "/api/v1/patients/{patient_id}/plan/adjustments"),
    ("POST", "/p/{pid}/plan/taper/preview"): ("POST", "/api/v1/patients/{patient_id}/plan/taper/preview"),
    ("POST", "/p/{pid}/plan/taper"): ("POST", "/api/v1/patients/{patient_id}/plan/taper"),
    ("POST", "/p/{pid}/diary/symptoms"): ("POST", "/api/v1/patients/{patient_id}/symptoms"),
    ("POST", "/p/{pid}/diary/checkins"): ("POST", "/api/v1/patients/{patient_id}/checkins"),
    ("POST", "/p/{pid}/diary/symptoms/{entry_id}/error"): (
        "POST",
        "/api/v1/patients/{patient_id}/symptoms/{entry_id}/corrections",
    ),
    ("POST", "/p/{pid}/diary/checkins/{entry_id}/error"): (
        "POST",
        "/api/v1/patients/{patient_id}/checkins/{entry_id}/corrections",
    ),
    ("POST", "/p/{pid}/sharing"): ("POST", "/api/v1/patients/{patient_id}/grants"),
    ("POST", "/p/{pid}/sharing/{grant_id}/revoke"): (
        "DELETE",
        "/api/v1/patients/{patient_id}/grants/{grant_id}",
    ),
    ("POST", "/p/{pid}/sharing/{grant_id}/confirm"): (
        "POST",
        "/api/v1/patients/{patient_id}/grants/{grant_id}/confirm",
    ),
    ("POST", "/p/{pid}/sharing/{grant_id}/link"): (
        "POST",
        "/api/v1/patients/{patient_id}/grants/{grant_id}/link",
    ),
    ("POST", "/p/{pid}/calendar"): ("POST", "/api/v1/patients/{patient_id}/calendar-feed"),
    ("POST", "/p/{pid}/calendar/revoke"): ("DELETE", "/api/v1/patients/{patient_id}/calendar-feed"),
    ("POST", "/p/{pid}/reminders"): ("PUT", "/api/v1/patients/{patient_id}/reminders"),
    ("POST", "/p/{pid}/reminders/team"): ("PUT", "/api/v1/patients/{patient_id}/reminders/care-team"),
    ("POST", "/invitations/{token}/accept"): ("POST", "/api/v1/invitations/{token}/accept"),
    ("POST", "/account/password"): ("POST", "/api/v1/account/password"),
    ("POST", "/account/sign-out-everywhere"): ("DELETE", "/api/v1/sessions"),
    ("POST", "/forgot"): ("POST", "/api/v1/password-resets"),
    ("POST", "/reset/{token}"): ("POST", "/api/v1/password-resets/{token}"),
    ("POST", "/register/finish/{token}"): ("POST", "/api/v1/signups/{token}"),
    ("POST", "/p/{pid}/trial"): ("POST", "/api/v1/patients/{patient_id}/trial"),
    ("POST", "/p/{pid}/pump/device"): ("POST", "/api/v1/patients/{patient_id}/pump/device"),
    ("POST", "/p/{pid}/pump/refills"): ("POST", "/api/v1/patients/{patient_id}/pump/refills"),
    ("POST", "/p/{pid}/pump/programme"): ("POST", "/api/v1/patients/{patient_id}/pump/programme"),
    ("POST", "/p/{pid}/pump/entries/{entry_id}/error"): (
        "POST",
        "/api/v1/patients/{patient_id}/pump/entries/{entry_id}/corrections",
    ),
}


def _openapi(app: Any) -> dict[str, Any]:
    response = TestClient(app).get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_every_page_action_has_an_api_operation_in_the_description(app: Any) -> None:
    """Each form the pages offer maps to a documented API operation."""
    # The CDS Hooks services are their own protocol (docs/cds-hooks.md), not pages with an API twin.
    page_actions = {
        (m, p) for m, p in app_routes(app) if not p.startswith(("/api/", "/cds-services")) and m != "GET"
    }
    assert page_actions == set(PAGE_TO_API), "a page action has no API twin listed"
    paths = _openapi(app)["paths"]
    for method, path in PAGE_TO_API.values():
        assert method.lower() in paths.get(path, {}), f"{method} {path} is not in the OpenAPI description"


def test_every_api_operation_documents_its_error_responses(app: Any) -> None:
    """401, 403, 404 and 422 are described, with the error body, on every operation."""
    for path, operations in _openapi(app)["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "403", "404", "422"):
                assert status in operation["responses"], f"{method.upper()} {path} lacks {status}"
    schema = _openapi(app)["components"]["schemas"]["ErrorBody"]
    assert schema["properties"]["error"]["$ref"].endswith("ErrorDetail")


def test_the_description_covers_every_api_route_the_app_answers(app: Any) -> None:
    """No API route is hidden from the description."""
    documented = {(m.upper(), p) for p, ops in _openapi(app)["paths"].items() for m in ops}
    answered = {
        (m, p) for m, p in app_routes(app) if p.startswith("/api/v1/") and not p.endswith("openapi.json")
    }
    assert answered <= documented


def test_api_errors_have_one_shape(patient: Any) -> None:
    """A refusal is {"error": {"code", "message", "hint"}} whatever refused it."""
    unit = patient.api(
        "POST", f"/api/v1/patients/{patient.patient_id}/medications", json={"name": "x", "dose": "10"}
    )
    shape = patient.api("POST", f"/api/v1/patients/{patient.patient_id}/medications", json={"wrong": 1})
    for response in (unit, shape):
        assert response.status_code == 422
        assert set(response.json()["error"]) >= {"code", "message", "hint"}


def test_the_bare_endpoint_answers_without_a_session_or_database(app: Any) -> None:
    """/healthz is the benchmark's reference: same app and middleware, nothing else."""
    assert TestClient(app).get("/healthz").text == "ok"
