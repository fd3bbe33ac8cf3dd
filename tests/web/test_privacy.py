"""Privacy: every request is authorised for the patient it touches, and every form needs its CSRF token.

The route lists are read from the app itself, so a new route is covered the day it is added.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_support import app_routes, give_access, saved_after_preview, set_profile, start_titration

_ID_PARAMS = ("medication_id", "event_id", "grant_id", "entry_id")
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _patient_routes(app: Any) -> list[tuple[str, str]]:
    return [(method, path) for method, path in app_routes(app) if "{pid}" in path or "{patient_id}" in path]


def _fill(path: str, pid: str) -> str:
    path = path.replace("{pid}", pid).replace("{patient_id}", pid)
    for name in _ID_PARAMS:
        path = path.replace("{" + name + "}", "1")
    path = path.replace("{token}", "not-a-real-token")
    path = path.replace("{gid}", "baclofen")
    assert "{" not in path, f"a new path parameter needs a value here: {path}"
    return path


@pytest.fixture
def busy_record(patient: Any, register: Any) -> Any:
    """A patient record with a profile, a medicine, a plan, a logged dose and a diary entry."""
    set_profile(patient)
    patient.api("POST", f"/api/v1/patients/{patient.patient_id}/medications", json={"name": "Valium"})
    assert start_titration(patient).status_code == 201
    patient.api(
        "POST",
        f"/api/v1/patients/{patient.patient_id}/doses",
        json={"slot_date": "2026-11-10", "slot_index": 0, "status": "taken", "idempotency_key": "k" * 10},
    )
    patient.api("POST", f"/api/v1/patients/{patient.patient_id}/symptoms", json={"text": "dizzy"})
    give_access(patient, register("Carl Carer", "caregiver"), "caregiver")
    return patient


def test_the_app_has_patient_routes_to_check(app: Any) -> None:
    """The route walk below sees both pages and API routes (it would prove nothing otherwise)."""
    routes = _patient_routes(app)
    assert any(path.startswith("/p/") for _, path in routes)
    assert any(path.startswith("/api/v1/patients/") for _, path in routes)
    assert len(routes) > 30


_FORM = {
    "name": "x",
    "text": "dizzy",
    "reason": "x",
    "adjustment": "pause",
    "email": "a@example.org",
    "access": "caregiver",
    "slot_date": "2026-11-10",
    "slot_index": "0",
    "action": "taken",
    "idempotency_key": "k" * 12,
    "spasticity": "1",
    "spasm_frequency": "1",
    "sleep_quality": "1",
    "drowsiness": "1",
    "product_id": "baclofen-tab-5mg",
    "amount": "3",
}


def _as_stranger(stranger: Any, method: str, url: str) -> Any:
    if url.startswith("/api/"):
        return stranger.api(method, url, json={})
    return stranger.client.request(
        method, url, data={"csrf_token": stranger.csrf, **_FORM}, follow_redirects=False
    )


def test_a_stranger_gets_nothing_on_any_patient_route(app: Any, busy_record: Any, register: Any) -> None:
    """On every page and API route of someone else's record a stranger gets a refusal, never data, and exactly
    the answer a record that does not exist gives."""
    stranger = register("Stan Stranger", "clinician")
    secrets = ("Pat Patient", "Valium", "diazepam", "dizzy", "Carl")
    fake = "0123456789abcdef"
    for method, path in _patient_routes(app):
        real_url, fake_url = _fill(path, busy_record.patient_id), _fill(path, fake)
        real, made_up = _as_stranger(stranger, method, real_url), _as_stranger(stranger, method, fake_url)
        assert real.status_code in (404, 422), f"{method} {real_url} answered {real.status_code}"
        if not real_url.startswith("/api/"):
            assert real.status_code == 404, f"{method} {real_url} answered {real.status_code}"
        assert real.status_code == made_up.status_code, f"{method} {real_url} differs from a made-up record"
        assert real.text.replace(busy_record.patient_id, fake) == made_up.text, f"{method} {real_url} differs"
        assert not any(secret in real.text for secret in secrets), f"{method} {real_url} leaked"


def test_an_anonymous_visitor_gets_nothing_on_any_patient_route(app: Any, busy_record: Any) -> None:
    """Without a session, API routes answer 401 and pages send to the sign-in page."""
    client = TestClient(app)
    for method, path in _patient_routes(app):
        url = _fill(path, busy_record.patient_id)
        response = client.request(
            method, url, headers={"content-type": "application/json"}, content=b"{}", follow_redirects=False
        )
        if url.startswith("/api/"):
            assert response.status_code in (401, 403), f"{method} {url} answered {response.status_code}"
        else:
            assert response.status_code in (303, 403), f"{method} {url} answered {response.status_code}"
        assert "Pat Patient" not in response.text


def test_an_unknown_record_and_a_forbidden_one_look_the_same(busy_record: Any, register: Any) -> None:
    """A stranger cannot tell whether a record exists: both answers are identical."""
    stranger = register("Stan Stranger")
    real = stranger.api("GET", f"/api/v1/patients/{busy_record.patient_id}/today")
    made_up = stranger.api("GET", "/api/v1/patients/0000000000000000/today")
    assert real.status_code == made_up.status_code == 404
    assert real.json() == made_up.json()


def _unsafe_routes(app: Any) -> list[tuple[str, str]]:
    # The CDS Hooks services take no session or cookie (the EHR's JWT is the credential): tests/cds.
    # Nor does a notification's button (its token is the credential): tests/reminders.
    return [
        (method, path)
        for method, path in app_routes(app)
        if method in _UNSAFE and not path.startswith("/cds-services") and path != "/api/v1/push/actions"
    ]


def test_every_unsafe_route_refuses_a_request_without_the_csrf_token(app: Any, busy_record: Any) -> None:
    """Every POST, PUT and DELETE, page or API, answers 403 to a signed-in request without its CSRF token."""
    client = busy_record.client
    checked = 0
    for method, path in _unsafe_routes(app):
        url = _fill(path, busy_record.patient_id)
        if url.startswith("/api/"):
            response = client.request(method, url, json={})
        else:
            response = client.request(method, url, data={"name": "x"}, follow_redirects=False)
        assert response.status_code == 403, f"{method} {url} answered {response.status_code}"
        checked += 1
    assert checked > 25


def test_a_wrong_csrf_token_is_refused_and_changes_nothing(busy_record: Any) -> None:
    """A forged form with another token is refused and the medication list is unchanged."""
    pid = busy_record.patient_id
    response = busy_record.client.post(
        f"/p/{pid}/medications", data={"csrf_token": "forged", "name": "Xanax"}
    )
    assert response.status_code == 403
    names = [
        m["name"] for m in busy_record.api("GET", f"/api/v1/patients/{pid}/medications").json()["medications"]
    ]
    assert "Xanax" not in names


def test_sign_in_forms_need_the_pre_session_token_too(app: Any) -> None:
    """The login form without the signed pre-session token is refused (login CSRF)."""
    response = TestClient(app).post("/login", data={"email": "a@example.org", "password": "x" * 12})
    assert response.status_code == 403


def test_a_caregiver_can_log_doses_but_not_change_the_profile_or_the_plan(
    busy_record: Any, register: Any
) -> None:
    """Caregiver access is view and log: a dose is recorded, a profile change and a new plan are refused."""
    carer = register("Cara Carer", "caregiver")
    give_access(busy_record, carer, "caregiver")
    pid = busy_record.patient_id
    logged = carer.api(
        "POST",
        f"/api/v1/patients/{pid}/doses",
        json={"slot_date": "2026-11-10", "slot_index": 1, "status": "skipped", "idempotency_key": "c" * 12},
    )
    assert logged.status_code == 201
    assert (
        set_profile(
            carer.__class__(carer.client, carer.email, carer.name, carer.role, carer.csrf, pid)
        ).status_code
        == 404
    )
    assert start_titration(carer, pid=pid).status_code == 404


def test_a_clinician_can_plan_but_not_edit_the_medication_list(busy_record: Any, register: Any) -> None:
    """Clinician access is view and plans: a plan change works, adding a medicine is refused."""
    doctor = register("Dr Dee", "clinician")
    give_access(busy_record, doctor, "clinician")
    pid = busy_record.patient_id
    paused = saved_after_preview(
        doctor, f"/api/v1/patients/{pid}/plan/adjustments", {"adjustment": "pause", "reason": "dizzy"}
    )
    assert paused.status_code == 201
    added = doctor.api("POST", f"/api/v1/patients/{pid}/medications", json={"name": "Xanax"})
    assert added.status_code == 404


def test_clinician_access_accepted_by_a_caregiver_account_gives_caregiver_rights_only(
    busy_record: Any, register: Any
) -> None:
    """A clinician invitation taken up by a caregiver account, even once confirmed, cannot change plans."""
    carer = register("Cy Carer", "caregiver")
    give_access(busy_record, carer, "clinician")
    pid = busy_record.patient_id
    assert carer.api("GET", f"/api/v1/patients/{pid}/today").status_code == 200
    assert start_titration(carer, pid).status_code == 404


def test_revoking_access_takes_effect_at_once(busy_record: Any, register: Any) -> None:
    """After the patient removes a clinician, the clinician's next request is refused."""
    doctor = register("Dr Dee", "clinician")
    give_access(busy_record, doctor, "clinician")
    pid = busy_record.patient_id
    assert doctor.api("GET", f"/api/v1/patients/{pid}/today").status_code == 200
    grants = busy_record.api("GET", f"/api/v1/patients/{pid}/grants").json()["grants"]
    grant = next(g for g in grants if g["email"] == doctor.email)
    assert busy_record.api("DELETE", f"/api/v1/patients/{pid}/grants/{grant['id']}").status_code == 204
    assert doctor.api("GET", f"/api/v1/patients/{pid}/today").status_code == 404


