"""Pages: the Pump page of a record (refill due date, alarm date, history) and its forms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from dosewise.services import pump
from dosewise.services.ports import Actor
from dosewise.web.pages import done, patient_page
from dosewise.web.params import RowId
from dosewise.web.security import context, csrf_protect, signed_in

router = APIRouter(prefix="/p/{pid}", dependencies=[Depends(csrf_protect)], include_in_schema=False)
SignedIn = Annotated[Actor, Depends(signed_in)]
Text = Annotated[str, Form()]


@router.get("/pump")
def pump_page(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    view = pump.pump_view(store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=pid)
    return patient_page(
        request, "pump.html", access=view.access, section="pump", view=view, rules=ctx.kb.pump
    )


@router.post("/pump/device")
def device(
    pid: str, request: Request, actor: SignedIn, reservoir_ml: Text = "", alarm_ml: Text = ""
) -> Response:
    ctx = context(request)
    pump.record_pump_device(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        actor=actor,
        public_id=pid,
        reservoir_ml=reservoir_ml,
        alarm_ml=alarm_ml,
    )
    return done(request, f"/p/{pid}/pump", "Pump recorded.")


@router.post("/pump/refills")
def refill(
    pid: str,
    request: Request,
    actor: SignedIn,
    on: Text = "",
    fill_ml: Text = "",
    concentration_mcg_ml: Text = "",
    daily_mcg: Text = "",
) -> Response:
    ctx = context(request)
    pump.record_refill(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        actor=actor,
        public_id=pid,
        on=on,
        fill_ml=fill_ml,
        concentration_mcg_ml=concentration_mcg_ml,
        daily_mcg=daily_mcg,
    )
    return done(request, f"/p/{pid}/pump", "Refill recorded.")


@router.post("/pump/programme")
def programme(pid: str, request: Request, actor: SignedIn, on: Text = "", daily_mcg: Text = "") -> Response:
    ctx = context(request)
    pump.record_programme_change(
        store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=pid, on=on, daily_mcg=daily_mcg
    )
    return done(request, f"/p/{pid}/pump", "Programme change recorded.")


@router.post("/pump/entries/{entry_id}/error")
def entry_error(pid: str, entry_id: RowId, request: Request, actor: SignedIn, reason: Text = "") -> Response:
    ctx = context(request)
    pump.correct_pump_entry(
        store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid, entry_id=entry_id, reason=reason
    )
    return done(request, f"/p/{pid}/pump", "Marked as entered in error; it stays in the history.")
