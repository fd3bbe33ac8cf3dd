"""Reading untrusted files: bytes to a checked mapping, and the typed field readers every format uses.

Every plan document, patient file and dose history passes through :func:`decode_document`, and every field
the readers of :mod:`dosewise.formats` read goes through one of the readers here, so a malformed file is an :class:`InvalidInput`
(exit 2 on the CLI) with a message naming the field, never a traceback. The limits below are input
guards (dosewise policy), not clinical numbers.
"""

from __future__ import annotations

import codecs
import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dosewise.domain.errors import InvalidInput
from dosewise.domain.quantity import Quantity, Unit, parse_quantity

__all__ = [
    "DATE_RANGE",
    "EARLIEST",
    "LATEST",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "check_date_range",
    "decode_document",
    "quantity_from_json",
    "read_bool",
    "read_date",
    "read_datetime",
    "read_int",
    "read_list",
    "read_number",
    "read_text",
    "read_zone",
]

# Input guards: a plan, patient or dose-history file is a few kilobytes; a megabyte is not one of them.
MAX_FILE_BYTES = 1_000_000
# No field of any of the three formats nests deeper than 4; 32 leaves room and stops recursion bombs.
MAX_DEPTH = 32
# Dates a plan, a dose or a history can carry, and the window of a date typed in the web app or the CLI
# (services.dates reads these), so a file and a form agree on which dates are plausible; outside it is a
# typing error, and far-out dates would overflow the first date arithmetic.
EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)
DATE_RANGE = (EARLIEST, LATEST)

_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _refuse_constant(name: str) -> Any:
    raise InvalidInput(f"'{name}' is not a number a dose file may hold", hint="write a finite number")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InvalidInput(
                f"the field '{key}' is given twice", hint="keep one value: which one is meant?"
            )
        out[key] = value
    return out


def _json(text: str) -> Any:
    return json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_no_duplicates)


def _toml(text: str) -> Any:
    import tomllib  # only for TOML files: its import costs a CLI run that reads none (benchmarks/cli_startup.py)

    return tomllib.loads(text)


def _parse(text: str, name: str) -> Any:
    """JSON or TOML by the file name (JSON first for other names); the other format is named in the hint."""
    as_toml = name.endswith(".toml")
    first, second = (_toml, _json) if as_toml else (_json, _toml)
    first_name, second_name = ("TOML", "JSON") if as_toml else ("JSON", "TOML")
    try:
        return first(text)
    except InvalidInput as exc:
        raise InvalidInput(f"{name}: {exc.message}", hint=exc.hint) from exc
    except RecursionError as exc:
        raise InvalidInput(f"{name}: nested too deeply to be a dosewise file") from exc
    except (ValueError, TypeError) as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        try:
            second(text)
        except (ValueError, TypeError, RecursionError):
            if as_toml or name.endswith(".json"):
                raise InvalidInput(f"{name}: not valid {first_name} ({reason})") from exc
            raise InvalidInput(f"{name}: neither JSON nor TOML ({reason})") from exc
        if as_toml or name.endswith(".json"):
            raise InvalidInput(
                f"{name}: written in {second_name}, but the name says {first_name}",
                hint=f"rename the file to end in .{second_name.lower()}",
            ) from exc
        return second(text)


def _check_values(data: Any, name: str) -> None:
    """Depth and non-finite numbers, walked without recursion (so no input can overflow the stack)."""
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        value, depth, where = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidInput(f"{name}: nested more than {MAX_DEPTH} levels deep at {where or 'the top'}")
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidInput(f"{name}: {where or 'a value'} is {value}, not a finite number")
        if isinstance(value, Mapping):
            stack.extend((item, depth + 1, f"{where}.{key}".lstrip(".")) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, depth + 1, f"{where}[{i}]") for i, item in enumerate(value))


def decode_document(raw: bytes, name: str) -> dict[str, Any]:
    """UTF-8 JSON or TOML bytes to a mapping; everything else is refused with the reason.

    A UTF-8 byte-order mark is dropped (it changes nothing in the text); UTF-16 and UTF-32 files, bytes
    that are not UTF-8, NUL characters, files over :data:`MAX_FILE_BYTES`, NaN and infinity, duplicate keys,
    nesting deeper than :data:`MAX_DEPTH` and a top level that is not an object are refused.
    """
    if len(raw) > MAX_FILE_BYTES:
        raise InvalidInput(
            f"{name}: more than {MAX_FILE_BYTES} bytes, far larger than any plan, patient or "
            "dose-history file"
        )
    for bom, encoding in _WIDE_BOMS:
        if raw.startswith(bom):
            raise InvalidInput(f"{name}: the file is {encoding} text", hint="save it as UTF-8")
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{name}: not UTF-8 text (byte {exc.start} is 0x{raw[exc.start]:02x})", hint="save it as UTF-8"
        ) from exc
    if "\x00" in text:
        raise InvalidInput(f"{name}: contains NUL characters, so it is not a text file")
    if not text.strip():
        raise InvalidInput(f"{name}: the file is empty")
    data = _parse(text, name)
    if not isinstance(data, dict):
        raise InvalidInput(f"{name}: expected an object at the top level, found a {type(data).__name__}")
    _check_values(data, name)
    return data


