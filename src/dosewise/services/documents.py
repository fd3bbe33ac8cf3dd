"""The plan document and the patient file: one format read and written everywhere.

A plan document is what ``dosewise plan ... --json`` prints, what ``check``, ``missed``, ``simulate`` and
the exports read back, and what a person can write by hand (times and daily totals may be left out; the
planner's defaults fill the times, and a written daily total must agree with dose x times).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date
from fractions import Fraction
from typing import Any, Literal, cast

from dosewise.domain.dispensing import TakeInstruction, dispense_totals, take_for_dose
from dosewise.domain.errors import DosewiseError, InvalidInput
from dosewise.domain.findings import Finding
from dosewise.domain.patient import Medication, Patient, SerumCreatinine, parse_creatinine_unit
from dosewise.domain.planning import validate_overrides
from dosewise.domain.quantity import Quantity, Unit, parse_amount, parse_quantity
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

__all__ = [
    "PLAN_FORMAT",
    "patient_from_document",
    "plan_from_document",
    "plan_to_document",
    "quantity_from_json",
    "take_to_json",
]

PLAN_FORMAT = "dosewise.plan/1"
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
_PATIENT_KEYS = {
    "age",
    "sex",
    "weight_kg",
    "serum_creatinine",
    "creatinine",
    "crcl_ml_min",
    "egfr",
    "dialysis",
    "timezone",
    "medications",
    "name",
}


def quantity_from_json(value: object, where: str, *, allowed: tuple[Unit, ...] | None = None) -> Quantity:
    """Accept {"value": "5", "unit": "mg"} or "5 mg"; refuse bare numbers (a dose always has a unit)."""
    if isinstance(value, Mapping):
        if set(value) - {"value", "unit"} or "value" not in value or "unit" not in value:
            raise InvalidInput(f"{where}: a quantity is {{'value': ..., 'unit': ...}}")
        raw = value["value"]
        if isinstance(raw, float):
            raw = repr(raw)
        return parse_quantity(f"{raw} {value['unit']}", allowed=allowed)
    if isinstance(value, str):
        return parse_quantity(value, allowed=allowed)
    raise InvalidInput(f"{where}: '{value}' has no unit", hint='write e.g. "10 mg"')


def _date(value: object, where: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInput(f"{where}: '{value}' is not a date (YYYY-MM-DD)") from exc


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
    if not isinstance(days, int) or isinstance(days, bool):
        raise InvalidInput(f"{where}: 'days' must be a whole number")
    if "times" in raw:
        times = tuple(parse_clock_time(str(t)) for t in raw["times"])
        if "times_per_day" in raw and raw["times_per_day"] != len(times):
            raise InvalidInput(f"{where}: times_per_day {raw['times_per_day']} but {len(times)} times listed")
    elif "times_per_day" in raw:
        times = default_times(int(raw["times_per_day"])) if not dose.is_zero else ()
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
        Override(str(o.get("code", "")), str(o.get("reason", "")), str(o.get("by", "")))
        for o in document.get("overrides", [])
    )
    validate_overrides(overrides)
    then = document.get("then", "continue")
    if then not in ("continue", "stop"):
        raise InvalidInput("plan: 'then' is 'continue' or 'stop'")
    kind = document.get("kind", "custom")
    if kind not in ("titration", "taper", "maintenance", "custom"):
        raise InvalidInput("plan: unknown 'kind'")
    products = tuple(str(p) for p in document.get("products", []))
    confirmed_scored = tuple(str(p) for p in document.get("confirmed_scored", []))
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
        kb_version=str(document.get("kb_version", kb.version)),
        timezone=str(document.get("timezone", "UTC")),
        kind=cast(Literal["titration", "taper", "maintenance", "custom"], kind),
        then=cast(Literal["continue", "stop"], then),
        products=products,
        confirmed_scored=confirmed_scored,
        prior=prior,
        overrides=overrides,
        findings=tuple(_finding_from_json(f) for f in document.get("findings", [])),
        notes=tuple(str(n) for n in document.get("notes", [])),
    )


def _prior_from_json(raw: object, unit: Unit) -> PriorRegimen:
    """{"dose": {"value": "20", "unit": "mg"}, "times_per_day": 4}: what was taken before the plan."""
    if not isinstance(raw, Mapping) or set(raw) != {"dose", "times_per_day"}:
        raise InvalidInput("plan: 'prior' is {'dose': ..., 'times_per_day': N}")
    dose = quantity_from_json(raw["dose"], "prior dose", allowed=(Unit.MG, Unit.MCG))
    if dose.unit is not unit:
        raise InvalidInput(f"plan: the prior dose is in {dose.unit.value}, the plan in {unit.value}")
    per_day = raw["times_per_day"]
    if not isinstance(per_day, int) or isinstance(per_day, bool):
        raise InvalidInput("plan: the prior 'times_per_day' is a whole number")
    return PriorRegimen(dose, per_day)


def _finding_from_json(raw: Mapping[str, Any]) -> Finding:
    return Finding(
        severity=Severity(raw.get("severity", "info")),
        code=str(raw.get("code", "")),
        message=str(raw.get("message", "")),
        patient_message=str(raw.get("patient_message", "")),
        source=str(raw.get("source", "")),
        source_ids=tuple(raw.get("source_ids", ())),
        kb_version=str(raw.get("kb_version", "")),
        step_index=raw.get("step"),
    )


def take_to_json(take: TakeInstruction) -> list[dict[str, Any]]:
    return [part.to_json() for part in take.parts]


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
        if not step.dose.is_zero:
            try:
                take = take_for_dose(step.dose, rules, plan.products, confirmed_scored=plan.confirmed_scored)
                entry["take"] = take_to_json(take)
                entry["label"] = take.describe(step.times_per_day)
            except DosewiseError as exc:
                entry["take"] = []
                entry["label"] = f"cannot be made from the chosen products: {exc.message}"
        else:
            entry["take"] = []
            entry["label"] = "no dose"
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


def _fraction(value: object, where: str) -> Fraction:
    if isinstance(value, bool):
        raise InvalidInput(f"{where}: not a number")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(repr(value))
    if isinstance(value, str):
        return parse_amount(value)
    raise InvalidInput(f"{where}: '{value}' is not a number")


def patient_from_document(document: Mapping[str, Any]) -> Patient:
    """Read a patient file (already parsed from TOML or JSON)."""
    unknown = set(document) - _PATIENT_KEYS
    if unknown:
        raise InvalidInput(f"patient: unknown fields {sorted(unknown)}")
    creatinine = None
    raw_scr = document.get("serum_creatinine", document.get("creatinine"))
    if raw_scr is not None:
        if not isinstance(raw_scr, Mapping) or "value" not in raw_scr or "unit" not in raw_scr:
            raise InvalidInput(
                'patient: serum_creatinine is {value = ..., unit = "mg/dL" or "umol/L"}',
                hint="a creatinine without its unit is refused: 1.2 mg/dL and 106 umol/L are the same value",
            )
        creatinine = SerumCreatinine(
            _fraction(raw_scr["value"], "serum_creatinine"), parse_creatinine_unit(str(raw_scr["unit"]))
        )
    sex = document.get("sex")
    if sex is not None:
        sex = str(sex).lower()
        sex = {"f": "female", "m": "male"}.get(sex, sex)
        if sex not in ("female", "male"):
            raise InvalidInput("patient: sex is 'female' or 'male' (used by Cockcroft-Gault)")
    medications = []
    for item in document.get("medications", []):
        if isinstance(item, str):
            medications.append(Medication(item))
        elif isinstance(item, Mapping) and "name" in item:
            dose = quantity_from_json(item["dose"], f"medication {item['name']}") if "dose" in item else None
            medications.append(Medication(str(item["name"]), dose, item.get("times_per_day")))
        else:
            raise InvalidInput(f"patient: medication '{item}' needs a name")
    age = document.get("age")
    if age is not None and (not isinstance(age, int) or isinstance(age, bool)):
        raise InvalidInput("patient: age is a whole number of years")
    return Patient(
        age_years=age,
        sex=cast(Literal["female", "male"] | None, sex),
        weight_kg=_fraction(document["weight_kg"], "weight_kg") if "weight_kg" in document else None,
        creatinine=creatinine,
        crcl_ml_min=_fraction(document["crcl_ml_min"], "crcl_ml_min") if "crcl_ml_min" in document else None,
        egfr=_fraction(document["egfr"], "egfr") if "egfr" in document else None,
        dialysis=bool(document.get("dialysis", False)),
        timezone=str(document.get("timezone", "UTC")),
        medications=tuple(medications),
    )
