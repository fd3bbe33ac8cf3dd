"""What a report is made of: domain values and a few plain records, assembled by a service.

The formats never read a database or a clock: the service passes the plan, the patient, the doses and
symptoms it read, and the time the report is prepared ("as of"), which is also the PDF's creation date.
``None`` means "not given" and is printed as "not assessed", never as "none".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from dosewise.domain.adherence import Adherence
from dosewise.domain.findings import Finding
from dosewise.domain.patient import Patient
from dosewise.domain.quantity import Quantity
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import KnowledgeBase, Severity

__all__ = [
    "ClinicianReport",
    "InteractionLine",
    "PredictedStep",
    "Prediction",
    "ScheduleSheet",
    "SymptomLine",
]


@dataclass(frozen=True)
class InteractionLine:
    rule_id: str
    severity: Severity
    between: tuple[str, str]
    effect: str
    action: str
    source: str
    source_ids: tuple[str, ...]


@dataclass(frozen=True)
class SymptomLine:
    """One standing diary entry (corrections replace what they correct) with its triage level."""

    at: datetime
    text: str
    severity: str
    level: str
    advice: str
    kb_version: str


@dataclass(frozen=True)
class PredictedStep:
    """The model's levels on the last simulated day of a step."""

    step: int
    day: date
    daily: Quantity
    peak_ng_ml: float
    trough_ng_ml: float


@dataclass(frozen=True)
class Prediction:
    model: str
    kidney_basis: str
    half_life_h: float
    band_ng_ml: tuple[float, float] | None
    steps: tuple[PredictedStep, ...]
    notes: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class ClinicianReport:
    prepared_at: datetime
    patient_name: str
    plan: Plan
    kb: KnowledgeBase
    patient: Patient | None
    findings: tuple[Finding, ...]
    medications: tuple[str, ...] | None
    interactions: tuple[InteractionLine, ...]
    not_screened: tuple[str, ...]
    adherence: Adherence | None
    symptoms: tuple[SymptomLine, ...] | None
    prediction: Prediction | None
    prediction_note: str = ""
    plan_label: str = ""
    creatinine_date: date | None = None


@dataclass(frozen=True)
class ScheduleSheet:
    prepared_at: datetime
    patient_name: str
    plan: Plan
    kb: KnowledgeBase
    first: date
    days: int
    plan_label: str = ""
