"""Alerts to the care team, by push and e-mail, as the patient chose per person: a dose not recorded an
hour after its time, doses missed in a row, urgent triage, tablets running out; nothing to someone who
lost access, and nothing the reader may not see."""

from __future__ import annotations

from typing import Any

import pytest
from reminder_support import deliveries, on_plan, subscribe_device, tick
from web_support import give_access


def _choose(patient: Any, member: Any, *kinds: str) -> None:
    team = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/reminders").json()["care_team"]
    user_id = next(m["user_id"] for m in team if m["name"] == member.name)
    answer = patient.api(
        "PUT",
        f"/api/v1/patients/{patient.patient_id}/reminders/care-team",
        json={"user_id": user_id, "kinds": list(kinds)},
    )
    assert answer.status_code == 200, answer.text


def _mine(person: Any, pid: str, **fields: Any) -> None:
    answer = person.api("PUT", f"/api/v1/patients/{pid}/reminders", json=fields)
    assert answer.status_code == 200, answer.text


@pytest.fixture
def family(patient: Any, register: Any, push_peer: Any) -> Any:
    """Pat on the titration (no reminders for Pat), and Cara, Pat's caregiver, with a device."""
    on_plan(patient)
    carer = register("Cara Carer", "caregiver")
    give_access(patient, carer, "caregiver")
    device = subscribe_device(carer, push_peer, pid=patient.patient_id)
    return patient, carer, device


def test_the_caregivers_phone_shows_a_dose_not_recorded_an_hour_after_its_time(
    family: Any, web_context: Any, clock: Any, push_peer: Any
) -> None:
    """Cara chose "not recorded an hour after its time": nothing at 14:59, the alert at 15:00, once."""
    patient, carer, device = family
    _choose(patient, carer, "not_logged")
    patient.api(
        "POST",
        f"/api/v1/patients/{patient.patient_id}/doses",
        json={
            "slot_date": "2026-11-10",
            "slot_index": 0,
            "status": "taken",
            "idempotency_key": "morning-dose",
        },
    )
    clock.advance(patient, carer, hours=5, minutes=29)  # 14:59
    tick(web_context)
    assert push_peer.messages(device) == []
    clock.advance(patient, carer, minutes=1)  # 15:00
    tick(web_context)
    tick(web_context)
    [alert] = push_peer.messages(device)
    assert alert["title"] == "Pat Patient's 14:00 dose is not recorded"
    assert "planned an hour ago" in alert["body"]
    assert alert["actions"] == []  # a caregiver's alert records nothing from the lock screen
    assert [(d["to"], d["kind"], d["outcome"]) for d in deliveries(patient)] == [
        ("Cara Carer", "not_logged", "delivered")
    ]


def test_urgent_triage_reaches_the_caregiver_by_push_and_e_mail(
    family: Any, web_context: Any, push_peer: Any, request: Any
) -> None:
    """An urgent diary entry: Cara's device and inbox both get it at once; the log shows both deliveries."""
    patient, carer, device = family
    inbox = request.getfixturevalue("mail_on")
    _choose(patient, carer, "triage")
    _mine(carer, patient.patient_id, by_push=True, by_email=True)
    entry = patient.api(
        "POST", f"/api/v1/patients/{patient.patient_id}/symptoms", json={"symptoms": ["hallucinations"]}
    ).json()
    assert entry["triage"]["level"] == "urgent"
    tick(web_context)
    [alert] = push_peer.messages(device)
    assert alert["title"] == "Pat Patient: an urgent symptom recorded"
    assert alert["url"].endswith("/diary")
    subject, body = inbox.last_to(carer.email)
    assert subject == "dosewise: Pat Patient: an urgent symptom recorded"
    assert f"/p/{patient.patient_id}/diary" in body
    assert sorted((d["channel"], d["outcome"]) for d in deliveries(patient)) == [
        ("email", "delivered"),
        ("push", "delivered"),
    ]


def test_private_text_keeps_the_symptom_and_medicine_off_the_caregivers_lock_screen(
    family: Any, web_context: Any, push_peer: Any
) -> None:
    """With private text on, the alert names neither the symptom, the advice nor the medicine."""
    patient, carer, device = family
    _choose(patient, carer, "triage")
    _mine(carer, patient.patient_id, private_text=True)
    patient.api(
        "POST", f"/api/v1/patients/{patient.patient_id}/symptoms", json={"symptoms": ["hallucinations"]}
    )
    tick(web_context)
    [alert] = push_peer.messages(device)
    text = (alert["title"] + " " + alert["body"]).lower()
    assert alert["title"] == "Pat Patient: open dosewise now"
    for word in ("hallucinat", "baclofen", "urgent", "withdrawal", "seeing"):
        assert word not in text


