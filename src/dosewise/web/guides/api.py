"""/api/v1: the treatment trial of a record (the same use cases as the trial page)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from dosewise.services import trials
from dosewise.services.ports import Actor, TrialRecord
from dosewise.web.errors import ERROR_RESPONSES
from dosewise.web.security import context, csrf_protect, signed_in

router = APIRouter(
    prefix="/api/v1/patients/{patient_id}",
    tags=["trial"],
    dependencies=[Depends(csrf_protect)],
    responses=ERROR_RESPONSES,
)
SignedIn = Annotated[Actor, Depends(signed_in)]


class TrialIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["spasticity", "spasm_frequency", "sleep_quality", "other"] = Field(
        description="the check-in score the goal is measured on, or 'other' (a goal in words only)"
    )
    points: str = Field(default="", max_length=3, description="points of change aimed for (whole number)")
    goal_text: str = Field(default="", max_length=500)
    review_on: str = Field(description="YYYY-MM-DD, after the plan's start and within a year of it")
    if_no_benefit: str = Field(default="", max_length=1000, description="default: the knowledge base's text")


def _trial_json(record: TrialRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "plan_version": record.plan_version,
        "kind": record.goal_kind,
        "points": record.goal_points,
        "goal": record.goal_text,
        "started_on": record.started_on.isoformat(),
        "review_on": record.review_on.isoformat(),
        "if_no_benefit": record.if_no_benefit,
        "recorded_by": record.recorded_by_name,
        "recorded_at": record.recorded_at.isoformat(),
    }


@router.get("/trial", summary="The trial in force with its progress from the check-ins (null before one)")
def get_trial(patient_id: str, request: Request, actor: SignedIn) -> dict[str, Any]:
    ctx = context(request)
    view = trials.trial_view(store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=patient_id)
    trial, found = view.trial, view.progress
    return {
        "suggested_review_on": view.suggested_review_on.isoformat() if view.suggested_review_on else None,
        "trial": None
        if trial is None or found is None
        else {
            "kind": trial.kind,
            "points": trial.points,
            "goal": trial.goal_text,
            "started_on": trial.started_on.isoformat(),
            "review_on": trial.review_on.isoformat(),
            "if_no_benefit": trial.if_no_benefit,
            "plan_version": trial.plan_version,
            "progress": {
                "baseline": {"day": found.baseline.day.isoformat(), "value": found.baseline.value}
                if found.baseline
                else None,
                "latest": {"day": found.latest.day.isoformat(), "value": found.latest.value}
                if found.latest
                else None,
                "improvement": found.improvement,
                "met": found.met,
                "review_state": found.review_state,
                "days_to_review": found.days_to_review,
            },
        },
    }


@router.post(
    "/trial",
    status_code=201,
    summary="Record the trial (goal, review date, no-benefit plan) for the plan in force",
)
def post_trial(patient_id: str, request: Request, actor: SignedIn, body: TrialIn) -> dict[str, Any]:
    ctx = context(request)
    stored = trials.record_trial(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        request=trials.TrialRequest(
            body.kind, body.points, body.goal_text, body.review_on, body.if_no_benefit
        ),
    )
    return _trial_json(stored)
