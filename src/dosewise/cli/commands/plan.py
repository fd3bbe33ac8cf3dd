"""`dosewise plan titrate|taper`: build a checked plan and print it (text, or the plan document with --json)."""

from __future__ import annotations

import argparse
from datetime import date
from fractions import Fraction
from typing import Any

from dosewise.cli.common import (
    add_patient_option,
    load_kb,
    load_patient,
    parse_date,
    parse_overrides,
    parse_times,
    plan_text,
    split_list,
)
from dosewise.cli.output import emit

__all__ = ["register"]


def _shared(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("drug", help="drug with dosing rules (baclofen, tizanidine)")
    add_patient_option(parser)
    parser.add_argument("--start", metavar="DATE", help="first day (YYYY-MM-DD; default today)")
    parser.add_argument(
        "--times", metavar="HH:MM,...", help="clock times for the doses (default spaced through the day)"
    )
    parser.add_argument(
        "--products", metavar="ID,...", help="product ids to dispense from (default: common tablets)"
    )
    parser.add_argument(
        "--scored-confirmed",
        metavar="ID,...",
        help="tablet products confirmed scored in hand (allows halves)",
    )
    parser.add_argument(
        "--override",
        action="append",
        metavar="CODE:REASON",
        help="a clinician's recorded decision to cross a limit",
    )
    parser.add_argument("--by", default="", help="who made the plan (recorded with overrides)")


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    plan = subparsers.add_parser("plan", help="build a titration or taper plan")
    kinds = plan.add_subparsers(dest="plan_kind", metavar="KIND")
    kinds.required = True

    titrate = kinds.add_parser(
        "titrate", parents=parents, help="raise slowly to a target (label schedule by default)"
    )
    _shared(titrate)
    titrate.add_argument("--target-daily", metavar='"60 mg"', help="daily dose to reach")
    titrate.add_argument("--start-dose", metavar='"5 mg"', help="first dose per administration")
    titrate.add_argument("--step", metavar='"5 mg"', help="increase per administration at each step")
    titrate.add_argument("--interval-days", type=int, metavar="N", help="days between increases")
    titrate.add_argument("--times-per-day", type=int, metavar="N", help="doses a day")
    titrate.add_argument(
        "--from",
        dest="current",
        metavar='"10 mg 3 times a day"',
        help="the regimen the patient already takes: the titration continues from it",
    )
    titrate.set_defaults(handler=_run_titrate)

    taper = kinds.add_parser("taper", parents=parents, help="reduce gradually to a lower dose or to a stop")
    _shared(taper)
    taper.add_argument(
        "--from", dest="current", required=True, metavar='"20 mg 4 times a day"', help="current regimen"
    )
    taper.add_argument("--to-daily", metavar='"0 mg"', help="daily dose to end at (default 0: stop)")
    mode = taper.add_mutually_exclusive_group()
    mode.add_argument("--weeks", type=int, metavar="N", help="spread the taper over N weeks")
    mode.add_argument("--step-days", type=int, metavar="N", help="days at each step")
    step = taper.add_mutually_exclusive_group()
    step.add_argument("--percent", metavar="P", help="reduce by P%% of the current daily dose each step")
    step.add_argument("--step-daily", metavar='"15 mg"', help="reduce the daily dose by this much each step")
    taper.set_defaults(handler=_run_taper)


def _quantity(text: str | None) -> Any:
    if text is None:
        return None
    from dosewise.domain.quantity import parse_quantity

    return parse_quantity(text)


def _emit_plan(args: argparse.Namespace, plan: Any, kb: Any) -> int:
    from dosewise.formats.plan_document import plan_to_document

    document = plan_to_document(plan, kb.drug(plan.drug))
    emit(args.json, document, plan_text(document))
    return 0


def _run_titrate(args: argparse.Namespace) -> int:
    from dosewise.domain.regimen import PriorRegimen
    from dosewise.services.planning import titrate
    from dosewise.services.regimen_text import parse_regimen

    kb = load_kb(args)
    patient = load_patient(args.patient)
    current = None
    if args.current is not None:
        dose, per_day = parse_regimen(args.current)
        current = PriorRegimen(dose, per_day)
    plan = titrate(
        kb=kb,
        drug=args.drug,
        start=parse_date(args.start, date.today()),
        patient=patient,
        start_dose=_quantity(args.start_dose),
        increment=_quantity(args.step),
        interval_days=args.interval_days,
        target_daily=_quantity(args.target_daily),
        times_per_day=args.times_per_day,
        times=parse_times(args.times),
        products=split_list(args.products),
        confirmed_scored=split_list(args.scored_confirmed),
        overrides=parse_overrides(args.override, args.by),
        current=current,
    )
    return _emit_plan(args, plan, kb)


def _run_taper(args: argparse.Namespace) -> int:
    from dosewise.domain.errors import InvalidInput
    from dosewise.domain.quantity import parse_amount
    from dosewise.services.planning import taper
    from dosewise.services.regimen_text import parse_regimen

    kb = load_kb(args)
    patient = load_patient(args.patient)
    dose, per_day = parse_regimen(args.current)
    percent: Fraction | None = None
    if args.percent is not None:
        percent = parse_amount(args.percent.rstrip("%"))
        if not 0 < percent < 100:
            raise InvalidInput("--percent is between 0 and 100")
    target = _quantity(args.to_daily)
    plan = taper(
        kb=kb,
        drug=args.drug,
        start=parse_date(args.start, date.today()),
        current_dose=dose,
        current_times_per_day=per_day,
        patient=patient,
        target_daily=target if target is not None and target.amount > 0 else None,
        step_daily=_quantity(args.step_daily),
        percent=percent,
        step_days=args.step_days,
        weeks=args.weeks,
        times=parse_times(args.times),
        products=split_list(args.products),
        confirmed_scored=split_list(args.scored_confirmed),
        overrides=parse_overrides(args.override, args.by),
    )
    return _emit_plan(args, plan, kb)
