"""The titration planner: the label ladder (or the clinician's), kidney- and age-adjusted, never faster
than the label without a recorded override, realised as doses the chosen products can make."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from dosewise.domain.assessment import (
    Assessment,
    CoMedicationScreen,
    assess,
    format_amount_fraction,
)
from dosewise.domain.dispensing import can_make, choose_products
from dosewise.domain.errors import InvalidInput, PlanRefused, UnmakeableDose
from dosewise.domain.patient import Patient
from dosewise.domain.planning.common import (
    OVERRIDE_ABOVE_LABEL_MAX,
    OVERRIDE_ABOVE_LABEL_START,
    OVERRIDE_ABOVE_RENAL_CEILING,
    OVERRIDE_FASTER_ESCALATION,
    Maker,
    TitrationOptions,
    check_unit,
    find_override,
    floor_to,
    make_maker,
    merge_steps,
    refuse_avoid,
    refuse_unmakeable,
    to_steps,
    validate_overrides,
)
from dosewise.domain.quantity import Quantity, format_limit
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import DrugRules, Severity

__all__ = [
    "plan_titration",
]


def _titration_targets(
    rules: DrugRules, options: TitrationOptions, assessment: Assessment, per_day: int
) -> list[tuple[Fraction, int]]:
    """Daily targets, scaled by the kidney multiplier, with the days each lasts, up to the goal.

    The label ladder keeps the label's daily totals whatever the chosen frequency (so four doses a day never
    starts higher than the label); a clinician's start dose is per dose at the chosen frequency. A regimen
    the patient already takes (``current``) is the point the rises start from. A co-medication rule (the
    label's lower start and smaller daily steps) replaces the ladder's start and rise. The goal is the
    clinician's target as written, or the label's last step scaled by the multiplier.
    """
    label = rules.titration
    multiplier = assessment.multiplier
    co = assessment.co_medication
    interval = options.interval_days or assessment.min_interval_days(label)
    label_targets = [(dose.amount * label.times_per_day * multiplier, days) for dose, days in label.steps]
    custom = (
        options.start_dose is not None or options.increment is not None or options.interval_days is not None
    )
    goal = options.target_daily.amount if options.target_daily else label_targets[-1][0]
    if options.increment is not None:
        increment = options.increment.amount * per_day * multiplier
    elif co is not None:
        increment = co.preferred_daily_rise.amount
    else:
        increment = label.increment_per_dose.amount * per_day * multiplier
    if options.current is not None:
        targets: list[tuple[Fraction, int]] = []
        amount = options.current.daily.amount
    else:
        if custom:
            first = (
                options.start_dose.amount * per_day * multiplier
                if options.start_dose
                else label_targets[0][0]
            )
            targets = [(first, interval)]
            if options.target_daily is None:
                # A start dose above the label's default goal is kept as written, never cut to the goal.
                goal = max(goal, first)
        else:
            targets = list(label_targets)
        if co is not None and not options.start_dose:
            # The label's own start under the co-medication rule, then its small daily steps.
            targets = [(min(targets[0][0], co.start_daily.amount), interval)]
        targets = [(min(amount, goal), days) for amount, days in targets]
        amount = targets[-1][0]
    while amount < goal:
        amount = min(amount + increment, goal)
        targets.append((amount, interval))
    return targets


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


def _smallest_rise(
    previous: tuple[Fraction, int],
    limit: Callable[[int], Fraction],
    maker: Maker,
    max_single: Fraction,
    max_per_day: int,
    per_day: int,
) -> tuple[Fraction, int] | None:
    """The smallest makeable rise above the previous daily dose at any number of doses a day, within
    ``limit(count)`` a day and a single dose no more than ``limit``'s rise above the previous single dose.
    Used when the preferred frequency cannot rise at all (tizanidine 2 mg x3 cannot make 8 mg at three
    doses; 4 mg x2 can)."""
    before_dose, before_count = previous
    before = before_dose * before_count
    best: tuple[Fraction, int] | None = None
    for count in range(1, max_per_day + 1):
        ceiling = limit(count)
        single_cap = min(max_single, ceiling / count, before_dose + (ceiling - before))
        candidate = floor_to(before / count, maker.grid) + maker.grid
        while candidate <= single_cap:
            if maker.makes(candidate):
                break
            candidate += maker.grid
        else:
            continue
        key = (candidate * count, abs(count - per_day), -count)
        if best is None or key < (best[0] * best[1], abs(best[1] - per_day), -best[1]):
            best = (candidate, count)
    return best


def _require_makeable(rules: DrugRules, maker: Maker, what: str, amount: Fraction) -> None:
    """A prescribed amount the chosen products cannot make exactly is refused with the products that can
    (tablets, halves where the score is confirmed, liquids), never rounded."""
    if maker.makes(amount):
        return
    wanted = Quantity(amount, maker.unit)
    raise refuse_unmakeable(
        rules,
        maker,
        f"the {what} {wanted} cannot be made exactly",
        lambda ids, confirmed: can_make(wanted, rules, ids, confirmed),
    )


def _require_makeable_target(rules: DrugRules, maker: Maker, target: Fraction) -> None:
    """A target daily dose is kept when some number of doses a day makes it exactly; otherwise refused with
    the products that could."""
    limits = rules.limits
    counts = range(1, limits.max_times_per_day + 1)

    def makes(product_ids: tuple[str, ...], confirmed: tuple[str, ...]) -> bool:
        return any(can_make(Quantity(target / n, maker.unit), rules, product_ids, confirmed) for n in counts)

    if makes(maker.products, maker.confirmed):
        return
    raise refuse_unmakeable(
        rules,
        maker,
        f"the target {Quantity(target, maker.unit)} a day cannot be made exactly at 1 to "
        f"{limits.max_times_per_day} doses a day",
        makes,
    )


def plan_titration(
    rules: DrugRules,
    options: TitrationOptions,
    patient: Patient | None,
    kb_version: str,
    screen: CoMedicationScreen | None = None,
) -> Plan:
    """The label schedule (or the clinician's start, step, interval and target, or a continuation from the
    regimen the patient takes), adjusted for kidney function, age and co-medication, ending at the target
    or the ceiling, whichever is lower."""
    limits = rules.limits
    label = rules.titration
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
    current = options.current
    if current is not None:
        check_unit(current.dose, rules, "current dose")
        if options.start_dose is not None:
            raise InvalidInput(
                "a titration continues from the current regimen or starts at a start dose, not both"
            )
    if options.interval_days is not None and options.interval_days < 1:
        raise InvalidInput("the interval is at least one day")
    per_day = options.times_per_day or (current.times_per_day if current else label.times_per_day)
    if not 1 <= per_day <= limits.max_times_per_day:
        raise PlanRefused(
            f"{per_day} doses a day is outside the label (at most {limits.max_times_per_day})",
        )
    if options.times and len(options.times) != per_day:
        raise InvalidInput(f"{len(options.times)} clock times given for {per_day} doses a day")

    assessment = assess(rules, patient, kb_version, screen)
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
    if (
        options.start_dose is not None
        and options.target_daily is not None
        and options.start_dose * per_day > options.target_daily
    ):
        raise InvalidInput(
            f"the start ({options.start_dose} x{per_day} = {options.start_dose * per_day} a day) is above the "
            f"target of {options.target_daily} a day",
            hint="lower the start dose or the doses a day, or raise the target",
        )
    if options.start_dose is not None and options.start_dose > limits.max_single_dose:
        raise PlanRefused(f"start dose {options.start_dose} is above the labelled maximum single dose")
    if current is not None:
        goal_daily = options.target_daily or Quantity(
            label.steps[-1][0].amount * label.times_per_day * assessment.multiplier, label.steps[-1][0].unit
        )
        if current.daily >= min(goal_daily, ceiling):
            raise PlanRefused(
                f"the current {current.daily} a day is already at or above "
                f"{min(goal_daily, ceiling)} a day: nothing to titrate",
                hint="give a higher --target-daily, or plan a taper",
            )
    faster: list[str] = []
    min_interval = assessment.min_interval_days(label)
    if options.interval_days is not None and options.interval_days < min_interval:
        faster.append(f"an increase every {options.interval_days} day(s) (the label waits {min_interval})")
    if options.increment is not None and (
        options.increment > label.increment_per_dose
        or options.increment * per_day > assessment.allowed_rise(label, per_day)
    ):
        faster.append(
            f"steps of {options.increment} a dose (the label raises by {label.increment_per_dose} a dose, "
            f"at most {assessment.allowed_rise(label, per_day)} a day here)"
        )
    if faster and not find_override(options.overrides, OVERRIDE_FASTER_ESCALATION):
        raise PlanRefused(
            f"{' and '.join(faster)} is faster than the label allows",
            hint=f"a clinician may override with --override {OVERRIDE_FASTER_ESCALATION}:REASON",
            overrides=(OVERRIDE_FASTER_ESCALATION,),
        )

    multiplier = assessment.multiplier
    maker = make_maker(rules, options.products, options.confirmed_scored)
    # What the clinician wrote is made exactly or refused; only the planner's own kidney scaling rounds
    # (and says so in a note).
    if options.start_dose is not None:
        _require_makeable(rules, maker, "start dose", options.start_dose.amount)
    if options.increment is not None:
        _require_makeable(rules, maker, "step", options.increment.amount)
    if options.target_daily is not None:
        _require_makeable_target(rules, maker, options.target_daily.amount)
    targets = _titration_targets(rules, options, assessment, per_day)
    # A clinician's larger increment is honoured only under a recorded faster_escalation override;
    # otherwise every rise stays within what check_escalation accepts.
    overridden_pace = find_override(options.overrides, OVERRIDE_FASTER_ESCALATION) is not None
    custom_rise = options.increment.amount * per_day if options.increment and overridden_pace else Fraction(0)
    first_label_dose = label.steps[0][0].amount
    if assessment.co_medication is not None:
        first_label_dose = min(first_label_dose, assessment.co_medication.start_daily.amount)

    def allowed_rise(count: int) -> Fraction:
        # Exactly what check_escalation accepts, or the clinician's own increment under a recorded override.
        return max(assessment.allowed_rise(label, count).amount, custom_rise)

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
    goal = min(targets[-1][0] if targets else Fraction(0), ceiling.amount)
    schedule = list(targets)
    raw: list[tuple[Fraction, int, int]] = []
    start_from = (current.dose.amount, current.times_per_day) if current else None
    index = 0
    while index < len(schedule):
        daily, days = schedule[index]
        extension = index >= len(targets)
        index += 1
        bounded = min(daily, ceiling.amount)
        last = (raw[-1][0], raw[-1][1]) if raw else start_from
        previous = last[0] * last[1] if last else None
        if last is None or previous is None:
            dose, count = realise(bounded)
        else:
            dose, count = realise(min(bounded, previous + allowed_rise(limits.max_times_per_day)))
            if dose * count - previous > allowed_rise(count):
                dose, count = realise(min(bounded, previous + allowed_rise(label.times_per_day)))
            if dose * count <= previous:
                top, base = bounded, previous

                def rise_limit(n: int, top: Fraction = top, base: Fraction = base) -> Fraction:
                    return min(top, base + allowed_rise(n))

                rise = _smallest_rise(
                    last,
                    rise_limit,
                    maker,
                    limits.max_single_dose.amount,
                    limits.max_times_per_day,
                    per_day,
                )
                if rise is not None:
                    dose, count = rise
            if dose * count <= previous:
                if extension or not raw:
                    notes.append(
                        f"stops at {Quantity(previous, maker.unit)} a day, below "
                        f"{format_limit(goal)} {maker.unit.value} a day: the chosen products make no higher dose "
                        "within the label's step at this number of doses a day"
                    )
                    break
                dose, count = raw[-1][0], raw[-1][1]
        raw.append((dose, count, days))
        if index == len(schedule) and dose * count < goal:
            schedule.append((goal, options.interval_days or min_interval))
    if not raw:
        raise PlanRefused(
            f"no rise from the current {current.daily if current else ''} a day can be made with the chosen "
            "products within the label's step",
            hint="choose products with a smaller strength (a liquid, or scored tablets)",
        )
    steps = to_steps(merge_steps(raw), options.start, maker.unit, options.times)
    if (
        current is None
        and not find_override(options.overrides, OVERRIDE_ABOVE_LABEL_START)
        and assessment.start_severity(label, steps[0].daily) is Severity.MAJOR
    ):
        raise PlanRefused(
            f"the titration would start at {steps[0].daily} a day, far above the label's start of "
            f"{assessment.start_cap(label)} a day",
            hint="if the patient already takes a dose, continue from it with --from REGIMEN; otherwise a "
            f"clinician may override with --override {OVERRIDE_ABOVE_LABEL_START}:REASON",
        )
    if multiplier != 1:
        notes.append(
            f"every step scaled by {format_amount_fraction(multiplier)} and rounded down to a makeable dose"
        )
    if assessment.unscreened:
        notes.append(
            f"not screened for interactions that change this plan: {', '.join(assessment.unscreened)}; "
            "check them before the first dose"
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
        prior=current,
        overrides=options.overrides,
        notes=tuple(notes),
    )
