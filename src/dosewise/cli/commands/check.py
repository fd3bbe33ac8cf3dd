"""`dosewise check PLAN_FILE`: findings for any plan, generated or written by hand.

Exit 0 when nothing is major or worse, 1 when a finding needs attention (major or contraindicated).
"""

from __future__ import annotations

import argparse
from typing import Any

from dosewise.cli.common import add_patient_option, findings_text, load_kb, load_patient
from dosewise.cli.output import emit, read_document

__all__ = ["register"]

EXIT_NEEDS_ATTENTION = 1


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("check", parents=parents, help="check a plan document against the rules")
    parser.add_argument("plan", metavar="PLAN_FILE", help="plan document (JSON or TOML; '-' for stdin)")
    add_patient_option(parser)
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from dosewise.domain.findings import highest
    from dosewise.domain.rules import Severity
    from dosewise.formats.plan_document import plan_from_document
    from dosewise.services.planning import check

    kb = load_kb(args)
    plan = plan_from_document(read_document(args.plan), kb)
    checked = check(kb=kb, plan=plan, patient=load_patient(args.patient))
    top = highest(checked.findings)
    attention = top is not None and top.rank >= Severity.MAJOR.rank
    payload = {
        "kb_version": kb.version,
        "plan_kb_version": plan.kb_version,
        "drug": plan.drug,
        "highest": top.value if top else None,
        "needs_attention": attention,
        "findings": [f.to_json() for f in checked.findings],
    }
    verdict = "NEEDS ATTENTION" if attention else "no major findings"
    text = f"Checked {plan.drug} plan against knowledge base {kb.version}: {verdict}.\n"
    emit(args.json, payload, text + findings_text(checked.findings))
    return EXIT_NEEDS_ATTENTION if attention else 0
