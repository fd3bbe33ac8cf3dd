"""Plans: the planner with findings, the schedule in force, and versioned changes that never stop a drug."""

from __future__ import annotations

from typing import Any

import pytest
from web_support import give_access, saved_after_preview, set_profile, start_titration


@pytest.fixture
def doctor(patient: Any, register: Any) -> Any:
    """A clinician the patient gave clinician access to, with the patient's profile filled in."""
    set_profile(patient)
    clinician = register("Dr Dee", "clinician")
    give_access(patient, clinician, "clinician")
    clinician.patient_id = patient.patient_id
    return clinician


def _plan(person: Any) -> dict[str, Any]:
    return person.api("GET", f"/api/v1/patients/{person.patient_id}/plan").json()


def _adjust(person: Any, adjustment: str, reason: str = "review") -> Any:
    return saved_after_preview(
        person,
        f"/api/v1/patients/{person.patient_id}/plan/adjustments",
        {"adjustment": adjustment, "reason": reason},
    )


def _daily(plan: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["start"], s["daily"]["value"]) for s in plan["plan"]["steps"]]


def test_a_preview_shows_the_plan_and_its_findings_without_saving_it(doctor: Any) -> None:
    """The planner's preview returns steps and findings; the record still has no plan."""
    preview = doctor.api(
        "POST",
        f"/api/v1/patients/{doctor.patient_id}/plan/preview",
        json={"drug": "baclofen", "start": "2026-11-10"},
    )
    assert preview.status_code == 200
    assert preview.json()["steps"][0]["dose"] == {"value": "5", "unit": "mg"}
    assert "findings" in preview.json()
    assert _plan(doctor)["plan"] is None


def test_a_live_preview_fragment_shows_a_refusal_in_place(doctor: Any) -> None:
    """A target above the label maximum comes back as a message fragment, not a page."""
    response = doctor.form(
        f"/p/{doctor.patient_id}/plan/preview",
        {"drug": "baclofen", "start": "2026-11-10", "target_daily": "120 mg"},
        headers={"X-Dosewise-Partial": "1"},
    )
    assert response.status_code == 422
    assert "above the labelled maximum" in response.text
    assert "<html" not in response.text


def test_the_clinicians_plan_becomes_the_schedule_in_force(doctor: Any) -> None:
    """A clinician's titration is version 1, with who made it and why."""
    assert start_titration(doctor).status_code == 201
    plan = _plan(doctor)
    assert plan["version"]["number"] == 1
    assert plan["version"]["created_by"] == "Dr Dee"
    assert plan["version"]["reason"] == "spasticity"
    assert _daily(plan)[:2] == [("2026-11-10", "15"), ("2026-11-13", "30")]


def test_a_patient_entering_a_plan_must_name_the_prescriber(patient: Any) -> None:
    """dosewise does not prescribe: a patient's plan needs the clinician who prescribed it."""
    set_profile(patient)
    response = start_titration(patient, prescriber="")
    assert response.status_code == 422
    assert "prescribed" in response.json()["error"]["message"]
    assert start_titration(patient, prescriber="Dr Who").status_code == 201


def test_a_plan_above_the_label_maximum_is_refused_unless_overridden_with_a_reason(doctor: Any) -> None:
    """100 mg a day is refused; with the clinician's recorded override it is accepted and says so."""
    refused = start_titration(doctor, target_daily="100 mg")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "plan_refused"
    accepted = start_titration(
        doctor,
        target_daily="100 mg",
        override_code="above_label_max",
        override_reason="specialist centre, monitored",
    )
    assert accepted.status_code == 201
    assert _plan(doctor)["plan"]["overrides"][0]["reason"] == "specialist centre, monitored"


def test_a_patient_cannot_override_a_limit(patient: Any) -> None:
    """Only a clinician can cross a limit."""
    set_profile(patient)
    response = start_titration(
        patient, target_daily="100 mg", override_code="above_label_max", override_reason="x"
    )
    assert response.status_code == 422


def test_pausing_holds_the_current_dose_until_resumed(doctor: Any, clock: Any) -> None:
    """A pause on day 5 keeps 10 mg three times a day for as long as it lasts; nothing stops."""
    start_titration(doctor)
    clock.advance(doctor, days=4)
    assert _adjust(doctor, "pause", "dizzy after the increase").status_code == 201
    clock.advance(doctor, days=6)
    today = doctor.api("GET", f"/api/v1/patients/{doctor.patient_id}/today").json()
    assert today["paused"] is True
    assert [d["dose"]["value"] for d in today["doses"]] == ["10", "10", "10"]


