"""The taper planner: from the current regimen down to a target or a stop, never rising, only makeable
doses, at least the minimum duration unless a clinician records a rapid withdrawal."""

from __future__ import annotations

import math
from fractions import Fraction

from dosewise.domain.assessment import CoMedicationScreen
from dosewise.domain.dispensing import can_make, choose_products
from dosewise.domain.errors import InvalidInput, PlanRefused
from dosewise.domain.patient import Patient
from dosewise.domain.planning.common import (
    OVERRIDE_RAPID_WITHDRAWAL,
    Maker,
    TaperOptions,
    check_unit,
    find_override,
    make_maker,
    refuse_unmakeable,
    to_steps,
    validate_overrides,
)
from dosewise.domain.quantity import Quantity, format_limit
from dosewise.domain.regimen import Plan, PriorRegimen
from dosewise.domain.rules import DrugRules

__all__ = [
    "plan_taper",
]


def _taper_dailies(rules: DrugRules, options: TaperOptions, maker: Maker) -> list[tuple[Fraction, int]]:
    """Successive (dose, doses a day) below the current dose down to the target (0 means stop)."""
    taper = rules.taper
    current_dose = options.current_dose.amount
    per_day = options.current_times_per_day
    current = current_dose * per_day
    target = options.target_daily.amount if options.target_daily else Fraction(0)
    step = (options.step_daily or taper.step_daily).amount
    floor_fraction = 1 - taper.max_single_reduction
    max_count = options.current_times_per_day
    sequence: list[tuple[Fraction, int]] = []
    while current > target:
        # A stop comes only from the final-step limit or less, and only after at least one reduction when
        # one can be made (15 mg a day of baclofen is a short taper, not an immediate stop).
        at_final = target == 0 and current <= taper.final_max_daily.amount
        if at_final and (
            sequence
            or _realise_taper_step(
                current * floor_fraction,
                current,
                current_dose,
                per_day,
                maker,
                target,
                max_count,
                floor_fraction,
            )
            is None
        ):
            sequence.append((Fraction(0), 0))
            break
        wanted = current * (1 - options.percent / 100) if options.percent is not None else current - step
        wanted = max(wanted, current * floor_fraction, target)
        choice = _realise_taper_step(
            wanted, current, current_dose, per_day, maker, target, max_count, floor_fraction
        )
        if choice is None:
            if target > 0:
                raise PlanRefused(
                    f"no makeable dose lies between {format_limit(target)} {maker.unit.value} and "
                    f"{format_limit(current)} {maker.unit.value} a day"
                )
            raise PlanRefused(
                f"cannot step down from {format_limit(current)} {maker.unit.value} a day with the chosen products",
                hint="choose products with a smaller strength",
            )
        current_dose, per_day = choice
        current = current_dose * per_day
        sequence.append(choice)
    return sequence


def _realise_taper_step(
    wanted: Fraction,
    current: Fraction,
    current_dose: Fraction,
    per_day: int,
    maker: Maker,
    target: Fraction,
    max_count: int,
    floor_fraction: Fraction,
) -> tuple[Fraction, int] | None:
    """The smallest makeable daily amount at or above ``wanted`` and below ``current``, keeping the current
    number of doses a day when it can (fewer when it cannot, more only back up to the regimen the taper
    started from) and never a single dose above the current one; failing that, the largest amount below
    ``current`` that keeps at least ``floor_fraction`` of it (1 - the rules' largest single reduction, the
    bound the checker holds a cut to) and never goes below the target."""
    counts = [*range(per_day, 0, -1), *range(per_day + 1, max_count + 1)]
    for count in counts:
        dose = maker.smallest_at_least(wanted / count, current / count)
        if dose is not None and dose <= current_dose and dose * count < current:
            return dose, count
    for count in counts:
        dose = maker.largest_at_most(min(current_dose, (current - maker.grid) / count))
        if dose is not None and current > dose * count >= target and dose * count >= current * floor_fraction:
            return dose, count
    return None


