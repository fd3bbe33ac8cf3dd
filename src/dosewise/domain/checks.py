"""The plan checker: small typed checks composed into one pipeline, for generated and hand-written plans.

Each check takes the same context and returns findings; every finding carries its severity, a stable code,
clinician and patient text, its source and the knowledge-base version.
"""

from __future__ import annotations

from fractions import Fraction

from dosewise.domain.assessment import assess, screen_co_medications
from dosewise.domain.check_context import Check, CheckContext
from dosewise.domain.checks_escalation import check_escalation
from dosewise.domain.checks_medication_list import check_medication_list
from dosewise.domain.dispensing import can_make, choose_products
from dosewise.domain.findings import Finding, finding
from dosewise.domain.patient import Patient
from dosewise.domain.planning import (
    OVERRIDE_ABOVE_LABEL_MAX,
    OVERRIDE_ABOVE_RENAL_CEILING,
    OVERRIDE_RAPID_WITHDRAWAL,
)
from dosewise.domain.quantity import Quantity
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import KnowledgeBase, Severity
from dosewise.domain.screening import duplicate_therapy, find_interactions, resolve

__all__ = ["CHECKS", "CheckContext", "check_plan"]


def check_limits(ctx: CheckContext) -> list[Finding]:
    limits = ctx.rules.limits
    out: list[Finding] = []
    # The regimen a taper starts from (None for a titration, or a taper with no recorded regimen).
    prior = ctx.plan.prior if ctx.plan.kind == "taper" else None
    if prior is not None:
        out += _current_regimen_limits(ctx, prior.daily, prior.dose)
    for index, step in enumerate(ctx.plan.steps):
        daily = step.daily
        if prior is not None and daily <= prior.daily and step.dose <= prior.dose:
            # A taper step at or below the regimen taken now lowers exposure: the excess belongs to the
            # current regimen (reported once, above), not to the way down from it.
            continue
        if daily > limits.max_daily:
            out.append(
                finding(
                    Severity.MAJOR,
                    "limit.above_label_max",
                    f"Step {index + 1}: {daily} a day is above the labelled maximum of {limits.max_daily} a day."
                    + ctx.plan.override_note(OVERRIDE_ABOVE_LABEL_MAX),
                    "This plan has a daily dose above the usual maximum. Check it with your prescriber.",
                    limits.provenance,
                    ctx.kb.version,
                    index,
                )
            )
        elif ctx.assessment.multiplier != 1 and daily > ctx.assessment.ceiling:
            out.append(
                finding(
                    Severity.MAJOR,
                    "limit.above_renal_ceiling",
                    f"Step {index + 1}: {daily} a day is above the kidney-adjusted ceiling "
                    f"({'; '.join(ctx.assessment.explanations)})."
                    + ctx.plan.override_note(OVERRIDE_ABOVE_RENAL_CEILING),
                    "This dose is high for your kidney function. Check it with your prescriber.",
                    ctx.assessment.band.provenance if ctx.assessment.band else limits.provenance,
                    ctx.kb.version,
                    index,
                )
            )
        if step.dose > limits.max_single_dose:
            out.append(
                finding(
                    Severity.MAJOR,
                    "limit.max_single_dose",
                    f"Step {index + 1}: a single dose of {step.dose} is above {limits.max_single_dose}.",
                    "One of the doses in this plan is larger than usual. Check it with your prescriber.",
                    limits.provenance,
                    ctx.kb.version,
                    index,
                )
            )
        if step.times_per_day > limits.max_times_per_day:
            out.append(
                finding(
                    Severity.MODERATE,
                    "limit.max_times_per_day",
                    f"Step {index + 1}: {step.times_per_day} doses a day; the label goes to {limits.max_times_per_day}.",
                    "This plan has more doses a day than usual. Check it with your prescriber.",
                    limits.provenance,
                    ctx.kb.version,
                    index,
                )
            )
    return out


