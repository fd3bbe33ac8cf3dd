"""The private calendar address: made by the patient only, served by its secret alone with ETag and
Last-Modified, following plan changes (same UIDs, higher SEQUENCE), renewed and turned off at once, stored
as a hash. Runs on SQLite, and on PostgreSQL with DOSEWISE_TEST_DATABASE_URL."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_support import give_access, saved_after_preview, set_profile, start_titration

from dosewise.services.ports import CalendarFeed
from ical.calendar_stream import IcsCalendarStream


def _feed(person: Any) -> Any:
    return person.api("POST", f"/api/v1/patients/{person.patient_id}/calendar-feed")


def _events(body: bytes) -> list[Any]:
    return list(IcsCalendarStream.calendar_from_ics(body.decode()).events)


@pytest.fixture
def doctor(patient: Any, register: Any) -> Any:
    """A clinician with clinician access to the patient, whose profile is filled in."""
    set_profile(patient)
    clinician = register("Dr Dee", "clinician")
    give_access(patient, clinician, "clinician")
    clinician.patient_id = patient.patient_id
    return clinician


def test_the_patients_address_serves_the_plan_to_a_calendar_that_never_signed_in(
    app: Any, patient: Any, doctor: Any
) -> None:
    """A client with no cookie gets text/calendar: three doses a day at 08:00, 14:00 and 20:00 London
    time, from the plan's start (10 November) to eight weeks after today, with what to take."""
    assert start_titration(patient).status_code == 201
    made = _feed(patient)
    assert made.status_code == 201
    url = made.json()["url"]
    assert made.json()["webcal_url"] == "webcal://" + url.split("://", 1)[1]
    calendar = TestClient(app).get(url.replace("http://testserver", ""))
    assert calendar.status_code == 200
    assert calendar.headers["content-type"] == "text/calendar; charset=utf-8"
    assert calendar.headers["cache-control"] == "private, no-cache"
    events = _events(calendar.content)
    days = {e.dtstart.date() for e in events}
    assert min(days).isoformat() == "2026-11-10"  # today minus 14 days is before the start
    assert max(days).isoformat() == "2027-01-04"  # 10 November + 56 days - 1
    assert len(events) == 3 * len(days)
    assert {(e.dtstart.hour, str(e.dtstart.tzinfo)) for e in events} == {
        (8, "Europe/London"),
        (14, "Europe/London"),
        (20, "Europe/London"),
    }
    assert all(e.description.startswith("Take ") for e in events)
    assert patient.name not in calendar.text  # the feed never names the patient


def test_the_feed_answers_304_to_its_etag_and_last_modified_and_head_has_no_body(
    app: Any, patient: Any
) -> None:
    """Conditional requests cost no calendar: If-None-Match with the ETag (or a list holding it, or a weak
    form) is 304, as is If-Modified-Since at Last-Modified; HEAD gives the headers only."""
    set_profile(patient)
    start_titration(patient)
    path = _feed(patient).json()["url"].replace("http://testserver", "")
    client = TestClient(app)
    first = client.get(path)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    for header in (etag, f'"other", {etag}', f"W/{etag}", "*"):
        again = client.get(path, headers={"If-None-Match": header})
        assert again.status_code == 304, header
        assert again.content == b""
        assert again.headers["etag"] == etag
    assert client.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(modified) - timedelta(seconds=1), usegmt=True)
    assert client.get(path, headers={"If-Modified-Since": earlier}).status_code == 200
    head = client.head(path)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == etag


