"""/api/v1: the audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from dosewise.services.audit_trail import audit_trail
from dosewise.services.ports import Actor
from dosewise.web.audit.models import audit_json
from dosewise.web.errors import ERROR_RESPONSES
from dosewise.web.security import context, csrf_protect, signed_in

router = APIRouter(
    prefix="/api/v1", tags=["audit"], dependencies=[Depends(csrf_protect)], responses=ERROR_RESPONSES
)


@router.get("/patients/{patient_id}/audit", summary="Who changed what and when, newest first")
def get_audit(
    patient_id: str, request: Request, actor: Annotated[Actor, Depends(signed_in)]
) -> dict[str, Any]:
    return {
        "events": [
            audit_json(e)
            for e in audit_trail(store=context(request).store, actor=actor, public_id=patient_id)
        ]
    }