def _current_regimen_limits(ctx: CheckContext, daily: Quantity, dose: Quantity) -> list[Finding]:
    """The regimen a taper starts from, judged against the same limits as any step."""
    limits = ctx.rules.limits
    out: list[Finding] = []
    above = []
    if daily > limits.max_daily:
        above.append(f"the labelled maximum of {limits.max_daily} a day")
    elif ctx.assessment.multiplier != 1 and daily > ctx.assessment.ceiling:
        above.append(f"the kidney-adjusted ceiling ({'; '.join(ctx.assessment.explanations)})")
    if dose > limits.max_single_dose:
        above.append(f"the single-dose limit of {limits.max_single_dose}")
    if above:
        out.append(
            finding(
                Severity.MAJOR,
                "regimen.current_above_limit",
                f"The current regimen ({daily} a day) is above {' and '.join(above)}; the taper lowers it.",
                "The dose you take now is higher than usual. Keep to the plan and tell your prescriber about "
                "sleepiness or confusion.",
                ctx.assessment.band.provenance if ctx.assessment.band else limits.provenance,
                ctx.kb.version,
            )
        )
    return out


def check_taper(ctx: CheckContext) -> list[Finding]:
    taper = ctx.rules.taper
    out: list[Finding] = []
    steps = ctx.plan.steps
    rapid = ctx.plan.override_note(OVERRIDE_RAPID_WITHDRAWAL)
    prior = ctx.plan.prior
    first_fall: int | None = None
    # With a prior regimen the first step is judged as a reduction from it too; without one (a
    # hand-written plan) the taper can only be seen from its first fall inside the plan.
    for index in range(0 if prior else 1, len(steps)):
        after = steps[index]
        before_daily = steps[index - 1].daily if index else prior.daily if prior else after.daily
        if after.daily > before_daily and ctx.plan.kind == "taper":
            out.append(
                finding(
                    Severity.MAJOR,
                    "taper.rise",
                    f"Step {index + 1}: the daily dose rises from {before_daily} to {after.daily} inside a taper.",
                    "This plan raises the dose in the middle of lowering it. Check it with your prescriber.",
                    taper.provenance,
                    ctx.kb.version,
                    index,
                )
            )
        if after.daily >= before_daily:
            continue
        if first_fall is None:
            first_fall = index
        if after.dose.is_zero:
            continue  # a zero step is a stop: judged by check_stops
        cut = (before_daily - after.daily).ratio(before_daily)
        if cut > taper.max_single_reduction:
            out.append(
                finding(
                    Severity.MAJOR,
                    "taper.step_too_large",
                    f"Step {index + 1}: the daily dose falls by {_percent(cut)} at once "
                    f"({before_daily} to {after.daily}); the rules allow at most {taper.max_single_reduction} of the "
                    "current dose in one step." + rapid,
                    "This plan lowers the dose faster than usual, which can cause withdrawal. Check it with your prescriber.",
                    taper.provenance,
                    ctx.kb.version,
                    index,
                )
            )
        held = steps[index - 1].days if index else None
        if held is not None and index - 1 >= first_fall and held < taper.step_days:
            out.append(
                finding(
                    Severity.MODERATE,
                    "taper.step_too_short",
                    f"Step {index}: held for {held} day(s) before the next reduction; the default is at least "
                    f"{taper.step_days} days." + rapid,
                    "The dose changes quickly in this plan. Tell your clinician if you notice withdrawal signs.",
                    taper.provenance,
                    ctx.kb.version,
                    index - 1,
                )
            )
    stops = ctx.plan.then == "stop" or any(s.dose.is_zero for s in steps)
    if stops and first_fall is not None:
        stop_index = next((i for i, s in enumerate(steps) if s.dose.is_zero), len(steps))
        duration = sum(s.days for s in steps[first_fall:stop_index])
        if duration < taper.min_days:
            out.append(
                finding(
                    Severity.MAJOR,
                    "taper.too_fast",
                    f"The taper stops {duration} days after the first reduction; reduce over at least "
                    f"{taper.min_days} days." + rapid,
                    "This plan stops the medicine faster than usual, which can cause withdrawal. Check it with your prescriber.",
                    taper.provenance,
                    ctx.kb.version,
                    first_fall,
                )
            )
    return out


