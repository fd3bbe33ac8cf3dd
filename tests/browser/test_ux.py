"""Issue 8 in a real browser, at 1280 and 375 px: messages a person can act on, forms tied to their errors,
plain language, the 404 page and favicon, the chart, the section menu, and axe-core on every main page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import LiveServer, patient_id, register, set_up_patient, shot, start_titration
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = [1280, 375]
MAIN_PAGES = (
    "today",
    "diary",
    "plan",
    "medications",
    "profile",
    "history",
    "sharing",
    "audit",
    "calendar",
    "exports",
    "reports",
)


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def sized(request: pytest.FixtureRequest, browser: Any) -> Iterator[Page]:
    """A page at the width under test. CSP is bypassed only so that axe-core can be injected."""
    context = browser.new_context(viewport={"width": request.param, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.width = request.param  # type: ignore[attr-defined]
    yield page
    context.close()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page: WCAG A/AA, best practice and the label-name mismatch rule."""
    assert AXE.exists(), "axe-core is missing: run `npm ci` in tests/browser (scripts/test.sh does)"
    page.add_script_tag(path=str(AXE))
    result: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const r = await axe.run(document, {rules: {'label-content-name-mismatch': {enabled: true}}});
            return r.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' '))}));
        }"""
    )
    return result


def _log_symptom(page: Page, server: LiveServer, pid: str, label: str = "Hallucinations") -> None:
    page.goto(f"{server.url}/p/{pid}/diary")
    page.get_by_label(label, exact=True).check()
    page.get_by_role("button", name="Record and check").click()
    page.wait_for_load_state()


def _busy_patient(page: Page, server: LiveServer, name: str) -> str:
    """Profile, a titration begun two days ago (unrecorded doses), a low stock count and a check-in."""
    pid = set_up_patient(page, server, name)
    start_titration(page, server, pid, days_ago=2)
    page.goto(f"{server.url}/p/{pid}/today")
    page.get_by_label("How many now").fill("3")
    page.get_by_role("button", name="Save count").click()
    page.goto(f"{server.url}/p/{pid}/diary")
    for label, value in (("Stiffness (spasticity) 0-10", "6"), ("Drowsiness 0-10", "2"), ("Sleep 0-10", "7")):
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Save check-in").click()
    return pid


def test_axe_core_finds_no_violation_on_any_main_page(sized: Page, server: LiveServer) -> None:
    """Every page of a busy record (missed doses, urgent banner, low stock, calendar, downloads), the
    account, sign-in, registration, forgotten-password and 404 pages: zero axe-core violations at this
    width."""
    page = sized
    pid = _busy_patient(page, server, f"Axe Checker {page.width}")  # type: ignore[attr-defined]
    found: dict[str, Any] = {}
    for section in MAIN_PAGES:
        page.goto(f"{server.url}/p/{pid}/{section}")
        found[section] = axe_violations(page)
    _log_symptom(page, server, pid)
    for section in ("today", "diary"):
        page.goto(f"{server.url}/p/{pid}/{section}")
        found[f"{section} with the banner"] = axe_violations(page)
    for signed_in in ("home", "account"):
        page.goto(f"{server.url}/{signed_in}")
        found[signed_in] = axe_violations(page)
    page.goto(f"{server.url}/no/such/page")
    found["404"] = axe_violations(page)
    page.context.clear_cookies()
    for anonymous in ("login", "register", "forgot"):
        page.goto(f"{server.url}/{anonymous}")
        found[anonymous] = axe_violations(page)
    assert {name: v for name, v in found.items() if v} == {}


def test_the_urgent_banner_says_its_level_what_to_do_and_has_a_call_button(
    sized: Page, server: LiveServer
) -> None:
    """Hallucinations after missed doses: the one alert's heading carries 'Urgent' and the action; a tel:
    button; the date raised and the date it ends; nothing else on the page is an alert."""
    page = sized
    pid = _busy_patient(page, server, f"Uma Urgent {page.width}")  # type: ignore[attr-defined]
    _log_symptom(page, server, pid)
    for section in ("today", "diary", "plan"):
        page.goto(f"{server.url}/p/{pid}/{section}")
        banner = page.locator("section.alert")
        expect(
            banner.get_by_role("heading", name=re.compile(r"^Urgent: Get medical help today"))
        ).to_be_visible()
        call = banner.get_by_role("link", name=re.compile(r"^Call 112"))
        expect(call).to_have_attribute("href", "tel:112")
        expect(banner.get_by_text(re.compile(r"Raised by the diary entry of .* until "))).to_be_visible()
        expect(page.get_by_role("alert")).to_have_count(1)
    page.goto(f"{server.url}/p/{pid}/today")
    shot(page, f"ux-urgent-{page.width}")  # type: ignore[attr-defined]


def test_an_emergency_looks_different_from_an_urgent_message(sized: Page, server: LiveServer) -> None:
    """Slow breathing: the heading says 'Emergency: Call 112 now', and the banner's colours and call button
    differ from an urgent one's; no 'could not assess' sits beside it."""
    page = sized
    urgent_pid = set_up_patient(page, server, f"Una Urgent {page.width}")  # type: ignore[attr-defined]
    _log_symptom(page, server, urgent_pid)
    urgent = page.locator("section.alert").evaluate("e => getComputedStyle(e).backgroundColor")
    page.context.clear_cookies()
    pid = set_up_patient(page, server, f"Emil Emergency {page.width}")  # type: ignore[attr-defined]
    page.goto(f"{server.url}/p/{pid}/diary")
    page.get_by_label("Slow or shallow breathing").check()
    page.get_by_label("Anything else, in your own words").fill("purple spots")
    page.get_by_role("button", name="Record and check").click()
    banner = page.locator("section.alert")
    expect(banner.get_by_role("heading", name=re.compile(r"^Emergency: Call 112 now"))).to_be_visible()
    expect(banner.get_by_role("link", name="Call 112 (emergency)")).to_have_attribute("href", "tel:112")
    emergency = banner.evaluate("e => getComputedStyle(e).backgroundColor")
    assert emergency != urgent
    expect(page.get_by_text(re.compile("could not assess", re.I))).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(1)
    expect(page.get_by_label("Anything else, in your own words")).to_have_value("")
    shot(page, f"ux-emergency-{page.width}")  # type: ignore[attr-defined]


