"""Today: doses with exactly what to take, logging that never records a dose twice, missed-dose advice,
the run-out forecast, and an append-only history."""

from __future__ import annotations

from typing import Any

import pytest
from web_support import csrf_from, set_profile, start_titration


@pytest.fixture
def on_plan(patient: Any) -> Any:
    """A patient on the label titration from today (10 Nov), 5 mg at 08:00, 14:00 and 20:00."""
    set_profile(patient)
    assert start_titration(patient).status_code == 201
    return patient


def _today(person: Any) -> dict[str, Any]:
    return person.api("GET", f"/api/v1/patients/{person.patient_id}/today").json()


def _log(
    person: Any, key: str, status: str = "taken", slot: int = 0, day: str = "2026-11-10", **extra: Any
) -> Any:
    body = {"slot_date": day, "slot_index": slot, "status": status, "idempotency_key": key, **extra}
    return person.api("POST", f"/api/v1/patients/{person.patient_id}/doses", json=body)


def _history(person: Any) -> list[dict[str, Any]]:
    return person.api("GET", f"/api/v1/patients/{person.patient_id}/doses").json()["entries"]


def test_today_lists_each_dose_with_exactly_which_tablets_to_take(on_plan: Any) -> None:
    """Three 5 mg doses, each one 5 mg tablet; the 08:00 one is due now."""
    doses = _today(on_plan)["doses"]
    assert [d["at"][11:16] for d in doses] == ["08:00", "14:00", "20:00"]
    assert [d["status"] for d in doses] == ["due", "upcoming", "upcoming"]
    assert doses[0]["take"] == [
        {
            "product": "baclofen-tab-5mg",
            "label": doses[0]["take"][0]["label"],
            "count": "1",
            "amount": {"value": "5", "unit": "mg"},
        }
    ]
    assert "1 tablet" in doses[0]["take_text"]


