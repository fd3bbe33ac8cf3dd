"""Pages: the plan in force, its history, the planner with live findings, and changes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from dosewise.services import plans_service
from dosewise.services.documents import plan_to_document
from dosewise.services.ports import Actor
from dosewise.web.pages import done, patient_page
from dosewise.web.security import context, csrf_protect, is_partial, signed_in
from dosewise.web.templating import render

router = APIRouter(prefix="/p/{pid}/plan", dependencies=[Depends(csrf_protect)], include_in_schema=False)
SignedIn = Annotated[Actor, Depends(signed_in)]
_TITRATION_FIELDS = (
    "drug",
    "start",
    "start_dose",
    "increment",
    "interval_days",
    "target_daily",
    "times_per_day",
    "times",
    "override_code",
    "override_reason",
)
_TAPER_FIELDS = (
    "start",
    "target_daily",
    "step_daily",
    "percent",
    "step_days",
    "weeks",
    "override_code",
    "override_reason",
)


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {
        "fields": {k: v for k, v in form.items() if isinstance(v, str)},
        "products": form.getlist("products"),
    }


def _titration(data: dict[str, Any]) -> plans_service.TitrationRequest:
    fields = {key: data["fields"].get(key, "") for key in _TITRATION_FIELDS}
    fields["drug"] = fields["drug"] or "baclofen"
    return plans_service.TitrationRequest(
        **fields, products=tuple(p for p in data["products"] if isinstance(p, str) and p)
    )


def _taper(data: dict[str, Any]) -> plans_service.TaperRequest:
    return plans_service.TaperRequest(**{key: data["fields"].get(key, "") for key in _TAPER_FIELDS})


def _page(request: Request, pid: str, actor: Actor, **extra: Any) -> Response:
    ctx = context(request)
    overview = plans_service.plan_overview(
        store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=pid
    )
    rules = ctx.kb.drug(overview.plan.drug if overview.plan else "baclofen")
    return patient_page(
        request,
        "plan.html",
        access=overview.access,
        section="plan",
        overview=overview,
        rules=rules,
        kb=ctx.kb,
        **extra,
    )


@router.get("")
def plan_page(pid: str, request: Request, actor: SignedIn) -> Response:
    return _page(request, pid, actor)


@router.post("/preview")
async def preview(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    data = await _form(request)
    plan = plans_service.preview_titration(
        store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=pid, request=_titration(data)
    )
    document = plan_to_document(plan, ctx.kb.drug(plan.drug))
    if is_partial(request):
        return render(request, "_plan_preview.html", document=document, kind="titration")
    return _page(request, pid, actor, preview=document, preview_kind="titration", echo_form=data["fields"])


@router.post("")
async def create(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    data = await _form(request)
    version = plans_service.start_titration(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        actor=actor,
        public_id=pid,
        request=_titration(data),
        reason=data["fields"].get("reason", ""),
        prescriber=data["fields"].get("prescriber", ""),
    )
    return done(request, f"/p/{pid}/plan", f"Plan version {version.number} is now the schedule in force.")


@router.post("/adjust")
def adjust(
    pid: str,
    request: Request,
    actor: SignedIn,
    adjustment: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    ctx = context(request)
    version = plans_service.adjust_plan(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        actor=actor,
        public_id=pid,
        adjustment=adjustment,
        reason=reason,
    )
    words = {
        "pause": "paused: the current dose is held",
        "resume": "resumed",
        "slow_down": "slowed down",
        "step_back": "stepped back to the previous dose",
    }
    return done(
        request, f"/p/{pid}/plan", f"Plan {words.get(adjustment, adjustment)} (version {version.number})."
    )


@router.post("/taper/preview")
async def taper_preview(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    data = await _form(request)
    plan = plans_service.preview_taper(
        store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=pid, request=_taper(data)
    )
    document = plan_to_document(plan, ctx.kb.drug(plan.drug))
    if is_partial(request):
        return render(request, "_plan_preview.html", document=document, kind="taper")
    return _page(request, pid, actor, preview=document, preview_kind="taper", echo_form=data["fields"])


@router.post("/taper")
async def taper(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    data = await _form(request)
    version = plans_service.start_taper(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        actor=actor,
        public_id=pid,
        request=_taper(data),
        reason=data["fields"].get("reason", ""),
    )
    return done(request, f"/p/{pid}/plan", f"Taper set (version {version.number}).")
