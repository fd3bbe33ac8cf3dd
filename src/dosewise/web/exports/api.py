"""/api/v1: the whole record as a FHIR R4 Bundle."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from dosewise.services.fhir_exchange import record_fhir
from dosewise.services.ports import Actor
from dosewise.web.errors import ERROR_RESPONSES
from dosewise.web.exports.models import FHIR_MEDIA_TYPE, fhir_response
from dosewise.web.security import context, csrf_protect, signed_in

router = APIRouter(
    prefix="/api/v1", tags=["exports"], dependencies=[Depends(csrf_protect)], responses=ERROR_RESPONSES
)


@router.get(
    "/patients/{patient_id}/fhir",
    summary="The whole record as a FHIR R4 collection Bundle (for anyone who may view the record)",
    response_class=Response,
    responses={
        200: {"content": {FHIR_MEDIA_TYPE: {"schema": {"type": "object"}}}, "description": "FHIR R4 Bundle"}
    },
)
def get_fhir(
    patient_id: str,
    request: Request,
    actor: Annotated[Actor, Depends(signed_in)],
    per_step: Annotated[bool, Query(description="one MedicationRequest per plan step")] = False,
) -> Response:
    ctx = context(request)
    bundle = record_fhir(
        store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=patient_id, per_step=per_step
    )
    return fhir_response(bundle, public_id=patient_id, now=ctx.clock(), attachment=False)
