"""Plan checks over the patient's medication list: the planned medicine listed again (a brand and its
generic: "Lioresal" beside a baclofen plan) with the total daily dose across the plan and the list, the
same ingredient twice on the list, and three or more CNS depressants together (plan included).

Pair interactions stay in ``checks.check_interactions``; this module adds what needs the whole list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dosewise.domain.check_context import CheckContext
from dosewise.domain.findings import Finding, finding
from dosewise.domain.quantity import Quantity
from dosewise.domain.rules import DuplicateRule
from dosewise.domain.screening import (
    Duplicate,
    Resolution,
    class_count_findings,
    duplicate_findings,
    resolve,
    same_ingredient,
)

if TYPE_CHECKING:
    from dosewise.domain.patient import Medication

__all__ = ["check_medication_list", "listed_daily_dose"]


def listed_daily_dose(medication: Medication) -> Quantity | None:
    """What a list entry gives a day, when it says both its dose and how many times a day."""
    if medication.dose is None or medication.times_per_day is None:
        return None
    return medication.dose * medication.times_per_day


def _planned_duplicate(
    ctx: CheckContext,
    rule: DuplicateRule,
    duplicate: Duplicate,
    planned: Resolution,
    pairs: list[tuple[Medication, Resolution]],
) -> Finding:
    (base,) = duplicate_findings([duplicate], ctx.kb, planned)
    plan_max = max((step.daily for step in ctx.plan.steps), key=lambda q: q.amount)
    listed: list[Quantity] = []
    uncounted: list[str] = []
    for medication, resolution in pairs:
        if not any(resolution is entry for entry in duplicate.entries):
            continue
        daily = listed_daily_dose(medication)
        # A combination product's strength is not the planned ingredient's alone: it is not counted.
        if daily is None or resolution.components or daily.unit is not plan_max.unit:
            uncounted.append(resolution.label)
        else:
            listed.append(daily)
    parts = [f"the plan gives up to {plan_max} a day"]
    total = plan_max
    for daily in listed:
        total = total + daily
    if listed:
        parts.append(f"the list adds {' + '.join(str(d) for d in listed)} a day: {total} a day in total")
    limits = ctx.rules.limits
    over = limits is not None and listed and total.amount > limits.max_daily.amount
    if over and limits is not None:
        parts.append(f"above the labelled maximum of {limits.max_daily} a day")
    if uncounted:
        parts.append(f"the list gives no daily dose for {', '.join(uncounted)}, so the total is not known")
    message = f"{base.message} Taken together, {'; '.join(parts)}."
    patient = base.patient_message
    if over and limits is not None:
        patient += (
            f" Together that would be {total} a day, more than the usual maximum of {limits.max_daily}."
        )
    return finding(
        base.severity,
        base.code,
        message,
        patient,
        limits.provenance if over and limits is not None else rule.provenance,
        ctx.kb.version,
    )


def check_medication_list(ctx: CheckContext) -> list[Finding]:
    rule = ctx.kb.duplicate_rule
    if ctx.patient is None or not ctx.patient.medications or rule is None:
        return []
    planned = resolve(ctx.rules.id, ctx.kb)
    pairs = [(m, resolve(m.name, ctx.kb)) for m in ctx.patient.medications]
    listed = [resolution for _, resolution in pairs]
    everything = [planned, *listed] if planned.screened else listed
    out: list[Finding] = []
    for duplicate in same_ingredient(everything):
        if any(entry is planned for entry in duplicate.entries):
            out.append(_planned_duplicate(ctx, rule, duplicate, planned, pairs))
        else:
            out.extend(duplicate_findings([duplicate], ctx.kb))
    out.extend(class_count_findings(everything, ctx.kb))
    return out
