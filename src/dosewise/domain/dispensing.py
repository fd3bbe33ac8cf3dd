"""Tablet and liquid arithmetic: what to take for a dose, and what to dispense for a whole plan.

Tablets are taken whole; halves only of products whose score is confirmed (scored "yes", or "varies" once
a pharmacist confirms the product in hand). Liquids are measured in the product's increment. A dose that
nothing can make is refused with the products that could make it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from dosewise.domain.errors import InvalidInput, KnowledgeError, UnmakeableDose
from dosewise.domain.quantity import Quantity, Unit, format_amount, times_per_day_words
from dosewise.domain.regimen import Administration
from dosewise.domain.rules import DrugRules, Product, Scored

__all__ = [
    "DispenseLine",
    "TakeInstruction",
    "TakePart",
    "can_make",
    "choose_products",
    "dispense_totals",
    "makeable_grid",
    "pieces_words",
    "take_for_dose",
]

_HALF = Fraction(1, 2)
# dosewise policy, not clinical data: more than eight pieces for one dose is never a sensible instruction.
_MAX_PIECES = 8


@dataclass(frozen=True)
class TakePart:
    product: Product
    count: Fraction | None = None  # tablets or packets (may be 1/2 for scored tablets)
    volume: Quantity | None = None  # liquids

    @property
    def amount(self) -> Quantity:
        if self.volume is not None:
            assert self.product.concentration is not None
            return self.product.concentration.dose_in(self.volume)
        assert self.product.strength is not None and self.count is not None
        return self.product.strength * self.count

    def describe(self) -> str:
        """Plain words: "1 tablet of 5 mg", "half a tablet of 10 mg", "7.5 mL of the 5 mg/5 mL oral solution"."""
        if self.volume is not None:
            form = self.product.form.replace("_", " ")
            return f"{self.volume} of the {self.product.concentration} {form}"
        assert self.count is not None
        return f"{pieces_words(self.count, self.product.unit_word)} of {self.product.strength}"

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"product": self.product.id, "label": self.product.label}
        if self.volume is not None:
            data["volume"] = self.volume.to_json()
        else:
            assert self.count is not None
            data["count"] = format_amount(self.count)
        data["amount"] = self.amount.to_json()
        return data


@dataclass(frozen=True)
class TakeInstruction:
    dose: Quantity
    parts: tuple[TakePart, ...]

    def describe(self, times_per_day: int | None = None) -> str:
        text = " and ".join(part.describe() for part in self.parts)
        return f"{text} {times_per_day_words(times_per_day)}" if times_per_day else text


@dataclass(frozen=True)
class DispenseLine:
    product: Product
    count: int | None = None  # whole tablets or packets to dispense
    volume: Quantity | None = None
    packs: int | None = None

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"product": self.product.id, "label": self.product.label}
        if self.count is not None:
            data["count"] = self.count
        if self.volume is not None:
            data["volume"] = self.volume.to_json()
        if self.packs is not None:
            data["packs"] = self.packs
        return data


def pieces_words(count: Fraction, unit_word: str) -> str:
    """Plain words: "1 tablet", "half a tablet", "1 and a half tablets", "2 tablets"."""
    whole, rest = divmod(count, 1)
    if count == _HALF:
        return f"half a {unit_word}"
    if rest == 0:
        return f"{int(whole)} {unit_word}{'' if whole == 1 else 's'}"
    if rest == _HALF:
        return f"{int(whole)} and a half {unit_word}s"
    return f"{format_amount(count)} {unit_word}s"


def choose_products(
    rules: DrugRules, product_ids: Iterable[str] = (), *, include_liquids: bool = False
) -> tuple[Product, ...]:
    """The named products, or the drug's default products (its common tablet strengths)."""
    ids = tuple(product_ids)
    if ids:
        known = {p.id for p in rules.products}
        unknown = [product_id for product_id in ids if product_id not in known]
        if unknown:
            raise InvalidInput(
                f"unknown product '{unknown[0][:60]}' for {rules.name}",
                hint="choose from: " + ", ".join(sorted(known)),
            )
        return tuple(rules.product(product_id) for product_id in ids)
    return tuple(p for p in rules.products if p.default or (include_liquids and p.is_liquid))


