"""A focused reading of the FHIR R4 resources a CDS Hooks request carries: MedicationRequest (the draft
orders and the active list), MedicationStatement, Patient, Observation (creatinine, eGFR, body weight) and
searchset Bundles.

Written for CDS because ``formats/fhir`` (the full R4 reader and writer) was not on main yet; it reads only
what the checks need. Two kinds of trouble are kept apart:

* a resource that is not R4-shaped (a string where an object belongs, a dose that is not a number) is a
  ``MalformedRequest`` (HTTP 400): nothing is guessed;
* R4 content that dosewise cannot assess (a dose in tablets, uneven doses in one day, a dose "as needed")
  becomes a note on the order: it is reported as *not assessed*, never silently skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Literal

from dosewise.domain.errors import DosewiseError
from dosewise.domain.quantity import Quantity, Unit
from dosewise.domain.rules import KnowledgeBase
from dosewise.domain.screening import resolve

__all__ = [
    "CREATININE_CODES",
    "EGFR_CODES",
    "LOINC",
    "RXNORM",
    "UCUM",
    "WEIGHT_CODES",
    "DosageStep",
    "LabValue",
    "MalformedRequest",
    "MedicationOrder",
    "PatientFacts",
    "bundle_resources",
    "iter_orders",
    "latest_lab",
    "read_medication_order",
    "read_patient",
]

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
GTS_ABBREVIATION = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"
SNOMED = "http://snomed.info/sct"
ORAL_ROUTE = "26643006"  # SNOMED CT "Oral route"

# LOINC codes (loinc.org; the eGFR list as used by OHDSI's reduced-eGFR phenotype): serum or plasma
# creatinine by mass and by moles, creatinine-based eGFR (MDRD, CKD-EPI, CKD-EPI 2021), body weight.
CREATININE_CODES = frozenset({"2160-0", "14682-9"})
EGFR_CODES = frozenset({"33914-3", "48642-3", "48643-1", "62238-1", "88293-6", "88294-4", "98979-8"})
WEIGHT_CODES = frozenset({"29463-7", "3141-9"})

# The international avoirdupois pound is defined as exactly 0.45359237 kg (1959 agreement).
KG_PER_LB = Fraction("0.45359237")

# HL7 v3 GTS abbreviations for "n times a day" (timing.code); other codes are not read as a schedule.
_GTS_TIMES = {"QD": 1, "BID": 2, "TID": 3, "QID": 4}
_OBSERVATION_USABLE = frozenset({"final", "amended", "corrected", "preliminary"})


class MalformedRequest(DosewiseError):
    """The request (or a resource in it) does not have the shape the CDS Hooks or FHIR R4 spec gives it."""

    code = "malformed_request"


# ------------------------------------------------------------------------------------------ JSON shape
def obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedRequest(f"{where} must be a JSON object")
    return value


def opt_obj(parent: Mapping[str, Any], key: str, where: str) -> dict[str, Any] | None:
    value = parent.get(key)
    return None if value is None else obj(value, f"{where}.{key}")


def opt_list(parent: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedRequest(f"{where}.{key} must be a JSON array")
    return value


def opt_str(parent: Mapping[str, Any], key: str, where: str) -> str | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedRequest(f"{where}.{key} must be a string")
    return value


def _number(value: Any, where: str) -> Fraction:
    """A JSON number as an exact fraction (R4 decimals are exact: 0.1 stays 1/10)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedRequest(f"{where} must be a number")
    try:
        return Fraction(Decimal(str(value)))
    except (InvalidOperation, ValueError, OverflowError) as exc:
        raise MalformedRequest(f"{where} must be a finite number") from exc


def _positive_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise MalformedRequest(f"{where} must be a positive whole number")
    return value


def _date(value: Any, where: str) -> date | None:
    """The calendar day of an R4 date or dateTime; a year or year-month alone gives no day (None)."""
    if not isinstance(value, str):
        raise MalformedRequest(f"{where} must be a date string")
    if len(value) < 10:
        if len(value) in (4, 7) and value[:4].isdigit():
            return None
        raise MalformedRequest(f"{where} '{value}' is not an R4 date")
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise MalformedRequest(f"{where} '{value}' is not an R4 date") from exc


