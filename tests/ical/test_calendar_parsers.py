"""Every generated calendar read by three parsers nobody here wrote (ical, Mozilla ical.js, libical): each
must report the planned local times and instants, across the daylight-saving changes of London and New
York, and over a seeded corpus of random plans in zones with odd rules."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from ical_parsers import PARSERS, read_all
from ical_structure import structural_problems

from dosewise.domain.quantity import mg
from dosewise.domain.regimen import Administration, Plan, Step, administrations
from dosewise.domain.rules import DrugRules
from dosewise.formats.ical import Revision, Window, plan_calendar, slot_uid
from dosewise.formats.ical.writer import is_ambiguous

SERIES = "test-record"
MADE = datetime(2027, 1, 4, 9, 30, tzinfo=UTC)
# Clock times that land in the spring gap (01:30 London, 02:30 New York) and in the repeated autumn hour.
AWKWARD = (time(1, 30), time(2, 30), time(8), time(14), time(22))


def _plan(zone: str, start: date, days: int, times: Sequence[time] = AWKWARD) -> Plan:
    steps = (
        Step(start, days // 2, mg(5), tuple(times)),
        Step(start + timedelta(days=days // 2), days - days // 2, mg(10), tuple(times)),
    )
    return Plan("baclofen", "oral", steps, "test", timezone=zone)


def _expected(plan: Plan, window: Window) -> dict[str, Administration]:
    given = administrations(plan, ZoneInfo(plan.timezone), start=window.first, end=window.end)
    return {slot_uid(SERIES, (a.slot_date, a.slot_index)): a for a in given}


def _write(tmp_path: Path, name: str, plan: Plan, rules: DrugRules, window: Window) -> Path:
    body = plan_calendar(
        [Revision(1, plan, rules, MADE)],
        window,
        series=SERIES,
        today=window.first,
        refresh=timedelta(hours=1),
    ).body
    path = tmp_path / f"{name}.ics"
    path.write_bytes(body)
    return path


def _mismatches(parsed: dict[str, Any], expected: dict[str, Administration], zone: str) -> list[str]:
    """Every way one parser's reading of one calendar differs from the plan."""
    out: list[str] = []
    events = {event["uid"]: event for event in parsed["events"]}
    if len(events) != len(parsed["events"]):
        out.append("repeated UIDs")
    if set(events) != set(expected):
        out.append(f"{len(set(expected) ^ set(events))} UIDs differ")
    for uid, given in expected.items():
        event = events.get(uid)
        if event is None:
            continue
        wall = given.at.replace(tzinfo=None).isoformat(timespec="seconds")
        if event["unix"] != int(given.at.timestamp()):
            out.append(f"{uid}: instant {event['unix']} != {int(given.at.timestamp())} ({wall})")
        if is_ambiguous(given.at, ZoneInfo(zone)):
            # Written in UTC (a TZID time in the repeated hour is read differently by ical.js).
            utc_wall = given.at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
            if event["local"] != utc_wall:
                out.append(f"{uid}: {event['local']} is not the UTC time {utc_wall}")
        elif event["tzid"] != zone or event["local"] != wall:
            out.append(f"{uid}: local {event['local']} {event['tzid']} != {wall} {zone}")
    return out


DST_PLANS = {
    # (zone, first day, days): each range holds one spring-forward or fall-back day.
    "london-spring": ("Europe/London", date(2027, 3, 25), 8),
    "london-autumn": ("Europe/London", date(2027, 10, 28), 8),
    "new-york-spring": ("America/New_York", date(2027, 3, 11), 8),
    "new-york-autumn": ("America/New_York", date(2027, 11, 4), 8),
}


def test_three_parsers_read_the_planned_local_times_across_each_daylight_saving_change(
    tmp_path: Path, baclofen: DrugRules
) -> None:
    """London and New York, spring and autumn, with doses in the missing and the repeated hour: ical,
    ical.js and libical each report every dose at the planned local time and instant (0 mismatches)."""
    cases = {}
    for name, (zone, first, days) in DST_PLANS.items():
        plan = _plan(zone, first, days)
        window = Window(first, first + timedelta(days=days))
        cases[name] = (zone, _expected(plan, window), _write(tmp_path, name, plan, baclofen, window))
    parsed = read_all([path for _, _, path in cases.values()])
    for parser in PARSERS:
        for index, (name, (zone, expected, _)) in enumerate(cases.items()):
            assert len(expected) == 8 * len(AWKWARD), name  # nothing dropped or doubled by the domain
            assert _mismatches(parsed[parser][index], expected, zone) == [], (parser, name)
    # The spring day's 01:30 (London) and 02:30 (New York) do not exist: given when the clock jumps.
    spring = {e["uid"]: e for e in parsed["icaljs"][0]["events"]}
    assert spring[slot_uid(SERIES, (date(2027, 3, 28), 0))]["local"] == "2027-03-28T02:00:00"
    ny = {e["uid"]: e for e in parsed["libical"][2]["events"]}
    assert ny[slot_uid(SERIES, (date(2027, 3, 14), 1))]["local"] == "2027-03-14T03:00:00"


