"""Pages: the record's Reminders page (this device, what you are told, the care team's alerts, the
delivery log); and the app's manifest and service worker, served from the root so they cover every page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import FileResponse, JSONResponse, Response

from dosewise.services import reminders
from dosewise.services.ports import Actor
from dosewise.services.reminders_ports import CARE_TEAM_KINDS
from dosewise.web.pages import done, patient_page
from dosewise.web.params import MAX_ROW_ID
from dosewise.web.reads import read
from dosewise.web.security import context, csrf_protect, signed_in

router = APIRouter(prefix="/p/{pid}/reminders", dependencies=[Depends(csrf_protect)], include_in_schema=False)
app_files = APIRouter(include_in_schema=False)
SignedIn = Annotated[Actor, Depends(signed_in)]
_STATIC = Path(__file__).parent.parent / "static"


@router.get("")
async def reminders_page(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    view = await read(ctx, reminders.reminders_view, store=ctx.store, actor=actor, public_id=pid)
    log: object = ()
    if view.access.may("manage_access"):
        _, log = await read(ctx, reminders.delivery_log, store=ctx.store, actor=actor, public_id=pid)
    return patient_page(
        request,
        "reminders.html",
        access=view.access,
        section="reminders",
        view=view,
        words=reminders.KIND_WORDS,
        log=log,
        push_ready=ctx.push is not None,
    )


@router.post("")
def save_mine(
    pid: str,
    request: Request,
    actor: SignedIn,
    by_push: Annotated[str, Form()] = "",
    by_email: Annotated[str, Form()] = "",
    quiet_from: Annotated[str, Form(max_length=5)] = "",
    quiet_to: Annotated[str, Form(max_length=5)] = "",
    private_text: Annotated[str, Form()] = "",
    dose: Annotated[str, Form()] = "",
    follow_up: Annotated[str, Form()] = "",
    pump_refill: Annotated[str, Form()] = "",
) -> Response:
    ctx = context(request)
    reminders.save_mine(
        store=ctx.store,
        clock=ctx.clock,
        actor=actor,
        public_id=pid,
        by_push=by_push == "yes",
        by_email=by_email == "yes",
        quiet_from=quiet_from,
        quiet_to=quiet_to,
        private_text=private_text == "yes",
        own_kinds=[
            k
            for k, on in (("dose", dose), ("follow_up", follow_up), ("pump_refill", pump_refill))
            if on == "yes"
        ],
    )
    return done(request, f"/p/{pid}/reminders", "Your notification settings are saved.")


@router.post("/team")
async def choose_for(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    form = await request.form()
    raw = str(form.get("user_id", ""))
    user_id = int(raw) if raw.isdigit() and 0 < int(raw) <= MAX_ROW_ID else 0
    offered = {k for kinds in CARE_TEAM_KINDS.values() for k in kinds}
    kinds = [k for k in sorted(offered) if form.get(k) == "yes"]
    reminders.choose_for(
        store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid, user_id=user_id, kinds=kinds
    )
    return done(request, f"/p/{pid}/reminders", "Saved: what this person is told.")


@app_files.get("/sw.js")
async def service_worker() -> FileResponse:
    """At the root, so the worker's scope is the whole app (a worker under /static/ could not be)."""
    return FileResponse(
        _STATIC / "sw.js", media_type="text/javascript", headers={"Cache-Control": "no-cache"}
    )


@app_files.get("/manifest.webmanifest")
async def manifest() -> JSONResponse:
    return JSONResponse(
        {
            "name": "dosewise",
            "short_name": "dosewise",
            "description": "Your medicine plan, doses and reminders.",
            "start_url": "/home",
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#1f4e79",
            "icons": [
                {"src": "/static/favicon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}
            ],
        },
        media_type="application/manifest+json",
        headers={"Cache-Control": "public, max-age=3600"},
    )
