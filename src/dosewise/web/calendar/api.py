"""/api/v1: the record's calendar address (the patient only): see it, make or renew it, turn it off."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from dosewise.services import calendar_feeds
from dosewise.services.ports import Actor
from dosewise.web.calendar.models import feed_json, feed_url
from dosewise.web.errors import ERROR_RESPONSES
from dosewise.web.security import context, csrf_protect, signed_in
from dosewise.web.sharing.api import base_url

router = APIRouter(
    prefix="/api/v1/patients/{patient_id}/calendar-feed",
    tags=["calendar"],
    dependencies=[Depends(csrf_protect)],
    responses=ERROR_RESPONSES,
)
SignedIn = Annotated[Actor, Depends(signed_in)]


@router.get("", summary="Whether the record has a calendar address (the address itself is never shown again)")
def status(patient_id: str, request: Request, actor: SignedIn) -> dict[str, Any]:
    ctx = context(request)
    return feed_json(calendar_feeds.feed_status(store=ctx.store, actor=actor, public_id=patient_id))


@router.post("", status_code=201, summary="Make a calendar address, or a new one (the old stops working)")
def make(patient_id: str, request: Request, actor: SignedIn) -> dict[str, Any]:
    """Returns `url` (and `webcal_url`) once: anyone holding it can read the dose times, without signing
    in, until it is renewed or turned off. Only the patient may do this."""
    ctx = context(request)
    new = calendar_feeds.create_feed(store=ctx.store, clock=ctx.clock, actor=actor, public_id=patient_id)
    return feed_json(new.feed, feed_url(base_url(request), new.token))


@router.delete("", status_code=204, summary="Turn the calendar address off")
def turn_off(patient_id: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    calendar_feeds.revoke_feed(store=ctx.store, clock=ctx.clock, actor=actor, public_id=patient_id)
    return Response(status_code=204)
