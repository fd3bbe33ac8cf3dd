"""JSON shapes of the plans API, and the conversions from service views."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dosewise.domain.rules import KnowledgeBase
from dosewise.formats.plan_document import plan_to_document
from dosewise.services.plans_service import (
    AdjustmentRequest,
    PlanOverview,
    PlanPreview,
    TaperRequest,
    TitrationRequest,
)
from dosewise.services.ports import PlanVersion

__all__ = [
    "AdjustmentIn",
    "NewAdjustmentIn",
    "NewPlanIn",
    "NewTaperIn",
    "TaperIn",
    "TitrationIn",
    "overview_json",
    "preview_json",
    "version_json",
]


class TitrationIn(BaseModel):
    """The planner's inputs as text (empty means the label's default), as on the page."""

    model_config = ConfigDict(extra="forbid")
    drug: str = Field(min_length=1, max_length=80, description="the medicine, e.g. 'baclofen', 'tizanidine'")
    start: str = Field(default="", description="YYYY-MM-DD; default today in the patient's zone")
    start_dose: str = Field(default="", description="per dose, e.g. '5 mg'")
    increment: str = Field(default="", description="increase per dose at each step, e.g. '5 mg'")
    interval_days: str = ""
    target_daily: str = Field(default="", description="daily dose to reach, e.g. '60 mg'")
    times_per_day: str = ""
    times: str = Field(default="", description="clock times, e.g. '08:00,14:00,20:00'")
    products: list[str] = Field(default_factory=list, description="product ids to dispense from")
    confirmed_scored: list[str] = Field(
        default_factory=list, description="product ids whose score a pharmacist confirmed (halves allowed)"
    )
    override_code: str = Field(default="", description="clinicians only: a limit to cross, with a reason")
    override_reason: str = ""

    def request(self) -> TitrationRequest:
        data = self.model_dump()
        data["products"] = tuple(data["products"])
        data["confirmed_scored"] = tuple(data["confirmed_scored"])
        return TitrationRequest(**data)


_FINGERPRINT = (
    "required: the fingerprint from the matching preview. The save stores exactly the previewed plan, or "
    "is refused (409 preview_changed) if the inputs or the record changed since"
)


class NewPlanIn(TitrationIn):
    reason: str = Field(max_length=1000, description="why this plan (recorded with the version)")
    prescriber: str = Field(default="", max_length=120, description="required when a patient enters a plan")
    fingerprint: str = Field(min_length=1, max_length=64, description=_FINGERPRINT)


class TaperIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: str = ""
    target_daily: str = Field(default="", description="daily dose to end at; empty or '0 mg' stops")
    step_daily: str = ""
    percent: str = ""
    step_days: str = ""
    weeks: str = ""
    override_code: str = ""
    override_reason: str = ""

    def request(self) -> TaperRequest:
        return TaperRequest(**self.model_dump())


class NewTaperIn(TaperIn):
    reason: str = Field(max_length=1000)
    fingerprint: str = Field(min_length=1, max_length=64, description=_FINGERPRINT)


class AdjustmentIn(BaseModel):
    """A change from the record's today; a preview may leave the reason for the save."""

    model_config = ConfigDict(extra="forbid")
    adjustment: Literal["pause", "resume", "slow_down", "step_back"]
    reason: str = Field(default="", max_length=1000)
    override_code: str = Field(
        default="", description="clinicians only: a limit the change may cross, e.g. 'rapid_withdrawal'"
    )
    override_reason: str = Field(default="", max_length=500, description="the clinical reason for it")

    def request(self) -> AdjustmentRequest:
        return AdjustmentRequest(self.adjustment, self.reason, self.override_code, self.override_reason)


class NewAdjustmentIn(AdjustmentIn):
    reason: str = Field(max_length=1000, description="why (recorded with the version)")
    fingerprint: str = Field(min_length=1, max_length=64, description=_FINGERPRINT)


def version_json(version: PlanVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "kb_version": version.kb_version,
        "status": version.status,
        "action": version.action,
        "reason": version.reason,
        "effective_from": version.effective_from.isoformat(),
        "created_by": version.created_by_name,
        "created_at": version.created_at.isoformat(),
        "prescriber": version.prescriber,
        "paused_on": version.paused_on.isoformat() if version.paused_on else None,
    }


def preview_json(preview: PlanPreview, kb: KnowledgeBase) -> dict[str, Any]:
    """The timeline a save would store, its findings, what blocks it, and the fingerprint to save it."""
    return {
        **plan_to_document(preview.plan, kb.drug(preview.plan.drug)),
        "effective_from": preview.effective_from.isoformat(),
        "savable": preview.savable,
        "blocked": [b.to_json() for b in preview.blocked],
        "fingerprint": preview.fingerprint,
    }


def overview_json(overview: PlanOverview) -> dict[str, Any]:
    """The plan in force rendered from the domain plan with the loaded knowledge base, and its versions."""
    if overview.version is None:
        return {"plan": None, "history": []}
    current = overview.current
    return {
        "plan": overview.document,
        "knowledge_base": {
            "plan": overview.version.kb_version,
            "loaded": overview.kb_version,
            "differs": overview.kb_note is not None,
            "note": overview.kb_note,
        },
        "version": version_json(overview.version),
        "today": overview.today.isoformat(),
        "current_step": None
        if current is None
        else {
            "start": current.start.isoformat(),
            "dose": current.dose.to_json(),
            "times_per_day": current.times_per_day,
        },
        "findings_now": [f.to_json() for f in overview.findings],
        "findings_changed_since_saved": overview.findings_changed,
        "history": [version_json(v) for v in overview.history],
    }
