"""Use cases for the treatment trial: record the goal, review date and no-benefit plan for the plan in force
(a clinician, or the patient, with 'manage_plans'), and read the trial with its progress from the check-ins
('view'). Every recording is a new row and an audit event; the latest row is the trial in force."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from dosewise.domain.errors import InvalidInput
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import KnowledgeBase, TrialRule
from dosewise.domain.trial import GOAL_MEASURES, GoalKind, Reading, Trial, TrialProgress, progress
from dosewise.services import audit
from dosewise.services.dates import read_date
from dosewise.services.plans_service import plan_in_force
from dosewise.services.ports import Actor, CheckIn, Clock, Store, TrialRecord
from dosewise.services.record_day import record_today
from dosewise.services.sharing import Access, authorise

__all__ = ["TrialRequest", "TrialView", "record_trial", "trial_view"]

# Check-ins this far before the plan starts can serve as its baseline.
_BASELINE_WINDOW = timedelta(days=30)
# The furthest review date a trial may set (a plausibility guard, not a clinical number).
_LONGEST_TRIAL = timedelta(days=366)
_KINDS: tuple[GoalKind, ...] = ("spasticity", "spasm_frequency", "sleep_quality", "other")
_MAX_POINTS = {"spasticity": 10, "spasm_frequency": 4, "sleep_quality": 10}


@dataclass(frozen=True)
class TrialRequest:
    kind: str
    points: str = ""
    goal_text: str = ""
    review_on: str = ""
    if_no_benefit: str = ""


@dataclass(frozen=True)
class TrialView:
    access: Access
    today: date
    plan: Plan | None
    rule: TrialRule | None  # the knowledge base's trial facts for the plan's drug
    trial: Trial | None
    progress: TrialProgress | None
    readings: tuple[Reading, ...]
    suggested_review_on: date | None  # the plan's last step plus the monograph's decision window

    @property
    def can_record(self) -> bool:
        return self.plan is not None and self.access.may("manage_plans")


def _trial(record: TrialRecord) -> Trial:
    kind: GoalKind = next((k for k in _KINDS if k == record.goal_kind), "other")
    return Trial(
        kind=kind,
        points=record.goal_points,
        goal_text=record.goal_text,
        started_on=record.started_on,
        review_on=record.review_on,
        if_no_benefit=record.if_no_benefit,
        recorded_by_name=record.recorded_by_name,
        recorded_at=record.recorded_at,
        plan_version=record.plan_version,
    )


def _readings(checkins: Sequence[CheckIn], kind: str) -> tuple[Reading, ...]:
    """The goal's measure from the check-ins that stand (corrected ones left out)."""
    if kind not in GOAL_MEASURES:
        return ()
    replaced = {c.supersedes_id for c in checkins if c.supersedes_id is not None}
    standing = [c for c in checkins if c.status == "recorded" and c.id not in replaced]
    return tuple(Reading(c.day, int(getattr(c, kind))) for c in standing)


def _suggested_review(plan: Plan, rule: TrialRule | None) -> date | None:
    """The last step's start (the plan's highest dose) plus the start of the monograph's decision window."""
    if rule is None:
        return None
    return plan.steps[-1].start + timedelta(weeks=rule.decide_from_weeks)


def trial_view(*, store: Store, kb: KnowledgeBase, clock: Clock, actor: Actor, public_id: str) -> TrialView:
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="view")
        _version, plan = plan_in_force(uow, kb, access.profile.id)
        today = record_today(access.profile, plan, clock())
        record = uow.trials.latest(access.profile.id)
        checkins: Sequence[CheckIn] = ()
        if record is not None:
            checkins = uow.diary.checkins(access.profile.id, record.started_on - _BASELINE_WINDOW, today)
    rule = kb.drugs[plan.drug].trial if plan is not None and plan.drug in kb.drugs else None
    suggested = _suggested_review(plan, rule) if plan is not None else None
    if record is None:
        return TrialView(access, today, plan, rule, None, None, (), suggested)
    trial = _trial(record)
    readings = _readings(checkins, trial.kind)
    near = rule.review_near_days if rule is not None else 7
    found = progress(trial, readings, today, near)
    return TrialView(access, today, plan, rule, trial, found, readings, suggested)


def _points(request: TrialRequest) -> int | None:
    if request.kind == "other":
        if not request.goal_text.strip():
            raise InvalidInput("describe the goal in words", field="goal_text")
        return None
    text = request.points.strip()
    if not text.isdigit() or not 1 <= int(text) <= _MAX_POINTS[request.kind]:
        raise InvalidInput(
            f"the change to aim for is a whole number of points from 1 to {_MAX_POINTS[request.kind]}",
            field="points",
        )
    return int(text)


def record_trial(
    *, store: Store, kb: KnowledgeBase, clock: Clock, actor: Actor, public_id: str, request: TrialRequest
) -> TrialRecord:
    """Record the trial for the plan in force; ``InvalidInput`` for a missing plan or an unreadable field.

    Authorisation comes first, so someone without access learns nothing from how their input is judged."""
    now = clock()
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="manage_plans")
        if request.kind not in _KINDS:
            raise InvalidInput(f"unknown goal '{request.kind[:40]}'", field="kind", hint=", ".join(_KINDS))
        points = _points(request)
        version, plan = plan_in_force(uow, kb, access.profile.id)
        if version is None or plan is None:
            raise InvalidInput("start a plan first: a trial belongs to a plan")
        started = plan.start
        review = read_date(
            request.review_on,
            "review date",
            earliest=started + timedelta(days=1),
            latest=started + _LONGEST_TRIAL,
        )
        rule = kb.drugs[plan.drug].trial if plan.drug in kb.drugs else None
        no_benefit = request.if_no_benefit.strip() or (rule.no_benefit_text if rule else "")
        if not no_benefit:
            raise InvalidInput("say what happens if there is no benefit", field="if_no_benefit")
        measure = GOAL_MEASURES.get(request.kind)
        goal = request.goal_text.strip()[:500] or (
            f"{'a fall' if measure[1] else 'a rise'} of {points} point{'' if points == 1 else 's'} in the {measure[0]}"
            if measure
            else ""
        )
        stored = uow.trials.add(
            TrialRecord(
                id=0,
                patient_id=access.profile.id,
                plan_version=version.number,
                goal_kind=request.kind,
                goal_points=points,
                goal_text=goal,
                started_on=started,
                review_on=review,
                if_no_benefit=no_benefit[:1000],
                recorded_by=actor.user_id,
                recorded_by_name=actor.display_name,
                recorded_at=now,
            )
        )
        audit.record(
            uow,
            at=now,
            actor=actor,
            patient_id=access.profile.id,
            action="trial.recorded",
            summary=f"trial goal: {goal}; review on {review.isoformat()}",
            detail={"plan_version": version.number, "kind": request.kind, "points": points},
        )
        uow.commit()
        return stored
