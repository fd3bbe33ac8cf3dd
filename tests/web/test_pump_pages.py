"""The pump in the record on the web: the patient or their clinician records the pump, refills and
programme changes; the Pump page and Today show the refill due date and the alarm date; a caregiver may
read but not record; an mg value is refused at its field; the pump's red flags reach the diary's triage."""

from __future__ import annotations

from typing import Any

import pytest
from web_support import give_access


def _api(person: Any, path: str, body: dict[str, Any]) -> Any:
    return person.api("POST", f"/api/v1/patients/{person.patient_id}/pump/{path}", json=body)


def _pump(person: Any, refill_on: str = "2026-11-01", daily: str = "500") -> None:
    """40 mL reservoir (2 mL alarm), refilled with 40 mL of 2000 mcg/mL at ``daily`` mcg a day."""
    assert _api(person, "device", {"reservoir_ml": "40"}).status_code == 201
    body = {"on": refill_on, "fill_ml": "40", "concentration_mcg_ml": "2000", "daily_mcg": daily}
    response = _api(person, "refills", body)
    assert response.status_code == 201, response.text


@pytest.fixture
def doctor(patient: Any, register: Any) -> Any:
    doc = register("Dr Dee", "clinician")
    give_access(patient, doc, "clinician")
    doc.patient_id = patient.patient_id
    return doc


def test_the_pump_page_shows_the_refill_and_alarm_dates(patient: Any) -> None:
    """2000 mcg/mL at 500 mcg a day from 1 Nov: alarm 2 Apr 2027 (152 days), refill due 26 Mar 2027."""
    _pump(patient)
    page = patient.client.get(f"/p/{patient.patient_id}/pump")
    assert page.status_code == 200
    assert "Fri 26 Mar 2027" in page.text  # refill due
    assert "Fri 2 Apr 2027" in page.text  # alarm expected
    assert "37.75 mL" in page.text  # left today, 10 Nov
    data = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/pump").json()
    assert data["outlook"]["refill_due"] == "2027-03-26"
    assert data["outlook"]["alarm_on"] == "2027-04-02"
    assert data["outlook"]["days_to_alarm_exact"] == "152"


def test_today_carries_a_pump_line_even_without_an_oral_plan(patient: Any) -> None:
    """A pump patient with no tablets plan still sees the refill date on Today."""
    _pump(patient)
    today = patient.client.get(f"/p/{patient.patient_id}/today").text
    assert 'id="pump-line"' in today
    assert "refill due Fri 26 Mar 2027" in today


def test_a_patient_without_a_pump_has_no_pump_line(patient: Any) -> None:
    """No pump recorded: Today says nothing about a pump."""
    assert 'id="pump-line"' not in patient.client.get(f"/p/{patient.patient_id}/today").text


def test_a_clinician_records_a_programme_change_and_the_dates_move(doctor: Any, patient: Any) -> None:
    """From 10 Nov at 1000 mcg a day: 37.75 mL left, 71.5 days to the alarm: 20 Jan 2027, refill 13 Jan."""
    _pump(patient)
    response = doctor.form(
        f"/p/{patient.patient_id}/pump/programme",
        {"on": "2026-11-10", "daily_mcg": "1000"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    data = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/pump").json()["outlook"]
    assert data["alarm_on"] == "2027-01-20"
    assert data["refill_due"] == "2027-01-13"
    assert data["days_to_alarm_exact"] == "161/2"
    audit = patient.client.get(f"/p/{patient.patient_id}/audit").text
    assert "pump programme from Tue 10 Nov 2026: 1000 mcg a day" in audit


def test_a_refill_within_the_buffer_is_flagged_on_today(patient: Any) -> None:
    """Refilled 24 Oct with 6 mL at 500 mcg/day of 2000 mcg/mL: alarm after 16 days, due now."""
    assert _api(patient, "device", {"reservoir_ml": "40"}).status_code == 201
    body = {"on": "2026-10-24", "fill_ml": "6", "concentration_mcg_ml": "2000", "daily_mcg": "500"}
    assert _api(patient, "refills", body).status_code == 201
    outlook = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/pump").json()["outlook"]
    assert outlook["alarm_on"] == "2026-11-09"
    assert outlook["standing"] == "alarm_due"
    today = patient.client.get(f"/p/{patient.patient_id}/today").text
    assert "contact the pump team now" in today


def test_an_mg_dose_is_refused_at_its_field(patient: Any) -> None:
    """'0.5 mg' a day is refused (a thousandfold slip), named on the field; nothing stored."""
    _pump(patient)
    response = _api(patient, "programme", {"on": "2026-11-10", "daily_mcg": "0.5 mg"})
    assert response.status_code == 422
    assert "mcg" in response.json()["error"]["message"]
    page = patient.form(
        f"/p/{patient.patient_id}/pump/programme",
        {"on": "2026-11-10", "daily_mcg": "0.5 mg"},
        follow_redirects=True,
    )
    assert 'aria-invalid="true"' in page.text or "mcg (micrograms), not mg" in page.text
    entries = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/pump").json()["entries"]
    assert [e["kind"] for e in entries] == ["refill", "pump"]


def test_a_caregiver_sees_the_dates_but_cannot_record(patient: Any, register: Any) -> None:
    """Caregiver access is view and log: the page shows the dates; recording a refill is refused (404)."""
    _pump(patient)
    carer = register("Cara", "caregiver")
    give_access(patient, carer, "caregiver")
    carer.patient_id = patient.patient_id
    page = carer.client.get(f"/p/{patient.patient_id}/pump").text
    assert "Fri 26 Mar 2027" in page
    assert "Record a refill" not in page
    response = _api(carer, "refills", {"on": "2026-11-10", "fill_ml": "20"})
    assert response.status_code == 404  # AccessDenied answers 404, like a record that does not exist


def test_a_wrong_entry_is_corrected_and_stays_in_the_history(patient: Any) -> None:
    """Entered in error: the dates are recomputed without it; both rows stay, newest first."""
    _pump(patient)
    change = _api(patient, "programme", {"on": "2026-11-10", "daily_mcg": "1000"}).json()
    response = patient.api(
        "POST",
        f"/api/v1/patients/{patient.patient_id}/pump/entries/{change['id']}/corrections",
        json={"reason": "wrong patient"},
    )
    assert response.status_code == 201
    data = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/pump").json()
    assert data["outlook"]["alarm_on"] == "2027-04-02"
    assert [(e["kind"], e["status"]) for e in data["entries"][:2]] == [
        ("programme", "entered_in_error"),
        ("programme", "recorded"),
    ]


def test_the_diary_triages_pump_signs_as_an_emergency(patient: Any) -> None:
    """'itching and my spasms are back' with a pump on the record: emergency (intrathecal withdrawal)."""
    _pump(patient)
    response = patient.api(
        "POST",
        f"/api/v1/patients/{patient.patient_id}/symptoms",
        json={"text": "itching and my spasms are back"},
    )
    assert response.status_code == 201
    assert response.json()["triage"]["level"] == "emergency"
    assert "pump-withdrawal" in response.json()["triage"]["rules"]