# ------------------------------------------------------------------------------------------- patient
@dataclass(frozen=True)
class PatientFacts:
    id: str | None
    age_years: int | None
    sex: Literal["female", "male"] | None  # other or unknown administrative genders are None
    age_note: str | None = None


def read_patient(resource: Any, today: date, where: str = "prefetch.patient") -> PatientFacts:
    patient = obj(resource, where)
    if patient.get("resourceType") != "Patient":
        raise MalformedRequest(f"{where} must be a Patient resource")
    gender = opt_str(patient, "gender", where)
    birth = opt_str(patient, "birthDate", where)
    age: int | None = None
    note = None
    if birth is not None:
        day = _date(birth, f"{where}.birthDate")
        if day is None:
            # Only a year (or year and month): the oldest age it allows, which gives the lower (safer)
            # Cockcroft-Gault clearance and never misses an older-adult rule.
            year, month = int(birth[:4]), int(birth[5:7]) if len(birth) == 7 else 1
            day = date(year, month, 1)
            note = f"birth date {birth} has no day: the oldest age it allows is used"
        if day > today:
            raise MalformedRequest(f"{where}.birthDate {birth} is in the future")
        age = today.year - day.year - ((today.month, today.day) < (day.month, day.day))
    sex: Literal["female", "male"] | None = (
        "female" if gender == "female" else "male" if gender == "male" else None
    )
    return PatientFacts(opt_str(patient, "id", where), age, sex, note)


# ---------------------------------------------------------------------------------------- observations
@dataclass(frozen=True)
class LabValue:
    kind: str  # creatinine | egfr | weight
    value: Fraction
    unit: str
    on: date | None
    code: str


def _loinc_codes(concept: Mapping[str, Any], where: str) -> set[str]:
    codes = set()
    for index, coding in enumerate(opt_list(concept, "coding", where)):
        coding = obj(coding, f"{where}.coding[{index}]")
        if opt_str(coding, "system", where) == LOINC and isinstance(coding.get("code"), str):
            codes.add(coding["code"])
    return codes


def _observation_value(resource: Mapping[str, Any], kind: str, code: str, where: str) -> LabValue | None:
    status = opt_str(resource, "status", where)
    if status not in _OBSERVATION_USABLE:
        return None  # registered, cancelled, entered-in-error, unknown: not a result to dose by
    quantity = opt_obj(resource, "valueQuantity", where)
    if quantity is None or "value" not in quantity:
        return None
    value = _number(quantity["value"], f"{where}.valueQuantity.value")
    unit = opt_str(quantity, "code", where) or opt_str(quantity, "unit", where) or ""
    on = None
    for key in ("effectiveDateTime", "issued"):
        if key in resource:
            on = _date(resource[key], f"{where}.{key}")
            break
    else:
        period = opt_obj(resource, "effectivePeriod", where)
        if period is not None and "start" in period:
            on = _date(period["start"], f"{where}.effectivePeriod.start")
    if kind == "weight" and unit in ("[lb_av]", "lb", "lbs"):
        value, unit = value * KG_PER_LB, "kg"
    return LabValue(kind, value, unit, on, code)


def latest_lab(resources: list[tuple[str, dict[str, Any]]], kind: str) -> LabValue | None:
    """The most recent usable Observation of one kind (results without a date come last)."""
    codes = {"creatinine": CREATININE_CODES, "egfr": EGFR_CODES, "weight": WEIGHT_CODES}[kind]
    found: list[LabValue] = []
    for where, resource in resources:
        if resource.get("resourceType") != "Observation":
            continue
        matching = _loinc_codes(obj(resource.get("code", {}), f"{where}.code"), f"{where}.code") & codes
        if not matching:
            continue
        value = _observation_value(resource, kind, sorted(matching)[0], where)
        if value is not None:
            found.append(value)
    return max(found, key=lambda lab: lab.on or date.min, default=None)


