"""Page: the audit trail of the record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from dosewise.services.audit_trail import audit_trail
from dosewise.services.ports import Actor
from dosewise.services.records import read_record
from dosewise.web.pages import patient_page
from dosewise.web.security import context, csrf_protect, signed_in

router = APIRouter(prefix="/p/{pid}/audit", dependencies=[Depends(csrf_protect)], include_in_schema=False)


@router.get("")
def audit_page(pid: str, request: Request, actor: Annotated[Actor, Depends(signed_in)]) -> Response:
    ctx = context(request)
    events = audit_trail(store=ctx.store, actor=actor, public_id=pid)
    view = read_record(store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid)
    return patient_page(request, "audit.html", access=view.access, section="audit", events=events)
