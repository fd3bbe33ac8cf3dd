"""Pages: who can see the record; invite, confirm who accepted, withdraw or take access away."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from starlette.responses import Response

from dosewise.services import sharing
from dosewise.services.ports import Actor
from dosewise.services.records import read_record
from dosewise.web.pages import done, patient_page
from dosewise.web.params import RowId
from dosewise.web.security import context, csrf_protect, signed_in
from dosewise.web.sharing.api import send

router = APIRouter(prefix="/p/{pid}/sharing", dependencies=[Depends(csrf_protect)], include_in_schema=False)
SignedIn = Annotated[Actor, Depends(signed_in)]


def _page(request: Request, pid: str, actor: Actor, **extra: Any) -> Response:
    ctx = context(request)
    grants = sharing.grants(store=ctx.store, actor=actor, public_id=pid)
    view = read_record(store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid)
    now = ctx.clock()
    return patient_page(
        request,
        "sharing.html",
        access=view.access,
        section="sharing",
        grants=[(g, g.state(now)) for g in grants],
        mail=ctx.mailer is not None,
        **extra,
    )


@router.get("")
def sharing_page(pid: str, request: Request, actor: SignedIn) -> Response:
    return _page(request, pid, actor)


@router.post("")
def grant(
    pid: str,
    request: Request,
    actor: SignedIn,
    background: BackgroundTasks,
    email: Annotated[str, Form()],
    access: Annotated[str, Form()],
) -> Response:
    ctx = context(request)
    new = sharing.grant_access(
        store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid, email=email, access=access
    )
    link = send(request, background, new, actor.display_name)
    response = _page(request, pid, actor, new_link=link, new_grant=new.grant)
    response.background = background
    return response


@router.post("/{grant_id}/link")
def new_link(
    pid: str, grant_id: RowId, request: Request, actor: SignedIn, background: BackgroundTasks
) -> Response:
    ctx = context(request)
    new = sharing.reissue_invitation(
        store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid, grant_id=grant_id
    )
    link = send(request, background, new, actor.display_name)
    response = _page(request, pid, actor, new_link=link, new_grant=new.grant)
    response.background = background
    return response


@router.post("/{grant_id}/confirm")
def confirm(pid: str, grant_id: RowId, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    given = sharing.confirm_grant(
        store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid, grant_id=grant_id
    )
    return done(request, f"/p/{pid}/sharing", f"{given.grantee_name} now has {given.access} access.")


@router.post("/{grant_id}/revoke")
def revoke(pid: str, grant_id: RowId, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    sharing.revoke_access(store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid, grant_id=grant_id)
    return done(request, f"/p/{pid}/sharing", "Access removed.")
