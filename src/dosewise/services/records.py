"""The patient record: profile (with kidney function shown with its formula) and the medication list
with its interaction panel. Unknown medicines are kept, and shown as not screened."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import fields as dataclass_fields
from datetime import date, datetime
from fractions import Fraction
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from dosewise.domain.errors import DosewiseError, InvalidInput
from dosewise.domain.patient import Medication as DomainMedication
from dosewise.domain.patient import Patient, SerumCreatinine, kidney_function, parse_creatinine_unit
from dosewise.domain.quantity import Unit, format_amount, parse_amount, parse_quantity
from dosewise.domain.rules import Ingredient, KnowledgeBase
from dosewise.domain.screening import resolve
from dosewise.services.accounts import validate_timezone
from dosewise.services.audit import record
from dosewise.services.dates import read_date
from dosewise.services.ports import Actor, Clock, Medication, Profile, Store, UnitOfWork
from dosewise.services.screening import ScreeningReport, screen
from dosewise.services.sharing import Access, authorise

__all__ = [
    "KidneyView",
    "MedicationPanel",
    "ProfileChanges",
    "RecordView",
    "add_medication",
    "age_on",
    "kidney_view",
    "local_today",
    "medication_panel",
    "read_record",
    "remove_medication",
    "replace_medication",
    "search_drugs",
    "to_patient",
    "update_profile",
]


@dataclass(frozen=True)
class ProfileChanges:
    """Profile fields as typed by a person; empty text clears a field. Parsed and checked here."""

    date_of_birth: str = ""
    sex: str = ""
    weight_kg: str = ""
    creatinine_value: str = ""
    creatinine_unit: str = ""
    creatinine_date: str = ""
    egfr: str = ""
    dialysis: bool = False
    timezone: str = "UTC"
    display_name: str = ""


@dataclass(frozen=True)
class KidneyView:
    crcl_ml_min: str | None
    formula: str
    egfr: str | None
    dialysis: bool
    problem: str | None = None
    creatinine_age_days: int | None = None


@dataclass(frozen=True)
class RecordView:
    access: Access
    profile: Profile
    age_years: int | None
    kidney: KidneyView
    today: date


@dataclass(frozen=True)
class MedicationPanel:
    access: Access
    medications: Sequence[Medication]
    report: ScreeningReport
    implicit: Sequence[str]  # drugs screened because a plan uses them, though not on the written list


def local_today(profile: Profile, now: datetime) -> date:
    return now.astimezone(ZoneInfo(profile.timezone)).date()


def age_on(born: date | None, day: date) -> int | None:
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def to_patient(profile: Profile, today: date, medications: Sequence[Medication] = ()) -> Patient:
    """The domain's view of the patient on ``today`` (age from the date of birth)."""
    creatinine = None
    if profile.creatinine_value is not None and profile.creatinine_unit is not None:
        creatinine = SerumCreatinine(profile.creatinine_value, profile.creatinine_unit)
    return Patient(
        age_years=age_on(profile.date_of_birth, today),
        sex=profile.sex,
        weight_kg=profile.weight_kg,
        creatinine=creatinine,
        egfr=profile.egfr,
        dialysis=profile.dialysis,
        timezone=profile.timezone,
        medications=tuple(DomainMedication(m.name) for m in medications),
    )


def kidney_view(profile: Profile, today: date) -> KidneyView:
    egfr = f"{format_amount(profile.egfr)} mL/min/1.73m2" if profile.egfr is not None else None
    age_days = (today - profile.creatinine_date).days if profile.creatinine_date else None
    try:
        kidney = kidney_function(to_patient(profile, today))
    except DosewiseError as error:
        return KidneyView(None, "", egfr, profile.dialysis, error.message, age_days)
    crcl = f"{float(kidney.crcl_ml_min):.0f} mL/min" if kidney.crcl_ml_min is not None else None
    formula = kidney.crcl_method if kidney.crcl_method not in ("unknown", "given") else ""
    problem = None if kidney.known else "kidney function unknown: add a creatinine result or an eGFR"
    return KidneyView(crcl, formula, egfr, profile.dialysis, problem, age_days)


def read_record(*, store: Store, clock: Clock, actor: Actor, public_id: str) -> RecordView:
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="view")
    today = local_today(access.profile, clock())
    return RecordView(
        access,
        access.profile,
        age_on(access.profile.date_of_birth, today),
        kidney_view(access.profile, today),
        today,
    )


def _optional_amount(text: str, what: str) -> Fraction | None:
    text = text.strip()
    if not text:
        return None
    try:
        return parse_amount(text)
    except InvalidInput as exc:
        raise InvalidInput(f"{what}: {exc.message}", hint=exc.hint) from exc


def _optional_date(text: str, what: str, today: date) -> date | None:
    text = text.strip()
    if not text:
        return None
    value = read_date(text, what)
    if value > today:
        raise InvalidInput(f"{what} {value.isoformat()} is in the future")
    return value


