"""No 500s for people with access: ids, dates and lists beyond what the database or the planner holds are
refused with a clear 4xx in the documented error shape."""

from __future__ import annotations

from typing import Any

import pytest
from web_support import app_routes, set_profile, start_titration

_HUGE = ("2147483648", "9223372036854775808", "599912390343599980544", "-1", "0")


def _id_routes(app: Any) -> list[tuple[str, str]]:
    """Every route naming a row id (any path parameter besides the patient's public id)."""
    owners = ("{pid}", "{patient_id}")
    return [(m, p) for m, p in app_routes(app) if p.count("{") > sum(o in p for o in owners)]


@pytest.mark.parametrize("value", _HUGE)
def test_an_id_outside_the_database_range_is_a_clear_refusal(app: Any, patient: Any, value: str) -> None:
    """Every route with a numeric id answers 4xx (never 5xx) to ids the database cannot hold."""
    checked = 0
    for method, path in _id_routes(app):
        url = path.replace("{patient_id}", patient.patient_id).replace("{pid}", patient.patient_id)
        for name in ("medication_id", "event_id", "grant_id", "entry_id"):
            url = url.replace("{" + name + "}", value)
        if url.startswith("/api/"):
            response = patient.api(method, url, json={"reason": "typo"})
            assert 400 <= response.status_code < 500, f"{method} {url}: {response.status_code}"
            assert "error" in response.json()
        else:
            response = patient.form(url, {"reason": "typo"}, follow_redirects=False)
            assert response.status_code < 500, f"{method} {url}: {response.status_code}"
        checked += 1
    assert checked >= 8


@pytest.mark.parametrize("start", ["9999-12-31", "0001-01-01", "2400-02-29", "1900-01-01"])
def test_a_plan_start_far_from_today_is_refused(patient: Any, start: str) -> None:
    """A plan starting centuries away is refused with 422, previewed or saved."""
    set_profile(patient)
    pid = patient.patient_id
    preview = patient.api("POST", f"/api/v1/patients/{pid}/plan/preview", json={"start": start})
    assert preview.status_code == 422, preview.text
    assert preview.json()["error"]["code"] == "invalid_input"
    assert start_titration(patient, start=start).status_code == 422


def test_an_unknown_product_in_the_preview_is_refused(patient: Any) -> None:
    """A product id the knowledge base does not know is a 422 naming it, not a crash."""
    set_profile(patient)
    pid = patient.patient_id
    for products in (["no-such-product"], ["÷\U0007c479tá"], [""] * 3, ["baclofen-tab-5mg", "x" * 500]):
        response = patient.api("POST", f"/api/v1/patients/{pid}/plan/preview", json={"products": products})
        assert response.status_code in (200, 422), f"{products}: {response.status_code}"


def test_a_profile_patch_naming_only_the_time_zone_keeps_creatinine_and_weight(patient: Any) -> None:
    """PATCH changes the fields it names; the kidney inputs the limits depend on are untouched."""
    assert set_profile(patient).status_code == 200
    pid = patient.patient_id
    before = patient.api("GET", f"/api/v1/patients/{pid}/profile").json()
    patched = patient.api("PATCH", f"/api/v1/patients/{pid}/profile", json={"timezone": "Europe/Paris"})
    assert patched.status_code == 200, patched.text
    after = patched.json()
    assert after["timezone"] == "Europe/Paris"
    for key in set(before) - {"timezone", "updated_at"}:
        assert after[key] == before[key], key


def test_a_profile_patch_clears_only_what_it_sets_empty_and_refuses_unknown_fields(patient: Any) -> None:
    """An empty value clears that field alone; an unknown field is a 422 and changes nothing."""
    set_profile(patient, egfr="60")
    pid = patient.patient_id
    cleared = patient.api("PATCH", f"/api/v1/patients/{pid}/profile", json={"egfr": ""}).json()
    assert cleared["egfr"] in (None, "")
    assert cleared["weight_kg"] not in (None, "")
    refused = patient.api("PATCH", f"/api/v1/patients/{pid}/profile", json={"creatinine": "1"})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_input"


def test_a_profile_patch_is_checked_like_a_full_update(patient: Any) -> None:
    """A creatinine value patched without its unit is refused, as the full form refuses it."""
    pid = patient.patient_id
    response = patient.api(
        "PATCH", f"/api/v1/patients/{pid}/profile", json={"creatinine_value": "0.9", "creatinine_unit": ""}
    )
    assert response.status_code == 422


@pytest.mark.parametrize("kind", ["symptoms", "checkins"])
def test_a_retried_diary_entry_is_stored_once(patient: Any, kind: str) -> None:
    """The same idempotency key twice stores one entry and returns it; another body with it is a 409."""
    pid = patient.patient_id
    body: dict[str, Any] = (
        {"text": "dizzy", "idempotency_key": "retry-key-1"}
        if kind == "symptoms"
        else {
            "spasticity": 4,
            "spasm_frequency": 1,
            "sleep_quality": 6,
            "drowsiness": 2,
            "idempotency_key": "retry-key-1",
        }
    )
    first = patient.api("POST", f"/api/v1/patients/{pid}/{kind}", json=body)
    second = patient.api("POST", f"/api/v1/patients/{pid}/{kind}", json=body)
    assert first.status_code == 201, first.text
    assert second.json()["id"] == first.json()["id"]
    diary = patient.api("GET", f"/api/v1/patients/{pid}/diary").json()
    assert len(diary[kind]) == 1
    other = dict(body, text="nausea") if kind == "symptoms" else dict(body, spasticity=9)
    assert patient.api("POST", f"/api/v1/patients/{pid}/{kind}", json=other).status_code == 409
    audit = patient.api("GET", f"/api/v1/patients/{pid}/audit").json()["events"]
    assert sum(e["action"] == f"diary.{kind[:-1] if kind == 'checkins' else kind}" for e in audit) == 1


def test_a_retried_diary_form_is_stored_once(patient: Any) -> None:
    """The diary page's form carries a key, so a double submit of the same page stores one entry."""
    from web_support import csrf_from

    pid = patient.patient_id
    page = patient.client.get(f"/p/{pid}/diary").text
    import re

    keys = re.findall(r'name="idempotency_key" value="([^"]+)"', page)
    assert len(keys) >= 2
    form = {"csrf_token": csrf_from(page), "text": "dizzy", "idempotency_key": keys[0]}
    for _ in range(2):
        patient.client.post(f"/p/{pid}/diary/symptoms", data=form, follow_redirects=False)
    assert len(patient.api("GET", f"/api/v1/patients/{pid}/diary").json()["symptoms"]) == 1
