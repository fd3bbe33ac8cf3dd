"""The iCalendar (RFC 5545) text of a dose calendar, written with ``icalendar``.

Each dose is a VEVENT at its local clock time with a TZID whose VTIMEZONE (rule-based, see
``timezones``) is in the same file; the refresh hint is both RFC 7986 ``REFRESH-INTERVAL`` and the older
``X-PUBLISHED-TTL``, as durations (a bare timedelta would serialize as "1:00:00"). No VALARM: subscribed
calendars drop or strip alarms, so a reminder here would be a promise the calendar does not keep.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vDuration

from dosewise.formats.ical.entries import DoseEntry, Window
from dosewise.formats.ical.timezones import vtimezone

__all__ = ["DOSE_LENGTH", "PRODUCT_ID", "calendar_bytes", "is_ambiguous"]

PRODUCT_ID = "-//dosewise//dose calendar//EN"
# How long a dose shows in a day view; marked free time (TRANSPARENT), so it never blocks a meeting.
DOSE_LENGTH = timedelta(minutes=15)


def is_ambiguous(moment: datetime, zone: ZoneInfo) -> bool:
    """Whether the wall clock of ``moment`` happens twice in ``zone`` (the hour repeated in autumn)."""
    wall = moment.astimezone(zone).replace(tzinfo=None)
    return wall.replace(tzinfo=zone, fold=0).utcoffset() != wall.replace(tzinfo=zone, fold=1).utcoffset()


def _start(entry: DoseEntry) -> datetime:
    """The local time with its zone, or UTC for a wall time that happens twice: RFC 5545 3.3.5 says such
    a TZID time is its first occurrence, but ical.js 2.2.1 and libical 3.0 read the second, an hour late
    (verified in tests/ical)."""
    zone = ZoneInfo(entry.zone)
    if is_ambiguous(entry.at, zone):
        return entry.at.astimezone(UTC)
    return entry.at.astimezone(zone)


def _event(entry: DoseEntry) -> Event:
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", entry.revised)
    event.add("created", entry.created)
    event.add("last-modified", entry.revised)
    event.add("sequence", entry.sequence)
    event.add("dtstart", _start(entry))
    event.add("duration", DOSE_LENGTH)
    event.add("summary", entry.summary)
    event.add("description", entry.description)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    event.add("class", "PRIVATE")
    return event


def calendar_bytes(
    entries: Sequence[DoseEntry],
    *,
    name: str,
    zones: Sequence[str],
    window: Window,
    refresh: timedelta,
) -> bytes:
    """The whole calendar: one VTIMEZONE per zone used (and each zone in ``zones``), then the events."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", vDuration(refresh), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(refresh))
    for zone in sorted({*zones, *(entry.zone for entry in entries)}):
        calendar.add_component(vtimezone(zone, window.first, window.end))
    for entry in entries:
        calendar.add_component(_event(entry))
    body: bytes = calendar.to_ical()
    return body
