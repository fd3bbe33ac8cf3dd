"""CDS Hooks 2.0.1 cards as dosewise writes them, and the FHIR R4 resources their suggestions carry.

A card is written from one engine finding: the summary (under 140 characters, always naming the medicine
and the problem, never a truncated sentence), the finding's full text, its source and the knowledge-base
version as the detail, the indicator from its severity, and override reasons with a display each.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dosewise.domain.findings import Finding
from dosewise.domain.quantity import format_amount
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import KnowledgeBase, Severity
from dosewise.formats.cds_hooks.fhir_read import UCUM

__all__ = [
    "FINDING_SYSTEM",
    "OVERRIDE_REASONS",
    "OVERRIDE_SYSTEM",
    "SUMMARY_LIMIT",
    "Card",
    "Suggestion",
    "detected_issue",
    "indicator_for",
    "order_with_plan",
    "source_of",
    "summary_for",
]

SUMMARY_LIMIT = 140  # the spec: a "<140-character summary"
FINDING_SYSTEM = "urn:dosewise:cds:finding"
OVERRIDE_SYSTEM = "urn:dosewise:cds:override-reason"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

# Why a clinician may set a card aside; each needs a display (the spec). Feedback counts them per finding.
OVERRIDE_REASONS: tuple[tuple[str, str], ...] = (
    ("benefit-outweighs-risk", "Benefit outweighs the risk for this patient"),
    ("will-monitor", "The patient will be monitored closely"),
    ("specialist-plan", "Specialist-directed plan"),
    ("data-not-current", "The data this card used is not current"),
    ("not-applicable", "Does not apply to this patient"),
)

_INDICATOR = {
    Severity.CONTRAINDICATED: "critical",
    Severity.MAJOR: "critical",
    Severity.MODERATE: "warning",
    Severity.MINOR: "info",
    Severity.INFO: "info",
}
_ISSUE_SEVERITY = {"critical": "high", "warning": "moderate", "info": "low"}

# Finding code (longest prefix wins) -> summary; {drug} is the ordered medicine, {head} the finding's own
# opening words (the pair "baclofen + oxycodone", "3 together (...)").
_SUMMARIES: tuple[tuple[str, str], ...] = (
    ("interaction.", "{head}: {severity} interaction"),
    ("class_count.", "Sedatives, {head}: {severity} risk of oversedation and slowed breathing"),
    ("duplicate.planned_drug", "{drug} is already on the active list: possible double dose"),
    ("duplicate.same_ingredient", "The same medicine is on the list more than once"),
    ("duplicate_therapy.", "More than one centrally acting muscle relaxant"),
    ("limit.above_label_max", "{drug}: daily dose above the labelled maximum"),
    ("limit.above_renal_ceiling", "{drug}: daily dose above the kidney-adjusted maximum"),
    ("limit.max_single_dose", "{drug}: single dose above the label's limit"),
    ("limit.max_times_per_day", "{drug}: more doses a day than the label gives"),
    ("regimen.current_above_limit", "{drug}: the current regimen is above a limit"),
    ("titration.high_start", "{drug}: starting dose above the label's start"),
    ("titration.too_fast_increment", "{drug}: dose rises faster than the label allows"),
    ("titration.too_fast_interval", "{drug}: dose rises sooner than the label allows"),
    ("taper.step_too_large", "{drug}: too large a cut in one step, withdrawal risk"),
    ("taper.step_too_short", "{drug}: taper steps shorter than the default"),
    ("taper.too_fast", "{drug}: taper too short, withdrawal risk"),
    ("taper.rise", "{drug}: dose rises inside a taper"),
    ("stop.abrupt", "{drug}: abrupt stop, risk of dangerous withdrawal"),
    ("schedule.interruption", "{drug}: doses stop and restart, withdrawal risk"),
    ("schedule.gap", "{drug}: days without doses, withdrawal risk"),
    ("schedule.overlap", "{drug}: dosing steps overlap"),
    ("renal.unknown", "{drug}: kidney function unknown, kidney limits not checked"),
    ("renal.dialysis", "{drug}: the patient is on dialysis"),
    ("renal.avoid.", "{drug}: avoid at this kidney function"),
    ("renal.reduce.", "{drug}: reduce the dose for this kidney function"),
    ("renal.egfr.", "{drug}: kidney function too low for this medicine"),
    ("renal.encephalopathy_risk", "{drug}: encephalopathy risk at this start with low kidney function"),
    ("renal.inputs_disagree", "Kidney results disagree: the lowest is used"),
    ("age.older_adult", "{drug} in an older adult: start low, go slow"),
    ("age.beers_avoid", "{drug}: Beers criteria advise avoiding it at this age and kidney function"),
    ("age.below_label_age", "{drug}: below the labelled age"),
    ("co_medication.not_screened", "{drug}: some listed medicines were not screened"),
    ("co_medication.", "{drug}: another medicine raises its level, start lower and rise slower"),
    ("screening.not_screened", "Not screened by dosewise: {head}"),
    ("dispensing.unmakeable", "{drug}: a dose cannot be made from the products"),
    ("override.", "{drug}: clinician override recorded"),
    ("cds.not_assessed", "{drug}: not fully assessed ({head})"),
)

# DetectedIssue.code (HL7 v3 ActCode, the R4 detectedissue-category value set) by finding family.
_ISSUE_CODES: tuple[tuple[str, str, str], ...] = (
    ("interaction.", "DRG", "Drug Interaction Alert"),
    ("class_count.", "DRG", "Drug Interaction Alert"),
    ("duplicate", "DUPTHPY", "Duplicate Therapy Alert"),
    ("titration.too_fast_interval", "DOSEIVL", "Dose-Interval Alert"),
    ("limit.", "DOSEH", "High Dose Alert"),
    ("regimen.", "DOSEH", "High Dose Alert"),
    ("titration.", "DOSEH", "High Dose Alert"),
    ("taper.", "DOSEDUR", "Dose-Duration Alert"),
    ("stop.", "DOSEDUR", "Dose-Duration Alert"),
    ("schedule.", "DOSEDUR", "Dose-Duration Alert"),
    ("renal.", "DOSECOND", "Dosage-Condition Alert"),
    ("age.", "DOSECOND", "Dosage-Condition Alert"),
    ("co_medication.", "DRG", "Drug Interaction Alert"),
)


def indicator_for(severity: Severity) -> str:
    return _INDICATOR[severity]


def _prefixed(code: str, table: tuple[tuple[str, str], ...]) -> str | None:
    best = max(
        (item for item in table if code.startswith(item[0])), key=lambda item: len(item[0]), default=None
    )
    return best[1] if best else None


def summary_for(finding: Finding, drug: str) -> str:
    """A one-line summary under 140 characters; only the names are shortened, never the finding."""
    template = _prefixed(finding.code, _SUMMARIES) or "{drug}: {severity} finding ({code})"
    head = finding.message.split(":")[0].strip()
    for limit in (80, 50, 30):
        text = template.format(
            drug=_cut(drug, limit), head=_cut(head, limit), severity=finding.severity.value, code=finding.code
        )
        text = text[0].upper() + text[1:]
        if len(text) < SUMMARY_LIMIT:
            return text
    return _cut(text, SUMMARY_LIMIT - 1)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Suggestion:
    label: str
    actions: tuple[dict[str, Any], ...]
    recommended: bool = False
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "uuid": self.uuid, "actions": list(self.actions)}
        if self.recommended:
            out["isRecommended"] = True
        return out


@dataclass(frozen=True)
class Card:
    code: str
    summary: str
    detail: str
    indicator: str
    source_label: str
    source_url: str | None
    topic_display: str
    suggestions: tuple[Suggestion, ...] = ()
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))

    def to_json(self) -> dict[str, Any]:
        source: dict[str, Any] = {
            "label": self.source_label,
            "topic": {"system": FINDING_SYSTEM, "code": self.code, "display": self.topic_display},
        }
        if self.source_url:
            source["url"] = self.source_url
        out: dict[str, Any] = {
            "uuid": self.uuid,
            "summary": self.summary,
            "detail": self.detail,
            "indicator": self.indicator,
            "source": source,
            "overrideReasons": [
                {"system": OVERRIDE_SYSTEM, "code": code, "display": display}
                for code, display in OVERRIDE_REASONS
            ],
        }
        if self.suggestions:
            # Each suggestion stands alone (change the order, record the issue): any of them may be taken.
            out["suggestions"] = [s.to_json() for s in self.suggestions]
            out["selectionBehavior"] = "any"
        return out


def source_of(finding: Finding, kb: KnowledgeBase) -> tuple[str, str | None]:
    """(label, url): the knowledge-base version and the finding's first source."""
    first = kb.sources.get(finding.source_ids[0]) if finding.source_ids else None
    citation = first.citation if first else finding.source
    return f"dosewise knowledge base {finding.kb_version}: {citation}", (first.url if first else None)


