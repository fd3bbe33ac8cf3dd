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
from dosewise.domain.quantity import Unit, format_amount, parse_quantity
from dosewise.domain.rules import Ingredient, KnowledgeBase
from dosewise.domain.screening import resolve
from dosewise.domain.screening_names import name_words
from dosewise.services.accounts import validate_timezone
from dosewise.services.audit import record
from dosewise.services.ports import Actor, Clock, Medication, Profile, Store, UnitOfWork
from dosewise.services.record_day import record_today
from dosewise.services.screening import ScreeningReport, screen
from dosewise.services.sharing import Access, authorise
from dosewise.services.typed_input import read_date, read_number, read_phone

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
    clinician_phone: str = ""


@dataclass(frozen=True)
class KidneyView:
    crcl_ml_min: str | None
    formula: str
    egfr: str | None
    dialysis: bool
    problem: str | None = None
    creatinine_age_days: int | None = None
    creatinine_as_entered: str | None = None  # e.g. "106 umol/L", the unit the person typed
    plain: str = ""  # what the numbers mean, in plain words (for patient pages)


# The groups of the baclofen kidney study the planner's reductions come from (Cockcroft-Gault CrCl,
# mL/min; Vlavonou et al., J Clin Pharmacol 2014;54:584-92, clinical reference section on kidneys).
_CRCL_WORDS = (
    (Fraction(80), "in the usual range for an adult"),
    (Fraction(50), "mildly reduced"),
    (Fraction(30), "moderately reduced"),
    (Fraction(0), "severely reduced"),
)
_NEEDED = (("date_of_birth", "date of birth (for age)"), ("weight_kg", "weight"), ("sex", "sex"))


def kidney_words(crcl: Fraction | None, egfr: Fraction | None, dialysis: bool) -> str:
    """What CrCl and eGFR say, in plain words: how much blood the kidneys clean a minute, and the band."""
    if dialysis:
        return "The kidneys are supported by dialysis: the clinician decides the dose with the dialysis team."
    value, name = (crcl, "CrCl (creatinine clearance)") if crcl is not None else (egfr, "eGFR")
    if value is None:
        return ""
    band = next(words for floor, words in _CRCL_WORDS if value > floor or floor == 0)
    return (
        f"{name} estimates how well the kidneys clean the blood: about {float(value):.0f} mL of blood "
        f"cleaned each minute, which is {band}. Some medicines, such as baclofen, leave the body mainly "
        "through the kidneys, so when this number is lower the clinician may plan smaller or slower increases."
    )


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
    """The profile's own day (before any plan); a record's day is ``record_day.record_today``."""
    return record_today(profile, None, now)


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
    entered = (
        f"{format_amount(profile.creatinine_value)} {profile.creatinine_unit}"
        if profile.creatinine_value is not None and profile.creatinine_unit
        else None
    )
    missing = [words for name, words in _NEEDED if getattr(profile, name) is None]
    if entered and missing:
        needed = (
            f"To work out kidney function from the creatinine, dosewise also needs the {', '.join(missing)}. "
            "Add them below."
        )
        words = kidney_words(None, profile.egfr, profile.dialysis)
        return KidneyView(None, "", egfr, profile.dialysis, needed, age_days, entered, words)
    try:
        kidney = kidney_function(to_patient(profile, today))
    except DosewiseError as error:
        return KidneyView(None, "", egfr, profile.dialysis, error.message, age_days, entered)
    crcl = f"{float(kidney.crcl_ml_min):.0f} mL/min" if kidney.crcl_ml_min is not None else None
    formula = kidney.crcl_method if kidney.crcl_method not in ("unknown", "given") else ""
    problem: str | None = (
        None
        if kidney.known
        else "Kidney function is not known yet: add a creatinine result (with its unit and date) or an eGFR."
    )
    words = kidney_words(kidney.crcl_ml_min, kidney.egfr, kidney.dialysis)
    return KidneyView(crcl, formula, egfr, profile.dialysis, problem, age_days, entered, words)


def read_record(*, store: Store, clock: Clock, actor: Actor, public_id: str) -> RecordView:
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="view")
        today = record_today(access.profile, uow.plans.latest(access.profile.id), clock())
    return RecordView(
        access,
        access.profile,
        age_on(access.profile.date_of_birth, today),
        kidney_view(access.profile, today),
        today,
    )


def _checked(profile: Profile, field: str, today: date) -> None:
    """The domain's plausibility checks, with a refusal tied to the field just added."""
    try:
        to_patient(profile, today)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, hint=exc.hint, field=exc.field or field) from exc


