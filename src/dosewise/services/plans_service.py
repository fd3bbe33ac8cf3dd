"""Plans on the patient record: build a titration through the planner (findings shown before saving), make
it the schedule in force, and change it (pause, resume, slow down, step back, taper). Every change is a new
version with who and why; nothing ever stops a drug except a taper.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from fractions import Fraction
from typing import Any, Literal

from dosewise.domain.errors import InvalidInput
from dosewise.domain.findings import Finding
from dosewise.domain.quantity import Quantity, Unit, parse_amount, parse_quantity
from dosewise.domain.regimen import Override, Plan, Step, parse_clock_time
from dosewise.domain.rules import KnowledgeBase
from dosewise.services import planning, plans_adjust
from dosewise.services.audit import record
from dosewise.services.dates import read_date_near
from dosewise.services.documents import plan_from_document, plan_to_document
from dosewise.services.ports import Actor, Clock, PlanVersion, Store, UnitOfWork
from dosewise.services.records import local_today, to_patient
from dosewise.services.sharing import Access, Permission, authorise

__all__ = [
    "PlanOverview",
    "TaperRequest",
    "TitrationRequest",
    "adjust_plan",
    "plan_in_force",
    "plan_of",
    "plan_overview",
    "preview_taper",
    "preview_titration",
    "start_taper",
    "start_titration",
]

Adjustment = Literal["pause", "resume", "slow_down", "step_back"]
_CACHE_SIZE = 512
_plans: OrderedDict[str, Plan] = OrderedDict()


def plan_of(version: PlanVersion, kb: KnowledgeBase) -> Plan:
    """The stored document as a plan. Versions never change, so the decoded plan is cached by content."""
    key = kb.version + json.dumps(version.document, sort_keys=True, separators=(",", ":"))
    plan = _plans.get(key)
    if plan is None:
        plan = plan_from_document(version.document, kb)
        _plans[key] = plan
        if len(_plans) > _CACHE_SIZE:
            _plans.popitem(last=False)
    else:
        _plans.move_to_end(key)
    return plan


def plan_in_force(
    uow: UnitOfWork, kb: KnowledgeBase, patient_id: int
) -> tuple[PlanVersion | None, Plan | None]:
    """The patient's latest plan version and its plan (both None before the first plan)."""
    version = uow.plans.latest(patient_id)
    return version, (plan_of(version, kb) if version else None)


@dataclass(frozen=True)
class TitrationRequest:
    """A titration as typed into the planner form; empty text means "the label's default"."""

    drug: str = "baclofen"
    start: str = ""
    start_dose: str = ""
    increment: str = ""
    interval_days: str = ""
    target_daily: str = ""
    times_per_day: str = ""
    times: str = ""
    products: tuple[str, ...] = ()
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


@dataclass(frozen=True)
class PlanOverview:
    access: Access
    today: date
    version: PlanVersion | None
    plan: Plan | None
    document: dict[str, Any] | None
    current: Step | None
    findings: tuple[Finding, ...]
    history: Sequence[PlanVersion]

    @property
    def paused(self) -> bool:
        return self.version is not None and self.version.status == "paused"


def _mass(text: str, what: str) -> Quantity | None:
    text = text.strip()
    if not text:
        return None
    try:
        return parse_quantity(text, allowed=(Unit.MG, Unit.MCG))
    except InvalidInput as exc:
        raise InvalidInput(f"{what}: {exc.message}", hint=exc.hint) from exc


def _whole(text: str, what: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput(f"{what}: '{text}' is not a whole number")
    return int(text)


def _start(text: str, today: date) -> date:
    return read_date_near(text, "start", today)


def _times(text: str) -> tuple[Any, ...]:
    parts = [part for part in text.replace(";", ",").replace(" ", ",").split(",") if part]
    return tuple(parse_clock_time(part) for part in parts)


def _overrides(access: Access, actor: Actor, code: str, reason: str) -> tuple[Override, ...]:
    if not code.strip():
        return ()
    if access.relation != "clinician":
        raise InvalidInput("only a clinician can override a limit, with a recorded reason")
    if not reason.strip():
        raise InvalidInput("an override needs a reason")
    return (Override(code.strip(), reason.strip(), actor.display_name),)


def _titration(
    kb: KnowledgeBase, access: Access, actor: Actor, request: TitrationRequest, today: date
) -> Plan:
    patient = to_patient(access.profile, today)
    return planning.titrate(
        kb=kb,
        drug=request.drug,
        start=_start(request.start, today),
        patient=patient,
        start_dose=_mass(request.start_dose, "start dose"),
        increment=_mass(request.increment, "increase"),
        interval_days=_whole(request.interval_days, "days between increases"),
        target_daily=_mass(request.target_daily, "target daily dose"),
        times_per_day=_whole(request.times_per_day, "doses a day"),
        times=_times(request.times),
        products=tuple(p for p in request.products if p),
        overrides=_overrides(access, actor, request.override_code, request.override_reason),
    )


def preview_titration(
    *, store: Store, kb: KnowledgeBase, clock: Clock, actor: Actor, public_id: str, request: TitrationRequest
) -> Plan:
    """The plan the planner would make, with its findings; nothing is stored."""
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="manage_plans")
    return _titration(kb, access, actor, request, local_today(access.profile, clock()))