def check_stops(ctx: CheckContext) -> list[Finding]:
    """An abrupt stop: the plan ends (or pauses) from a daily dose above the final-step limit."""
    taper = ctx.rules.taper
    out: list[Finding] = []
    steps = ctx.plan.steps
    rapid = ctx.plan.override_note(OVERRIDE_RAPID_WITHDRAWAL)
    prior = ctx.plan.prior
    for index, step in enumerate(steps):
        if not step.dose.is_zero or (index == 0 and prior is None):
            continue
        before_daily = steps[index - 1].daily if index else prior.daily if prior else step.daily
        if before_daily.is_zero:
            continue
        resumes = any(not s.dose.is_zero for s in steps[index + 1 :])
        if before_daily > taper.final_max_daily or resumes:
            out.append(
                finding(
                    Severity.MAJOR,
                    "stop.abrupt" if not resumes else "schedule.interruption",
                    f"Step {index + 1}: doses stop from {before_daily} a day"
                    + (
                        " and restart later (an interruption risks withdrawal, then restarting at a dose no longer tolerated)."
                        if resumes
                        else f"; stop only from {taper.final_max_daily} a day or less after a gradual taper."
                    )
                    + rapid,
                    "Stopping this medicine suddenly can cause dangerous withdrawal (hallucinations, seizures, "
                    "high fever). Do not stop it on your own: talk to your prescriber.",
                    taper.provenance,
                    ctx.kb.version,
                    index,
                )
            )
    last = steps[-1]
    if ctx.plan.then == "stop" and not last.dose.is_zero and last.daily > taper.final_max_daily:
        out.append(
            finding(
                Severity.MAJOR,
                "stop.abrupt",
                f"The plan stops after {last.daily} a day; stop only from {taper.final_max_daily} a day or less "
                f"after a gradual taper.{rapid} {ctx.rules.withdrawal_text}",
                "Stopping this medicine suddenly can cause dangerous withdrawal (hallucinations, seizures, high "
                "fever). Do not stop it on your own: talk to your prescriber.",
                taper.provenance,
                ctx.kb.version,
                len(steps) - 1,
            )
        )
    for index in range(1, len(steps)):
        if steps[index].start > steps[index - 1].end:
            gap = (steps[index].start - steps[index - 1].end).days
            out.append(
                finding(
                    Severity.MAJOR,
                    "schedule.gap",
                    f"{gap} day(s) without doses before step {index + 1}: an unplanned interruption is an abrupt stop.",
                    "There are days in this plan with no doses. Stopping suddenly can cause withdrawal: check the "
                    "plan with your prescriber.",
                    taper.provenance,
                    ctx.kb.version,
                    index,
                )
            )
        elif steps[index].start < steps[index - 1].end:
            out.append(
                finding(
                    Severity.MAJOR,
                    "schedule.overlap",
                    f"Step {index + 1} starts before step {index} ends: doses would be counted twice.",
                    "Two parts of this plan overlap. Check it with your prescriber.",
                    taper.provenance,
                    ctx.kb.version,
                    index,
                )
            )
    return out


def check_patient(ctx: CheckContext) -> list[Finding]:
    """Kidney, age, dialysis and co-medication findings; encephalopathy risk when starting high with low eGFR."""
    out = list(ctx.assessment.findings)
    if ctx.assessment.unscreened and ctx.rules.co_medication:
        names = ", ".join(ctx.assessment.unscreened)
        out.append(
            finding(
                Severity.MODERATE,
                "co_medication.not_screened",
                f"Not screened: {names}. A medicine the dictionary does not know may be one that changes this "
                f"plan ({'; '.join(rule.when_class for rule in ctx.rules.co_medication)}) or is contraindicated; "
                "check it before the first dose.",
                f"We could not check {names} against {ctx.rules.name}. Ask your pharmacist before the first dose.",
                ctx.rules.co_medication[0].provenance,
                ctx.kb.version,
            )
        )
    renal = ctx.rules.renal
    kidney = ctx.assessment.kidney
    threshold = renal.encephalopathy_start_threshold if renal else None
    value = kidney.for_egfr_rules
    if (
        renal is not None
        and threshold is not None
        and renal.encephalopathy_provenance is not None
        and renal.encephalopathy_egfr_below is not None
        and (kidney.dialysis or (value is not None and value < renal.encephalopathy_egfr_below))
        and ctx.plan.steps[0].daily >= threshold
        # The risk was measured in people starting the drug: a taper, or a plan that continues from a
        # recorded current regimen, is not a start (its dose is judged by the kidney ceiling instead).
        and ctx.plan.kind != "taper"
        and ctx.plan.prior is None
    ):
        out.append(
            finding(
                Severity.MAJOR,
                "renal.encephalopathy_risk",
                f"Starting at {ctx.plan.steps[0].daily} a day with reduced kidney function. {renal.encephalopathy_text}",
                "Starting at this dose with your kidney function raises the risk of confusion. Check with your prescriber.",
                renal.encephalopathy_provenance,
                ctx.kb.version,
                0,
            )
        )
    return out


