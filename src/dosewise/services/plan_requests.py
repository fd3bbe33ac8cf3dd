"""What the planner forms and the plans API ask for, as typed, and how each request becomes a plan.

Empty text means "the drug's own default from the knowledge base"; nothing here assumes a drug: the
request names it, and a titration without one is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from fractions import Fraction

from dosewise.domain.errors import InvalidInput
from dosewise.domain.quantity import Quantity, Unit, parse_amount, parse_quantity
from dosewise.domain.regimen import Override, Plan, parse_clock_time
from dosewise.domain.rules import KnowledgeBase
from dosewise.services import planning
from dosewise.services.dates import read_date_near
from dosewise.services.ports import Actor, Medication
from dosewise.services.records import to_patient
from dosewise.services.sharing import Access

__all__ = [
    "TaperRequest",
    "TitrationRequest",
    "overrides_of",
    "parse_start",
    "taper_plan",
    "titration_plan",
]


@dataclass(frozen=True)
class TitrationRequest:
    """A titration as typed into the planner form; empty text means "the label's default"."""

    drug: str = ""
    start: str = ""
    start_dose: str = ""
    increment: str = ""
    interval_days: str = ""
    target_daily: str = ""
    times_per_day: str = ""
    times: str = ""
    products: tuple[str, ...] = ()
    confirmed_scored: tuple[str, ...] = ()
    override_code: str = ""
    override_reason: str = ""


@dataclass(frozen=True)
class TaperRequest:
    start: str = ""
    target_daily: str = ""
    step_daily: str = ""
    percent: str = ""
    step_days: str = ""
    weeks: str = ""
    override_code: str = ""
    override_reason: str = ""


# Each refusal names the field it is about (``field``), so a page can mark that input.
def _mass(text: str, what: str, field: str) -> Quantity | None:
    text = text.strip()
    if not text:
        return None
    try:
        return parse_quantity(text, allowed=(Unit.MG, Unit.MCG))
    except InvalidInput as exc:
        raise InvalidInput(f"{what}: {exc.message}", hint=exc.hint, field=field) from exc


def _whole(text: str, what: str, field: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput(f"{what}: '{text}' is not a whole number", field=field)
    return int(text)


def parse_start(text: str, today: date) -> date:
    """A plan's start: empty is today; otherwise within 366 days of today (services.dates)."""
    try:
        return read_date_near(text, "start", today)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, hint=exc.hint, field="start") from exc


def _times(text: str) -> tuple[time, ...]:
    parts = [part for part in text.replace(";", ",").replace(" ", ",").split(",") if part]
    try:
        return tuple(parse_clock_time(part) for part in parts)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, hint=exc.hint, field="times") from exc


def overrides_of(access: Access, actor: Actor, code: str, reason: str) -> tuple[Override, ...]:
    if not code.strip():
        return ()
    if access.relation != "clinician":
        raise InvalidInput(
            "only a clinician can override a limit, with a recorded reason", field="override_code"
        )
    if not reason.strip():
        raise InvalidInput("an override needs a reason", field="override_reason")
    return (Override(code.strip(), reason.strip(), actor.display_name),)


def titration_plan(
    kb: KnowledgeBase,
    access: Access,
    actor: Actor,
    request: TitrationRequest,
    today: date,
    medications: Sequence[Medication] = (),
) -> Plan:
    if not request.drug.strip():
        raise InvalidInput("choose the medicine this titration is for", field="drug")
    # The medication list goes in so contraindications and co-medication dose rules apply here too.
    patient = to_patient(access.profile, today, medications)
    return planning.titrate(
        kb=kb,
        drug=request.drug.strip(),
        start=parse_start(request.start, today),
        patient=patient,
        start_dose=_mass(request.start_dose, "start dose", "start_dose"),
        increment=_mass(request.increment, "increase", "increment"),
        interval_days=_whole(request.interval_days, "days between increases", "interval_days"),
        target_daily=_mass(request.target_daily, "target daily dose", "target_daily"),
        times_per_day=_whole(request.times_per_day, "doses a day", "times_per_day"),
        times=_times(request.times),
        products=tuple(p for p in request.products if p),
        confirmed_scored=tuple(p for p in request.confirmed_scored if p),
        overrides=overrides_of(access, actor, request.override_code, request.override_reason),
    )


def taper_plan(
    kb: KnowledgeBase,
    access: Access,
    actor: Actor,
    current: Plan,
    request: TaperRequest,
    today: date,
    medications: Sequence[Medication] = (),
) -> Plan:
    """A taper from the dose ``current`` gives on the taper's own start day (not today's dose)."""
    start = parse_start(request.start, today)
    if start < today:
        raise InvalidInput("a taper cannot start in the past", hint="start it today or later", field="start")
    step = current.step_on(start)
    if step is None or step.dose.is_zero:
        raise InvalidInput("there is no dose in force on that day to taper from", field="start")
    percent: Fraction | None = None
    if request.percent.strip():
        percent = parse_amount(request.percent.strip().rstrip("%"))
        if not 0 < percent < 100:
            raise InvalidInput("the percentage is between 0 and 100", field="percent")
    target = _mass(request.target_daily, "target daily dose", "target_daily")
    return planning.taper(
        kb=kb,
        drug=current.drug,
        start=start,
        current_dose=step.dose,
        current_times_per_day=step.times_per_day,
        patient=to_patient(access.profile, today, medications),
        target_daily=target if target is not None and target.amount > 0 else None,
        step_daily=_mass(request.step_daily, "reduction per step", "step_daily"),
        percent=percent,
        step_days=_whole(request.step_days, "days at each step", "step_days"),
        weeks=_whole(request.weeks, "weeks", "weeks"),
        times=step.times,
        products=current.products,
        confirmed_scored=current.confirmed_scored,
        overrides=overrides_of(access, actor, request.override_code, request.override_reason),
    )
