"""Pages: the plan in force, its history, the planner with live findings, and changes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from dosewise.domain.rules import DrugRules, KnowledgeBase
from dosewise.formats.plan_document import step_labels
from dosewise.services import plan_gate, plans_service
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


_ADJUSTMENT_FIELDS = ("adjustment", "reason", "override_code", "override_reason")


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {
        "fields": {k: v for k, v in form.items() if isinstance(v, str)},
        "products": [p for p in form.getlist("products") if isinstance(p, str) and p],
        "confirmed_scored": [p for p in form.getlist("confirmed_scored") if isinstance(p, str) and p],
    }


def _titration(data: dict[str, Any]) -> plans_service.TitrationRequest:
    fields = {key: data["fields"].get(key, "") for key in _TITRATION_FIELDS}
    return plans_service.TitrationRequest(
        **fields, products=tuple(data["products"]), confirmed_scored=tuple(data["confirmed_scored"])
    )


def _previewed(data: dict[str, Any]) -> str:
    """The fingerprint of the preview this page showed (a page saves only what it previewed)."""
    return str(data["fields"].get("fingerprint", "")).strip()


def plannable(kb: KnowledgeBase) -> list[DrugRules]:
    """The drugs the planner form offers: every drug of the knowledge base (each has titration rules)."""
    return sorted(kb.drugs.values(), key=lambda r: r.name)


def _form_drug(kb: KnowledgeBase, overview: plans_service.PlanOverview, asked: str) -> DrugRules | None:
    """The drug the planner form is for: the one asked for, else the plan in force's, else none yet."""
    if asked.strip() and asked.strip() in kb.drugs:
        return kb.drugs[asked.strip()]
    return kb.drug(overview.plan.drug) if overview.plan else None


def _taper(data: dict[str, Any]) -> plans_service.TaperRequest:
    return plans_service.TaperRequest(**{key: data["fields"].get(key, "") for key in _TAPER_FIELDS})


def _page(request: Request, pid: str, actor: Actor, drug: str = "", **extra: Any) -> Response:
    ctx = context(request)
    overview = plans_service.plan_overview(
        store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=pid
    )
    in_force = ctx.kb.drug(overview.plan.drug) if overview.plan else None
    return patient_page(
        request,
        "plan.html",
        access=overview.access,
        section="plan",
        overview=overview,
        rules=in_force,
        form_rules=_form_drug(ctx.kb, overview, drug),
        plannable=plannable(ctx.kb),
        change_overrides=plan_gate.OVERRIDES,
        kb=ctx.kb,
        **extra,
    )


@router.get("")
def plan_page(pid: str, request: Request, actor: SignedIn, drug: str = "") -> Response:
    return _page(request, pid, actor, drug=drug)


@router.post("/preview")
async def preview(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    data = await _form(request)
    preview = plans_service.preview_titration(
        store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=pid, request=_titration(data)
    )
    return _show_preview(request, pid, actor, preview, "titration", data)


def _show_preview(
    request: Request,
    pid: str,
    actor: Actor,
    preview: plans_service.PlanPreview,
    kind: str,
    data: dict[str, Any],
) -> Response:
    ctx = context(request)
    shown: dict[str, Any] = {
        "plan": preview.plan,
        "labels": step_labels(preview.plan, ctx.kb.drug(preview.plan.drug)),
        "kind": kind,
        "blocked": preview.blocked,
        "fingerprint": preview.fingerprint,
    }
    if is_partial(request):
        return render(request, "_plan_preview.html", **shown)
    return _page(
        request,
        pid,
        actor,
        drug=preview.plan.drug if kind == "titration" else "",
        preview=shown,
        preview_kind=kind,
        echo_form=data["fields"],
        echo_products=data["products"],
        echo_confirmed=data["confirmed_scored"],
    )


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
        fingerprint=_previewed(data),
        previewed_only=True,
    )
    return done(request, f"/p/{pid}/plan", f"Plan version {version.number} is now the schedule in force.")


def _adjustment(data: dict[str, Any]) -> plans_service.AdjustmentRequest:
    return plans_service.AdjustmentRequest(
        **{key: str(data["fields"].get(key, "")) for key in _ADJUSTMENT_FIELDS}
    )


@router.post("/adjust/preview")
async def adjust_preview(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    data = await _form(request)
    preview = plans_service.preview_adjustment(
        store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=pid, request=_adjustment(data)
    )
    return _show_preview(request, pid, actor, preview, "adjustment", data)


@router.post("/adjust")
async def adjust(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    data = await _form(request)
    wanted = _adjustment(data)
    version = plans_service.adjust_plan(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        actor=actor,
        public_id=pid,
        request=wanted,
        fingerprint=_previewed(data),
        previewed_only=True,
    )
    words = {
        "pause": "paused: the current dose is held",
        "resume": "resumed",
        "slow_down": "slowed down",
        "step_back": "stepped back to the previous dose",
    }
    return done(
        request,
        f"/p/{pid}/plan",
        f"Plan {words.get(wanted.adjustment, wanted.adjustment)} (version {version.number}).",
    )


@router.post("/taper/preview")
async def taper_preview(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    data = await _form(request)
    preview = plans_service.preview_taper(
        store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=pid, request=_taper(data)
    )
    return _show_preview(request, pid, actor, preview, "taper", data)


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
        fingerprint=_previewed(data),
        previewed_only=True,
    )
    return done(
        request,
        f"/p/{pid}/plan",
        f"Taper set from {version.effective_from.strftime('%-d %B %Y')} (version {version.number}), "
        "after the checker passed it.",
    )