def test_resuming_continues_where_the_pause_began(doctor: Any, clock: Any) -> None:
    """Paused on 14 Nov for four days: the rest of the 10 mg step and every later step move four days on."""
    start_titration(doctor)
    clock.advance(doctor, days=4)
    _adjust(doctor, "pause")
    clock.advance(doctor, days=4)
    assert _adjust(doctor, "resume", "dizziness settled").status_code == 201
    steps = _daily(_plan(doctor))
    assert ("2026-11-20", "45") in steps  # the 15 mg step began on 16 Nov before the pause
    assert _plan(doctor)["version"]["status"] == "active"


def test_slowing_down_doubles_every_remaining_step(doctor: Any, clock: Any) -> None:
    """From day 2, the 5 mg step's rest lasts 4 days and the 10 mg step 6."""
    start_titration(doctor)
    clock.advance(doctor, days=1)
    assert _adjust(doctor, "slow_down").status_code == 201
    steps = _plan(doctor)["plan"]["steps"]
    assert [(s["start"], s["days"], s["daily"]["value"]) for s in steps[:4]] == [
        ("2026-11-10", 1, "15"),
        ("2026-11-11", 4, "15"),
        ("2026-11-15", 6, "30"),
        ("2026-11-21", 6, "45"),
    ]


def test_stepping_back_returns_to_the_previous_dose_before_trying_again(doctor: Any, clock: Any) -> None:
    """On the 15 mg step, stepping back gives 10 mg for three days, then 15 mg again."""
    start_titration(doctor)
    clock.advance(doctor, days=6)
    assert _adjust(doctor, "step_back", "drowsy").status_code == 201
    steps = _daily(_plan(doctor))
    assert steps[steps.index(("2026-11-16", "30")) + 1] == ("2026-11-19", "45")


def test_a_patient_may_pause_but_not_slow_down_step_back_or_taper(patient: Any) -> None:
    """The patient holds the dose; anything more is the clinician's decision."""
    set_profile(patient)
    start_titration(patient)
    assert _adjust(patient, "slow_down").status_code == 422
    assert _adjust(patient, "step_back").status_code == 422
    taper = saved_after_preview(
        patient, f"/api/v1/patients/{patient.patient_id}/plan/taper", {"reason": "stop"}
    )
    assert taper.status_code == 422
    assert _adjust(patient, "pause", "too sleepy").status_code == 201
    assert _adjust(patient, "resume").status_code == 422


def test_stopping_is_only_ever_a_taper_that_never_rises(doctor: Any, clock: Any) -> None:
    """A clinician's stop is a taper from the dose in force that ends with 'stop' and never goes up."""
    start_titration(doctor)
    clock.advance(doctor, days=10)
    response = saved_after_preview(
        doctor, f"/api/v1/patients/{doctor.patient_id}/plan/taper", {"reason": "no benefit", "weeks": "4"}
    )
    assert response.status_code == 201, response.text
    plan = _plan(doctor)["plan"]
    assert plan["then"] == "stop"
    assert plan["kind"] == "taper"
    tail = [float(s["daily"]["value"]) for s in plan["steps"] if s["start"] >= "2026-11-20"]
    assert tail == sorted(tail, reverse=True)
    assert tail[0] < 60.0  # the first reduction starts on the taper's first day, from 60 mg a day
    assert tail[-1] < tail[0]


def test_every_change_is_a_new_version_with_who_and_why(doctor: Any, clock: Any) -> None:
    """Create, pause, resume: three versions, newest first, each with its author and reason."""
    start_titration(doctor)
    clock.advance(doctor, days=2)
    _adjust(doctor, "pause", "nausea")
    clock.advance(doctor, days=1)
    _adjust(doctor, "resume", "better")
    history = _plan(doctor)["history"]
    assert [(h["number"], h["action"], h["reason"], h["created_by"]) for h in history] == [
        (3, "resume", "better", "Dr Dee"),
        (2, "pause", "nausea", "Dr Dee"),
        (1, "titration", "spasticity", "Dr Dee"),
    ]


def test_a_change_without_a_reason_is_refused(doctor: Any) -> None:
    """Every change to a plan needs a reason."""
    start_titration(doctor)
    assert _adjust(doctor, "pause", "  ").status_code == 422


def test_the_plan_page_shows_the_current_step_and_the_versions(doctor: Any, clock: Any) -> None:
    """The page highlights today's step and lists every version."""
    start_titration(doctor)
    clock.advance(doctor, days=3)
    page = doctor.client.get(f"/p/{doctor.patient_id}/plan").text
    assert 'aria-current="step"' in page
    assert "10 mg three times a day" in page
    assert "Version 1" in page
