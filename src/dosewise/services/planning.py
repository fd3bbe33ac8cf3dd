"""Use cases: build a titration or taper for a patient, checked, with the findings attached."""

from __future__ import annotations

from datetime import date, time
from fractions import Fraction

from dosewise.domain.assessment import screen_co_medications
from dosewise.domain.checks import check_plan
from dosewise.domain.patient import Patient
from dosewise.domain.planning import TaperOptions, TitrationOptions, plan_taper, plan_titration
from dosewise.domain.quantity import Quantity
from dosewise.domain.regimen import Override, Plan, PriorRegimen
from dosewise.domain.rules import KnowledgeBase

__all__ = ["check", "taper", "titrate"]


def titrate(
    *,
    kb: KnowledgeBase,
    drug: str,
    start: date,
    patient: Patient | None = None,
    start_dose: Quantity | None = None,
    increment: Quantity | None = None,
    interval_days: int | None = None,
    target_daily: Quantity | None = None,
    times_per_day: int | None = None,
    times: tuple[time, ...] = (),
    products: tuple[str, ...] = (),
    confirmed_scored: tuple[str, ...] = (),
    overrides: tuple[Override, ...] = (),
    current: PriorRegimen | None = None,
) -> Plan:
    rules = kb.drug(drug)
    options = TitrationOptions(
        start=start,
        start_dose=start_dose,
        increment=increment,
        interval_days=interval_days,
        target_daily=target_daily,
        times_per_day=times_per_day,
        times=times,
        products=products,
        confirmed_scored=confirmed_scored,
        overrides=overrides,
        timezone=patient.timezone if patient else "UTC",
        current=current,
    )
    plan = plan_titration(rules, options, patient, kb.version, screen_co_medications(rules.id, patient, kb))
    return plan.with_findings(check_plan(plan, kb, patient))


def taper(
    *,
    kb: KnowledgeBase,
    drug: str,
    start: date,
    current_dose: Quantity,
    current_times_per_day: int,
    patient: Patient | None = None,
    target_daily: Quantity | None = None,
    step_daily: Quantity | None = None,
    percent: Fraction | None = None,
    step_days: int | None = None,
    weeks: int | None = None,
    times: tuple[time, ...] = (),
    products: tuple[str, ...] = (),
    confirmed_scored: tuple[str, ...] = (),
    overrides: tuple[Override, ...] = (),
) -> Plan:
    rules = kb.drug(drug)
    options = TaperOptions(
        start=start,
        current_dose=current_dose,
        current_times_per_day=current_times_per_day,
        target_daily=target_daily,
        step_daily=step_daily,
        percent=percent,
        step_days=step_days,
        weeks=weeks,
        times=times,
        products=products,
        confirmed_scored=confirmed_scored,
        overrides=overrides,
        timezone=patient.timezone if patient else "UTC",
    )
    plan = plan_taper(rules, options, patient, kb.version, screen_co_medications(rules.id, patient, kb))
    return plan.with_findings(check_plan(plan, kb, patient))


def check(*, kb: KnowledgeBase, plan: Plan, patient: Patient | None = None) -> Plan:
    """The plan with fresh findings from the current knowledge base (stored findings are replaced)."""
    return plan.with_findings(check_plan(plan, kb, patient))