def _prescriber(access: Access, actor: Actor, prescriber: str) -> str:
    if access.relation == "clinician":
        return prescriber.strip() or actor.display_name
    if not prescriber.strip():
        raise InvalidInput(
            "name the clinician who prescribed this plan",
            hint="dosewise follows your clinician's plan; it does not prescribe",
        )
    return prescriber.strip()


def _reason(reason: str) -> str:
    if not reason.strip():
        raise InvalidInput("every change to a plan needs a reason")
    if len(reason) > 1000:
        raise InvalidInput("the reason is too long (up to 1000 characters)")
    return reason.strip()


def _save(
    uow: UnitOfWork,
    *,
    kb: KnowledgeBase,
    now: datetime,
    actor: Actor,
    access: Access,
    timeline: Plan,
    effective_from: date,
    action: str,
    reason: str,
    prescriber: str | None,
    status: Literal["active", "paused"] = "active",
    resume_document: dict[str, Any] | None = None,
    paused_on: date | None = None,
) -> PlanVersion:
    latest = uow.plans.latest(access.profile.id)
    rules = kb.drug(timeline.drug)
    version = uow.plans.add(
        PlanVersion(
            id=0,
            patient_id=access.profile.id,
            number=(latest.number + 1) if latest else 1,
            document=plan_to_document(timeline, rules),
            status=status,
            action=action,
            reason=reason,
            created_by=actor.user_id,
            created_by_name=actor.display_name,
            created_at=now,
            effective_from=effective_from,
            prescriber=prescriber if prescriber is not None else (latest.prescriber if latest else None),
            resume_document=resume_document,
            paused_on=paused_on,
        )
    )
    record(
        uow,
        at=now,
        actor=actor,
        patient_id=access.profile.id,
        action=f"plan.{action}",
        summary=f"plan version {version.number}: {action.replace('_', ' ')} from {effective_from.isoformat()} ({reason})",
        detail={"version": version.number, "effective_from": effective_from.isoformat(), "reason": reason},
    )
    return version


def _checked_change(kb: KnowledgeBase, access: Access, timeline: Plan, day: date) -> Plan:
    """Findings for the part that changes (earlier steps were already checked when they were made)."""
    _, future = plans_adjust.split(timeline, day)
    if not future:
        return timeline
    part = replace(timeline, steps=tuple(future), findings=())
    checked = planning.check(kb=kb, plan=part, patient=to_patient(access.profile, day))
    return replace(timeline, findings=checked.findings)


def start_titration(
    *,
    store: Store,
    kb: KnowledgeBase,
    clock: Clock,
    actor: Actor,
    public_id: str,
    request: TitrationRequest,
    reason: str,
    prescriber: str = "",
) -> PlanVersion:
    """Make a new titration the schedule in force from its start day (earlier planned days are kept)."""
    why = _reason(reason)
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="manage_plans")
        uow.patients.lock(access.profile.id)
        who = _prescriber(access, actor, prescriber)
        now = clock()
        today = local_today(access.profile, now)
        plan = _titration(kb, access, actor, request, today)
        latest = uow.plans.latest(access.profile.id)
        past: list[Step] = []
        if latest is not None:
            previous = plan_of(latest, kb)
            if previous.drug == plan.drug:
                past, _ = plans_adjust.split(previous, plan.start)
        timeline = plans_adjust.join(plan, past, plan)
        version = _save(
            uow,
            kb=kb,
            now=now,
            actor=actor,
            access=access,
            timeline=timeline,
            effective_from=plan.start,
            action="titration",
            reason=why,
            prescriber=who,
        )
        uow.commit()
        return version


def _taper_plan(
    kb: KnowledgeBase, access: Access, actor: Actor, current: Plan, request: TaperRequest, day: date
) -> Plan:
    start = _start(request.start, day)
    step = current.step_on(start)
    if step is None or step.dose.is_zero:
        raise InvalidInput("there is no dose in force on that day to taper from")
    percent: Fraction | None = None
    if request.percent.strip():
        percent = parse_amount(request.percent.strip().rstrip("%"))
        if not 0 < percent < 100:
            raise InvalidInput("the percentage is between 0 and 100")
    target = _mass(request.target_daily, "target daily dose")
    return planning.taper(
        kb=kb,
        drug=current.drug,
        start=start,
        current_dose=step.dose,
        current_times_per_day=step.times_per_day,
        patient=to_patient(access.profile, day),
        target_daily=target if target is not None and target.amount > 0 else None,
        step_daily=_mass(request.step_daily, "reduction per step"),
        percent=percent,
        step_days=_whole(request.step_days, "days at each step"),
        weeks=_whole(request.weeks, "weeks"),
        times=step.times,
        products=current.products,
        overrides=_overrides(access, actor, request.override_code, request.override_reason),
    )


