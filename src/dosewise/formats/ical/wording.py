"""The words a calendar event carries: plain patient language, no codes, no ISO dates.

What to take comes from the dispensing rules (tablets, halves, or mL of a liquid); the missed-dose and
withdrawal sentences appear only for a drug whose knowledge base has those rules.
"""

from __future__ import annotations

from datetime import date

from dosewise.domain.dispensing import TakeInstruction
from dosewise.domain.quantity import Quantity
from dosewise.domain.regimen import Override
from dosewise.domain.rules import DrugRules

__all__ = ["calendar_name", "cancelled_text", "day_words", "dose_summary", "dose_text"]

NOT_A_REMINDER = "This calendar shows your plan. It is not a reminder: your calendar may update late."


def _title(name: str) -> str:
    return name[:1].upper() + name[1:]


def day_words(day: date) -> str:
    """ "Thursday 3 December" (no year, no ISO date)."""
    return day.strftime("%A %d %B").replace(" 0", " ")


def calendar_name(rules: DrugRules) -> str:
    return f"{_title(rules.name)} doses"


def dose_summary(rules: DrugRules, dose: Quantity) -> str:
    return f"{_title(rules.name)} {dose}"


def dose_text(
    rules: DrugRules, dose: Quantity, take: TakeInstruction | None, overrides: tuple[Override, ...] = ()
) -> str:
    """What to take for one dose, then what to do when it is missed, in everyday words. A plan a
    clinician set outside the usual limits says so in every event (limits are never crossed silently)."""
    if take is not None:
        lines = [f"Take {take.describe()} ({dose} of {rules.name})."]
    else:
        lines = [
            f"Take {dose} of {rules.name}. dosewise cannot work out which tablets make this dose from "
            "the products in your plan: ask your pharmacist."
        ]
    reasons = "; ".join(dict.fromkeys(o.reason for o in overrides))
    if reasons:
        lines.append(f"Your clinician set this plan outside the usual limits: {reasons}.")
    if rules.missed_dose is not None:
        lines.append(
            "Missed it? Open dosewise to see whether to take it now or skip it. Never take a double dose."
        )
    if rules.withdrawal_text:
        lines.append(f"Do not stop {rules.name} suddenly: talk to your clinician first.")
    lines.append(NOT_A_REMINDER)
    return "\n".join(lines)


def cancelled_text(rules: DrugRules, changed_on: date) -> str:
    return (
        f"This {rules.name} dose is no longer in your plan (the plan changed on {day_words(changed_on)}). "
        "Open dosewise to see your plan today."
    )