def detected_issue(
    finding: Finding, *, indicator: str, patient_id: str, implicated: tuple[str, ...], identified: date
) -> dict[str, Any]:
    """The finding as an R4 DetectedIssue to create (status preliminary: the clinician has not decided)."""
    code = next(
        (item for item in sorted(_ISSUE_CODES, key=lambda i: -len(i[0])) if finding.code.startswith(item[0])),
        None,
    )
    issue: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "status": "preliminary",
        "severity": _ISSUE_SEVERITY[indicator],
        "patient": {"reference": f"Patient/{patient_id}"},
        "identifiedDateTime": identified.isoformat(),
        "detail": f"{finding.message} Source: {finding.source}. dosewise knowledge base {finding.kb_version}.",
    }
    concept: dict[str, Any] = {"text": finding.code}
    if code is not None:
        concept["coding"] = [{"system": ACT_CODE, "code": code[1], "display": code[2]}]
    issue["code"] = concept
    if implicated:
        issue["implicated"] = [{"reference": reference} for reference in implicated]
    return issue


def _dose_quantity(plan: Plan, index: int) -> dict[str, Any]:
    dose = plan.steps[index].dose
    unit = {"mg": "mg", "mcg": "ug"}[dose.unit.value]
    amount = dose.amount
    value: int | float = int(amount) if amount.denominator == 1 else float(format_amount(amount))
    return {"value": value, "unit": dose.unit.value, "system": UCUM, "code": unit}


def order_with_plan(order: dict[str, Any], plan: Plan, texts: tuple[str, ...]) -> dict[str, Any]:
    """The draft MedicationRequest, whole, with its dosage replaced by ``plan``: one sequenced Dosage per
    step (R4: different sequence numbers are taken one after the other), each with its own text."""
    updated = {key: value for key, value in order.items() if key not in ("dosageInstruction", "doNotPerform")}
    dosages = []
    for index, step in enumerate(plan.steps):
        last = index == len(plan.steps) - 1
        bounds: dict[str, Any] = {"start": step.start.isoformat()}
        if not (last and plan.then == "continue"):
            bounds["end"] = step.last_day.isoformat()
        dosages.append(
            {
                "sequence": index + 1,
                "text": texts[index],
                "timing": {
                    "repeat": {
                        "boundsPeriod": bounds,
                        "frequency": step.times_per_day,
                        "period": 1,
                        "periodUnit": "d",
                        "timeOfDay": [t.strftime("%H:%M:%S") for t in step.times],
                    }
                },
                "doseAndRate": [{"doseQuantity": _dose_quantity(plan, index)}],
            }
        )
    updated["dosageInstruction"] = dosages
    return updated
