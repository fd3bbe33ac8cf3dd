"""The PDF reports: the clinician report and the patient's schedule sheet, tagged and accessible.

``clinician_pdf`` and ``schedule_pdf`` take the values a service assembled (``model.py``) and return the
PDF bytes; the same values give the same bytes.
"""

from __future__ import annotations

from dosewise.formats.report.clinician import clinician_document
from dosewise.formats.report.model import (
    ClinicianReport,
    InteractionLine,
    PredictedStep,
    Prediction,
    ScheduleSheet,
    SymptomLine,
)
from dosewise.formats.report.sheet import MAX_SHEET_DAYS, schedule_document
from dosewise.formats.report.typeset import ReportUnavailable, typeset

__all__ = [
    "MAX_SHEET_DAYS",
    "ClinicianReport",
    "InteractionLine",
    "PredictedStep",
    "Prediction",
    "ReportUnavailable",
    "ScheduleSheet",
    "SymptomLine",
    "clinician_pdf",
    "schedule_pdf",
]

MEDIA_TYPE = "application/pdf"


def clinician_pdf(report: ClinicianReport) -> bytes:
    return typeset(clinician_document(report), created=report.prepared_at)


def schedule_pdf(sheet: ScheduleSheet) -> bytes:
    return typeset(schedule_document(sheet), created=sheet.prepared_at)
