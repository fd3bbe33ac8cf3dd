"""`dosewise triage SYMPTOM [SYMPTOM ...]`: expected, soon, urgent or emergency, and why.

Symptoms in plain words ("drowsy", "seeing things", "slow breathing") or clinical terms. With
``--plan PLAN_FILE --now DATETIME --taken ...`` the context (missed doses, a recent increase, a stop) comes
from the plan; with ``--patient FILE`` kidney function, age and co-medication are used too.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from dosewise.cli.commands.missed import add_dose_record_options, parse_moments
from dosewise.cli.common import add_patient_option, load_kb, load_patient
from dosewise.cli.output import emit, read_document

if TYPE_CHECKING:
    from dosewise.domain.triage import TriageResult

__all__ = ["register"]


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "triage", parents=parents, help="how urgent are these symptoms (expected, soon, urgent, emergency)"
    )
    parser.add_argument(
        "symptoms", nargs="+", metavar="SYMPTOM", help="symptoms in plain words or clinical terms"
    )
    parser.add_argument("--plan", metavar="PLAN_FILE", help="the plan being followed (needs --now)")
    add_dose_record_options(parser, now_required=False)
    add_patient_option(parser)
    parser.add_argument("--pump", action="store_true", help="the person has an intrathecal baclofen pump")
    parser.add_argument(
        "--drug",
        metavar="DRUG",
        help="the medicine in question without a plan (default baclofen, with a note)",
    )
    parser.add_argument(
        "--tablet", metavar="STRENGTH", help="strength of one tablet, e.g. '10 mg' (for a count swallowed)"
    )
    parser.add_argument(
        "--stopped-recently",
        action="store_true",
        help="the medicine was stopped or cut steeply in the last days",
    )
    parser.add_argument(
        "--missed-days",
        type=int,
        metavar="N",
        help="days on which doses were missed recently (no plan needed)",
    )
    parser.set_defaults(handler=_run)


_HEADLINES = {
    "emergency": "EMERGENCY NOW",
    "urgent": "URGENT: get medical help today",
    "soon": "SOON: tell your clinician (today or tomorrow)",
    "expected": "EXPECTED: usually passes",
}


def _text(result: TriageResult, assumed: list[str], zone: str | None) -> str:
    reason = result.reason.replace("_", " ")
    lines = [f"{_HEADLINES[result.level]} (reason: {reason})", "", result.patient_text, ""]
    recognised = ", ".join(result.labels[s] for s in result.symptoms) or "none"
    lines.append(f"Recognised: {recognised}")
    if result.unrecognised:
        lines.append(f"Not recognised: {'; '.join(result.unrecognised)}")
    negated = [result.labels.get(s, s) for m in result.inputs for s in m.negated]
    if negated:
        lines.append(f"Read as denied: {', '.join(dict.fromkeys(negated))}")
    if result.context.flags:
        lines.append("Context: " + "; ".join(f"{flag} ({why})" for flag, why in result.context.why))
    for note in result.notes:
        lines.append(f"Note: {note}")
    if assumed:
        lines.append(f"Times without a zone were read in {zone}.")
    lines += ["", f"For clinicians: {result.clinician_text}"]
    lines.append(f"Sources: {'; '.join(result.sources)} (knowledge base {result.kb_version})")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    from dosewise.domain.errors import InvalidInput
    from dosewise.domain.quantity import Unit, parse_quantity
    from dosewise.formats.plan_document import plan_from_document
    from dosewise.formats.triage import triage_to_json
    from dosewise.services.advice import plan_zone, triage_symptoms, zone

    kb = load_kb(args)
    patient = load_patient(args.patient)
    plan = plan_from_document(read_document(args.plan), kb) if args.plan else None
    if plan is None and (args.now or args.taken or args.skipped):
        raise InvalidInput(
            "--now, --taken and --skipped need --plan", hint="give the plan file being followed"
        )
    if plan is not None and not args.now:
        raise InvalidInput(
            "--plan needs --now to tell which doses were due", hint="e.g. --now 2026-03-10T15:00"
        )
    tz = plan_zone(plan) if plan is not None else zone(patient.timezone if patient else "UTC")
    assumed: list[str] = []
    now = parse_moments([args.now], tz, "--now", assumed)[0] if args.now else None
    taken = parse_moments(args.taken, tz, "--taken", assumed)
    skipped = parse_moments(args.skipped, tz, "--skipped", assumed)
    tablet = parse_quantity(args.tablet, allowed=(Unit.MG,)) if args.tablet else None
    if args.missed_days is not None and args.missed_days < 0:
        raise InvalidInput("--missed-days cannot be negative", hint="e.g. --missed-days 2")
    result = triage_symptoms(
        kb=kb,
        symptoms=args.symptoms,
        plan=plan,
        now=now,
        taken=taken,
        skipped=skipped,
        patient=patient,
        pump=args.pump,
        drug=args.drug,
        tablet=tablet,
        stopped_recently=args.stopped_recently,
        missed_days=args.missed_days,
    )
    emit(args.json, triage_to_json(result, assumed, tz.key), _text(result, assumed, tz.key))
    return 0
