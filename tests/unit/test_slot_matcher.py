"""The one slot matcher over slot-keyed records: invariants over random records."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from dosewise.domain.missed.slots import DoseRecord, Schedule, match_records
from dosewise.domain.quantity import mg
from dosewise.domain.regimen import Plan, Step, administrations

TZ = ZoneInfo("Europe/London")
PLAN = Plan(
    "baclofen",
    "oral",
    (Step(date(2026, 11, 1), 30, mg(5), (time(8), time(14), time(20))),),
    "test",
    timezone="Europe/London",
)
SCHEDULE = Schedule(PLAN, list(administrations(PLAN, TZ, start=date(2026, 11, 1), end=date(2026, 11, 8))))
HALF = Fraction(1, 2)

records = st.lists(
    st.tuples(st.integers(0, len(SCHEDULE.slots) - 1), st.integers(-300, 600), st.booleans()),
    max_size=12,
)


def _records(drawn: list[tuple[int, int, bool]]) -> list[DoseRecord]:
    out = []
    for index, minutes, keyed in drawn:
        slot = SCHEDULE.slots[index]
        at = slot.at_utc + timedelta(minutes=minutes)
        out.append(
            DoseRecord("taken", at, slot.slot_date, slot.slot_index) if keyed else DoseRecord("taken", at)
        )
    return out


@settings(max_examples=200, deadline=None)
@given(records)
def test_no_slot_is_counted_twice_and_every_credit_names_a_distinct_record(
    drawn: list[tuple[int, int, bool]],
) -> None:
    """Each slot holds at most one dose, and a dose counts for at most one slot."""
    match = match_records(SCHEDULE, _records(drawn), HALF)
    slots = [c.slot for c in match.credits if c.slot is not None]
    assert len(slots) == len(set(slots))
    assert len(match.credits) == len(drawn)
    assert set(match.credited.values()) <= {c.taken_at for c in match.credits}


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(SCHEDULE.slots) - 1), st.integers(0, 179))
def test_a_keyed_dose_inside_its_own_window_counts_for_its_slot(index: int, minutes: int) -> None:
    """A dose taken less than half an interval after its named slot always counts for that slot."""
    slot = SCHEDULE.slots[index]
    record = DoseRecord("taken", slot.at_utc + timedelta(minutes=minutes), slot.slot_date, slot.slot_index)
    match = match_records(SCHEDULE, [record], HALF)
    assert match.credits[0].slot == slot


def test_the_0800_dose_taken_at_1330_counts_as_the_1400_dose() -> None:
    """Past the 08:00 take window (11:00), the dose is the 14:00 dose taken early."""
    slot = next(s for s in SCHEDULE.slots if s.slot_date == date(2026, 11, 3) and s.slot_index == 0)
    taken = datetime(2026, 11, 3, 13, 30, tzinfo=UTC)
    match = match_records(SCHEDULE, [DoseRecord("taken", taken, slot.slot_date, 0)], HALF)
    assert match.credits[0].slot is not None
    assert match.credits[0].slot.local_time == time(14)
