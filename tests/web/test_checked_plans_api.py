"""Through the API and the pages: checked plans, preview equals save, one slot matcher, and a tizanidine
plan put in force from the web."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from web_support import give_access, set_profile, start_titration


@pytest.fixture
def doctor(patient: Any, register: Any) -> Any:
    """A clinician with clinician access to the patient's record."""
    set_profile(patient)
    clinician = register("Dr Dee", "clinician")
    give_access(patient, clinician, "clinician")
    clinician.patient_id = patient.patient_id
    return clinician


def _plan(person: Any) -> dict[str, Any]:
    return person.api("GET", f"/api/v1/patients/{person.patient_id}/plan").json()


def test_a_future_taper_through_the_api_keeps_every_day_and_tapers_from_that_days_dose(
    doctor: Any, clock: Any
) -> None:
    """The taper set to start in two weeks: no day without doses, first reduction from the dose in force."""
    assert start_titration(doctor, target_daily="60 mg").status_code == 201
    clock.advance(doctor, days=30)
    body = {"start": "2026-12-24"}
    preview = doctor.api("POST", f"/api/v1/patients/{doctor.patient_id}/plan/taper/preview", json=body)
    assert preview.status_code == 200
    assert preview.json()["savable"] is True
    saved = doctor.api(
        "POST",
        f"/api/v1/patients/{doctor.patient_id}/plan/taper",
        json={**body, "reason": "stopping", "fingerprint": preview.json()["fingerprint"]},
    )
    assert saved.status_code == 201, saved.text
    steps = _plan(doctor)["plan"]["steps"]
    for before, after in itertools.pairwise(steps):
        assert after["start"] > before["end"]
        assert (datetime.fromisoformat(after["start"]) - datetime.fromisoformat(before["end"])).days == 1
    held = next(s for s in steps if s["end"] == "2026-12-23")
    first = next(s for s in steps if s["start"] == "2026-12-24")
    assert held["daily"]["value"] == "60"
    assert int(first["daily"]["value"]) < 60


def test_an_oversized_cut_is_refused_through_the_api_with_its_findings_and_override(
    doctor: Any, clock: Any
) -> None:
    """A restart far below the dose in force: 422 plan_refused naming rapid_withdrawal; nothing stored."""
    start_titration(doctor, target_daily="60 mg")
    clock.advance(doctor, days=30)
    refused = start_titration(doctor, start="2026-12-10")
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "plan_refused"
    assert error["details"]["overrides"] == ["rapid_withdrawal"]
    assert error["details"]["findings"][0]["code"] == "taper.step_too_large"
    assert len(_plan(doctor)["history"]) == 1


def test_a_changed_save_is_refused_through_the_api(doctor: Any) -> None:
    """Preview with the oral solution, save with tablets and that fingerprint: 409 preview_changed."""
    body = {"drug": "baclofen", "start": "2026-11-10", "products": ["baclofen-oral-solution-5mg-5ml"]}
    preview = doctor.api("POST", f"/api/v1/patients/{doctor.patient_id}/plan/preview", json=body).json()
    tablets = start_titration(doctor, fingerprint=preview["fingerprint"])
    assert tablets.status_code == 409
    assert tablets.json()["error"]["code"] == "preview_changed"
    liquid = start_titration(doctor, fingerprint=preview["fingerprint"], products=body["products"])
    assert liquid.status_code == 201
    assert _plan(doctor)["plan"]["products"] == body["products"]


