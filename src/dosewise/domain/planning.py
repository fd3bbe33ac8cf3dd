"""Titration and taper planners. Pure: every date and option arrives as a parameter.

Both planners work on daily totals, then realise each total as a dose that the chosen products can make
at a number of doses a day. Titrations round down (never above the asked-for amount or the ceiling);
tapers round up (a reduction is never bigger than asked for) and never rise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time
from fractions import Fraction

from dosewise.domain.assessment import (
    OVERRIDE_BEERS_AVOID,
    OVERRIDE_BELOW_LABEL_AGE,
    OVERRIDE_RENAL_AVOID,
    Assessment,
    assess,
    format_amount_fraction,
)
from dosewise.domain.dispensing import can_make, choose_products, makeable_grid
from dosewise.domain.errors import InvalidInput, PlanRefused, UnmakeableDose
from dosewise.domain.patient import Patient
from dosewise.domain.quantity import Quantity, Unit
from dosewise.domain.regimen import Override, Plan, PriorRegimen, Step, default_times
from dosewise.domain.rules import DrugRules

__all__ = [
    "OVERRIDE_ABOVE_LABEL_MAX",
    "OVERRIDE_ABOVE_RENAL_CEILING",
    "OVERRIDE_CODES",
    "OVERRIDE_FASTER_ESCALATION",
    "OVERRIDE_RAPID_WITHDRAWAL",
    "TaperOptions",
    "TitrationOptions",
    "plan_taper",
    "plan_titration",
    "validate_overrides",
]

OVERRIDE_ABOVE_LABEL_MAX = "above_label_max"
OVERRIDE_ABOVE_RENAL_CEILING = "above_renal_ceiling"
OVERRIDE_RAPID_WITHDRAWAL = "rapid_withdrawal"
OVERRIDE_FASTER_ESCALATION = "faster_escalation"

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


def _override(overrides: Iterable[Override], code: str) -> Override | None:
    return next((o for o in overrides if o.code == code), None)


def _check_unit(quantity: Quantity, rules: DrugRules, what: str) -> Quantity:
    unit = Unit(rules.dose_unit)
    if not quantity.unit.is_mass:
        raise InvalidInput(f"{what} {quantity} is not a mass")
    if quantity.unit is not unit:
        raise InvalidInput(
            f"{what} {quantity} is in {quantity.unit.value}, but {rules.name} ({rules.route}) is dosed in {unit.value}",
            hint=f"write the {what} in {unit.value}",
        )
    return quantity


def _amount_text(amount: Fraction, unit: Unit) -> str:
    """A limit in a refusal may be a repeating decimal (a dose scaled by a third): shown to one decimal
    rather than failing to format; never used as a dose."""
    try:
        return str(Quantity(amount, unit))
    except InvalidInput:
        return f"{float(amount):.1f} {unit.value}"


def _floor_to(amount: Fraction, grid: Fraction) -> Fraction:
    return math.floor(amount / grid) * grid


def _ceil_to(amount: Fraction, grid: Fraction) -> Fraction:
    return math.ceil(amount / grid) * grid


@dataclass(frozen=True)
class _Maker:
    """Which per-dose amounts the chosen products can make."""

    rules: DrugRules
    products: tuple[str, ...]
    confirmed: tuple[str, ...]
    grid: Fraction
    unit: Unit

    def makes(self, amount: Fraction) -> bool:
        return amount > 0 and can_make(Quantity(amount, self.unit), self.rules, self.products, self.confirmed)

    def largest_at_most(self, amount: Fraction) -> Fraction | None:
        candidate = _floor_to(amount, self.grid)
        while candidate > 0:
            if self.makes(candidate):
                return candidate
            candidate -= self.grid
        return None

    def smallest_at_least(self, amount: Fraction, below: Fraction) -> Fraction | None:
        candidate = max(_ceil_to(amount, self.grid), self.grid)
        while candidate < below:
            if self.makes(candidate):
                return candidate
            candidate += self.grid
        return None


def _maker(rules: DrugRules, products: tuple[str, ...], confirmed: tuple[str, ...]) -> _Maker:
    choose_products(rules, products)  # validates the product ids
    grid = makeable_grid(rules, products, confirmed).amount
    return _Maker(rules, products, confirmed, grid, Unit(rules.dose_unit))


def _times(times_per_day: int, chosen: Sequence[time]) -> tuple[time, ...]:
    if chosen and len(chosen) == times_per_day:
        return tuple(chosen)
    return default_times(times_per_day)


def _merge(raw: list[tuple[Fraction, int, int]]) -> list[tuple[Fraction, int, int]]:
    """Join neighbouring steps with the same dose and frequency."""
    merged: list[tuple[Fraction, int, int]] = []
    for dose, per_day, days in raw:
        if merged and merged[-1][0] == dose and merged[-1][1] == per_day:
            merged[-1] = (dose, per_day, merged[-1][2] + days)
        else:
            merged.append((dose, per_day, days))
    return merged


def _to_steps(
    raw: list[tuple[Fraction, int, int]], start: date, unit: Unit, chosen_times: Sequence[time]
) -> tuple[Step, ...]:
    steps: list[Step] = []
    day = start
    for dose, per_day, days in raw:
        step = Step(day, days, Quantity(dose, unit), _times(per_day, chosen_times) if dose > 0 else ())
        steps.append(step)
        day = step.end
    return tuple(steps)


def _titration_targets(
    rules: DrugRules, options: TitrationOptions, multiplier: Fraction
) -> list[tuple[Fraction, int]]:
    """Daily targets, scaled by the kidney multiplier, with the days each lasts, up to the goal.

    The label ladder keeps the label's daily totals whatever the chosen frequency (so four doses a day never
    starts higher than the label); a clinician's start dose is per dose at the chosen frequency. The goal is
    the clinician's target as written, or the label's last step scaled by the multiplier.
    """
    assert rules.titration is not None
    label = rules.titration
    per_day = options.times_per_day or label.times_per_day
    interval = options.interval_days or label.min_interval_days
    label_targets = [(dose.amount * label.times_per_day * multiplier, days) for dose, days in label.steps]
    custom = (
        options.start_dose is not None or options.increment is not None or options.interval_days is not None
    )
    if custom:
        first = (
            options.start_dose.amount * per_day if options.start_dose else label_targets[0][0] / multiplier
        )
        targets = [(first * multiplier, interval)]
    else:
        targets = label_targets
    goal = options.target_daily.amount if options.target_daily else label_targets[-1][0]
    increment = (options.increment or label.increment_per_dose).amount * per_day * multiplier
    capped = [(min(amount, goal), days) for amount, days in targets]
    amount = capped[-1][0]
    while amount < goal:
        amount = min(amount + increment, goal)
        capped.append((amount, interval))
    return capped


def _realise_titration_step(
    daily: Fraction, per_day: int, maker: _Maker, max_single: Fraction, max_per_day: int, fewer_cap: Fraction
) -> tuple[Fraction, int] | None:
    """The largest makeable dose at the preferred frequency that keeps within ``daily``. More doses a day
    (up to the label maximum) only when the maximum single dose caps the preferred frequency; fewer only
    when the preferred frequency cannot make any dose at all, and then never a single dose above
    ``fewer_cap`` (5 mg once a day for a kidney-scaled start is fine; 20 mg once a day for "5 mg four
    times a day" is not)."""
    dose = maker.largest_at_most(min(daily / per_day, max_single))
    if dose is not None:
        best = (dose, per_day)
        if daily / per_day > max_single:
            for count in range(per_day + 1, max_per_day + 1):
                more = maker.largest_at_most(min(daily / count, max_single))
                if more is not None and more >= best[0] and more * count > best[0] * best[1]:
                    best = (more, count)
        return best
    for count in range(per_day - 1, 0, -1):
        fewer = maker.largest_at_most(min(daily / count, max_single, fewer_cap))
        if fewer is not None:
            return fewer, count
    return None


def plan_titration(
    rules: DrugRules, options: TitrationOptions, patient: Patient | None, kb_version: str
) -> Plan:
    """The label schedule (or the clinician's start, step, interval and target), adjusted for kidney
    function and age, ending at the target or the ceiling, whichever is lower."""
    if rules.titration is None or rules.limits is None:
        raise PlanRefused(f"no titration rules for {rules.name}")
    limits = rules.limits
    validate_overrides(options.overrides)
    for what, value in (
        ("start dose", options.start_dose),
        ("increment", options.increment),
        ("target", options.target_daily),
    ):
        if value is not None:
            _check_unit(value, rules, what)
            if value.amount <= 0:
                raise InvalidInput(f"the {what} must be above zero")
    if options.interval_days is not None and options.interval_days < 1:
        raise InvalidInput("the interval is at least one day")
    per_day = options.times_per_day or rules.titration.times_per_day
    if not 1 <= per_day <= limits.max_times_per_day:
        raise PlanRefused(
            f"{per_day} doses a day is outside the label (at most {limits.max_times_per_day})",
        )
    if options.times and len(options.times) != per_day:
        raise InvalidInput(f"{len(options.times)} clock times given for {per_day} doses a day")

    assessment = assess(rules, patient, kb_version)
    _refuse_avoid(assessment, options.overrides)
    ceiling = assessment.ceiling
    label_max = limits.max_daily
    notes: list[str] = list(assessment.explanations)
    if options.target_daily is not None:
        if options.target_daily > label_max and not _override(options.overrides, OVERRIDE_ABOVE_LABEL_MAX):
            raise PlanRefused(
                f"target {options.target_daily} a day is above the labelled maximum of {label_max} a day",
                hint=f"a clinician may override with --override {OVERRIDE_ABOVE_LABEL_MAX}:REASON",
            )
        if (
            options.target_daily > ceiling
            and options.target_daily <= label_max
            and not _override(options.overrides, OVERRIDE_ABOVE_RENAL_CEILING)
        ):
            raise PlanRefused(
                f"target {options.target_daily} a day is above this patient's kidney-adjusted ceiling",
                hint=f"{'; '.join(assessment.explanations)}; a clinician may override with "
                f"--override {OVERRIDE_ABOVE_RENAL_CEILING}:REASON",
            )
        if options.target_daily > ceiling:
            ceiling = options.target_daily
    if options.start_dose is not None and options.start_dose > limits.max_single_dose:
        raise PlanRefused(f"start dose {options.start_dose} is above the labelled maximum single dose")
    label_pace = rules.titration
    faster: list[str] = []
    if options.interval_days is not None and options.interval_days < label_pace.min_interval_days:
        faster.append(
            f"an increase every {options.interval_days} day(s) (the label waits {label_pace.min_interval_days})"
        )
    if options.increment is not None and options.increment > label_pace.increment_per_dose:
        faster.append(
            f"steps of {options.increment} a dose (the label raises by {label_pace.increment_per_dose})"
        )
    if faster and not _override(options.overrides, OVERRIDE_FASTER_ESCALATION):
        raise PlanRefused(
            f"{' and '.join(faster)} is faster than the label allows",
            hint=f"a clinician may override with --override {OVERRIDE_FASTER_ESCALATION}:REASON",
        )

    multiplier = assessment.multiplier
    targets = _titration_targets(rules, options, multiplier)
    maker = _maker(rules, options.products, options.confirmed_scored)
    label = rules.titration
    # A clinician's larger increment is honoured only under a recorded faster_escalation override;
    # otherwise every rise stays within what check_escalation accepts.
    overridden_pace = _override(options.overrides, OVERRIDE_FASTER_ESCALATION) is not None
    custom_rise = options.increment.amount * per_day if options.increment and overridden_pace else Fraction(0)
    first_label_dose = label.steps[0][0].amount

    def allowed_rise(count: int) -> Fraction:
        # As check_escalation judges it: the label's increment a dose at this (or the label's) frequency,
        # or the clinician's own increment if larger.
        return max(label.increment_per_dose.amount * max(count, label.times_per_day), custom_rise)

    def realise(bounded: Fraction) -> tuple[Fraction, int]:
        intended = bounded / per_day
        realised = _realise_titration_step(
            bounded,
            per_day,
            maker,
            limits.max_single_dose.amount,
            limits.max_times_per_day,
            max(intended, first_label_dose),
        )
        if realised is None:
            wanted = Quantity(intended, maker.unit)
            chosen = {p.id for p in choose_products(rules, maker.products)}
            alternatives = tuple(
                p.label for p in rules.products if p.id not in chosen and can_make(wanted, rules, (p.id,))
            )
            raise UnmakeableDose(
                f"no dose the chosen products can make fits {_amount_text(bounded, maker.unit)} a day "
                f"at {per_day} doses a day",
                alternatives=alternatives,
                hint=("these can make it: " + "; ".join(alternatives))
                if alternatives
                else "choose products with a smaller strength (a liquid, or scored tablets)",
            )
        return realised

    # Each target is rounded down to a makeable dose on its own, so a rounded-down step followed by an exact
    # one could rise faster than the label allows (10 -> 30 mg a day at two doses a day). Every rise is kept
    # within the allowed rise, and steps are added after the ladder until the goal is reached or no further
    # rise is makeable.
    goal = min(targets[-1][0], ceiling.amount)
    schedule = list(targets)
    raw: list[tuple[Fraction, int, int]] = []
    index = 0
    while index < len(schedule):
        daily, days = schedule[index]
        extension = index >= len(targets)
        index += 1
        bounded = min(daily, ceiling.amount)
        previous = raw[-1][0] * raw[-1][1] if raw else None
        if previous is None:
            dose, count = realise(bounded)
        else:
            dose, count = realise(min(bounded, previous + allowed_rise(limits.max_times_per_day)))
            if dose * count - previous > allowed_rise(count):
                dose, count = realise(min(bounded, previous + allowed_rise(label.times_per_day)))
            if dose * count <= previous:
                if extension:
                    notes.append(
                        f"stops at {Quantity(previous, maker.unit)} a day, below "
                        f"{_amount_text(goal, maker.unit)} a day: the chosen products make no higher dose "
                        "within the label's step at this number of doses a day"
                    )
                    break
                dose, count = raw[-1][0], raw[-1][1]
        raw.append((dose, count, days))
        if index == len(schedule) and dose * count < goal:
            schedule.append((goal, options.interval_days or label.min_interval_days))
    steps = _to_steps(_merge(raw), options.start, maker.unit, options.times)
    if multiplier != 1:
        notes.append(
            f"every step scaled by {format_amount_fraction(multiplier)} and rounded down to a makeable dose"
        )
    if assessment.avoid_codes:
        notes.append(
            "OVERRIDDEN: "
            + "; ".join(
                f"{o.code} ({o.reason})" for o in options.overrides if o.code in assessment.avoid_codes
            )
        )
    return Plan(
        drug=rules.id,
        route=rules.route,
        steps=steps,
        kb_version=kb_version,
        timezone=options.timezone,
        kind="titration",
        then="continue",
        products=tuple(p.id for p in choose_products(rules, options.products)),
        confirmed_scored=options.confirmed_scored,
        overrides=options.overrides,
        notes=tuple(notes),
    )


def _refuse_avoid(assessment: Assessment, overrides: tuple[Override, ...]) -> None:
    missing = [code for code in assessment.avoid_codes if not _override(overrides, code)]
    if missing:
        reasons = "; ".join(f.message for f in assessment.findings if f.severity.rank >= 3)
        raise PlanRefused(
            f"the sources recommend avoiding this drug for this patient: {reasons}",
            hint="a clinician may override with " + " ".join(f"--override {code}:REASON" for code in missing),
        )


def _taper_dailies(rules: DrugRules, options: TaperOptions, maker: _Maker) -> list[tuple[Fraction, int]]:
    """Successive (dose, doses a day) below the current dose down to the target (0 means stop)."""
    assert rules.taper is not None and rules.limits is not None
    taper = rules.taper
    current_dose = options.current_dose.amount
    per_day = options.current_times_per_day
    current = current_dose * per_day
    target = options.target_daily.amount if options.target_daily else Fraction(0)
    step = (options.step_daily or taper.step_daily).amount
    floor_fraction = 1 - taper.max_single_reduction
    sequence: list[tuple[Fraction, int]] = []
    while current > target:
        if target == 0 and current <= taper.final_max_daily.amount:
            sequence.append((Fraction(0), 0))
            break
        wanted = current * (1 - options.percent / 100) if options.percent is not None else current - step
        wanted = max(wanted, current * floor_fraction, target)
        choice = _realise_taper_step(wanted, current, current_dose, per_day, maker)
        if choice is None:
            if target > 0:
                raise PlanRefused(
                    f"no makeable dose lies between {_amount_text(target, maker.unit)} and "
                    f"{_amount_text(current, maker.unit)} a day"
                )
            raise PlanRefused(
                f"cannot step down from {_amount_text(current, maker.unit)} a day with the chosen products",
                hint="choose products with a smaller strength",
            )
        current_dose, per_day = choice
        current = current_dose * per_day
        sequence.append(choice)
    return sequence


def _realise_taper_step(
    wanted: Fraction, current: Fraction, current_dose: Fraction, per_day: int, maker: _Maker
) -> tuple[Fraction, int] | None:
    """The smallest makeable daily amount at or above ``wanted`` and below ``current``, keeping the current
    number of doses a day when it can (fewer only when it cannot) and never a single dose above the current
    one; failing that, the largest amount below ``current`` that keeps at least half of it."""
    for count in range(per_day, 0, -1):
        dose = maker.smallest_at_least(wanted / count, current / count)
        if dose is not None and dose <= current_dose and dose * count < current:
            return dose, count
    for count in range(per_day, 0, -1):
        dose = maker.largest_at_most(min(current_dose, (current - maker.grid) / count))
        if dose is not None and dose * count < current and dose * count * 2 >= current:
            return dose, count
    return None


def plan_taper(rules: DrugRules, options: TaperOptions, patient: Patient | None, kb_version: str) -> Plan:
    """From the current regimen down to the target (zero: a stop), never rising, only makeable doses, at
    least the minimum duration unless a clinician records a rapid withdrawal."""
    if rules.taper is None or rules.limits is None:
        raise PlanRefused(f"no taper rules for {rules.name}")
    taper = rules.taper
    validate_overrides(options.overrides)
    _check_unit(options.current_dose, rules, "current dose")
    if options.current_dose.amount <= 0:
        raise InvalidInput("the current dose must be above zero")
    if not 1 <= options.current_times_per_day <= 6:
        raise InvalidInput("the current regimen has 1 to 6 doses a day")
    if options.target_daily is not None:
        _check_unit(options.target_daily, rules, "target")
        if options.target_daily >= options.current_dose * options.current_times_per_day:
            raise InvalidInput("a taper's target must be below the current daily dose")
    if options.step_daily is not None:
        _check_unit(options.step_daily, rules, "step")
        if options.step_daily.amount <= 0:
            raise InvalidInput("the step must be above zero")
    if options.percent is not None and not 0 < options.percent < 100:
        raise InvalidInput("the percentage is between 0 and 100")
    if options.step_days is not None and options.step_days < 1:
        raise InvalidInput("a step lasts at least one day")
    if options.weeks is not None and options.weeks < 1:
        raise InvalidInput("a taper lasts at least one week")
    rapid = _override(options.overrides, OVERRIDE_RAPID_WITHDRAWAL)

    maker = _maker(rules, options.products, options.confirmed_scored)
    if options.target_daily is not None and options.target_daily.amount > 0:
        target_amount = options.target_daily.amount
        if not any(maker.makes(target_amount / n) for n in range(1, options.current_times_per_day + 1)):
            raise PlanRefused(
                f"the target {options.target_daily} a day cannot be made with the chosen products"
            )
    sequence = _taper_dailies(rules, options, maker)
    reductions = [entry for entry in sequence if entry[0] > 0]
    stop = bool(sequence) and sequence[-1][0] == 0
    count = max(len(reductions), 1)
    if options.weeks is not None:
        total = options.weeks * 7
        base, extra = divmod(total, count)
        if base < 1:
            raise PlanRefused(f"{len(reductions)} steps do not fit in {options.weeks} weeks")
        lengths = [base + (1 if i >= count - extra else 0) for i in range(count)]
    else:
        step_days = options.step_days or taper.step_days
        lengths = [step_days] * count
    # A plan document does not record the regimen before it, so a checker sees a stopping taper begin at
    # the first fall inside the plan: the steps after the first one must reach the minimum by themselves.
    # The plan records the regimen it starts from (``prior``), so the checker counts the first reduction
    # and the minimum duration runs from the first day of the plan.
    if sum(lengths) < taper.min_days and not rapid:
        stretched = math.ceil(taper.min_days / len(lengths))
        lengths = [max(length, stretched) for length in lengths]
    if not reductions:
        raise PlanRefused("the current dose is already at or below the final step; nothing to taper")
    raw = [(dose, per_day, days) for (dose, per_day), days in zip(reductions, lengths, strict=True)]
    steps = _to_steps(raw, options.start, maker.unit, options.times)
    notes = [taper.clinician_text]
    if options.times and any(s.times_per_day != len(options.times) for s in steps if not s.dose.is_zero):
        notes.append(
            f"the {len(options.times)} clock times given fit only steps with {len(options.times)} doses a day; "
            "other steps use the default times"
        )
    if options.percent is not None:
        asked = 1 - options.percent / 100
        larger = [
            index + 1
            for index, (before, after) in enumerate(
                zip(
                    [options.current_dose * options.current_times_per_day] + [s.daily for s in steps[:-1]],
                    steps,
                    strict=True,
                )
            )
            if after.daily.amount < before.amount * asked
        ]
        if larger:
            notes.append(
                f"step(s) {', '.join(map(str, larger))} cut more than {options.percent}% because no makeable "
                "dose lies in between (never more than half)"
            )
    if rapid:
        notes.append(f"OVERRIDDEN: rapid withdrawal ({rapid.reason})")
    return Plan(
        drug=rules.id,
        route=rules.route,
        steps=steps,
        kb_version=kb_version,
        timezone=options.timezone,
        kind="taper",
        then="stop" if stop else "continue",
        products=tuple(p.id for p in choose_products(rules, options.products)),
        confirmed_scored=options.confirmed_scored,
        prior=PriorRegimen(options.current_dose, options.current_times_per_day),
        overrides=options.overrides,
        notes=tuple(notes),
    )