def _parse_profile(current: Profile, changes: ProfileChanges, now: datetime) -> Profile:
    timezone = validate_timezone(changes.timezone.strip() or "UTC")
    today = now.astimezone(ZoneInfo(timezone)).date()
    sex = changes.sex.strip().lower() or None
    if sex not in (None, "female", "male"):
        raise InvalidInput("sex is 'female' or 'male' (used by the Cockcroft-Gault formula)")
    creatinine_value = _optional_amount(changes.creatinine_value, "serum creatinine")
    # A value always needs its unit (a blank unit is refused); a unit alone is checked and kept.
    needs_unit = creatinine_value is not None or changes.creatinine_unit.strip()
    unit = parse_creatinine_unit(changes.creatinine_unit) if needs_unit else None
    creatinine_date = _optional_date(changes.creatinine_date, "creatinine date", today)
    if creatinine_value is not None:
        assert unit is not None
        SerumCreatinine(creatinine_value, unit)  # refuses implausible values
        if creatinine_date is None:
            raise InvalidInput("a creatinine result needs the date it was measured")
    else:
        unit, creatinine_date = None, None
    updated = replace(
        current,
        display_name=changes.display_name.strip() or current.display_name,
        date_of_birth=_optional_date(changes.date_of_birth, "date of birth", today),
        sex=cast(Literal["female", "male"] | None, sex),
        weight_kg=_optional_amount(changes.weight_kg, "weight"),
        creatinine_value=creatinine_value,
        creatinine_unit=unit,
        creatinine_date=creatinine_date,
        egfr=_optional_amount(changes.egfr, "eGFR"),
        dialysis=changes.dialysis,
        timezone=timezone,
        updated_at=now,
    )
    to_patient(updated, today)  # the domain's plausibility checks (age, weight, eGFR) run here
    return updated


def _changed(before: Profile, after: Profile) -> dict[str, Any]:
    fields = (
        "display_name",
        "date_of_birth",
        "sex",
        "weight_kg",
        "creatinine_value",
        "creatinine_unit",
        "creatinine_date",
        "egfr",
        "dialysis",
        "timezone",
    )
    diff: dict[str, Any] = {}
    for name in fields:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            diff[name] = {"from": _plain(old), "to": _plain(new)}
    return diff


def _plain(value: object) -> object:
    if isinstance(value, Fraction):
        return str(value) if value.denominator != 1 and 10**6 % value.denominator else format_amount(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def update_profile(
    *, store: Store, clock: Clock, actor: Actor, public_id: str, changes: ProfileChanges
) -> Profile:
    """Replace the whole profile with ``changes`` (an empty field clears it)."""
    return _change_profile(store, clock, actor, public_id, lambda _current: changes)


def patch_profile(
    *, store: Store, clock: Clock, actor: Actor, public_id: str, fields: Mapping[str, object]
) -> Profile:
    """Change only the named fields; every other field keeps its value (an empty or null one clears it).

    The current values are read in the same transaction as the write, so a concurrent change is never lost
    and a body naming only the time zone cannot wipe the creatinine and weight the kidney limits use.
    """
    unknown = set(fields) - {f.name for f in dataclass_fields(ProfileChanges)}
    if unknown:
        raise InvalidInput(f"unknown profile field '{sorted(unknown)[0]}'")

    def merged(current: Profile) -> ProfileChanges:
        values: dict[str, Any] = {}
        for name, value in fields.items():
            if name == "dialysis":
                values[name] = bool(value)
            else:
                values[name] = "" if value is None else str(value)
        return replace(_as_changes(current), **values)

    return _change_profile(store, clock, actor, public_id, merged)


def _as_changes(profile: Profile) -> ProfileChanges:
    """The stored profile as the text a person would type (exact: fractions print as 145/2)."""

    def text(value: object) -> str:
        if value is None:
            return ""
        return value.isoformat() if isinstance(value, date) else str(value)

    return ProfileChanges(
        date_of_birth=text(profile.date_of_birth),
        sex=profile.sex or "",
        weight_kg=text(profile.weight_kg),
        creatinine_value=text(profile.creatinine_value),
        creatinine_unit=profile.creatinine_unit or "",
        creatinine_date=text(profile.creatinine_date),
        egfr=text(profile.egfr),
        dialysis=profile.dialysis,
        timezone=profile.timezone,
        display_name=profile.display_name,
    )


def _change_profile(
    store: Store,
    clock: Clock,
    actor: Actor,
    public_id: str,
    changes_for: Callable[[Profile], ProfileChanges],
) -> Profile:
    now = clock()
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="edit_record")
        updated = _parse_profile(access.profile, changes_for(access.profile), now)
        diff = _changed(access.profile, updated)
        if diff:
            uow.patients.save(updated)
            record(
                uow,
                at=now,
                actor=actor,
                patient_id=updated.id,
                action="profile.update",
                summary="changed " + ", ".join(name.replace("_", " ") for name in diff),
                detail=diff,
            )
            uow.commit()
        return updated


