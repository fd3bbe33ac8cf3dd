"""The main journeys in a real browser: register, profile and medicines with an interaction warning, a
titration, today's doses, missed-dose advice, an urgent banner, a clinician with access, and a stranger."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_support import PASSWORD, LiveServer, register, shot
from browser_support import patient_id as _patient_id
from browser_support import set_up_patient as _set_up_patient
from browser_support import start_titration as _start_titration
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_a_patient_registers_sets_up_the_profile_and_sees_an_interaction(
    page: Page, server: LiveServer
) -> None:
    """Register, fill the profile (CrCl appears with its formula), add medicines, see the interaction live."""
    pid = _set_up_patient(page, server)
    expect(page.get_by_text("Profile saved.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"CrCl \d+ mL/min"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"mL of blood cleaned each minute"))).to_be_visible()
    page.get_by_text("How CrCl is worked out (for clinicians)").click()
    expect(page.get_by_text("Cockcroft-Gault:")).to_be_visible()
    page.get_by_role("link", name="Medicines").click()
    name = page.get_by_label("Medicine name or brand")
    for medicine in ("baclofen", "Valium", "Zyxorin"):
        name.fill(medicine)
        page.get_by_role("button", name="Add to the list").click()
        expect(page.locator("#medication-panel").get_by_text(medicine, exact=True)).to_be_visible()
    panel = page.locator("#medication-panel")
    expect(panel.get_by_text("Major")).to_be_visible()
    expect(panel.get_by_text("not screened").first).to_be_visible()
    assert f"/p/{pid}/medications" in page.url
    shot(page, "medications")


def test_a_patient_enters_the_titration_their_clinician_prescribed(page: Page, server: LiveServer) -> None:
    """The planner previews live with findings, then the plan becomes version 1."""
    pid = _set_up_patient(page, server, "Bea Titrate")
    page.goto(f"{server.url}/p/{pid}/plan?drug=baclofen")
    page.get_by_label("Target per day").fill("60 mg")
    expect(page.locator("#plan-preview").get_by_text("Preview: titration of baclofen")).to_be_visible()
    page.get_by_label("Target per day").fill("200 mg")
    expect(page.locator("#plan-preview").get_by_text("above the labelled maximum")).to_be_visible()
    page.get_by_label("Target per day").fill("60 mg")
    _start_titration(page, server, pid)
    expect(page.get_by_text("three times a day").first).to_be_visible()
    shot(page, "plan")


def test_a_patient_takes_todays_dose_once_even_when_clicking_twice(page: Page, server: LiveServer) -> None:
    """'Taken' records the dose; the history holds exactly one entry."""
    pid = _set_up_patient(page, server, "Cy Taker")
    _start_titration(page, server, pid)
    page.goto(f"{server.url}/p/{pid}/today")
    page.get_by_role("button", name=re.compile(r"^Taken: 5 mg")).first.dblclick()
    expect(page.get_by_text(re.compile(r"Recorded: 5 mg taken|Already recorded"))).to_be_visible()
    expect(page.locator(".status-taken").first).to_be_visible()
    shot(page, "today")
    page.goto(f"{server.url}/p/{pid}/history")
    expect(page.locator("table.history tbody tr")).to_have_count(1)


def test_missed_doses_get_advice_and_hallucinations_raise_the_urgent_banner(
    page: Page, server: LiveServer
) -> None:
    """Two days of unrecorded doses give missed-dose advice; hallucinations then show the urgent banner."""
    pid = _set_up_patient(page, server, "Dee Missed")
    _start_titration(page, server, pid, days_ago=2)
    page.goto(f"{server.url}/p/{pid}/today")
    advice = page.locator("section.advice")
    expect(advice.get_by_role("heading", name=re.compile("Missed dose"))).to_be_visible()
    expect(page.get_by_role("heading", name="Earlier, not recorded")).to_be_visible()
    page.get_by_role("link", name="Diary").click()
    page.get_by_label("hallucinations").check()
    page.get_by_role("button", name="Record and check").click()
    banner = page.locator("section.alert")
    expect(banner).to_be_visible()
    expect(banner.get_by_role("heading", name=re.compile("^Urgent: Get medical help today"))).to_be_visible()
    shot(page, "urgent")
    page.get_by_role("link", name="Today").click()
    expect(page.locator("section.alert")).to_be_visible()


def test_a_clinician_with_access_sees_the_patient(page: Page, server: LiveServer, browser: Any) -> None:
    """The patient invites a clinician, hands over the link, the clinician accepts, the patient confirms
    the name shown; only then does the clinician open the record and change the plan."""
    pid = _set_up_patient(page, server, "Eve Shared")
    _start_titration(page, server, pid)
    doctor_page = browser.new_page()
    doctor_email = register(doctor_page, server, "Dr Fay Clinic", role="clinician")
    page.goto(f"{server.url}/p/{pid}/sharing")
    page.get_by_label("Their e-mail").fill(doctor_email)
    page.get_by_label("Clinician: view and change plans").check()
    page.get_by_role("button", name="Invite").click()
    link = page.get_by_role("textbox", name="Invitation link").input_value()
    assert link.startswith(server.url + "/invitations/")
    doctor_page.goto(server.url + "/home")
    expect(doctor_page.get_by_role("link", name="Eve Shared")).to_have_count(0)
    doctor_page.goto(link)
    doctor_page.get_by_role("button", name="Accept the invitation").click()
    expect(doctor_page.get_by_role("heading", name="Invitation accepted")).to_be_visible()
    doctor_page.goto(f"{server.url}/p/{pid}/today")
    expect(doctor_page.get_by_role("heading", name=re.compile("^Today"))).to_have_count(0)
    page.goto(f"{server.url}/p/{pid}/sharing")
    expect(page.get_by_text("Dr Fay Clinic")).to_be_visible()
    page.get_by_role("button", name="Confirm Dr Fay Clinic").click()
    expect(page.get_by_text("Dr Fay Clinic now has clinician access.")).to_be_visible()
    doctor_page.goto(server.url + "/home")
    doctor_page.get_by_role("link", name="Eve Shared").click()
    expect(doctor_page.get_by_role("heading", name=re.compile("^Today"))).to_be_visible()
    doctor_page.get_by_role("link", name="Plan").click()
    expect(doctor_page.get_by_text("Slow down: each remaining step lasts twice as long")).to_be_visible()
    expect(doctor_page.get_by_role("heading", name="Stop through a taper")).to_be_visible()
    doctor_page.close()


# Plausible values for every form field, so each request reaches the permission check.
FORM = {
    "name": "x",
    "text": "dizzy",
    "reason": "x",
    "adjustment": "pause",
    "email": "a@example.org",
    "access": "caregiver",
    "slot_date": "2026-11-10",
    "slot_index": "0",
    "action": "taken",
    "idempotency_key": "k" * 12,
    "spasticity": "1",
    "spasm_frequency": "1",
    "sleep_quality": "1",
    "drowsiness": "1",
    "product_id": "baclofen-tab-5mg",
    "amount": "3",
}


def test_a_stranger_gets_nothing_on_any_page_or_api_route(
    page: Page, server: LiveServer, browser: Any
) -> None:
    """Another signed-in person gets a refusal on every route of the record, and never its data."""
    from web_routes import patient_routes

    pid = _set_up_patient(page, server, "Gus Private")
    _start_titration(page, server, pid)
    stranger = browser.new_page()
    register(stranger, server, "Hal Stranger", role="clinician")
    token = stranger.locator('input[name="csrf_token"]').first.get_attribute("value")
    checked = 0
    for method, path in patient_routes(server.app, pid):
        if method == "GET" and not path.startswith("/api/"):
            response = stranger.goto(server.url + path)
            status, body = response.status, stranger.content()
        elif path.startswith("/api/"):
            response = stranger.request.fetch(
                server.url + path,
                method=method,
                max_redirects=0,
                headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
                data="{}",
            )
            status, body = response.status, response.text()
        else:
            response = stranger.request.fetch(
                server.url + path, method=method, max_redirects=0, form={"csrf_token": token, **FORM}
            )
            status, body = response.status, response.text()
        allowed = (404, 422) if path.startswith("/api/") else (404,)
        assert status in allowed, f"{method} {path} answered {status}"
        assert "Gus Private" not in body, f"{method} {path} leaked the name"
        checked += 1
    assert checked > 30
    stranger.close()


def test_pages_fit_a_375_pixel_wide_screen(page: Page, server: LiveServer) -> None:
    """At 375 px no page scrolls sideways, and the dose buttons are at least 44 px tall."""
    page.set_viewport_size({"width": 375, "height": 812})
    pid = _set_up_patient(page, server, "Ivy Phone")
    _start_titration(page, server, pid, days_ago=1)
    for section in ("today", "diary", "plan", "medications", "profile", "history", "sharing", "audit"):
        page.goto(f"{server.url}/p/{pid}/{section}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{section} is {width} px wide"
        if section == "today":
            shot(page, "today-375")
            height = page.get_by_role("button", name=re.compile(r"^Taken")).first.bounding_box()["height"]
            assert height >= 44
        if section == "diary":
            shot(page, "diary-375")


def test_every_input_on_every_page_has_a_label(page: Page, server: LiveServer) -> None:
    """No visible input, select or text area lacks a label."""
    pid = _set_up_patient(page, server, "Jo Labels")
    _start_titration(page, server, pid, days_ago=1)
    script = """() => Array.from(document.querySelectorAll('input, select, textarea'))
        .filter(el => el.type !== 'hidden')
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
        .map(el => el.name || el.id)"""
    for path in ("/login", "/register"):
        page.context.clear_cookies()
        page.goto(server.url + path)
        assert page.evaluate(script) == [], path
    register(page, server, "Jo Labels Again")
    pid = _patient_id(page)
    _start_titration(page, server, pid, days_ago=1)
    for section in ("today", "diary", "plan", "medications", "profile", "history", "sharing", "audit"):
        page.goto(f"{server.url}/p/{pid}/{section}")
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        assert page.evaluate(script) == [], section


def test_the_main_flow_works_with_the_keyboard_alone(page: Page, server: LiveServer) -> None:
    """Skip link first; sign in and record a dose using only Tab, typing and Enter."""
    email = register(page, server, "Kit Keys")
    pid = _patient_id(page)
    _start_titration(page, server, pid)
    page.context.clear_cookies()
    page.goto(server.url + "/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.locator("#email").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/today$"))
    taken = page.get_by_role("button", name=re.compile(r"^Taken: 5 mg")).first
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label') || ''").startswith("Taken: 5 mg"):
            break
    else:
        pytest.fail("the Taken button cannot be reached with Tab")
    assert taken.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(r"Recorded: 5 mg taken"))).to_be_visible()
