"""A plan as R4 MedicationRequest resources, and MedicationRequests back into a plan.

Two shapes are written: one MedicationRequest with one sequenced ``dosageInstruction`` per step, or
(``per_step``) one MedicationRequest per step chained by ``priorPrescription`` under a shared
``groupIdentifier``, for consumers that read only ``dosageInstruction[0]``. A plan that continues after
its last step ends with an open-ended Dosage (a period with a start only) that repeats the last dose.
What FHIR has no element for (the plan's kind, products, the prior regimen, clinician overrides, the
knowledge-base version, the time zone of the clock times) travels in one dosewise extension, so that a
dosewise export reads back into the same plan; the overrides and notes are also written as plain notes.

``intent`` is always ``plan``: dosewise is not a prescriber, the order itself lives in the prescriber's
system. ``status`` is what the caller knows (the record knows whether its plan is active or on hold; a
plan file on its own does not, and says ``unknown``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dosewise.domain.dispensing import take_for_dose
from dosewise.domain.errors import DosewiseError, InvalidInput
from dosewise.domain.planning import validate_overrides
from dosewise.domain.quantity import Unit, times_per_day_words
from dosewise.domain.regimen import Override, Plan, PriorRegimen, Step
from dosewise.domain.rules import DrugRules, Ingredient, KnowledgeBase
from dosewise.domain.screening import resolve

from .codes import (
    EXT_PLAN,
    IDENTIFIER_SYSTEMS,
    RXNORM,
    FhirUnsupported,
    clean_strings,
    dose_quantity,
    ingredient_coding,
    quantity_from_fhir,
    resource_id,
)
from .dosage import DosageReading, dosage_for_step, read_dosage, steps_from_dosages

__all__ = [
    "REQUEST_STATUSES",
    "PlanRequests",
    "drug_ingredient",
    "plan_from_requests",
    "plan_requests",
]

# MedicationRequest.status (required binding, R4 medicationrequest-status).
REQUEST_STATUSES = (
    "active",
    "on-hold",
    "cancelled",
    "completed",
    "entered-in-error",
    "stopped",
    "draft",
    "unknown",
)
_KINDS = ("titration", "taper", "maintenance", "custom")


@dataclass(frozen=True)
class PlanRequests:
    """The MedicationRequest resources of one plan (one, or one per step in chain order)."""

    resources: tuple[dict[str, Any], ...]
    group: str


def drug_ingredient(rules: DrugRules, kb: KnowledgeBase) -> Ingredient | None:
    for ingredient in kb.ingredients:
        if ingredient.id == rules.id:
            return ingredient
    return resolve(rules.name, kb).ingredient


def _step_text(plan: Plan, rules: DrugRules, index: int, step: Step, *, going_on: bool) -> str:
    zone = f" (clock times in {plan.timezone})" if step.times else ""
    if step.dose.is_zero:
        what = "no dose"
    else:
        when = ", ".join(clock.strftime("%H:%M") for clock in step.times)
        what = f"{step.dose} {times_per_day_words(step.times_per_day)} at {when}{zone}, {step.daily} a day"
        try:
            take = take_for_dose(step.dose, rules, plan.products, confirmed_scored=plan.confirmed_scored)
            what += f"; each dose: {take.describe()}"
        except DosewiseError as error:
            what += f"; cannot be made from the chosen products ({error.message})"
    if going_on:
        return f"Then continue {what}, from {step.end.isoformat()} until the prescriber reviews it."
    days = "1 day" if step.days == 1 else f"{step.days} days"
    stop = " Then stop." if plan.then == "stop" and index == len(plan.steps) - 1 else ""
    return (
        f"Step {index + 1} of {len(plan.steps)}, {step.start.isoformat()} to {step.last_day.isoformat()} "
        f"({days}): {what}.{stop}"
    )


def _plan_extension(plan: Plan) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [
        {"url": "drug", "valueString": plan.drug},
        {"url": "kind", "valueCode": plan.kind},
        {"url": "then", "valueCode": plan.then},
        {"url": "knowledgeBase", "valueString": plan.kb_version},
        {"url": "timezone", "valueString": plan.timezone},
    ]
    parts += [{"url": "product", "valueString": p} for p in plan.products]
    parts += [{"url": "confirmedScored", "valueString": p} for p in plan.confirmed_scored]
    if plan.prior is not None:
        parts += [
            {"url": "priorDose", "valueQuantity": dose_quantity(plan.prior.dose)},
            {"url": "priorTimesPerDay", "valueInteger": plan.prior.times_per_day},
        ]
    for override in plan.overrides:
        fields = [
            {"url": "code", "valueCode": override.code},
            {"url": "reason", "valueString": override.reason},
        ]
        if override.by:
            fields.append({"url": "by", "valueString": override.by})
        parts.append({"url": "override", "extension": fields})
    parts += [{"url": "note", "valueString": note} for note in plan.notes]
    return {"url": EXT_PLAN, "extension": parts}


def _notes(plan: Plan) -> list[dict[str, str]]:
    notes = [
        {"text": f"CLINICIAN OVERRIDE {o.code}: {o.reason}" + (f" ({o.by})" if o.by else "")}
        for o in plan.overrides
    ]
    notes += [{"text": note} for note in plan.notes]
    notes.append(
        {
            "text": f"Planned with the dosewise knowledge base {plan.kb_version}; clock times are local times "
            f"in {plan.timezone}."
        }
    )
    return notes


def plan_requests(
    plan: Plan,
    kb: KnowledgeBase,
    *,
    key: str,
    subject: str,
    status: str,
    per_step: bool = False,
    authored_on: str | None = None,
) -> PlanRequests:
    """The plan as MedicationRequests. ``key`` names the plan stably (a record's plan version), ``subject``
    is the Patient's reference; ``status`` must be one the caller knows (``unknown`` otherwise)."""
    if status not in REQUEST_STATUSES:
        raise InvalidInput(f"'{status}' is not a MedicationRequest status")
    rules = kb.drug(plan.drug)
    route = rules.route
    dosages = [
        dosage_for_step(step, i + 1, _step_text(plan, rules, i, step, going_on=False), route=route)
        for i, step in enumerate(plan.steps)
    ]
    if plan.then == "continue":
        last = plan.steps[-1]
        going_on = Step(last.end, 1, last.dose, last.times)
        text = _step_text(plan, rules, len(plan.steps) - 1, last, going_on=True)
        dosages.append(dosage_for_step(going_on, len(dosages) + 1, text, route=route, open_ended=True))
    concept: dict[str, Any] = {"text": rules.name}
    coding = ingredient_coding(drug_ingredient(rules, kb))
    if coding:
        concept["coding"] = coding
    base: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "extension": [_plan_extension(plan)],
        "status": status,
        "intent": "plan",
        "medicationCodeableConcept": concept,
        "subject": {"reference": subject},
    }
    if authored_on:
        base["authoredOn"] = authored_on
    group = {"system": IDENTIFIER_SYSTEMS["plan-group"], "value": key}
    if not per_step:
        resource = {
            **base,
            "id": resource_id("plan", key),
            "identifier": [{"system": IDENTIFIER_SYSTEMS["plan"], "value": key}],
            "note": _notes(plan),
            "dosageInstruction": dosages,
        }
        return PlanRequests((_ordered(resource),), key)
    resources: list[dict[str, Any]] = []
    for index, dosage in enumerate(dosages):
        resource = {
            **base,
            "id": resource_id("plan", key, "step", index + 1),
            "identifier": [{"system": IDENTIFIER_SYSTEMS["plan"], "value": f"{key}/step/{index + 1}"}],
            "groupIdentifier": group,
            "note": _notes(plan),
            "dosageInstruction": [dosage],
        }
        if resources:
            resource["priorPrescription"] = {"reference": f"urn:uuid:{resources[-1]['id']}"}
        resources.append(_ordered(resource))
    return PlanRequests(tuple(resources), key)


