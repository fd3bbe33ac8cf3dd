"""Calendars of planned doses: the file export (``dosewise export ical``) and the feed's content.

Both go through ``formats.ical.plan_calendar``; this module decides the window, numbers the plan
versions and refuses a plan the checker would not let anyone store: a calendar is an export, and an
unsafe plan is never exported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dosewise.domain.errors import InvalidInput
from dosewise.domain.patient import Patient
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import KnowledgeBase
from dosewise.formats.ical import (
    MAX_WINDOW_DAYS,
    CancelPolicy,
    DoseCalendar,
    Revision,
    Window,
    plan_calendar,
)
from dosewise.services import plan_gate

__all__ = [
    "EXPORT_DAYS",
    "FEED_CANCEL",
    "FEED_FUTURE_DAYS",
    "FEED_PAST_DAYS",
    "FEED_REFRESH",
    "CalendarFile",
    "export_calendar",
    "feed_window",
]

# dosewise policy (not clinical numbers), documented in docs/cli.md and docs/web.md. A file covers 90 days
# from its first day; a feed two weeks back (so yesterday's doses stay visible) and eight weeks ahead,
# keeps a removed dose as cancelled for two weeks, and asks calendars to refresh hourly.
EXPORT_DAYS = 90
FEED_PAST_DAYS = 14
FEED_FUTURE_DAYS = 56
FEED_REFRESH = timedelta(hours=1)
FEED_CANCEL = CancelPolicy(keep_days=14, horizon_days=FEED_FUTURE_DAYS)


@dataclass(frozen=True)
class CalendarFile:
    calendar: DoseCalendar
    window: Window


def feed_window(today: date) -> Window:
    return Window(today - timedelta(days=FEED_PAST_DAYS), today + timedelta(days=FEED_FUTURE_DAYS))


def export_calendar(
    *,
    kb: KnowledgeBase,
    plans: Sequence[Plan],
    patient: Patient | None,
    now: datetime,
    first: date | None = None,
    days: int = EXPORT_DAYS,
    series: str = "",
) -> CalendarFile:
    """The calendar of the last plan in ``plans`` (earlier ones are its previous versions, oldest first:
    their doses give the SEQUENCE numbers, and doses they had and it has not are written as cancelled).

    The window starts on ``first`` (default: today in the plan's zone, or the plan's start if later) and
    lasts ``days`` days. The last plan is checked first; a plan the checker blocks is refused.
    """
    if not plans:
        raise InvalidInput("no plan to export")
    if not 1 <= days <= MAX_WINDOW_DAYS:
        raise InvalidInput(f"a calendar covers 1 to {MAX_WINDOW_DAYS} days (got {days})")
    latest = plan_gate.checked_for_export(kb, plans[-1], patient=patient)
    today = now.astimezone(ZoneInfo(latest.timezone)).date()
    start = first or max(today, latest.start)
    window = Window(start, start + timedelta(days=days))
    revisions = [
        Revision(number, plan, kb.drug(plan.drug), now)
        for number, plan in enumerate((*plans[:-1], latest), 1)
    ]
    name = series or f"{latest.drug}-{latest.route}"
    calendar = plan_calendar(revisions, window, series=name, today=today, refresh=FEED_REFRESH)
    return CalendarFile(calendar, window)
