"""The service worker in Debian's Chromium: the Reminders page registers it at the root scope, a push
message (delivered through the DevTools protocol, as a push service would hand it to the browser) becomes
a notification with the reminder's title, text, tag and Taken / Snooze buttons, and a second message with
the same tag replaces the first instead of adding one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from browser_support import LiveServer, set_up_patient
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

_NOTIFICATIONS = """() => navigator.serviceWorker.ready
  .then(r => r.getNotifications())
  .then(list => list.map(n => ({title: n.title, body: n.body, tag: n.tag, silent: n.silent,
                                actions: n.actions.map(a => a.action), url: n.data.url, token: n.data.token})))"""


def _payload(title: str, tag: str, silent: bool = False) -> str:
    """What the server pushes for a dose reminder (services.scheduler._payload)."""
    return json.dumps(
        {
            "title": title,
            "body": "baclofen 5 mg: 1 tablet of 5 mg",
            "tag": tag,
            "url": "/home",
            "actions": ["taken", "snooze"],
            "token": "12.0123456789abcdef0123456789abcdef",
            "silent": silent,
            "job": 12,
            "kind": "dose",
        }
    )


def test_the_service_worker_shows_a_pushed_reminder_with_its_buttons(
    browser: Any, server: LiveServer
) -> None:
    """Registered from the Reminders page with scope "/"; a pushed reminder shows with Taken and Snooze;
    the same tag pushed again (a snooze) replaces it; the page says notifications are off until turned on."""
    context = browser.new_context()
    context.grant_permissions(["notifications"], origin=server.url)
    page = context.new_page()
    pid = set_up_patient(page, server, "Rae Minder")
    page.goto(f"{server.url}/p/{pid}/reminders")
    expect(page.get_by_role("heading", name="Reminders and alerts", exact=True)).to_be_visible()
    expect(page.locator("#device-status")).to_have_text("Notifications are off for this device.")
    expect(page.get_by_role("button", name="Turn on notifications on this device")).to_be_visible()
    scope = page.evaluate("() => navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == server.url + "/"

    cdp = context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"])
    )
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(500)
    registration = next(r for r in registrations if r["scopeURL"] == server.url + "/" and not r["isDeleted"])

    def push(data: str) -> None:
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": server.url, "registrationId": registration["registrationId"], "data": data},
        )

    push(_payload("Time for your 08:00 dose", "dose-x-2026-11-10-0"))
    page.wait_for_function(
        "() => navigator.serviceWorker.ready.then(r => r.getNotifications()).then(l => l.length === 1)"
    )
    [shown] = page.evaluate(_NOTIFICATIONS)
    assert shown["title"] == "Time for your 08:00 dose"
    assert shown["body"] == "baclofen 5 mg: 1 tablet of 5 mg"
    assert shown["actions"] == ["taken", "snooze"]
    assert shown["tag"] == "dose-x-2026-11-10-0"
    assert shown["token"] == "12.0123456789abcdef0123456789abcdef"

    push(_payload("Time for your 08:00 dose (again)", "dose-x-2026-11-10-0", silent=True))
    page.wait_for_function(
        "() => navigator.serviceWorker.ready.then(r => r.getNotifications())"
        ".then(l => l.length === 1 && l[0].title.endsWith('(again)'))"
    )
    push(_payload("Time for your 14:00 dose", "dose-x-2026-11-10-1"))
    page.wait_for_function(
        "() => navigator.serviceWorker.ready.then(r => r.getNotifications()).then(l => l.length === 2)"
    )
    titles = sorted(n["title"] for n in page.evaluate(_NOTIFICATIONS))
    assert titles == ["Time for your 08:00 dose (again)", "Time for your 14:00 dose"]
    context.close()
