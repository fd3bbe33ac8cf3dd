"""The missed-dose advice document (`dosewise missed --json`): what to do now, why, and from which source.

Writer only. Durations are rounded down for display (never later than the truth); times are ISO 8601 with
their offset.
"""

from __future__ import annotations

from typing import Any

from dosewise.domain.missed import MissedDoseAdvice
from dosewise.domain.regimen import Administration
from dosewise.formats.numbers import floor_decimal

__all__ = ["advice_to_json"]


def _slot(slot: Administration | None) -> dict[str, Any] | None:
    if slot is None:
        return None
    return {"at": slot.at.isoformat(), "dose": slot.dose.to_json(), "date": slot.slot_date.isoformat()}


def advice_to_json(advice: MissedDoseAdvice, drug: str, assumed: list[str]) -> dict[str, Any]:
    """The `missed --json` document; ``assumed`` lists the inputs read in the plan's zone (no offset)."""
    return {
        "kb_version": advice.kb_version,
        "drug": drug,
        "timezone": advice.timezone,
        "now": advice.now.isoformat(),
        "read_in_plan_timezone": assumed,
        "action": advice.action,
        "status": advice.status,
        "reason": advice.reason,
        "missed_dose": (
            None
            if advice.missed_slot is None
            else {
                **(_slot(advice.missed_slot) or {}),
                "take_until": advice.take_until.isoformat() if advice.take_until else None,
            }
        ),
        "next_dose_at": advice.next_dose.at.isoformat() if advice.next_dose else None,
        "next_dose": _slot(advice.next_dose),
        "urgency": advice.urgency,
        "urgency_reason": advice.urgency_reason,
        "consecutive_missed": advice.consecutive_missed,
        "hours_missed": floor_decimal(advice.missed_hours),
        "missed_last_48h": advice.missed_recent,
        "late_last_48h": advice.late_recent,
        "possible_double_doses": [[a.isoformat(), b.isoformat()] for a, b in advice.possible_doubles],
        "overdose": None
        if advice.overdose is None
        else {
            "level": advice.overdose.level,
            "doses": [moment.isoformat() for moment in advice.overdose.doses],
            "total": advice.overdose.total.to_json(),
            "reason": advice.overdose.reason,
            "patient_text": advice.overdose.patient_text,
            "source": advice.overdose.source,
            "source_ids": list(advice.overdose.source_ids),
        },
        "credits": [
            {
                "taken_at": c.taken_at.isoformat(),
                "slot_at": c.slot.at.isoformat() if c.slot else None,
                "kind": c.kind,
            }
            for c in advice.credits
        ],
        "judged_from": advice.history_from.isoformat() if advice.history_from else None,
        "assumptions": list(advice.assumptions),
        "patient_text": advice.patient_text,
        "clinician_text": advice.clinician_text,
        "is_label_text": advice.is_label_text,
        "source": advice.source,
        "source_ids": list(advice.source_ids),
    }
