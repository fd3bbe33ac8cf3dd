"""Plans on the patient record: build a titration through the planner (findings shown before saving), make
it the schedule in force, and change it (pause, resume, slow down, step back, taper). Every change is a new
version with who and why; nothing ever stops a drug except a taper.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Literal

from dosewise.domain.errors import InvalidInput
from dosewise.domain.findings import Finding
from dosewise.domain.regimen import Plan, Step
from dosewise.domain.rules import KnowledgeBase
from dosewise.services import plan_gate, plans_adjust
from dosewise.services.audit import record
from dosewise.services.documents import plan_from_document, plan_to_document
from dosewise.services.plan_gate import Blocked
from dosewise.services.plan_requests import (
    TaperRequest,
    TitrationRequest,
    overrides_of,
    taper_plan,
    titration_plan,
)
from dosewise.services.ports import Actor, Clock, Conflict, PlanVersion, Store, UnitOfWork
from dosewise.services.record_day import record_today
from dosewise.services.records import to_patient
from dosewise.services.sharing import Access, Permission, authorise

__all__ = [
    "ADJUSTMENTS",
    "AdjustmentRequest",
    "PlanOverview",
    "PlanPreview",
    "PreviewChanged",
    "TaperRequest",
    "TitrationRequest",
    "adjust_plan",
    "plan_in_force",
    "plan_of",
    "plan_overview",
    "preview_adjustment",
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


class PreviewChanged(Conflict):
    """The plan that would be saved is not the one that was previewed (inputs or the record changed)."""

    code = "preview_changed"


@dataclass(frozen=True)
class PlanPreview:
    """The whole timeline that saving would store, its fresh findings, what stops it being stored, and
    the fingerprint a save must carry to store exactly this."""

    plan: Plan
    effective_from: date
    blocked: tuple[Blocked, ...]
    fingerprint: str

    @property
    def savable(self) -> bool:
        return not self.blocked


def _fingerprint(latest: PlanVersion | None, document: dict[str, Any], notes: bool = True) -> str:
    """The previewed plan and the version it follows; a save after any change to either is refused."""
    plan = document if notes else {k: v for k, v in document.items() if k != "notes"}
    content = {"after": latest.number if latest else 0, "plan": plan}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _review(
    uow: UnitOfWork,
    kb: KnowledgeBase,
    access: Access,
    timeline: Plan,
    effective_from: date,
    before: Plan | None = None,
    extra: Sequence[Blocked] = (),
    notes_in_fingerprint: bool = True,
) -> PlanPreview:
    """The check every plan version passes before it is stored (and the preview shows)."""
    patient = to_patient(access.profile, effective_from, uow.medications.current(access.profile.id))
    checked, found = plan_gate.judge(
        kb, timeline, patient=patient, effective_from=effective_from, before=before
    )
    blocked = (*extra, *found)
    document = plan_to_document(checked, kb.drug(checked.drug))
    latest = uow.plans.latest(access.profile.id)
    return PlanPreview(
        checked, effective_from, blocked, _fingerprint(latest, document, notes=notes_in_fingerprint)
    )


def _titration_timeline(
    uow: UnitOfWork, kb: KnowledgeBase, access: Access, actor: Actor, request: TitrationRequest, now: datetime
) -> PlanPreview:
    latest = uow.plans.latest(access.profile.id)
    previous = plan_of(latest, kb) if latest else None
    plan = titration_plan(
        kb,
        access,
        actor,
        request,
        record_today(access.profile, previous, now),
        uow.medications.current(access.profile.id),
    )
    past: list[Step] = []
    extra: list[Blocked] = []
    if previous is not None:
        if previous.drug == plan.drug:
            past = plan_gate.steps_until(previous, plan.start)
        else:
            extra = plan_gate.switch_findings(kb, previous, plan)
    return _review(uow, kb, access, plans_adjust.join(plan, past, plan), plan.start, extra=extra)


def preview_titration(
    *, store: Store, kb: KnowledgeBase, clock: Clock, actor: Actor, public_id: str, request: TitrationRequest
) -> PlanPreview:
    """What saving this titration would store, with its findings; nothing is stored."""
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="manage_plans")
        return _titration_timeline(uow, kb, access, actor, request, clock())


def _prescriber(access: Access, actor: Actor, prescriber: str) -> str:
    if access.relation == "clinician":
        return prescriber.strip() or actor.display_name
    if not prescriber.strip():
        raise InvalidInput(
            "name the clinician who prescribed this plan",
            hint="dosewise follows your clinician's plan; it does not prescribe",
            field="prescriber",
        )
    return prescriber.strip()


def _reason(reason: str) -> str:
    if not reason.strip():
        raise InvalidInput("every change to a plan needs a reason", field="reason")
    if len(reason) > 1000:
        raise InvalidInput("the reason is too long (up to 1000 characters)", field="reason")
    return reason.strip()


def _save(
    uow: UnitOfWork,
    *,
    kb: KnowledgeBase,
    now: datetime,
    actor: Actor,
    access: Access,
    review: PlanPreview,
    action: str,
    reason: str,
    prescriber: str | None,
    expected: str = "",
    previewed_only: bool = False,
    status: Literal["active", "paused"] = "active",
    resume_document: dict[str, Any] | None = None,
    paused_on: date | None = None,
) -> PlanVersion:
    """Store a reviewed version: refused while the checker blocks it, or if it is not what was previewed."""
    if previewed_only and not expected.strip():
        raise InvalidInput(
            "preview the plan first: it is saved only after you have seen its findings",
            hint="press Preview, check the steps and findings, then save",
        )
    if review.blocked:
        raise plan_gate.PlanNotSafe(review.blocked)
    if expected.strip() and expected.strip() != review.fingerprint:
        raise PreviewChanged(
            "this plan was not saved: it is not the plan that was previewed (the choices or the record "
            "changed since)",
            hint="preview the plan again, check it, then save",
        )
    latest = uow.plans.latest(access.profile.id)
    timeline, effective_from = review.plan, review.effective_from
    version = uow.plans.add(
        PlanVersion(
            id=0,
            patient_id=access.profile.id,
            number=(latest.number + 1) if latest else 1,
            document=plan_to_document(timeline, kb.drug(timeline.drug)),
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
    fingerprint: str = "",
    previewed_only: bool = False,
) -> PlanVersion:
    """Make a new titration the schedule in force from its start day (earlier planned days are kept).

    With ``fingerprint`` (from the preview) the save stores exactly what was previewed, or nothing.
    """
    why = _reason(reason)
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="manage_plans")
        uow.patients.lock(access.profile.id)
        who = _prescriber(access, actor, prescriber)
        now = clock()
        review = _titration_timeline(uow, kb, access, actor, request, now)
        version = _save(
            uow,
            kb=kb,
            now=now,
            actor=actor,
            access=access,
            review=review,
            action="titration",
            reason=why,
            prescriber=who,
            expected=fingerprint,
            previewed_only=previewed_only,
        )
        uow.commit()
        return version


def _taper_timeline(
    uow: UnitOfWork, kb: KnowledgeBase, access: Access, actor: Actor, request: TaperRequest, now: datetime
) -> PlanPreview:
    latest = uow.plans.latest(access.profile.id)
    if latest is None:
        raise InvalidInput("there is no plan to taper")
    current = plan_of(latest, kb)
    taper = taper_plan(
        kb,
        access,
        actor,
        current,
        request,
        record_today(access.profile, current, now),
        uow.medications.current(access.profile.id),
    )
    # The plan in force runs every day until the taper starts; the taper starts from that day's dose.
    past = plan_gate.steps_until(current, taper.start)
    return _review(uow, kb, access, plans_adjust.join(current, past, taper), taper.start)


def preview_taper(
    *, store: Store, kb: KnowledgeBase, clock: Clock, actor: Actor, public_id: str, request: TaperRequest
) -> PlanPreview:
    """What saving this taper would store (the plan in force until it starts, then the taper)."""
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="manage_plans")
        return _taper_timeline(uow, kb, access, actor, request, clock())


def start_taper(
    *,
    store: Store,
    kb: KnowledgeBase,
    clock: Clock,
    actor: Actor,
    public_id: str,
    request: TaperRequest,
    reason: str,
    fingerprint: str = "",
    previewed_only: bool = False,
) -> PlanVersion:
    """The only way to stop: a taper from the dose in force on its start day, built by the planner."""
    why = _reason(reason)
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="manage_plans")
        if access.relation == "self":
            raise InvalidInput(
                "a taper is set by your clinician",
                hint="never stop this medicine suddenly; ask your clinician for a taper plan",
            )
        uow.patients.lock(access.profile.id)
        now = clock()
        review = _taper_timeline(uow, kb, access, actor, request, now)
        version = _save(
            uow,
            kb=kb,
            now=now,
            actor=actor,
            access=access,
            review=review,
            action="taper",
            reason=why,
            prescriber=actor.display_name,
            expected=fingerprint,
            previewed_only=previewed_only,
        )
        uow.commit()
        return version


ADJUSTMENTS: tuple[Adjustment, ...] = ("pause", "resume", "slow_down", "step_back")


@dataclass(frozen=True)
class AdjustmentRequest:
    """A change to the plan in force from the record's today, as the page or the API gives it."""

    adjustment: str
    reason: str = ""
    override_code: str = ""
    override_reason: str = ""


