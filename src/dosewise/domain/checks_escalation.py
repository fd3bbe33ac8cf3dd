"""The escalation check: how fast a titration starts and rises, judged with the same allowances the
titration planner uses (the label's, or a co-medication rule's), from the recorded prior regimen when
there is one."""

from __future__ import annotations

from itertools import pairwise

from dosewise.domain.check_context import CheckContext
from dosewise.domain.findings import Finding, finding
from dosewise.domain.planning import OVERRIDE_ABOVE_LABEL_START, OVERRIDE_FASTER_ESCALATION
from dosewise.domain.quantity import Quantity
from dosewise.domain.rules import Severity

__all__ = ["check_escalation"]


def check_escalation(ctx: CheckContext) -> list[Finding]:
    titration = ctx.rules.titration
    out: list[Finding] = []
    steps = ctx.plan.steps
    prior = ctx.plan.prior
    assessment = ctx.assessment
    # A hand-written ("custom") plan that rises is a titration in all but name: its start is judged the
    # same way, unless a regimen the patient already takes is recorded (then it continues from that).
    rises = any(later.daily > earlier.daily for earlier, later in pairwise(steps))
    titration_shaped = ctx.plan.kind == "titration" or (ctx.plan.kind == "custom" and rises)
    if titration_shaped and steps and not steps[0].dose.is_zero and prior is None:
        severity = assessment.start_severity(titration, steps[0].daily)
        if severity is not None:
            first_label = titration.steps[0][0] * titration.times_per_day
            cap = assessment.start_cap(titration)
            out.append(
                finding(
                    severity,
                    "titration.high_start",
                    f"The {'titration' if ctx.plan.kind == 'titration' else 'plan rises and'} starts at "
                    f"{steps[0].daily} a day; the label starts at {first_label} a day"
                    + (f" ({cap} a day for this patient)" if cap != first_label else "")
                    + (
                        ", and no regimen the patient already takes is recorded."
                        if severity is Severity.MAJOR
                        else "."
                    )
                    + ctx.plan.override_note(OVERRIDE_ABOVE_LABEL_START),
                    "This plan starts higher than usual. Check it with your prescriber.",
                    assessment.co_medication.provenance if assessment.co_medication else titration.provenance,
                    ctx.kb.version,
                    0,
                )
            )
    min_interval = assessment.min_interval_days(titration)
    # A titration that continues from a recorded regimen judges its first step as a rise from it.
    pairs: list[tuple[int, Quantity, Quantity, int | None]] = []
    if ctx.plan.kind == "titration" and prior is not None and steps:
        pairs.append((0, prior.daily, steps[0].daily, None))
    pairs += [
        (index, steps[index - 1].daily, steps[index].daily, steps[index - 1].days)
        for index in range(1, len(steps))
    ]
    for index, before_daily, after_daily, held in pairs:
        if after_daily <= before_daily:
            continue
        after = steps[index]
        per_day = max(after.times_per_day, titration.times_per_day)
        allowed_rise = assessment.allowed_rise(titration, after.times_per_day)
        rise = after_daily - before_daily
        if rise > allowed_rise:
            out.append(
                finding(
                    Severity.MAJOR,
                    "titration.too_fast_increment",
                    f"Step {index + 1}: the daily dose rises by {rise} at once; the label raises by at most "
                    f"{titration.increment_per_dose} a dose ({allowed_rise} a day at {per_day} doses a day"
                    + (
                        f", with {', '.join(assessment.co_medication_names)}"
                        if assessment.co_medication
                        else ""
                    )
                    + ")."
                    + ctx.plan.override_note(OVERRIDE_FASTER_ESCALATION),
                    "This plan raises the dose faster than usual. Check it with your prescriber.",
                    assessment.co_medication.provenance if assessment.co_medication else titration.provenance,
                    ctx.kb.version,
                    index,
                )
            )
        if held is not None and held < min_interval:
            out.append(
                finding(
                    Severity.MAJOR,
                    "titration.too_fast_interval",
                    f"Step {index + 1}: the dose rises after only {held} day(s); the label waits at least "
                    f"{min_interval} days between increases."
                    + ctx.plan.override_note(OVERRIDE_FASTER_ESCALATION),
                    "This plan raises the dose sooner than usual. Check it with your prescriber.",
                    titration.provenance,
                    ctx.kb.version,
                    index,
                )
            )
    return out
