"""The plan document and the patient file: one format read and written everywhere.

A plan document is what ``dosewise plan ... --json`` prints, what ``check``, ``missed``, ``simulate`` and
the exports read back, and what a person can write by hand (times and daily totals may be left out; the
planner's defaults fill the times, and a written daily total must agree with dose x times).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal, cast

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
from dosewise.services.document_input import (
    DATE_RANGE,
    read_bool,
    read_date,
    read_datetime,
    read_int,
    read_list,
    read_number,
    read_text,
    read_zone,
)

__all__ = [
    "MAX_HISTORY_DAYS",
    "MAX_STEP_DAYS",
    "PLAN_FORMAT",
    "history_from_document",
    "patient_from_document",
    "plan_from_document",
    "plan_to_document",
    "quantity_from_json",
    "take_to_json",
]

PLAN_FORMAT = "dosewise.plan/1"
# Input guards (dosewise policy, not clinical numbers): no step of a real plan lasts ten years, and a
# dose history for the simulator covers at most a year (longer is a typing error in a date).
MAX_STEP_DAYS = 3660
MAX_HISTORY_DAYS = 366
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
        unit = read_text(value["unit"], f"{where} unit")
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise InvalidInput(f"{where}: the value '{raw}' is not a number")
        if not isinstance(raw, str):
            read_number(raw, f"{where} value")  # finite, not a boolean
        amount = repr(raw) if isinstance(raw, float) else str(raw)
        return parse_quantity(f"{amount} {unit}", allowed=allowed)
    if isinstance(value, str):
        return parse_quantity(value, allowed=allowed)
    raise InvalidInput(f"{where}: '{value}' has no unit", hint='write e.g. "10 mg"')


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


def patient_from_document(document: Mapping[str, Any]) -> Patient:
    """Read a patient file (already parsed from TOML or JSON); every field is type-checked.

    Numbers are numbers (not strings, not booleans: true is not 1), finite; dialysis is true or false
    (the string "no" is refused, not read as true); the time zone must be one the system knows.
    """
    if not isinstance(document, Mapping):
        raise InvalidInput("a patient file is an object")
    unknown = set(document) - _PATIENT_KEYS
    if unknown:
        raise InvalidInput(f"patient: unknown fields {sorted(map(str, unknown))}")
    if "serum_creatinine" in document and "creatinine" in document:
        raise InvalidInput("patient: give serum_creatinine once (both 'serum_creatinine' and 'creatinine')")
    creatinine = None
    raw_scr = document.get("serum_creatinine", document.get("creatinine"))
    if raw_scr is not None:
        if not isinstance(raw_scr, Mapping) or "value" not in raw_scr or "unit" not in raw_scr:
            raise InvalidInput(
                'patient: serum_creatinine is {value = ..., unit = "mg/dL" or "umol/L"}',
                hint="a creatinine without its unit is refused: 1.2 mg/dL and 106 umol/L are the same value",
            )
        creatinine = SerumCreatinine(
            _lab_value(raw_scr["value"], "patient serum_creatinine value"),
            parse_creatinine_unit(read_text(raw_scr["unit"], "patient serum_creatinine unit")),
        )
    sex = document.get("sex")
    if sex is not None:
        sex = read_text(sex, "patient sex").strip().lower()
        sex = {"f": "female", "m": "male"}.get(sex, sex)
        if sex not in ("female", "male"):
            raise InvalidInput("patient: sex is 'female' or 'male' (used by Cockcroft-Gault)")
    medications = [
        _medication(item) for item in read_list(document.get("medications", []), "patient medications")
    ]
    age = document.get("age")
    if age is not None:
        age = read_int(age, "patient age (whole years)")

    def number(key: str) -> Fraction | None:
        return read_number(document[key], f"patient {key}") if document.get(key) is not None else None

    return Patient(
        age_years=age,
        sex=cast(Literal["female", "male"] | None, sex),
        weight_kg=number("weight_kg"),
        creatinine=creatinine,
        crcl_ml_min=number("crcl_ml_min"),
        egfr=number("egfr"),
        dialysis=read_bool(document.get("dialysis", False), "patient dialysis"),
        timezone=read_zone(document.get("timezone", "UTC"), "patient timezone"),
        medications=tuple(medications),
    )


def _lab_value(value: object, where: str) -> Fraction:
    """A {value, unit} result: a number, or decimal text as in the plan format's quantities ("1.2")."""
    if isinstance(value, str):
        return parse_amount(value)
    return read_number(value, where)


def _medication(item: object) -> Medication:
    if isinstance(item, str):
        return Medication(item)
    if isinstance(item, Mapping) and "name" in item:
        name = read_text(item["name"], "medication name")
        dose = (
            quantity_from_json(item["dose"], f"medication {name}") if item.get("dose") is not None else None
        )
        per_day = item.get("times_per_day")
        if per_day is not None:
            per_day = read_int(per_day, f"medication {name} times_per_day", low=1, high=24)
        return Medication(name, dose, per_day)
    raise InvalidInput(f"patient: medication '{str(item)[:60]}' needs a name")


if TYPE_CHECKING:
    from dosewise.domain.pk import DoseEvent


def history_from_document(document: Mapping[str, Any]) -> tuple[list[DoseEvent], str]:
    """A dose history {timezone, doses: [{at, dose, note?}]}: times carry their UTC offset."""
    # domain.pk brings numpy: imported here so that every other command that reads a document stays light.
    from dosewise.domain.pk import DoseEvent as PkDose

    if not isinstance(document, Mapping):
        raise InvalidInput("a dose history is an object")
    unknown = set(document) - {"timezone", "doses", "drug"}
    if unknown:
        raise InvalidInput(f"history: unknown fields {sorted(map(str, unknown))}")
    zone = read_zone(document.get("timezone", "UTC"), "history timezone")
    raw = read_list(document.get("doses"), "history 'doses'")
    if not raw:
        raise InvalidInput("history: 'doses' must be a non-empty list of {at, dose}")
    events = []
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping) or "at" not in item or "dose" not in item:
            raise InvalidInput(f"history dose {index}: needs 'at' (ISO time with offset) and 'dose'")
        if set(item) - {"at", "dose", "note"}:
            raise InvalidInput(
                f"history dose {index}: unknown fields {sorted(map(str, set(item) - {'at', 'dose', 'note'}))}"
            )
        at = read_datetime(item["at"], f"history dose {index} 'at'")
        dose = quantity_from_json(item["dose"], f"history dose {index}", allowed=(Unit.MG, Unit.MCG))
        if dose.amount <= 0:
            raise InvalidInput(f"history dose {index}: a dose taken is more than zero (got {dose})")
        events.append(PkDose(at, dose, read_text(item.get("note", ""), f"history dose {index} note")))
    moments = [event.at for event in events]
    if max(moments) - min(moments) > timedelta(days=MAX_HISTORY_DAYS):
        raise InvalidInput(
            f"history: the doses span more than {MAX_HISTORY_DAYS} days ({min(moments).date()} to "
            f"{max(moments).date()})",
            hint="check the years of the dates; simulate a year or less at a time",
        )
    return events, zone
