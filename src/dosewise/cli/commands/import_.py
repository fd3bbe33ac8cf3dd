"""`dosewise import fhir FILE`: a FHIR R4 Bundle, MedicationRequest or MedicationStatement read into a
plan document and a medication list. All or nothing: an element dosewise cannot read is refused (exit 2,
naming it); an imported plan the checker blocks is refused (exit 3) like any plan that would be stored."""

from __future__ import annotations

import argparse
import json
from typing import Any

from dosewise.cli.common import add_patient_option, load_kb, load_patient, parse_date, plan_text
from dosewise.cli.output import emit, read_document

__all__ = ["register"]


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    command = subparsers.add_parser(
        "import", help="read another format into a plan and medication list (fhir)"
    )
    formats = command.add_subparsers(dest="import_format", metavar="FORMAT")
    formats.required = True
    fhir = formats.add_parser(
        "fhir", parents=parents, help="a FHIR R4 Bundle, MedicationRequest or MedicationStatement"
    )
    fhir.add_argument("file", metavar="FILE", help="FHIR R4 JSON ('-' for stdin)")
    add_patient_option(fhir)
    fhir.add_argument("--start", metavar="DATE", help="first day, when the first step does not give it")
    fhir.add_argument(
        "--plan-out", metavar="FILE", help="also write the plan document to FILE (for `dosewise check`)"
    )
    fhir.set_defaults(handler=_run_fhir)


def _medication_json(medication: Any) -> dict[str, Any]:
    return {
        "name": medication.name,
        "dose": medication.dose.to_json() if medication.dose is not None else None,
        "times_per_day": medication.times_per_day,
    }


def _run_fhir(args: argparse.Namespace) -> int:
    from datetime import date

    from dosewise.services.documents import plan_to_document
    from dosewise.services.fhir_exchange import import_fhir

    kb = load_kb(args)
    start = parse_date(args.start, date.today()) if args.start else None
    result = import_fhir(
        kb=kb, data=read_document(args.file), patient=load_patient(args.patient), start=start
    )
    document = plan_to_document(result.plan, kb.drug(result.plan.drug)) if result.plan is not None else None
    if document is not None and args.plan_out:
        from pathlib import Path

        Path(args.plan_out).write_text(
            json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    medications = [_medication_json(m) for m in result.medications.medications]
    payload = {
        "kb_version": kb.version,
        "plan": document,
        "medications": medications,
        "ignored": list(result.medications.ignored),
    }
    lines = [plan_text(document) if document is not None else "No plan in the file."]
    lines.append("Medication list:" if medications else "Medication list: none.")
    for item in medications:
        dose = f" {item['dose']['value']} {item['dose']['unit']}" if item["dose"] else ""
        times = f" x{item['times_per_day']} a day" if item["times_per_day"] else ""
        lines.append(f"  {item['name']}{dose}{times}")
    for line in result.medications.ignored:
        lines.append(f"Not imported: {line}")
    emit(args.json, payload, "\n".join(lines))
    return 0
