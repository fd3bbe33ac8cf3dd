"""`dosewise demo`: seed a patient part-way through a titration, with a caregiver and a clinician."""

from __future__ import annotations

import argparse
from typing import Any

from dosewise.cli.output import emit

__all__ = ["register"]


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("demo", parents=parents, help="seed a demo record and print the logins")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from dosewise.bootstrap import load_settings
    from dosewise.bootstrap.web import build_web_context
    from dosewise.services.demo_seed import seed_demo

    settings = load_settings()
    context = build_web_context(settings)
    try:
        logins = seed_demo(store=context.store, kb=context.kb, hasher=context.hasher, clock=context.clock)
    finally:
        context.close()
    address = f"http://{settings.host}:{settings.port}"
    payload = {
        "created": logins.created,
        "address": address,
        "password": logins.password,
        "logins": {"patient": logins.patient, "caregiver": logins.caregiver, "clinician": logins.clinician},
        "patient_id": logins.patient_id,
    }
    text = "\n".join(
        [
            ("Seeded" if logins.created else "Already seeded")
            + f": a baclofen titration in progress ({address}).",
            f"  patient    {logins.patient}",
            f"  caregiver  {logins.caregiver}",
            f"  clinician  {logins.clinician}",
            f"  password   {logins.password}  (the same for all three; demo only)",
            "Start the app with: dosewise serve",
        ]
    )
    emit(args.json, payload, text)
    return 0
