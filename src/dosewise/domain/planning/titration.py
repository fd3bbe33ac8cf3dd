"""The titration planner: the label ladder (or the clinician's), kidney- and age-adjusted, never faster
than the label without a recorded override, realised as doses the chosen products can make."""

from __future__ import annotations

from fractions import Fraction

from dosewise.domain.assessment import (
    assess,
    format_amount_fraction,
)
from dosewise.domain.dispensing import can_make, choose_products
from dosewise.domain.errors import InvalidInput, PlanRefused, UnmakeableDose
from dosewise.domain.patient import Patient
from dosewise.domain.planning.common import (
    OVERRIDE_ABOVE_LABEL_MAX,
    OVERRIDE_ABOVE_RENAL_CEILING,
    OVERRIDE_FASTER_ESCALATION,
    Maker,
    TitrationOptions,
    check_unit,
    find_override,
    make_maker,
    merge_steps,
    refuse_avoid,
    to_steps,
    validate_overrides,
)
from dosewise.domain.quantity import Quantity, format_limit
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import DrugRules

__all__ = [
    "plan_titration",
]


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
    daily: Fraction, per_day: int, maker: Maker, max_single: Fraction, max_per_day: int, fewer_cap: Fraction
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
            check_unit(value, rules, what)
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
    refuse_avoid(assessment, options.overrides)
    ceiling = assessment.ceiling
    label_max = limits.max_daily
    notes: list[str] = list(assessment.explanations)
    if options.target_daily is not None:
        if options.target_daily > label_max and not find_override(
            options.overrides, OVERRIDE_ABOVE_LABEL_MAX
        ):
            raise PlanRefused(
                f"target {options.target_daily} a day is above the labelled maximum of {label_max} a day",
                hint=f"a clinician may override with --override {OVERRIDE_ABOVE_LABEL_MAX}:REASON",
                overrides=(OVERRIDE_ABOVE_LABEL_MAX,),
            )
        if (
            options.target_daily > ceiling
            and options.target_daily <= label_max
            and not find_override(options.overrides, OVERRIDE_ABOVE_RENAL_CEILING)
        ):
            raise PlanRefused(
                f"target {options.target_daily} a day is above this patient's kidney-adjusted ceiling",
                hint=f"{'; '.join(assessment.explanations)}; a clinician may override with "
                f"--override {OVERRIDE_ABOVE_RENAL_CEILING}:REASON",
                overrides=(OVERRIDE_ABOVE_RENAL_CEILING,),
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
    if faster and not find_override(options.overrides, OVERRIDE_FASTER_ESCALATION):
        raise PlanRefused(
            f"{' and '.join(faster)} is faster than the label allows",
            hint=f"a clinician may override with --override {OVERRIDE_FASTER_ESCALATION}:REASON",
            overrides=(OVERRIDE_FASTER_ESCALATION,),
        )

    multiplier = assessment.multiplier
    targets = _titration_targets(rules, options, multiplier)
    maker = make_maker(rules, options.products, options.confirmed_scored)
    label = rules.titration
    # A clinician's larger increment is honoured only under a recorded faster_escalation override;
    # otherwise every rise stays within what check_escalation accepts.
    overridden_pace = find_override(options.overrides, OVERRIDE_FASTER_ESCALATION) is not None
    custom_rise = options.increment.amount * per_day if options.increment and overridden_pace else Fraction(0)
    first_label_dose = label.steps[0][0].amount

    def allowed_rise(count: int) -> Fraction:
        # Exactly what check_escalation accepts, or the clinician's own increment under a recorded override.
        return max(label.allowed_daily_rise(count).amount, custom_rise)

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
                f"no dose the chosen products can make fits {format_limit(bounded)} {maker.unit.value} a day "
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
                        f"{format_limit(goal)} {maker.unit.value} a day: the chosen products make no higher dose "
                        "within the label's step at this number of doses a day"
                    )
                    break
                dose, count = raw[-1][0], raw[-1][1]
        raw.append((dose, count, days))
        if index == len(schedule) and dose * count < goal:
            schedule.append((goal, options.interval_days or label.min_interval_days))
    steps = to_steps(merge_steps(raw), options.start, maker.unit, options.times)
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
