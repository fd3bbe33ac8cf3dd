"""Exact quantities: a dose is never a bare number, and mg never mixes silently with mcg.

Amounts are ``Fraction`` so that halves, thirds and liquid volumes stay exact; formatting follows safe
writing rules (no trailing zero, always a leading zero, "mcg" never "µg").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from fractions import Fraction

from dosewise.domain.errors import InvalidInput, UnitMismatch

__all__ = [
    "ML_PER_MIN_TO_L_PER_H",
    "Concentration",
    "Quantity",
    "Unit",
    "format_amount",
    "format_limit",
    "mcg",
    "mg",
    "ml",
    "parse_amount",
    "parse_concentration",
    "parse_quantity",
    "times_per_day_words",
]


class Unit(Enum):
    """Units a dose, volume or rate can carry. Mass units convert only through ``Quantity.to``."""

    MG = "mg"
    MCG = "mcg"
    ML = "mL"
    UNITS = "U"
    ML_PER_MIN = "mL/min"
    ML_PER_MIN_173 = "mL/min/1.73m2"
    NG_PER_ML = "ng/mL"
    PERCENT = "%"

    @property
    def is_mass(self) -> bool:
        return self in (Unit.MG, Unit.MCG)


_UNIT_ALIASES: dict[str, Unit] = {
    "mg": Unit.MG,
    "milligram": Unit.MG,
    "milligrams": Unit.MG,
    "mcg": Unit.MCG,
    "µg": Unit.MCG,
    "μg": Unit.MCG,
    "microgram": Unit.MCG,
    "micrograms": Unit.MCG,
    "ml": Unit.ML,
    "millilitre": Unit.ML,
    "millilitres": Unit.ML,
    "milliliter": Unit.ML,
    "milliliters": Unit.ML,
    "u": Unit.UNITS,
    "units": Unit.UNITS,
    "ml/min": Unit.ML_PER_MIN,
    "ml/min/1.73m2": Unit.ML_PER_MIN_173,
    "ml/min/1.73 m2": Unit.ML_PER_MIN_173,
    "ml/min/1.73m²": Unit.ML_PER_MIN_173,
    "ng/ml": Unit.NG_PER_ML,
    "%": Unit.PERCENT,
}

# 1 mL/min = 60 mL/h = 0.06 L/h (unit arithmetic, not a clinical number): a float, because it serves the
# pharmacokinetic model (domain.pk) and pk.toml's load-time check, never a dose.
ML_PER_MIN_TO_L_PER_H = 0.06

# mg <-> mcg is the only conversion; it is exact and always explicit.
_MASS_IN_MCG = {Unit.MG: Fraction(1000), Unit.MCG: Fraction(1)}

_NUMBER = r"(?:\d+(?:\.\d+)?|\.\d+|\d+/\d+)"
# A unit never starts with "." or "/": otherwise "2.5" would read as 2 with the unit ".5", and "1/2 mg"
# as 1 with the unit "/2 mg", instead of a bare number and half a milligram.
_QUANTITY_RE = re.compile(rf"^\s*({_NUMBER})\s*([^\d\s./].*?)\s*$")


def parse_amount(text: str) -> Fraction:
    """Read a non-negative decimal or simple fraction ("2.5", "1/2") exactly; refuse anything else."""
    raw = text.strip()
    if not re.fullmatch(_NUMBER, raw):
        raise InvalidInput(f"'{text}' is not a number (use digits such as 2.5 or 1/2)")
    if "/" in raw:
        numerator, denominator = raw.split("/")
        if int(denominator) == 0:
            raise InvalidInput(f"'{text}' divides by zero")
        return Fraction(int(numerator), int(denominator))
    try:
        return Fraction(Decimal(raw))
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise InvalidInput(f"'{text}' is not a number") from exc


def _parse_unit(text: str) -> Unit:
    key = text.strip().lower()
    if key in _UNIT_ALIASES:
        return _UNIT_ALIASES[key]
    if key in ("ug", "g", "gram", "grams", "cc", "l"):
        hint = {"ug": "write mcg", "cc": "write mL"}.get(key, "doses are written in mg, mcg or mL")
        raise InvalidInput(f"unit '{text}' is not accepted", hint=hint)
    raise InvalidInput(f"unknown unit '{text}'", hint="use mg, mcg or mL")


def format_amount(amount: Fraction) -> str:
    """Exact decimal text with a leading zero and no trailing zero; refuse repeating decimals."""
    if amount < 0:
        return "-" + format_amount(-amount)
    denominator = amount.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        raise InvalidInput(f"{amount} has no exact decimal form", hint="choose a dose that divides evenly")
    text = format(Decimal(amount.numerator) / Decimal(amount.denominator), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_limit(amount: Fraction) -> str:
    """A limit or a measured value shown to people (a ceiling of 80 x 2/3 mg, a CrCl): exact when it has a
    decimal form, otherwise to one decimal. Never for a dose, which must be exact (``format_amount``)."""
    try:
        return format_amount(amount)
    except InvalidInput:
        return f"{float(amount):.1f}"


@dataclass(frozen=True, order=False)
class Quantity:
    """An exact amount with its unit. Arithmetic across units raises ``UnitMismatch``."""

    amount: Fraction
    unit: Unit

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Fraction):
            object.__setattr__(self, "amount", Fraction(self.amount))

    def _same_unit(self, other: Quantity) -> None:
        if not isinstance(other, Quantity):
            raise TypeError(f"cannot combine a quantity with {type(other).__name__}")
        if other.unit is not self.unit:
            raise UnitMismatch(
                f"cannot combine {self} with {other}",
                hint="convert explicitly (1 mg = 1000 mcg); mass and volume never mix",
            )

    def __add__(self, other: Quantity) -> Quantity:
        self._same_unit(other)
        return Quantity(self.amount + other.amount, self.unit)

    def __sub__(self, other: Quantity) -> Quantity:
        self._same_unit(other)
        return Quantity(self.amount - other.amount, self.unit)

    def __mul__(self, factor: int | Fraction) -> Quantity:
        if isinstance(factor, Quantity | float):
            raise TypeError("a quantity scales only by an exact int or Fraction")
        return Quantity(self.amount * Fraction(factor), self.unit)

    __rmul__ = __mul__

    def __truediv__(self, divisor: int | Fraction) -> Quantity:
        if isinstance(divisor, Quantity | float):
            raise TypeError("divide quantities with ratio(); scale only by int or Fraction")
        return Quantity(self.amount / Fraction(divisor), self.unit)

    def ratio(self, other: Quantity) -> Fraction:
        """How many times ``other`` fits in this quantity (same unit only)."""
        self._same_unit(other)
        return self.amount / other.amount

    def __lt__(self, other: Quantity) -> bool:
        self._same_unit(other)
        return self.amount < other.amount

    def __le__(self, other: Quantity) -> bool:
        self._same_unit(other)
        return self.amount <= other.amount

    def __gt__(self, other: Quantity) -> bool:
        self._same_unit(other)
        return self.amount > other.amount

    def __ge__(self, other: Quantity) -> bool:
        self._same_unit(other)
        return self.amount >= other.amount

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    def to(self, unit: Unit) -> Quantity:
        """Explicit, exact conversion between mg and mcg; anything else is refused."""
        if unit is self.unit:
            return self
        if self.unit.is_mass and unit.is_mass:
            return Quantity(self.amount * _MASS_IN_MCG[self.unit] / _MASS_IN_MCG[unit], unit)
        raise UnitMismatch(f"cannot convert {self} to {unit.value}")

    def __str__(self) -> str:
        return f"{format_amount(self.amount)} {self.unit.value}"

    def to_json(self) -> dict[str, str]:
        return {"value": format_amount(self.amount), "unit": self.unit.value}


def mg(amount: int | str | Fraction) -> Quantity:
    return Quantity(parse_amount(amount) if isinstance(amount, str) else Fraction(amount), Unit.MG)


def mcg(amount: int | str | Fraction) -> Quantity:
    return Quantity(parse_amount(amount) if isinstance(amount, str) else Fraction(amount), Unit.MCG)


def ml(amount: int | str | Fraction) -> Quantity:
    return Quantity(parse_amount(amount) if isinstance(amount, str) else Fraction(amount), Unit.ML)


def parse_quantity(text: str, *, allowed: tuple[Unit, ...] | None = None) -> Quantity:
    """Read "10 mg", "0.5 mL", "500 mcg"; refuse a bare number, an unknown unit or a disallowed unit."""
    match = _QUANTITY_RE.match(text or "")
    if not match:
        if re.fullmatch(rf"\s*{_NUMBER}\s*", text or ""):
            raise InvalidInput(f"'{text}' has no unit", hint="write the unit, e.g. '10 mg'")
        raise InvalidInput(f"'{text}' is not a quantity such as '10 mg'")
    quantity = Quantity(parse_amount(match.group(1)), _parse_unit(match.group(2)))
    if allowed is not None and quantity.unit not in allowed:
        names = ", ".join(unit.value for unit in allowed)
        raise InvalidInput(f"'{text}' must be in {names}")
    return quantity


@dataclass(frozen=True)
class Concentration:
    """Mass per volume of a liquid, kept as written ("10 mg/5 mL") and exact."""

    mass: Quantity
    volume: Quantity

    def __post_init__(self) -> None:
        if not self.mass.unit.is_mass or self.volume.unit is not Unit.ML:
            raise UnitMismatch(
                f"a concentration is mass per mL, not {self.mass.unit.value}/{self.volume.unit}"
            )
        if self.volume.amount <= 0 or self.mass.amount <= 0:
            raise InvalidInput("a concentration must be positive")

    @property
    def per_ml(self) -> Quantity:
        return Quantity(self.mass.amount / self.volume.amount, self.mass.unit)

    def volume_for(self, dose: Quantity) -> Quantity:
        """The exact volume that holds ``dose`` (mg and mcg are converted explicitly)."""
        dose_in_unit = dose.to(self.mass.unit)
        return Quantity(dose_in_unit.amount / self.per_ml.amount, Unit.ML)

    def dose_in(self, volume: Quantity) -> Quantity:
        if volume.unit is not Unit.ML:
            raise UnitMismatch(f"{volume} is not a volume")
        return Quantity(volume.amount * self.per_ml.amount, self.mass.unit)

    def __str__(self) -> str:
        if self.volume.amount == 1:
            return f"{format_amount(self.mass.amount)} {self.mass.unit.value}/mL"
        return f"{self.mass}/{self.volume}"


def parse_concentration(text: str) -> Concentration:
    """Read "10 mg/5 mL", "2000 mcg/mL" or "1 mg/mL"."""
    parts = (text or "").split("/")
    if len(parts) != 2:
        raise InvalidInput(f"'{text}' is not a concentration such as '10 mg/5 mL'")
    mass = parse_quantity(parts[0], allowed=(Unit.MG, Unit.MCG))
    volume_text = parts[1].strip()
    if volume_text.lower() == "ml":
        volume_text = "1 mL"
    return Concentration(mass, parse_quantity(volume_text, allowed=(Unit.ML,)))


_TIMES_WORDS = {1: "once a day", 2: "twice a day", 3: "three times a day", 4: "four times a day"}


def times_per_day_words(times: int) -> str:
    """Plain words for patients ("three times a day"), never TID/QID."""
    return _TIMES_WORDS.get(times, f"{times} times a day")
