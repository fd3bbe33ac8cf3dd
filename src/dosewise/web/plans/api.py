"""/api/v1: plans."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from dosewise.services import plans_service
from dosewise.services.ports import Actor
from dosewise.web.errors import ERROR_RESPONSES
from dosewise.web.plans.models import (
    AdjustmentIn,
    NewAdjustmentIn,
    NewPlanIn,
    NewTaperIn,
    TaperIn,
    TitrationIn,
    overview_json,
    preview_json,
    version_json,
)
from dosewise.web.security import context, csrf_protect, signed_in

router = APIRouter(
    prefix="/api/v1/patients/{patient_id}/plan",
    tags=["plans"],
    dependencies=[Depends(csrf_protect)],
    responses=ERROR_RESPONSES,
)
SignedIn = Annotated[Actor, Depends(signed_in)]


@router.get("", summary="The plan in force (the whole timeline) and every version with who and why")
def get_plan(patient_id: str, request: Request, actor: SignedIn) -> dict[str, Any]:
    ctx = context(request)
    return overview_json(
        plans_service.plan_overview(
            store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=patient_id
        )
    )


@router.post("/preview", summary="What the planner would make, with its findings (nothing is stored)")
def preview(patient_id: str, request: Request, actor: SignedIn, body: TitrationIn) -> dict[str, Any]:
    ctx = context(request)
    preview = plans_service.preview_titration(
        store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=patient_id, request=body.request()
    )
    return preview_json(preview, ctx.kb)


@router.post(
    "",
    status_code=201,
    summary="Make a titration the schedule in force (clinician, or patient naming the prescriber)",
)
def create(patient_id: str, request: Request, actor: SignedIn, body: NewPlanIn) -> dict[str, Any]:
    ctx = context(request)
    data = body.model_dump()
    reason, prescriber, fingerprint = data.pop("reason"), data.pop("prescriber"), data.pop("fingerprint")
    version = plans_service.start_titration(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        request=TitrationIn(**data).request(),
        reason=reason,
        prescriber=prescriber,
        fingerprint=fingerprint,
        previewed_only=True,
    )
    return version_json(version)


@router.post(
    "/adjustments/preview",
    summary="What a pause, resume, slow-down or step back would store, with its findings (nothing is stored)",
)
def adjustment_preview(
    patient_id: str, request: Request, actor: SignedIn, body: AdjustmentIn
) -> dict[str, Any]:
    ctx = context(request)
    preview = plans_service.preview_adjustment(
        store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=patient_id, request=body.request()
    )
    return preview_json(preview, ctx.kb)


@router.post("/adjustments", status_code=201, summary="Pause (hold the dose), resume, slow down or step back")
def adjust(patient_id: str, request: Request, actor: SignedIn, body: NewAdjustmentIn) -> dict[str, Any]:
    ctx = context(request)
    version = plans_service.adjust_plan(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        request=body.request(),
        fingerprint=body.fingerprint,
        previewed_only=True,
    )
    return version_json(version)


@router.post(
    "/taper/preview", summary="A taper from the dose in force, with its findings (nothing is stored)"
)
def taper_preview(patient_id: str, request: Request, actor: SignedIn, body: TaperIn) -> dict[str, Any]:
    ctx = context(request)
    preview = plans_service.preview_taper(
        store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=patient_id, request=body.request()
    )
    return preview_json(preview, ctx.kb)


@router.post("/taper", status_code=201, summary="Stop only through a taper (clinician)")
def taper(patient_id: str, request: Request, actor: SignedIn, body: NewTaperIn) -> dict[str, Any]:
    ctx = context(request)
    data = body.model_dump()
    reason, fingerprint = data.pop("reason"), data.pop("fingerprint")
    version = plans_service.start_taper(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        request=TaperIn(**data).request(),
        reason=reason,
        fingerprint=fingerprint,
        previewed_only=True,
    )
    return version_json(version)