def preview_taper(
    *, store: Store, kb: KnowledgeBase, clock: Clock, actor: Actor, public_id: str, request: TaperRequest
) -> Plan:
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="manage_plans")
        latest = uow.plans.latest(access.profile.id)
    if latest is None:
        raise InvalidInput("there is no plan to taper")
    return _taper_plan(kb, access, actor, plan_of(latest, kb), request, local_today(access.profile, clock()))


def start_taper(
    *,
    store: Store,
    kb: KnowledgeBase,
    clock: Clock,
    actor: Actor,
    public_id: str,
    request: TaperRequest,
    reason: str,
) -> PlanVersion:
    """The only way to stop: a taper from the dose in force, built by the planner."""
    why = _reason(reason)
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="manage_plans")
        if access.relation == "self":
            raise InvalidInput(
                "a taper is set by your clinician",
                hint="never stop baclofen suddenly; ask your clinician for a taper plan",
            )
        uow.patients.lock(access.profile.id)
        latest = uow.plans.latest(access.profile.id)
        if latest is None:
            raise InvalidInput("there is no plan to taper")
        current = plan_of(latest, kb)
        now = clock()
        taper = _taper_plan(kb, access, actor, current, request, local_today(access.profile, now))
        past, _ = plans_adjust.split(current, taper.start)
        timeline = plans_adjust.join(current, past, taper)
        version = _save(
            uow,
            kb=kb,
            now=now,
            actor=actor,
            access=access,
            timeline=timeline,
            effective_from=taper.start,
            action="taper",
            reason=why,
            prescriber=actor.display_name,
        )
        uow.commit()
        return version


def adjust_plan(
    *,
    store: Store,
    kb: KnowledgeBase,
    clock: Clock,
    actor: Actor,
    public_id: str,
    adjustment: str,
    reason: str,
) -> PlanVersion:
    """Pause (hold the dose), resume, slow down or step back, from today in the patient's time zone."""
    if adjustment not in ("pause", "resume", "slow_down", "step_back"):
        raise InvalidInput(f"'{adjustment}' is not a plan change (pause, resume, slow_down, step_back)")
    why = _reason(reason)
    permission: Permission = "hold_plan" if adjustment == "pause" else "manage_plans"
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission=permission)
        if adjustment != "pause" and access.relation == "self":
            raise InvalidInput(
                "only your clinician can change the plan this way",
                hint="you can pause (hold your current dose) and tell your clinician",
            )
        uow.patients.lock(access.profile.id)
        latest = uow.plans.latest(access.profile.id)
        if latest is None:
            raise InvalidInput("there is no plan to change")
        now = clock()
        day = local_today(access.profile, now)
        current = plan_of(latest, kb)
        paused = latest.status == "paused"
        extra: dict[str, Any] = {}
        if adjustment == "pause":
            if paused:
                raise InvalidInput("the plan is already paused")
            timeline = plans_adjust.pause(current, day, why)
            extra = {"status": "paused", "resume_document": latest.document, "paused_on": day}
        elif adjustment == "resume":
            if not paused or latest.resume_document is None or latest.paused_on is None:
                raise InvalidInput("the plan is not paused")
            original = plan_from_document(latest.resume_document, kb)
            timeline = plans_adjust.resume(current, original, latest.paused_on, day, why)
        else:
            if paused:
                raise InvalidInput("the plan is paused: resume it first")
            change = plans_adjust.slow_down if adjustment == "slow_down" else plans_adjust.step_back
            timeline = change(current, day, why)
        timeline = _checked_change(kb, access, timeline, day)
        version = _save(
            uow,
            kb=kb,
            now=now,
            actor=actor,
            access=access,
            timeline=timeline,
            effective_from=day,
            action=adjustment,
            reason=why,
            prescriber=None,
            **extra,
        )
        uow.commit()
        return version


def plan_overview(
    *, store: Store, kb: KnowledgeBase, clock: Clock, actor: Actor, public_id: str
) -> PlanOverview:
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="view")
        history = uow.plans.history(access.profile.id)
    today = local_today(access.profile, clock())
    latest = history[0] if history else None
    if latest is None:
        return PlanOverview(access, today, None, None, None, None, (), history)
    plan = plan_of(latest, kb)
    return PlanOverview(
        access, today, latest, plan, latest.document, plan.step_on(today), plan.findings, history
    )
