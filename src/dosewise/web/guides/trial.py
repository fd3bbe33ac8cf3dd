"""Pages: the treatment trial of a record (goal, review date, progress from the check-ins, what happens if
there is no benefit) and the printable "questions to ask your clinician" filled with what is agreed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from dosewise.domain.trial import GOAL_MEASURES
from dosewise.services import guides, trials
from dosewise.services.ports import Actor
from dosewise.web.pages import done, patient_page
from dosewise.web.security import context, csrf_protect, signed_in

router = APIRouter(prefix="/p/{pid}", dependencies=[Depends(csrf_protect)], include_in_schema=False)
SignedIn = Annotated[Actor, Depends(signed_in)]


def _view(request: Request, pid: str, actor: Actor) -> trials.TrialView:
    ctx = context(request)
    return trials.trial_view(store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=pid)


@router.get("/trial")
def trial_page(pid: str, request: Request, actor: SignedIn) -> Response:
    view = _view(request, pid, actor)
    return patient_page(
        request, "guides/trial.html", access=view.access, section="plan", view=view, measures=GOAL_MEASURES
    )


@router.post("/trial")
def record_trial(
    pid: str,
    request: Request,
    actor: SignedIn,
    kind: Annotated[str, Form()] = "",
    points: Annotated[str, Form()] = "",
    goal_text: Annotated[str, Form()] = "",
    review_on: Annotated[str, Form()] = "",
    if_no_benefit: Annotated[str, Form()] = "",
) -> Response:
    ctx = context(request)
    trials.record_trial(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        actor=actor,
        public_id=pid,
        request=trials.TrialRequest(kind, points, goal_text, review_on, if_no_benefit),
    )
    return done(request, f"/p/{pid}/trial", "Trial recorded.")


@router.get("/trial/questions")
def questions_page(pid: str, request: Request, actor: SignedIn) -> Response:
    view = _view(request, pid, actor)
    kb = context(request).kb
    guide = guides.guide_for_drug(kb, view.plan.drug, view.plan.route) if view.plan else None
    return patient_page(
        request, "guides/questions.html", access=view.access, section="plan", view=view, guide=guide
    )
