"""Three iCalendar parsers nobody here wrote, driven the same way, answering in the same shape.

* ``ical`` (PyPI, the strictest Python reader): resolves a TZID through the system's tz database, and
  reads our VTIMEZONE as a tzinfo of its own (``IcsTimezoneInfo``) for the zone probes;
* Mozilla's ical.js (npm, Thunderbird's parser), through ``icaljs_read.mjs`` under Node: reads every time
  through the VTIMEZONE in the same file;
* libical (GNOME's), through Debian's gir1.2-ical-3.0 under ``/usr/bin/python3``: reads through the
  VTIMEZONE in the file and reports its own restriction problems (a missing DTSTAMP, for one).

Each reader returns, per calendar, ``{"events": [...], "zones": [...]}`` with the event's UID, SEQUENCE,
STATUS, SUMMARY, DESCRIPTION, TZID, local wall clock (``YYYY-MM-DDTHH:MM:SS``) and UTC instant (unix).
"""

from __future__ import annotations

import fcntl
import json
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
NODE_MODULES = HERE / "node_modules"
SYSTEM_PYTHON = "/usr/bin/python3"
PARSERS = ("ical", "icaljs", "libical")


def _ensure_icaljs() -> None:
    """ical.js pinned by package-lock.json; scripts/test.sh runs `npm ci`, and so does this, once, if a
    worktree has not (under a lock, as xdist workers start together)."""
    if (NODE_MODULES / "ical.js" / "package.json").exists():
        return
    with open(HERE / ".npm-ci.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (NODE_MODULES / "ical.js" / "package.json").exists():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=HERE, check=True, timeout=300
            )


def _wall(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


def read_ical(paths: Sequence[Path]) -> list[dict[str, Any]]:
    from ical.calendar_stream import IcsCalendarStream

    out = []
    for path in paths:
        calendar = IcsCalendarStream.calendar_from_ics(path.read_text(encoding="utf-8"))
        events = []
        for event in calendar.events:
            start = event.dtstart
            assert isinstance(start, datetime), "every dose is a date-time, never an all-day event"
            zone = start.tzinfo
            events.append(
                {
                    "uid": event.uid,
                    "sequence": event.sequence,
                    "status": event.status.value if event.status else None,
                    "summary": event.summary,
                    "description": event.description,
                    # A TZID=UTC time comes back on datetime.timezone.utc, which has no key.
                    "tzid": getattr(zone, "key", None) or (str(zone) if zone is not None else None),
                    "local": _wall(start),
                    "unix": int(start.timestamp()),
                    "has_dtstamp": event.dtstamp is not None,
                    "alarms": len(event.alarm),
                }
            )
        out.append({"events": events, "zones": [zone.tz_id for zone in calendar.timezones]})
    return out


def _run(command: list[str], request: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        command, input=json.dumps(request), capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def read_icaljs(paths: Sequence[Path], probes: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    _ensure_icaljs()
    request = {"files": [str(p) for p in paths], "probes": list(probes)}
    return _run(["node", str(HERE / "icaljs_read.mjs")], request)


def read_libical(paths: Sequence[Path], probes: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    request = {"files": [str(p) for p in paths], "probes": list(probes)}
    return _run([SYSTEM_PYTHON, str(HERE / "libical_read.py")], request)


def read_all(paths: Sequence[Path]) -> dict[str, list[dict[str, Any]]]:
    """Every calendar read by every parser: {parser: [calendar, ...]} in the order of ``paths``."""
    return {
        "ical": read_ical(paths),
        "icaljs": read_icaljs(paths)["calendars"],
        "libical": read_libical(paths)["calendars"],
    }


def ical_local_to_unix(path: Path, tzid: str, walls: Sequence[datetime]) -> list[int]:
    """The ``ical`` package reading our VTIMEZONE as its own tzinfo: each local wall time as an instant."""
    from ical.calendar_stream import IcsCalendarStream
    from ical.timezone import IcsTimezoneInfo

    calendar = IcsCalendarStream.calendar_from_ics(path.read_text(encoding="utf-8"))
    zone = next(z for z in calendar.timezones if z.tz_id == tzid)
    info = IcsTimezoneInfo.from_timezone(zone)
    return [int(wall.replace(tzinfo=info).astimezone(UTC).timestamp()) for wall in walls]
