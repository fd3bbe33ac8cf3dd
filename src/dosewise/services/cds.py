"""Use case: answer a CDS Hooks order-select or order-sign call with cards computed by the engine.

Nothing here is a rule. A draft order for a drug with dosing rules becomes a ``Plan`` and goes through the
plan checker (``planning.check``: limits with the kidney-adjusted ceiling, escalation, taper and stops,
interactions, duplicates, CNS-depressant load); any other ordered medicine goes through the list screen
(``screening.screen``). Each finding becomes one card. Where the engine can plan a safe alternative (the
titration or taper the planners make from the same facts, which its own checker passes), the card offers
it as an update of the draft, and every warning or critical card offers a DetectedIssue to create.

How an order is read (docs/cds-hooks.md): ``priorPrescription`` names the regimen it changes; an order for
a medicine already on the active list that is not linked to it is judged both ways, as a change from the
listed regimen (escalation, taper) and as an addition (duplicate, total daily dose). ``doNotPerform`` on
the drug the patient takes is a stop. A falling order whose last step ends is a taper that stops.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from itertools import pairwise
from typing import Literal, TypeVar

from dosewise.domain.assessment import assess, screen_co_medications
from dosewise.domain.errors import DosewiseError, InvalidInput
from dosewise.domain.findings import Finding, finding
from dosewise.domain.patient import Medication, Patient, SerumCreatinine, parse_creatinine_unit
from dosewise.domain.quantity import Quantity, Unit, format_limit, times_per_day_words
from dosewise.domain.regimen import Plan, PriorRegimen, Step, default_times
from dosewise.domain.rules import DrugRules, KnowledgeBase, Provenance, Severity
from dosewise.domain.screening import resolve
from dosewise.formats.cds_hooks.cards import (
    Card,
    Suggestion,
    detected_issue,
    indicator_for,
    order_with_plan,
    source_of,
    summary_for,
)
from dosewise.formats.cds_hooks.fhir_read import DosageStep, LabValue, MedicationOrder
from dosewise.formats.cds_hooks.request import HookRequest
from dosewise.services import planning, screening
from dosewise.services.plan_gate import BLOCKING

T = TypeVar("T")

__all__ = ["OPEN_ENDED_DAYS", "HookAnswer", "answer_hook"]

# An open-ended last step is given this length only so the plan has an end; no check reads the length
# of a last step that continues (nothing follows it), so the number changes no finding.
OPEN_ENDED_DAYS = 28

_RISING = frozenset(
    {
        "titration.high_start",
        "titration.too_fast_increment",
        "titration.too_fast_interval",
        "limit.above_label_max",
        "limit.above_renal_ceiling",
        "limit.max_single_dose",
    }
)
_FALLING = frozenset(
    {
        "stop.abrupt",
        "taper.too_fast",
        "taper.step_too_large",
        "taper.step_too_short",
        "schedule.gap",
        "schedule.interruption",
    }
)


@dataclass(frozen=True)
class HookAnswer:
    cards: tuple[Card, ...]
    kb_version: str

    def to_json(self) -> dict[str, object]:
        return {"cards": [card.to_json() for card in self.cards]}


@dataclass(frozen=True)
class _Facts:
    patient: Patient
    notes: tuple[str, ...]  # patient data that could not be used, in plain words
    used: str  # the patient data the checks used, for the card detail


def _lab_text(lab: LabValue) -> str:
    on = f" on {lab.on.isoformat()}" if lab.on else " (no date)"
    return f"{format_limit(lab.value)} {lab.unit}{on} (LOINC {lab.code})"


def _medication(order: MedicationOrder) -> Medication:
    first = order.dosages[0] if order.dosages else None
    dose = first.dose if first and first.dose and first.dose.unit.is_mass else None
    return Medication(order.query, dose, first.times_per_day if first else None)


def _plausible(check: Callable[[], Patient], value: T, notes: list[str]) -> T | None:
    """The value, or None (with a note) when the patient guards call it implausible."""
    try:
        check()
    except InvalidInput as error:
        notes.append(f"{error.message}: not used")
        return None
    return value


def _facts(request: HookRequest, medications: Iterable[MedicationOrder]) -> _Facts:
    notes: list[str] = []
    facts = request.patient
    age, sex = facts.age_years, facts.sex
    if facts.age_note:
        notes.append(facts.age_note)
    weight = None
    if request.weight is not None:
        if request.weight.unit == "kg":
            weight = request.weight.value
        else:
            notes.append(f"body weight in '{request.weight.unit}' was not used (kg or [lb_av] are read)")
    egfr = None
    if request.egfr is not None:
        if "ml/min" in request.egfr.unit.lower():
            egfr = request.egfr.value
        else:
            notes.append(f"eGFR in '{request.egfr.unit}' was not used (mL/min/1.73 m2 is read)")
    creatinine = None
    if request.creatinine is not None:
        try:
            creatinine = SerumCreatinine(
                request.creatinine.value, parse_creatinine_unit(request.creatinine.unit)
            )
        except InvalidInput as error:
            notes.append(f"creatinine was not used: {error.message}")
    age = _plausible(lambda: Patient(age_years=age), age, notes)
    weight = _plausible(lambda: Patient(weight_kg=weight), weight, notes)
    egfr = _plausible(lambda: Patient(egfr=egfr), egfr, notes)
    if creatinine is not None:
        missing = [n for n, v in (("age", age), ("sex", sex), ("weight", weight)) if v is None]
        if missing:
            notes.append(
                f"creatinine {format_limit(creatinine.value)} {creatinine.unit} was not used: Cockcroft-Gault "
                f"needs {', '.join(missing)}"
            )
            creatinine = None
    patient = Patient(
        age_years=age,
        sex=sex,
        weight_kg=weight,
        creatinine=creatinine,
        egfr=egfr,
        medications=tuple(_medication(order) for order in medications),
    )
    used = [
        f"age {patient.age_years}" if patient.age_years is not None else "age unknown",
        patient.sex or "sex unknown",
        f"weight {format_limit(weight)} kg"
        if patient.weight_kg is not None and weight is not None
        else "weight unknown",
        f"creatinine {_lab_text(request.creatinine)}"
        if creatinine and request.creatinine
        else "no creatinine used",
        f"eGFR {_lab_text(request.egfr)}" if patient.egfr is not None and request.egfr else "no eGFR used",
    ]
    return _Facts(patient, tuple(notes), "Patient data used: " + "; ".join(used) + ".")


# --------------------------------------------------------------------------------------- the order
def _mass(dose: Quantity, rules: DrugRules) -> Quantity:
    """The dose in the rules' unit; another unit (mcg for oral baclofen) is refused, never converted, as the
    planners refuse it: a mcg dose of oral baclofen is almost always an intrathecal dose misfiled."""
    if dose.unit is not Unit(rules.dose_unit):
        raise InvalidInput(
            f"a dose in {dose.unit.value} is not assessed for oral {rules.name}: give {rules.dose_unit}"
        )
    return dose


def _prior(order: MedicationOrder | None, rules: DrugRules) -> PriorRegimen | None:
    if order is None or not order.dosages:
        return None
    first = order.dosages[0]
    if first.dose is None or first.times_per_day is None or first.problems:
        return None
    try:
        return PriorRegimen(_mass(first.dose, rules), first.times_per_day)
    except InvalidInput:
        return None


def _steps(order: MedicationOrder, rules: DrugRules, today: date) -> tuple[list[Step], list[str]]:
    """The order's sequenced dosages as steps; concurrent dosages (one sequence) must be one regimen."""
    problems = list(order.problems)
    if not order.dosages:
        return [], ["no dose or frequency yet"]
    if order.problems:
        return [], list(order.problems)
    groups: dict[int, list[DosageStep]] = {}
    for position, dosage in enumerate(order.dosages):
        groups.setdefault(dosage.sequence if dosage.sequence is not None else position, []).append(dosage)
    steps: list[Step] = []
    start = order.authored_on or today
    ordered = [groups[key] for key in sorted(groups)]
    for index, group in enumerate(ordered):
        dosage = group[0]
        if len({g.dose for g in group}) > 1:
            problems.append("different doses within one day are not assessed")
            return [], problems
        if dosage.dose is None:
            problems.append("no dose yet")
            return [], problems
        count = sum(g.times_per_day or 0 for g in group) if len(group) > 1 else dosage.times_per_day
        if not count:
            problems.append("no frequency yet")
            return [], problems
        times = tuple(sorted({t for g in group for t in g.times})) or default_times(count)
        if len(times) != count:
            times = default_times(count)
        begin = dosage.start or start
        last = index == len(ordered) - 1
        days = dosage.days
        if days is None and not last:
            following = ordered[index + 1][0].start
            days = (following - begin).days if following and following > begin else None
            if days is None:
                problems.append(f"step {index + 1} has no length before the next step")
                return [], problems
        try:
            steps.append(Step(begin, days or OPEN_ENDED_DAYS, _mass(dosage.dose, rules), times))
        except DosewiseError as error:
            problems.append(error.message)
            return [], problems
        start = begin + timedelta(days=days or OPEN_ENDED_DAYS)
    if problems:
        return [], problems
    return steps, []