def _adjustment_timeline(
    uow: UnitOfWork,
    kb: KnowledgeBase,
    access: Access,
    actor: Actor,
    request: AdjustmentRequest,
    now: datetime,
    why: str,
) -> tuple[PlanPreview, dict[str, Any]]:
    """The whole timeline the change would store, reviewed like any plan, and the version's pause fields."""
    if request.adjustment not in ADJUSTMENTS:
        raise InvalidInput(
            f"'{request.adjustment}' is not a plan change (pause, resume, slow_down, step_back)",
            field="adjustment",
        )
    if request.adjustment != "pause" and access.relation == "self":
        raise InvalidInput(
            "only your clinician can change the plan this way",
            hint="you can pause (hold your current dose) and tell your clinician",
            field="adjustment",
        )
    extra_overrides = overrides_of(access, actor, request.override_code, request.override_reason)
    latest = uow.plans.latest(access.profile.id)
    if latest is None:
        raise InvalidInput("there is no plan to change")
    current = plan_of(latest, kb)
    day = record_today(access.profile, current, now)
    paused = latest.status == "paused"
    extra: dict[str, Any] = {}
    if request.adjustment == "pause":
        if paused:
            raise InvalidInput("the plan is already paused", field="adjustment")
        timeline = plans_adjust.pause(current, day, why)
        extra = {"status": "paused", "resume_document": latest.document, "paused_on": day}
    elif request.adjustment == "resume":
        if not paused or latest.resume_document is None or latest.paused_on is None:
            raise InvalidInput("the plan is not paused", field="adjustment")
        original = plan_from_document(latest.resume_document, kb)
        timeline = plans_adjust.resume(current, original, latest.paused_on, day, why)
    else:
        if paused:
            raise InvalidInput("the plan is paused: resume it first", field="adjustment")
        change = plans_adjust.slow_down if request.adjustment == "slow_down" else plans_adjust.step_back
        timeline = change(current, day, why)
    if extra_overrides:
        timeline = replace(timeline, overrides=(*timeline.overrides, *extra_overrides))
    # The reason is written into the plan's notes; the fingerprint leaves the notes out, so that finishing
    # the reason after the preview does not count as a different plan (it changes no dose).
    return _review(uow, kb, access, timeline, day, before=current, notes_in_fingerprint=False), extra


