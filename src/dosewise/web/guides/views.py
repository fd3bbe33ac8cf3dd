"""Pages: the guides (public, no sign-in), the comparison table, and a guide made personal in a record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.responses import Response

from dosewise.domain.errors import UnknownDrug
from dosewise.domain.guides import COMPARISON_COLUMNS, Guide
from dosewise.services import guides
from dosewise.services.ports import Actor
from dosewise.web.pages import patient_page
from dosewise.web.security import context, signed_in, visitor
from dosewise.web.templating import render

router = APIRouter(include_in_schema=False)
SignedIn = Annotated[Actor, Depends(signed_in)]


def _guide_or_404(request: Request, gid: str) -> Guide:
    try:
        return guides.find_guide(kb=context(request).kb, guide_id=gid)
    except UnknownDrug as error:
        raise HTTPException(status_code=404) from error


@router.get("/guides")
def guide_index(request: Request) -> Response:
    kb = context(request).kb
    return render(request, "guides/index.html", guides=list(kb.guides.values()), kb_version=kb.version)


@router.get("/guides/compare")
def compare(request: Request, view: str = "") -> Response:
    kb = context(request).kb
    actor = visitor(request).actor
    clinician = view == "clinician" or (view != "patient" and actor is not None and actor.role == "clinician")
    return render(
        request,
        "guides/compare.html",
        rows=guides.comparison(kb=kb),
        columns=COMPARISON_COLUMNS,
        clinician=clinician,
        kb_version=kb.version,
    )


@router.get("/guides/{gid}")
def guide_page(gid: str, request: Request) -> Response:
    guide = _guide_or_404(request, gid)
    return render(
        request, "guides/guide.html", guide=guide, personal=None, kb_version=context(request).kb.version
    )


@router.get("/p/{pid}/guides/{gid}")
def personal_guide_page(pid: str, gid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    _guide_or_404(request, gid)
    personal = guides.personal_guide(
        store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=pid, guide_id=gid
    )
    return patient_page(
        request,
        "guides/guide.html",
        access=personal.access,
        section="guides",
        guide=personal.guide,
        personal=personal,
        kb_version=ctx.kb.version,
    )