def _kind(
    steps: list[Step], prior: PriorRegimen | None
) -> Literal["titration", "taper", "maintenance", "custom"]:
    dailies = ([prior.daily] if prior else []) + [s.daily for s in steps]
    rises = any(b.amount > a.amount for a, b in pairwise(dailies))
    falls = any(b.amount < a.amount for a, b in pairwise(dailies))
    if falls and not rises:
        return "taper"
    if rises and not falls:
        return "titration"
    if not rises and not falls:
        return "titration" if prior is None else "maintenance"
    return "custom"


def _plan(
    order: MedicationOrder, rules: DrugRules, prior: PriorRegimen | None, kb: KnowledgeBase, today: date
) -> tuple[Plan | None, list[str]]:
    if order.do_not_perform:
        if prior is None:
            return None, ["an order not to give a medicine the patient is not listed as taking"]
        start = order.authored_on or today
        stop = Step(start, 1, Quantity(Fraction(0), prior.dose.unit), ())
        return Plan(rules.id, rules.route, (stop,), kb.version, kind="taper", then="stop", prior=prior), []
    steps, problems = _steps(order, rules, today)
    if not steps:
        return None, problems
    kind = _kind(steps, prior)
    bounded = order.dosages[-1].days is not None or steps[-1].dose.is_zero
    then: Literal["continue", "stop"] = "stop" if kind == "taper" and bounded else "continue"
    try:
        plan = Plan(rules.id, rules.route, tuple(steps), kb.version, kind=kind, then=then, prior=prior)
    except DosewiseError as error:
        return None, [error.message]
    return plan, []


