"""Plain words for patients and precise text for clinicians; patient text never invents a dose."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from fractions import Fraction

from dosewise.domain.missed.slots import us
from dosewise.domain.missed.types import (
    Action,
    OverdoseQuestion,
    SlotRecord,
    Status,
    Urgency,
)
from dosewise.domain.regimen import Administration
from dosewise.domain.rules import MissedDoseRule

__all__ = [
    "FRACTION_WORDS",
    "WATCH_LEAD",
    "WATCH_TAIL",
    "compose_clinician_text",
    "compose_patient_text",
    "dose_words",
    "hours_text",
    "local_text",
    "reason_text",
    "rule_sentences",
    "watch_sentence",
    "when_text",
]


def local_text(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def when_text(moment: datetime, now: datetime, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    today = now.astimezone(tz).date()
    day = {today: "today", today + timedelta(days=1): "tomorrow", today - timedelta(days=1): "yesterday"}
    return f"{local.strftime('%H:%M')} {day.get(local.date(), 'on ' + local.date().isoformat())}"


def hours_text(delta: timedelta) -> str:
    hours = us(delta) // 3_600_000_000
    minutes = (us(delta) // 60_000_000) % 60
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


FRACTION_WORDS = {Fraction(1, 2): "half", Fraction(1, 3): "a third", Fraction(1, 4): "a quarter"}


def reason_text(action: Action, status: Status, none_due: bool, fraction: Fraction) -> str:
    share = FRACTION_WORDS.get(fraction, str(fraction))
    if action == "take_now":
        return f"less than {share} of the time to the next dose has passed since the missed dose was due"
    if action == "skip":
        if status == "skipped":
            return "the dose was recorded as skipped"
        return f"{share} or more of the time to the next dose has passed: taking it now would be too close"
    return {
        "not_started": "the plan has not started yet",
        "ended": "the plan has ended: no more doses are planned",
    }.get(status, "no planned dose is due yet" if none_due else "the most recent planned dose was taken")


def dose_words(slot: Administration) -> str:
    return f"{slot.dose} dose"


_COUNT_WORDS = {2: "Two", 3: "Three", 4: "Four", 5: "Five"}


def compose_patient_text(
    action: Action,
    status: Status,
    missed: Administration | None,
    next_dose: Administration | None,
    now: datetime,
    tz: tzinfo,
    urgency: Urgency,
    run_length: int,
    missed_for: timedelta,
    withdrawal_signs: Sequence[str],
    doubles: list[tuple[datetime, datetime]],
    overdose: OverdoseQuestion | None = None,
) -> str:
    if overdose is not None:
        # An overdose question replaces "take the next dose as planned": the KB text says what to do first.
        when = ", ".join(moment.strftime("%H:%M") for moment in overdose.doses)
        return (
            f"{_COUNT_WORDS.get(len(overdose.doses), str(len(overdose.doses)))} doses were recorded close "
            f"together ({when}; {overdose.total} in all). "
            f"{overdose.patient_text} Never take two doses at once to make up for a missed one."
        )
    parts: list[str] = []
    nxt = f"your next dose ({next_dose.dose}) at {when_text(next_dose.at, now, tz)}" if next_dose else ""
    if status == "not_started":
        parts.append(
            f"Your plan has not started yet. Take {nxt} as planned." if nxt else "No dose is planned yet."
        )
    elif status in ("nothing_missed",):
        parts.append(
            f"No planned dose is missing. Take {nxt} as planned." if nxt else "No planned dose is missing."
        )
    elif status == "ended" and action == "none":
        parts.append("Your plan has ended: no more doses are planned. Follow your clinician's instructions.")
    elif action == "take_now" and missed is not None:
        parts.append(f"Take the {dose_words(missed)} you missed at {when_text(missed.at, now, tz)} now.")
        parts.append(f"Then take {nxt} as planned." if nxt else "That was the last dose in your plan.")
    elif missed is not None:
        reason = "you recorded it as skipped" if status == "skipped" else "it is too close to the next dose"
        parts.append(
            f"Skip the {dose_words(missed)} you missed at {when_text(missed.at, now, tz)}: {reason}."
        )
        parts.append(f"Take {nxt} as planned." if nxt else "No more doses are planned in your plan.")
    parts.append("Never take two doses at once to make up for a missed one.")
    if doubles:
        parts.append(
            "Two doses were recorded close together. If you feel very sleepy, confused or your breathing is "
            "slow, get medical help; call your emergency number if breathing is slow."
        )
    watch = watch_sentence(withdrawal_signs)
    if urgency == "urgent":
        parts.append(
            f"You have missed {run_length} doses in a row ({hours_text(missed_for)} since the first). Stopping "
            "baclofen suddenly can cause a dangerous withdrawal. Contact your clinician or an urgent care "
            "service today and tell them which doses you missed." + watch
        )
    elif urgency == "soon":
        parts.append(
            "Several doses have been missed. Tell your clinician soon (today or tomorrow): missing doses "
            "can bring on withdrawal." + watch
        )
    return " ".join(parts)


def watch_sentence(withdrawal_signs: Sequence[str]) -> str:
    """The withdrawal signs to watch for, as the sentence that ends the patient text (empty without signs).

    A page that lists the signs separately takes this sentence out of the text (it is exact) and shows
    ``WATCH_LEAD`` with the signs as a list.
    """
    signs = ", ".join(withdrawal_signs)
    return (
        f" Get medical help at once if you notice signs of withdrawal such as {signs}; call your emergency "
        "number for a seizure or for high fever with confusion."
        if signs
        else ""
    )


def rule_sentences(rule: MissedDoseRule, drug_name: str, withdrawal_signs: Sequence[str]) -> tuple[str, ...]:
    """The missed-dose rule in plain words for a printed sheet, before any dose is missed: the same take
    window, never-double sentence, urgency thresholds and withdrawal signs the advice uses (no dose named)."""
    share = FRACTION_WORDS.get(rule.take_if_elapsed_fraction_below, str(rule.take_if_elapsed_fraction_below))
    soon = rule.soon_after_consecutive_missed
    return (
        f"If you forget a dose and less than {share} of the time to your next dose has passed, take it "
        "as soon as you remember, then take the next dose at its usual time.",
        f"If {share} or more of the time to your next dose has passed, skip the missed dose and take the "
        "next one at its usual time.",
        "Never take two doses at once to make up for a missed one.",
        f"If you miss {_COUNT_WORDS.get(soon, str(soon)).lower()} doses in a row, tell your clinician soon "
        "(today or tomorrow): missing doses can bring on withdrawal.",
        f"If you have missed doses for {rule.urgent_after_missed_hours} hours, or a whole day's doses, "
        f"contact your clinician or an urgent care service today: stopping {drug_name} suddenly can cause "
        "a dangerous withdrawal.",
        *((watch_sentence(withdrawal_signs).strip(),) if withdrawal_signs else ()),
    )


WATCH_LEAD = "Get medical help at once if you notice signs of withdrawal such as:"
WATCH_TAIL = "Call your emergency number for a seizure or for high fever with confusion."


def compose_clinician_text(
    action: Action,
    status: Status,
    missed: Administration | None,
    take_until: datetime | None,
    run: list[SlotRecord],
    missed_for: timedelta,
    urgency_reason: str,
    rule: MissedDoseRule,
    tz: tzinfo,
) -> str:
    parts = []
    if missed is not None and take_until is not None:
        parts.append(
            f"Slot {local_text(missed.at, tz)} ({missed.dose}) not taken; take window until "
            f"{local_text(take_until, tz)} (elapsed fraction below {rule.take_if_elapsed_fraction_below} "
            f"of the interval): {action}."
        )
    elif status == "skipped" and missed is not None:
        parts.append(f"Slot {local_text(missed.at, tz)} recorded as skipped.")
    else:
        parts.append(f"Status: {status.replace('_', ' ')}.")
    if run:
        parts.append(
            f"{len(run)} consecutive missed or skipped; {hours_text(missed_for)} since the first was due."
        )
    parts.append(f"Urgency: {urgency_reason}.")
    parts.append(rule.clinician_text)
    return " ".join(parts)
