"""Shortcuts for the reminder tests: a patient on a plan with a device subscribed at the local push
service, and one scheduler tick driven by the test's clock."""

from __future__ import annotations

from typing import Any

from push_peer import PushPeer, Subscription
from web_support import Person, set_profile, start_titration

from dosewise.bootstrap.web import WebContext
from dosewise.services.scheduler import SendReport, schedule_due_work, send_due


def tick(ctx: WebContext, worker: str = "test-worker") -> SendReport:
    """What one tick of `dosewise serve`'s scheduler does: schedule what is coming, send what is due."""
    schedule_due_work(store=ctx.store, kb=ctx.kb, clock=ctx.clock)
    total = SendReport()
    while True:
        report = send_due(
            store=ctx.store,
            kb=ctx.kb,
            clock=ctx.clock,
            sender=ctx.push,
            mailer=ctx.mailer,
            worker=worker,
            secret=ctx.secret_key,
            base_url=ctx.settings.base_url,
        )
        if not report.claimed:
            return total
        total.claimed += report.claimed
        total.delivered += report.delivered
        total.failed += report.failed
        total.not_sent += report.not_sent


def subscribe_device(person: Person, peer: PushPeer, pid: str | None = None) -> Subscription:
    """A browser's subscription at the push service, handed to dosewise as the page's script does."""
    key = person.api("GET", "/api/v1/push/key").json()["public_key"]
    subscription = peer.subscribe(key)
    answer = person.api(
        "POST", f"/api/v1/patients/{pid or person.patient_id}/push-subscriptions", json=subscription.as_json()
    )
    assert answer.status_code == 201, answer.text
    return subscription


def on_plan(person: Person) -> Person:
    """The label titration from 10 Nov: 5 mg at 08:00, 14:00 and 20:00 (London)."""
    set_profile(person)
    assert start_titration(person).status_code == 201
    return person


def deliveries(person: Person) -> list[dict[str, Any]]:
    answer = person.api("GET", f"/api/v1/patients/{person.patient_id}/deliveries")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["deliveries"])