def _halvable(product: Product, confirmed_scored: frozenset[str]) -> bool:
    return product.scored is Scored.YES or (
        product.scored is Scored.VARIES and product.id in confirmed_scored
    )


def _best_solid(
    dose: Quantity, solids: tuple[Product, ...], confirmed_scored: frozenset[str]
) -> tuple[TakePart, ...] | None:
    """The simplest way to make ``dose`` from whole (and, where allowed, half) tablets, or None.

    The counts are searched depth first in the order a cartesian product of each product's counts
    (0, one unit, two units, ...) would list them, cutting a branch as soon as it holds more than the dose
    or more than ``_MAX_PIECES`` pieces (counts only grow along a branch, so nothing below it could
    qualify). The first combination with the lowest ``_score`` wins, exactly as ``min`` over the whole
    product would choose; only the branches that cannot qualify are skipped. (The whole product was
    17^5 combinations for five products and a large dose: seconds per dose.)
    """
    target = dose.amount
    amounts: list[Fraction] = []
    units: list[Fraction] = []
    tops: list[int] = []
    for solid in solids:
        assert solid.strength is not None
        amount = solid.strength.to(dose.unit).amount
        unit = _HALF if _halvable(solid, confirmed_scored) else Fraction(1)
        amounts.append(amount)
        units.append(unit)
        tops.append(min(math.floor(target / amount / unit), _MAX_PIECES * 2))
    last = len(solids) - 1
    counts: list[Fraction] = [Fraction(0)] * len(solids)
    best: tuple[TakePart, ...] | None = None
    best_score: tuple[int, int, int] | None = None

    def search(index: int, total: Fraction, pieces: int) -> None:
        nonlocal best, best_score
        unit, amount = units[index], amounts[index]
        for k in range(tops[index] + 1):
            count = unit * k
            subtotal = total + count * amount
            held = pieces + math.ceil(count)
            if subtotal > target or held > _MAX_PIECES:
                return  # larger counts of this product only add more
            counts[index] = count
            if index < last:
                search(index + 1, subtotal, held)
            elif subtotal == target:
                parts = tuple(TakePart(s, count=c) for c, s in zip(counts, solids, strict=True) if c)
                score = _score(parts)
                if parts and (best_score is None or score < best_score):
                    best, best_score = parts, score
        counts[index] = Fraction(0)

    search(0, Fraction(0), 0)
    return best


def _liquid_part(dose: Quantity, liquid: Product) -> TakePart | None:
    assert liquid.concentration is not None
    if dose.unit.is_mass != liquid.concentration.mass.unit.is_mass:
        return None
    volume = liquid.concentration.volume_for(dose)
    increment = _increment(liquid)
    if volume.amount <= 0 or (volume.amount / increment.amount).denominator != 1:
        return None
    return TakePart(liquid, volume=volume)


def _increment(liquid: Product) -> Quantity:
    """The volume step a liquid is measured in; the knowledge base requires one for every liquid."""
    if liquid.measure_increment is None:
        raise KnowledgeError(f"{liquid.label} has no measuring increment")
    return liquid.measure_increment


def _score(parts: tuple[TakePart, ...]) -> tuple[int, int, int]:
    pieces = sum(math.ceil(p.count or 0) for p in parts)
    halves = sum(1 for p in parts if p.count is not None and p.count.denominator != 1)
    return (pieces, halves, len(parts))


def _try_make(
    dose: Quantity, products: tuple[Product, ...], confirmed: frozenset[str]
) -> TakeInstruction | None:
    solids = tuple(
        p for p in products if p.strength is not None and p.strength.unit.is_mass == dose.unit.is_mass
    )
    best = _best_solid(dose, solids, confirmed) if solids else None
    if best is not None:
        return TakeInstruction(dose, best)
    for liquid in (p for p in products if p.is_liquid):
        part = _liquid_part(dose, liquid)
        if part is not None:
            return TakeInstruction(dose, (part,))
    return None


