"""The advice and its parts: slots judged, doses credited, the action and its urgency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Literal

from dosewise.domain.quantity import Quantity
from dosewise.domain.regimen import Administration

__all__ = [
    "MICRO",
    "Action",
    "Credit",
    "CreditKind",
    "MissedDoseAdvice",
    "OverdoseLevel",
    "OverdoseQuestion",
    "OverdoseRule",
    "SlotRecord",
    "SlotStatus",
    "Status",
    "Urgency",
]

MICRO = timedelta(microseconds=1)

Action = Literal["take_now", "skip", "none"]
Status = Literal["missed", "skipped", "nothing_missed", "not_started", "ended"]
Urgency = Literal["none", "soon", "urgent"]
SlotStatus = Literal["taken", "skipped", "missed"]
CreditKind = Literal["in_window", "late", "early", "extra", "outside_plan"]


@dataclass(frozen=True)
class Credit:
    """Where one recorded dose was counted: its slot (or none) and whether it was late or early."""

    taken_at: datetime
    slot: Administration | None
    kind: CreditKind


@dataclass(frozen=True)
class SlotRecord:
    """A judged, due slot and what happened to it."""

    slot: Administration
    status: SlotStatus
    taken_at: datetime | None = None
    late: bool = False


@dataclass(frozen=True)
class OverdoseRule:
    """What the advisor needs to judge doses taken close together; assembled by the service from the KB.

    ``threshold`` is the drug's large-ingestion red flag (baclofen 200 mg, Leung 2006); ``kidney_impaired``
    says why kidney function makes even an extra dose risky (or is None). The two texts are the knowledge
    base's own triage texts for a large ingestion and for more than prescribed, so that the missed-dose
    advisor and triage give one answer.
    """

    drug_name: str
    threshold: Quantity | None
    kidney_impaired: str | None
    emergency_text: str
    urgent_text: str
    source: str
    source_ids: tuple[str, ...]


OverdoseLevel = Literal["urgent", "emergency"]


@dataclass(frozen=True)
class OverdoseQuestion:
    """Two or more doses taken close together: how much in all, how serious, and what to do."""

    level: OverdoseLevel
    doses: tuple[datetime, ...]
    total: Quantity
    reason: str
    patient_text: str
    source: str
    source_ids: tuple[str, ...]


@dataclass(frozen=True)
class MissedDoseAdvice:
    action: Action
    status: Status
    now: datetime
    timezone: str
    missed_slot: Administration | None
    take_until: datetime | None
    next_dose: Administration | None
    consecutive_missed: int
    missed_for: timedelta
    missed_recent: int
    late_recent: int
    urgency: Urgency
    urgency_reason: str
    reason: str
    patient_text: str
    clinician_text: str
    source: str
    source_ids: tuple[str, ...]
    confidence: str
    kb_version: str
    is_label_text: bool
    history_from: datetime | None
    assumptions: tuple[str, ...]
    credits: tuple[Credit, ...]
    slots: tuple[SlotRecord, ...]
    possible_doubles: tuple[tuple[datetime, datetime], ...]
    overdose: OverdoseQuestion | None = None
    # The withdrawal signs named in patient_text when missed doses are a concern (empty otherwise).
    withdrawal_signs: tuple[str, ...] = ()

    @property
    def missed_hours(self) -> Fraction:
        return Fraction(self.missed_for // MICRO, 3_600_000_000)
