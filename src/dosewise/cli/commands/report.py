"""`dosewise report PLAN_FILE -o report.pdf`: the clinician report, or with --sheet the patient's schedule.

typst, numpy and fontTools are imported inside ``_run`` only, so other commands keep their start-up budget.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dosewise.cli.common import add_patient_option, load_kb, load_patient, parse_date
from dosewise.cli.output import emit, read_document
from dosewise.domain.errors import InvalidInput

__all__ = ["register"]


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report",
        parents=parents,
        help="the clinician report (PDF), or with --sheet the patient's printable schedule",
    )
    parser.add_argument("plan", metavar="PLAN_FILE", help="plan document (JSON or TOML; '-' for stdin)")
    add_patient_option(parser)
    parser.add_argument(
        "--history", metavar="FILE", help="doses taken: {timezone, doses: [{at, dose}]} (adherence)"
    )
    parser.add_argument("-o", "--output", metavar="FILE", required=True, help="where to write the PDF")
    parser.add_argument("--sheet", action="store_true", help="the patient's day-by-day schedule sheet")
    parser.add_argument("--name", default="", metavar="TEXT", help="the patient's name to print")
    parser.add_argument(
        "--as-of",
        metavar="TIME",
        help="the report's time (ISO 8601 with offset; default now); also the PDF's creation date",
    )
    parser.add_argument(
        "--days", type=int, metavar="N", help="report: days looked back (28); sheet: days shown (28)"
    )
    parser.add_argument("--from", dest="first", metavar="DATE", help="sheet: first day (default today)")
    parser.set_defaults(handler=_run)


def _as_of(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    from dosewise.services.document_input import read_datetime

    return read_datetime(text, "--as-of")


def _run(args: argparse.Namespace) -> int:
    from dosewise.services import reports
    from dosewise.services.documents import history_from_document, plan_from_document

    kb = load_kb(args)
    plan = plan_from_document(read_document(args.plan), kb)
    now = _as_of(args.as_of)
    if args.sheet:
        if args.history or args.patient:
            raise InvalidInput("--history and --patient go with the clinician report, not --sheet")
        first = parse_date(args.first, now.date()) if args.first else None
        made = reports.schedule_sheet(
            kb=kb,
            plan=plan,
            now=now,
            first=first,
            days=reports.DEFAULT_SHEET_DAYS if args.days is None else args.days,
            patient_name=args.name,
        )
    else:
        if args.first:
            raise InvalidInput("--from goes with --sheet; the report looks back --days from --as-of")
        patient = load_patient(args.patient)
        record = None
        if args.history:
            doses, _ = history_from_document(read_document(args.history))
            record = reports.adherence_from_history(
                kb=kb,
                plan=plan,
                doses=doses,
                now=now,
                days=reports.DEFAULT_REPORT_DAYS if args.days is None else args.days,
            )
        made = reports.clinician_report(
            kb=kb,
            plan=plan,
            now=now,
            patient=patient,
            patient_name=args.name,
            medications=[m.name for m in patient.medications] if patient is not None else None,
            record=record,
        )
    _write(args.output, made.content)
    if args.output == "-":
        return 0  # the PDF is on stdout: nothing else may go there
    what = "schedule sheet" if args.sheet else "clinician report"
    payload = {"output": args.output, "kind": "sheet" if args.sheet else "report", "bytes": len(made.content)}
    emit(args.json, payload, f"Wrote the {what} to {args.output} ({len(made.content)} bytes).")
    return 0


def _write(path: str, content: bytes) -> None:
    if path == "-":
        sys.stdout.buffer.write(content)
        return
    try:
        Path(path).write_bytes(content)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be written ({exc.strerror})") from exc