def _permission(request: AdjustmentRequest) -> Permission:
    return "hold_plan" if request.adjustment == "pause" else "manage_plans"


def preview_adjustment(
    *, store: Store, kb: KnowledgeBase, clock: Clock, actor: Actor, public_id: str, request: AdjustmentRequest
) -> PlanPreview:
    """What this pause, resume, slow-down or step back would store, with its findings; nothing is stored."""
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission=_permission(request))
        why = request.reason.strip()[:1000] or "reason to be given"
        preview, _ = _adjustment_timeline(uow, kb, access, actor, request, clock(), why)
        return preview


def adjust_plan(
    *,
    store: Store,
    kb: KnowledgeBase,
    clock: Clock,
    actor: Actor,
    public_id: str,
    request: AdjustmentRequest,
    fingerprint: str = "",
    previewed_only: bool = False,
) -> PlanVersion:
    """Pause (hold the dose), resume, slow down or step back, from the record's today.

    The change is checked like any plan: a gap, an abrupt stop or a cut larger than the rules allow is
    refused unless a clinician names the override (``rapid_withdrawal``) with a reason. With
    ``fingerprint`` (from the preview) the save stores exactly what was previewed, or nothing.
    """
    why = _reason(request.reason)
    with store.write() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission=_permission(request))
        uow.patients.lock(access.profile.id)
        now = clock()
        review, extra = _adjustment_timeline(uow, kb, access, actor, request, now, why)
        version = _save(
            uow,
            kb=kb,
            now=now,
            actor=actor,
            access=access,
            review=review,
            action=request.adjustment,
            reason=why,
            prescriber=None,
            expected=fingerprint,
            previewed_only=previewed_only,
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
    latest = history[0] if history else None
    if latest is None:
        return PlanOverview(
            access, record_today(access.profile, None, clock()), None, None, None, None, (), history
        )
    plan = plan_of(latest, kb)
    today = record_today(access.profile, plan, clock())
    return PlanOverview(
        access, today, latest, plan, latest.document, plan.step_on(today), plan.findings, history
    )