# ------------------------------------------------------------------------------------- alternatives
def _step_text(step: Step, last: bool, then: str) -> str:
    span = (
        f"from {step.start.isoformat()}"
        if last and then == "continue"
        else (f"for {step.days} day{'s' if step.days != 1 else ''} from {step.start.isoformat()}")
    )
    return f"{step.dose} {times_per_day_words(step.times_per_day)} {span}"


def _alternative(
    kb: KnowledgeBase, plan: Plan, patient: Patient, codes: set[str]
) -> tuple[Plan, frozenset[str]] | None:
    """The planner's own plan from the same facts, when it clears what the draft got wrong."""
    rules = kb.drug(plan.drug)
    prior = plan.prior
    try:
        if codes & _FALLING and prior is not None:
            target = None if plan.then == "stop" else plan.steps[-1].daily
            alternative = planning.taper(
                kb=kb,
                drug=rules.id,
                start=plan.start,
                current_dose=prior.dose,
                current_times_per_day=prior.times_per_day,
                patient=patient,
                target_daily=target,
            )
        elif codes & _RISING:
            assessment = assess(rules, patient, kb.version, screen_co_medications(rules.id, patient, kb))
            wanted = max((s.daily for s in plan.steps), key=lambda q: q.amount)
            target = min(wanted, assessment.ceiling, key=lambda q: q.amount)
            times = plan.steps[-1].times_per_day
            if prior is not None and prior.daily > target:
                alternative = planning.taper(
                    kb=kb,
                    drug=rules.id,
                    start=plan.start,
                    current_dose=prior.dose,
                    current_times_per_day=prior.times_per_day,
                    patient=patient,
                    target_daily=target,
                )
            else:
                alternative = planning.titrate(
                    kb=kb,
                    drug=rules.id,
                    start=plan.start,
                    patient=patient,
                    target_daily=target,
                    times_per_day=times,
                    current=prior,
                )
        else:
            return None
    except DosewiseError:
        return None  # the planner refuses (an "avoid", an unmakeable dose): no alternative is offered
    left = {f.code for f in alternative.findings}
    if left & set(BLOCKING):
        return None
    fixed = frozenset(codes - left)
    return (alternative, fixed) if fixed else None


