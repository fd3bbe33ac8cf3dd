"""Issue 8's follow-ups in Debian's Chromium at 1280 and 375 px: a plan change previewed before it is
saved, refusals marked on their fields on Today, and the clinician's number on the urgent banner.
Screenshots go to docs/screenshots/issue-8/ (named by width)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import LiveServer, set_up_patient, start_titration
from playwright.sync_api import Page, expect
from test_ux import axe_violations

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "issue-8"


@pytest.fixture(params=[1280, 375], ids=lambda w: f"{w}px")
def sized(request: pytest.FixtureRequest, browser: Any) -> Iterator[Page]:
    """A page at the width under test (CSP bypassed only so that axe-core can be injected)."""
    context = browser.new_context(viewport={"width": request.param, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.width = request.param  # type: ignore[attr-defined]
    yield page
    context.close()


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.width}.png"), full_page=True)  # type: ignore[attr-defined]


def test_a_pause_is_previewed_live_before_it_is_saved(sized: Page, server: LiveServer) -> None:
    """On the Plan page, choosing "Pause" shows the whole timeline it would store; the change is saved
    only with that preview, and the page then says the dose is held."""
    page = sized
    pid = set_up_patient(page, server, "Pia Pause")
    start_titration(page, server, pid)
    page.goto(f"{server.url}/p/{pid}/plan")
    page.get_by_label("Why", exact=True).fill("too sleepy in the afternoon")
    preview = page.locator("#adjust-preview")
    expect(
        preview.get_by_role("heading", name=re.compile("^Preview: adjustment of baclofen"))
    ).to_be_visible()
    assert axe_violations(page) == []
    _shot(page, "plan-change-preview")
    page.get_by_role("button", name="Change the plan").click()
    expect(page.get_by_text("Plan paused: the current dose is held (version 2).")).to_be_visible()
    expect(page.get_by_text(re.compile("^Paused since"))).to_be_visible()


def test_refusals_on_today_are_marked_on_their_fields(sized: Page, server: LiveServer) -> None:
    """A stock count of "a few" and a dose time of "soon": each is marked on its own field, described by
    the message, with one summary that links to it."""
    page = sized
    pid = set_up_patient(page, server, "Rae Refused")
    start_titration(page, server, pid)
    page.goto(f"{server.url}/p/{pid}/today")
    page.get_by_label("How many now").fill("a few")
    page.get_by_role("button", name="Save count").click()
    amount = page.get_by_label("How many now")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_have_attribute("aria-describedby", "err-amount")
    expect(page.locator('[role="alert"]')).to_have_count(1)
    expect(page.locator('[role="alert"] a[href="#stock-amount"]')).to_be_visible()
    assert axe_violations(page) == []
    _shot(page, "today-stock-refused")


def test_the_urgent_banner_offers_to_call_the_clinician(sized: Page, server: LiveServer) -> None:
    """With the clinician's number on the profile, the urgent banner has "Call your clinician" (tel:)
    beside the emergency number; a number with letters is refused on its field first."""
    page = sized
    pid = set_up_patient(page, server, "Cy Caller")
    start_titration(page, server, pid)
    page.goto(f"{server.url}/p/{pid}/profile")
    phone = page.get_by_label(re.compile("^Your clinician's phone number"))
    phone.fill("ring Dr Lee")
    page.get_by_role("button", name="Save profile").click()
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_value("ring Dr Lee")
    phone.fill("+44 (0)20 7946 0000")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Profile saved.")).to_be_visible()
    page.goto(f"{server.url}/p/{pid}/diary")
    page.get_by_label("hallucinations").check()
    page.get_by_role("button", name="Record and check").click()
    call = page.locator("section.alert").get_by_role("link", name=re.compile("^Call your clinician"))
    expect(call).to_have_attribute("href", "tel:+442079460000")
    page.goto(f"{server.url}/p/{pid}/today")
    expect(page.locator("section.alert a.call-clinician")).to_be_visible()
    assert axe_violations(page) == []
    _shot(page, "urgent-banner-with-clinician")
