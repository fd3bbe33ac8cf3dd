"""iCalendar: a calendar of planned doses, for a file export and a subscribed feed.

``plan_calendar`` is the one writer both use: plan versions in, RFC 5545 bytes out (see ``entries`` for
UIDs, SEQUENCE and cancellations, ``timezones`` for the rule-based VTIMEZONEs, ``wording`` for the text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from dosewise.formats.ical.entries import (
    MAX_WINDOW_DAYS,
    CancelPolicy,
    DoseEntry,
    Revision,
    Window,
    dose_entries,
    slot_uid,
)
from dosewise.formats.ical.wording import calendar_name
from dosewise.formats.ical.writer import calendar_bytes

__all__ = [
    "MAX_WINDOW_DAYS",
    "MEDIA_TYPE",
    "REVISION",
    "CancelPolicy",
    "DoseCalendar",
    "DoseEntry",
    "Revision",
    "Window",
    "dose_entries",
    "empty_calendar",
    "plan_calendar",
    "slot_uid",
]

MEDIA_TYPE = "text/calendar; charset=utf-8"
# Bumped whenever the bytes written for the same plan change (wording, properties): feeds key their ETag
# on it, so calendars fetch the new text.
REVISION = "1"
EMPTY_NAME = "dosewise doses"


@dataclass(frozen=True)
class DoseCalendar:
    """The calendar's bytes and the entries they hold."""

    body: bytes
    entries: tuple[DoseEntry, ...]

    @property
    def cancelled(self) -> int:
        return sum(1 for entry in self.entries if entry.cancelled)

    @property
    def doses(self) -> int:
        return len(self.entries) - self.cancelled


def plan_calendar(
    revisions: Sequence[Revision],
    window: Window,
    *,
    series: str,
    today: date,
    refresh: timedelta,
    cancel: CancelPolicy | None = None,
) -> DoseCalendar:
    """The calendar of the latest revision's doses in ``window`` (with cancelled ones, see ``entries``)."""
    if not revisions:
        raise ValueError("a calendar needs at least one plan version")
    latest = max(revisions, key=lambda r: r.number)
    entries = dose_entries(revisions, window, series=series, today=today, cancel=cancel)
    body = calendar_bytes(
        entries,
        name=calendar_name(latest.rules),
        zones=(latest.plan.timezone,),
        window=window,
        refresh=refresh,
    )
    return DoseCalendar(body, entries)


def empty_calendar(*, zone: str, window: Window, refresh: timedelta) -> bytes:
    """A valid calendar with no doses yet (a feed made before the first plan): its zone, no events."""
    return calendar_bytes([], name=EMPTY_NAME, zones=(zone,), window=window, refresh=refresh)
