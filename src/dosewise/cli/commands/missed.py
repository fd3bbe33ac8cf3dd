"""`dosewise missed PLAN_FILE --now DATETIME [--taken DATETIME ...]`: take the missed dose now, or skip it.

Times are ISO 8601. A time without an offset is read in the plan's time zone, and the output says so.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from dosewise.cli.common import add_patient_option, load_kb, load_patient
from dosewise.cli.output import emit, read_document

if TYPE_CHECKING:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from dosewise.domain.missed import MissedDoseAdvice

__all__ = ["add_dose_record_options", "parse_moments", "register"]


def add_dose_record_options(parser: argparse.ArgumentParser, *, now_required: bool) -> None:
    parser.add_argument(
        "--now",
        required=now_required,
        metavar="DATETIME",
        help="the current time (ISO 8601, e.g. 2026-03-10T15:00)",
    )
    parser.add_argument(
        "--taken", action="extend", nargs="+", default=[], metavar="DATETIME", help="times doses were taken"
    )
    parser.add_argument(
        "--skipped",
        action="extend",
        nargs="+",
        default=[],
        metavar="DATETIME",
        help="scheduled times of doses deliberately skipped",
    )


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "missed", parents=parents, help="a missed dose: take it now or skip it (never double)"
    )
    parser.add_argument("plan", metavar="PLAN_FILE", help="plan document (JSON or TOML; '-' for stdin)")
    add_dose_record_options(parser, now_required=True)
    parser.add_argument(
        "--since", metavar="DATETIME", help="judge doses from this time (default: the earliest recorded dose)"
    )
    add_patient_option(parser)
    parser.set_defaults(handler=_run)


def parse_moments(values: list[str], tz: ZoneInfo, what: str, assumed: list[str]) -> list[datetime]:
    """Parse ISO times; collect the ones read in ``tz`` because they had no offset."""
    from dosewise.services.advice import parse_moment

    out = []
    for value in values:
        moment, was_naive = parse_moment(value, tz, what)
        if was_naive:
            assumed.append(value)
        out.append(moment)
    return out


def _text(advice: MissedDoseAdvice, assumed: list[str]) -> str:
    action = {"take_now": "TAKE IT NOW", "skip": "SKIP IT", "none": "NOTHING TO MAKE UP"}[advice.action]
    lines = [f"{action}: {advice.reason}.", "", advice.patient_text, ""]
    if advice.next_dose is not None:
        lines.append(
            f"Next dose: {advice.next_dose.dose} at {advice.next_dose.at.strftime('%Y-%m-%d %H:%M %Z')}"
        )
    lines.append(f"Urgency: {advice.urgency.upper()} ({advice.urgency_reason})")
    if advice.overdose is not None:
        lines.append(
            f"OVERDOSE QUESTION ({advice.overdose.level.upper()}): {advice.overdose.reason}. "
            f"Source: {advice.overdose.source}"
        )
    for note in advice.assumptions:
        lines.append(f"Note: {note}")
    if assumed:
        lines.append(f"Times without a zone were read in the plan's time zone ({advice.timezone}).")
    lines += [
        "",
        f"For clinicians: {advice.clinician_text}",
        f"Source: {advice.source} (knowledge base {advice.kb_version}; a configurable default, not label text)",
    ]
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    from dosewise.formats.missed_dose import advice_to_json
    from dosewise.formats.plan_document import plan_from_document
    from dosewise.services.advice import advise_missed, parse_moment, plan_zone

    kb = load_kb(args)
    plan = plan_from_document(read_document(args.plan), kb)
    patient = load_patient(args.patient)
    tz = plan_zone(plan)
    assumed: list[str] = []
    now = parse_moments([args.now], tz, "--now", assumed)[0]
    taken = parse_moments(args.taken, tz, "--taken", assumed)
    skipped = parse_moments(args.skipped, tz, "--skipped", assumed)
    since = None
    if args.since:
        since, naive = parse_moment(args.since, tz, "--since")
        if naive:
            assumed.append(args.since)
    advice = advise_missed(
        kb=kb, plan=plan, now=now, taken=taken, skipped=skipped, since=since, patient=patient
    )
    payload = advice_to_json(advice, plan.drug, assumed)
    text = _text(advice, assumed)
    if patient is not None and patient.timezone != plan.timezone:
        note = f"The patient file's time zone ({patient.timezone}) differs from the plan's ({plan.timezone}); plan times are in {plan.timezone}."
        payload["assumptions"].append(note)
        text += f"\nNote: {note}"
    emit(args.json, payload, text)
    return 0
