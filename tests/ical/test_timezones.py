"""The rule-based VTIMEZONEs, read by three parsers: every hour of three years, in zones with northern,
southern, half-hour, 45-minute and irregular rules, must give the tz database's local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from ical_parsers import ical_local_to_unix, read_icaljs, read_libical
from icalendar import Calendar, Event

from dosewise.formats.ical import Window
from dosewise.formats.ical.timezones import transitions, vtimezone
from dosewise.formats.ical.writer import calendar_bytes

ZONES = (
    "Europe/London",
    "America/New_York",
    "Europe/Berlin",
    "America/Los_Angeles",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/Santiago",
    "Asia/Jerusalem",
    "Africa/Casablanca",
    "Europe/Dublin",
    "Asia/Kolkata",
    "UTC",
)
WINDOW = Window(date(2026, 12, 1), date(2027, 12, 1))
# Every 3 hours plus 1 minute (so the samples drift across every hour of the day) over the window's years.
SAMPLES = [
    int((datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=181 * k)).timestamp()) for k in range(8700)
]


def _calendar(tmp_path: Path, zones: tuple[str, ...]) -> Path:
    path = tmp_path / "zones.ics"
    path.write_bytes(calendar_bytes([], name="zones", zones=zones, window=WINDOW, refresh=timedelta(hours=1)))
    return path


def _walls(zone: str) -> tuple[list[str], list[int]]:
    """The sampled instants as local wall times, and the instants; walls that happen twice (the repeated
    autumn hour) are left out, as they name two instants (and are written in UTC)."""
    tz = ZoneInfo(zone)
    walls, instants = [], []
    for unix in SAMPLES:
        wall = datetime.fromtimestamp(unix, tz).replace(tzinfo=None)
        if wall.replace(tzinfo=tz, fold=0).utcoffset() == wall.replace(tzinfo=tz, fold=1).utcoffset():
            walls.append(wall.isoformat())
            instants.append(unix)
    return walls, instants


def _probes(path: Path, zones: tuple[str, ...]) -> tuple[list[dict[str, object]], list[list[int]]]:
    probes, truth = [], []
    for zone in zones:
        walls, instants = _walls(zone)
        probes.append({"file": str(path), "tzid": zone, "walls": walls})
        truth.append(instants)
    return probes, truth


def _wrong(answers: list[list[int]], truth: list[list[int]], zones: tuple[str, ...]) -> dict[str, int]:
    return {
        zone: sum(1 for got, want in zip(a, t, strict=True) if got != want)
        for zone, a, t in zip(zones, answers, truth, strict=True)
    }


def test_three_parsers_read_every_sampled_local_time_as_the_tz_database_instant(tmp_path: Path) -> None:
    """13 zones x about 8,700 local times over 2026-2028, read through our VTIMEZONEs by ical.js, libical
    and ``ical``'s own tzinfo: 0 differences from zoneinfo."""
    path = _calendar(tmp_path, ZONES)
    probes, truth = _probes(path, ZONES)
    assert sum(len(t) for t in truth) > 100_000
    answers = {
        "icaljs": read_icaljs([], probes)["probes"],
        "libical": read_libical([], probes)["probes"],
        "ical": [
            ical_local_to_unix(path, zone, [datetime.fromisoformat(w) for w in probe["walls"]])  # type: ignore[attr-defined]
            for zone, probe in zip(ZONES, probes, strict=True)
        ],
    }
    for parser, got in answers.items():
        assert _wrong(got, truth, ZONES) == dict.fromkeys(ZONES, 0), parser


def test_london_and_new_york_are_one_yearly_rule_each_way() -> None:
    """The shape calendar programs expect: one DAYLIGHT and one STANDARD block, each a yearly RRULE
    (last Sunday of March/October; second Sunday of March, first of November)."""
    london = vtimezone("Europe/London", WINDOW.first, WINDOW.end).to_ical().decode()
    assert london.count("BEGIN:DAYLIGHT") == 1
    assert london.count("BEGIN:STANDARD") == 1
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in london
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10" in london
    assert "RDATE" not in london
    new_york = vtimezone("America/New_York", WINDOW.first, WINDOW.end).to_ical().decode()
    assert "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3" in new_york
    assert "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11" in new_york


def test_the_transitions_found_are_those_of_the_tz_database() -> None:
    """London 2027: 28 March 01:00 UTC and 31 October 01:00 UTC, to the second."""
    changes = list(transitions("Europe/London", 2027, 2027))
    assert [c.at for c in changes] == [
        datetime(2027, 3, 28, 1, tzinfo=UTC),
        datetime(2027, 10, 31, 1, tzinfo=UTC),
    ]
    assert [c.onset.isoformat() for c in changes] == ["2027-03-28T01:00:00", "2027-10-31T02:00:00"]


def _probe_icaljs(path: Path, zone: str) -> int:
    probes, truth = _probes(path, (zone,))
    return _wrong(read_icaljs([], probes)["probes"], truth, (zone,))[zone]


def test_the_probe_catches_a_wrong_rule(tmp_path: Path) -> None:
    """A control for the probe itself: the London DAYLIGHT rule moved to the second Sunday of March puts
    a fortnight of every spring an hour out, and ical.js then disagrees with the tz database."""
    path = _calendar(tmp_path, ("Europe/London",))
    text = path.read_text().replace("BYDAY=-1SU;BYMONTH=3", "BYDAY=2SU;BYMONTH=3")
    path.write_text(text, newline="")
    assert _probe_icaljs(path, "Europe/London") > 100


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York"])
def test_the_rdate_trap_icalendar_add_missing_timezones_is_misread_by_icaljs(
    tmp_path: Path, zone: str
) -> None:
    """Why the VTIMEZONEs are written here: icalendar's own ``add_missing_timezones()`` (RDATE lists)
    is misread by ical.js for many of the sampled instants; ours for none (test above)."""
    calendar = Calendar()
    calendar.add("prodid", "-//test//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", "trap")
    event.add("dtstamp", datetime(2027, 1, 1, tzinfo=UTC))
    event.add("dtstart", datetime(2027, 7, 1, 8, tzinfo=ZoneInfo(zone)))
    calendar.add_component(event)
    calendar.add_missing_timezones()
    path = tmp_path / "rdate.ics"
    path.write_bytes(calendar.to_ical())
    assert "RDATE" in path.read_text()
    assert _probe_icaljs(path, zone) > 1000
