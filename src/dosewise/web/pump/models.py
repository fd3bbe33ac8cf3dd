"""Request bodies and the JSON of the pump history and its dates (amounts as exact decimal text)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dosewise.domain.quantity import Quantity
from dosewise.services.ports import PumpEntry
from dosewise.services.pump import PumpOutlook, PumpView, amount_text

__all__ = ["DeviceIn", "ProgrammeIn", "RefillIn", "entry_json", "outlook_json", "pump_json"]


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reservoir_ml: str = Field(description="reservoir volume in mL (SynchroMed II: 20 or 40)", max_length=40)
    alarm_ml: str = Field(
        default="", description="low-reservoir alarm volume in mL (default 2)", max_length=40
    )
    note: str = Field(default="", max_length=500)


class RefillIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: str = Field(default="", description="YYYY-MM-DD, today or earlier (default today)", max_length=10)
    fill_ml: str = Field(description="volume put in the reservoir, mL", max_length=40)
    concentration_mcg_ml: str = Field(
        default="", description="mcg/mL (default: the last refill's); mg is refused", max_length=40
    )
    daily_mcg: str = Field(
        default="",
        description="programmed daily total from this day, mcg a day (default: unchanged)",
        max_length=40,
    )
    note: str = Field(default="", max_length=500)


class ProgrammeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: str = Field(
        default="", description="YYYY-MM-DD the new daily total starts (default today)", max_length=10
    )
    daily_mcg: str = Field(
        description="new programmed daily total, mcg a day (boluses included)", max_length=40
    )
    note: str = Field(default="", max_length=500)


def _text(value: Fraction | None) -> str | None:
    return amount_text(value) if value is not None else None


def _quantity(value: Quantity) -> dict[str, str]:
    return {"value": amount_text(value.amount), "unit": value.unit.value}


def entry_json(entry: PumpEntry, superseded: bool = False) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind,
        "on": entry.on.isoformat(),
        "reservoir_ml": _text(entry.reservoir_ml),
        "alarm_ml": _text(entry.alarm_ml),
        "fill_ml": _text(entry.fill_ml),
        "concentration_mcg_ml": _text(entry.concentration_mcg_ml),
        "daily_mcg": _text(entry.daily_mcg),
        "note": entry.note,
        "status": entry.status,
        "supersedes_id": entry.supersedes_id,
        "superseded": superseded,
        "recorded_by": entry.recorded_by_name,
        "recorded_at": entry.recorded_at.isoformat(),
    }


def outlook_json(outlook: PumpOutlook) -> dict[str, Any]:
    plan = outlook.plan
    return {
        "refill_due": outlook.refill_due.isoformat(),
        "alarm_on": outlook.alarm_on.isoformat(),
        "empty_on": outlook.empty_on.isoformat(),
        "standing": outlook.standing,
        "days_to_refill": outlook.days_to_refill,
        "flag_days": outlook.flag_days,
        "residual_today": _quantity(outlook.residual_today),
        "filled_on": plan.today.isoformat(),
        "fill": plan.fill.to_json(),
        "concentration": str(plan.concentration),
        "daily_dose": plan.daily_dose.to_json(),
        "alarm": plan.alarm.to_json(),
        "days_to_alarm_exact": str(plan.days_to_alarm),
        "changes": [{"from": day.isoformat(), "daily_dose": dose.to_json()} for day, dose in plan.changes],
        "warnings": [
            {"severity": w.severity.value, "code": w.code, "message": w.message, "source": w.source}
            for w in plan.warnings
        ],
        "source": plan.source,
        "kb_version": plan.kb_version,
    }


def pump_json(view: PumpView) -> dict[str, Any]:
    return {
        "today": view.today.isoformat(),
        "has_pump": view.state.reservoir is not None or view.state.refill is not None,
        "outlook": outlook_json(view.outlook) if view.outlook else None,
        "problem": view.problem or None,
        "entries": [entry_json(e, superseded) for e, superseded in view.entries],
    }
