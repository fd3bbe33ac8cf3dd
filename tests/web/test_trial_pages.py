"""The treatment trial on the record: a clinician records the goal, review date and no-benefit plan for the
plan in force; the record shows progress from the check-ins and reminds as the review nears; a caregiver
cannot record one; the printable questions list is filled with what is agreed."""

from __future__ import annotations

from typing import Any

import pytest
from web_support import give_access, set_profile, start_titration


@pytest.fixture
def doctor(patient: Any, register: Any) -> Any:
    """A clinician with access to Pat's record, which has a baclofen titration."""
    doc = register("Dr Dee", "clinician")
    give_access(patient, doc, "clinician")
    set_profile(patient)
    assert start_titration(patient).status_code == 201
    doc.patient_id = patient.patient_id
    return doc


def record(person: Any, **fields: str) -> Any:
    data = {"kind": "spasticity", "points": "2", "review_on": "2027-01-10", **fields}
    return person.form(f"/p/{person.patient_id}/trial", data, follow_redirects=False)


def checkin(patient: Any, spasticity: int) -> None:
    body = {"spasticity": spasticity, "spasm_frequency": 1, "sleep_quality": 6, "drowsiness": 2}
    response = patient.api("POST", f"/api/v1/patients/{patient.patient_id}/checkins", json=body)
    assert response.status_code == 201, response.text


def test_a_clinician_records_a_trial_and_the_record_shows_it(doctor: Any, patient: Any) -> None:
    """Goal, review date, the label's no-benefit text by default; audited; shown to the patient."""
    assert record(doctor).status_code == 303
    page = patient.client.get(f"/p/{patient.patient_id}/trial").text
    assert "a fall of 2 points in the stiffness score (0-10)" in page
    assert "Sun 10 Jan 2027" in page
    assert "lowered slowly until it stops (US label)" in page
    audit = patient.client.get(f"/p/{patient.patient_id}/audit").text
    assert "trial goal" in audit


def test_progress_comes_from_the_check_ins(doctor: Any, patient: Any, clock: Any) -> None:
    """Stiffness 7 at the start and 4 three weeks later: 3 points better, the 2-point goal reached."""
    checkin(patient, 7)
    record(doctor)
    clock.advance(patient, doctor, days=21)
    checkin(patient, 4)
    page = patient.client.get(f"/p/{patient.patient_id}/trial").text
    assert "3 points better" in page
    assert "The goal (2 points) is reached." in page


def test_without_a_later_check_in_progress_is_not_known(doctor: Any, patient: Any) -> None:
    """One check-in: 'Not known yet', never 'reached'."""
    checkin(patient, 7)
    record(doctor)
    page = patient.client.get(f"/p/{patient.patient_id}/trial").text
    assert "Not known yet" in page
    assert "is reached" not in page


def test_the_review_reminds_both_sides_as_it_nears(doctor: Any, patient: Any, clock: Any) -> None:
    """Five days before the review both see it; the clinician is offered the taper, the patient told not to stop."""
    record(doctor, review_on="2026-11-20")
    clock.advance(patient, doctor, days=5)
    mine = patient.client.get(f"/p/{patient.patient_id}/trial").text
    theirs = doctor.client.get(f"/p/{patient.patient_id}/trial").text
    assert "The review is in 5 days" in mine
    assert "Do not stop on your own." in mine
    assert "plan a taper" in theirs


def test_a_caregiver_cannot_record_a_trial(patient: Any, register: Any) -> None:
    """'manage_plans' is needed: a caregiver's post is refused and nothing is stored."""
    set_profile(patient)
    start_titration(patient)
    carer = register("Cy Carer", "caregiver")
    give_access(patient, carer, "caregiver")
    carer.patient_id = patient.patient_id
    response = record(carer)
    assert response.status_code in (303, 404)
    assert "a fall of 2 points" not in patient.client.get(f"/p/{patient.patient_id}/trial").text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"points": "12"}, "whole number of points from 1 to 10"),
        ({"review_on": "2026-11-01"}, "review date"),
        ({"kind": "other", "goal_text": ""}, "describe the goal"),
    ],
)
def test_unreadable_trial_fields_are_refused(
    doctor: Any, patient: Any, fields: dict[str, str], message: str
) -> None:
    """A goal off the scale, a review before the start, or an 'other' goal without words: refused."""
    answer = record(doctor, **fields)
    assert answer.status_code == 303  # back to the form, with the refusal as the page's message
    page = doctor.client.get(answer.headers["location"]).text
    assert message in page
    assert "Agreed" not in doctor.client.get(f"/p/{patient.patient_id}/trial/questions").text


def test_the_questions_list_is_filled_with_what_is_agreed(doctor: Any, patient: Any) -> None:
    """Goal, review date and no-benefit plan appear as answers; other questions leave a line to write on."""
    before = patient.client.get(f"/p/{patient.patient_id}/trial/questions").text
    assert before.count("Not agreed yet.") == 3
    record(doctor)
    page = patient.client.get(f"/p/{patient.patient_id}/trial/questions").text
    assert "Agreed: a fall of 2 points in the stiffness score (0-10)." in page
    assert "Agreed: review on Sun 10 Jan 2027." in page
    assert "Today: 5 mg three times a day." in page
    assert "Answer: ____" in page


def test_the_api_records_and_reads_the_same_trial(doctor: Any, patient: Any, clock: Any) -> None:
    """POST /trial (201) then GET /trial: the goal, the review state and the progress from the check-ins."""
    checkin(patient, 6)
    body = {"kind": "spasticity", "points": "1", "review_on": "2026-12-20"}
    made = doctor.api("POST", f"/api/v1/patients/{patient.patient_id}/trial", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["goal"] == "a fall of 1 point in the stiffness score (0-10)"
    clock.advance(patient, doctor, days=7)
    checkin(patient, 5)
    trial = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/trial").json()["trial"]
    assert trial["progress"]["improvement"] == 1
    assert trial["progress"]["met"] is True
    assert trial["progress"]["review_state"] == "upcoming"
