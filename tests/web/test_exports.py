"""Downloads: the whole record as a FHIR R4 Bundle, from the page and the API, valid R4, for exactly the
people who may view the record."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from web_support import give_access, set_profile, start_titration

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fhir"))
import validator


@pytest.fixture
def kept_record(patient: Any) -> Any:
    """A patient with a profile, a titration, a taken and a skipped dose, a symptom, a check-in and two
    listed medicines (one a sedative the plan interacts with)."""
    set_profile(patient)
    assert start_titration(patient).status_code == 201
    base = f"/api/v1/patients/{patient.patient_id}"
    for index, status in ((0, "taken"), (1, "skipped")):
        body = {
            "slot_date": "2026-11-10",
            "slot_index": index,
            "status": status,
            "idempotency_key": f"export-dose-{index}",
        }
        if status == "taken":
            body["taken_at"] = "08:05"
        answer = patient.api("POST", f"{base}/doses", json=body)
        assert answer.status_code in (200, 201), answer.text
    assert (
        patient.api("POST", f"{base}/symptoms", json={"text": "a bit dizzy", "severity": "mild"}).status_code
        == 201
    )
    checkin = {"spasticity": 5, "spasm_frequency": 2, "sleep_quality": 6, "drowsiness": 3}
    assert patient.api("POST", f"{base}/checkins", json=checkin).status_code == 201
    for name, dose in (("lorazepam", "1 mg"), ("Zanaflex", "")):
        assert (
            patient.api("POST", f"{base}/medications", json={"name": name, "dose": dose}).status_code == 201
        )
    return patient


def _kinds(bundle: dict[str, Any]) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for entry in bundle["entry"]:
        kind = entry["resource"]["resourceType"]
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def test_the_patient_downloads_the_whole_record_as_valid_fhir_r4(kept_record: Any) -> None:
    """The API answer is application/fhir+json, never cached, and passes the independent pipeline."""
    validator.ensure()
    response = kept_record.api("GET", f"/api/v1/patients/{kept_record.patient_id}/fhir")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert response.headers["cache-control"] == "no-store"
    bundle = response.json()
    report = validator.validate_resource(bundle)
    assert report.errors == []
    assert validator.validate_bundle_references(bundle) == []
    assert _kinds(bundle) == {
        "Patient": 1,
        "MedicationRequest": 3,  # the plan, and the two listed medicines as reported requests
        "MedicationStatement": 2,
        "MedicationAdministration": 2,
        "Observation": 2,
        "DetectedIssue": _kinds(bundle)["DetectedIssue"],
    }
    assert _kinds(bundle)["DetectedIssue"] >= 1
    patient = bundle["entry"][0]["resource"]
    assert patient["birthDate"] == "1970-03-01"
    assert patient["gender"] == "female"
    plan = bundle["entry"][1]["resource"]
    assert plan["status"] == "active"
    assert plan["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["start"] == "2026-11-10"
    statuses = sorted(
        e["resource"]["status"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "MedicationAdministration"
    )
    assert statuses == ["completed", "not-done"]


def test_the_page_offers_the_download_as_a_named_attachment(kept_record: Any) -> None:
    """The Downloads page links to the file; the file is an attachment named for the record and the day."""
    page = kept_record.client.get(f"/p/{kept_record.patient_id}/exports")
    assert page.status_code == 200
    assert "Download the record (FHIR R4 JSON)" in page.text
    response = kept_record.client.get(f"/p/{kept_record.patient_id}/exports/record.fhir.json?per_step=1")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        f'attachment; filename="dosewise-record-{kept_record.patient_id}-2026-11-10.fhir.json"'
    )
    requests = [
        e["resource"]
        for e in response.json()["entry"]
        if e["resource"]["resourceType"] == "MedicationRequest"
    ]
    plan_steps = [r for r in requests if "groupIdentifier" in r]
    assert len(plan_steps) > 1
    assert all(len(r["dosageInstruction"]) == 1 for r in plan_steps)


def test_a_caregiver_with_access_may_download_and_a_stranger_may_not(kept_record: Any, register: Any) -> None:
    """Same rule as every record page: granted people see it, a stranger gets the same 404 as a missing record,
    and access ends with revocation."""
    carer = register("Cara Carer", role="caregiver")
    stranger = register("Sam Stranger")
    give_access(kept_record, carer, "caregiver")
    path = f"/api/v1/patients/{kept_record.patient_id}/fhir"
    assert carer.api("GET", path).status_code == 200
    assert carer.client.get(f"/p/{kept_record.patient_id}/exports/record.fhir.json").status_code == 200
    assert stranger.api("GET", path).status_code == 404
    assert stranger.client.get(f"/p/{kept_record.patient_id}/exports/record.fhir.json").status_code == 404
    assert stranger.api("GET", "/api/v1/patients/no-such-record/fhir").status_code == 404
    grants = kept_record.api("GET", f"/api/v1/patients/{kept_record.patient_id}/grants").json()
    grant_id = next(g["id"] for g in grants["grants"] if g["status"] == "active")
    revoked = kept_record.api("DELETE", f"/api/v1/patients/{kept_record.patient_id}/grants/{grant_id}")
    assert revoked.status_code == 204
    assert carer.api("GET", path).status_code == 404
    kept_record.client.cookies.clear()
    assert kept_record.client.get(path).status_code == 401
