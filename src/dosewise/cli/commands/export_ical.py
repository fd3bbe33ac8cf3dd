"""`dosewise export ical PLAN_FILE`: the plan's doses as an iCalendar file to import into a calendar.

One event per dose time with what to take; UIDs stay the same across versions of a plan, so importing
the file of a changed plan updates the events instead of adding copies (give the earlier versions with
``--previous`` for their SEQUENCE numbers and cancellations). The plan is checked first; a plan the
checker blocks is refused (exit 3).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from dosewise.cli.common import add_patient_option, load_kb, load_patient
from dosewise.cli.output import emit, read_document

__all__ = ["register"]


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "ical",
        parents=parents,
        help="the plan's doses as an iCalendar (.ics) file",
        description="Write one calendar event per planned dose, with the tablets or mL to take.",
    )
    parser.add_argument("plan", metavar="PLAN_FILE", help="plan document (JSON or TOML; '-' for stdin)")
    add_patient_option(parser)
    parser.add_argument("-o", "--output", metavar="FILE", help="write the calendar here (default: stdout)")
    parser.add_argument(
        "--from",
        dest="first",
        metavar="DATE",
        help="first day (default: today, or the plan's start if later)",
    )
    parser.add_argument("--days", type=int, default=None, help="days covered (default 90, at most 400)")
    parser.add_argument(
        "--previous",
        metavar="PLAN_FILE",
        action="append",
        default=[],
        help="an earlier version of this plan, oldest first (repeatable): changed doses get a higher "
        "SEQUENCE and removed doses are written as cancelled",
    )
    parser.add_argument(
        "--series",
        default="",
        help="name that keeps UIDs apart for two plans of the same drug (default: drug and route)",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from dosewise.cli.common import parse_date
    from dosewise.formats.plan_document import plan_from_document
    from dosewise.services.calendar import EXPORT_DAYS, export_calendar

    kb = load_kb(args)
    plans = [plan_from_document(read_document(path), kb) for path in (*args.previous, args.plan)]
    first = parse_date(args.first, plans[-1].start) if args.first else None
    exported = export_calendar(
        kb=kb,
        plans=plans,
        patient=load_patient(args.patient),
        now=datetime.now(UTC),
        first=first,
        days=args.days if args.days is not None else EXPORT_DAYS,
        series=args.series,
    )
    calendar, window = exported.calendar, exported.window
    last = window.end.toordinal() - 1
    summary = {
        "format": "text/calendar",
        "output": args.output or "-",
        "doses": calendar.doses,
        "cancelled": calendar.cancelled,
        "first_day": window.first.isoformat(),
        "last_day": datetime.fromordinal(last).date().isoformat(),
    }
    if args.output:
        with open(args.output, "wb") as handle:
            handle.write(calendar.body)
        emit(
            args.json,
            summary,
            f"Wrote {calendar.doses} doses ({calendar.cancelled} cancelled) from {summary['first_day']} "
            f"to {summary['last_day']} to {args.output}.",
        )
    else:
        sys.stdout.buffer.write(calendar.body)
        sys.stdout.flush()
    if calendar.doses == 0:
        sys.stderr.write("dosewise: no doses are planned in these days\n")
    return 0