def check_interactions(ctx: CheckContext) -> list[Finding]:
    if ctx.patient is None or not ctx.patient.medications:
        return []
    # Every pair is reported, not only pairs with the planned drug: opioid + benzodiazepine matters too.
    resolutions = [resolve(ctx.rules.id, ctx.kb)] + [resolve(m.name, ctx.kb) for m in ctx.patient.medications]
    out = [interaction.to_finding(ctx.kb.version) for interaction in find_interactions(resolutions, ctx.kb)]
    out += list(duplicate_therapy(resolutions, ctx.kb))
    unknown = [r.query for r in resolutions if not r.screened]
    if unknown:
        out.append(
            finding(
                Severity.INFO,
                "screening.not_screened",
                f"Not screened (unknown to the knowledge base): {', '.join(unknown)}.",
                f"These were not checked for interactions: {', '.join(unknown)}. Ask your pharmacist about them.",
                ctx.rules.provenance,
                ctx.kb.version,
            )
        )
    return out


def check_makeable(ctx: CheckContext) -> list[Finding]:
    products = choose_products(ctx.rules, ctx.plan.products)
    out: list[Finding] = []
    for index, step in enumerate(ctx.plan.steps):
        confirmed = ctx.plan.confirmed_scored
        if step.dose.is_zero or can_make(step.dose, ctx.rules, ctx.plan.products, confirmed):
            continue
        others = [
            p.label
            for p in ctx.rules.products
            if p not in products and can_make(step.dose, ctx.rules, (p.id,), confirmed)
        ]
        out.append(
            finding(
                Severity.MAJOR,
                "dispensing.unmakeable",
                f"Step {index + 1}: {step.dose} cannot be made from {', '.join(p.label for p in products)}"
                + (f"; these can make it: {'; '.join(others)}." if others else "; no product can make it."),
                "One dose in this plan cannot be measured with your medicine. Ask your pharmacist before that step.",
                ctx.rules.provenance,
                ctx.kb.version,
                index,
            )
        )
    return out


def check_provenance(ctx: CheckContext) -> list[Finding]:
    out: list[Finding] = []
    if ctx.plan.kb_version != ctx.kb.version:
        out.append(
            finding(
                Severity.INFO,
                "knowledge.version_differs",
                f"The plan was made with knowledge base {ctx.plan.kb_version}; checked against {ctx.kb.version}.",
                "This plan was checked against newer information.",
                ctx.rules.provenance,
                ctx.kb.version,
            )
        )
    for override in ctx.plan.overrides:
        out.append(
            finding(
                Severity.MAJOR,
                f"override.{override.code}",
                f"CLINICIAN OVERRIDE {override.code}: {override.reason}"
                + (f" (by {override.by})" if override.by else ""),
                "Your prescriber has chosen to go beyond a usual limit on purpose. Ask them if anything is unclear.",
                ctx.rules.provenance,
                ctx.kb.version,
            )
        )
    return out


def _percent(fraction: Fraction) -> str:
    return f"{float(fraction * 100):.0f}%"


CHECKS: tuple[Check, ...] = (
    check_limits,
    check_escalation,
    check_taper,
    check_stops,
    check_patient,
    check_interactions,
    check_medication_list,
    check_makeable,
    check_provenance,
)


def check_plan(plan: Plan, kb: KnowledgeBase, patient: Patient | None = None) -> tuple[Finding, ...]:
    """Run every check; findings most severe first, then in plan order."""
    rules = kb.drug(plan.drug)
    screen = screen_co_medications(rules.id, patient, kb)
    ctx = CheckContext(plan, rules, kb, patient, assess(rules, patient, kb.version, screen))
    findings = [f for check in CHECKS for f in check(ctx)]
    unique = list({(f.code, f.step_index, f.message): f for f in findings}.values())
    return tuple(
        sorted(unique, key=lambda f: (-f.severity.rank, f.step_index if f.step_index is not None else -1))
    )