_ORDER = (
    "resourceType",
    "id",
    "extension",
    "identifier",
    "status",
    "intent",
    "reportedBoolean",
    "medicationCodeableConcept",
    "subject",
    "authoredOn",
    "groupIdentifier",
    "note",
    "dosageInstruction",
    "priorPrescription",
)


def _ordered(resource: dict[str, Any]) -> dict[str, Any]:
    """Elements in the order of the R4 definition, so that exports read (and diff) the same every time;
    free text made a valid FHIR string."""
    ordered = {key: resource[key] for key in _ORDER if key in resource} | {
        k: v for k, v in resource.items() if k not in _ORDER
    }
    cleaned: dict[str, Any] = clean_strings(ordered)
    return cleaned


# ------------------------------------------------------------------------------------------------ reading
@dataclass(frozen=True)
class _PlanExtension:
    drug: str | None = None
    kind: str = "custom"
    then: str | None = None
    kb_version: str | None = None
    timezone: str | None = None
    products: tuple[str, ...] = ()
    confirmed_scored: tuple[str, ...] = ()
    prior: PriorRegimen | None = None
    overrides: tuple[Override, ...] = ()
    notes: tuple[str, ...] = ()


def _value(part: dict[str, Any], kind: str, where: str) -> Any:
    key = f"value{kind}"
    if key not in part:
        raise FhirUnsupported(where, f"expected {key}")
    return part[key]