def _parse_profile(current: Profile, changes: ProfileChanges, now: datetime) -> Profile:
    try:
        timezone = validate_timezone(changes.timezone.strip() or "UTC")
    except InvalidInput as exc:
        raise InvalidInput(exc.message, hint=exc.hint, field="timezone") from exc
    today = now.astimezone(ZoneInfo(timezone)).date()
    sex = changes.sex.strip().lower() or None
    if sex not in (None, "female", "male"):
        raise InvalidInput("sex is 'female' or 'male' (used by the Cockcroft-Gault formula)", field="sex")
    creatinine_value, typed_unit = read_number(
        changes.creatinine_value,
        what="serum creatinine",
        field="creatinine_value",
        units=("mg/dL", "umol/L"),
    )
    chosen = changes.creatinine_unit.strip()
    if typed_unit and chosen and parse_creatinine_unit(chosen) != typed_unit:
        raise InvalidInput(
            f"the creatinine is typed in {typed_unit} but the unit chosen is {chosen}",
            field="creatinine_unit",
        )
    # A value always needs its unit (a blank unit is refused); a unit alone is checked and kept.
    needs_unit = creatinine_value is not None or chosen
    try:
        unit = parse_creatinine_unit(typed_unit or chosen) if needs_unit else None
    except InvalidInput as exc:
        raise InvalidInput(exc.message, hint=exc.hint, field="creatinine_unit") from exc
    creatinine_date = read_date(
        changes.creatinine_date, what="creatinine date", field="creatinine_date", today=today
    )
    if creatinine_value is not None:
        assert unit is not None
        try:
            SerumCreatinine(creatinine_value, unit)  # refuses implausible values
        except InvalidInput as exc:
            raise InvalidInput(exc.message, hint=exc.hint, field="creatinine_value") from exc
        if creatinine_date is None:
            raise InvalidInput("a creatinine result needs the date it was measured", field="creatinine_date")
    else:
        unit, creatinine_date = None, None
    weight, _ = read_number(changes.weight_kg, what="weight", field="weight_kg", units=("kg",))
    egfr, _ = read_number(
        changes.egfr, what="eGFR", field="egfr", units=("mL/min/1.73m2", "mL/min/1.73 m2", "mL/min")
    )
    # A date of birth is a day before today (a birth today or in the future is a typing slip).
    birth = read_date(
        changes.date_of_birth, what="date of birth", field="date_of_birth", today=today, allow_today=False
    )
    updated = replace(
        current,
        display_name=changes.display_name.strip() or current.display_name,
        date_of_birth=None,
        sex=cast(Literal["female", "male"] | None, sex),
        weight_kg=None,
        creatinine_value=creatinine_value,
        creatinine_unit=unit,
        creatinine_date=creatinine_date,
        egfr=None,
        dialysis=changes.dialysis,
        timezone=timezone,
        updated_at=now,
        clinician_phone=read_phone(
            changes.clinician_phone, what="the clinician's phone number", field="clinician_phone"
        ),
    )
    # The domain's plausibility checks (age, weight, eGFR), each refusal tied to its own field.
    for field, values in (("date_of_birth", {"date_of_birth": birth}), ("weight_kg", {"weight_kg": weight})):
        updated = replace(updated, **values)
        _checked(updated, field, today)
    updated = replace(updated, egfr=egfr)
    _checked(updated, "egfr", today)
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
        "clinician_phone",
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
    """The stored profile as the text a person would type (amounts as exact decimals)."""

    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, Fraction):
            return _exact_decimal(value)
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
        clinician_phone=profile.clinician_phone or "",
    )


def _exact_decimal(value: Fraction) -> str:
    """A stored amount as the decimal a person typed (0.8, 72.5), exactly; never rounded."""
    places = 0
    while (value * 10**places).denominator != 1:
        places += 1
        if places > 12:
            raise InvalidInput(f"{value} has no exact decimal form")
    digits = str(abs(value.numerator * 10**places // value.denominator)).rjust(places + 1, "0")
    whole, frac = digits[: len(digits) - places], digits[len(digits) - places :]
    return ("-" if value < 0 else "") + whole + ("." + frac if frac else "")


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
        # A strength typed after the misspelt name ("Xanaxx 1 mg") stays with the corrected one.
        written = " ".join(old.name.split())
        words = name_words(written)
        rest = written[len(words) :] if words and written.lower().startswith(words) else ""
        new_name = f"{clean}{rest}" if rest and resolve(f"{clean}{rest}", kb).screened else clean
        uow.medications.remove(medication_id, at=now, by=actor.user_id)
        medication = uow.medications.add(
            patient_id=access.profile.id,
            name=new_name,
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
            summary=f"changed {old.name} to {new_name}",
            detail={
                "medication": medication.id,
                "replaced": medication_id,
                "from": old.name,
                "name": new_name,
            },
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
