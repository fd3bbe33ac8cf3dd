"""Pages: today's doses, dose logging and corrections, stock counts, dose history."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from dosewise.domain.errors import InvalidInput
from dosewise.services import today
from dosewise.services.dates import read_date
from dosewise.services.ports import Actor
from dosewise.services.today_stock import record_stock
from dosewise.web.pages import done, patient_page
from dosewise.web.params import RowId
from dosewise.web.reads import read
from dosewise.web.security import context, csrf_protect, signed_in

router = APIRouter(prefix="/p/{pid}", dependencies=[Depends(csrf_protect)], include_in_schema=False)
SignedIn = Annotated[Actor, Depends(signed_in)]


def parse_day(text: str) -> date:
    return read_date(text, "day")


@router.get("/today")
async def today_page(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    view = await read(
        ctx, today.today_view, store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=pid
    )
    return patient_page(
        request,
        "today.html",
        access=view.access,
        section="today",
        view=view,
        alert=view.alert,
        zone=view.timezone,
    )


@router.post("/doses")
def log_dose(
    pid: str,
    request: Request,
    actor: SignedIn,
    slot_date: Annotated[str, Form()],
    slot_index: Annotated[int, Form()],
    action: Annotated[str, Form()],
    idempotency_key: Annotated[str, Form()],
    taken_at: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    ctx = context(request)
    status = "taken" if action in ("taken", "taken_at", "taken_on_time") else action
    if action == "taken_at" and not taken_at.strip():
        raise InvalidInput("give the time you took it", field="taken_at")
    try:
        result = today.log_dose(
            store=ctx.store,
            kb=ctx.kb,
            clock=ctx.clock,
            actor=actor,
            public_id=pid,
            slot_date=parse_day(slot_date),
            slot_index=slot_index,
            status=status,
            idempotency_key=idempotency_key,
            taken_at=taken_at if action == "taken_at" else "",
            at_planned_time=action == "taken_on_time",
            confirmed=confirm == "yes",
        )
    except today.ConfirmationNeeded as question:
        # Ask on the page, with the same answer ready to send again once confirmed.
        view = today.today_view(store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=pid)
        asked = {
            "slot_date": slot_date,
            "slot_index": slot_index,
            "action": action,
            "idempotency_key": idempotency_key,
            "taken_at": taken_at,
        }
        return patient_page(
            request,
            "today.html",
            access=view.access,
            section="today",
            view=view,
            alert=view.alert,
            zone=view.timezone,
            question=question,
            asked=asked,
            status_code=409,
        )
    event = result.event
    if not result.created:
        message = f"Already recorded as {event.status} by {event.recorded_by_name}: nothing new was recorded."
    elif event.status == "taken":
        message = f"Recorded: {event.dose} taken."
    else:
        message = f"Recorded: the {event.dose} dose was skipped."
    return done(request, f"/p/{pid}/today", message)


@router.post("/doses/{event_id}/error")
def mark_error(
    pid: str,
    event_id: RowId,
    request: Request,
    actor: SignedIn,
    reason: Annotated[str, Form()],
    idempotency_key: Annotated[str, Form()],
    back: Annotated[str, Form()] = "history",
) -> Response:
    ctx = context(request)
    today.correct_dose(
        store=ctx.store,
        clock=ctx.clock,
        actor=actor,
        public_id=pid,
        event_id=event_id,
        reason=reason,
        idempotency_key=idempotency_key,
    )
    target = "today" if back == "today" else "history"
    return done(
        request, f"/p/{pid}/{target}", "Marked as entered in error. You can now record the right answer."
    )


@router.post("/stock")
def stock(
    pid: str,
    request: Request,
    actor: SignedIn,
    product_id: Annotated[str, Form()],
    amount: Annotated[str, Form()],
    drug: Annotated[str, Form()] = "",
) -> Response:
    ctx = context(request)
    record_stock(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        actor=actor,
        public_id=pid,
        drug=drug,
        product_id=product_id,
        amount=amount,
    )
    return done(request, f"/p/{pid}/today", "Stock count saved.")


@router.get("/history")
def history(pid: str, request: Request, actor: SignedIn, days: int = 14) -> Response:
    ctx = context(request)
    access, entries = today.dose_history(
        store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid, days=max(1, min(days, 366)), kb=ctx.kb
    )
    return patient_page(request, "history.html", access=access, section="history", entries=entries, days=days)
