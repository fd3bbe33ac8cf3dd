"""Pages: the diary (symptoms with triage, check-in, chart) and its corrections."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from dosewise.services import diary
from dosewise.services.ports import Actor
from dosewise.web.diary.chart import dose_chart
from dosewise.web.pages import done, patient_page
from dosewise.web.params import RowId
from dosewise.web.security import context, csrf_protect, signed_in

router = APIRouter(prefix="/p/{pid}/diary", dependencies=[Depends(csrf_protect)], include_in_schema=False)
SignedIn = Annotated[Actor, Depends(signed_in)]


@router.get("")
def diary_page(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    view = diary.diary_view(store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=pid)
    chart = dose_chart(view.chart, view.dose_unit, view.predicted)
    latest = next(
        (entry for entry, superseded in view.symptoms if not superseded and entry.status == "recorded"), None
    )
    return patient_page(
        request,
        "diary.html",
        access=view.access,
        section="diary",
        view=view,
        chart=chart,
        alert=view.alert,
        zone=view.zone,
        latest=latest,
    )


@router.post("/symptoms")
async def symptoms(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    form = await request.form()
    chosen = [value for value in form.getlist("symptoms") if isinstance(value, str)]
    text = form.get("text")
    severity = form.get("severity")
    key = form.get("idempotency_key")
    entry = diary.record_symptoms(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        actor=actor,
        public_id=pid,
        symptoms=chosen,
        text=text if isinstance(text, str) else "",
        severity=severity if isinstance(severity, str) else "moderate",
        idempotency_key=key if isinstance(key, str) else "",
    )
    levels = {
        "expected": "Recorded.",
        "soon": "Recorded: tell your clinician soon.",
        "urgent": "Recorded: this needs urgent medical help today.",
        "emergency": "Recorded: this is an emergency.",
    }
    kind = "error" if entry.triage_level in ("urgent", "emergency") else "ok"
    return done(request, f"/p/{pid}/diary", levels.get(entry.triage_level, "Recorded."), kind=kind)


@router.post("/checkins")
def checkin(
    pid: str,
    request: Request,
    actor: SignedIn,
    spasticity: Annotated[str, Form()],
    spasm_frequency: Annotated[str, Form()],
    sleep_quality: Annotated[str, Form()],
    drowsiness: Annotated[str, Form()],
    day: Annotated[str, Form()] = "",
    idempotency_key: Annotated[str, Form()] = "",
) -> Response:
    ctx = context(request)
    diary.record_checkin(
        store=ctx.store,
        clock=ctx.clock,
        actor=actor,
        public_id=pid,
        spasticity=spasticity,
        spasm_frequency=spasm_frequency,
        sleep_quality=sleep_quality,
        drowsiness=drowsiness,
        day=day,
        idempotency_key=idempotency_key,
    )
    return done(request, f"/p/{pid}/diary", "Check-in saved.")


@router.post("/symptoms/{entry_id}/error")
def symptom_error(
    pid: str, entry_id: RowId, request: Request, actor: SignedIn, reason: Annotated[str, Form()]
) -> Response:
    ctx = context(request)
    diary.correct_symptom(
        store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid, entry_id=entry_id, reason=reason
    )
    return done(request, f"/p/{pid}/diary", "Marked as entered in error.")


@router.post("/checkins/{entry_id}/error")
def checkin_error(
    pid: str, entry_id: RowId, request: Request, actor: SignedIn, reason: Annotated[str, Form()]
) -> Response:
    ctx = context(request)
    diary.correct_checkin(
        store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid, entry_id=entry_id, reason=reason
    )
    return done(request, f"/p/{pid}/diary", "Check-in marked as entered in error.")
