"""Regimens: steps expanded into dated, zone-aware administrations; daylight saving never drops or doubles."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosewise.domain.errors import InvalidInput
from dosewise.domain.quantity import mcg, mg, ml
from dosewise.domain.regimen import Plan, Step, administrations, default_times, parse_clock_time

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")

# Transition days (local dates), from the tz database: spring forward, then fall back.
TRANSITIONS = {
    "Europe/London": [date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31)],
    "America/New_York": [date(2026, 3, 8), date(2026, 11, 1), date(2027, 3, 14), date(2027, 11, 7)],
}


def tid(start: date, days: int = 3, dose: str = "5") -> Step:
    return Step(start, days, mg(dose), default_times(3))


def plan_of(*steps: Step, then: str = "continue") -> Plan:
    return Plan("baclofen", "oral", steps, "test", then=then)  # type: ignore[arg-type]


# ---------------------------------------------------------------- steps and plans


def test_a_step_lasts_at_least_one_day() -> None:
    """A zero-day step is refused."""
    with pytest.raises(InvalidInput):
        Step(date(2026, 11, 23), 0, mg(5), default_times(3))


def test_a_step_dose_is_a_mass_not_a_volume() -> None:
    """Steps hold the dose as mg or mcg; a volume is refused."""
    with pytest.raises(InvalidInput):
        Step(date(2026, 11, 23), 3, ml(5), default_times(3))


def test_a_step_may_not_list_the_same_time_twice() -> None:
    """Two doses at 08:00 on one step would be a double dose: refused."""
    with pytest.raises(InvalidInput):
        Step(date(2026, 11, 23), 3, mg(5), (time(8), time(8)))


def test_a_dosing_step_needs_at_least_one_time() -> None:
    """A non-zero dose with no clock time is refused."""
    with pytest.raises(InvalidInput):
        Step(date(2026, 11, 23), 3, mg(5), ())


def test_step_times_are_kept_in_clock_order() -> None:
    """Times given out of order are sorted, so slot 0 is the earliest dose."""
    step = Step(date(2026, 11, 23), 1, mg(5), (time(20), time(8), time(14)))
    assert step.times == (time(8), time(14), time(20))


def test_a_step_knows_its_daily_total_and_last_day() -> None:
    """5 mg three times a day for 3 days from 23 Nov: 15 mg a day, last day 25 Nov."""
    step = tid(date(2026, 11, 23))
    assert step.daily == mg(15)
    assert step.last_day == date(2026, 11, 25)
    assert step.end == date(2026, 11, 26)


def test_a_plan_needs_at_least_one_step() -> None:
    """An empty plan is refused."""
    with pytest.raises(InvalidInput):
        Plan("baclofen", "oral", (), "test")


def test_a_plan_never_mixes_mg_and_mcg_steps() -> None:
    """One plan, one dose unit: mg and mcg steps together are refused."""
    with pytest.raises(InvalidInput):
        plan_of(tid(date(2026, 11, 23)), Step(date(2026, 11, 26), 3, mcg(5000), default_times(3)))


@pytest.mark.parametrize("text", ["8", "25:00", "08:61", "eight", ""])
def test_a_clock_time_that_is_not_hh_mm_is_refused(text: str) -> None:
    """Clock times are HH:MM within a day; anything else is refused."""
    with pytest.raises(InvalidInput):
        parse_clock_time(text)


@pytest.mark.parametrize("times_per_day", [0, 7])
def test_default_times_cover_one_to_six_doses_a_day(times_per_day: int) -> None:
    """There are waking-hours defaults for 1 to 6 doses a day only."""
    with pytest.raises(InvalidInput):
        default_times(times_per_day)


@pytest.mark.parametrize("times_per_day", range(1, 7))
def test_default_times_are_distinct_waking_hours(times_per_day: int) -> None:
    """Default times are distinct and fall between 06:00 and 22:00."""
    times = default_times(times_per_day)
    assert len(set(times)) == times_per_day
    assert all(time(6) <= t <= time(22) for t in times)


# ---------------------------------------------------------------- expansion


def test_two_three_day_steps_three_times_a_day_give_eighteen_doses() -> None:
    """3 days x 3 + 3 days x 3 = 18 administrations, 9 at each dose, on the right dates."""
    plan = plan_of(tid(date(2026, 11, 23)), tid(date(2026, 11, 26), dose="10"))
    doses = list(administrations(plan, UTC))
    assert len(doses) == 18
    assert [a.dose for a in doses].count(mg(5)) == 9
    assert [a.dose for a in doses].count(mg(10)) == 9
    assert doses[0].slot_date == date(2026, 11, 23)
    assert doses[-1].slot_date == date(2026, 11, 28)
    assert {a.step_index for a in doses[9:]} == {1}


def test_each_administration_is_at_its_local_clock_time_in_the_patient_zone() -> None:
    """08:00 in New York in winter is 13:00 UTC; instants carry their zone."""
    plan = plan_of(tid(date(2026, 12, 1), days=1))
    first = next(iter(administrations(plan, NEW_YORK)))
    assert first.at.tzinfo is not None
    assert first.at.replace(tzinfo=None) == datetime(2026, 12, 1, 8, 0)
    assert first.at_utc == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)


def test_slots_are_numbered_within_each_day() -> None:
    """Each day's doses are slots 0, 1, 2 in clock order."""
    plan = plan_of(tid(date(2026, 11, 23), days=2))
    assert [a.slot_index for a in administrations(plan, UTC)] == [0, 1, 2, 0, 1, 2]