def plan_taper(
    rules: DrugRules,
    options: TaperOptions,
    patient: Patient | None,
    kb_version: str,
    screen: CoMedicationScreen | None = None,
) -> Plan:
    """From the current regimen down to the target (zero: a stop), never rising, only makeable doses, at
    least the minimum duration unless a clinician records a rapid withdrawal."""
    taper = rules.taper
    validate_overrides(options.overrides)
    check_unit(options.current_dose, rules, "current dose")
    if options.current_dose.amount <= 0:
        raise InvalidInput("the current dose must be above zero")
    if not 1 <= options.current_times_per_day <= 6:
        raise InvalidInput("the current regimen has 1 to 6 doses a day")
    if options.target_daily is not None:
        check_unit(options.target_daily, rules, "target")
        if options.target_daily >= options.current_dose * options.current_times_per_day:
            raise InvalidInput("a taper's target must be below the current daily dose")
    if options.step_daily is not None:
        check_unit(options.step_daily, rules, "step")
        if options.step_daily.amount <= 0:
            raise InvalidInput("the step must be above zero")
    if options.percent is not None and not 0 < options.percent < 100:
        raise InvalidInput("the percentage is between 0 and 100")
    if options.step_days is not None and options.step_days < 1:
        raise InvalidInput("a step lasts at least one day")
    if options.weeks is not None and options.weeks < 1:
        raise InvalidInput("a taper lasts at least one week")
    rapid = find_override(options.overrides, OVERRIDE_RAPID_WITHDRAWAL)

    maker = make_maker(rules, options.products, options.confirmed_scored)
    if options.target_daily is not None and options.target_daily.amount > 0:
        target_amount = options.target_daily.amount
        # Never a single dose above the current one (nor the label's single-dose limit) on the way down.
        largest = min(options.current_dose.amount, rules.limits.max_single_dose.amount)
        counts = range(max(1, math.ceil(target_amount / largest)), options.current_times_per_day + 1)
        if not any(maker.makes(target_amount / n) for n in counts):

            def makes(ids: tuple[str, ...], confirmed: tuple[str, ...]) -> bool:
                return any(
                    can_make(Quantity(target_amount / n, maker.unit), rules, ids, confirmed) for n in counts
                )

            raise refuse_unmakeable(
                rules,
                maker,
                f"the target {options.target_daily} a day cannot be made exactly at up to "
                f"{options.current_times_per_day} doses a day with no single dose above {Quantity(largest, maker.unit)}",
                makes,
            )
    sequence = _taper_dailies(rules, options, maker)
    reductions = [entry for entry in sequence if entry[0] > 0]
    stop = bool(sequence) and sequence[-1][0] == 0
    if not reductions:
        raise PlanRefused("the current dose is already at or below the final step; nothing to taper")
    count = len(reductions)
    if options.weeks is not None and options.weeks * 7 < taper.min_days and not rapid:
        raise PlanRefused(
            f"a taper over {options.weeks} week(s) is shorter than the minimum of {taper.min_days} days",
            hint=f"give --weeks {math.ceil(taper.min_days / 7)} or more, or a clinician may override with "
            f"--override {OVERRIDE_RAPID_WITHDRAWAL}:REASON",
        )
    if options.weeks is not None:
        total = options.weeks * 7
        base, extra = divmod(total, count)
        if base < 1:
            raise PlanRefused(f"{len(reductions)} steps do not fit in {options.weeks} weeks")
        lengths = [base + (1 if i >= count - extra else 0) for i in range(count)]
    else:
        step_days = options.step_days or taper.step_days
        step_amount = (options.step_daily or taper.step_daily).amount
        lengths = []
        before = options.current_dose.amount * options.current_times_per_day
        for dose, per_day in reductions:
            after = dose * per_day
            asked = before * options.percent / 100 if options.percent is not None else step_amount
            # A cut larger than asked (no makeable dose lay in between) is held proportionally longer, so
            # the taper never runs faster than the requested rate (e.g. tizanidine 2 mg a day per day).
            lengths.append(max(step_days, math.ceil(step_days * (before - after) / asked)))
            before = after
    # The plan records the regimen it starts from (``prior``), so the checker counts the first reduction
    # and the minimum duration runs from the first day of the plan.
    stretched_note = ""
    if options.weeks is None and sum(lengths) < taper.min_days and not rapid:
        stretched = math.ceil(taper.min_days / len(lengths))
        lengths = [max(length, stretched) for length in lengths]
        stretched_note = f"steps held for {stretched} days or more so the taper lasts at least the minimum {taper.min_days} days"
    raw = [(dose, per_day, days) for (dose, per_day), days in zip(reductions, lengths, strict=True)]
    steps = to_steps(raw, options.start, maker.unit, options.times)
    notes = [taper.clinician_text]
    if stretched_note:
        notes.append(stretched_note)
    for interaction in screen.contraindicated if screen else ():
        notes.append(
            f"{interaction.second.query} is on the list: {interaction.rule.effect} (the taper itself is not refused: "
            "stopping abruptly is the greater risk)"
        )
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
