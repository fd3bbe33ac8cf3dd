"""The one check before a plan version is stored: whatever made it (a titration, a taper, a pause, a
resume, a slow-down or a step back, from a page or the API), the whole timeline goes through the checker
and a gap, an interruption, an abrupt stop, an oversized cut or a limit crossed is refused unless the plan
carries the named clinician override (with its reason) that allows it.

Also here: the steps a new plan follows (``steps_until``), so that the earlier plan covers every day up to
the day the new one starts, and a taper always starts from the dose in force on its own start day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from dosewise.domain.errors import PlanRefused
from dosewise.domain.findings import Finding, finding
from dosewise.domain.patient import Patient
from dosewise.domain.planning import (
    OVERRIDE_ABOVE_LABEL_MAX,
    OVERRIDE_ABOVE_RENAL_CEILING,
    OVERRIDE_FASTER_ESCALATION,
    OVERRIDE_RAPID_WITHDRAWAL,
)
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import KnowledgeBase, Severity
from dosewise.services import planning, plans_adjust

__all__ = [
    "BLOCKING",
    "OVERRIDES",
    "Blocked",
    "PlanNotSafe",
    "blocking_findings",
    "checked_for_export",
    "checked_for_storing",
    "judge",
    "steps_until",
    "switch_findings",
]

# Finding code -> the override that allows it (None: nothing allows it; change the plan instead).
BLOCKING: dict[str, str | None] = {
    "schedule.gap": OVERRIDE_RAPID_WITHDRAWAL,
    "schedule.interruption": OVERRIDE_RAPID_WITHDRAWAL,
    "stop.abrupt": OVERRIDE_RAPID_WITHDRAWAL,
    "taper.step_too_large": OVERRIDE_RAPID_WITHDRAWAL,
    "taper.too_fast": OVERRIDE_RAPID_WITHDRAWAL,
    "limit.above_label_max": OVERRIDE_ABOVE_LABEL_MAX,
    "limit.max_single_dose": OVERRIDE_ABOVE_LABEL_MAX,
    "limit.above_renal_ceiling": OVERRIDE_ABOVE_RENAL_CEILING,
    "titration.too_fast_increment": OVERRIDE_FASTER_ESCALATION,
    "titration.too_fast_interval": OVERRIDE_FASTER_ESCALATION,
    "schedule.overlap": None,
    "dispensing.unmakeable": None,
}

# The overrides a clinician may name for a change to a plan in force (the page offers exactly these).
OVERRIDES = tuple(sorted({code for code in BLOCKING.values() if code is not None}))


@dataclass(frozen=True)
class Blocked:
    """A finding that stops the plan being stored, and the override that would allow it (if any)."""

    finding: Finding
    override: str | None

    def to_json(self) -> dict[str, object]:
        return {**self.finding.to_json(), "override": self.override}


class PlanNotSafe(PlanRefused):
    """The checker found what must not be stored without a clinician's named override."""

    code = "plan_refused"

    def __init__(self, blocked: Sequence[Blocked], *, done: str = "saved") -> None:
        first = blocked[0].finding
        more = f" (and {len(blocked) - 1} more)" if len(blocked) > 1 else ""
        overrides = tuple(sorted({b.override for b in blocked if b.override}))
        # The field to act on: the named override, when one would allow every finding.
        field = "override_code" if overrides and all(b.override for b in blocked) else None
        super().__init__(f"this plan was not {done}: {first.message}{more}", field=field)
        self.blocked = tuple(blocked)
        self.overrides = overrides
        self.details = {
            "findings": [b.to_json() for b in self.blocked],
            "overrides": list(self.overrides),
        }


steps_until = plans_adjust.steps_until