def test_a_continuing_plan_keeps_giving_its_last_step_after_the_end() -> None:
    """then="continue": asked for 2 more days, the last step's dose goes on (no unplanned stop)."""
    plan = plan_of(tid(date(2026, 11, 23)), then="continue")
    doses = list(administrations(plan, UTC, end=date(2026, 11, 28)))
    assert len(doses) == 5 * 3
    assert doses[-1].slot_date == date(2026, 11, 27)
    assert plan.step_on(date(2027, 1, 1)) == plan.steps[-1]


def test_a_stopping_plan_gives_nothing_after_its_last_step() -> None:
    """then="stop": no administrations after the last step, whatever end is asked for."""
    plan = plan_of(tid(date(2026, 11, 23)), then="stop")
    doses = list(administrations(plan, UTC, end=date(2026, 12, 31)))
    assert len(doses) == 9
    assert plan.step_on(date(2026, 11, 26)) is None


def test_a_zero_dose_step_gives_no_administrations() -> None:
    """A written "0 mg" step is a pause: no doses on its days."""
    plan = plan_of(tid(date(2026, 11, 23)), Step(date(2026, 11, 26), 2, mg(0), ()), then="stop")
    assert len(list(administrations(plan, UTC))) == 9


def test_expansion_can_start_part_way_through_a_plan() -> None:
    """Asking from the second day gives the remaining two days only."""
    plan = plan_of(tid(date(2026, 11, 23)))
    doses = list(administrations(plan, UTC, start=date(2026, 11, 24)))
    assert len(doses) == 6
    assert doses[0].slot_date == date(2026, 11, 24)


def test_an_end_before_the_start_gives_nothing() -> None:
    """An empty window yields no administrations rather than an error."""
    plan = plan_of(tid(date(2026, 11, 23)))
    assert list(administrations(plan, UTC, start=date(2026, 11, 25), end=date(2026, 11, 24))) == []


# ---------------------------------------------------------------- daylight saving


def test_a_spring_forward_day_keeps_every_dose_at_distinct_instants() -> None:
    """London, 29 Mar 2026: 01:30 does not exist; 01:30 and 02:30 stay two doses at two instants."""
    plan = plan_of(Step(date(2026, 3, 28), 3, mg(5), (time(1, 30), time(2, 30))))
    doses = list(administrations(plan, LONDON))
    assert len(doses) == 6
    instants = [a.at_utc for a in doses]
    assert len(set(instants)) == 6
    assert instants == sorted(instants)


def test_a_missing_clock_time_is_given_once_just_after_the_clock_jumps() -> None:
    """New York, 8 Mar 2026: 02:30 does not exist; the dose is given once, after 01:59 EST and by 03:30 EDT."""
    plan = plan_of(Step(date(2026, 3, 8), 1, mg(5), (time(2, 30),)))
    (dose,) = administrations(plan, NEW_YORK)
    assert datetime(2026, 3, 8, 7, 0, tzinfo=UTC) <= dose.at_utc <= datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert dose.at.date() == date(2026, 3, 8)


def test_two_clock_times_inside_one_gap_stay_two_doses_in_order() -> None:
    """London, 29 Mar 2026: 01:15 and 01:45 both fall in the gap; they remain two doses, in clock order."""
    plan = plan_of(Step(date(2026, 3, 29), 1, mg(5), (time(1, 15), time(1, 45), time(2, 0))))
    instants = [a.at_utc for a in administrations(plan, LONDON)]
    assert len(instants) == 3
    assert instants[0] < instants[1] < instants[2]
    assert instants[0] >= datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_a_repeated_clock_time_in_the_autumn_is_given_once_at_its_first_occurrence() -> None:
    """New York, 1 Nov 2026: 01:30 happens twice; the dose is given once, at 01:30 EDT (05:30 UTC)."""
    plan = plan_of(Step(date(2026, 11, 1), 1, mg(5), (time(1, 30),)))
    (dose,) = administrations(plan, NEW_YORK)
    assert dose.at_utc == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_existing_times_on_a_transition_day_keep_their_wall_clock_time() -> None:
    """On both transition days, 08:00, 14:00 and 20:00 are given at exactly those local times."""
    for day in TRANSITIONS["Europe/London"][:2]:
        plan = plan_of(tid(day, days=1))
        assert [a.at.time() for a in administrations(plan, LONDON)] == list(default_times(3))


clock_times = st.one_of(
    st.sampled_from([time(0, 30), time(1), time(1, 30), time(2), time(2, 30), time(3), time(3, 30)]),
    st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
)


@settings(max_examples=100, deadline=None)
@given(
    zone=st.sampled_from(sorted(TRANSITIONS)),
    transition_index=st.integers(0, 3),
    days_before=st.integers(0, 3),
    days=st.integers(1, 7),
    times=st.sets(clock_times, min_size=1, max_size=6),
)
def test_expanding_across_any_daylight_saving_change_keeps_the_dose_count(
    zone: str, transition_index: int, days_before: int, days: int, times: set[time]
) -> None:
    """Across a spring or autumn change, exactly days x times administrations, no duplicates, strictly increasing."""
    tz = ZoneInfo(zone)
    start = TRANSITIONS[zone][transition_index] - timedelta(days=days_before)
    plan = plan_of(Step(start, days, mg(5), tuple(times)))
    doses = list(administrations(plan, tz))
    assert len(doses) == days * len(times)
    assert len({(a.slot_date, a.slot_index) for a in doses}) == len(doses)
    instants = [a.at_utc for a in doses]
    assert all(earlier < later for earlier, later in itertools.pairwise(instants))
    assert all(a.at.astimezone(tz).date() == a.slot_date for a in doses)
