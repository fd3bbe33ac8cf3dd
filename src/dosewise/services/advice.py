"""Use cases for day-to-day advice: a missed dose, symptoms to triage, an intrathecal pump refill.

Each function is keyword-only, takes the knowledge base and plain domain objects, and returns the domain's
result. The triage context flags are computed here from the plan, the recorded doses, ``now`` and the
patient, with the windows documented at the top of the knowledge base's triage.toml.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dosewise.domain.errors import InvalidInput, KnowledgeError
from dosewise.domain.missed import MissedDoseAdvice, OverdoseRule, advise
from dosewise.domain.missed.slots import DoseRecord
from dosewise.domain.patient import Patient, kidney_function
from dosewise.domain.pump import RefillPlan, plan_refill
from dosewise.domain.quantity import Concentration, Quantity, Unit
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import KnowledgeBase, TriageContextRule
from dosewise.domain.screening import SEDATIVE_CLASSES, resolve
from dosewise.domain.triage import TriageContext, TriageResult, triage
from dosewise.formats.reading import check_date_range

__all__ = [
    "advise_missed",
    "parse_moment",
    "plan_pump_refill",
    "plan_zone",
    "triage_context",
    "triage_symptoms",
    "zone",
]


def _context_rule(kb: KnowledgeBase) -> TriageContextRule:
    """triage.toml [context]: how far back dose changes count, and the kidney threshold."""
    if kb.triage_context is None:
        raise KnowledgeError(f"knowledge base {kb.version} has no triage context rule")
    return kb.triage_context


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"unknown time zone '{name}'", hint="use an IANA name such as Europe/Paris"
        ) from exc


def parse_moment(text: str, tz: ZoneInfo, what: str = "time") -> tuple[datetime, bool]:
    """An ISO 8601 date and time; one without an offset is read in ``tz`` (then ``True`` is returned).

    A local time that does not exist (clocks spring forward) or exists twice (clocks fall back) is refused
    rather than guessed: give the offset, e.g. 2026-10-25T02:30+01:00.
    """
    raw = text.strip()
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput(
            f"{what} '{text}' is not an ISO 8601 date and time (e.g. 2026-03-10T14:30)"
        ) from exc
    if "T" not in raw.upper() and " " not in raw:
        raise InvalidInput(f"{what} '{text}' has no time of day", hint="e.g. 2026-03-10T14:30")
    check_date_range(parsed.date(), what, text)
    if parsed.tzinfo is not None:
        return parsed, False
    first, second = parsed.replace(tzinfo=tz, fold=0), parsed.replace(tzinfo=tz, fold=1)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != parsed:
        raise InvalidInput(
            f"{what} {raw} does not exist in {tz.key} (the clocks changed)", hint="give the UTC offset"
        )
    if first.utcoffset() != second.utcoffset():
        raise InvalidInput(
            f"{what} {raw} happens twice in {tz.key} (the clocks changed)", hint="give the UTC offset"
        )
    return first, True


def plan_zone(plan: Plan) -> ZoneInfo:
    """The plan's clock times are local to its own zone."""
    return zone(plan.timezone)


def advise_missed(
    *,
    kb: KnowledgeBase,
    plan: Plan,
    now: datetime,
    taken: Sequence[datetime] = (),
    skipped: Sequence[datetime] = (),
    since: datetime | None = None,
    records: Sequence[DoseRecord] = (),
    patient: Patient | None = None,
) -> MissedDoseAdvice:
    """Take now or skip the most recent missed dose of ``plan``, with its urgency; doses taken close
    together are an overdose question judged with the patient's kidney function."""
    rules = kb.drug(plan.drug)
    if rules.missed_dose is None:
        raise KnowledgeError(f"the knowledge base has no missed-dose rule for {rules.name}")
    return advise(
        plan,
        plan_zone(plan),
        now=now,
        taken=taken,
        skipped=skipped,
        history_from=since,
        rule=rules.missed_dose,
        kb_version=kb.version,
        withdrawal_signs=rules.withdrawal_signs,
        records=records,
        overdose_rule=overdose_rule(kb, plan.drug, patient),
    )


def _kidney_impaired(kb: KnowledgeBase, patient: Patient | None) -> str | None:
    """Dialysis, or CrCl/eGFR below triage.toml's kidney threshold (the same test triage uses)."""
    if patient is None:
        return None
    kidney = kidney_function(patient)
    value = kidney.for_bands
    if kidney.dialysis:
        return "dialysis"
    if value is not None and value < _context_rule(kb).kidney_impaired_below_ml_min:
        return f"reduced kidney function (CrCl/eGFR {round(value)} mL/min)"
    return None


