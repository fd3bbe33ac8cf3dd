"""Our own checks of what none of the three parsers flags (verified in test_calendar_checks.py):
lines longer than 75 octets (unfolded), bare line feeds, a TZID with no VTIMEZONE in the file, a VEVENT
without exactly one DTSTAMP, UID and DTSTART, a repeated UID, an empty or malformed duration (TRIGGER,
REFRESH-INTERVAL, X-PUBLISHED-TTL, DURATION), and a VALARM in a feed."""

from __future__ import annotations

import re

# RFC 5545 3.3.6: dur-value, with at least one designator after P (and after T).
_TIME = r"T(?=\d)(\d+H)?(\d+M)?(\d+S)?"
DURATION = re.compile(rf"^[+-]?P(\d+W|\d+D({_TIME})?|{_TIME})$")
_DURATION_PROPS = ("DURATION", "TRIGGER", "REFRESH-INTERVAL", "X-PUBLISHED-TTL")


def unfold(data: bytes) -> list[str]:
    text = data.decode("utf-8")
    return text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")


def _name_params_value(line: str) -> tuple[str, str, str]:
    head, _, value = line.partition(":")
    name, _, params = head.partition(";")
    return name.upper(), params, value


def structural_problems(data: bytes, *, alarms_allowed: bool = False) -> list[str]:
    problems: list[str] = []
    physical = data.split(b"\r\n")
    if physical[-1] != b"":
        problems.append("the calendar does not end with CRLF")
    for number, line in enumerate(physical[:-1], 1):
        if b"\n" in line or b"\r" in line:
            problems.append(f"line {number}: a bare line feed or carriage return")
        if len(line) > 75:
            problems.append(f"line {number}: {len(line)} octets, longer than 75 (not folded)")
    zones: set[str] = set()
    used: set[str] = set()
    uids: list[str] = []
    stack: list[str] = []
    counts: dict[str, int] = {}
    for line in unfold(data):
        if not line:
            continue
        name, params, value = _name_params_value(line)
        if name == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                counts = {"DTSTAMP": 0, "UID": 0, "DTSTART": 0}
            if value == "VALARM" and not alarms_allowed:
                problems.append("a VALARM in a calendar that promises no alarms")
            continue
        if name == "END":
            if not stack or stack.pop() != value:
                problems.append(f"END:{value} does not close what was opened")
            if value == "VEVENT":
                problems.extend(
                    f"a VEVENT has {n} {prop} (exactly one is required)"
                    for prop, n in counts.items()
                    if n != 1
                )
            continue
        if stack and stack[-1] == "VEVENT" and name in counts:
            counts[name] += 1
            if name == "UID":
                uids.append(value)
        if name == "TZID" and stack and stack[-1] == "VTIMEZONE":
            zones.add(value)
        for param in re.findall(r"TZID=([^;:]+)", params):
            used.add(param.strip('"'))
        is_duration = name in _DURATION_PROPS and not (name == "TRIGGER" and "VALUE=DATE-TIME" in params)
        if is_duration and not DURATION.match(value):
            problems.append(f"{name}:{value} is not an RFC 5545 duration")
    if stack:
        problems.append(f"left open: {stack}")
    problems.extend(f"TZID={zone} has no VTIMEZONE in the file" for zone in sorted(used - zones))
    if len(set(uids)) != len(uids):
        problems.append(f"{len(uids) - len(set(uids))} repeated UIDs")
    return problems
