"""Reads iCalendar files with libical (GNOME's, through Debian's gir1.2-ical-3.0) and prints JSON.

Run with Debian's /usr/bin/python3 (it has python3-gi), not the project's venv. Input on stdin:
{"files": [path, ...], "probes": [{"file", "tzid", "walls": [...]}]}. An event's local time and instant are
read through the VTIMEZONE found in the same file; ``problems`` are libical's own restriction findings
(X-LIC-ERROR) under the iTIP rules of a published calendar, e.g. a VEVENT without DTSTAMP.
"""

from __future__ import annotations

import json
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as ICal  # noqa: E402


def _wall(t: ICal.Time) -> str:
    return (
        f"{t.get_year():04d}-{t.get_month():02d}-{t.get_day():02d}T"
        f"{t.get_hour():02d}:{t.get_minute():02d}:{t.get_second():02d}"
    )


def _components(root: ICal.Component, kind: ICal.ComponentKind) -> list[ICal.Component]:
    found = []
    child = root.get_first_component(kind)
    while child is not None:
        found.append(child)
        child = root.get_next_component(kind)
    return found


def _problems(text: str) -> list[str]:
    """libical's iTIP restrictions for a published calendar (METHOD:PUBLISH added when there is no
    METHOD): without a METHOD, libical checks nothing, not even DTSTAMP."""
    if "\r\nMETHOD:" not in text:
        text = text.replace("\r\nVERSION:", "\r\nMETHOD:PUBLISH\r\nVERSION:", 1)
    root = ICal.Component.new_from_string(text)
    ICal.restriction_check(root)
    out = []
    for component in [root, *_components(root, ICal.ComponentKind.ANY_COMPONENT)]:
        prop = component.get_first_property(ICal.PropertyKind.XLICERROR_PROPERTY)
        while prop is not None:
            out.append(prop.get_value_as_string())
            prop = component.get_next_property(ICal.PropertyKind.XLICERROR_PROPERTY)
    return out


def read_calendar(path: str) -> dict[str, object]:
    with open(path, encoding="utf-8", newline="") as handle:
        text = handle.read()
    root = ICal.Component.new_from_string(text)
    if root is None or root.isa() != ICal.ComponentKind.VCALENDAR_COMPONENT:
        raise SystemExit(f"libical could not read {path} as a VCALENDAR")
    events = []
    for event in _components(root, ICal.ComponentKind.VEVENT_COMPONENT):
        start = event.get_dtstart()
        # libical takes TZID=UTC (and a Z time) as its own UTC; any other TZID must be in the file.
        tzid = "UTC" if start.is_utc() else start.get_tzid()
        zone = root.get_timezone(tzid) if tzid and tzid != "UTC" else None
        # A TZID with no VTIMEZONE is not an error to libical: the time is read as floating.
        status = event.get_status()
        events.append(
            {
                "uid": event.get_uid(),
                "sequence": event.get_sequence(),
                "status": ICal.Property.status_to_string(status) if status else None,
                "summary": event.get_summary(),
                "description": event.get_description(),
                "tzid": tzid,
                "local": _wall(start),
                "unix": start.as_timet_with_zone(zone) if zone else start.as_timet(),
                "has_dtstamp": event.get_first_property(ICal.PropertyKind.DTSTAMP_PROPERTY) is not None,
                "zone_found": zone is not None or tzid in (None, "UTC"),
            }
        )
    zones = [
        z.get_first_property(ICal.PropertyKind.TZID_PROPERTY).get_tzid()
        for z in _components(root, ICal.ComponentKind.VTIMEZONE_COMPONENT)
    ]
    return {"events": events, "zones": zones, "problems": _problems(text)}


def probe(item: dict[str, object]) -> list[int]:
    """Local wall times ("YYYY-MM-DDTHH:MM:SS") in the file's VTIMEZONE, as instants."""
    with open(str(item["file"]), encoding="utf-8") as handle:
        root = ICal.Component.new_from_string(handle.read())
    zone = root.get_timezone(str(item["tzid"]))
    if zone is None:
        raise SystemExit(f"no VTIMEZONE {item['tzid']} in {item['file']}")
    out = []
    for wall in item["walls"]:  # type: ignore[attr-defined]
        moment = ICal.Time.new_from_string(str(wall).replace("-", "").replace(":", ""))
        out.append(moment.as_timet_with_zone(zone))
    return out


def main() -> None:
    request = json.load(sys.stdin)
    out = {
        "calendars": [read_calendar(path) for path in request.get("files", [])],
        "probes": [probe(item) for item in request.get("probes", [])],
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
