"""JSON shapes of the record API, and the conversions from service views."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dosewise.domain.quantity import format_amount
from dosewise.services.records import MedicationPanel, RecordView

__all__ = ["MedicationIn", "ProfileIn", "ProfilePatchIn", "medications_json", "profile_json"]


class ProfileIn(BaseModel):
    """Every field as text, exactly as on the page; an empty string clears it."""

    model_config = ConfigDict(extra="forbid")
    display_name: str = Field(default="", max_length=120)
    date_of_birth: str = Field(default="", description="YYYY-MM-DD")
    sex: str = Field(default="", description="female | male (used by Cockcroft-Gault)")
    weight_kg: str = Field(default="", description="kilograms, e.g. 72.5")
    creatinine_value: str = Field(default="", description="serum creatinine, with creatinine_unit")
    creatinine_unit: str = Field(default="", description="mg/dL | umol/L (required with a value)")
    creatinine_date: str = Field(default="", description="YYYY-MM-DD the sample was taken")
    egfr: str = Field(default="", description="mL/min/1.73m2")
    dialysis: bool = False
    timezone: str = Field(default="UTC", description="IANA zone, e.g. Europe/London")
    clinician_phone: str = Field(
        default="", max_length=40, description="the clinician to call (digits, spaces, +, brackets)"
    )


class ProfilePatchIn(BaseModel):
    """Only the fields named change; a field set to "" or null is cleared, one left out is kept."""

    model_config = ConfigDict(extra="forbid")
    display_name: str | None = Field(default=None, max_length=120)
    date_of_birth: str | None = Field(default=None, max_length=40, description="YYYY-MM-DD")
    sex: str | None = Field(default=None, max_length=20, description="female | male")
    weight_kg: str | None = Field(default=None, max_length=40, description="kilograms, e.g. 72.5")
    creatinine_value: str | None = Field(default=None, max_length=40, description="with creatinine_unit")
    creatinine_unit: str | None = Field(default=None, max_length=20, description="mg/dL | umol/L")
    creatinine_date: str | None = Field(default=None, max_length=40, description="YYYY-MM-DD")
    egfr: str | None = Field(default=None, max_length=40, description="mL/min/1.73m2")
    dialysis: bool | None = None
    timezone: str | None = Field(default=None, max_length=64, description="IANA zone, e.g. Europe/London")
    clinician_phone: str | None = Field(default=None, max_length=40, description="the clinician to call")

    def fields(self) -> dict[str, object]:
        return self.model_dump(exclude_unset=True)


class MedicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200, description="name, brand or common misspelling; unknown names are kept")
    dose: str = Field(default="", max_length=80, description="optional, with its unit: '10 mg'")
    times_per_day: int | None = Field(default=None, ge=1, le=6)


class MedicationNameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200, description="the suggested name that replaces a misspelt entry")


def _amount(value: Any) -> str | None:
    return None if value is None else format_amount(value)


def profile_json(view: RecordView) -> dict[str, Any]:
    p = view.profile
    return {
        "patient_id": p.public_id,
        "display_name": p.display_name,
        "relation": view.access.relation,
        "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else None,
        "age_years": view.age_years,
        "sex": p.sex,
        "weight_kg": _amount(p.weight_kg),
        "creatinine": None
        if p.creatinine_value is None
        else {
            "value": _amount(p.creatinine_value),
            "unit": p.creatinine_unit,
            "date": p.creatinine_date.isoformat() if p.creatinine_date else None,
        },
        "egfr": _amount(p.egfr),
        "dialysis": p.dialysis,
        "timezone": p.timezone,
        "clinician_phone": p.clinician_phone,
        "kidney": {
            "crcl": view.kidney.crcl_ml_min,
            "formula": view.kidney.formula,
            "egfr": view.kidney.egfr,
            "dialysis": view.kidney.dialysis,
            "problem": view.kidney.problem,
            "creatinine_age_days": view.kidney.creatinine_age_days,
        },
    }


def medications_json(panel: MedicationPanel) -> dict[str, Any]:
    report = panel.report
    return {
        "medications": [
            {
                "id": m.id,
                "name": m.name,
                "dose": m.dose_text,
                "times_per_day": m.times_per_day,
                "ingredient": m.ingredient_id,
                "screened": report.resolutions[index].screened,
                "label": report.resolutions[index].label,
                "ingredients": [i.id for i in report.resolutions[index].ingredients],
                "planned_medicine": report.is_planned_medicine(index),
                "duplicate": index in report.duplicated,
                "suggestions": list(report.resolutions[index].suggestions),
                "added_at": m.added_at.isoformat(),
            }
            for index, m in enumerate(panel.medications)
        ],
        "screened_from_plan": list(panel.implicit),
        "screening": panel.report.to_json(),
    }
