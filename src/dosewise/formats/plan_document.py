"""The plan document (``format: dosewise.plan/1``): its reader and its writer.

A plan document is what ``dosewise plan ... --json`` prints, what ``check``, ``missed``, ``simulate`` and
the exports read back, what the database stores for each plan version, and what a person can write by
hand (times and daily totals may be left out; the planner's defaults fill the times, and a written daily
total must agree with dose x times). The document is a format: everything above the adapters holds the
domain :class:`~dosewise.domain.regimen.Plan`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, timedelta
from typing import Any, Literal, cast

from dosewise.domain.dispensing import TakeInstruction, dispense_totals, take_for_dose
from dosewise.domain.errors import DosewiseError, InvalidInput
from dosewise.domain.findings import Finding
from dosewise.domain.planning import validate_overrides
from dosewise.domain.quantity import Unit
from dosewise.domain.regimen import (
    Override,
    Plan,
    PriorRegimen,
    Step,
    administrations,
    default_times,
    parse_clock_time,
)
from dosewise.domain.rules import DrugRules, KnowledgeBase, Severity
from dosewise.formats.reading import (
    DATE_RANGE,
    quantity_from_json,
    read_date,
    read_int,
    read_list,
    read_text,
    read_zone,
)

__all__ = [
    "MAX_STEP_DAYS",
    "PLAN_FORMAT",
    "plan_from_document",
    "plan_to_document",
    "step_labels",
    "take_to_json",
]

PLAN_FORMAT = "dosewise.plan/1"
# Input guard (dosewise policy, not a clinical number): no step of a real plan lasts ten years.
MAX_STEP_DAYS = 3660
_PLAN_KEYS = {
    "format",
    "drug",
    "route",
    "kb_version",
    "kind",
    "timezone",
    "then",
    "products",
    "confirmed_scored",
    "prior",
    "steps",
    "findings",
    "overrides",
    "notes",
    "dispense",
}
_STEP_KEYS = {"start", "days", "dose", "times_per_day", "times", "daily", "take", "end", "label"}


def _date(value: object, where: str) -> date:
    return read_date(value, where)


def _step_from_json(raw: Mapping[str, Any], index: int, previous_end: date | None) -> Step:
    where = f"step {index + 1}"
    unknown = set(raw) - _STEP_KEYS
    if unknown:
        raise InvalidInput(f"{where}: unknown fields {sorted(unknown)}")
    if "dose" not in raw:
        raise InvalidInput(f"{where}: 'dose' is required")
    dose = quantity_from_json(raw["dose"], f"{where} dose", allowed=(Unit.MG, Unit.MCG))
    if "start" in raw:
        start = _date(raw["start"], f"{where} start")
    elif previous_end is not None:
        start = previous_end
    else:
        raise InvalidInput(f"{where}: the first step needs a 'start' date")
    days = raw.get("days")
    if days is None and "end" in raw:
        days = (_date(raw["end"], f"{where} end") - start).days + 1
    if days is None:
        raise InvalidInput(f"{where}: give 'days' or 'end'")
    days = read_int(days, f"{where} days", low=1, high=MAX_STEP_DAYS)
    if start + timedelta(days=days) > DATE_RANGE[1]:
        raise InvalidInput(f"{where}: ends after {DATE_RANGE[1].year}, which is not a plausible plan")
    if "times" in raw:
        times = tuple(
            parse_clock_time(read_text(t, f"{where} time")) for t in read_list(raw["times"], f"{where} times")
        )
        if "times_per_day" in raw and read_int(raw["times_per_day"], f"{where} times_per_day") != len(times):
            raise InvalidInput(f"{where}: times_per_day {raw['times_per_day']} but {len(times)} times listed")
    elif "times_per_day" in raw:
        per_day = read_int(raw["times_per_day"], f"{where} times_per_day")
        times = default_times(per_day) if not dose.is_zero else ()
    else:
        raise InvalidInput(f"{where}: give 'times_per_day' or 'times'")
    step = Step(start, days, dose, times)
    if "daily" in raw:
        daily = quantity_from_json(raw["daily"], f"{where} daily", allowed=(Unit.MG, Unit.MCG))
        if daily.to(dose.unit) != step.daily:
            raise InvalidInput(f"{where}: daily {daily} does not equal {dose} x {len(times)} = {step.daily}")
    return step


def plan_from_document(document: Mapping[str, Any], kb: KnowledgeBase) -> Plan:
    """Read a plan document (generated or hand-written); refuse anything ambiguous."""
    if not isinstance(document, Mapping):
        raise InvalidInput("a plan document is a JSON object")
    unknown = set(document) - _PLAN_KEYS
    if unknown:
        raise InvalidInput(f"plan: unknown fields {sorted(unknown)}")
    fmt = document.get("format", PLAN_FORMAT)
    if fmt != PLAN_FORMAT:
        raise InvalidInput(f"plan format '{fmt}' is not supported (expected {PLAN_FORMAT})")
    drug_name = document.get("drug")
    if not isinstance(drug_name, str):
        raise InvalidInput("plan: 'drug' is required")
    rules = kb.drug(drug_name)
    raw_steps = document.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise InvalidInput("plan: 'steps' must be a non-empty list")
    steps: list[Step] = []
    for index, raw in enumerate(raw_steps):
        if not isinstance(raw, Mapping):
            raise InvalidInput(f"step {index + 1}: a step is an object")
        steps.append(_step_from_json(raw, index, steps[-1].end if steps else None))
    unit = Unit(rules.dose_unit)
    for index, step in enumerate(steps):
        if step.dose.unit is not unit:
            raise InvalidInput(
                f"step {index + 1}: {rules.name} ({rules.route}) is dosed in {unit.value}, not {step.dose.unit.value}"
            )
    overrides = tuple(
        _override_from_json(o) for o in read_list(document.get("overrides", []), "plan overrides")
    )
    validate_overrides(overrides)
    then = document.get("then", "continue")
    if then not in ("continue", "stop"):
        raise InvalidInput("plan: 'then' is 'continue' or 'stop'")
    kind = document.get("kind", "custom")
    if kind not in ("titration", "taper", "maintenance", "custom"):
        raise InvalidInput("plan: unknown 'kind'")
    products = tuple(
        read_text(p, "plan product") for p in read_list(document.get("products", []), "plan products")
    )
    confirmed_scored = tuple(
        read_text(p, "plan confirmed_scored product")
        for p in read_list(document.get("confirmed_scored", []), "plan confirmed_scored")
    )
    for product_id in (*products, *confirmed_scored):
        try:
            rules.product(product_id)
        except KeyError as exc:
            raise InvalidInput(f"plan: unknown product '{product_id}' for {rules.name}") from exc
    prior = _prior_from_json(document["prior"], unit) if "prior" in document else None
    return Plan(
        drug=rules.id,
        route=rules.route,
        steps=tuple(steps),
        kb_version=read_text(document.get("kb_version", kb.version), "plan kb_version"),
        timezone=read_zone(document.get("timezone", "UTC"), "plan timezone"),
        kind=cast(Literal["titration", "taper", "maintenance", "custom"], kind),
        then=cast(Literal["continue", "stop"], then),
        products=products,
        confirmed_scored=confirmed_scored,
        prior=prior,
        overrides=overrides,
        findings=tuple(
            _finding_from_json(f) for f in read_list(document.get("findings", []), "plan findings")
        ),
        notes=tuple(read_text(n, "plan note") for n in read_list(document.get("notes", []), "plan notes")),
    )


def _prior_from_json(raw: object, unit: Unit) -> PriorRegimen:
    """{"dose": {"value": "20", "unit": "mg"}, "times_per_day": 4}: what was taken before the plan."""
    if not isinstance(raw, Mapping) or set(raw) != {"dose", "times_per_day"}:
        raise InvalidInput("plan: 'prior' is {'dose': ..., 'times_per_day': N}")
    dose = quantity_from_json(raw["dose"], "prior dose", allowed=(Unit.MG, Unit.MCG))
    if dose.unit is not unit:
        raise InvalidInput(f"plan: the prior dose is in {dose.unit.value}, the plan in {unit.value}")
    per_day = read_int(raw["times_per_day"], "plan: the prior 'times_per_day'", low=1, high=6)
    return PriorRegimen(dose, per_day)


def _override_from_json(raw: object) -> Override:
    if not isinstance(raw, Mapping):
        raise InvalidInput("plan: an override is {'code': ..., 'reason': ..., 'by': ...}")
    return Override(
        read_text(raw.get("code", ""), "override code"),
        read_text(raw.get("reason", ""), "override reason"),
        read_text(raw.get("by", ""), "override by"),
    )


def _finding_from_json(raw: object) -> Finding:
    if not isinstance(raw, Mapping):
        raise InvalidInput("plan: a finding is an object")
    severity = read_text(raw.get("severity", "info"), "finding severity")
    try:
        level = Severity(severity)
    except ValueError as exc:
        raise InvalidInput(
            f"finding severity '{severity[:40]}' is not one of info, minor, moderate, major"
        ) from exc
    step = raw.get("step")
    return Finding(
        severity=level,
        code=read_text(raw.get("code", ""), "finding code"),
        message=read_text(raw.get("message", ""), "finding message"),
        patient_message=read_text(raw.get("patient_message", ""), "finding patient_message"),
        source=read_text(raw.get("source", ""), "finding source"),
        source_ids=tuple(
            read_text(i, "finding source id")
            for i in read_list(raw.get("source_ids", []), "finding source_ids")
        ),
        kb_version=read_text(raw.get("kb_version", ""), "finding kb_version"),
        step_index=None if step is None else read_int(step, "finding step", low=0),
    )


def take_to_json(take: TakeInstruction) -> list[dict[str, Any]]:
    return [part.to_json() for part in take.parts]


def _take(step: Step, plan: Plan, rules: DrugRules) -> tuple[TakeInstruction | None, str]:
    """What to take at each dose of a step, and its words (the document's ``label``)."""
    if step.dose.is_zero:
        return None, "no dose"
    try:
        take = take_for_dose(step.dose, rules, plan.products, confirmed_scored=plan.confirmed_scored)
    except DosewiseError as exc:
        return None, f"cannot be made from the chosen products: {exc.message}"
    return take, take.describe(step.times_per_day)


def step_labels(plan: Plan, rules: DrugRules) -> tuple[str, ...]:
    """Each step's ``label`` ("1 tablet of 10 mg three times a day"), from these rules' products."""
    return tuple(_take(step, plan, rules)[1] for step in plan.steps)


def plan_to_document(plan: Plan, rules: DrugRules) -> dict[str, Any]:
    """The plan as its document, with what to take at each step from the plan's products."""
    steps = []
    for step in plan.steps:
        entry: dict[str, Any] = {
            "start": step.start.isoformat(),
            "end": step.last_day.isoformat(),
            "days": step.days,
            "dose": step.dose.to_json(),
            "times_per_day": step.times_per_day,
            "times": [t.strftime("%H:%M") for t in step.times],
            "daily": step.daily.to_json(),
        }
        take, entry["label"] = _take(step, plan, rules)
        entry["take"] = take_to_json(take) if take is not None else []
        steps.append(entry)
    try:
        lines = dispense_totals(
            administrations(plan, UTC), rules, plan.products, confirmed_scored=plan.confirmed_scored
        )
        dispense = [line.to_json() for line in lines]
    except DosewiseError:
        dispense = []
    document: dict[str, Any] = {
        "format": PLAN_FORMAT,
        "drug": plan.drug,
        "route": plan.route,
        "kb_version": plan.kb_version,
        "kind": plan.kind,
        "timezone": plan.timezone,
        "then": plan.then,
        "products": list(plan.products),
        "steps": steps,
        "overrides": [{"code": o.code, "reason": o.reason, "by": o.by} for o in plan.overrides],
        "findings": [f.to_json() for f in plan.findings],
        "notes": list(plan.notes),
        "dispense": dispense,
    }
    if plan.confirmed_scored:  # optional: documents without halves stay exactly as before
        document["confirmed_scored"] = list(plan.confirmed_scored)
    if plan.prior is not None:
        document["prior"] = {"dose": plan.prior.dose.to_json(), "times_per_day": plan.prior.times_per_day}
    return document
