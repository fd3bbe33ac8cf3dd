"""Plans on the patient record: build a titration through the planner (findings shown before saving), make
it the schedule in force, and change it (pause, resume, slow down, step back, taper). Every change is a new
version with who and why; nothing ever stops a drug except a taper.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Literal

from dosewise.domain.errors import InvalidInput
from dosewise.domain.findings import Finding
from dosewise.domain.regimen import Plan, Step
from dosewise.domain.rules import KnowledgeBase
from dosewise.formats.plan_document import plan_to_document, step_labels
from dosewise.services import plan_gate, plans_adjust
from dosewise.services.audit import record
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
    "ShownPlan",
    "TaperRequest",
    "TitrationRequest",
    "adjust_plan",
    "knowledge_note",
    "plan_in_force",
    "plan_overview",
    "preview_adjustment",
    "preview_taper",
    "preview_titration",
    "shown_plan",
    "start_taper",
    "start_titration",
]

Adjustment = Literal["pause", "resume", "slow_down", "step_back"]


def plan_in_force(
    uow: UnitOfWork, kb: KnowledgeBase, patient_id: int
) -> tuple[PlanVersion | None, Plan | None]:
    """The patient's latest plan version and its plan (both None before the first plan)."""
    version = uow.plans.latest(patient_id)
    return version, (version.plan if version else None)


def knowledge_note(plan: Plan, kb: KnowledgeBase) -> str | None:
    """Plain words when the plan was made with another knowledge-base version than the loaded one."""
    if plan.kb_version == kb.version:
        return None
    return (
        f"This plan was made and checked with knowledge base {plan.kb_version}; dosewise now uses "
        f"{kb.version}. The doses are the ones your clinician set; what to take for each dose and the "
        f"findings are worked out with {kb.version}. Ask your clinician or pharmacist to review the plan."
    )


@dataclass(frozen=True)
class ShownPlan:
    """A stored plan as the loaded knowledge base renders it: the API's document and the page's step words."""

    document: dict[str, Any]
    labels: tuple[str, ...]


# Keyed by the plan object's identity: the store hands out one decoded Plan per version (see
# adapters/db/plans.py), and each entry keeps that plan alive with the knowledge base it was rendered with,
# so an id is never reused while it is cached.
_SHOWN: OrderedDict[int, tuple[Plan, KnowledgeBase, ShownPlan]] = OrderedDict()
_SHOWN_LOCK = threading.Lock()
_SHOWN_SIZE = 512


def shown_plan(plan: Plan, kb: KnowledgeBase) -> ShownPlan:
    """The plan rendered with the loaded knowledge base, once per plan (shared: never change it)."""
    with _SHOWN_LOCK:
        entry = _SHOWN.get(id(plan))
        if entry is not None and entry[0] is plan and entry[1] is kb:
            _SHOWN.move_to_end(id(plan))
            return entry[2]
    rules = kb.drug(plan.drug)
    shown = ShownPlan(plan_to_document(plan, rules), step_labels(plan, rules))
    with _SHOWN_LOCK:
        _SHOWN[id(plan)] = (plan, kb, shown)
        if len(_SHOWN) > _SHOWN_SIZE:
            _SHOWN.popitem(last=False)
    return shown


@dataclass(frozen=True)
class PlanOverview:
    access: Access
    today: date
    version: PlanVersion | None
    plan: Plan | None
    document: dict[str, Any] | None  # the plan document rendered with the loaded knowledge base
    current: Step | None
    findings: tuple[Finding, ...]  # what is still to come, checked now: today's record and knowledge base
    history: Sequence[PlanVersion]
    kb_version: str = ""  # the loaded knowledge base's version
    kb_note: str | None = None  # plain words when the plan's knowledge-base version is another one
    labels: tuple[str, ...] = ()  # what to take at each step, in words, from the loaded knowledge base
    saved_findings: tuple[Finding, ...] = ()  # the findings stored with the version on the day it was saved

    @property
    def findings_changed(self) -> bool:
        """Whether checking now finds something other than the day of saving did (a new creatinine, a new
        medicine on the list, another knowledge base): the page then shows both and asks for a review."""
        return {(f.code, f.severity) for f in self.findings} != {
            (f.code, f.severity) for f in self.saved_findings
        }

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
    previous = latest.plan if latest else None
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
    resume_plan: Plan | None = None,
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
            plan=timeline,
            status=status,
            action=action,
            reason=reason,
            created_by=actor.user_id,
            created_by_name=actor.display_name,
            created_at=now,
            effective_from=effective_from,
            prescriber=prescriber if prescriber is not None else (latest.prescriber if latest else None),
            resume_plan=resume_plan,
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
    current = latest.plan
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
    current = latest.plan
    day = record_today(access.profile, current, now)
    paused = latest.status == "paused"
    extra: dict[str, Any] = {}
    if request.adjustment == "pause":
        if paused:
            raise InvalidInput("the plan is already paused", field="adjustment")
        timeline = plans_adjust.pause(current, day, why)
        extra = {"status": "paused", "resume_plan": current, "paused_on": day}
    elif request.adjustment == "resume":
        if not paused or latest.resume_plan is None or latest.paused_on is None:
            raise InvalidInput("the plan is not paused", field="adjustment")
        original = latest.resume_plan
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
        medications = uow.medications.current(access.profile.id) if history else ()
    latest = history[0] if history else None
    if latest is None:
        today = record_today(access.profile, None, clock())
        return PlanOverview(access, today, None, None, None, None, (), history, kb.version)
    plan = latest.plan
    today = record_today(access.profile, plan, clock())
    shown = shown_plan(plan, kb)
    # Judged as the gate judges a change from today: the steps still to come, against the record as it is
    # now (kidney function, age, the medication list) and the loaded knowledge base.
    checked, _ = plan_gate.judge(
        kb,
        plan,
        patient=to_patient(access.profile, today, medications),
        effective_from=max(today, plan.start),
    )
    return PlanOverview(
        access,
        today,
        latest,
        plan,
        shown.document,
        plan.step_on(today),
        checked.findings,
        history,
        kb.version,
        knowledge_note(plan, kb),
        shown.labels,
        plan.findings,
    )