def test_nobody_is_told_anything_once_the_patient_revokes_their_access(
    family: Any, web_context: Any, push_peer: Any, request: Any
) -> None:
    """Cara was to be told of urgent triage by push and e-mail; after the patient removes her access an
    urgent entry reaches neither her phone nor her inbox."""
    patient, carer, device = family
    inbox = request.getfixturevalue("mail_on")
    _choose(patient, carer, "triage", "not_logged")
    _mine(carer, patient.patient_id, by_email=True)
    grants = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/grants").json()["grants"]
    grant = next(g for g in grants if g["email"] == carer.email and g["status"] == "active")
    assert (
        patient.api("DELETE", f"/api/v1/patients/{patient.patient_id}/grants/{grant['id']}").status_code
        == 204
    )
    sent_before = len(inbox.messages)
    patient.api(
        "POST", f"/api/v1/patients/{patient.patient_id}/symptoms", json={"symptoms": ["hallucinations"]}
    )
    tick(web_context)
    assert push_peer.messages(device) == []
    assert [to for to, _ in inbox.messages[sent_before:] if carer.email in to] == []


def test_a_clinician_is_told_when_two_doses_in_a_row_are_missed(
    patient: Any, register: Any, web_context: Any, clock: Any, push_peer: Any
) -> None:
    """Dora (clinician) chose repeated misses. Pat took the 08:00 dose, then recorded nothing: nothing when
    the 14:00 dose's take window closes (one missed); when the 20:00 dose's closes (02:00, half the
    overnight interval), one alert naming two in a row."""
    on_plan(patient)
    doctor = register("Dora Doctor", "clinician")
    give_access(patient, doctor, "clinician")
    device = subscribe_device(doctor, push_peer, pid=patient.patient_id)
    _choose(patient, doctor, "missed_run")
    patient.api(
        "POST",
        f"/api/v1/patients/{patient.patient_id}/doses",
        json={
            "slot_date": "2026-11-10",
            "slot_index": 0,
            "status": "taken",
            "idempotency_key": "morning-dose",
        },
    )
    clock.advance(patient, doctor, hours=7, minutes=30)  # 17:00: the 14:00 dose's window closes
    tick(web_context)
    assert push_peer.messages(device) == []
    clock.advance(patient, doctor, hours=9)  # 02:00: the 20:00 dose's window closes too
    tick(web_context)
    [alert] = push_peer.messages(device)
    assert alert["title"] == "Pat Patient: 2 doses in a row missed"
    assert "withdrawal" in alert["body"]


def test_tablets_running_out_within_the_warning_days_are_told_once(
    family: Any, web_context: Any, clock: Any, push_peer: Any
) -> None:
    """Twelve 5 mg tablets at three a day run out within the week: Cara is told once, with the date."""
    patient, carer, device = family
    _choose(patient, carer, "stock")
    counted = patient.api(
        "POST",
        f"/api/v1/patients/{patient.patient_id}/stock",
        json={"product_id": "baclofen-tab-5mg", "amount": "12"},
    )
    assert counted.status_code == 201, counted.text
    tick(web_context)
    clock.advance(patient, carer, hours=1)
    tick(web_context)
    [alert] = push_peer.messages(device)
    assert alert["title"].startswith("Pat Patient: tablets run out ")
    assert "repeat prescription" in alert["body"]


