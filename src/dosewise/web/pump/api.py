"""/api/v1: the intrathecal pump of a record (the same use cases as the Pump page)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from dosewise.services import pump
from dosewise.services.ports import Actor
from dosewise.web.diary.models import CorrectionIn
from dosewise.web.errors import ERROR_RESPONSES
from dosewise.web.params import RowId
from dosewise.web.pump.models import DeviceIn, ProgrammeIn, RefillIn, entry_json, pump_json
from dosewise.web.security import context, csrf_protect, signed_in

router = APIRouter(
    prefix="/api/v1/patients/{patient_id}",
    tags=["pump"],
    dependencies=[Depends(csrf_protect)],
    responses=ERROR_RESPONSES,
)
SignedIn = Annotated[Actor, Depends(signed_in)]


@router.get("/pump", summary="The pump history and its refill due date and low-reservoir alarm date")
def get_pump(patient_id: str, request: Request, actor: SignedIn) -> dict[str, Any]:
    ctx = context(request)
    return pump_json(
        pump.pump_view(store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=patient_id)
    )


@router.post("/pump/device", status_code=201, summary="Record the pump: reservoir and alarm volumes (mL)")
def device(patient_id: str, request: Request, actor: SignedIn, body: DeviceIn) -> dict[str, Any]:
    ctx = context(request)
    entry = pump.record_pump_device(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        reservoir_ml=body.reservoir_ml,
        alarm_ml=body.alarm_ml,
        note=body.note,
    )
    return entry_json(entry)


@router.post("/pump/refills", status_code=201, summary="Record a refill: day, volume, mcg/mL, mcg a day")
def refill(patient_id: str, request: Request, actor: SignedIn, body: RefillIn) -> dict[str, Any]:
    ctx = context(request)
    entry = pump.record_refill(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        on=body.on,
        fill_ml=body.fill_ml,
        concentration_mcg_ml=body.concentration_mcg_ml,
        daily_mcg=body.daily_mcg,
        note=body.note,
    )
    return entry_json(entry)


@router.post("/pump/programme", status_code=201, summary="Record a programme change: from a day, mcg a day")
def programme(patient_id: str, request: Request, actor: SignedIn, body: ProgrammeIn) -> dict[str, Any]:
    ctx = context(request)
    entry = pump.record_programme_change(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        on=body.on,
        daily_mcg=body.daily_mcg,
        note=body.note,
    )
    return entry_json(entry)


@router.post(
    "/pump/entries/{entry_id}/corrections", status_code=201, summary="Mark a pump entry entered-in-error"
)
def correction(
    patient_id: str, entry_id: RowId, request: Request, actor: SignedIn, body: CorrectionIn
) -> dict[str, Any]:
    ctx = context(request)
    entry = pump.correct_pump_entry(
        store=ctx.store,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        entry_id=entry_id,
        reason=body.reason,
    )
    return entry_json(entry)
