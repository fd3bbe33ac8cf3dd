"""Adherence by the one slot matcher: due doses counted taken (on time or late), skipped or missed."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from dosewise.domain.adherence import adherence
from dosewise.domain.missed.slots import DoseRecord
from dosewise.domain.quantity import mg
from dosewise.domain.regimen import Plan, Step, administrations

LONDON = ZoneInfo("Europe/London")
HALF = Fraction(1, 2)


def _plan(kb_version: str = "test") -> Plan:
    return Plan(
        "baclofen",
        "oral",
        (
            Step(date(2026, 11, 1), 3, mg(5), (time(8), time(14), time(20))),
            Step(date(2026, 11, 4), 30, mg(10), (time(8), time(14), time(20))),
        ),
        kb_version,
        timezone="Europe/London",
    )


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


def test_on_time_late_skipped_missed_and_extra_doses_are_counted_apart() -> None:
    """Day 1: on time, on time (inside half the 6 h interval), skipped; day 2: missed, missed, on time, then
    an extra dose (no amount recorded: counted, adding nothing to the total)."""
    records = [
        DoseRecord("taken", _at(1, 8, 10)),
        DoseRecord("taken", _at(1, 16, 30)),  # 2.5 h after 14:00, window is 3 h: on time
        DoseRecord("skipped", _at(1, 20), date(2026, 11, 1), 2),
        DoseRecord("taken", _at(2, 20, 5)),
        DoseRecord("taken", _at(2, 20, 40)),  # a second dose 35 min later: no slot open, an extra dose
    ]
    now = _at(2, 23)
    result = adherence(_plan(), LONDON, records, fraction=HALF, first=date(2026, 11, 1), now=now)
    assert (result.due, result.on_time, result.late, result.skipped, result.missed, result.extra) == (
        6,
        3,
        0,
        1,
        2,
        1,
    )
    assert result.share == Fraction(3, 6)
    day1, day2 = result.days
    assert (day1.planned, day1.taken, day1.due, day1.taken_count) == (mg(15), mg(10), 3, 2)
    assert (day2.planned, day2.taken, day2.taken_count) == (mg(15), mg(5), 2)


def test_a_dose_taken_after_the_take_window_counts_early_for_the_next_slot() -> None:
    """A dose at 02:30 is 6.5 h after 20:00, past half of the 12 h night interval: under the missed-dose
    rule it is the 08:00 dose taken early, so all three doses of the day before are missed."""
    late = adherence(
        _plan(),
        LONDON,
        [DoseRecord("taken", _at(2, 2, 30))],
        fraction=HALF,
        first=date(2026, 11, 1),
        now=_at(2, 9),
    )
    assert (late.on_time, late.missed) == (
        1,
        3,
    )  # counted for 08:00 on day 2; 08:00, 14:00, 20:00 of day 1 missed


def test_a_dose_after_midnight_counts_for_the_evening_slot_and_its_day() -> None:
    """The 20:00 dose taken at 00:30 (inside the 12 h overnight window's half) belongs to the day before."""
    records = [
        DoseRecord("taken", _at(1, 8)),
        DoseRecord("taken", _at(1, 14)),
        DoseRecord("taken", _at(2, 0, 30)),
    ]
    result = adherence(_plan(), LONDON, records, fraction=HALF, first=date(2026, 11, 1), now=_at(2, 7))
    assert result.days[0].taken == mg(15)
    assert result.days[0].taken_count == 3
    assert result.days[1].taken == mg(0)
    assert result.late == 0
    assert result.missed == 0


def test_recorded_amounts_are_used_and_nothing_due_is_not_a_perfect_score() -> None:
    """A half dose taken shows as 2.5 mg; before the plan starts the share is None, never 100 %."""
    records = [DoseRecord("taken", _at(1, 8))]
    amounts = {_at(1, 8).astimezone(UTC): mg("2.5")}
    result = adherence(
        _plan(), LONDON, records, fraction=HALF, first=date(2026, 11, 1), now=_at(1, 9), amounts=amounts
    )
    assert result.days[0].taken == mg("2.5")
    assert result.due == 1
    early = adherence(_plan(), LONDON, [], fraction=HALF, first=date(2026, 11, 1), now=_at(1, 7))
    assert early.due == 0
    assert early.share is None


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), days=st.integers(1, 20))
def test_every_due_dose_is_taken_skipped_or_missed_exactly_once(seed: int, days: int) -> None:
    """Random histories (late, early, doubled, skipped, missing doses): the counts always add up to due."""
    rng = random.Random(seed)
    plan = _plan()
    now = _at(2, 12) + timedelta(days=days, minutes=rng.randint(0, 600))
    records = []
    for slot in administrations(plan, LONDON, start=date(2026, 11, 1), end=now.date() + timedelta(days=1)):
        roll = rng.random()
        if roll < 0.15:
            continue
        if roll < 0.25:
            records.append(DoseRecord("skipped", slot.at, slot.slot_date, slot.slot_index))
            continue
        records.append(DoseRecord("taken", slot.at + timedelta(minutes=rng.randint(-120, 300))))
        if roll > 0.95:
            records.append(DoseRecord("taken", slot.at + timedelta(minutes=rng.randint(1, 60))))
    records = [r for r in records if r.at <= now]
    result = adherence(plan, LONDON, records, fraction=HALF, first=date(2026, 11, 1), now=now)
    assert result.on_time + result.late + result.skipped + result.missed == result.due
    assert result.due == sum(day.due for day in result.days)
    assert result.taken == sum(day.taken_count for day in result.days) - result.extra
    assert all(
        day.planned == day.due * (mg(5) if day.day < date(2026, 11, 4) else mg(10)) for day in result.days
    )
