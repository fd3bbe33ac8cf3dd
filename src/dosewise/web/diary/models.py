"""JSON shapes of the diary API, and the conversions from service views."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dosewise.services.diary import Alert, DiaryView
from dosewise.services.ports import CheckIn, SymptomEntry

__all__ = ["CheckInIn", "CorrectionIn", "SymptomsIn", "checkin_json", "diary_json", "symptom_json"]


class SymptomsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    symptoms: list[str] = Field(default_factory=list, description="symptom ids from the knowledge base")
    text: str = Field(default="", max_length=2000, description="plain words, e.g. 'seeing things'")
    severity: Literal["mild", "moderate", "severe"] = "moderate"
    idempotency_key: str = Field(
        default="",
        max_length=64,
        description="8 to 64 characters; a retry with the same key returns the first entry instead of a copy",
    )


class CheckInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: str = Field(default="", description="YYYY-MM-DD; default today")
    spasticity: int = Field(ge=0, le=10)
    spasm_frequency: int = Field(ge=0, le=4, description="Penn spasm frequency score 0-4")
    sleep_quality: int = Field(ge=0, le=10)
    drowsiness: int = Field(ge=0, le=10)
    idempotency_key: str = Field(
        default="",
        max_length=64,
        description="8 to 64 characters; a retry with the same key returns the first entry instead of a copy",
    )


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(max_length=500)


def symptom_json(entry: SymptomEntry, superseded: bool = False) -> dict[str, Any]:
    return {
        "id": entry.id,
        "recorded_at": entry.recorded_at.isoformat(),
        "recorded_by": entry.recorded_by_name,
        "text": entry.text,
        "severity": entry.severity,
        "status": entry.status,
        "superseded": superseded,
        "supersedes": entry.supersedes_id,
        "triage": entry.triage,
        "kb_version": entry.kb_version,
    }


def checkin_json(entry: CheckIn, superseded: bool = False) -> dict[str, Any]:
    return {
        "id": entry.id,
        "day": entry.day.isoformat(),
        "spasticity": entry.spasticity,
        "spasm_frequency": entry.spasm_frequency,
        "sleep_quality": entry.sleep_quality,
        "drowsiness": entry.drowsiness,
        "status": entry.status,
        "superseded": superseded,
        "supersedes": entry.supersedes_id,
        "recorded_at": entry.recorded_at.isoformat(),
    }


def alert_json(alert: Alert | None) -> dict[str, Any] | None:
    if alert is None:
        return None
    return {"level": alert.level, "patient_text": alert.patient_text, "entry": alert.entry.id}


def diary_json(view: DiaryView) -> dict[str, Any]:
    return {
        "today": view.today.isoformat(),
        "alert": alert_json(view.alert),
        "symptoms": [symptom_json(e, s) for e, s in view.symptoms],
        "checkins": [checkin_json(c, s) for c, s in view.checkins],
        "predicted_level": {
            "unit": "ng/mL",
            "note": view.predicted_note,
            "points": [[round(h, 2), round(v, 1)] for h, v in view.predicted[::4]],
            "hours_from": view.chart[0].day.isoformat() if view.chart else None,
        },
        "chart": [
            {
                "day": d.day.isoformat(),
                "planned": d.planned.to_json() if d.planned else None,
                "taken": d.taken.to_json() if d.taken else None,
                "spasticity": d.checkin.spasticity if d.checkin else None,
                "drowsiness": d.checkin.drowsiness if d.checkin else None,
            }
            for d in view.chart
        ],
    }
