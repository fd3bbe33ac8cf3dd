"""Read a regimen written the way clinicians and patients write it: "20 mg 4 times a day", "10 mg TID",
"5 mg twice daily", "20 mg every 6 hours". Anything ambiguous is refused, never guessed."""

from __future__ import annotations

import re

from dosewise.domain.errors import InvalidInput
from dosewise.domain.quantity import Quantity, Unit, parse_quantity

__all__ = ["parse_regimen"]

_WORDS = {"once": 1, "twice": 2, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_ABBREVIATIONS = {"qd": 1, "od": 1, "daily": 1, "bid": 2, "bd": 2, "tid": 3, "tds": 3, "qid": 4, "qds": 4}

_PATTERN = re.compile(
    r"^\s*(?P<dose>[\d./]+\s*[a-zµμ]+)\s+(?P<freq>.+?)\s*$",
    re.IGNORECASE,
)


def _frequency(text: str) -> int:
    words = text.lower().replace("-", " ").split()
    joined = " ".join(words)
    if joined in _ABBREVIATIONS:
        return _ABBREVIATIONS[joined]
    match = re.fullmatch(
        r"(\d+|once|twice|one|two|three|four|five|six)( times?)?( a| per)? ?(day|daily)", joined
    )
    if match:
        token = match.group(1)
        return int(token) if token.isdigit() else _WORDS[token]
    match = re.fullmatch(r"x ?(\d+)( ?/ ?day| a day| daily)?|(\d+) ?x( ?/ ?day| a day| daily)?", joined)
    if match:
        return int(match.group(1) or match.group(3))
    match = re.fullmatch(r"every (\d+) ?(h|hours?)", joined)
    if match:
        hours = int(match.group(1))
        if hours == 0 or 24 % hours:
            raise InvalidInput(f"every {hours} hours does not divide a day evenly")
        return 24 // hours
    raise InvalidInput(
        f"'{text}' is not a frequency I can read",
        hint="write e.g. '3 times a day', 'twice a day', 'TID' or 'every 8 hours'",
    )


def parse_regimen(text: str) -> tuple[Quantity, int]:
    """("20 mg", 4) from "20 mg 4 times a day"."""
    match = _PATTERN.match(text or "")
    if not match:
        raise InvalidInput(f"'{text}' is not a regimen such as '20 mg 4 times a day'")
    dose = parse_quantity(match.group("dose"), allowed=(Unit.MG, Unit.MCG))
    per_day = _frequency(match.group("freq"))
    if not 1 <= per_day <= 6:
        raise InvalidInput(f"{per_day} doses a day is not supported (1 to 6)")
    return dose, per_day