def test_the_repeated_autumn_hour_is_read_as_its_first_occurrence_by_every_parser(
    tmp_path: Path, baclofen: DrugRules
) -> None:
    """01:30 on the fall-back day happens twice; the plan means the first (summer time). It is written in
    UTC, and every parser reads that instant."""
    plan = _plan("Europe/London", date(2027, 10, 31), 2, (time(1, 30),))
    window = Window(date(2027, 10, 31), date(2027, 11, 1))
    path = _write(tmp_path, "fold", plan, baclofen, window)
    assert "DTSTART:20271031T003000Z" in path.read_text()
    first_occurrence = int(datetime(2027, 10, 31, 0, 30, tzinfo=UTC).timestamp())
    parsed = read_all([path])
    for parser in PARSERS:
        (event,) = parsed[parser][0]["events"]
        assert event["unix"] == first_occurrence, parser


def test_why_the_repeated_hour_is_written_in_utc_two_parsers_read_the_tzid_form_an_hour_late(
    tmp_path: Path, baclofen: DrugRules
) -> None:
    """The same event with DTSTART;TZID=Europe/London:20271031T013000: ical takes the first occurrence
    (RFC 5545 3.3.5); ical.js 2.2.1 and libical 3.0.16 take the second, an hour late. If they change,
    this test says so."""
    plan = _plan("Europe/London", date(2027, 10, 31), 2, (time(1, 30),))
    window = Window(date(2027, 10, 31), date(2027, 11, 1))
    path = _write(tmp_path, "fold", plan, baclofen, window)
    tzid_form = path.read_text().replace(
        "DTSTART:20271031T003000Z", "DTSTART;TZID=Europe/London:20271031T013000"
    )
    path.write_text(tzid_form, newline="")
    parsed = read_all([path])
    first = int(datetime(2027, 10, 31, 0, 30, tzinfo=UTC).timestamp())
    assert [parsed[p][0]["events"][0]["unix"] - first for p in PARSERS] == [0, 3600, 3600]


ZONES = (
    "Europe/London",
    "America/New_York",
    "Europe/Berlin",
    "America/Los_Angeles",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/Santiago",
    "Asia/Jerusalem",
    "Africa/Casablanca",
    "Asia/Kolkata",
    "UTC",
)


def _random_plan(rng: random.Random, zone: str) -> Plan:
    first = date(2026, 12, 1) + timedelta(days=rng.randrange(0, 500))
    steps = []
    start = first
    for _ in range(rng.randint(1, 4)):
        count = rng.randint(1, 5)
        minutes = sorted(rng.sample(range(0, 24 * 60, 15), count))
        times = tuple(time(m // 60, m % 60) for m in minutes)
        days = rng.randint(1, 30)
        steps.append(Step(start, days, mg(rng.choice((5, 10, 15, 20))), times))
        start += timedelta(days=days)
    return Plan(
        "baclofen", "oral", tuple(steps), "test", timezone=zone, then=rng.choice(("continue", "stop"))
    )


def test_a_seeded_corpus_of_random_plans_reads_back_identically_in_three_parsers(
    tmp_path: Path, baclofen: DrugRules
) -> None:
    """36 random plans (1-4 steps, 1-5 doses a day at any quarter hour) in 12 zones, including southern
    hemisphere, half-hour and 45-minute offsets, and Casablanca's irregular changes: every dose, every
    parser, 0 mismatches; and our own structural checks find nothing."""
    rng = random.Random(20261202)
    cases = []
    for index in range(36):
        zone = ZONES[index % len(ZONES)]
        plan = _random_plan(rng, zone)
        window = Window(plan.start, plan.start + timedelta(days=rng.randint(20, 75)))
        path = _write(tmp_path, f"random-{index}", plan, baclofen, window)
        assert structural_problems(path.read_bytes()) == [], path.name
        cases.append((zone, _expected(plan, window), path))
    parsed = read_all([path for _, _, path in cases])
    total = sum(len(expected) for _, expected, _ in cases)
    assert total > 2000  # the corpus is not trivially small
    for parser in PARSERS:
        for index, (zone, expected, _) in enumerate(cases):
            assert _mismatches(parsed[parser][index], expected, zone) == [], (parser, index, zone)


@pytest.mark.parametrize("parser", PARSERS)
def test_no_parser_finds_an_alarm_in_a_dose_calendar(
    tmp_path: Path, baclofen: DrugRules, parser: str
) -> None:
    """Subscribed calendars drop alarms, so the calendar promises none: no VALARM in any event."""
    plan = _plan("Europe/London", date(2027, 3, 25), 4)
    window = Window(date(2027, 3, 25), date(2027, 3, 29))
    parsed = read_all([_write(tmp_path, "alarms", plan, baclofen, window)])[parser][0]
    assert parsed["events"]
    assert all(event.get("alarms", 0) == 0 for event in parsed["events"])