def test_a_plan_change_updates_the_feed_with_the_same_uids_and_a_higher_sequence(
    app: Any, patient: Any, doctor: Any, clock: Any
) -> None:
    """The clinician slows the titration down: the ETag changes; every event the calendar had keeps its
    UID; the changed ones carry SEQUENCE 1, the unchanged 0; no dose appears twice."""
    start_titration(patient)
    path = _feed(patient).json()["url"].replace("http://testserver", "")
    client = TestClient(app)
    before = client.get(path)
    clock.advance(doctor, patient, days=4)
    slowed = saved_after_preview(
        doctor,
        f"/api/v1/patients/{patient.patient_id}/plan/adjustments",
        {"adjustment": "slow_down", "reason": "drowsy"},
    )
    assert slowed.status_code == 201, slowed.text
    after = client.get(path, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    old = {e.uid: e for e in _events(before.content)}
    new = {e.uid: e for e in _events(after.content)}
    shared = set(old) & set(new)
    # Four days on, the window also moved: the calendar's past doses stay, nothing in both disappears.
    assert shared == {
        uid for uid, e in old.items() if e.dtstart.date() >= min(x.dtstart.date() for x in new.values())
    }
    changed = [
        uid for uid in shared if (old[uid].summary, old[uid].dtstart) != (new[uid].summary, new[uid].dtstart)
    ]
    assert changed, "slowing down changes later doses"
    assert all(new[uid].sequence == 1 for uid in changed)
    assert all(new[uid].sequence == 0 for uid in shared - set(changed))
    live = [e.dtstart for e in new.values() if not (e.status and e.status.value == "CANCELLED")]
    assert len(live) == len(set(live))


def test_renewing_stops_the_old_address_and_turning_off_stops_the_new(app: Any, patient: Any) -> None:
    """A renewed address works and the old one is a plain 404 at once; turned off, neither works."""
    set_profile(patient)
    start_titration(patient)
    client = TestClient(app)
    first = _feed(patient).json()["url"].replace("http://testserver", "")
    second = _feed(patient).json()["url"].replace("http://testserver", "")
    assert first != second
    gone = client.get(first)
    assert gone.status_code == 404
    assert gone.text == "There is no calendar at this address."
    assert client.get(second).status_code == 200
    assert patient.api("DELETE", f"/api/v1/patients/{patient.patient_id}/calendar-feed").status_code == 204
    assert client.get(second).status_code == 404
    assert (
        patient.api("GET", f"/api/v1/patients/{patient.patient_id}/calendar-feed").json()["active"] is False
    )


def test_only_the_patient_may_make_see_or_turn_off_the_address(
    patient: Any, doctor: Any, register: Any
) -> None:
    """A clinician and a caregiver with access, and a stranger, get 404 on the address routes and pages;
    the patient's address keeps working."""
    carer = register("Cara Carer", "caregiver")
    give_access(patient, carer, "caregiver")
    stranger = register("Stan Stranger", "clinician")
    assert _feed(patient).status_code == 201
    pid = patient.patient_id
    for person in (doctor, carer, stranger):
        assert person.api("POST", f"/api/v1/patients/{pid}/calendar-feed").status_code == 404, person.name
        assert person.api("GET", f"/api/v1/patients/{pid}/calendar-feed").status_code == 404, person.name
        assert person.api("DELETE", f"/api/v1/patients/{pid}/calendar-feed").status_code == 404, person.name
        assert person.client.get(f"/p/{pid}/calendar").status_code == 404, person.name
        assert person.form(f"/p/{pid}/calendar").status_code == 404, person.name
    assert patient.api("GET", f"/api/v1/patients/{pid}/calendar-feed").json()["active"] is True


def test_the_secret_is_stored_only_as_its_hash_and_never_in_the_audit_trail(
    patient: Any, web_context: Any
) -> None:
    """The database holds sha256(secret), not the secret; the audit trail records the event, not it."""
    url = _feed(patient).json()["url"]
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 43  # 32 random bytes
    with web_context.store.read() as uow:
        profile = uow.patients.by_public_id(patient.patient_id)
        feed = uow.calendar_feeds.active_for(profile.id)
    assert isinstance(feed, CalendarFeed)
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(feed)
    audit = patient.api("GET", f"/api/v1/patients/{patient.patient_id}/audit").text
    assert "calendar.created" in audit
    assert token not in audit


def test_the_feed_is_authorised_by_its_secret_alone(app: Any, patient: Any, register: Any) -> None:
    """A session never opens a feed: the patient's own signed-in client with a made-up secret gets the
    same 404 as anyone; another patient's session with the real secret gets the calendar (the address is
    the credential, as the page says)."""
    set_profile(patient)
    start_titration(patient)
    path = _feed(patient).json()["url"].replace("http://testserver", "")
    made_up = patient.client.get("/calendar/" + "x" * 43 + ".ics")
    assert made_up.status_code == 404
    assert made_up.text == TestClient(app).get("/calendar/" + "y" * 43 + ".ics").text
    other = register("Olga Other")
    assert other.client.get(path).status_code == 200


def test_a_feed_made_before_any_plan_is_a_valid_empty_calendar(app: Any, patient: Any) -> None:
    """No plan yet: a calendar with the record's zone and no events, which a parser reads."""
    path = _feed(patient).json()["url"].replace("http://testserver", "")
    answer = TestClient(app).get(path)
    assert answer.status_code == 200
    calendar = IcsCalendarStream.calendar_from_ics(answer.text)
    assert list(calendar.events) == []
    assert [z.tz_id for z in calendar.timezones] == ["Europe/London"]


def test_the_calendar_page_says_calendars_update_slowly_and_carry_no_alarms(patient: Any) -> None:
    """The page warns before the button; the address is shown once, after making it, then never again."""
    pid = patient.patient_id
    page = patient.client.get(f"/p/{pid}/calendar")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "Calendars update slowly." in text
    assert "Subscribed calendars do not carry alarms" in text
    assert "Dose reminders are a separate feature of dosewise." in text
    assert "Only you can make or turn off this address." in text
    made = patient.form(f"/p/{pid}/calendar")
    assert made.status_code == 200
    assert "/calendar/" in made.text
    assert "webcal://" in made.text
    again = patient.client.get(f"/p/{pid}/calendar")
    assert "webcal://" not in again.text
    assert "Calendar address in use" in again.text
    off = patient.form(f"/p/{pid}/calendar/revoke", follow_redirects=False)
    assert off.status_code == 303
    assert "Make a calendar address" in patient.client.get(f"/p/{pid}/calendar").text
