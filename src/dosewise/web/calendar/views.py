"""Pages: the record's calendar address. Only the patient makes, renews or turns it off."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from dosewise.services import calendar_feeds
from dosewise.services.ports import Actor
from dosewise.services.records import read_record
from dosewise.web.calendar.models import feed_url, webcal_url
from dosewise.web.pages import done, patient_page
from dosewise.web.security import context, csrf_protect, signed_in
from dosewise.web.sharing.api import base_url

router = APIRouter(prefix="/p/{pid}/calendar", dependencies=[Depends(csrf_protect)], include_in_schema=False)
SignedIn = Annotated[Actor, Depends(signed_in)]


def _page(request: Request, pid: str, actor: Actor, new_url: str | None = None) -> Response:
    ctx = context(request)
    feed = calendar_feeds.feed_status(store=ctx.store, actor=actor, public_id=pid)
    view = read_record(store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid)
    return patient_page(
        request,
        "calendar.html",
        access=view.access,
        section="calendar",
        feed=feed,
        new_url=new_url,
        new_webcal=webcal_url(new_url) if new_url else None,
    )


@router.get("")
def calendar_page(pid: str, request: Request, actor: SignedIn) -> Response:
    return _page(request, pid, actor)


@router.post("")
def make_address(pid: str, request: Request, actor: SignedIn) -> Response:
    """A new address, shown once on the page that answers (the old one, if any, stops working)."""
    ctx = context(request)
    new = calendar_feeds.create_feed(store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid)
    return _page(request, pid, actor, new_url=feed_url(base_url(request), new.token))


@router.post("/revoke")
def turn_off(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    calendar_feeds.revoke_feed(store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid)
    return done(request, f"/p/{pid}/calendar", "The calendar address is turned off.")
