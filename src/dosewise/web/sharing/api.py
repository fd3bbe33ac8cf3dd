"""/api/v1: access by invitation (the patient only): invite, see who accepted, confirm, revoke."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from starlette.responses import Response

from dosewise.services import passwords, sharing
from dosewise.services.ports import Actor
from dosewise.web.errors import ERROR_RESPONSES
from dosewise.web.params import RowId
from dosewise.web.security import context, csrf_protect, signed_in
from dosewise.web.sharing.models import GrantIn, grant_json, invitation_url

router = APIRouter(
    prefix="/api/v1/patients/{patient_id}/grants",
    tags=["sharing"],
    dependencies=[Depends(csrf_protect)],
    responses=ERROR_RESPONSES,
)
SignedIn = Annotated[Actor, Depends(signed_in)]


def base_url(request: Request) -> str:
    return context(request).settings.public_url or str(request.base_url)


def send(request: Request, background: BackgroundTasks, new: sharing.NewInvitation, patient: str) -> str:
    """The invitation link; e-mailed (after the response, so timing tells nothing) where SMTP is set."""
    link = invitation_url(base_url(request), new.token)
    mailer = context(request).mailer
    if mailer is not None:
        background.add_task(
            passwords.send_invitation,
            mailer=mailer,
            to=new.grant.grantee_email,
            patient_name=patient,
            access=new.grant.access,
            link=link,
        )
    return link


@router.get("", summary="Every invitation and grant of the record, withdrawn and revoked ones included")
def list_grants(patient_id: str, request: Request, actor: SignedIn) -> dict[str, Any]:
    ctx = context(request)
    now = ctx.clock()
    return {
        "grants": [
            grant_json(g, now) for g in sharing.grants(store=ctx.store, actor=actor, public_id=patient_id)
        ]
    }


@router.post("", status_code=201, summary="Invite one person to caregiver or clinician access")
def give(
    patient_id: str, request: Request, actor: SignedIn, body: GrantIn, background: BackgroundTasks
) -> dict[str, Any]:
    """Returns the one-time `invitation_url` (shown only now) to hand over; it is e-mailed where SMTP is
    configured. The answer is the same whether or not the address has an account."""
    ctx = context(request)
    new = sharing.grant_access(
        store=ctx.store,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        email=body.email,
        access=body.access,
    )
    link = send(request, background, new, actor.display_name)
    return grant_json(new.grant, ctx.clock(), link)


@router.post("/{grant_id}/link", summary="A new invitation link (the old one stops working)")
def new_link(
    patient_id: str, grant_id: RowId, request: Request, actor: SignedIn, background: BackgroundTasks
) -> dict[str, Any]:
    ctx = context(request)
    new = sharing.reissue_invitation(
        store=ctx.store, clock=ctx.clock, actor=actor, public_id=patient_id, grant_id=grant_id
    )
    link = send(request, background, new, actor.display_name)
    return grant_json(new.grant, ctx.clock(), link)


@router.post("/{grant_id}/confirm", summary="Confirm the account that accepted; access starts now")
def confirm(patient_id: str, grant_id: RowId, request: Request, actor: SignedIn) -> dict[str, Any]:
    ctx = context(request)
    grant = sharing.confirm_grant(
        store=ctx.store, clock=ctx.clock, actor=actor, public_id=patient_id, grant_id=grant_id
    )
    return grant_json(grant, ctx.clock())


@router.delete("/{grant_id}", status_code=204, summary="Withdraw, decline or take access away")
def revoke(patient_id: str, grant_id: RowId, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    sharing.revoke_access(
        store=ctx.store, clock=ctx.clock, actor=actor, public_id=patient_id, grant_id=grant_id
    )
    return Response(status_code=204)
