"""The Reminders page: this device, what each person is told and how, the care team's alerts chosen by
the patient, and the delivery log; the app's manifest and service worker."""

from __future__ import annotations

from typing import Any

from reminder_support import on_plan
from web_support import csrf_from, give_access


def test_the_patient_saves_quiet_hours_and_private_text_on_the_page(patient: Any) -> None:
    """The form saves the patient's own reminders and ways of being told; the API reads them back."""
    on_plan(patient)
    page = patient.client.get(f"/p/{patient.patient_id}/reminders")
    assert page.status_code == 200
    assert "Turn on notifications on this device" in page.text
    saved = patient.client.post(
        f"/p/{patient.patient_id}/reminders",
        data={
            "csrf_token": csrf_from(page.text),
            "dose": "yes",
            "by_push": "yes",
            "private_text": "yes",
            "quiet_from": "22:00",
            "quiet_to": "07:00",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    mine = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/reminders").json()["mine"]
    assert mine == {
        "kinds": ["dose"],
        "by_push": True,
        "by_email": False,
        "quiet_from": "22:00",
        "quiet_to": "07:00",
        "private_text": True,
    }


def test_quiet_hours_need_two_different_times(patient: Any) -> None:
    """A start without an end, or a time that is not HH:MM, is refused with the field named."""
    for body in ({"quiet_from": "22:00"}, {"quiet_from": "25:00", "quiet_to": "07:00"}):
        answer = patient.api("PUT", f"/api/v1/patients/{patient.patient_id}/reminders", json=body)
        assert answer.status_code == 422, answer.text


def test_the_patient_chooses_what_a_caregiver_is_told_and_only_what_a_caregiver_may_be(
    patient: Any, register: Any
) -> None:
    """The patient's page lists the caregiver with a caregiver's choices; the caregiver's page shows what
    was chosen, and the caregiver cannot choose for themselves nor see the delivery log."""
    on_plan(patient)
    carer = register("Cara Carer", "caregiver")
    give_access(patient, carer, "caregiver")
    team = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/reminders").json()["care_team"]
    [member] = team
    assert member["name"] == "Cara Carer"
    assert "not_logged" in member["offered"]
    assert member["kinds"] == []
    chosen = patient.api(
        "PUT",
        f"/api/v1/patients/{patient.patient_id}/reminders/care-team",
        json={"user_id": member["user_id"], "kinds": ["not_logged", "triage"]},
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["kinds"] == ["not_logged", "triage"]
    page = carer.client.get(f"/p/{patient.patient_id}/reminders")
    assert page.status_code == 200
    assert "a dose is not recorded an hour after its time" in page.text
    assert "Sent reminders" not in page.text
    mine = carer.api(
        "PUT",
        f"/api/v1/patients/{patient.patient_id}/reminders",
        json={"own_kinds": ["dose"], "by_email": True},
    )
    assert mine.status_code == 200
    assert mine.json()["kinds"] == ["not_logged", "triage"]
    for forbidden in (
        carer.api(
            "PUT",
            f"/api/v1/patients/{patient.patient_id}/reminders/care-team",
            json={"user_id": member["user_id"], "kinds": ["stock"]},
        ),
        carer.api("GET", f"/api/v1/patients/{patient.patient_id}/deliveries"),
    ):
        assert forbidden.status_code == 404


def test_a_clinician_cannot_be_given_a_caregivers_alerts(patient: Any, register: Any) -> None:
    """A clinician is offered urgent triage, repeated misses and refill dates; anything else is refused."""
    on_plan(patient)
    doctor = register("Dora Doctor", "clinician")
    give_access(patient, doctor, "clinician")
    [member] = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/reminders").json()["care_team"]
    assert member["offered"] == ["triage", "missed_run", "stock", "pump_refill"]
    refused = patient.api(
        "PUT",
        f"/api/v1/patients/{patient.patient_id}/reminders/care-team",
        json={"user_id": member["user_id"], "kinds": ["plan_change"]},
    )
    assert refused.status_code == 422


def test_the_app_is_installable_with_a_manifest_and_a_root_service_worker(patient: Any) -> None:
    """Every page links the manifest; the service worker is served from the root (scope "/")."""
    page = patient.client.get("/home")
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page.text
    manifest = patient.client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["display"] == "standalone"
    assert body["start_url"] == "/home"
    assert body["icons"]
    worker = patient.client.get("/sw.js")
    assert worker.status_code == 200
    assert "text/javascript" in worker.headers["content-type"]
    assert 'addEventListener("push"' in worker.text
    assert "/api/v1/push/actions" in worker.text