def test_a_pump_refill_is_flagged_a_week_ahead_to_the_patient_and_the_clinician(
    patient: Any, register: Any, web_context: Any, clock: Any, push_peer: Any
) -> None:
    """40 mL of 2000 mcg/mL at 500 mcg a day from 1 Nov: refill due Friday 26 March (the Pump page's
    date). Nothing on 18 March; on 19 March, a week ahead (the refill buffer), the patient and Dora the
    clinician are each told once."""
    doctor = register("Dora Doctor", "clinician")
    give_access(patient, doctor, "clinician")
    pump = f"/api/v1/patients/{patient.patient_id}/pump"
    assert patient.api("POST", f"{pump}/device", json={"reservoir_ml": "40"}).status_code == 201
    refill = {"on": "2026-11-01", "fill_ml": "40", "concentration_mcg_ml": "2000", "daily_mcg": "500"}
    assert patient.api("POST", f"{pump}/refills", json=refill).status_code == 201
    own = subscribe_device(patient, push_peer)  # the patient's own reminders include the refill
    theirs = subscribe_device(doctor, push_peer, pid=patient.patient_id)
    _choose(patient, doctor, "pump_refill")
    tick(web_context)
    clock.now = clock.now.replace(year=2027, month=3, day=18, hour=12, minute=0)
    patient.sign_in()
    tick(web_context)
    assert push_peer.messages(own) == []
    assert push_peer.messages(theirs) == []
    clock.now = clock.now.replace(day=19)
    tick(web_context)
    clock.now = clock.now.replace(hour=18)
    tick(web_context)
    for device in (own, theirs):
        [alert] = push_peer.messages(device)
        assert alert["title"] == "Pat Patient: pump refill due Friday 26 March"
        assert "Friday 2 April" in alert["body"]
        assert alert["url"].endswith("/pump")


def test_the_delivery_log_shows_the_patient_what_went_to_whom_and_whether_it_arrived(
    family: Any, web_context: Any, clock: Any, request: Any
) -> None:
    """After an urgent alert by push and e-mail, the patient's Reminders page lists both, to Cara, with the
    channel and "delivered"; an e-mail server that refuses is logged as failed, and tried again."""
    patient, carer, _ = family
    request.getfixturevalue("mail_on")
    _choose(patient, carer, "triage")
    _mine(carer, patient.patient_id, by_email=True)
    patient.api(
        "POST", f"/api/v1/patients/{patient.patient_id}/symptoms", json={"symptoms": ["hallucinations"]}
    )
    tick(web_context)
    page = patient.client.get(f"/p/{patient.patient_id}/reminders").text
    table = page.split('<h2 id="log-heading">')[1]
    assert table.count("<td>Cara Carer</td>") == 2
    assert f"email ({carer.email})" in table
    assert "push (device 1)" in table
    assert table.count("<td>delivered</td>") == 2

    from push_peer import free_port

    from dosewise.adapters.mail import SmtpMailer

    web_context.mailer = SmtpMailer(
        host="127.0.0.1", port=free_port(), sender="dosewise@example.org", starttls=False
    )
    _mine(carer, patient.patient_id, by_push=False, by_email=True)
    patient.api("POST", f"/api/v1/patients/{patient.patient_id}/symptoms", json={"text": "slow breathing"})
    tick(web_context)
    failed = [d for d in deliveries(patient) if d["outcome"] == "failed"]
    assert [(d["channel"], d["detail"]) for d in failed] == [("email", "ConnectionRefusedError")]
    # The server answers again: the retry, 30 s on, delivers the e-mail.
    web_context.mailer = SmtpMailer(
        host="127.0.0.1",
        port=request.getfixturevalue("smtp")[1],
        sender="dosewise@example.org",
        starttls=False,
    )
    clock.advance(patient, carer, seconds=31)
    tick(web_context)
    emergency = [d for d in deliveries(patient) if d["title"].startswith("Pat Patient: an emergency")]
    assert [d["outcome"] for d in emergency] == ["delivered", "failed"]


def test_a_plan_change_is_told_to_the_caregiver_and_a_paused_plan_sends_no_dose_reminder(
    family: Any, web_context: Any, clock: Any, push_peer: Any
) -> None:
    """Pat pauses the plan: Cara, who chose plan changes, is told once; Pat's 14:00 reminder is not sent
    (a reminder for a held dose could be taken as an instruction)."""
    from web_support import saved_after_preview

    patient, carer, device = family
    _choose(patient, carer, "plan_change")
    own = subscribe_device(patient, push_peer)
    tick(web_context)  # the 08:00 reminder
    paused = saved_after_preview(
        patient,
        f"/api/v1/patients/{patient.patient_id}/plan/adjustments",
        {"adjustment": "pause", "reason": "dizzy"},
    )
    assert paused.status_code == 201, paused.text
    clock.advance(patient, carer, hours=4, minutes=30)  # 14:00
    tick(web_context)
    [told] = push_peer.messages(device)
    assert told["title"] == "Pat Patient's plan changed"
    assert "Time for your 14:00 dose" not in [m["title"] for m in push_peer.messages(own)]
