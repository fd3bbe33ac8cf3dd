"""Dose reminders by Web Push, through a real push service (web-push-testing checks the VAPID JWT and
decrypts each payload): on time, with what to take; Taken and Snooze from the notification; nothing for
a dose already recorded; quiet hours and a lock-screen text that names no medicine; expired devices
removed."""

from __future__ import annotations

from typing import Any

from reminder_support import deliveries, on_plan, subscribe_device, tick


def _set(person: Any, **fields: Any) -> Any:
    answer = person.api("PUT", f"/api/v1/patients/{person.patient_id}/reminders", json=fields)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_14_00_dose_reminder_arrives_at_14_00_with_what_to_take(
    patient: Any, web_context: Any, clock: Any, push_peer: Any
) -> None:
    """Nothing before the dose's time; at 14:00 one message, decrypted by the push service, naming the
    dose and the tablets, sent with a TTL, high urgency and a topic."""
    on_plan(patient)
    device = subscribe_device(patient, push_peer)
    _set(patient, own_kinds=["dose"])  # the follow-up is tested on its own
    clock.advance(patient, hours=1)  # 10:30; the 08:00 dose was recorded before we started
    patient.api(
        "POST",
        f"/api/v1/patients/{patient.patient_id}/doses",
        json={"slot_date": "2026-11-10", "slot_index": 0, "status": "taken", "idempotency_key": "first-dose"},
    )
    assert tick(web_context).delivered == 0
    assert push_peer.messages(device) == []
    clock.advance(patient, hours=3, minutes=29)  # 13:59
    assert tick(web_context).delivered == 0
    clock.advance(patient, minutes=1)  # 14:00
    assert tick(web_context).delivered == 1
    [message] = push_peer.messages(device)
    assert message["title"] == "Time for your 14:00 dose"
    assert message["body"] == "baclofen 5 mg: 1 tablet of 5 mg"
    assert message["actions"] == ["taken", "snooze"]
    assert message["url"].endswith("/today")
    [headers] = push_peer.headers(device)
    assert int(headers["ttl"]) == 3 * 3600  # until the take window closes (half of 14:00-20:00)
    assert headers["urgency"] == "high"
    assert 1 <= len(headers["topic"]) <= 32
    assert tick(web_context).claimed == 0  # sent once
    log = deliveries(patient)
    # Newest first: the 14:00 reminder, and the 08:00 one not sent because that dose was recorded.
    assert [(d["kind"], d["channel"], d["outcome"]) for d in log] == [
        ("dose", "push", "delivered"),
        ("dose", "none", "not_sent"),
    ]
    assert log[0]["to"] == patient.name
    assert "endpoint" not in str(log)
    assert "127.0.0.1" not in str(log)


def test_taken_from_the_notification_records_the_dose_once(
    patient: Any, web_context: Any, clock: Any, push_peer: Any
) -> None:
    """The Taken button records through the Today page's exactly-once path: pressing it twice records one
    dose, and the follow-up for that dose is not sent."""
    on_plan(patient)
    device = subscribe_device(patient, push_peer)
    tick(web_context)  # the 08:00 reminder (the device was turned on at 09:30, inside its take window)
    [message] = push_peer.messages(device)
    assert message["title"] == "Time for your 08:00 dose"
    client = patient.client
    first = client.post("/api/v1/push/actions", json={"token": message["token"], "action": "taken"})
    again = client.post("/api/v1/push/actions", json={"token": message["token"], "action": "taken"})
    assert first.json()["outcome"] == "recorded"
    assert again.json()["outcome"] == "already_recorded"
    today = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/today").json()
    assert [d["status"] for d in today["doses"]] == ["taken", "upcoming", "upcoming"]
    history = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/doses").json()["entries"]
    assert len(history) == 1
    assert history[0]["recorded_by"] == patient.name
    clock.advance(patient, hours=2)  # 11:30: the 08:00 follow-up's time has passed
    tick(web_context)
    assert len(push_peer.messages(device)) == 1
    assert ("follow_up", "not_sent", "the dose is already recorded") in [
        (d["kind"], d["outcome"], d["detail"]) for d in deliveries(patient)
    ]


def test_a_forged_or_altered_action_token_records_nothing(
    patient: Any, web_context: Any, push_peer: Any
) -> None:
    """The token is the credential: a changed one is refused like a record that does not exist."""
    on_plan(patient)
    device = subscribe_device(patient, push_peer)
    tick(web_context)
    token = push_peer.messages(device)[0]["token"]
    job, mac = token.split(".")
    for forged in (f"{int(job) + 1}.{mac}", f"{job}.{'0' * len(mac)}", "1", ""):
        answer = patient.client.post("/api/v1/push/actions", json={"token": forged, "action": "taken"})
        assert answer.status_code == 404, (forged, answer.text)
    assert patient.api("GET", f"/api/v1/patients/{patient.patient_id}/doses").json()["entries"] == []


