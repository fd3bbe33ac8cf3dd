"""Titration and taper planners. Pure: every date and option arrives as a parameter.

Both planners work on daily totals, then realise each total as a dose that the chosen products can make
at a number of doses a day. Titrations round down (never above the asked-for amount or the ceiling);
tapers round up (a reduction is never bigger than asked for) and never rise.
"""

from dosewise.domain.planning.common import (
    OVERRIDE_ABOVE_LABEL_MAX,
    OVERRIDE_ABOVE_LABEL_START,
    OVERRIDE_ABOVE_RENAL_CEILING,
    OVERRIDE_CODES,
    OVERRIDE_FASTER_ESCALATION,
    OVERRIDE_LABEL_CONTRAINDICATION,
    OVERRIDE_RAPID_WITHDRAWAL,
    TaperOptions,
    TitrationOptions,
    validate_overrides,
)
from dosewise.domain.planning.taper import plan_taper
from dosewise.domain.planning.titration import plan_titration

__all__ = [
    "OVERRIDE_ABOVE_LABEL_MAX",
    "OVERRIDE_ABOVE_LABEL_START",
    "OVERRIDE_ABOVE_RENAL_CEILING",
    "OVERRIDE_CODES",
    "OVERRIDE_FASTER_ESCALATION",
    "OVERRIDE_LABEL_CONTRAINDICATION",
    "OVERRIDE_RAPID_WITHDRAWAL",
    "TaperOptions",
    "TitrationOptions",
    "plan_taper",
    "plan_titration",
    "validate_overrides",
]
