"""Pages: profile, medication list with live search and the interaction panel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from dosewise.services import records
from dosewise.services.ports import Actor
from dosewise.web.pages import done, patient_page
from dosewise.web.params import RowId
from dosewise.web.security import context, csrf_protect, signed_in
from dosewise.web.templating import render

router = APIRouter(prefix="/p/{pid}", dependencies=[Depends(csrf_protect)], include_in_schema=False)
SignedIn = Annotated[Actor, Depends(signed_in)]


@router.get("")
def record_home(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    records.read_record(store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid)  # authorises
    return RedirectResponse(f"/p/{pid}/today", status_code=303)


@router.get("/profile")
def profile(pid: str, request: Request, actor: SignedIn, welcome: int = 0) -> Response:
    ctx = context(request)
    view = records.read_record(store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid)
    return patient_page(
        request, "profile.html", access=view.access, section="profile", view=view, welcome=welcome
    )


@router.post("/profile")
def update_profile(
    pid: str,
    request: Request,
    actor: SignedIn,
    display_name: Annotated[str, Form()] = "",
    date_of_birth: Annotated[str, Form()] = "",
    sex: Annotated[str, Form()] = "",
    weight_kg: Annotated[str, Form()] = "",
    creatinine_value: Annotated[str, Form()] = "",
    creatinine_unit: Annotated[str, Form()] = "",
    creatinine_date: Annotated[str, Form()] = "",
    egfr: Annotated[str, Form()] = "",
    dialysis: Annotated[str, Form()] = "",
    timezone: Annotated[str, Form()] = "UTC",
    clinician_phone: Annotated[str, Form()] = "",
) -> Response:
    ctx = context(request)
    changes = records.ProfileChanges(
        display_name=display_name,
        date_of_birth=date_of_birth,
        sex=sex,
        weight_kg=weight_kg,
        creatinine_value=creatinine_value,
        creatinine_unit=creatinine_unit,
        creatinine_date=creatinine_date,
        egfr=egfr,
        dialysis=dialysis in ("1", "on", "true", "yes"),
        timezone=timezone,
        clinician_phone=clinician_phone,
    )
    records.update_profile(store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid, changes=changes)
    return done(request, f"/p/{pid}/profile", "Profile saved.")


def _medications_fragment(request: Request, pid: str, actor: Actor) -> Response:
    ctx = context(request)
    panel = records.medication_panel(store=ctx.store, kb=ctx.kb, actor=actor, public_id=pid)
    return render(request, "_medications.html", panel=panel, pid=pid, access=panel.access)


@router.get("/medications")
def medications(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    panel = records.medication_panel(store=ctx.store, kb=ctx.kb, actor=actor, public_id=pid)
    return patient_page(request, "medications.html", access=panel.access, section="medications", panel=panel)


@router.get("/medications/search")
def search(pid: str, request: Request, actor: SignedIn, q: str = "") -> Response:
    ctx = context(request)
    records.read_record(store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid)  # authorises
    found = records.search_drugs(kb=ctx.kb, query=q[:100])
    return render(request, "_drug_options.html", found=found, query=q)


@router.post("/medications")
def add_medication(
    pid: str,
    request: Request,
    actor: SignedIn,
    name: Annotated[str, Form()],
    dose: Annotated[str, Form()] = "",
    times_per_day: Annotated[str, Form()] = "",
) -> Response:
    ctx = context(request)
    per_day = int(times_per_day) if times_per_day.strip().isdigit() else None
    added = records.add_medication(
        store=ctx.store,
        clock=ctx.clock,
        kb=ctx.kb,
        actor=actor,
        public_id=pid,
        name=name,
        dose_text=dose,
        times_per_day=per_day,
    )
    note = "" if added.ingredient_id else " It is not in the knowledge base, so it was not screened."
    return done(
        request,
        f"/p/{pid}/medications",
        f"Added {added.name}.{note}",
        lambda: _medications_fragment(request, pid, actor),
    )


@router.post("/medications/{medication_id}/replace")
def replace_medication(
    pid: str, medication_id: RowId, request: Request, actor: SignedIn, name: Annotated[str, Form()]
) -> Response:
    ctx = context(request)
    replaced = records.replace_medication(
        store=ctx.store,
        clock=ctx.clock,
        kb=ctx.kb,
        actor=actor,
        public_id=pid,
        medication_id=medication_id,
        name=name,
    )
    return done(
        request,
        f"/p/{pid}/medications",
        f"Changed to {replaced.name}.",
        lambda: _medications_fragment(request, pid, actor),
    )


@router.post("/medications/{medication_id}/remove")
def remove_medication(pid: str, medication_id: RowId, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    records.remove_medication(
        store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid, medication_id=medication_id
    )
    return done(
        request,
        f"/p/{pid}/medications",
        "Removed from the list.",
        lambda: _medications_fragment(request, pid, actor),
    )
