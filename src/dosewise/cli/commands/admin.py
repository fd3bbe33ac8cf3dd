"""`dosewise admin reset-link EMAIL`: print a one-time password-reset link (no e-mail needed).
`dosewise admin cds-feedback`: how often each CDS Hooks card was accepted or overridden, and why."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from dosewise.cli.output import emit

__all__ = ["register"]


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("admin", parents=parents, help="administrator tasks on the web app's data")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    reset = actions.add_parser(
        "reset-link",
        parents=parents,
        help="print a one-time, short-lived link that lets the account's owner set a new password",
    )
    reset.add_argument("email", help="the account's e-mail address")
    reset.set_defaults(handler=_reset_link)
    feedback = actions.add_parser(
        "cds-feedback",
        parents=parents,
        help="count the CDS Hooks feedback: per service, finding, outcome and override reason",
    )
    feedback.set_defaults(handler=_cds_feedback)


def _cds_feedback(args: argparse.Namespace) -> int:
    from dosewise.bootstrap import load_settings
    from dosewise.bootstrap.web import build_web_context
    from dosewise.services.cds_records import feedback_summary

    context = build_web_context(load_settings())
    try:
        counts = feedback_summary(store=context.store)
    finally:
        context.close()
    rows = [
        {
            "service": c.service_id,
            "finding": c.code,
            "outcome": c.outcome,
            "reason": c.override_code,
            "count": c.count,
        }
        for c in counts
    ]
    lines = [
        f"{r['count']:>6}  {r['service']}  {r['finding']}  {r['outcome']}  {r['reason'] or '-'}" for r in rows
    ]
    emit(args.json, {"feedback": rows}, "\n".join(lines) if lines else "No CDS Hooks feedback yet.")
    return 0


def _reset_link(args: argparse.Namespace) -> int:
    from dosewise.bootstrap import load_settings
    from dosewise.bootstrap.web import build_web_context
    from dosewise.services.passwords import issue_reset_link, reset_lifetime_minutes

    settings = load_settings()
    context = build_web_context(settings)
    try:
        link = issue_reset_link(
            store=context.store, clock=context.clock, email=args.email, base_url=settings.base_url
        )
    finally:
        context.close()
    if link is None:
        if args.json:
            emit(True, {"error": {"code": "not_found", "message": "no account has this e-mail"}}, "")
        sys.stderr.write(f"no account has the e-mail address {args.email}\n")
        return 2
    # The lifetime is the one the service enforces, not a second copy of it in this text.
    minutes = reset_lifetime_minutes()
    emit(
        args.json,
        {"email": args.email, "link": link},
        f"One-time password-reset link for {args.email} (valid for {minutes} minutes; give it only to them):"
        f"\n{link}",
    )
    return 0
