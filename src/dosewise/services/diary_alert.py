"""The urgent banner: an urgent or emergency triage in the last two days that nobody has corrected.

Every page of a record shows it, so it is read in the same unit of work as the page's own data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from dosewise.domain.triage import LEVELS
from dosewise.services.ports import SymptomEntry, UnitOfWork

__all__ = ["ALERT_WINDOW", "Alert", "alert_from", "standing"]

# An urgent or emergency triage stays on every page of the record for two days (or until corrected).
ALERT_WINDOW = timedelta(hours=48)


@dataclass(frozen=True)
class Alert:
    level: str
    patient_text: str
    entry: SymptomEntry

    @property
    def shown_until(self) -> datetime:
        """When the banner stops: the alert window after the entry (or earlier, when it is corrected)."""
        return self.entry.recorded_at + ALERT_WINDOW


class _Correctable(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def supersedes_id(self) -> int | None: ...


Entry = TypeVar("Entry", bound=_Correctable)


def standing(entries: Sequence[Entry]) -> list[Entry]:
    """The entries still in force, in their order: neither corrections nor entries a later one supersedes."""
    superseded = {e.supersedes_id for e in entries if e.supersedes_id is not None}
    return [e for e in entries if e.id not in superseded and e.status != "entered_in_error"]


def alert_from(uow: UnitOfWork, patient_id: int, now: datetime) -> Alert | None:
    # A correction is always recorded after the entry it corrects, so the window holds both.
    entries = standing(uow.diary.symptoms(patient_id, since=now - ALERT_WINDOW))
    recent = [
        e
        for e in entries
        if now - e.recorded_at <= ALERT_WINDOW and e.triage_level in ("urgent", "emergency")
    ]
    if not recent:
        return None
    top = max(recent, key=lambda e: (LEVELS.index(e.triage_level), e.recorded_at))
    return Alert(top.triage_level, str(top.triage.get("patient_text", "")), top)
