"""Changes to a plan in force, as pure functions of the plan and the day the change starts.

Nothing here ever stops a drug: *pause* holds the current dose (it stops the plan moving, never the
medicine), *resume* continues the remaining steps from where the pause began, *slow down* stretches
every remaining step, *step back* returns to the previous step's dose for that step's length before trying
the current one again. Stopping is only ever a taper, built by the planner. Each function returns the
whole timeline: the steps before ``day`` exactly as they were, then the change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta

from dosewise.domain.errors import InvalidInput
from dosewise.domain.regimen import Plan, Step

__all__ = [
    "current_step",
    "join",
    "merged",
    "pause",
    "redate",
    "resume",
    "slow_down",
    "split",
    "step_back",
    "steps_until",
]


def split(plan: Plan, day: date) -> tuple[list[Step], list[Step]]:
    """The steps before ``day`` and those from ``day`` on; a step running across ``day`` is cut in two."""
    past: list[Step] = []
    future: list[Step] = []
    for step in plan.steps:
        if step.end <= day:
            past.append(step)
        elif step.start >= day:
            future.append(step)
        else:
            past.append(replace(step, days=(day - step.start).days))
            future.append(replace(step, start=day, days=(step.end - day).days))
    return past, future


def steps_until(plan: Plan, day: date) -> list[Step]:
    """The steps of ``plan`` before ``day``, covering every day until then when the plan continues.

    A plan that continues after its last step keeps giving that step's dose (a pause holds it): the
    stored timeline must say so up to the day the next version starts, or those days would hold no doses.
    """
    past, _ = split(plan, day)
    if past and plan.then == "continue" and past[-1].end < day:
        last = past[-1]
        past[-1] = replace(last, days=(day - last.start).days)
    return past


def merged(steps: Iterable[Step]) -> tuple[Step, ...]:
    """Back-to-back steps with the same dose at the same times become one step (how long a dose has been
    held is what the checker judges before the next rise, not how many versions it was split across)."""
    out: list[Step] = []
    for step in steps:
        last = out[-1] if out else None
        if last is not None and last.end == step.start and (last.dose, last.times) == (step.dose, step.times):
            out[-1] = replace(last, days=last.days + step.days)
        else:
            out.append(step)
    return tuple(out)


def redate(steps: Iterable[Step], start: date) -> list[Step]:
    """The same steps, back to back from ``start``."""
    out: list[Step] = []
    day = start
    for step in steps:
        out.append(replace(step, start=day))
        day += timedelta(days=step.days)
    return out


def current_step(plan: Plan, day: date) -> Step | None:
    return plan.step_on(day)


def join(base: Plan, past: Sequence[Step], change: Plan) -> Plan:
    """``past`` (from ``base``) followed by the changed plan's steps, with the changed plan's metadata."""
    if change.steps and past and change.steps[0].start < past[-1].end:
        raise InvalidInput("a change cannot start before the steps it follows")
    return replace(change, steps=tuple(past) + change.steps, timezone=base.timezone)


def _in_force(plan: Plan, day: date) -> Step:
    if day < plan.start:
        raise InvalidInput(
            f"the plan starts on {plan.start.isoformat()}; change the plan itself instead",
        )
    step = plan.step_on(day)
    if step is None or step.dose.is_zero:
        raise InvalidInput("the plan has ended: there is no dose to change")
    return step


def pause(plan: Plan, day: date, reason: str) -> Plan:
    """Hold today's dose from ``day`` until a clinician resumes the plan (the dose never stops)."""
    held = _in_force(plan, day)
    past, _ = split(plan, day)
    hold = Step(day, 1, held.dose, held.times)
    note = f"Paused on {day.isoformat()}: holding {held.dose} {held.times_per_day} times a day ({reason})."
    return replace(plan, steps=(*past, hold), then="continue", notes=(*plan.notes, note))


def resume(held: Plan, original: Plan, paused_on: date, day: date, reason: str) -> Plan:
    """The steps the pause interrupted, shifted by the days spent paused, from ``day``."""
    if day < paused_on:
        raise InvalidInput("a plan cannot resume before it was paused")
    past = steps_until(held, day)  # the held dose on every day of the pause
    _, remaining = split(original, paused_on)
    shift = timedelta(days=(day - paused_on).days)
    if remaining:
        future = [replace(step, start=step.start + shift) for step in remaining]
    else:  # the original had reached its last step and continues it
        last = original.steps[-1]
        future = [Step(day, 1, last.dose, last.times)]
    note = f"Resumed on {day.isoformat()} after a pause from {paused_on.isoformat()} ({reason})."
    return replace(original, steps=(*past, *future), notes=(*original.notes, note))


def slow_down(plan: Plan, day: date, reason: str, factor: int = 2) -> Plan:
    """Every step from ``day`` lasts ``factor`` times as long (the current one from today)."""
    if factor < 2:
        raise InvalidInput("slowing down multiplies each remaining step by at least 2")
    _in_force(plan, day)
    past, future = split(plan, day)
    if plan.then == "continue" and len(future) <= 1:
        raise InvalidInput("there are no more changes of dose to slow down")
    stretched = redate((replace(step, days=step.days * factor) for step in future), day)
    note = f"Slowed down on {day.isoformat()}: each remaining step lasts {factor} times as long ({reason})."
    return replace(plan, steps=(*past, *stretched), notes=(*plan.notes, note))


def step_back(plan: Plan, day: date, reason: str) -> Plan:
    """Back to the previous step's dose for that step's length, then the current step again, then the rest."""
    current = _in_force(plan, day)
    index = plan.steps.index(current)
    previous = next(
        (
            step
            for step in reversed(plan.steps[:index])
            if step.daily != current.daily and not step.dose.is_zero
        ),
        None,
    )
    if previous is None:
        raise InvalidInput(
            "there is no previous dose in this plan to step back to",
            hint="pause the plan to hold this dose, or ask the clinician for a new plan",
        )
    past, _ = split(plan, day)
    again = [replace(current, days=current.days), *plan.steps[index + 1 :]]
    future = redate([Step(day, previous.days, previous.dose, previous.times), *again], day)
    note = (
        f"Stepped back on {day.isoformat()} from {current.dose} to {previous.dose} "
        f"for {previous.days} days ({reason})."
    )
    return replace(plan, steps=(*past, *future), notes=(*plan.notes, note))
