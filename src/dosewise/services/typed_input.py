"""Numbers and dates as people type them into forms: "70,5", "70 kg", "1.2 mg/dL".

Read exactly (Fraction) or refused with the field named; nothing is guessed. A decimal comma is a decimal
point when it is the only separator ("70,5" is 70.5); a unit typed after the number is accepted when it
is the unit the field expects (a different one is refused, never converted).
"""

from __future__ import annotations

import re
from datetime import date
from fractions import Fraction

from dosewise.domain.errors import InvalidInput
from dosewise.domain.quantity import parse_amount
from dosewise.services import dates

__all__ = ["dial_string", "read_date", "read_number", "read_phone"]

_NUMBER_AND_UNIT = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?|[0-9]+/[0-9]+)\s*([^\d\s].*?)?\s*$")


def _key(unit: str) -> str:
    return (
        unit.strip().lower().replace("µ", "u").replace("μ", "u").replace("micromol", "umol").replace(" ", "")
    )


def read_number(
    text: str, *, what: str, field: str, units: tuple[str, ...] = ()
) -> tuple[Fraction | None, str | None]:
    """The number typed (None when empty) and the unit typed after it, if one of ``units`` (else None)."""
    raw = text.strip()
    if not raw:
        return None, None
    match = _NUMBER_AND_UNIT.match(raw)
    if match is None:
        raise InvalidInput(
            f"{what}: '{text}' is not a number (write digits, such as 70 or 70.5)", field=field
        )
    number, typed_unit = match.group(1), match.group(2)
    unit = None
    if typed_unit:
        wanted = {_key(u): u for u in units}
        unit = wanted.get(_key(typed_unit))
        if unit is None:
            expected = " or ".join(units) if units else "no unit"
            raise InvalidInput(
                f"{what}: '{typed_unit.strip()}' is not the unit here (write the number in {expected})",
                field=field,
            )
    if "," in number:
        number = number.replace(",", ".")
    try:
        return parse_amount(number), unit
    except InvalidInput as exc:
        raise InvalidInput(f"{what}: {exc.message}", hint=exc.hint, field=field) from exc


def read_date(text: str, *, what: str, field: str, today: date, allow_today: bool = True) -> date | None:
    """A date (YYYY-MM-DD, as date inputs send it); never in the future, and not today unless allowed."""
    raw = text.strip()
    if not raw:
        return None
    try:
        value = dates.read_date(raw, what)  # the one date reader: format and the 1900-2100 bounds
    except InvalidInput as exc:
        raise InvalidInput(exc.message, hint=exc.hint, field=field) from exc
    if value > today:
        raise InvalidInput(f"{what} {value.isoformat()} is in the future", field=field)
    if value == today and not allow_today:
        raise InvalidInput(f"{what} cannot be today", field=field)
    return value


# A telephone number as people write it: digits with spaces, dots, dashes or brackets, "+" only first.
# At most 15 digits: the longest number ITU-T E.164 allows (country code included); at least 3 (short
# numbers exist). Letters, extensions and second numbers are refused, never guessed at.
_PHONE = re.compile(r"^\+?[0-9 .()\-]+$")
_PHONE_DIGITS = (3, 15)


def read_phone(text: str, *, what: str, field: str) -> str | None:
    """A phone number kept as typed (spaces tidied), or None when empty; refused when not dialable."""
    raw = " ".join(text.split())
    if not raw:
        return None
    example = "write it in digits, such as +44 20 7946 0000 or 020 7946 0000"
    if not _PHONE.match(raw):
        raise InvalidInput(f"{what}: '{raw[:40]}' is not a phone number ({example})", field=field)
    digits = sum(ch.isdigit() for ch in raw)
    low, high = _PHONE_DIGITS
    if not low <= digits <= high:
        raise InvalidInput(
            f"{what}: a phone number has {low} to {high} digits, this one has {digits} ({example})",
            field=field,
        )
    return raw


def dial_string(phone: str) -> str:
    """What a ``tel:`` link dials: "+" (when the number starts with it) and the digits, nothing else.

    In an international number a trunk prefix written "(0)" ("+44 (0)20 7946 0000") is not dialled.
    """
    international = phone.strip().startswith("+")
    dialled = phone.replace("(0)", "") if international else phone
    digits = "".join(ch for ch in dialled if ch.isdigit())
    return f"+{digits}" if international else digits
