"""The patient's schedule sheet: a printable day-by-day strip with a box to tick for every dose, the
tablets for each dose, and what to do after a missed dose, in plain words.

The doses are the plan's own administrations (``domain.regimen``: daylight-saving days keep their count)
and the tablets come from ``domain.dispensing``; the missed-dose words are the knowledge base's rule put
by ``domain.missed.wording``. The sheet follows the clinician's plan and never suggests a dose of its own.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from dosewise.domain.missed.wording import rule_sentences
from dosewise.domain.quantity import times_per_day_words
from dosewise.domain.regimen import Administration, administrations
from dosewise.formats.report.layout import Block, Cell, Document, Items, Paragraph, Section, Table
from dosewise.formats.report.model import ScheduleSheet
from dosewise.formats.report.plan_tables import step_takes, take_words

__all__ = ["BOX", "MAX_SHEET_DAYS", "schedule_document"]

BOX = "☐"
# A sheet is printed for weeks, not months: a longer one is reprinted after the plan is reviewed.
MAX_SHEET_DAYS = 92


def _day_words(day: date, year: bool = True) -> str:
    return f"{day.strftime('%a')} {day.day} {day.strftime('%b %Y' if year else '%b')}"


def _strip(sheet: ScheduleSheet, tz: ZoneInfo) -> Table:
    plan = sheet.plan
    rules = sheet.kb.drug(plan.drug)
    takes = step_takes(plan, rules)
    end = sheet.first + timedelta(days=sheet.days)
    by_day: dict[date, list[Administration]] = defaultdict(list)
    for dose in administrations(plan, tz, start=sheet.first, end=end):
        by_day[dose.slot_date].append(dose)
    columns = max((len(doses) for doses in by_day.values()), default=1)
    rows: list[tuple[Cell, ...]] = []
    previous_step: int | None = None
    day = sheet.first
    while day < end:
        doses = by_day.get(day, [])
        step = plan.step_on(day)
        index = plan.steps.index(step) if step is not None and step in plan.steps else None
        label: list[str] = [_day_words(day, year=False)]
        if plan.start <= day:
            label.append(f"day {(day - plan.start).days + 1} of the plan")
        if index is not None and previous_step is not None and index != previous_step:
            label.append("CHANGES TODAY")
        previous_step = index if index is not None else previous_step
        cells: list[Cell] = []
        for dose in doses:
            take = takes[dose.step_index]
            cells.append((f"{BOX} {dose.at.strftime('%H:%M')} · {dose.dose}", take_words(take)))
        if not doses:
            ended = plan.then == "stop" and day >= plan.end
            cells.append(("No more doses planned",) if ended else ("No dose planned today",))
        cells += [("",)] * (columns - len(cells))
        rows.append((tuple(label), *cells))
        day += timedelta(days=1)
    headers = ("Day", *(f"Dose {n}" for n in range(1, columns + 1)))
    return Table(headers, tuple(rows), widths=(7, *([9] * columns)), bold_first_line=True)


def _tablets(sheet: ScheduleSheet) -> Table:
    """The steps the sheet's days fall in; the last one, when the plan continues, runs on until changed."""
    plan = sheet.plan
    rules = sheet.kb.drug(plan.drug)
    end = sheet.first + timedelta(days=sheet.days)
    rows = []
    for index, (step, take) in enumerate(zip(plan.steps, step_takes(plan, rules), strict=True)):
        continues = plan.then == "continue" and index == len(plan.steps) - 1
        if step.start >= end or (step.end <= sheet.first and not continues):
            continue
        if continues:
            when = f"from {_day_words(step.start)}, until your clinician changes it"
        elif step.days == 1:
            when = _day_words(step.start)
        else:
            when = f"{_day_words(step.start)} to {_day_words(step.last_day)}"
        times = ", ".join(t.strftime("%H:%M") for t in step.times) or "no doses"
        each = f"{step.dose}, {times_per_day_words(step.times_per_day)}" if step.times else "no doses"
        rows.append(((when,), (each,), (times,), (take_words(take),)))
    return Table(("Dates", "Each dose", "Times", "Take"), tuple(rows), widths=(6, 5, 4, 6))


def _missed(sheet: ScheduleSheet) -> tuple[Block, ...]:
    rules = sheet.kb.drug(sheet.plan.drug)
    if rules.missed_dose is None:
        return (
            Paragraph(
                f"Ask your clinician or pharmacist what to do if you miss a dose of {rules.name}.", "strong"
            ),
        )
    return (Items(rule_sentences(rules.missed_dose, rules.name, rules.withdrawal_signs)),)


def schedule_document(sheet: ScheduleSheet) -> Document:
    if not 1 <= sheet.days <= MAX_SHEET_DAYS:
        raise ValueError(f"a sheet covers 1 to {MAX_SHEET_DAYS} days")
    plan = sheet.plan
    rules = sheet.kb.drug(plan.drug)
    tz = ZoneInfo(plan.timezone)
    last = sheet.first + timedelta(days=sheet.days - 1)
    prepared = sheet.prepared_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    strip = _strip(sheet, tz)
    lines = (
        f"For: {sheet.patient_name}",
        f"{_day_words(sheet.first)} to {_day_words(last)}; times are {tz.key} clock times.",
        f"Printed {prepared} from your plan" + (f" ({sheet.plan_label})" if sheet.plan_label else "") + ".",
    )
    sections = (
        Section(
            "How to use this sheet",
            (
                Paragraph(
                    f"Tick the box {BOX} when you take each dose. Take the tablets shown for that dose, as "
                    "your clinician planned."
                ),
                Paragraph(
                    "If your plan changes, this sheet is out of date: throw it away and print a new one. If "
                    "anything here differs from what your clinician told you, ask them before you take it.",
                    "warning",
                ),
            ),
        ),
        Section("If you miss a dose", _missed(sheet)),
        Section("Your tablets", (_tablets(sheet),)),
        Section("Day by day", (strip,)),
    )
    return Document(
        title=f"Your {rules.name} schedule",
        lines=lines,
        sections=sections,
        footer=f"dosewise schedule sheet · {sheet.patient_name} · printed {prepared}",
        landscape=len(strip.headers) > 5,
        font_size_pt=10,
        keywords=("dosewise", "schedule sheet", rules.name),
    )
