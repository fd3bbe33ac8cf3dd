"""What both planners share: override codes, options, makeable-dose arithmetic and step building."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time
from fractions import Fraction

from dosewise.domain.assessment import (
    OVERRIDE_BEERS_AVOID,
    OVERRIDE_BELOW_LABEL_AGE,
    OVERRIDE_LABEL_CONTRAINDICATION,
    OVERRIDE_RENAL_AVOID,
    Assessment,
)
from dosewise.domain.dispensing import can_make, choose_products, makeable_grid
from dosewise.domain.errors import InvalidInput, PlanRefused, UnmakeableDose
from dosewise.domain.quantity import Quantity, Unit
from dosewise.domain.regimen import Override, PriorRegimen, Step, default_times
from dosewise.domain.rules import DrugRules, Scored, Severity

__all__ = [
    "OVERRIDE_ABOVE_LABEL_MAX",
    "OVERRIDE_ABOVE_LABEL_START",
    "OVERRIDE_ABOVE_RENAL_CEILING",
    "OVERRIDE_CODES",
    "OVERRIDE_FASTER_ESCALATION",
    "OVERRIDE_LABEL_CONTRAINDICATION",
    "OVERRIDE_RAPID_WITHDRAWAL",
    "Maker",
    "TaperOptions",
    "TitrationOptions",
    "ceil_to",
    "check_unit",
    "clock_times",
    "find_override",
    "floor_to",
    "make_maker",
    "merge_steps",
    "refuse_avoid",
    "refuse_unmakeable",
    "to_steps",
    "validate_overrides",
]


OVERRIDE_ABOVE_LABEL_MAX = "above_label_max"
OVERRIDE_ABOVE_RENAL_CEILING = "above_renal_ceiling"
OVERRIDE_RAPID_WITHDRAWAL = "rapid_withdrawal"
OVERRIDE_FASTER_ESCALATION = "faster_escalation"
OVERRIDE_ABOVE_LABEL_START = "above_label_start"

# Every limit a clinician may cross on purpose, with a recorded reason. Anything else is a typing error.
OVERRIDE_CODES = frozenset(
    {
        OVERRIDE_RENAL_AVOID,
        OVERRIDE_BEERS_AVOID,
        OVERRIDE_BELOW_LABEL_AGE,
        OVERRIDE_ABOVE_LABEL_MAX,
        OVERRIDE_ABOVE_RENAL_CEILING,
        OVERRIDE_RAPID_WITHDRAWAL,
        OVERRIDE_FASTER_ESCALATION,
        OVERRIDE_ABOVE_LABEL_START,
        OVERRIDE_LABEL_CONTRAINDICATION,
    }
)


def validate_overrides(overrides: Iterable[Override]) -> None:
    for override in overrides:
        if override.code not in OVERRIDE_CODES:
            raise InvalidInput(
                f"unknown override '{override.code}'",
                hint=f"known overrides: {', '.join(sorted(OVERRIDE_CODES))}",
            )
        if not override.reason.strip():
            raise InvalidInput(f"override '{override.code}' needs a reason")


@dataclass(frozen=True)
class TitrationOptions:
    start: date
    start_dose: Quantity | None = None
    increment: Quantity | None = None
    interval_days: int | None = None
    target_daily: Quantity | None = None
    times_per_day: int | None = None
    times: tuple[time, ...] = ()
    products: tuple[str, ...] = ()
    confirmed_scored: tuple[str, ...] = ()
    overrides: tuple[Override, ...] = ()
    timezone: str = "UTC"
    # The regimen the patient already takes: the titration continues from it (``plan titrate --from``).
    current: PriorRegimen | None = None


@dataclass(frozen=True)
class TaperOptions:
    start: date
    current_dose: Quantity
    current_times_per_day: int
    target_daily: Quantity | None = None
    step_daily: Quantity | None = None
    percent: Fraction | None = None
    step_days: int | None = None
    weeks: int | None = None
    times: tuple[time, ...] = ()
    products: tuple[str, ...] = ()
    confirmed_scored: tuple[str, ...] = ()
    overrides: tuple[Override, ...] = ()
    timezone: str = "UTC"


def find_override(overrides: Iterable[Override], code: str) -> Override | None:
    return next((o for o in overrides if o.code == code), None)


def check_unit(quantity: Quantity, rules: DrugRules, what: str) -> Quantity:
    unit = Unit(rules.dose_unit)
    if not quantity.unit.is_mass:
        raise InvalidInput(f"{what} {quantity} is not a mass")
    if quantity.unit is not unit:
        raise InvalidInput(
            f"{what} {quantity} is in {quantity.unit.value}, but {rules.name} ({rules.route}) is dosed in {unit.value}",
            hint=f"write the {what} in {unit.value}",
        )
    return quantity


def floor_to(amount: Fraction, grid: Fraction) -> Fraction:
    return math.floor(amount / grid) * grid


def ceil_to(amount: Fraction, grid: Fraction) -> Fraction:
    return math.ceil(amount / grid) * grid


@dataclass(frozen=True)
class Maker:
    """Which per-dose amounts the chosen products can make."""

    rules: DrugRules
    products: tuple[str, ...]
    confirmed: tuple[str, ...]
    grid: Fraction
    unit: Unit

    def makes(self, amount: Fraction) -> bool:
        return amount > 0 and can_make(Quantity(amount, self.unit), self.rules, self.products, self.confirmed)

    def largest_at_most(self, amount: Fraction) -> Fraction | None:
        candidate = floor_to(amount, self.grid)
        while candidate > 0:
            if self.makes(candidate):
                return candidate
            candidate -= self.grid
        return None

    def smallest_at_least(self, amount: Fraction, below: Fraction) -> Fraction | None:
        candidate = max(ceil_to(amount, self.grid), self.grid)
        while candidate < below:
            if self.makes(candidate):
                return candidate
            candidate += self.grid
        return None


def make_maker(rules: DrugRules, products: tuple[str, ...], confirmed: tuple[str, ...]) -> Maker:
    choose_products(rules, products)  # validates the product ids
    grid = makeable_grid(rules, products, confirmed).amount
    return Maker(rules, products, confirmed, grid, Unit(rules.dose_unit))


def clock_times(times_per_day: int, chosen: Sequence[time]) -> tuple[time, ...]:
    if chosen and len(chosen) == times_per_day:
        return tuple(chosen)
    return default_times(times_per_day)


def merge_steps(raw: list[tuple[Fraction, int, int]]) -> list[tuple[Fraction, int, int]]:
    """Join neighbouring steps with the same dose and frequency."""
    merged: list[tuple[Fraction, int, int]] = []
    for dose, per_day, days in raw:
        if merged and merged[-1][0] == dose and merged[-1][1] == per_day:
            merged[-1] = (dose, per_day, merged[-1][2] + days)
        else:
            merged.append((dose, per_day, days))
    return merged


def to_steps(
    raw: list[tuple[Fraction, int, int]], start: date, unit: Unit, chosen_times: Sequence[time]
) -> tuple[Step, ...]:
    steps: list[Step] = []
    day = start
    for dose, per_day, days in raw:
        step = Step(day, days, Quantity(dose, unit), clock_times(per_day, chosen_times) if dose > 0 else ())
        steps.append(step)
        day = step.end
    return tuple(steps)


def refuse_avoid(assessment: Assessment, overrides: tuple[Override, ...]) -> None:
    missing = [code for code in assessment.avoid_codes if not find_override(overrides, code)]
    if missing:
        reasons = "; ".join(
            [
                f"{i.first.ingredient.name if i.first.ingredient else i.first.query} with {i.second.query}: "
                f"{i.rule.effect} {i.rule.action}"
                for i in assessment.contraindications
            ]
            + [f.message for f in assessment.findings if f.severity.rank >= Severity.MAJOR.rank]
        )
        raise PlanRefused(
            f"the sources recommend avoiding this drug for this patient: {reasons}",
            hint="a clinician may override with " + " ".join(f"--override {code}:REASON" for code in missing),
            overrides=tuple(missing),
        )


def refuse_unmakeable(
    rules: DrugRules,
    maker: Maker,
    message: str,
    makes_with: Callable[[tuple[str, ...], tuple[str, ...]], bool],
) -> UnmakeableDose:
    """The refusal for a prescribed amount the chosen products cannot make exactly: the other products
    that can (liquids included), and the tablets whose halves would, once a pharmacist confirms the score."""
    chosen = choose_products(rules, maker.products)
    chosen_ids = {p.id for p in chosen}
    alternatives = tuple(
        p.label for p in rules.products if p.id not in chosen_ids and makes_with((p.id,), maker.confirmed)
    )
    halvable = tuple(
        p.id
        for p in rules.products
        if p.scored is Scored.VARIES and p.id not in maker.confirmed and makes_with((p.id,), (p.id,))
    )
    hints = []
    if alternatives:
        hints.append("these can make it: " + "; ".join(alternatives) + " (choose them with --products)")
    if halvable:
        hints.append(
            "halves of " + ", ".join(halvable) + " make it once a pharmacist confirms the score line "
            "(--scored-confirmed)"
        )
    return UnmakeableDose(
        f"{message} from {', '.join(p.label for p in chosen)}",
        alternatives=alternatives,
        hint="; ".join(hints) or "no product makes it exactly; choose another amount",
    )