def test_registering_an_invited_address_gives_nothing_without_the_link_and_the_patients_confirmation(
    patient: Any, register: Any
) -> None:
    """A stranger who registers the invited e-mail as a 'clinician' sees nothing: 404 like a stranger."""
    patient.api(
        "POST",
        f"/api/v1/patients/{patient.patient_id}/grants",
        json={"email": "dr.later@example.org", "access": "clinician"},
    )
    claimant = register("Dr Later", "clinician")
    pid = patient.patient_id
    assert claimant.email == "dr.later@example.org"
    assert claimant.api("GET", f"/api/v1/patients/{pid}/today").status_code == 404
    assert start_titration(claimant, pid).status_code == 404
    assert claimant.api("GET", "/api/v1/me").json()["patients"] == []


def test_the_audit_trail_records_who_changed_what(busy_record: Any) -> None:
    """Profile, medicines, plan, doses, diary and sharing changes each leave an audit event with a name."""
    events = busy_record.api("GET", f"/api/v1/patients/{busy_record.patient_id}/audit").json()["events"]
    actions = {e["action"] for e in events}
    assert {
        "profile.update",
        "medication.add",
        "plan.titration",
        "dose.taken",
        "diary.symptoms",
        "access.invite",
        "access.confirm",
    } <= actions
    assert all(e["by"] in ("Pat Patient", "Carl Carer") for e in events)
    assert [e["by"] for e in events if e["action"] == "access.accept"] == ["Carl Carer"]


def test_the_audit_trail_never_holds_a_password(web_context: Any, busy_record: Any) -> None:
    """No audit detail contains the password or a session token."""
    from web_support import PASSWORD

    with web_context.store.read() as uow:
        profile = uow.patients.by_public_id(busy_record.patient_id)
        events = uow.audit.for_patient(profile.id)
    assert not any(PASSWORD in repr(e) for e in events)
    assert not re.search(r"password", repr([e.detail for e in events]))