def bundle_resources(value: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    """The resources of a (searchset) Bundle, or the one resource given, each with where it was."""
    resource = obj(value, where)
    if resource.get("resourceType") != "Bundle":
        if not isinstance(resource.get("resourceType"), str):
            raise MalformedRequest(f"{where} must be a FHIR resource (resourceType is missing)")
        return [(where, resource)]
    out = []
    for index, entry in enumerate(opt_list(resource, "entry", where)):
        entry = obj(entry, f"{where}.entry[{index}]")
        if "resource" in entry:
            item = obj(entry["resource"], f"{where}.entry[{index}].resource")
            if not isinstance(item.get("resourceType"), str):
                raise MalformedRequest(f"{where}.entry[{index}].resource has no resourceType")
            out.append((f"{where}.entry[{index}].resource", item))
    return out


# ---------------------------------------------------------------------------------------- medications
@dataclass(frozen=True)
class DosageStep:
    """One R4 Dosage as a step: a dose at each of ``times_per_day`` for ``days`` days (None: open-ended)."""

    sequence: int | None
    dose: Quantity | None
    times_per_day: int | None
    times: tuple[time, ...]
    start: date | None
    days: int | None
    text: str | None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class MedicationOrder:
    """A MedicationRequest (or MedicationStatement) as the checks read it."""

    resource_type: str
    id: str | None
    query: str  # what the dictionary reads: a name, or "rxcui:<code>"
    label: str  # how the order names the medicine
    status: str | None
    do_not_perform: bool
    prior_prescription: str | None
    subject: str | None
    authored_on: date | None
    dosages: tuple[DosageStep, ...]
    resource: dict[str, Any]

    @property
    def reference(self) -> str | None:
        return f"{self.resource_type}/{self.id}" if self.id else None

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(problem for dosage in self.dosages for problem in dosage.problems)


def _product_drugs(kb: KnowledgeBase) -> dict[str, str]:
    """Product RxCUIs (a 10 mg tablet) to the drug they are a product of."""
    return {p.rxcui: rules.id for rules in kb.drugs.values() for p in rules.products if p.rxcui}


def _concept_query(concept: Mapping[str, Any], kb: KnowledgeBase, where: str) -> tuple[str, str]:
    """(query, label): an RxNorm code the dictionary knows wins over words; then the text, then displays."""
    codings = [obj(c, f"{where}.coding[{i}]") for i, c in enumerate(opt_list(concept, "coding", where))]
    text = opt_str(concept, "text", where)
    displays = [d for c in codings if (d := opt_str(c, "display", where))]
    label = text or (displays[0] if displays else None)
    products = _product_drugs(kb)
    for coding in codings:
        code = opt_str(coding, "code", where)
        if opt_str(coding, "system", where) != RXNORM or not code:
            continue
        if code in products:
            return products[code], label or f"RxNorm {code}"
        if resolve(f"rxcui:{code}", kb).screened:
            return f"rxcui:{code}", label or f"RxNorm {code}"
    for words in [w for w in (text, *displays) if w]:
        if resolve(words, kb).screened:
            return words, label or words
    codes = [f"{opt_str(c, 'system', where) or '?'}|{opt_str(c, 'code', where) or '?'}" for c in codings]
    fallback = label or (", ".join(codes) if codes else "a medicine with no name or code")
    return fallback, fallback


def _medication_query(resource: Mapping[str, Any], kb: KnowledgeBase, where: str) -> tuple[str, str]:
    concept = opt_obj(resource, "medicationCodeableConcept", where)
    if concept is not None:
        return _concept_query(concept, kb, f"{where}.medicationCodeableConcept")
    reference = opt_obj(resource, "medicationReference", where)
    if reference is None:
        raise MalformedRequest(f"{where} needs medicationCodeableConcept or medicationReference")
    target = opt_str(reference, "reference", where) or ""
    if target.startswith("#"):
        for index, contained in enumerate(opt_list(resource, "contained", where)):
            contained = obj(contained, f"{where}.contained[{index}]")
            if contained.get("resourceType") == "Medication" and contained.get("id") == target[1:]:
                code = opt_obj(contained, "code", f"{where}.contained[{index}]")
                if code is not None:
                    return _concept_query(code, kb, f"{where}.contained[{index}].code")
    display = opt_str(reference, "display", where)
    if display and resolve(display, kb).screened:
        return display, display
    label = display or target or "a referenced Medication"
    return label, label


def _dose(dosage: Mapping[str, Any], where: str) -> tuple[Quantity | None, list[str]]:
    entries = [
        obj(e, f"{where}.doseAndRate[{i}]") for i, e in enumerate(opt_list(dosage, "doseAndRate", where))
    ]
    if not entries:
        return None, []
    chosen = next(
        (
            e
            for e in entries
            if any(
                isinstance(c, dict) and c.get("code") == "ordered"
                for c in (e.get("type") or {}).get("coding", [])
            )
        ),
        entries[0],
    )
    quantity = opt_obj(chosen, "doseQuantity", where)
    if quantity is None:
        if "doseRange" in chosen:
            return None, ["a dose range is not assessed: give one dose"]
        return None, []
    if "value" not in quantity:
        return None, []
    value = _number(quantity["value"], f"{where}.doseAndRate.doseQuantity.value")
    if value < 0:
        raise MalformedRequest(f"{where}.doseAndRate.doseQuantity.value must not be negative")
    code = opt_str(quantity, "code", where) if opt_str(quantity, "system", where) == UCUM else None
    unit = code or opt_str(quantity, "unit", where) or ""
    units = {"mg": Unit.MG, "ug": Unit.MCG, "mcg": Unit.MCG}
    if unit.lower() not in units:
        return None, [f"a dose in '{unit or 'no unit'}' is not assessed: give the dose in mg"]
    return Quantity(value, units[unit.lower()]), []


def _times_per_day(timing: Mapping[str, Any], where: str) -> tuple[int | None, tuple[time, ...], list[str]]:
    repeat = opt_obj(timing, "repeat", where) or {}
    problems: list[str] = []
    times: list[time] = []
    for index, text in enumerate(opt_list(repeat, "timeOfDay", f"{where}.repeat")):
        if not isinstance(text, str):
            raise MalformedRequest(f"{where}.repeat.timeOfDay[{index}] must be a time string")
        try:
            times.append(time.fromisoformat(text))
        except ValueError as exc:
            raise MalformedRequest(f"{where}.repeat.timeOfDay[{index}] '{text}' is not an R4 time") from exc
    count: int | None = None
    if "frequency" in repeat:
        frequency = _positive_int(repeat["frequency"], f"{where}.repeat.frequency")
        period = _number(repeat.get("period", 1), f"{where}.repeat.period")
        unit = opt_str(repeat, "periodUnit", f"{where}.repeat")
        per_day = {"h": Fraction(24), "d": Fraction(1), "wk": Fraction(1, 7)}.get(unit or "")
        if period <= 0:
            raise MalformedRequest(f"{where}.repeat.period must be above 0")
        if per_day is None:
            problems.append(f"a schedule per '{unit or 'no unit'}' is not assessed: give doses a day")
        else:
            daily = frequency * per_day / period
            if daily.denominator != 1 or not 1 <= daily <= 6:
                problems.append(f"{float(daily):g} doses a day is not assessed (1 to 6 a day are)")
            else:
                count = int(daily)
    else:
        code = opt_obj(timing, "code", where)
        for coding in opt_list(code or {}, "coding", f"{where}.code"):
            if isinstance(coding, dict) and coding.get("system") == GTS_ABBREVIATION:
                count = _GTS_TIMES.get(str(coding.get("code")), count)
    if times:
        if count is not None and count != len(times):
            problems.append(f"{count} doses a day at {len(times)} times of day: the two disagree")
        count = len(times)
    return count, tuple(sorted(times)), problems


def _bounds(repeat: Mapping[str, Any], where: str) -> tuple[date | None, int | None, list[str]]:
    duration = opt_obj(repeat, "boundsDuration", where)
    if duration is not None:
        value = _number(duration.get("value"), f"{where}.boundsDuration.value")
        unit = opt_str(duration, "code", where) or opt_str(duration, "unit", where)
        days = {"d": value, "wk": value * 7}.get(unit or "")
        if days is None or days.denominator != 1 or days < 1:
            return None, None, [f"a step of {value} {unit or ''} is not assessed: give it in days or weeks"]
        return None, int(days), []
    period = opt_obj(repeat, "boundsPeriod", where)
    if period is not None:
        start = _date(period["start"], f"{where}.boundsPeriod.start") if "start" in period else None
        end = _date(period["end"], f"{where}.boundsPeriod.end") if "end" in period else None
        if start is not None and end is not None:
            if end < start:
                raise MalformedRequest(f"{where}.boundsPeriod ends before it starts")
            return start, (end - start).days + 1, []  # an R4 Period's end day is included
        return start, None, []
    if "boundsRange" in repeat:
        return None, None, ["a step bounded by a range is not assessed: give its days"]
    return None, None, []


def _oral(route: Mapping[str, Any], where: str) -> bool:
    """Oral by its SNOMED code, or by its words when it has no SNOMED code."""
    codings = [obj(c, f"{where}.coding[{i}]") for i, c in enumerate(opt_list(route, "coding", where))]
    snomed = [c.get("code") for c in codings if c.get("system") == SNOMED]
    if snomed:
        return ORAL_ROUTE in snomed
    words = " ".join(
        filter(None, [opt_str(route, "text", where), *(opt_str(c, "display", where) for c in codings)])
    )
    return "oral" in words.lower() or words.strip().upper() == "PO"


def _route_name(route: Mapping[str, Any], where: str) -> str:
    codings = [c for c in opt_list(route, "coding", where) if isinstance(c, dict)]
    return opt_str(route, "text", where) or next(
        (str(c.get("display") or c.get("code")) for c in codings), "given"
    )


def _dosage(dosage: Mapping[str, Any], where: str) -> DosageStep:
    sequence = dosage.get("sequence")
    if sequence is not None and (isinstance(sequence, bool) or not isinstance(sequence, int)):
        raise MalformedRequest(f"{where}.sequence must be a whole number")
    dose, problems = _dose(dosage, where)
    timing = opt_obj(dosage, "timing", where) or {}
    count, times, timing_problems = _times_per_day(timing, f"{where}.timing")
    start, days, bound_problems = _bounds(opt_obj(timing, "repeat", where) or {}, f"{where}.timing.repeat")
    problems += timing_problems + bound_problems
    if dosage.get("asNeededBoolean") is True or "asNeededCodeableConcept" in dosage:
        problems.append("a dose taken as needed is not assessed as a schedule")
    route = opt_obj(dosage, "route", where)
    if route is not None and not _oral(route, f"{where}.route"):
        # The dosing rules checked here are oral; an intrathecal or other route has other limits entirely.
        problems.append(f"route '{_route_name(route, where)}' is not assessed: dosewise checks oral orders")
    return DosageStep(
        sequence, dose, count, times, start, days, opt_str(dosage, "text", where), tuple(problems)
    )


def read_medication_order(resource: Any, kb: KnowledgeBase, where: str) -> MedicationOrder:
    """A MedicationRequest (``dosageInstruction``) or MedicationStatement (``dosage``)."""
    item = obj(resource, where)
    kind = item.get("resourceType")
    if kind not in ("MedicationRequest", "MedicationStatement"):
        raise MalformedRequest(f"{where} must be a MedicationRequest or MedicationStatement")
    query, label = _medication_query(item, kb, where)
    key = "dosageInstruction" if kind == "MedicationRequest" else "dosage"
    dosages = tuple(
        _dosage(obj(d, f"{where}.{key}[{i}]"), f"{where}.{key}[{i}]")
        for i, d in enumerate(opt_list(item, key, where))
    )
    subject = opt_obj(item, "subject", where)
    prior = opt_obj(item, "priorPrescription", where)
    do_not_perform = item.get("doNotPerform", False)
    if not isinstance(do_not_perform, bool):
        raise MalformedRequest(f"{where}.doNotPerform must be true or false")
    authored = item.get("authoredOn")
    return MedicationOrder(
        resource_type=kind,
        id=opt_str(item, "id", where),
        query=query,
        label=label,
        status=opt_str(item, "status", where),
        do_not_perform=do_not_perform,
        prior_prescription=opt_str(prior, "reference", f"{where}.priorPrescription") if prior else None,
        subject=opt_str(subject, "reference", f"{where}.subject") if subject else None,
        authored_on=_date(authored, f"{where}.authoredOn") if authored is not None else None,
        dosages=dosages,
        resource=item,
    )


def iter_orders(resources: list[tuple[str, dict[str, Any]]], kb: KnowledgeBase) -> Iterator[MedicationOrder]:
    for where, resource in resources:
        if resource.get("resourceType") in ("MedicationRequest", "MedicationStatement"):
            yield read_medication_order(resource, kb, where)