def test_the_0800_dose_taken_at_1330_viewed_at_1430_through_the_api(patient: Any, clock: Any) -> None:
    """409 confirmation_needed first; once confirmed, Today at 14:30 has no dose due and counts 13:30 as
    the 14:00 dose, and the advice's next dose is 20:00."""
    set_profile(patient)
    start_titration(patient, start="2026-11-09")
    clock.now = datetime(2026, 11, 10, 13, 35, tzinfo=UTC)
    patient.sign_in()
    body = {
        "slot_date": "2026-11-10",
        "slot_index": 0,
        "status": "taken",
        "taken_at": "13:30",
        "idempotency_key": "late-0800-dose",
    }
    asked = patient.api("POST", f"/api/v1/patients/{patient.patient_id}/doses", json=body)
    assert asked.status_code == 409
    assert asked.json()["error"]["code"] == "confirmation_needed"
    assert "14:00" in asked.json()["error"]["message"]
    done = patient.api("POST", f"/api/v1/patients/{patient.patient_id}/doses", json={**body, "confirm": True})
    assert done.status_code == 201
    clock.now = datetime(2026, 11, 10, 14, 30, tzinfo=UTC)
    patient.sign_in()
    view = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/today").json()
    statuses = {d["at"][11:16]: d for d in view["doses"]}
    assert statuses["14:00"]["status"] == "taken"
    assert not any(d["may_take_now"] for d in view["doses"])
    assert view["missed_dose_advice"]["next_dose"][11:16] == "20:00"
    page = patient.client.get(f"/p/{patient.patient_id}/today").text
    assert "Due now" not in page
    assert 'value="taken" aria-label' not in page.split("14:00")[1].split("</li>")[0]