def blocking_findings(
    plan: Plan, *, first_changed: int, exempt: frozenset[str] = frozenset()
) -> list[Blocked]:
    """Findings on the changed steps (index ``first_changed`` on) that the plan's overrides do not allow."""
    out: list[Blocked] = []
    for item in plan.findings:
        if item.code not in BLOCKING or item.code in exempt:
            continue
        if item.step_index is not None and item.step_index < first_changed:
            continue
        override = BLOCKING[item.code]
        if override is not None and plan.overridden(override) is not None:
            continue
        out.append(Blocked(item, override))
    return out


def judge(
    kb: KnowledgeBase,
    timeline: Plan,
    *,
    patient: Patient | None,
    effective_from: date,
    before: Plan | None = None,
) -> tuple[Plan, list[Blocked]]:
    """The timeline with fresh findings, and what in it must not be stored without an override.

    ``before`` is given for an adjustment of the plan in force: a problem the plan in force already had
    from ``effective_from`` (say a dose now above a kidney ceiling after a new creatinine) does not stop a
    pause from holding that dose; only a problem the change introduces does.
    """
    # Judged with back-to-back equal steps joined (a dose held across versions is one hold); stored as made.
    judged = replace(timeline, steps=plans_adjust.merged(timeline.steps))
    first_changed = next(
        (i for i, step in enumerate(judged.steps) if step.end > effective_from), len(judged.steps)
    )
    # With earlier steps in the timeline, the step before the change is judged, not the prior regimen.
    prior = timeline.prior if first_changed == 0 else None
    checked = planning.check(kb=kb, plan=replace(judged, prior=prior), patient=patient)
    exempt: frozenset[str] = frozenset()
    if before is not None:
        _, future = plans_adjust.split(before, effective_from)
        if future:
            part = replace(before, steps=plans_adjust.merged(future), prior=None, findings=())
            exempt = frozenset(f.code for f in planning.check(kb=kb, plan=part, patient=patient).findings)
    blocked = blocking_findings(checked, first_changed=first_changed, exempt=exempt)
    # Steps before the change were judged when they were made (under their own kind and overrides).
    kept = tuple(f for f in checked.findings if f.step_index is None or f.step_index >= first_changed)
    return timeline.with_findings(kept), blocked


def checked_for_storing(
    kb: KnowledgeBase,
    timeline: Plan,
    *,
    patient: Patient | None,
    effective_from: date,
    before: Plan | None = None,
) -> Plan:
    """The timeline with fresh findings, or ``PlanNotSafe`` when what it changes must not be stored."""
    checked, blocked = judge(kb, timeline, patient=patient, effective_from=effective_from, before=before)
    if blocked:
        raise PlanNotSafe(blocked)
    return checked


def checked_for_export(kb: KnowledgeBase, plan: Plan, *, patient: Patient | None) -> Plan:
    """The whole plan with fresh findings, or ``PlanNotSafe`` ("not exported") when the checker blocks
    any of it: an export (calendar, FHIR, report) is held to the same rules as a stored version."""
    checked, blocked = judge(kb, plan, patient=patient, effective_from=plan.start)
    if blocked:
        raise PlanNotSafe(blocked, done="exported")
    return checked


def switch_findings(kb: KnowledgeBase, previous: Plan, new: Plan) -> list[Blocked]:
    """A plan for another drug replaces the plan in force: the old drug must not stop abruptly."""
    held = previous.step_on(new.start)
    if held is None or held.dose.is_zero or new.overridden(OVERRIDE_RAPID_WITHDRAWAL) is not None:
        return []
    rules = kb.drug(previous.drug)
    taper = rules.taper
    provenance = taper.provenance if taper is not None else rules.provenance
    item = finding(
        Severity.MAJOR,
        "stop.abrupt",
        f"{rules.name} is still planned at {held.daily} a day on {new.start.isoformat()}: replacing its plan "
        f"with one for {kb.drug(new.drug).name} would stop it abruptly. Taper {rules.name} first.",
        "Stopping a medicine suddenly can cause dangerous withdrawal. Do not stop it on your own: talk to "
        "your prescriber.",
        provenance,
        kb.version,
    )
    return [Blocked(item, OVERRIDE_RAPID_WITHDRAWAL)]