# ------------------------------------------------------------------------------------------ cards
@dataclass(frozen=True)
class _About:
    """What every card of one order shares."""

    kb: KnowledgeBase
    drug: str
    facts: _Facts
    request: HookRequest
    today: date
    implicated: tuple[str, ...]


def _card(item: Finding, about: _About, update: Suggestion | None = None) -> Card:
    kb, drug, facts, request, today = about.kb, about.drug, about.facts, about.request, about.today
    implicated = about.implicated
    indicator = indicator_for(item.severity)
    label, url = source_of(item, kb)
    detail = "\n\n".join(
        [
            item.message,
            f"**Source:** {item.source}",
            f"**Knowledge base:** dosewise {item.kb_version}",
            facts.used + (f" Not used: {'; '.join(facts.notes)}." if facts.notes else ""),
        ]
    )
    suggestions: list[Suggestion] = [update] if update is not None else []
    if indicator != "info":
        issue = detected_issue(
            item, indicator=indicator, patient_id=request.patient_id, implicated=implicated, identified=today
        )
        suggestions.append(
            Suggestion(
                "Record this as a detected issue",
                (
                    {
                        "type": "create",
                        "description": f"Create a DetectedIssue: {summary_for(item, drug)}",
                        "resource": issue,
                    },
                ),
            )
        )
    return Card(
        code=item.code,
        summary=summary_for(item, drug),
        detail=detail,
        indicator=indicator,
        source_label=label,
        source_url=url,
        topic_display=item.code,
        suggestions=tuple(suggestions),
    )


def _not_assessed(
    problems: list[str], severity: Severity, provenance: Provenance, kb: KnowledgeBase
) -> Finding:
    return finding(
        severity,
        "cds.not_assessed",
        f"{'; '.join(problems)}: dose limits, escalation and taper were not checked for this order.",
        "",
        provenance,
        kb.version,
    )


def _screen_findings(
    kb: KnowledgeBase, order: MedicationOrder, listed: tuple[Medication, ...]
) -> list[Finding]:
    report = screening.screen(kb=kb, names=[m.name for m in listed], planned=order.query)
    out = [i.to_finding(kb.version) for i in report.interactions]
    out += list(report.duplicates) + list(report.class_counts)
    unknown = [r.query for r in report.unscreened]
    if unknown and report.planned is not None and report.planned.ingredient is not None:
        out.append(
            finding(
                Severity.INFO,
                "screening.not_screened",
                f"{', '.join(unknown)}: not in the knowledge base's dictionary, so not screened with "
                f"{report.planned.ingredient.name}.",
                "",
                report.planned.ingredient.provenance,
                kb.version,
            )
        )
    return out


