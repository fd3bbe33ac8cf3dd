"""The run-out forecast counts recorded doses with the one slot matcher, as Today and the advice do."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosewise.domain.missed.slots import DoseRecord, Schedule, match_records
from dosewise.domain.quantity import mg
from dosewise.domain.regimen import Plan, Step, administrations
from dosewise.services.ports import StockCount
from dosewise.services.today_stock import forecast_stock

TZ = ZoneInfo("Europe/London")
TIMES = (time(8), time(14), time(20))
PRODUCT = "baclofen-tab-5mg"
# 5 mg three times a day from 5 mg tablets: one tablet a dose.
PLAN = Plan(
    "baclofen",
    "oral",
    (Step(date(2026, 11, 1), 60, mg(5), TIMES),),
    "2026.11.0",
    timezone="Europe/London",
    products=(PRODUCT,),
)
COUNTED = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)  # after the 08:00 dose (London is UTC in November)
NOW = datetime(2026, 11, 10, 14, 30, tzinfo=UTC)


def _forecast(
    kb: Any, tablets: int, records: list[DoseRecord], now: datetime = NOW, counted: datetime = COUNTED
) -> Any:
    count = StockCount(1, 1, PRODUCT, Fraction(tablets), counted, 1)
    found = forecast_stock(
        plan=PLAN, rules=kb.drug("baclofen"), counts=[count], records=records, now=now, timezone=PLAN.timezone
    )
    return next(f for f in found if f.product_id == PRODUCT)


def _slot(day: date, index: int) -> Any:
    return next(
        a for a in administrations(PLAN, TZ, start=day, end=day + timedelta(days=1)) if a.slot_index == index
    )


def _reference_run_out(tablets: int, skipped: int = 0, extra: int = 0) -> date:
    """Independent arithmetic: one tablet per planned dose from 14:00 on the count day (three a day)."""
    left = tablets + skipped - extra
    # Doses after the 09:00 count: 14:00 and 20:00 on day 0, then three a day.
    if left < 2:
        return COUNTED.date()
    return COUNTED.date() + timedelta(days=1 + (left - 2) // 3)


@pytest.mark.parametrize("tablets", [2, 5, 8, 11, 20, 31])
def test_without_records_every_planned_dose_after_the_count_is_drawn(kb: Any, tablets: int) -> None:
    """No records: the forecast is plain arithmetic over the planned doses after the count."""
    assert _forecast(kb, tablets, []).runs_out_on == _reference_run_out(tablets)


# Counts where one tablet more (or less) moves the run-out day, so that the tests can tell.
@pytest.mark.parametrize("tablets", [4, 7, 10, 13, 31])
def test_a_skipped_dose_leaves_its_tablet_in_stock(kb: Any, tablets: int) -> None:
    """The 14:00 dose recorded as skipped draws nothing, so the stock lasts one dose longer."""
    slot = _slot(date(2026, 11, 10), 1)
    skipped = DoseRecord("skipped", slot.at, slot.slot_date, slot.slot_index)
    found = _forecast(kb, tablets, [skipped]).runs_out_on
    assert found == _reference_run_out(tablets, skipped=1)
    assert found > _forecast(kb, tablets, []).runs_out_on


@pytest.mark.parametrize("tablets", [5, 8, 11, 20])
def test_an_extra_dose_is_drawn_from_stock(kb: Any, tablets: int) -> None:
    """A second dose recorded for the 14:00 slot at 14:10 is an extra dose the matcher credits to no slot;
    it still took a tablet, so the stock runs out one dose sooner."""
    slot = _slot(date(2026, 11, 10), 1)
    taken = DoseRecord("taken", slot.at + timedelta(minutes=5), slot.slot_date, slot.slot_index)
    again = DoseRecord("taken", slot.at + timedelta(minutes=10), slot.slot_date, slot.slot_index)
    found = _forecast(kb, tablets, [taken, again]).runs_out_on
    assert found == _reference_run_out(tablets, extra=1)
    assert found < _forecast(kb, tablets, [taken]).runs_out_on


@pytest.mark.parametrize("tablets", [5, 8, 11, 20])
def test_the_0800_dose_taken_at_1330_is_drawn_once_as_the_1400_dose(kb: Any, tablets: int) -> None:
    """The 08:00 dose recorded at 13:30 (after a 12:00 count) counts as the 14:00 dose, as on Today: one
    tablet for both, not one for 08:00 and another for 14:00."""
    noon = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
    slot = _slot(date(2026, 11, 10), 0)
    late = DoseRecord("taken", datetime(2026, 11, 10, 13, 30, tzinfo=UTC), slot.slot_date, 0)
    # After a 12:00 count the same doses remain as after 09:00: 14:00 (taken at 13:30) and 20:00.
    assert _forecast(kb, tablets, [late], counted=noon).runs_out_on == _reference_run_out(tablets)
    match = match_records(Schedule(PLAN, [slot, _slot(date(2026, 11, 10), 1)]), [late], Fraction(1, 2))
    assert match.credits[0].slot == _slot(date(2026, 11, 10), 1)


def test_a_dose_taken_before_the_count_is_not_drawn_again(kb: Any) -> None:
    """The 14:00 dose taken at 11:45, before a 12:00 count, is already out of the counted stock."""
    noon = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
    slot = _slot(date(2026, 11, 10), 1)
    early = DoseRecord("taken", datetime(2026, 11, 10, 11, 45, tzinfo=UTC), slot.slot_date, 1)
    # Four tablets after the count: 20:00 today and the three doses of the 11th; the 12th's 08:00 fails.
    assert _forecast(kb, 4, [early], counted=noon).runs_out_on == date(2026, 11, 12)
    # Without the record the 14:00 dose is still to come and draws one of the four: out on the 11th.
    assert _forecast(kb, 4, [], counted=noon).runs_out_on == date(2026, 11, 11)


DAY_SLOTS = [_slot(date(2026, 11, 10) + timedelta(days=d), i) for d in range(3) for i in range(3)]
moves = st.lists(
    st.tuples(st.integers(0, len(DAY_SLOTS) - 1), st.sampled_from(["taken", "skipped"]), st.integers(0, 90)),
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(moves, st.integers(3, 40))
def test_skips_never_shorten_the_stock_and_extra_doses_never_lengthen_it(
    kb: Any, drawn: list[tuple[int, str, int]], tablets: int
) -> None:
    """Over random records: adding a skip never brings the run-out day closer; adding a dose never moves it
    later (every dose taken comes out of a box)."""
    now = datetime(2026, 11, 13, 23, 0, tzinfo=UTC)
    records = [
        DoseRecord(
            status,  # type: ignore[arg-type]
            DAY_SLOTS[i].at + timedelta(minutes=minutes if status == "taken" else 0),
            DAY_SLOTS[i].slot_date,
            DAY_SLOTS[i].slot_index,
        )
        for i, status, minutes in drawn
    ]
    base = _forecast(kb, tablets, records, now)
    far = date.max
    slot = DAY_SLOTS[-1]
    with_skip = _forecast(kb, tablets, [*records, DoseRecord("skipped", slot.at, slot.slot_date, 2)], now)
    if not any(r.slot_date == slot.slot_date and r.slot_index == 2 for r in records):
        assert (with_skip.runs_out_on or far) >= (base.runs_out_on or far)
    extra = DoseRecord("taken", DAY_SLOTS[0].at + timedelta(minutes=3), DAY_SLOTS[0].slot_date, 0)
    with_dose = _forecast(kb, tablets, [*records, extra], now)
    assert (with_dose.runs_out_on or far) <= (base.runs_out_on or far)
