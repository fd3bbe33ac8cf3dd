"""/api/v1: access grants (the patient only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from dosewise.services import sharing
from dosewise.services.ports import Actor
from dosewise.web.errors import ERROR_RESPONSES
from dosewise.web.params import RowId
from dosewise.web.security import context, csrf_protect, signed_in
from dosewise.web.sharing.models import GrantIn, grant_json

router = APIRouter(
    prefix="/api/v1/patients/{patient_id}/grants",
    tags=["sharing"],
    dependencies=[Depends(csrf_protect)],
    responses=ERROR_RESPONSES,
)
SignedIn = Annotated[Actor, Depends(signed_in)]


@router.get("", summary="Everyone the patient gave access to, revoked grants included")
def list_grants(patient_id: str, request: Request, actor: SignedIn) -> dict[str, Any]:
    ctx = context(request)
    return {
        "grants": [grant_json(g) for g in sharing.grants(store=ctx.store, actor=actor, public_id=patient_id)]
    }


@router.post("", status_code=201, summary="Give caregiver or clinician access to one person")
def give(patient_id: str, request: Request, actor: SignedIn, body: GrantIn) -> dict[str, Any]:
    ctx = context(request)
    grant = sharing.grant_access(
        store=ctx.store,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        email=body.email,
        access=body.access,
    )
    return grant_json(grant)


@router.delete("/{grant_id}", status_code=204, summary="Take access away")
def revoke(patient_id: str, grant_id: RowId, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    sharing.revoke_access(
        store=ctx.store, clock=ctx.clock, actor=actor, public_id=patient_id, grant_id=grant_id
    )
    return Response(status_code=204)
