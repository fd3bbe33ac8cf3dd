"""The report downloads in the web app: for the patient, a caregiver and a clinician, never a stranger;
made from the plan in force at the moment of the download, with the record's doses, symptoms and list."""

from __future__ import annotations

import io
from typing import Any

import pdfplumber
import pytest
from web_support import Person, give_access, saved_after_preview, set_profile, start_titration

from dosewise.formats.report.sheet import BOX

_ROUTES = (
    "/p/{pid}/reports/clinician.pdf",
    "/p/{pid}/reports/schedule.pdf",
    "/api/v1/patients/{pid}/reports/clinician.pdf",
    "/api/v1/patients/{pid}/reports/schedule.pdf",
)


def _text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return " ".join(" ".join((page.extract_text() or "") for page in document.pages).split())


def _tables(pdf: bytes) -> list[list[list[str]]]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [
            [[" ".join((cell or "").split()) for cell in row] for row in table]
            for page in document.pages
            for table in page.extract_tables()
        ]


@pytest.fixture
def record(patient: Person) -> Person:
    """A patient with a profile, a titration from 10 November and a medicine on the list."""
    assert set_profile(patient).status_code == 200
    assert start_titration(patient).status_code == 201
    added = patient.api("POST", f"/api/v1/patients/{patient.patient_id}/medications", json={"name": "Valium"})
    assert added.status_code == 201, added.text
    return patient


def test_the_patient_a_caregiver_and_a_clinician_download_both_a_stranger_gets_not_found(
    record: Person, register: Any
) -> None:
    """view is enough for both PDFs; a stranger, a revoked caregiver and a made-up record all get 404."""
    caregiver, clinician, stranger = (
        register("Cara Giver"),
        register("Dr Lin", role="clinician"),
        register("Sam"),
    )
    give_access(record, caregiver, "caregiver")
    give_access(record, clinician, "clinician")
    for person in (record, caregiver, clinician):
        for route in _ROUTES:
            response = person.client.get(route.format(pid=record.patient_id))
            assert response.status_code == 200, (person.name, route, response.text[:200])
            assert response.headers["content-type"] == "application/pdf"
            assert response.headers["content-disposition"].startswith('attachment; filename="dosewise-')
            assert response.headers["cache-control"] == "no-store"
            assert response.content.startswith(b"%PDF-")
    refused = [stranger.client.get(route.format(pid=record.patient_id)) for route in _ROUTES]
    made_up = [stranger.client.get(route.format(pid="0123456789abcdef")) for route in _ROUTES]
    assert [r.status_code for r in refused] == [404] * 4 == [r.status_code for r in made_up]
    assert refused[2].json() == made_up[2].json()
    grants = record.api("GET", f"/api/v1/patients/{record.patient_id}/grants").json()["grants"]
    cara = next(g for g in grants if g["email"] == caregiver.email)
    assert (
        record.api("DELETE", f"/api/v1/patients/{record.patient_id}/grants/{cara['id']}").status_code == 204
    )
    assert caregiver.client.get(_ROUTES[1].format(pid=record.patient_id)).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(record: Person, app: Any) -> None:
    """No session: the API answers 401, the page download redirects to the sign-in page."""
    from fastapi.testclient import TestClient

    anonymous = TestClient(app, base_url="http://testserver")
    api = anonymous.get(_ROUTES[2].format(pid=record.patient_id))
    page = anonymous.get(_ROUTES[0].format(pid=record.patient_id), follow_redirects=False)
    assert api.status_code == 401
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login")


def test_the_report_carries_the_record_doses_symptoms_and_medication_list(record: Person, clock: Any) -> None:
    """Doses logged on Today and a diary entry appear with their counts and triage level."""
    pid = record.patient_id
    for index in (0, 1):
        logged = record.api(
            "POST",
            f"/api/v1/patients/{pid}/doses",
            json={
                "slot_date": "2026-11-10",
                "slot_index": index,
                "status": "taken",
                "idempotency_key": f"report-dose-{index}",
            },
        )
        assert logged.status_code in (200, 201), logged.text
        clock.advance(record, hours=5)
    symptom = record.api(
        "POST", f"/api/v1/patients/{pid}/symptoms", json={"text": "a bit dizzy", "severity": "mild"}
    )
    assert symptom.status_code in (200, 201), symptom.text
    level = symptom.json()["triage"]["level"]
    clock.advance(record, hours=12)
    pdf = record.client.get(f"/p/{pid}/reports/clinician.pdf").content
    text = _text(pdf)
    assert "Patient: Pat Patient" in text
    assert "version 1" in text
    assert "Other medicines on the list: Valium." in text
    summary = next(t for t in _tables(pdf) if t[0][:2] == ["Due", "Taken on time"])
    assert summary[1][:5] == ["3", "2", "0", "0", "1"]  # 08:00 and 14:00 taken, 20:00 missed
    symptoms = next(t for t in _tables(pdf) if t[0][:2] == ["When", "Reported"])
    assert symptoms[1][1:4] == ["a bit dizzy", "mild", level.upper()]
    assert "measured 2026-11-01" in text


