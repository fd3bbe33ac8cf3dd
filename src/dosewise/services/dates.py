"""One reader for calendar dates typed by people (YYYY-MM-DD), bounded so no later arithmetic can overflow.

Python's dates end at 9999-12-31: a plan or a slot that far out would overflow the first ``+ timedelta``
and answer 500. Every typed date is read here, refused (InvalidInput, 422) outside 1900-01-01..2100-12-31,
and a caller can narrow the window further (a plan starts within a year of today).
"""

from __future__ import annotations

from datetime import date, timedelta

from dosewise.domain.errors import InvalidInput
from dosewise.formats.reading import EARLIEST, LATEST

__all__ = ["EARLIEST", "LATEST", "PLAN_START_WINDOW", "read_date", "read_date_near"]

# EARLIEST and LATEST are the window a date in a file may carry too (formats.reading): one answer.
# How far from today a plan (titration or taper) may start: a plausibility bound on typed input, not a
# clinical rule; a plan further out is almost certainly a typo of the year.
PLAN_START_WINDOW = timedelta(days=366)


def read_date(text: str, what: str, *, earliest: date = EARLIEST, latest: date = LATEST) -> date:
    """The date ``text`` names, refused when malformed or outside ``earliest``..``latest``."""
    raw = text.strip()
    try:
        value = date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput(f"{what}: '{text[:40]}' is not a date (YYYY-MM-DD)") from exc
    if not max(earliest, EARLIEST) <= value <= min(latest, LATEST):
        raise InvalidInput(
            f"{what}: {value.isoformat()} is outside {max(earliest, EARLIEST)} to {min(latest, LATEST)}",
            hint="check the year",
        )
    return value


def read_date_near(text: str, what: str, today: date, window: timedelta = PLAN_START_WINDOW) -> date:
    """A date within ``window`` of ``today`` either way (empty text means today)."""
    if not text.strip():
        return today
    low = today - window if today - EARLIEST > window else EARLIEST
    high = today + window if LATEST - today > window else LATEST
    return read_date(text, what, earliest=low, latest=high)
