"""`dosewise export FORMAT ...`: a plan file written in another format. One subcommand per format
(`fhir` here; each format adds its own register function to ``_FORMATS``)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from dosewise.cli.common import add_patient_option, load_kb, load_patient
from dosewise.cli.output import read_document

__all__ = ["register"]


def _register_fhir(formats: Any, parents: list[argparse.ArgumentParser]) -> None:
    fhir = formats.add_parser(
        "fhir",
        parents=parents,
        help="the plan as a FHIR R4 Bundle (Patient, MedicationRequest, MedicationStatement, DetectedIssue)",
    )
    fhir.add_argument("plan", metavar="PLAN_FILE", help="plan document (JSON or TOML; '-' for stdin)")
    add_patient_option(fhir)
    fhir.add_argument(
        "--per-step",
        action="store_true",
        help="one MedicationRequest per step, chained by priorPrescription (for readers of dosageInstruction[0])",
    )
    fhir.add_argument("-o", "--output", metavar="FILE", help="write the Bundle to FILE instead of stdout")
    fhir.set_defaults(handler=_run_fhir)


def _register_ical(formats: Any, parents: list[argparse.ArgumentParser]) -> None:
    from dosewise.cli.commands import export_ical

    export_ical.register(formats, parents)


_FORMATS: tuple[Callable[[Any, list[argparse.ArgumentParser]], None], ...] = (_register_fhir, _register_ical)


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    export = subparsers.add_parser("export", help="write a plan in another format (fhir, ical)")
    formats = export.add_subparsers(dest="export_format", metavar="FORMAT")
    formats.required = True
    for register_format in _FORMATS:
        register_format(formats, parents)


def _run_fhir(args: argparse.Namespace) -> int:
    from dosewise.formats.plan_document import plan_from_document
    from dosewise.services.fhir_exchange import plan_bundle

    kb = load_kb(args)
    plan = plan_from_document(read_document(args.plan), kb)
    bundle = plan_bundle(
        kb=kb, plan=plan, patient=load_patient(args.patient), now=datetime.now(UTC), per_step=args.per_step
    )
    text = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        from pathlib import Path

        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
