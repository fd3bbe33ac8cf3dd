"""Pages: the record's downloads (the whole record as FHIR R4)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from dosewise.services.fhir_exchange import record_fhir
from dosewise.services.ports import Actor
from dosewise.services.records import read_record
from dosewise.web.exports.models import fhir_response
from dosewise.web.pages import patient_page
from dosewise.web.security import context, csrf_protect, signed_in

router = APIRouter(prefix="/p/{pid}/exports", dependencies=[Depends(csrf_protect)], include_in_schema=False)
SignedIn = Annotated[Actor, Depends(signed_in)]


@router.get("")
def exports_page(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    view = read_record(store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid)  # authorises
    return patient_page(request, "exports.html", access=view.access, section="exports")


@router.get("/record.fhir.json")
def download_fhir(pid: str, request: Request, actor: SignedIn, per_step: int = 0) -> Response:
    ctx = context(request)
    bundle = record_fhir(
        store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=pid, per_step=bool(per_step)
    )
    return fhir_response(bundle, public_id=pid, now=ctx.clock(), attachment=True)