def _read_extension(resource: dict[str, Any], where: str) -> _PlanExtension | None:
    found = [e for e in resource.get("extension", []) if isinstance(e, dict) and e.get("url") == EXT_PLAN]
    if not found:
        return None
    where = f"{where}.extension('{EXT_PLAN}')"
    values: dict[str, list[Any]] = {}
    for index, part in enumerate(found[0].get("extension", [])):
        if not isinstance(part, dict) or not isinstance(part.get("url"), str):
            raise FhirUnsupported(f"{where}.extension[{index}]", "an extension needs its url")
        values.setdefault(part["url"], []).append((part, f"{where}.extension[{index}]"))
    known = {
        "drug",
        "kind",
        "then",
        "knowledgeBase",
        "timezone",
        "product",
        "confirmedScored",
        "priorDose",
        "priorTimesPerDay",
        "override",
        "note",
    }
    unknown = sorted(set(values) - known)
    if unknown:
        raise FhirUnsupported(where, f"unknown part '{unknown[0]}'")

    def one(url: str, kind: str) -> Any:
        entries = values.get(url, [])
        if len(entries) > 1:
            raise FhirUnsupported(entries[1][1], f"'{url}' is given twice")
        return _value(entries[0][0], kind, entries[0][1]) if entries else None

    def many(url: str) -> tuple[str, ...]:
        return tuple(str(_value(part, "String", at)) for part, at in values.get(url, []))

    prior = None
    prior_dose, prior_times = values.get("priorDose"), one("priorTimesPerDay", "Integer")
    if prior_dose or prior_times is not None:
        if not prior_dose or prior_times is None:
            raise FhirUnsupported(where, "priorDose and priorTimesPerDay come together")
        dose = quantity_from_fhir(
            _value(prior_dose[0][0], "Quantity", prior_dose[0][1]),
            prior_dose[0][1],
            allowed=(Unit.MG, Unit.MCG),
        )
        try:
            prior = PriorRegimen(dose, int(prior_times))
        except InvalidInput as exc:
            raise FhirUnsupported(where, exc.message) from exc
    overrides = []
    for part, at in values.get("override", []):
        fields = {f.get("url"): f for f in part.get("extension", []) if isinstance(f, dict)}
        if "code" not in fields or "reason" not in fields:
            raise FhirUnsupported(at, "an override has a code and a reason")
        by = str(_value(fields["by"], "String", at)) if "by" in fields else ""
        overrides.append(
            Override(str(_value(fields["code"], "Code", at)), str(_value(fields["reason"], "String", at)), by)
        )
    kind = one("kind", "Code") or "custom"
    if kind not in _KINDS:
        raise FhirUnsupported(where, f"unknown plan kind '{kind}'")
    then = one("then", "Code")
    if then not in (None, "continue", "stop"):
        raise FhirUnsupported(where, f"'then' is continue or stop, not '{then}'")
    return _PlanExtension(
        drug=one("drug", "String"),
        kind=kind,
        then=then,
        kb_version=one("knowledgeBase", "String"),
        timezone=one("timezone", "String"),
        products=many("product"),
        confirmed_scored=many("confirmedScored"),
        prior=prior,
        overrides=tuple(overrides),
        notes=many("note"),
    )


def _drug_for(
    concept: dict[str, Any], routes: set[str], kb: KnowledgeBase, named: str | None, where: str
) -> DrugRules:
    """The drug with dosing rules that the medication names: a verified RxNorm code, else its text."""
    ingredient: Ingredient | None = None
    for coding in concept.get("coding", []) if isinstance(concept.get("coding"), list) else []:
        if isinstance(coding, dict) and coding.get("system") == RXNORM:
            ingredient = (
                next(
                    (
                        i
                        for i in kb.ingredients
                        if i.rxcui == coding.get("code") and i.rxcui_status == "verified"
                    ),
                    None,
                )
                or ingredient
            )
    text = concept.get("text")
    if ingredient is None and isinstance(text, str) and text.strip():
        resolution = resolve(text, kb)
        if resolution.screened and len(resolution.ingredients) == 1:
            ingredient = resolution.ingredient
    if ingredient is None:
        raise FhirUnsupported(
            f"{where}.medicationCodeableConcept",
            f"the medicine '{text or '?'}' is not one dosewise has dosing rules for",
            hint=f"plans exist for: {', '.join(sorted(kb.drugs))}",
        )
    candidates = [r for r in kb.drugs.values() if (drug_ingredient(r, kb) or ingredient).id == ingredient.id]
    if named is not None:
        candidates = [r for r in candidates if r.id == named]
    if routes:
        candidates = [r for r in candidates if r.route in routes]
    if len(candidates) != 1:
        found = "no" if not candidates else "more than one"
        raise FhirUnsupported(
            f"{where}.medicationCodeableConcept",
            f"{found} dosewise plan matches {ingredient.name} by {', '.join(sorted(routes)) or 'any'} route",
            hint="name the route in dosageInstruction.route.text (oral)",
        )
    return candidates[0]


