"""A changed plan updates a calendar instead of duplicating it: the same UIDs, a higher SEQUENCE exactly
where a dose changed, cancelled doses for what was removed; read back by ical, ical.js and libical, and
applied to a model of a subscribing calendar the way RFC 5546 says an update wins."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ical_parsers import PARSERS, read_all

from dosewise.domain.quantity import mg
from dosewise.domain.regimen import Plan, Step, administrations, default_times
from dosewise.domain.rules import DrugRules
from dosewise.formats.ical import Revision, Window, plan_calendar, slot_uid
from dosewise.services import plans_adjust

SERIES = "record-42"
ZONE = "Europe/London"
START = date(2027, 3, 15)
WINDOW = Window(START, START + timedelta(days=35))  # crosses the spring change on 28 March


def _titration() -> Plan:
    steps = []
    day = START
    for dose in (5, 10, 15, 20):
        steps.append(Step(day, 7, mg(dose), default_times(3)))
        day += timedelta(days=7)
    return Plan("baclofen", "oral", tuple(steps), "test", timezone=ZONE, kind="titration")


def _versions(rules: DrugRules) -> list[Revision]:
    """v1 a titration; v2 slows it down from day 10 (a clinician's change); v3 gives four doses a day
    from day 20 (times change, a fourth slot appears); v4 goes back to three a day from day 23, which
    removes the fourth dose of days 23 on."""
    v1 = _titration()
    v2 = plans_adjust.slow_down(v1, START + timedelta(days=10), "drowsy")
    past, future = plans_adjust.split(v2, START + timedelta(days=20))
    v3 = replace(v2, steps=tuple(past + [replace(step, times=default_times(4)) for step in future]))
    past, future = plans_adjust.split(v3, START + timedelta(days=23))
    v4 = replace(v3, steps=tuple(past + [replace(step, times=default_times(3)) for step in future]))
    made = datetime(2027, 3, 1, 9, tzinfo=UTC)
    return [
        Revision(number, plan, rules, made + timedelta(days=number))
        for number, plan in enumerate((v1, v2, v3, v4), 1)
    ]


def _write(tmp_path: Path, revisions: list[Revision], name: str) -> Path:
    path = tmp_path / f"{name}.ics"
    body = plan_calendar(revisions, WINDOW, series=SERIES, today=START, refresh=timedelta(hours=1)).body
    path.write_bytes(body)
    return path


def _apply(store: dict[str, dict[str, Any]], events: list[dict[str, Any]]) -> int:
    """A subscribing calendar: an event replaces the stored one with the same UID when its SEQUENCE is
    not lower (RFC 5546 2.1.5). Returns how many stored events the feed left unchanged."""
    kept = 0
    for event in events:
        old = store.get(event["uid"])
        if old is None or event["sequence"] >= old["sequence"]:
            store[event["uid"]] = event
        else:
            kept += 1
    return kept


def _planned(plan: Plan) -> dict[str, int]:
    given = administrations(plan, ZoneInfo(ZONE), start=WINDOW.first, end=WINDOW.end)
    return {slot_uid(SERIES, (a.slot_date, a.slot_index)): int(a.at.timestamp()) for a in given}


def test_each_new_version_updates_the_same_events_and_raises_sequence_only_where_a_dose_changed(
    tmp_path: Path, baclofen: DrugRules
) -> None:
    """Three versions, read by three parsers: UIDs carried over, SEQUENCE equal where nothing changed and
    higher where the time, dose or text changed; removed slots come back as CANCELLED."""
    revisions = _versions(baclofen)
    paths = [_write(tmp_path, revisions[:k], f"v{k}") for k in (1, 2, 3, 4)]
    parsed = read_all(paths)
    for parser in PARSERS:
        feeds = [{e["uid"]: e for e in parsed[parser][k]["events"]} for k in range(4)]
        for before, after in itertools.pairwise(feeds):
            assert set(before) <= set(after), parser  # nothing a calendar had disappears silently
            for uid, old in before.items():
                new = after[uid]
                same = (old["unix"], old["summary"], old["description"], old["status"]) == (
                    new["unix"],
                    new["summary"],
                    new["description"],
                    new["status"],
                )
                assert (
                    (new["sequence"] == old["sequence"]) if same else (new["sequence"] > old["sequence"])
                ), (
                    parser,
                    uid,
                )
        changed = [uid for uid in feeds[0] if feeds[1][uid]["sequence"] > feeds[0][uid]["sequence"]]
        assert changed, parser  # the slow-down changed doses
        cancelled = {uid: e for uid, e in feeds[3].items() if e["status"] == "CANCELLED"}
        fourth = {slot_uid(SERIES, (START + timedelta(days=d), 3)) for d in range(23, 35)}
        assert set(cancelled) == fourth, parser  # exactly the fourth doses v4 removed
        assert all(e["summary"].startswith("Cancelled:") for e in cancelled.values())
        assert all(e["sequence"] == 3 for e in cancelled.values()), parser  # removed by version 4


def test_a_subscribing_calendar_ends_with_exactly_the_latest_plan_and_no_duplicates(
    tmp_path: Path, baclofen: DrugRules
) -> None:
    """Feeds v1 to v4 applied in turn by UID and SEQUENCE: the confirmed events are exactly the doses
    of v4 at v4's instants, each once; nothing older wins."""
    revisions = _versions(baclofen)
    paths = [_write(tmp_path, revisions[:k], f"v{k}") for k in (1, 2, 3, 4)]
    parsed = read_all(paths)
    want = _planned(revisions[-1].plan)
    for parser in PARSERS:
        store: dict[str, dict[str, Any]] = {}
        for k in range(4):
            assert _apply(store, parsed[parser][k]["events"]) == 0, parser  # no feed ever goes backwards
        confirmed = {uid: e["unix"] for uid, e in store.items() if e["status"] != "CANCELLED"}
        assert confirmed == want, parser
        instants = [e["unix"] for e in store.values() if e["status"] != "CANCELLED"]
        assert len(instants) == len(set(instants)), parser  # never two events for one dose


def test_an_unchanged_plan_gives_the_same_calendar_byte_for_byte(baclofen: DrugRules) -> None:
    """Re-saving the same plan as a new version changes no event: same UIDs, same SEQUENCE, same text
    (DTSTAMP is the time of the version that last changed the dose)."""
    v1 = _titration()
    made = datetime(2027, 3, 1, 9, tzinfo=UTC)
    one = plan_calendar(
        [Revision(1, v1, baclofen, made)], WINDOW, series=SERIES, today=START, refresh=timedelta(hours=1)
    )
    two = plan_calendar(
        [Revision(1, v1, baclofen, made), Revision(2, v1, baclofen, made + timedelta(days=3))],
        WINDOW,
        series=SERIES,
        today=START,
        refresh=timedelta(hours=1),
    )
    assert one.body == two.body


def test_a_changed_clock_time_moves_the_event_and_raises_its_sequence(baclofen: DrugRules) -> None:
    """08:00 becomes 09:00 from day 3: those events keep their UIDs at SEQUENCE 1; earlier ones stay 0."""
    v1 = Plan("baclofen", "oral", (Step(START, 6, mg(5), (time(8), time(20))),), "test", timezone=ZONE)
    past, future = plans_adjust.split(v1, START + timedelta(days=3))
    v2 = replace(v1, steps=tuple(past + [replace(s, times=(time(9), time(20))) for s in future]))
    made = datetime(2027, 3, 1, tzinfo=UTC)
    calendar = plan_calendar(
        [Revision(1, v1, baclofen, made), Revision(2, v2, baclofen, made + timedelta(days=1))],
        Window(START, START + timedelta(days=6)),
        series=SERIES,
        today=START,
        refresh=timedelta(hours=1),
    )
    by_slot = {entry.slot: entry for entry in calendar.entries}
    assert [by_slot[(START + timedelta(days=d), 0)].sequence for d in range(6)] == [0, 0, 0, 1, 1, 1]
    assert [by_slot[(START + timedelta(days=d), 1)].sequence for d in range(6)] == [0] * 6
    assert by_slot[(START + timedelta(days=4), 0)].at.hour == 9
    assert not any(entry.cancelled for entry in calendar.entries)