def test_a_clinician_puts_a_tizanidine_plan_in_force_from_the_pages(doctor: Any) -> None:
    """Choose tizanidine, preview (its own products and rules), save with the preview's fingerprint."""
    page = doctor.client.get(f"/p/{doctor.patient_id}/plan?drug=tizanidine").text
    assert 'name="drug" value="tizanidine"' in page
    assert "baclofen" not in page.split('name="drug" value="tizanidine"')[1].lower()
    fields = {
        "drug": "tizanidine",
        "start": "2026-11-10",
        "products": ["tizanidine-tab-2mg", "tizanidine-tab-4mg"],
    }
    preview = doctor.form(f"/p/{doctor.patient_id}/plan/preview", fields)
    assert preview.status_code == 200
    match = re.search(r'name="fingerprint" value="([0-9a-f]+)"', preview.text)
    assert match
    unseen = doctor.form(
        f"/p/{doctor.patient_id}/plan", {**fields, "reason": "spasticity"}, follow_redirects=False
    )
    assert unseen.status_code == 303
    assert _plan(doctor)["plan"] is None  # a page saves only after a preview
    saved = doctor.form(
        f"/p/{doctor.patient_id}/plan",
        {**fields, "reason": "spasticity", "fingerprint": match.group(1)},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    plan = _plan(doctor)["plan"]
    assert plan["drug"] == "tizanidine"
    assert plan["steps"][0]["dose"]["unit"] == "mg"


def test_the_preview_page_keeps_the_oral_solution_chosen(doctor: Any) -> None:
    """After a page preview the chosen products stay checked, so the save carries them."""
    fields = {"drug": "baclofen", "start": "2026-11-10", "products": ["baclofen-oral-solution-5mg-5ml"]}
    page = doctor.form(f"/p/{doctor.patient_id}/plan/preview", fields).text
    assert re.search(r'value="baclofen-oral-solution-5mg-5ml"\s+checked', page)
    assert not re.search(r'value="baclofen-tab-5mg"\s+checked', page)


def _fast_titration(doctor: Any, clock: Any) -> str:
    """5, 15 then 20 mg three times a day; on day five a step back cuts 45 to 15 mg a day."""
    start_titration(
        doctor,
        start_dose="5 mg",
        increment="10 mg",
        interval_days="3",
        target_daily="60 mg",
        override_code="faster_escalation",
        override_reason="inpatient titration",
    )
    clock.advance(doctor, days=4)
    return f"/api/v1/patients/{doctor.patient_id}/plan/adjustments"


@pytest.mark.parametrize(
    "body",
    [
        {"adjustment": "pause", "reason": "dizzy"},
        {"adjustment": "pause", "reason": "dizzy", "fingerprint": ""},
    ],
)
def test_a_plan_change_through_the_api_needs_the_preview_fingerprint(
    doctor: Any, clock: Any, body: dict[str, Any]
) -> None:
    """Without the preview's fingerprint the save is refused (422) and nothing is stored."""
    path = _fast_titration(doctor, clock)
    refused = doctor.api("POST", path, json=body)
    assert refused.status_code == 422
    assert "fingerprint" in refused.json()["error"]["message"]
    assert len(_plan(doctor)["history"]) == 1


def test_an_oversized_step_back_through_the_api_shows_in_the_preview_and_needs_the_override(
    doctor: Any, clock: Any
) -> None:
    """The preview lists the blocking cut; the save is 422 plan_refused naming rapid_withdrawal; with the
    override and its reason the previewed timeline is stored and says it was overridden."""
    path = _fast_titration(doctor, clock)
    shown = doctor.api("POST", f"{path}/preview", json={"adjustment": "step_back"})
    assert shown.status_code == 200
    assert shown.json()["savable"] is False
    assert [b["code"] for b in shown.json()["blocked"]] == ["taper.step_too_large"]
    assert shown.json()["blocked"][0]["override"] == "rapid_withdrawal"
    body = {"adjustment": "step_back", "reason": "drowsy", "fingerprint": shown.json()["fingerprint"]}
    refused = doctor.api("POST", path, json=body)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["overrides"] == ["rapid_withdrawal"]
    allowed = {"adjustment": "step_back", "override_code": "rapid_withdrawal", "override_reason": "falls"}
    shown = doctor.api("POST", f"{path}/preview", json=allowed)
    assert shown.json()["savable"] is True
    saved = doctor.api(
        "POST", path, json={**allowed, "reason": "drowsy", "fingerprint": shown.json()["fingerprint"]}
    )
    assert saved.status_code == 201, saved.text
    stored = _plan(doctor)["plan"]
    assert stored["steps"] == shown.json()["steps"]
    assert [o["code"] for o in stored["overrides"]] == ["faster_escalation", "rapid_withdrawal"]


def test_a_stale_adjustment_preview_is_refused_through_the_api(doctor: Any, clock: Any) -> None:
    """A pause previewed before a slow-down was stored: 409 preview_changed, nothing more stored."""
    path = _fast_titration(doctor, clock)
    stale = doctor.api("POST", f"{path}/preview", json={"adjustment": "pause"}).json()["fingerprint"]
    slowed = doctor.api("POST", f"{path}/preview", json={"adjustment": "slow_down"}).json()["fingerprint"]
    body = {"adjustment": "slow_down", "reason": "review", "fingerprint": slowed}
    assert doctor.api("POST", path, json=body).status_code == 201
    late = doctor.api("POST", path, json={"adjustment": "pause", "reason": "dizzy", "fingerprint": stale})
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "preview_changed"
    assert len(_plan(doctor)["history"]) == 2


def test_the_plan_page_previews_a_change_before_saving_it(doctor: Any, clock: Any) -> None:
    """The page's change form is refused without a preview; its preview shows the blocking cut with the
    override field; saved with the fingerprint it shows, it stores the change."""
    _fast_titration(doctor, clock)
    page = f"/p/{doctor.patient_id}/plan"
    back = {"referer": f"http://testserver{page}"}
    form = {"adjustment": "step_back", "reason": "drowsy", "form": "adj"}
    refused = doctor.form(f"{page}/adjust", form, headers=back)
    assert "preview the plan first" in refused.text
    shown = doctor.form(f"{page}/adjust/preview", form)
    assert "This plan cannot be saved as it is" in shown.text
    assert 'id="adj-override_code"' in shown.text
    blocked = re.search(r'name="fingerprint" value="([0-9a-f]+)"', shown.text)
    assert blocked is not None
    saved = doctor.form(f"{page}/adjust", {**form, "fingerprint": blocked.group(1)}, headers=back)
    assert 'aria-invalid="true" aria-describedby="err-adj-override_code"' in saved.text
    assert 'href="#adj-override_code"' in saved.text
    allowed = {**form, "override_code": "rapid_withdrawal", "override_reason": "falls"}
    shown = doctor.form(f"{page}/adjust/preview", allowed)
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', shown.text)
    assert fingerprint is not None
    saved = doctor.form(f"{page}/adjust", {**allowed, "fingerprint": fingerprint.group(1)}, headers=back)
    assert "stepped back to the previous dose (version 2)" in saved.text