def take_for_dose(
    dose: Quantity,
    rules: DrugRules,
    product_ids: Iterable[str] = (),
    *,
    confirmed_scored: Iterable[str] = (),
) -> TakeInstruction:
    """The simplest way to make ``dose`` from the products: fewest pieces, then fewest halves."""
    products = choose_products(rules, product_ids)
    confirmed = frozenset(confirmed_scored)
    if dose.amount <= 0:
        raise UnmakeableDose(f"{dose} is not a dose")
    take = _try_make(dose, products, confirmed)
    if take is not None:
        return take
    alternatives = tuple(
        p.label for p in rules.products if p not in products and _try_make(dose, (p,), confirmed) is not None
    )
    raise UnmakeableDose(
        f"{dose} cannot be made from {', '.join(p.label for p in products) or 'no products'}",
        alternatives=alternatives,
        hint=("these can make it: " + "; ".join(alternatives)) if alternatives else "choose a different dose",
    )


def can_make(
    dose: Quantity, rules: DrugRules, product_ids: Iterable[str] = (), confirmed_scored: Iterable[str] = ()
) -> bool:
    if dose.amount <= 0:
        return False
    return _try_make(dose, choose_products(rules, product_ids), frozenset(confirmed_scored)) is not None


def makeable_grid(
    rules: DrugRules, product_ids: Iterable[str] = (), confirmed_scored: Iterable[str] = ()
) -> Quantity:
    """The smallest dose step the products can make (e.g. 5 mg for whole 5 mg tablets)."""
    products = choose_products(rules, product_ids)
    confirmed = frozenset(confirmed_scored)
    unit_amounts: list[Fraction] = []
    for p in products:
        if p.strength is not None:
            unit_amounts.append(p.strength.amount * (_HALF if _halvable(p, confirmed) else 1))
        elif p.concentration is not None:
            increment = _increment(p)
            unit_amounts.append(p.concentration.dose_in(increment).amount)
    if not unit_amounts:
        raise UnmakeableDose(f"no products chosen for {rules.name}")
    grid = unit_amounts[0]
    for amount in unit_amounts[1:]:
        grid = _fraction_gcd(grid, amount)
    return Quantity(grid, Unit(rules.dose_unit))


def _fraction_gcd(a: Fraction, b: Fraction) -> Fraction:
    denominator = a.denominator * b.denominator // math.gcd(a.denominator, b.denominator)
    return Fraction(math.gcd(int(a * denominator), int(b * denominator)), denominator)


def dispense_totals(
    administrations: Iterable[Administration],
    rules: DrugRules,
    product_ids: Iterable[str] = (),
    *,
    confirmed_scored: Iterable[str] = (),
) -> tuple[DispenseLine, ...]:
    """Whole units of each product for every administration (halves pair up; a leftover half rounds up)."""
    ids = tuple(product_ids)
    confirmed = tuple(confirmed_scored)
    counts: dict[str, Fraction] = {}
    volumes: dict[str, Fraction] = {}
    cache: dict[Quantity, TakeInstruction] = {}
    for administration in administrations:
        take = cache.get(administration.dose)
        if take is None:
            take = take_for_dose(administration.dose, rules, ids, confirmed_scored=confirmed)
            cache[administration.dose] = take
        for part in take.parts:
            if part.volume is not None:
                volumes[part.product.id] = volumes.get(part.product.id, Fraction(0)) + part.volume.amount
            elif part.count is not None:
                counts[part.product.id] = counts.get(part.product.id, Fraction(0)) + part.count
    lines = [
        DispenseLine(rules.product(pid), count=math.ceil(total)) for pid, total in sorted(counts.items())
    ]
    for pid, total in sorted(volumes.items()):
        pack = rules.product(pid).pack
        packs = math.ceil(total / pack.amount) if pack is not None else None
        lines.append(DispenseLine(rules.product(pid), volume=Quantity(total, Unit.ML), packs=packs))
    return tuple(lines)