def _zone(name: str, where: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise FhirUnsupported(where, f"'{name[:60]}' is not a time zone") from exc
    return name


def plan_from_requests(
    resources: Sequence[tuple[str, dict[str, Any]]],
    kb: KnowledgeBase,
    *,
    start: date | None = None,
    timezone: str = "UTC",
) -> Plan:
    """MedicationRequests of one plan, in chain order (each ``where`` names it in messages), as a Plan.

    Dosages are taken in the order of the resources, then of ``sequence``; two Dosages with the same
    sequence (concurrent doses) are refused, since a dosewise step gives one dose at each of its times.
    The dose unit must be the drug's (oral baclofen in mg): a plan in mcg is refused, never converted.
    Clock times are read in the zone the dosewise extension names, else in ``timezone`` (the patient's).
    """
    if not resources:
        raise FhirUnsupported("MedicationRequest", "no plan to read")
    first_where, first = resources[0]
    extension = _read_extension(first, first_where)
    for where, resource in resources[1:]:
        if _read_extension(resource, where) != extension:
            raise FhirUnsupported(where, "the steps of one plan disagree on the dosewise plan extension")
    readings: list[tuple[str, DosageReading]] = []
    for where, resource in resources:
        dosages = resource.get("dosageInstruction")
        if not isinstance(dosages, list) or not dosages:
            raise FhirUnsupported(f"{where}.dosageInstruction", "a plan needs at least one dosageInstruction")
        own = [
            (f"{where}.dosageInstruction[{i}]", read_dosage(d, f"{where}.dosageInstruction[{i}]"))
            for i, d in enumerate(dosages)
        ]
        sequences = [r.sequence for _, r in own]
        if len(own) > 1 and None in sequences:
            raise FhirUnsupported(f"{where}.dosageInstruction", "several Dosages need their sequence numbers")
        if len(set(sequences)) != len(sequences):
            raise FhirUnsupported(
                f"{where}.dosageInstruction",
                "two Dosages share a sequence number (concurrent doses)",
                hint="a dosewise step gives one dose at each of its clock times",
            )
        readings += sorted(own, key=lambda item: item[1].sequence or 0)
    concept = first.get("medicationCodeableConcept")
    if not isinstance(concept, dict):
        raise FhirUnsupported(
            f"{first_where}.medication[x]", "the plan names its medicine in medicationCodeableConcept"
        )
    routes = {r.route.strip().lower() for _, r in readings if r.route}
    rules = _drug_for(concept, routes, kb, extension.drug if extension else None, first_where)
    unit = Unit(rules.dose_unit)
    for where, reading in readings:
        if reading.dose.unit is not unit:
            raise FhirUnsupported(
                f"{where}.doseAndRate[0].doseQuantity",
                f"{rules.name} ({rules.route}) is dosed in {unit.value}; this step says {reading.dose}",
                hint="a dose in another mass unit is refused, not converted: check the order",
            )
    steps, goes_on = steps_from_dosages(readings, start=start)
    ext = extension or _PlanExtension()
    then = ext.then or ("continue" if goes_on else "stop")
    if (then == "continue") != goes_on:
        raise FhirUnsupported(
            first_where,
            f"the plan says 'then {then}' but its last step {'has no' if goes_on else 'has an'} end",
        )
    for product in (*ext.products, *ext.confirmed_scored):
        try:
            rules.product(product)
        except KeyError as exc:
            raise FhirUnsupported(first_where, f"unknown product '{product}' for {rules.name}") from exc
    try:
        validate_overrides(ext.overrides)
        return Plan(
            drug=rules.id,
            route=rules.route,
            steps=tuple(steps),
            kb_version=ext.kb_version or kb.version,
            timezone=_zone(ext.timezone or timezone, first_where),
            kind=cast(Literal["titration", "taper", "maintenance", "custom"], ext.kind),
            then=cast(Literal["continue", "stop"], then),
            products=ext.products,
            confirmed_scored=ext.confirmed_scored,
            prior=ext.prior,
            overrides=ext.overrides,
            notes=ext.notes,
        )
    except InvalidInput as exc:
        raise FhirUnsupported(first_where, exc.message, hint=exc.hint) from exc
