"""Use cases: assemble the clinician report and the schedule sheet, from files (the CLI) or from a record
(the web app, authorised for the patient it touches), and typeset them.

The findings are recomputed with today's knowledge base (``planning.check``), interactions come from the
one screening use case, adherence from the one slot matcher, predicted levels from the simulation use
case; nothing here decides a clinical question of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING

from dosewise.domain.adherence import Adherence, adherence
from dosewise.domain.errors import DosewiseError, InvalidInput
from dosewise.domain.missed.slots import DoseRecord
from dosewise.domain.patient import Patient
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import KnowledgeBase
from dosewise.formats.report import (
    MAX_SHEET_DAYS,
    ClinicianReport,
    InteractionLine,
    PredictedStep,
    Prediction,
    ScheduleSheet,
    SymptomLine,
    clinician_pdf,
    schedule_pdf,
)
from dosewise.services.advice import plan_zone
from dosewise.services.planning import check
from dosewise.services.screening import screen

if TYPE_CHECKING:
    from dosewise.domain.pk import DoseEvent as TakenDose

__all__ = [
    "DEFAULT_REPORT_DAYS",
    "DEFAULT_SHEET_DAYS",
    "ReportFile",
    "adherence_from_history",
    "clinician_report",
    "missed_fraction",
    "prediction",
    "schedule_sheet",
    "window_start",
]

# How far back the report looks and how far ahead the sheet runs by default (presentation choices, not
# clinical numbers): four weeks, the span of the diary page.
DEFAULT_REPORT_DAYS = 28
DEFAULT_SHEET_DAYS = 28


@dataclass(frozen=True)
class ReportFile:
    """A typeset report, ready to write or send."""

    content: bytes
    filename: str
    media_type: str = "application/pdf"


def missed_fraction(kb: KnowledgeBase, plan: Plan) -> Fraction:
    rule = kb.drug(plan.drug).missed_dose
    # Without a rule a dose counts for its nearest slot: half the interval, the matcher's neutral point.
    return rule.take_if_elapsed_fraction_below if rule is not None else Fraction(1, 2)


def window_start(plan: Plan, now: datetime, days: int) -> date:
    """The report window's first day: ``days`` back from today, never before the plan starts."""
    if not 1 <= days <= 366:
        raise InvalidInput(f"a report looks back 1 to 366 days (got {days})")
    today = now.astimezone(plan_zone(plan)).date()
    return max(plan.start, today - timedelta(days=days - 1))


def adherence_from_history(
    *, kb: KnowledgeBase, plan: Plan, doses: Sequence[TakenDose], now: datetime, days: int
) -> Adherence:
    """Adherence from a dose history file: taken doses known by their time and amount only."""
    drug_unit = plan.dose_unit
    records = [DoseRecord("taken", dose.at) for dose in doses if dose.at <= now]
    amounts = {dose.at: dose.dose.to(drug_unit) for dose in doses}
    return adherence(
        plan,
        plan_zone(plan),
        records,
        fraction=missed_fraction(kb, plan),
        first=window_start(plan, now, days),
        now=now,
        amounts=amounts,
    )


def prediction(*, kb: KnowledgeBase, plan: Plan, patient: Patient | None) -> tuple[Prediction | None, str]:
    """Predicted levels for the plan as written, or why there are none (no model, dialysis, ...)."""
    from dosewise.services.simulation import simulate_plan  # numpy: only when a report is made

    try:
        run = simulate_plan(kb=kb, plan=plan, patient=patient, resolution_h=0.25)
    except DosewiseError as error:
        return None, error.message
    result = run.result
    by_day = {metrics.day: metrics for metrics in result.days}
    steps = []
    for index, step in enumerate(plan.steps):
        metrics = by_day.get(step.last_day)
        if metrics is not None:
            steps.append(
                PredictedStep(index, step.last_day, step.daily, metrics.cmax_ng_ml, metrics.cmin_ng_ml)
            )
    parameters = result.model.parameter_set
    return (
        Prediction(
            model=parameters.label,
            kidney_basis=run.crcl_basis,
            half_life_h=result.model.half_life_h,
            band_ng_ml=result.band_ng_ml,
            steps=tuple(steps),
            notes=run.warnings,
            source=parameters.cl_f.citation,
        ),
        "",
    )


def clinician_report(
    *,
    kb: KnowledgeBase,
    plan: Plan,
    now: datetime,
    patient: Patient | None = None,
    patient_name: str = "",
    medications: Sequence[str] | None = None,
    record: Adherence | None = None,
    symptoms: Sequence[SymptomLine] | None = None,
    plan_label: str = "",
    creatinine_date: date | None = None,
) -> ReportFile:
    """The clinician PDF; ``medications`` None means no list was given (interactions not assessed)."""
    checked = check(kb=kb, plan=plan, patient=patient)
    findings = list(checked.findings)
    interactions: list[InteractionLine] = []
    not_screened: tuple[str, ...] = ()
    if medications is not None:
        screening = screen(kb=kb, names=medications, planned=plan.drug)
        interactions = [
            InteractionLine(
                i.rule.id,
                i.rule.severity,
                (i.first.query, i.second.query),
                i.rule.effect,
                i.rule.action,
                i.rule.provenance.cite(),
                i.rule.provenance.source_ids,
            )
            for i in screening.interactions
        ]
        known = {f.code for f in findings}
        findings += [f for f in (*screening.duplicates, *screening.class_counts) if f.code not in known]
        not_screened = tuple(r.query for r in screening.unscreened)
    predicted, why = prediction(kb=kb, plan=plan, patient=patient)
    report = ClinicianReport(
        prepared_at=now,
        patient_name=patient_name or "not named",
        plan=plan,
        kb=kb,
        patient=patient,
        findings=tuple(findings),
        medications=tuple(medications) if medications is not None else None,
        interactions=tuple(interactions),
        not_screened=not_screened,
        adherence=record,
        symptoms=tuple(symptoms) if symptoms is not None else None,
        prediction=predicted,
        prediction_note=why,
        plan_label=plan_label,
        creatinine_date=creatinine_date,
    )
    day = now.astimezone(plan_zone(plan)).date().isoformat()
    return ReportFile(clinician_pdf(report), f"dosewise-report-{plan.drug}-{day}.pdf")


def schedule_sheet(
    *,
    kb: KnowledgeBase,
    plan: Plan,
    now: datetime,
    first: date | None = None,
    days: int = DEFAULT_SHEET_DAYS,
    patient_name: str = "",
    plan_label: str = "",
) -> ReportFile:
    """The patient's sheet from ``first`` (default: today, or the plan's first day if later)."""
    if not 1 <= days <= MAX_SHEET_DAYS:
        raise InvalidInput(f"a schedule sheet covers 1 to {MAX_SHEET_DAYS} days (got {days})")
    today = now.astimezone(plan_zone(plan)).date()
    start = first or max(today, plan.start)
    sheet = ScheduleSheet(
        prepared_at=now,
        patient_name=patient_name or "not named",
        plan=plan,
        kb=kb,
        first=start,
        days=days,
        plan_label=plan_label,
    )
    return ReportFile(schedule_pdf(sheet), f"dosewise-schedule-{plan.drug}-{start.isoformat()}.pdf")