def test_the_sheet_follows_a_plan_change(record: Person) -> None:
    """A pause holds today's dose: the next download drops the planned rise to 10 mg and says PAUSED."""
    pid = record.patient_id
    before = _text(record.client.get(f"/p/{pid}/reports/schedule.pdf?days=7").content)
    assert before.count(BOX) == 1 + 7 * 3
    assert "1 tablet of 10 mg" in before.split("Day by day")[1]  # the titration rises on 13 November
    paused = saved_after_preview(
        record, f"/api/v1/patients/{pid}/plan/adjustments", {"adjustment": "pause", "reason": "dizzy"}
    )
    assert paused.status_code in (200, 201), paused.text
    after = _text(record.client.get(f"/p/{pid}/reports/schedule.pdf?days=7").content)
    assert "version 2" in after
    assert "PAUSED" in after
    strip = after.split("Day by day")[1]
    assert after.count(BOX) == 1 + 7 * 3
    assert strip.count("1 tablet of 5 mg") == 7 * 3
    assert "10 mg" not in strip


def test_day_counts_outside_the_bounds_are_refused(record: Person) -> None:
    """A sheet of 1 to 92 days, a report of 1 to 366: anything else answers 422 in the one error shape."""
    for route, days in (("schedule.pdf", 93), ("schedule.pdf", 0), ("clinician.pdf", 367)):
        response = record.api("GET", f"/api/v1/patients/{record.patient_id}/reports/{route}?days={days}")
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "invalid_input"


def test_a_record_without_a_plan_has_nothing_to_print(register: Any) -> None:
    """409 with code no_plan, in the one error shape."""
    nobody = register("Noa Plan")
    response = nobody.api("GET", f"/api/v1/patients/{nobody.patient_id}/reports/clinician.pdf")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_plan"


def test_the_reports_page_links_both_downloads(record: Person) -> None:
    """The page is in the record's navigation and offers both PDFs."""
    page = record.client.get(f"/p/{record.patient_id}/reports")
    assert page.status_code == 200
    assert f'action="/p/{record.patient_id}/reports/schedule.pdf"' in page.text
    assert f'action="/p/{record.patient_id}/reports/clinician.pdf"' in page.text
    assert f'href="/p/{record.patient_id}/reports"' in page.text


def _downloads(person: Person, pid: str) -> list[dict[str, Any]]:
    trail = person.api("GET", f"/api/v1/patients/{pid}/audit")
    assert trail.status_code == 200, trail.text
    return [e for e in trail.json()["events"] if e["action"] == "record.downloaded"]


def test_every_copy_taken_out_of_the_record_is_in_the_patients_audit_trail(
    record: Person, register: Any
) -> None:
    """A caregiver's report, the patient's sheet and the FHIR record each leave a dated audit event with
    who took it and which format; the patient sees all three, and a refused export leaves none."""
    caregiver = register("Cara Download")
    give_access(record, caregiver, "caregiver")
    pid = record.patient_id
    assert _downloads(record, pid) == []
    assert caregiver.client.get(f"/p/{pid}/reports/clinician.pdf").status_code == 200
    assert record.api("GET", f"/api/v1/patients/{pid}/reports/schedule.pdf").status_code == 200
    assert record.client.get(f"/p/{pid}/exports/record.fhir.json").status_code == 200
    assert record.api("GET", f"/api/v1/patients/{pid}/reports/schedule.pdf?days=93").status_code == 422
    events = _downloads(record, pid)
    assert sorted((e["by"], e["detail"]["format"]) for e in events) == sorted(
        [("Cara Download", "clinician-report"), (record.name, "schedule-sheet"), (record.name, "fhir-r4")]
    )
    # The caregiver sees the care history too, downloads included (they are not sharing or account events).
    assert len(_downloads(caregiver, pid)) == 3
