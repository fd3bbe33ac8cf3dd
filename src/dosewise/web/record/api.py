"""/api/v1: the patient record (profile, medications, drug search)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from dosewise.services import records
from dosewise.services.ports import Actor
from dosewise.services.screening import ingredient_to_json
from dosewise.web.errors import ERROR_RESPONSES
from dosewise.web.params import RowId
from dosewise.web.record.models import (
    MedicationIn,
    MedicationNameIn,
    ProfileIn,
    ProfilePatchIn,
    medications_json,
    profile_json,
)
from dosewise.web.security import context, csrf_protect, signed_in

router = APIRouter(
    prefix="/api/v1", tags=["record"], dependencies=[Depends(csrf_protect)], responses=ERROR_RESPONSES
)
SignedIn = Annotated[Actor, Depends(signed_in)]


@router.get("/drugs", summary="Search the knowledge base by name, brand or misspelling")
def drugs(request: Request, actor: SignedIn, q: Annotated[str, Query(max_length=100)] = "") -> dict[str, Any]:
    kb = context(request).kb
    return {
        "kb_version": kb.version,
        "results": [ingredient_to_json(i, kb) for i in records.search_drugs(kb=kb, query=q)],
    }


@router.get("/patients/{patient_id}/profile", summary="Profile with kidney function (CrCl with its formula)")
def get_profile(patient_id: str, request: Request, actor: SignedIn) -> dict[str, Any]:
    ctx = context(request)
    return profile_json(
        records.read_record(store=ctx.store, clock=ctx.clock, actor=actor, public_id=patient_id)
    )


@router.put("/patients/{patient_id}/profile", summary="Replace the profile (the patient only)")
def put_profile(patient_id: str, request: Request, actor: SignedIn, body: ProfileIn) -> dict[str, Any]:
    ctx = context(request)
    records.update_profile(
        store=ctx.store,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        changes=records.ProfileChanges(**body.model_dump()),
    )
    return profile_json(
        records.read_record(store=ctx.store, clock=ctx.clock, actor=actor, public_id=patient_id)
    )


@router.patch(
    "/patients/{patient_id}/profile", summary="Change only the fields named (the patient only); the rest stay"
)
def patch_profile(patient_id: str, request: Request, actor: SignedIn, body: ProfilePatchIn) -> dict[str, Any]:
    ctx = context(request)
    records.patch_profile(
        store=ctx.store, clock=ctx.clock, actor=actor, public_id=patient_id, fields=body.fields()
    )
    return profile_json(
        records.read_record(store=ctx.store, clock=ctx.clock, actor=actor, public_id=patient_id)
    )


@router.get("/patients/{patient_id}/medications", summary="Medication list with the interaction panel")
def get_medications(patient_id: str, request: Request, actor: SignedIn) -> dict[str, Any]:
    ctx = context(request)
    return medications_json(
        records.medication_panel(store=ctx.store, kb=ctx.kb, actor=actor, public_id=patient_id)
    )


@router.post(
    "/patients/{patient_id}/medications",
    status_code=201,
    summary="Add a medicine (unknown ones are kept, not screened)",
)
def add_medication(patient_id: str, request: Request, actor: SignedIn, body: MedicationIn) -> dict[str, Any]:
    ctx = context(request)
    records.add_medication(
        store=ctx.store,
        clock=ctx.clock,
        kb=ctx.kb,
        actor=actor,
        public_id=patient_id,
        name=body.name,
        dose_text=body.dose,
        times_per_day=body.times_per_day,
    )
    return medications_json(
        records.medication_panel(store=ctx.store, kb=ctx.kb, actor=actor, public_id=patient_id)
    )


@router.put(
    "/patients/{patient_id}/medications/{medication_id}",
    summary="Replace a medicine's name by a known one (the one-tap fix; dose and times a day kept)",
)
def replace_medication(
    patient_id: str, medication_id: RowId, request: Request, actor: SignedIn, body: MedicationNameIn
) -> dict[str, Any]:
    ctx = context(request)
    records.replace_medication(
        store=ctx.store,
        clock=ctx.clock,
        kb=ctx.kb,
        actor=actor,
        public_id=patient_id,
        medication_id=medication_id,
        name=body.name,
    )
    return medications_json(
        records.medication_panel(store=ctx.store, kb=ctx.kb, actor=actor, public_id=patient_id)
    )


@router.delete(
    "/patients/{patient_id}/medications/{medication_id}", status_code=204, summary="Remove a medicine"
)
def remove_medication(patient_id: str, medication_id: RowId, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    records.remove_medication(
        store=ctx.store, clock=ctx.clock, actor=actor, public_id=patient_id, medication_id=medication_id
    )
    return Response(status_code=204)