def test_snooze_reminds_again_ten_minutes_later_once(
    patient: Any, web_context: Any, clock: Any, push_peer: Any
) -> None:
    """Snooze pressed twice schedules one new reminder, ten minutes on, replacing the first on the device."""
    on_plan(patient)
    device = subscribe_device(patient, push_peer)
    _set(patient, own_kinds=["dose"])
    tick(web_context)
    [first] = push_peer.messages(device)
    for _ in range(2):
        answer = patient.client.post(
            "/api/v1/push/actions", json={"token": first["token"], "action": "snooze"}
        )
        assert answer.json()["outcome"] == "snoozed"
    clock.advance(patient, minutes=9)
    tick(web_context)
    assert len(push_peer.messages(device)) == 1
    clock.advance(patient, minutes=1)
    tick(web_context)
    messages = push_peer.messages(device)
    assert len(messages) == 2
    assert messages[1]["tag"] == first["tag"]
    assert messages[1]["title"] == "Time for your 08:00 dose"


def test_a_dose_already_recorded_gets_no_reminder(
    patient: Any, web_context: Any, clock: Any, push_peer: Any
) -> None:
    """A dose recorded as skipped before its time gets no reminder (a reminder for a skipped dose could
    be taken as an instruction to take it)."""
    on_plan(patient)
    device = subscribe_device(patient, push_peer)
    tick(web_context)  # 08:00 reminder
    clock.advance(patient, hours=4)  # 13:30
    skipped = patient.api(
        "POST",
        f"/api/v1/patients/{patient.patient_id}/doses",
        json={
            "slot_date": "2026-11-10",
            "slot_index": 1,
            "status": "skipped",
            "idempotency_key": "skip-the-14",
        },
    )
    assert skipped.status_code == 201, skipped.text
    clock.advance(patient, minutes=30)  # 14:00
    tick(web_context)
    titles = [m["title"] for m in push_peer.messages(device)]
    assert "Time for your 14:00 dose" not in titles
    assert ("dose", "not_sent", "the dose is already recorded") in [
        (d["kind"], d["outcome"], d["detail"]) for d in deliveries(patient)
    ]


def test_private_text_names_no_medicine_and_quiet_hours_arrive_silently(
    patient: Any, web_context: Any, clock: Any, push_peer: Any
) -> None:
    """With the lock-screen option no medicine or dose is named; in quiet hours the reminder still
    arrives, marked silent."""
    on_plan(patient)
    device = subscribe_device(patient, push_peer)
    _set(patient, own_kinds=["dose"], private_text=True, quiet_from="09:00", quiet_to="10:00")
    tick(web_context)
    [message] = push_peer.messages(device)
    assert message["title"] == "Time for a dose"
    assert message["silent"] is True
    text = (message["title"] + message["body"]).lower()
    assert "baclofen" not in text
    assert "mg" not in text
    assert "tablet" not in text


def test_an_expired_subscription_is_removed(
    patient: Any, web_context: Any, clock: Any, push_peer: Any
) -> None:
    """A 410 from the push service removes the device: the next reminder is not sent to it."""
    on_plan(patient)
    device = subscribe_device(patient, push_peer)
    _set(patient, own_kinds=["dose"])
    push_peer.expire(device)
    tick(web_context)
    assert [(d["channel"], d["outcome"]) for d in deliveries(patient)] == [("push", "expired")]
    assert patient.api("GET", f"/api/v1/patients/{patient.patient_id}/reminders").json()["devices"] == 0
    clock.advance(patient, hours=4, minutes=30)  # 14:00
    tick(web_context)
    assert next(d["outcome"] for d in deliveries(patient)) == "not_sent"


def test_a_dose_reminder_too_late_to_act_on_is_not_sent(
    patient: Any, web_context: Any, clock: Any, push_peer: Any
) -> None:
    """dosewise was not running from before 14:00 until 17:30, past the 14:00 dose's take window (17:00):
    no "time for your 14:00 dose" then, which could make a late dose close to the 20:00 one; the follow-up
    says to skip it and never double."""
    on_plan(patient)
    device = subscribe_device(patient, push_peer)
    tick(web_context)
    clock.advance(patient, hours=8)  # 17:30, the first tick since 09:30
    tick(web_context)
    titles = [m["title"] for m in push_peer.messages(device)]
    assert "Time for your 14:00 dose" not in titles
    follow_up = next(m for m in push_peer.messages(device) if m["title"] == "The 14:00 dose is not recorded")
    assert "skip it and take the next dose at 20:00" in follow_up["body"]
    assert "Never take two doses" in follow_up["body"]
