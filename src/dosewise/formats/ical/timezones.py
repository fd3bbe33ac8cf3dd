"""Rule-based VTIMEZONEs, read off the tz database for the years a calendar covers.

icalendar's own ``add_missing_timezones()`` writes each zone as comma-separated RDATE lists, which
Mozilla's ical.js misreads (every summer dose an hour late). Here each daylight-saving regime becomes one
STANDARD or DAYLIGHT block with a yearly RRULE ("last Sunday of March at 01:00"), the shape every calendar
program expects. A change that does not follow the rule in force at the end of the range gets a block of
its own (one onset, no rule), so an irregular zone is still exact, just longer.
"""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

__all__ = ["Transition", "transitions", "vtimezone"]

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Offsets are sampled this often between the years' ends; no zone changes its clock twice in six hours.
_SAMPLE = timedelta(hours=6)
# Before the first change in range, a block that holds the offset already in force (RFC 5545 leaves
# times before every onset undefined).
_EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class Transition:
    """One clock change: the first instant of the new offset, the offsets around it and the new name."""

    at: datetime  # UTC
    offset_from: timedelta
    offset_to: timedelta
    name: str
    daylight: bool

    @property
    def onset(self) -> datetime:
        """The local clock reading at the change, on the old offset (how RFC 5545 writes DTSTART)."""
        return (self.at + self.offset_from).replace(tzinfo=None)

    def rule(self) -> tuple[int, str]:
        """(month, BYDAY) for a yearly rule: "-1SU" when it is the month's last such weekday."""
        onset = self.onset
        weekday = _WEEKDAYS[onset.weekday()]
        if onset.day + 7 > month_calendar.monthrange(onset.year, onset.month)[1]:
            return onset.month, f"-1{weekday}"
        return onset.month, f"{(onset.day - 1) // 7 + 1}{weekday}"

    def key(self) -> tuple[object, ...]:
        """What must be equal for two changes in successive years to be one yearly rule."""
        return (self.daylight, self.offset_from, self.offset_to, self.name, self.onset.time(), self.rule())


def _state(zone: ZoneInfo, at: datetime) -> tuple[timedelta, timedelta, str]:
    local = at.astimezone(zone)
    return local.utcoffset() or timedelta(0), local.dst() or timedelta(0), local.tzname() or ""


@lru_cache(maxsize=256)
def transitions(zone_name: str, first_year: int, last_year: int) -> tuple[Transition, ...]:
    """Every change of UTC offset from 1 January of ``first_year`` to the end of ``last_year``."""
    zone = ZoneInfo(zone_name)
    moment = datetime(first_year, 1, 1, tzinfo=UTC)
    stop = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    found: list[Transition] = []
    before = _state(zone, moment)
    while moment < stop:
        following = min(moment + _SAMPLE, stop)
        after = _state(zone, following)
        if after[0] != before[0]:
            # Bisect to the second: the first instant on the new offset.
            low, high = int(moment.timestamp()), int(following.timestamp())
            while high - low > 1:
                middle = (low + high) // 2
                if _state(zone, datetime.fromtimestamp(middle, UTC))[0] == before[0]:
                    low = middle
                else:
                    high = middle
            at = datetime.fromtimestamp(high, UTC)
            offset, dst, name = _state(zone, at)
            found.append(Transition(at, before[0], offset, name, dst > timedelta(0)))
        before, moment = after, following
    return tuple(found)


def _block(daylight: bool) -> TimezoneStandard | TimezoneDaylight:
    return TimezoneDaylight() if daylight else TimezoneStandard()


def _fill(
    block: TimezoneStandard | TimezoneDaylight,
    onset: datetime,
    offset_from: timedelta,
    offset_to: timedelta,
    name: str,
) -> None:
    block.add("dtstart", onset)
    block.add("tzoffsetfrom", offset_from)
    block.add("tzoffsetto", offset_to)
    if name:
        block.add("tzname", name)


def _single(block: TimezoneStandard | TimezoneDaylight, onset: datetime) -> None:
    """One onset, also as a single RDATE: RFC 5545 counts DTSTART as the first onset, but ``ical`` 14
    ignores a block with neither RRULE nor RDATE (verified). One value, never a comma list."""
    block.add("rdate", onset)


def _groups(changes: tuple[Transition, ...]) -> list[list[Transition]]:
    """Changes grouped into yearly rules: same key, one a year, in successive years."""
    groups: list[list[Transition]] = []
    open_by_kind: dict[bool, list[Transition]] = {}
    for change in changes:
        group = open_by_kind.get(change.daylight)
        if group is not None and group[-1].key() == change.key() and group[-1].at.year + 1 == change.at.year:
            group.append(change)
            continue
        group = [change]
        groups.append(group)
        open_by_kind[change.daylight] = group
    return groups


def vtimezone(zone_name: str, first: date, end: date) -> Timezone:
    """The VTIMEZONE for ``zone_name`` covering every day from ``first`` up to ``end`` (a year either side
    is included, so the first dose always follows an onset and the last is inside a rule)."""
    first_year, last_year = first.year - 1, end.year + 1
    changes = transitions(zone_name, first_year, last_year)
    zone = ZoneInfo(zone_name)
    component = Timezone()
    component.add("tzid", zone_name)
    start = datetime(first_year, 1, 1, tzinfo=UTC)
    offset, dst, name = _state(zone, start)
    if not changes or changes[0].at.year > first_year:
        initial = _block(dst > timedelta(0))
        _fill(initial, _EPOCH, offset, offset, name)
        _single(initial, _EPOCH)
        component.add_component(initial)
    groups = _groups(changes)
    last_of_kind = {group[0].daylight: index for index, group in enumerate(groups)}
    for index, group in enumerate(groups):
        # A yearly RRULE only for the rule still in force at the end of the range; an earlier rule is
        # written as one block per change, since ``ical`` 14 refuses the UTC UNTIL that RFC 5545 requires
        # there (verified), and no reader needs a rule for a few past years.
        open_ended = last_of_kind[group[0].daylight] == index and group[-1].at.year == last_year
        if open_ended and len(group) > 1:
            head = group[0]
            block = _block(head.daylight)
            _fill(block, head.onset, head.offset_from, head.offset_to, head.name)
            month, byday = head.rule()
            block.add("rrule", {"freq": "yearly", "bymonth": month, "byday": byday})
            component.add_component(block)
            continue
        for change in group:
            block = _block(change.daylight)
            _fill(block, change.onset, change.offset_from, change.offset_to, change.name)
            _single(block, change.onset)
            component.add_component(block)
    return component