def overdose_rule(kb: KnowledgeBase, drug: str, patient: Patient | None) -> OverdoseRule | None:
    """The large-ingestion red flag and the triage texts for a large ingestion and for an extra dose."""
    rules = kb.drug(drug)
    by_id = {rule.id: rule for rule in kb.triage_rules}
    emergency, urgent = by_id.get("large-ingestion"), by_id.get("more-than-prescribed")
    if emergency is None or urgent is None:
        return None
    ingestion = kb.ingestion.get(rules.id)
    sources = (emergency.provenance, urgent.provenance, *((ingestion.provenance,) if ingestion else ()))
    return OverdoseRule(
        drug_name=rules.name,
        threshold=ingestion.threshold if ingestion else None,
        kidney_impaired=_kidney_impaired(kb, patient),
        emergency_text=emergency.patient_text,
        urgent_text=urgent.patient_text,
        source="; ".join(dict.fromkeys(p.cite() for p in sources)),
        source_ids=tuple(dict.fromkeys(i for p in sources for i in p.source_ids)),
    )


def _start_instant(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _plan_flags(kb: KnowledgeBase, plan: Plan, now: datetime, context: TriageContext) -> TriageContext:
    """dose_stopped and recent_increase from the plan's steps around ``now``."""
    tz = plan_zone(plan)
    now_utc = now.astimezone(UTC)
    rules = kb.drug(plan.drug)
    steep = rules.taper.max_single_reduction if rules.taper else None
    window = timedelta(hours=_context_rule(kb).change_window_hours)
    for index, step in enumerate(plan.steps):
        since = now_utc - _start_instant(step.start, tz)
        if not timedelta(0) <= since <= window:
            continue
        when = f"step {index + 1} started {step.start.isoformat()}"
        previous = plan.steps[index - 1].daily if index else None
        if previous is None:
            # A taper's first step lowers an earlier regimen the plan does not hold: not an increase.
            if plan.kind != "taper" and not step.dose.is_zero:
                context = context.with_flag("recent_increase", f"{when}: started at {step.daily} a day")
        elif step.dose.is_zero:
            if not previous.is_zero:
                context = context.with_flag("dose_stopped", f"{when}: stopped from {previous} a day")
        elif previous.is_zero:
            context = context.with_flag("recent_increase", f"{when}: restarted at {step.daily} a day")
        elif step.daily > previous:
            context = context.with_flag(
                "recent_increase", f"{when}: raised from {previous} to {step.daily} a day"
            )
        elif steep is not None and (previous - step.daily).ratio(previous) >= steep:
            context = context.with_flag(
                "dose_stopped",
                f"{when}: fell from {previous} to {step.daily} a day (at least {steep} at once)",
            )
    if plan.then == "stop" and timedelta(0) <= now_utc - _start_instant(plan.end, tz) <= window:
        context = context.with_flag(
            "dose_stopped", f"the plan stopped after {plan.steps[-1].last_day.isoformat()}"
        )
    return context


def _patient_flags(
    kb: KnowledgeBase, drug: str, patient: Patient, context: TriageContext, notes: list[str]
) -> TriageContext:
    kidney = kidney_function(patient)
    value = kidney.for_bands
    if kidney.notice is not None:
        notes.append(kidney.notice)
    if kidney.dialysis:
        context = context.with_flag("kidney_impaired", "on dialysis")
    elif value is not None and value < _context_rule(kb).kidney_impaired_below_ml_min:
        context = context.with_flag("kidney_impaired", f"CrCl/eGFR {round(value)} mL/min")
    elderly = kb.drug(drug).elderly
    egfr = kidney.for_egfr_rules
    if (
        elderly is not None
        and elderly.beers_egfr_below is not None
        and patient.age_years is not None
        and patient.age_years >= elderly.age_from_years
        and ((egfr is not None and egfr < elderly.beers_egfr_below) or kidney.dialysis)
    ):
        context = context.with_flag("older_low_egfr", f"age {patient.age_years} with reduced kidney function")
    for medication in patient.medications:
        name = medication.name
        if any(word in name.lower() for word in ("intrathecal", "pump")):
            context = context.with_flag("pump", f"medication list: {name}")
            continue
        found = resolve(name, kb)
        if not found.screened:
            # It may be a sedative: never read as "no sedative" (unknown is never reassuring).
            notes.append(
                f"'{name}' on the medication list was not recognised and was not screened: it could be a "
                "sedative, so sleepiness is not treated as harmless."
            )
            context = context.with_flag("unscreened_comedication", f"'{name}' could not be screened")
        # Every ingredient of a combination product counts ("Percocet", "Tylenol PM"), not the drug itself.
        for ingredient in found.ingredients:
            sedative = sorted(cls.replace("_", " ") for cls in set(ingredient.classes) & SEDATIVE_CLASSES)
            if sedative and ingredient.id != drug:
                context = context.with_flag(
                    "sedative_comedication", f"{ingredient.name} ({', '.join(sedative)})"
                )
    return context


def _drug_context(
    kb: KnowledgeBase, plan: Plan | None, drug: str | None, tablet: Quantity | None, notes: list[str]
) -> TriageContext:
    """The drug in question (plan, then --drug, else baclofen with a note) and its tablet strength."""
    if plan is not None and drug is not None and kb.drug(drug).id != plan.drug:
        raise InvalidInput(
            f"--drug {drug} disagrees with the plan's drug {plan.drug}", hint="leave --drug out with --plan"
        )
    if plan is not None:
        drug_id = plan.drug
    elif drug is not None:
        drug_id = kb.drug(drug).id
    else:
        drug_id = "baclofen"
        notes.append("No plan or drug was given: the texts and the large-ingestion check assume baclofen.")
    rules = kb.drug(drug_id)
    strength = tablet
    if strength is None and plan is not None:
        strengths = [p.strength for p in rules.products if p.id in plan.products and p.strength is not None]
        if strengths:
            strength = max(strengths, key=lambda q: q.to(Unit.MG).amount)
    return TriageContext(drug=drug_id, drug_name=rules.name, unit_strength=strength)


def triage_context(
    *,
    kb: KnowledgeBase,
    plan: Plan | None = None,
    now: datetime | None = None,
    taken: Sequence[datetime] = (),
    skipped: Sequence[datetime] = (),
    patient: Patient | None = None,
    pump: bool = False,
    pump_on_record: bool = False,
    notes: list[str] | None = None,
    records: Sequence[DoseRecord] = (),
    drug: str | None = None,
    tablet: Quantity | None = None,
    stopped_recently: bool = False,
    missed_days: int | None = None,
) -> TriageContext:
    """The context flags for triage, each with why it is set, and the drug in question."""
    notes = [] if notes is None else notes
    context = _drug_context(kb, plan, drug, tablet, notes)
    if pump:
        context = context.with_flag("pump", "stated")
    if pump_on_record:
        # The record's pump history (services.pump.has_pump): its withdrawal and overdose signs apply.
        context = context.with_flag("pump", "intrathecal pump on the record")
    if stopped_recently:
        context = context.with_flag("dose_stopped", "stated: stopped recently (--stopped-recently)")
    if missed_days is not None:
        if missed_days < 0:
            raise InvalidInput("--missed-days cannot be negative", hint="e.g. --missed-days 2")
        if missed_days > 0:
            context = context.with_flag("missed_doses", f"stated: {missed_days} day(s) of missed doses")
    if plan is not None:
        if now is None:
            raise InvalidInput("a plan needs 'now' to tell which doses were due", hint="give --now")
        if plan.route == "intrathecal":
            context = context.with_flag("pump", "intrathecal plan")
        context = _plan_flags(kb, plan, now, context)
        if kb.drug(plan.drug).missed_dose is None:
            notes.append(f"No missed-dose rule for {plan.drug}, so missed doses were not assessed.")
        elif taken or skipped or records:
            advice = advise_missed(kb=kb, plan=plan, now=now, taken=taken, skipped=skipped, records=records)
            # A dose still inside its take window is not missed yet.
            missed = advice.missed_recent - (1 if advice.action == "take_now" else 0)
            if missed > 0 or advice.late_recent > 0:
                context = context.with_flag(
                    "missed_doses", f"{missed} missed and {advice.late_recent} late in the last 48 h"
                )
        else:
            notes.append("No doses were recorded as taken, so missed doses were not assessed.")
    if patient is not None:
        context = _patient_flags(kb, context.drug or "baclofen", patient, context, notes)
    return context


def triage_symptoms(
    *,
    kb: KnowledgeBase,
    symptoms: Sequence[str],
    plan: Plan | None = None,
    now: datetime | None = None,
    taken: Sequence[datetime] = (),
    skipped: Sequence[datetime] = (),
    patient: Patient | None = None,
    pump: bool = False,
    pump_on_record: bool = False,
    reported_severity: str | None = None,
    records: Sequence[DoseRecord] = (),
    drug: str | None = None,
    tablet: Quantity | None = None,
    stopped_recently: bool = False,
    missed_days: int | None = None,
) -> TriageResult:
    """Triage symptoms with the context computed from the plan, recorded doses, the patient and flags."""
    notes: list[str] = []
    context = triage_context(
        kb=kb,
        plan=plan,
        now=now,
        taken=taken,
        skipped=skipped,
        patient=patient,
        pump=pump,
        pump_on_record=pump_on_record,
        notes=notes,
        records=records,
        drug=drug,
        tablet=tablet,
        stopped_recently=stopped_recently,
        missed_days=missed_days,
    )
    return triage(symptoms, context, kb, notes=tuple(notes), reported_severity=reported_severity)


def plan_pump_refill(
    *,
    kb: KnowledgeBase,
    reservoir: Quantity,
    concentration: Concentration,
    daily_dose: Quantity,
    today: date,
    alarm: Quantity | None = None,
    fill: Quantity | None = None,
    origin: str | None = None,
    changes: tuple[tuple[date, Quantity], ...] = (),
) -> RefillPlan:
    """Days to the low-reservoir alarm and the refill date, from the knowledge base's pump rules."""
    if kb.pump is None:
        raise KnowledgeError(f"knowledge base {kb.version} has no intrathecal pump rules")
    return plan_refill(
        reservoir=reservoir,
        concentration=concentration,
        daily_dose=daily_dose,
        today=today,
        rules=kb.pump,
        kb_version=kb.version,
        alarm=alarm,
        fill=fill,
        origin=origin,
        changes=changes,
    )
