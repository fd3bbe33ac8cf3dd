"""/api/v1: the diary."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from dosewise.services import diary
from dosewise.services.ports import Actor
from dosewise.web.diary.models import (
    CheckInIn,
    CorrectionIn,
    SymptomsIn,
    checkin_json,
    diary_json,
    symptom_json,
)
from dosewise.web.errors import ERROR_RESPONSES
from dosewise.web.params import RowId
from dosewise.web.security import context, csrf_protect, signed_in

router = APIRouter(
    prefix="/api/v1/patients/{patient_id}",
    tags=["diary"],
    dependencies=[Depends(csrf_protect)],
    responses=ERROR_RESPONSES,
)
SignedIn = Annotated[Actor, Depends(signed_in)]


@router.get(
    "/diary", summary="Symptoms with triage, check-ins, planned-against-taken chart data, the current alert"
)
def get_diary(patient_id: str, request: Request, actor: SignedIn) -> dict[str, Any]:
    ctx = context(request)
    return diary_json(
        diary.diary_view(store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=patient_id)
    )


@router.post("/symptoms", status_code=201, summary="Record symptoms; the triage result is returned and kept")
def symptoms(patient_id: str, request: Request, actor: SignedIn, body: SymptomsIn) -> dict[str, Any]:
    ctx = context(request)
    entry = diary.record_symptoms(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        symptoms=body.symptoms,
        text=body.text,
        severity=body.severity,
        idempotency_key=body.idempotency_key,
    )
    return symptom_json(entry)


@router.post(
    "/checkins", status_code=201, summary="Daily check-in (a second one for a day supersedes the first)"
)
def checkin(patient_id: str, request: Request, actor: SignedIn, body: CheckInIn) -> dict[str, Any]:
    ctx = context(request)
    entry = diary.record_checkin(
        store=ctx.store,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        spasticity=body.spasticity,
        spasm_frequency=body.spasm_frequency,
        sleep_quality=body.sleep_quality,
        drowsiness=body.drowsiness,
        day=body.day,
        idempotency_key=body.idempotency_key,
    )
    return checkin_json(entry)


@router.post(
    "/symptoms/{entry_id}/corrections", status_code=201, summary="Mark a symptom entry entered-in-error"
)
def symptom_correction(
    patient_id: str, entry_id: RowId, request: Request, actor: SignedIn, body: CorrectionIn
) -> dict[str, Any]:
    ctx = context(request)
    entry = diary.correct_symptom(
        store=ctx.store,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        entry_id=entry_id,
        reason=body.reason,
    )
    return symptom_json(entry)


@router.post("/checkins/{entry_id}/corrections", status_code=201, summary="Mark a check-in entered-in-error")
def checkin_correction(
    patient_id: str, entry_id: RowId, request: Request, actor: SignedIn, body: CorrectionIn
) -> dict[str, Any]:
    ctx = context(request)
    entry = diary.correct_checkin(
        store=ctx.store,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        entry_id=entry_id,
        reason=body.reason,
    )
    return checkin_json(entry)