def _kind(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the text '{value[:40]}'"
    return f"a {type(value).__name__}"


def read_bool(value: object, where: str) -> bool:
    """true or false only: "no", "yes", 0 and 1 are refused ("no" is a non-empty string, hence truthy)."""
    if not isinstance(value, bool):
        raise InvalidInput(
            f"{where} is true or false, not {_kind(value)}", hint="write true or false unquoted"
        )
    return value


def read_int(value: object, where: str, *, low: int | None = None, high: int | None = None) -> int:
    """A whole number, not a string, a boolean (true is not 1) or a float."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{where} is a whole number, not {_kind(value)}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidInput(f"{where} {value} is outside {low}-{high}")
    return value


def read_number(value: object, where: str) -> Fraction:
    """A finite number given as a number: strings, booleans, NaN and infinity are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{where} is a number, not {_kind(value)}", hint="write the number unquoted")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(f"{where} is {value}, not a finite number")
        return Fraction(repr(value))
    return Fraction(value)


def read_text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{where} is text, not {_kind(value)}")
    return value


def read_list(value: object, where: str) -> list[Any]:
    """A list; null, an object or a string where a list belongs is refused (not read as empty)."""
    if not isinstance(value, list):
        raise InvalidInput(f"{where} is a list, not {_kind(value)}")
    return value


def read_zone(value: object, where: str) -> str:
    """An IANA time-zone name the system knows ("Mars/Olympus" and "+02:00" are refused at once)."""
    name = read_text(value, where)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise InvalidInput(
            f"{where}: unknown time zone '{name[:60]}'", hint="use an IANA name such as Europe/Paris"
        ) from exc
    return name


def check_date_range(day: date, where: str, shown: object) -> None:
    """Refuse a date outside :data:`DATE_RANGE` (a typing error, and arithmetic on it would overflow)."""
    low, high = DATE_RANGE
    if not low <= day <= high:
        raise InvalidInput(
            f"{where}: {shown} is not a plausible date (expected {low.year}-{high.year})",
            hint="check the year",
        )


def read_date(value: object, where: str) -> date:
    """YYYY-MM-DD text (or a TOML date) inside :data:`DATE_RANGE`."""
    if isinstance(value, datetime):
        raise InvalidInput(f"{where}: '{value}' is a date and time; give the date only (YYYY-MM-DD)")
    if isinstance(value, date):
        day = value
    elif isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError as exc:
            raise InvalidInput(f"{where}: '{value[:40]}' is not a date (YYYY-MM-DD)") from exc
    else:
        raise InvalidInput(f"{where} is a date (YYYY-MM-DD), not {_kind(value)}")
    check_date_range(day, where, value)
    return day


def read_datetime(value: object, where: str) -> datetime:
    """An ISO 8601 date-time text with its offset (or a TOML offset date-time) inside :data:`DATE_RANGE`."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise InvalidInput(f"{where}: '{value[:40]}' is not an ISO date-time") from exc
    else:
        raise InvalidInput(f"{where} is an ISO date-time, not {_kind(value)}")
    check_date_range(moment.date(), where, value)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{where}: '{value}' has no UTC offset", hint="e.g. 2026-03-10T08:00+01:00")
    return moment


def quantity_from_json(value: object, where: str, *, allowed: tuple[Unit, ...] | None = None) -> Quantity:
    """Accept {"value": "5", "unit": "mg"} or "5 mg"; refuse bare numbers (a dose always has a unit)."""
    if isinstance(value, Mapping):
        if set(value) - {"value", "unit"} or "value" not in value or "unit" not in value:
            raise InvalidInput(f"{where}: a quantity is {{'value': ..., 'unit': ...}}")
        raw = value["value"]
        unit = read_text(value["unit"], f"{where} unit")
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise InvalidInput(f"{where}: the value '{raw}' is not a number")
        if not isinstance(raw, str):
            read_number(raw, f"{where} value")  # finite, not a boolean
        amount = repr(raw) if isinstance(raw, float) else str(raw)
        return parse_quantity(f"{amount} {unit}", allowed=allowed)
    if isinstance(value, str):
        return parse_quantity(value, allowed=allowed)
    raise InvalidInput(f"{where}: '{value}' has no unit", hint='write e.g. "10 mg"')
