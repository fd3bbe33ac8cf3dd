"""A treatment trial: the goal agreed when a plan starts, the review date, what happens if there is no
benefit, and the progress the check-ins show against the goal. Pure: "today" is a parameter.

Progress is never reassuring without data: with fewer than two check-ins (one at or before the start and
one after) the goal is "not known yet", not "met".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

__all__ = ["GOAL_MEASURES", "GoalKind", "Reading", "ReviewState", "Trial", "TrialProgress", "progress"]

GoalKind = Literal["spasticity", "spasm_frequency", "sleep_quality", "other"]
ReviewState = Literal["upcoming", "near", "due", "overdue"]

# (check-in field, words, True when a lower score is better): the measures a goal can be tracked on.
GOAL_MEASURES: dict[str, tuple[str, bool]] = {
    "spasticity": ("stiffness score (0-10)", True),
    "spasm_frequency": ("spasm frequency score (0-4)", True),
    "sleep_quality": ("sleep score (0-10)", False),
}


@dataclass(frozen=True)
class Trial:
    kind: GoalKind
    points: int | None  # the change agreed on the measure ("a fall of 2 points"); None for "other"
    goal_text: str
    started_on: date
    review_on: date
    if_no_benefit: str
    recorded_by_name: str
    recorded_at: datetime
    plan_version: int | None = None


@dataclass(frozen=True)
class Reading:
    day: date
    value: int


@dataclass(frozen=True)
class TrialProgress:
    baseline: Reading | None
    latest: Reading | None
    improvement: int | None  # points better than the baseline (negative: worse); None without two readings
    met: bool | None  # None: not known yet (no measure, or too few check-ins)
    review_state: ReviewState
    days_to_review: int  # negative once the review date has passed


def _review_state(days: int, near_days: int) -> ReviewState:
    if days < 0:
        return "overdue"
    if days == 0:
        return "due"
    return "near" if days <= near_days else "upcoming"


def progress(trial: Trial, readings: Sequence[Reading], today: date, near_days: int) -> TrialProgress:
    """The goal against the check-ins: the baseline is the last reading on or before the start (else the
    first after it), the latest is the last reading after the baseline, up to today."""
    days = (trial.review_on - today).days
    state = _review_state(days, near_days)
    ordered = sorted((r for r in readings if r.day <= today), key=lambda r: r.day)
    before = [r for r in ordered if r.day <= trial.started_on]
    baseline = before[-1] if before else (ordered[0] if ordered else None)
    later = [r for r in ordered if baseline is not None and r.day > baseline.day]
    latest = later[-1] if later else None
    if trial.kind not in GOAL_MEASURES or baseline is None or latest is None:
        return TrialProgress(baseline, latest, None, None, state, days)
    lower_is_better = GOAL_MEASURES[trial.kind][1]
    change = baseline.value - latest.value if lower_is_better else latest.value - baseline.value
    met = change >= trial.points if trial.points is not None else None
    return TrialProgress(baseline, latest, change, met, state, days)