def test_a_refused_field_is_marked_described_and_announced_once(sized: Page, server: LiveServer) -> None:
    """A weight in pounds is refused: the summary (the one alert) links to the field, which is invalid and
    described by its message; '70,5 kg' is then accepted; a date of birth tomorrow is refused."""
    page = sized
    pid = set_up_patient(page, server, f"Fay Fields {page.width}")  # type: ignore[attr-defined]
    page.goto(f"{server.url}/p/{pid}/profile")
    page.get_by_label("Weight (kg)").fill("154 lb")
    page.get_by_role("button", name="Save profile").click()
    weight = page.get_by_label("Weight (kg)")
    expect(weight).to_have_attribute("aria-invalid", "true")
    expect(weight).to_have_accessible_description(re.compile("weight: 'lb' is not the unit here"))
    expect(page.get_by_role("alert")).to_have_count(1)
    expect(page.get_by_role("alert").get_by_role("link", name="Weight")).to_have_attribute(
        "href", "#weight_kg"
    )
    expect(weight).to_have_value("154 lb")
    weight.fill("70,5 kg")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Profile saved.")).to_be_visible()
    expect(page.get_by_label("Weight (kg)")).to_have_value("70.5")
    page.get_by_label("Date of birth").fill("2099-01-01")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_label("Date of birth")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("Date of birth")


def test_long_text_typed_into_a_refused_form_is_kept(sized: Page, server: LiveServer) -> None:
    """2,000 characters in the diary's own-words box survive a refusal (nothing ticked, nothing to check)."""
    page = sized
    pid = set_up_patient(page, server, f"Lou Long {page.width}")  # type: ignore[attr-defined]
    page.goto(f"{server.url}/p/{pid}/diary")
    long_text = ("my legs felt heavy and stiff after the morning walk " * 40)[:2000]
    box = page.get_by_label("Anything else, in your own words")
    box.fill(long_text)
    page.evaluate("document.getElementById('sev-moderate').value = 'unbearable'")
    page.get_by_role("button", name="Record and check").click()
    expect(page.locator(".flash-error")).to_be_visible()
    expect(page.get_by_label("Anything else, in your own words")).to_have_value(long_text)


def test_an_unknown_address_shows_the_404_page_and_the_favicon_loads(sized: Page, server: LiveServer) -> None:
    """A mistyped address answers 404 with the site's page and a way back; /favicon.ico is an icon."""
    page = sized
    register(page, server, f"Nat Notfound {page.width}")  # type: ignore[attr-defined]
    response = page.goto(f"{server.url}/p/nothing-here/today/extra")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_role("link", name="Go to your records")).to_be_visible()
    icon = page.request.get(f"{server.url}/favicon.ico")
    assert icon.status == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")


