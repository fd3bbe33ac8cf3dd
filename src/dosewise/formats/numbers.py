"""Numbers as the wire formats write them for people to read: rounded the safe way, never invented."""

from __future__ import annotations

import math
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction

__all__ = ["floor_decimal", "significant"]


def floor_decimal(value: Fraction, places: int = 1) -> float | int:
    """A duration for display, rounded down (never later than the truth)."""
    quantum = Decimal(1).scaleb(-places)
    exact = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(quantum, rounding=ROUND_FLOOR)
    return int(exact) if exact == exact.to_integral_value() else float(exact)


def significant(value: float, digits: int = 4) -> float | None:
    """``value`` to ``digits`` significant digits; None (JSON null) when it is not a finite number."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")
