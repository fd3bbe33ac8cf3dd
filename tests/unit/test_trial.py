"""The treatment trial's progress: the baseline is the last check-in at or before the start, the latest the
last one after it; the direction of 'better' follows the measure; too few check-ins is 'not known yet';
the review state follows the date (property-tested over random check-ins)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dosewise.domain.trial import GOAL_MEASURES, Reading, Trial, progress

START = date(2026, 11, 10)


def trial(kind: str = "spasticity", points: int | None = 2, review: int = 56) -> Trial:
    return Trial(
        kind=kind,  # type: ignore[arg-type]
        points=points,
        goal_text="goal",
        started_on=START,
        review_on=START + timedelta(days=review),
        if_no_benefit="taper",
        recorded_by_name="Dr",
        recorded_at=datetime(2026, 11, 10, tzinfo=UTC),
    )


def day(n: int) -> date:
    return START + timedelta(days=n)


def test_a_fall_of_two_stiffness_points_meets_a_two_point_goal() -> None:
    """Stiffness 7 at the start, 5 four weeks later: 2 points better, goal met."""
    found = progress(trial(), [Reading(day(-1), 7), Reading(day(28), 5)], day(30), 7)
    assert (found.improvement, found.met) == (2, True)


def test_better_sleep_is_a_rise_in_the_sleep_score() -> None:
    """Sleep 4 then 5: one point better, a two-point goal not met yet."""
    found = progress(trial("sleep_quality"), [Reading(day(0), 4), Reading(day(10), 5)], day(11), 7)
    assert (found.improvement, found.met) == (1, False)


def test_one_check_in_is_not_known_yet_never_met() -> None:
    """Only a baseline: no improvement and no verdict."""
    found = progress(trial(), [Reading(day(0), 7)], day(20), 7)
    assert (found.improvement, found.met) == (None, None)


def test_a_goal_in_words_is_never_judged() -> None:
    """'Other' goals have no score: met is None whatever the check-ins."""
    found = progress(trial("other", None), [Reading(day(0), 9), Reading(day(9), 1)], day(10), 7)
    assert found.met is None


def test_check_ins_after_today_are_not_counted() -> None:
    """A check-in dated after 'today' is left out."""
    found = progress(trial(), [Reading(day(0), 7), Reading(day(40), 1)], day(20), 7)
    assert found.latest is None


def test_the_review_state_follows_the_date() -> None:
    """Upcoming, near (within the reminder window), due on the day, overdue after."""
    states = [progress(trial(review=20), [], day(n), 7).review_state for n in (5, 13, 20, 21)]
    assert states == ["upcoming", "near", "due", "overdue"]


@given(
    st.sampled_from(sorted(GOAL_MEASURES)),
    st.lists(st.tuples(st.integers(-20, 60), st.integers(0, 10)), max_size=12),
    st.integers(0, 80),
    st.integers(1, 4),
)
def test_progress_is_the_difference_between_baseline_and_latest(
    kind: str, raw: list[tuple[int, int]], today: int, points: int
) -> None:
    """For any check-ins: improvement = baseline - latest (or the reverse for sleep); met iff >= goal."""
    readings = [Reading(day(n), v) for n, v in raw]
    found = progress(trial(kind, points), readings, day(today), 7)
    if found.improvement is None:
        assert found.met is None
        return
    assert found.baseline is not None
    assert found.latest is not None
    assert found.baseline.day < found.latest.day <= day(today)
    lower_better = GOAL_MEASURES[kind][1]
    expected = found.baseline.value - found.latest.value
    assert found.improvement == (expected if lower_better else -expected)
    assert found.met == (found.improvement >= points)