def test_the_chart_has_titled_axes_with_units_and_a_legend(sized: Page, server: LiveServer) -> None:
    """The diary chart names its dose axis in mg a day and its score axis 0-10, with a legend."""
    page = sized
    pid = _busy_patient(page, server, f"Cal Chart {page.width}")  # type: ignore[attr-defined]
    page.goto(f"{server.url}/p/{pid}/diary")
    chart = page.locator("svg.chart")
    expect(chart.locator("text.axis-title", has_text="Dose (mg a day)")).to_have_count(1)
    expect(chart.locator("text.axis-title", has_text="Score (0 none, 10 worst)")).to_have_count(1)
    for label in ("planned", "taken", "stiffness", "drowsiness"):
        expect(chart.locator(".chart-legend text", has_text=label)).to_have_count(1)
    top = chart.locator("text.axis").evaluate_all("els => els.map(e => e.textContent)")
    assert "60" not in top[:5] or "45" not in top[:5]  # the dose axis is fitted, not a fixed scale
    shot(page, f"ux-chart-{page.width}")  # type: ignore[attr-defined]


def test_the_section_menu_shows_that_it_scrolls_on_a_narrow_screen(sized: Page, server: LiveServer) -> None:
    """At 375 px the menu overflows and says so ('scroll sideways for more'); at 1280 px it does not."""
    page = sized
    pid = set_up_patient(page, server, f"Mo Menu {page.width}")  # type: ignore[attr-defined]
    page.goto(f"{server.url}/p/{pid}/today")
    hint = page.locator(".scroll-hint .more")
    if page.width == 375:  # type: ignore[attr-defined]
        expect(page.locator("nav.sections[data-scrolls]")).to_have_count(1)
        expect(hint).to_be_visible()
        page.locator("nav.sections ul").evaluate("ul => ul.scrollLeft = ul.scrollWidth")
        expect(hint).to_be_hidden()
    else:
        expect(hint).to_be_hidden()


def test_kidney_numbers_are_explained_and_creatinine_stays_in_its_unit(
    sized: Page, server: LiveServer
) -> None:
    """Creatinine typed in micromol/L is shown in micromol/L; CrCl is explained in plain words."""
    page = sized
    pid = set_up_patient(page, server, f"Kim Kidney {page.width}")  # type: ignore[attr-defined]
    page.goto(f"{server.url}/p/{pid}/profile")
    page.get_by_label("Value").fill("62")
    page.get_by_label("Unit").select_option("umol/L")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Serum creatinine: 62 micromol/L")).to_be_visible()
    expect(page.get_by_text(re.compile(r"about \d+ mL of blood cleaned each minute"))).to_be_visible()


def test_a_caregiver_is_addressed_as_the_caregiver(sized: Page, server: LiveServer, browser: Any) -> None:
    """The caregiver's banner asks them to get help for the patient, by name, and says who they are."""
    page = sized
    pid = set_up_patient(page, server, f"Pia Patient {page.width}")  # type: ignore[attr-defined]
    _log_symptom(page, server, pid)
    carer_context = browser.new_context(viewport={"width": page.width, "height": 900})  # type: ignore[attr-defined]
    carer = carer_context.new_page()
    carer_email = register(carer, server, f"Cass Carer {page.width}", role="caregiver")  # type: ignore[attr-defined]
    carer_name = f"Cass Carer {page.width}"  # type: ignore[attr-defined]
    page.goto(f"{server.url}/p/{pid}/sharing")
    page.get_by_label("Their e-mail").fill(carer_email)
    page.get_by_label(re.compile("^Caregiver")).check()
    page.get_by_role("button", name="Invite").click()
    carer.goto(page.get_by_role("textbox", name="Invitation link").input_value())
    carer.get_by_role("button", name="Accept the invitation").click()
    page.goto(f"{server.url}/p/{pid}/sharing")
    page.get_by_role("button", name=f"Confirm {carer_name}").click()
    carer.goto(f"{server.url}/p/{pid}/today")
    banner = carer.locator("section.alert")
    expect(banner.get_by_role("heading", name=re.compile(f"for Pia Patient {page.width}"))).to_be_visible()  # type: ignore[attr-defined]
    expect(banner.get_by_text(re.compile("You are seeing this as .*'s caregiver"))).to_be_visible()
    carer_context.close()
    assert patient_id(page)