def _order_cards(kb: KnowledgeBase, request: HookRequest, order: MedicationOrder, today: date) -> list[Card]:
    resolution = resolve(order.query, kb)
    context = [o for o in (*request.listed, *request.other_drafts) if o is not order]
    if resolution.ingredient is None:
        return []  # a medicine dosewise does not know is reported below, once, for the whole call
    ingredient = resolution.ingredient
    rules = kb.drugs.get(ingredient.id) if not resolution.components else None
    linked = next(
        (o for o in context if order.prior_prescription and o.reference == order.prior_prescription), None
    )
    same = [o for o in request.listed if resolve(o.query, kb).ingredient is ingredient]
    prior_order = linked or (same[0] if len(same) == 1 else None)
    # The regimen this order replaces is not also on the list beside it.
    listed = tuple(o for o in context if o is not linked)
    facts = _facts(request, listed)
    implicated = tuple(r for r in (order.reference, prior_order.reference if prior_order else None) if r)
    about = _About(kb, order.label, facts, request, today, implicated)
    if rules is None:
        return [_card(f, about) for f in _screen_findings(kb, order, facts.patient.medications)]
    prior = _prior(prior_order, rules)
    plan, problems = _plan(order, rules, prior, kb, today)
    if plan is None:
        severity = Severity.INFO if request.hook == "order-select" else Severity.MODERATE
        found = _screen_findings(kb, order, facts.patient.medications)
        found.append(_not_assessed(problems, severity, rules.provenance, kb))
        return [_card(f, about) for f in found]
    checked = planning.check(kb=kb, plan=plan, patient=facts.patient)
    alternative = _alternative(kb, checked, facts.patient, {f.code for f in checked.findings})
    cards = []
    for item in checked.findings:
        update = None
        if alternative is not None and item.code in alternative[1]:
            better = alternative[0]
            texts = tuple(
                _step_text(s, i == len(better.steps) - 1, better.then) for i, s in enumerate(better.steps)
            )
            update = Suggestion(
                f"Use the dosewise {better.kind}: {texts[0]}"
                + (f", then {len(texts) - 1} more step(s)" if len(texts) > 1 else ""),
                (
                    {
                        "type": "update",
                        "description": f"Replace this order's dosage with the {better.kind} dosewise planned: "
                        + "; ".join(texts),
                        "resource": order_with_plan(order.resource, better, texts),
                    },
                ),
                recommended=True,
            )
        cards.append(_card(item, about, update))
    return cards


def answer_hook(*, kb: KnowledgeBase, request: HookRequest, today: date) -> HookAnswer:
    """Cards for the orders in focus, most urgent first; the same finding is carded once."""
    cards: list[Card] = []
    for order in request.focus:
        cards.extend(_order_cards(kb, request, order, today))
    unknown = [o.label for o in request.focus if resolve(o.query, kb).ingredient is None]
    if unknown:
        cards.append(
            Card(
                code="screening.not_screened",
                summary=summary_for(
                    Finding(
                        Severity.INFO, "screening.not_screened", ", ".join(unknown), "", "", (), kb.version
                    ),
                    "",
                ),
                detail=f"{', '.join(unknown)}: not in dosewise's dictionary (knowledge base {kb.version}), so not "
                "screened for interactions, duplicates or dose limits. This is not a finding that it is safe."
                f"\n\n**Knowledge base:** dosewise {kb.version}",
                indicator="info",
                source_label=f"dosewise knowledge base {kb.version}: dictionary",
                source_url=None,
                topic_display="screening.not_screened",
            )
        )
    unique: dict[tuple[str, str], Card] = {}
    for card in cards:
        unique.setdefault((card.code, card.detail.split("\n\n")[0]), card)
    rank = {"critical": 0, "warning": 1, "info": 2}
    return HookAnswer(tuple(sorted(unique.values(), key=lambda c: rank[c.indicator])), kb.version)
