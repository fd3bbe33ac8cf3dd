"""/api/v1: the clinician report and the schedule sheet of a record, as PDF."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from dosewise.services import record_reports, reports
from dosewise.services.ports import Actor
from dosewise.web.errors import ERROR_RESPONSES
from dosewise.web.reports.models import PDF_RESPONSE, pdf_response
from dosewise.web.security import context, csrf_protect, signed_in

router = APIRouter(
    prefix="/api/v1/patients/{patient_id}/reports",
    tags=["reports"],
    dependencies=[Depends(csrf_protect)],
    responses=ERROR_RESPONSES,
)
SignedIn = Annotated[Actor, Depends(signed_in)]


@router.get(
    "/clinician.pdf",
    summary="The clinician report of the last DAYS days (1-366), from the plan in force",
    response_class=Response,
    responses=PDF_RESPONSE,
)
def get_clinician_report(
    patient_id: str, request: Request, actor: SignedIn, days: int = reports.DEFAULT_REPORT_DAYS
) -> Response:
    ctx = context(request)
    return pdf_response(
        record_reports.record_report(
            store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=patient_id, days=days
        )
    )


@router.get(
    "/schedule.pdf",
    summary="The patient's schedule sheet for DAYS days (1-92) from today, from the plan in force",
    response_class=Response,
    responses=PDF_RESPONSE,
)
def get_schedule_sheet(
    patient_id: str, request: Request, actor: SignedIn, days: int = reports.DEFAULT_SHEET_DAYS
) -> Response:
    ctx = context(request)
    return pdf_response(
        record_reports.record_sheet(
            store=ctx.store, kb=ctx.kb, clock=ctx.clock, actor=actor, public_id=patient_id, days=days
        )
    )
