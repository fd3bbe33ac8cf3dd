"""JSON shapes of the today API, and the conversions from service views."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dosewise.domain.missed import MissedDoseAdvice
from dosewise.domain.quantity import format_amount
from dosewise.services.ports import DoseEvent
from dosewise.services.today import DoseSlot, HistoryEntry, TodayView
from dosewise.services.today_stock import StockForecast

__all__ = ["CorrectionIn", "DoseIn", "StockIn", "event_json", "history_json", "today_json"]


class DoseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slot_date: str = Field(description="the planned dose's day (YYYY-MM-DD, the plan's zone)")
    slot_index: int = Field(ge=0, le=5, description="0 for the first dose of that day")
    status: Literal["taken", "skipped"]
    taken_at: str = Field(default="", description="'took it at another time': HH:MM or ISO local time")
    idempotency_key: str = Field(
        default="",
        max_length=64,
        description="8-64 characters; a repeat with the same key records nothing new "
        "(the Idempotency-Key header is accepted instead)",
    )
    note: str = Field(default="", max_length=500)
    confirm: bool = Field(
        default=False,
        description="record it although the answer was 409 confirmation_needed (a close or re-counted dose)",
    )


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(max_length=500)
    idempotency_key: str = Field(min_length=8, max_length=64)


class StockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_id: str
    amount: str = Field(description="tablets (halves allowed, e.g. '27.5') or mL for a liquid")


def event_json(event: DoseEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "slot_date": event.slot_date.isoformat(),
        "slot_index": event.slot_index,
        "scheduled_at": event.scheduled_at.isoformat(),
        "dose": event.dose.to_json(),
        "status": event.status,
        "taken_at": event.taken_at.isoformat() if event.taken_at else None,
        "recorded_by": event.recorded_by_name,
        "recorded_at": event.recorded_at.isoformat(),
        "note": event.note,
        "supersedes": event.supersedes_id,
    }


def _slot(slot: DoseSlot) -> dict[str, Any]:
    a = slot.administration
    return {
        "slot_date": a.slot_date.isoformat(),
        "slot_index": a.slot_index,
        "at": a.at.isoformat(),
        "dose": a.dose.to_json(),
        "take": [part.to_json() for part in slot.take.parts] if slot.take else [],
        "take_text": slot.take_text,
        "status": slot.status,
        "may_take_now": slot.may_take_now,
        "note": slot.note,
        "event": event_json(slot.event) if slot.event else None,
    }


def _advice(advice: MissedDoseAdvice | None) -> dict[str, Any] | None:
    if advice is None:
        return None
    return {
        "action": advice.action,
        "status": advice.status,
        "urgency": advice.urgency,
        "urgency_reason": advice.urgency_reason,
        "patient_text": advice.patient_text,
        "clinician_text": advice.clinician_text,
        "missed_slot": advice.missed_slot.at.isoformat() if advice.missed_slot else None,
        "take_until": advice.take_until.isoformat() if advice.take_until else None,
        "next_dose": advice.next_dose.at.isoformat() if advice.next_dose else None,
        "consecutive_missed": advice.consecutive_missed,
        "source": advice.source,
        "kb_version": advice.kb_version,
        "assumptions": list(advice.assumptions),
    }


def _stock(item: StockForecast) -> dict[str, Any]:
    return {
        "product_id": item.product_id,
        "label": item.label,
        "on_hand": format_amount(item.on_hand) if item.on_hand is not None else None,
        "counted_at": item.counted_at.isoformat() if item.counted_at else None,
        "runs_out_on": item.runs_out_on.isoformat() if item.runs_out_on else None,
        "days_left": item.days_left,
        "level": item.level,
        "message": item.message,
    }


def today_json(view: TodayView) -> dict[str, Any]:
    return {
        "today": view.today.isoformat(),
        "timezone": view.timezone,
        "plan_version": view.version.number if view.version else None,
        "plan_kb_version": view.version.kb_version if view.version else None,
        "kb_note": view.kb_note,
        "paused": view.paused,
        "drug": view.drug_name,
        "daily": view.daily_text,
        "doses": [_slot(s) for s in view.slots],
        "earlier_unrecorded": [_slot(s) for s in view.earlier],
        "missed_dose_advice": _advice(view.advice),
        "stock": [_stock(s) for s in view.stock],
    }


def history_json(entries: tuple[HistoryEntry, ...]) -> list[dict[str, Any]]:
    return [{**event_json(h.event), "superseded": h.superseded} for h in entries]
