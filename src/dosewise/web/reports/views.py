"""Pages: the reports page of a record, and its two downloads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from dosewise.services import record_reports, reports
from dosewise.services.ports import Actor
from dosewise.services.records import read_record
from dosewise.web.pages import patient_page
from dosewise.web.reports.models import pdf_response
from dosewise.web.security import context, csrf_protect, signed_in

router = APIRouter(prefix="/p/{pid}/reports", dependencies=[Depends(csrf_protect)], include_in_schema=False)
SignedIn = Annotated[Actor, Depends(signed_in)]


@router.get("")
def reports_page(pid: str, request: Request, actor: SignedIn) -> Response:
    ctx = context(request)
    view = read_record(store=ctx.store, clock=ctx.clock, actor=actor, public_id=pid)
    return patient_page(
        request,
        "reports.html",
        access=view.access,
        section="reports",
        kb_version=ctx.kb.version,
        report_days=reports.DEFAULT_REPORT_DAYS,
        sheet_days=reports.DEFAULT_SHEET_DAYS,
    )


@router.get("/clinician.pdf")
def clinician_pdf(
    pid: str, request: Request, actor: SignedIn, days: int = reports.DEFAULT_REPORT_DAYS
) -> Response:
    ctx = context(request)
    made = record_reports.record_report(
        store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=pid, days=days
    )
    return pdf_response(made)


@router.get("/schedule.pdf")
def schedule_pdf(
    pid: str, request: Request, actor: SignedIn, days: int = reports.DEFAULT_SHEET_DAYS
) -> Response:
    ctx = context(request)
    made = record_reports.record_sheet(
        store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=pid, days=days
    )
    return pdf_response(made)
