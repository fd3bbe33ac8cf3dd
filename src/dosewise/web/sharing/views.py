"""Pages: who can see the record, give access, take it away."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from dosewise.services import sharing
from dosewise.services.ports import Actor
from dosewise.services.records import read_record
from dosewise.web.pages import done, patient_page
from dosewise.web.params import RowId
from dosewise.web.security import context, csrf_protect, signed_in

router = APIRouter(prefix="/p/{pid}/sharing", dependencies=[Depends(csrf_protect)], include_in_schema=False)
SignedIn = Annotated[Actor, Depends(signed_in)]


@router.get("")
def sharing_page(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    grants = sharing.grants(store=ctx.store, actor=actor, public_id=pid)
    view = read_record(store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid)
    return patient_page(request, "sharing.html", access=view.access, section="sharing", grants=grants)


@router.post("")
def grant(
    pid: str, request: Request, actor: SignedIn, email: Annotated[str, Form()], access: Annotated[str, Form()]
) -> Response:
    ctx = context(request)
    given = sharing.grant_access(
        store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid, email=email, access=access
    )
    return done(request, f"/p/{pid}/sharing", f"{given.grantee_email} now has {given.access} access.")


@router.post("/{grant_id}/revoke")
def revoke(pid: str, grant_id: RowId, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    sharing.revoke_access(store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid, grant_id=grant_id)
    return done(request, f"/p/{pid}/sharing", "Access removed.")
