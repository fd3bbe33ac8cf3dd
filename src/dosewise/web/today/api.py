"""/api/v1: today's doses, dose logging (idempotent), corrections, stock, history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from starlette.responses import JSONResponse, Response

from dosewise.services import today
from dosewise.services.ports import Actor
from dosewise.services.today_stock import record_stock
from dosewise.web.errors import ERROR_RESPONSES
from dosewise.web.params import RowId
from dosewise.web.security import context, csrf_protect, signed_in
from dosewise.web.today.models import CorrectionIn, DoseIn, StockIn, event_json, history_json, today_json
from dosewise.web.today.views import parse_day

router = APIRouter(
    prefix="/api/v1/patients/{patient_id}",
    tags=["today"],
    dependencies=[Depends(csrf_protect)],
    responses=ERROR_RESPONSES,
)
SignedIn = Annotated[Actor, Depends(signed_in)]


@router.get(
    "/today", summary="Doses due today with exactly what to take, missed-dose advice, run-out forecast"
)
def get_today(patient_id: str, request: Request, actor: SignedIn) -> dict[str, Any]:
    ctx = context(request)
    return today_json(
        today.today_view(store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=patient_id)
    )


@router.post(
    "/doses",
    status_code=201,
    summary="Record a planned dose as taken or skipped, exactly once",
    responses={
        200: {"description": "Already recorded (same key, or the same answer for the slot): nothing new"},
        409: {
            "description": "`confirmation_needed`: the dose is close to another one, or counts for another "
            "planned dose; `details.reasons` says why. Send it again with `confirm: true` to record it. "
            "(Also `conflict`: the slot already has a different answer.)"
        },
    },
)
def log_dose(
    patient_id: str,
    request: Request,
    actor: SignedIn,
    body: DoseIn,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=64)] = None,
) -> Response:
    ctx = context(request)
    result = today.log_dose(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        slot_date=parse_day(body.slot_date),
        slot_index=body.slot_index,
        status=body.status,
        idempotency_key=body.idempotency_key or idempotency_key or "",
        taken_at=body.taken_at,
        note=body.note,
        confirmed=body.confirm,
    )
    return JSONResponse(
        {**event_json(result.event), "created": result.created}, status_code=201 if result.created else 200
    )


@router.post("/doses/{event_id}/corrections", status_code=201, summary="Mark a dose entry entered-in-error")
def correct(
    patient_id: str, event_id: RowId, request: Request, actor: SignedIn, body: CorrectionIn
) -> dict[str, Any]:
    ctx = context(request)
    result = today.correct_dose(
        store=ctx.store,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        event_id=event_id,
        reason=body.reason,
        idempotency_key=body.idempotency_key,
    )
    return event_json(result.event)


@router.get("/doses", summary="Dose history, corrected entries included and flagged")
def history(
    patient_id: str, request: Request, actor: SignedIn, days: Annotated[int, Query(ge=1, le=366)] = 14
) -> dict[str, Any]:
    ctx = context(request)
    _, entries = today.dose_history(
        store=ctx.store, clock=ctx.clock, actor=actor, public_id=patient_id, days=days, kb=ctx.kb
    )
    return {"entries": history_json(entries)}


@router.post("/stock", status_code=201, summary="Record a stock count (drives the run-out forecast)")
def stock(
    patient_id: str, request: Request, actor: SignedIn, body: StockIn, drug: str = "baclofen"
) -> dict[str, Any]:
    ctx = context(request)
    count = record_stock(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        drug=drug,
        product_id=body.product_id,
        amount=body.amount,
    )
    return {
        "product_id": count.product_id,
        "amount": str(count.amount),
        "counted_at": count.counted_at.isoformat(),
    }