def search_drugs(*, kb: KnowledgeBase, query: str, limit: int = 10) -> Sequence[Ingredient]:
    """Ingredients matching a name, brand, misspelling or class; the best match first."""
    from dosewise.services.screening import lookup

    if not query.strip():
        return ()
    return lookup(kb=kb, query=query)[:limit]


def _plan_drugs(uow: UnitOfWork, patient_id: int) -> list[str]:
    version = uow.plans.latest(patient_id)
    if version is None:
        return []
    drug = version.document.get("drug")
    return [str(drug)] if drug else []


def medication_panel(*, store: Store, kb: KnowledgeBase, actor: Actor, public_id: str) -> MedicationPanel:
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="view")
        medications = uow.medications.current(access.profile.id)
        plan_drugs = _plan_drugs(uow, access.profile.id)
    planned = next((drug for drug in plan_drugs if resolve(drug, kb).screened), None)
    # The planned medicine is screened with the list, and a listed brand of it is shown as a duplicate.
    report = screen(kb=kb, names=[m.name for m in medications], planned=planned)
    listed = {i.id for r in report.resolutions for i in r.ingredients}
    plan_id = report.planned.ingredient.id if report.planned and report.planned.ingredient else None
    implicit = [planned] if planned is not None and plan_id not in listed else []
    return MedicationPanel(access, medications, report, implicit)


def add_medication(
    *,
    store: Store,
    clock: Clock,
    kb: KnowledgeBase,
    actor: Actor,
    public_id: str,
    name: str,
    dose_text: str = "",
    times_per_day: int | None = None,
) -> Medication:
    clean = " ".join(name.split())
    if not clean or len(clean) > 200:
        raise InvalidInput("a medicine needs a name (up to 200 characters)")
    dose = dose_text.strip() or None
    if dose is not None:
        parse_quantity(dose, allowed=(Unit.MG, Unit.MCG, Unit.ML, Unit.UNITS))
    if times_per_day is not None and not 1 <= times_per_day <= 6:
        raise InvalidInput("times a day is between 1 and 6")
    resolution = resolve(clean, kb)
    now = clock()
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="edit_record")
        medication = uow.medications.add(
            patient_id=access.profile.id,
            name=clean,
            ingredient_id=resolution.ingredient.id if resolution.ingredient else None,
            dose_text=dose,
            times_per_day=times_per_day,
            at=now,
            by=actor.user_id,
        )
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=access.profile.id,
            action="medication.add",
            summary=f"added {clean}"
            + ("" if resolution.screened else " (not screened: unknown to the knowledge base)"),
            detail={"medication": medication.id, "name": clean, "ingredient": medication.ingredient_id},
        )
        uow.commit()
        return medication


def replace_medication(
    *,
    store: Store,
    clock: Clock,
    kb: KnowledgeBase,
    actor: Actor,
    public_id: str,
    medication_id: int,
    name: str,
) -> Medication:
    """The one-tap fix: a list entry's name replaced by a suggestion (dose and times a day kept), audited."""
    clean = " ".join(name.split())
    resolution = resolve(clean, kb) if 0 < len(clean) <= 200 else None
    now = clock()
    with store.write() as uow:
        # Who may edit is decided before anything about the input, so a stranger learns nothing from it.
        access = authorise(uow, actor=actor, public_id=public_id, permission="edit_record")
        old = uow.medications.get(medication_id)
        if old is None or old.patient_id != access.profile.id or old.removed_at is not None:
            raise InvalidInput("that medicine is not on the list")
        if resolution is None or not resolution.screened or resolution.ingredient is None:
            raise InvalidInput(
                f"'{clean[:200]}' is not a medicine the knowledge base knows",
                hint="keep the entry or remove it",
            )
        uow.medications.remove(medication_id, at=now, by=actor.user_id)
        medication = uow.medications.add(
            patient_id=access.profile.id,
            name=clean,
            ingredient_id=resolution.ingredient.id,
            dose_text=old.dose_text,
            times_per_day=old.times_per_day,
            at=now,
            by=actor.user_id,
        )
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=access.profile.id,
            action="medication.replace",
            summary=f"changed {old.name} to {clean}",
            detail={"medication": medication.id, "replaced": medication_id, "from": old.name, "name": clean},
        )
        uow.commit()
        return medication


def remove_medication(
    *, store: Store, clock: Clock, actor: Actor, public_id: str, medication_id: int
) -> None:
    now = clock()
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="edit_record")
        medication = uow.medications.get(medication_id)
        if (
            medication is None
            or medication.patient_id != access.profile.id
            or medication.removed_at is not None
        ):
            raise InvalidInput("that medicine is not on the list")
        uow.medications.remove(medication_id, at=now, by=actor.user_id)
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=access.profile.id,
            action="medication.remove",
            summary=f"removed {medication.name}",
            detail={"medication": medication_id, "name": medication.name},
        )
        uow.commit()
