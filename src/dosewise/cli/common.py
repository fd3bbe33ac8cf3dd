"""Argument helpers and plain-text rendering shared by the CLI commands."""

from __future__ import annotations

import argparse
from datetime import date, time
from typing import Any

from dosewise.cli.output import read_document
from dosewise.domain.errors import InvalidInput
from dosewise.domain.findings import Finding
from dosewise.domain.patient import Patient
from dosewise.domain.regimen import Override, parse_clock_time
from dosewise.domain.rules import KnowledgeBase

__all__ = [
    "add_patient_option",
    "findings_text",
    "load_kb",
    "load_patient",
    "parse_date",
    "parse_overrides",
    "parse_times",
    "plan_text",
    "split_list",
]


def load_kb(args: argparse.Namespace) -> KnowledgeBase:
    from dosewise.bootstrap import knowledge_base, load_settings

    return knowledge_base(load_settings(), getattr(args, "kb_version", None))


def add_patient_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--patient", metavar="FILE", help="patient file (TOML or JSON)")


def load_patient(path: str | None) -> Patient | None:
    if not path:
        return None
    from dosewise.formats.patient_file import patient_from_document

    return patient_from_document(read_document(path))


def parse_date(text: str | None, default: date) -> date:
    if text is None:
        return default
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"'{text}' is not a date (YYYY-MM-DD)") from exc
    from dosewise.formats.reading import check_date_range

    check_date_range(day, "date", text)
    return day


def parse_overrides(values: list[str] | None, by: str = "") -> tuple[Override, ...]:
    overrides = []
    for value in values or []:
        code, _, reason = value.partition(":")
        if not code.strip() or not reason.strip():
            raise InvalidInput(
                f"override '{value}' needs CODE:REASON", hint="e.g. renal_avoid:'nephrology agreed'"
            )
        overrides.append(Override(code.strip(), reason.strip(), by))
    return tuple(overrides)


def split_list(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def parse_times(value: str | None) -> tuple[time, ...]:
    return tuple(parse_clock_time(part) for part in split_list(value))


def findings_text(findings: list[dict[str, Any]] | tuple[Finding, ...]) -> str:
    if not findings:
        return "Findings: none."
    lines = ["Findings:"]
    for item in findings:
        data: dict[str, Any] = item.to_json() if isinstance(item, Finding) else item
        step = f" (step {int(data['step']) + 1})" if data.get("step") is not None else ""
        lines.append(f"  [{str(data['severity']).upper()}] {data['code']}{step}: {data['message']}")
        lines.append(f"      source: {data['source']}")
    return "\n".join(lines)


def plan_text(document: dict[str, Any]) -> str:
    """A readable summary of a plan document (what `plan ... --json` prints, in words)."""
    lines = [
        f"{document['drug']} {document['kind']} plan ({document['route']}), knowledge base "
        f"{document['kb_version']}, times in {document['timezone']}",
    ]
    prior = document.get("prior")
    if prior:
        lines.append(
            f"  From the current regimen: {prior['dose']['value']} {prior['dose']['unit']} x{prior['times_per_day']}"
        )
    for index, step in enumerate(document["steps"], start=1):
        dose = f"{step['dose']['value']} {step['dose']['unit']}"
        daily = f"{step['daily']['value']} {step['daily']['unit']}"
        when = ", ".join(step["times"])
        lines.append(
            f"  {index}. {step['start']} to {step['end']} ({step['days']} days): {dose} x{step['times_per_day']}"
            f" at {when or '-'} = {daily} a day"
        )
        lines.append(f"     take: {step['label']}")
    last = document["steps"][-1]
    if document["then"] == "stop":
        lines.append(f"  Then: stop after {last['end']}.")
    else:
        lines.append(
            f"  Then: continue {last['dose']['value']} {last['dose']['unit']} x{last['times_per_day']} "
            "until the prescriber reviews it."
        )
    if document.get("dispense"):
        lines.append("Dispense for the plan:")
        for line in document["dispense"]:
            amount = f"{line['count']}" if "count" in line else f"{line['volume']['value']} mL"
            packs = f" ({line['packs']} packs)" if line.get("packs") else ""
            lines.append(f"  {amount} x {line['label']}{packs}")
    for override in document.get("overrides", []):
        lines.append(f"!! CLINICIAN OVERRIDE {override['code']}: {override['reason']}")
    for note in document.get("notes", []):
        lines.append(f"Note: {note}")
    lines.append(findings_text(document.get("findings", [])))
    return "\n".join(lines)