def test_the_same_request_twice_records_one_dose(on_plan: Any) -> None:
    """A repeated submit with the same idempotency key records nothing new (201, then 200)."""
    first, again = _log(on_plan, "key-0001"), _log(on_plan, "key-0001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert len(_history(on_plan)) == 1


def test_two_people_recording_the_same_dose_record_it_once(on_plan: Any) -> None:
    """A second 'taken' for a slot already taken (another key) returns the first entry, not a second dose."""
    _log(on_plan, "key-patient")
    second = _log(on_plan, "key-carer")
    assert second.status_code == 200
    assert second.json()["created"] is False
    assert len(_history(on_plan)) == 1


def test_a_contradicting_answer_for_a_recorded_dose_is_refused(on_plan: Any) -> None:
    """'Skipped' after 'taken' is a conflict: correct the first entry instead."""
    _log(on_plan, "key-taken")
    response = _log(on_plan, "key-skip", status="skipped")
    assert response.status_code == 409
    assert "entered in error" in response.json()["error"]["hint"]


def test_a_form_submitted_twice_records_one_dose(on_plan: Any) -> None:
    """The Today page's form carries one key: posting it twice (a double tap, a resend) records once."""
    page = on_plan.client.get(f"/p/{on_plan.patient_id}/today").text
    key = page.split('name="idempotency_key" value="')[1].split('"')[0]
    form = {
        "csrf_token": csrf_from(page),
        "slot_date": "2026-11-10",
        "slot_index": "0",
        "action": "taken",
        "idempotency_key": key,
    }
    for _ in range(2):
        assert on_plan.client.post(f"/p/{on_plan.patient_id}/doses", data=form).status_code == 200
    assert len(_history(on_plan)) == 1


def test_took_it_at_another_time_records_that_time(on_plan: Any) -> None:
    """'Took it at 07:40' records 07:40 local time for the 08:00 dose."""
    response = _log(on_plan, "key-early", taken_at="07:40")
    assert response.json()["taken_at"] == "2026-11-10T07:40:00+00:00"


def test_a_dose_taken_after_midnight_counts_for_the_evening_slot(on_plan: Any, clock: Any) -> None:
    """The 20:00 dose taken at 00:30 is credited to 10 November's evening slot."""
    clock.advance(on_plan, hours=16)  # 01:30 on 11 November
    response = _log(on_plan, "key-late", slot=2, taken_at="00:30")
    assert response.status_code == 201
    assert (response.json()["slot_date"], response.json()["taken_at"]) == (
        "2026-11-10",
        "2026-11-11T00:30:00+00:00",
    )


def test_a_dose_recorded_hours_late_needs_the_time_it_was_taken(patient: Any) -> None:
    """'Taken' for yesterday's dose without a time is refused rather than dated now."""
    set_profile(patient)
    start_titration(patient, start="2026-11-09")
    response = _log(patient, "key-no-time", slot=0, day="2026-11-09")
    assert response.status_code == 422
    assert "say when" in response.json()["error"]["message"]


def test_a_dose_cannot_be_recorded_as_taken_in_the_future(on_plan: Any) -> None:
    """Taken at 11:00 when it is 09:30 is refused."""
    assert _log(on_plan, "key-future", taken_at="11:00").status_code == 422


def test_a_correction_marks_the_old_entry_entered_in_error_and_keeps_it(on_plan: Any) -> None:
    """Nothing is deleted: the wrong entry stays, superseded, and the dose can be recorded again."""
    wrong = _log(on_plan, "key-wrong", status="skipped").json()
    fixed = on_plan.api(
        "POST",
        f"/api/v1/patients/{on_plan.patient_id}/doses/{wrong['id']}/corrections",
        json={"reason": "pressed the wrong button", "idempotency_key": "key-fix-1"},
    )
    assert fixed.status_code == 201
    assert _log(on_plan, "key-right").status_code == 201
    history = {e["id"]: e for e in _history(on_plan)}
    assert history[wrong["id"]]["superseded"] is True
    assert history[wrong["id"]]["status"] == "skipped"
    assert [e["status"] for e in history.values()].count("entered_in_error") == 1
    assert _today(on_plan)["doses"][0]["status"] == "taken"


def test_the_history_page_strikes_through_corrected_entries(on_plan: Any) -> None:
    """The history page shows the corrected entry, struck through and labelled."""
    wrong = _log(on_plan, "key-wrong").json()
    on_plan.api(
        "POST",
        f"/api/v1/patients/{on_plan.patient_id}/doses/{wrong['id']}/corrections",
        json={"reason": "not taken", "idempotency_key": "key-fix-2"},
    )
    page = on_plan.client.get(f"/p/{on_plan.patient_id}/history").text
    assert 'class="struck' in page
    assert "entered in error: not taken" in page


def test_a_missed_dose_within_its_window_is_take_now(patient: Any) -> None:
    """At 09:30 the unrecorded 08:00 dose (plan started two days ago) is to be taken now, never doubled."""
    set_profile(patient)
    start_titration(patient, start="2026-11-08")
    assert (
        _log(patient, "key-yest-1", slot=2, day="2026-11-09", taken_at="2026-11-09T20:05").status_code == 201
    )
    advice = _today(patient)["missed_dose_advice"]
    assert advice["action"] == "take_now"
    assert advice["status"] == "missed"
    page = patient.client.get(f"/p/{patient.patient_id}/today").text
    assert "Missed dose: take it now" in page


def test_a_missed_dose_past_its_window_is_skip_and_never_double(patient: Any, clock: Any) -> None:
    """At 12:00 the 08:00 dose is past half the interval: skip it."""
    set_profile(patient)
    start_titration(patient, start="2026-11-08")
    assert (
        _log(patient, "key-yest-2", slot=2, day="2026-11-09", taken_at="2026-11-09T20:05").status_code == 201
    )
    clock.advance(patient, hours=2, minutes=30)
    advice = _today(patient)["missed_dose_advice"]
    assert advice["action"] == "skip"
    assert "never take two doses at once" in advice["patient_text"].lower()


def test_unrecorded_doses_from_yesterday_can_still_be_recorded(patient: Any) -> None:
    """Yesterday's unrecorded doses are listed, with the form to record them."""
    set_profile(patient)
    start_titration(patient, start="2026-11-09")
    earlier = _today(patient)["earlier_unrecorded"]
    assert [d["slot_date"] for d in earlier] == ["2026-11-09"] * 3
    assert _log(patient, "key-yday", slot=1, day="2026-11-09", taken_at="2026-11-09T14:20").status_code == 201


def test_taken_at_the_planned_time_records_yesterdays_dose_at_that_time(patient: Any) -> None:
    """The page's 'Taken at 14:00' button for yesterday's dose records it as taken at 14:00 yesterday."""
    set_profile(patient)
    start_titration(patient, start="2026-11-09")
    page = patient.client.get(f"/p/{patient.patient_id}/today").text
    assert 'value="taken_on_time"' in page
    form = {
        "csrf_token": csrf_from(page),
        "slot_date": "2026-11-09",
        "slot_index": "1",
        "action": "taken_on_time",
        "idempotency_key": "key-on-time",
    }
    assert patient.client.post(f"/p/{patient.patient_id}/doses", data=form).status_code == 200
    (entry,) = _history(patient)
    assert (entry["slot_date"], entry["status"], entry["taken_at"]) == (
        "2026-11-09",
        "taken",
        "2026-11-09T14:00:00+00:00",
    )


def test_a_dose_not_yet_due_cannot_be_taken_at_the_planned_time(on_plan: Any) -> None:
    """'Taken at the planned time' for the 20:00 dose at 09:30 is refused, never recorded ahead."""
    page = on_plan.client.get(f"/p/{on_plan.patient_id}/today").text
    form = {
        "csrf_token": csrf_from(page),
        "slot_date": "2026-11-10",
        "slot_index": "2",
        "action": "taken_on_time",
        "idempotency_key": "key-ahead",
    }
    on_plan.client.post(f"/p/{on_plan.patient_id}/doses", data=form)
    assert _history(on_plan) == []


def test_the_run_out_forecast_warns_days_ahead(on_plan: Any) -> None:
    """Five 5 mg tablets at three a day run out on the third day: the forecast warns now."""
    on_plan.api(
        "POST",
        f"/api/v1/patients/{on_plan.patient_id}/stock",
        json={"product_id": "baclofen-tab-5mg", "amount": "5"},
    )
    stock = {s["product_id"]: s for s in _today(on_plan)["stock"]}
    five = stock["baclofen-tab-5mg"]
    assert five["level"] == "urgent"
    assert five["runs_out_on"] == "2026-11-12"
    assert "never stop" in five["message"]
    assert stock["baclofen-tab-10mg"]["level"] == "unknown"


def test_the_today_page_renders_the_dose_forms_and_the_stock_warning(on_plan: Any) -> None:
    """The page has labelled Taken/Skipped buttons and the run-out warning flagged (the banner is the one alert)."""
    on_plan.api(
        "POST",
        f"/api/v1/patients/{on_plan.patient_id}/stock",
        json={"product_id": "baclofen-tab-5mg", "amount": "4"},
    )
    page = on_plan.client.get(f"/p/{on_plan.patient_id}/today").text
    assert 'aria-label="Taken: 5 mg at 08:00"' in page
    assert '<li class="stock-urgent">' in page
    assert "Running out soon:" in page


def test_history_rows_cannot_be_edited_in_the_database(web_context: Any, on_plan: Any) -> None:
    """The database itself refuses to change or delete a dose entry."""
    import sqlalchemy

    assert _log(on_plan, "key-db-01").status_code == 201
    engine = web_context.store.engine
    for statement in ("UPDATE dose_events SET status = 'skipped'", "DELETE FROM dose_events"):
        with pytest.raises(sqlalchemy.exc.DBAPIError), engine.begin() as connection:
            connection.execute(sqlalchemy.text(statement))
    assert _history(on_plan)[0]["status"] == "taken"
