"""The guides in a real browser: public pages and the comparison table with zero axe-core violations at
1280 and 375 px, sources opened on request, the print layout, and a record's personal guide reached from
the plan page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser_support import LiveServer, set_up_patient, shot, start_titration
from playwright.sync_api import Page, expect
from test_ux import axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture(params=[1280, 375], ids=lambda w: f"{w}px")
def sized(request: pytest.FixtureRequest, browser: Any) -> Iterator[Page]:
    """A page at the width under test (CSP bypassed only so that axe-core can be injected)."""
    context = browser.new_context(viewport={"width": request.param, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.width = request.param  # type: ignore[attr-defined]
    yield page
    context.close()


def test_every_guide_page_has_no_axe_violation(sized: Page, server: LiveServer) -> None:
    """The index, each guide, the comparison (both views) and a personal guide: zero violations."""
    page = sized
    kb = server.app.state.ctx.kb
    found: dict[str, Any] = {}
    for path in ["/guides", "/guides/compare", "/guides/compare?view=clinician"] + [
        f"/guides/{gid}" for gid in kb.guides
    ]:
        page.goto(server.url + path)
        found[path] = axe_violations(page)
    pid = set_up_patient(page, server, f"Gia Guide {page.width}")  # type: ignore[attr-defined]
    start_titration(page, server, pid)
    page.goto(f"{server.url}/p/{pid}/guides/baclofen")
    found["personal"] = axe_violations(page)
    assert {path: v for path, v in found.items() if v} == {}


def test_sources_open_on_request_and_the_anchor_lands_on_its_section(sized: Page, server: LiveServer) -> None:
    """/guides/baclofen#withdrawal scrolls to the withdrawal heading; 'Sources and grade' opens a citation."""
    page = sized
    page.goto(f"{server.url}/guides/baclofen#withdrawal")
    heading = page.get_by_role("heading", name="Stopping and withdrawal")
    expect(heading).to_be_in_viewport()
    section = page.locator("section#withdrawal")
    first = section.locator("details.sources").first
    expect(first.locator("p")).to_be_hidden()
    first.locator("summary").click()
    expect(first.locator("p")).to_contain_text("Grade H")
    shot(page, f"guide-withdrawal-{page.width}")  # type: ignore[attr-defined]


def test_the_printed_guide_drops_the_navigation_and_keeps_the_sources(page: Page, server: LiveServer) -> None:
    """Print media: the header and table of contents' back links are hidden; sources print open."""
    page.goto(f"{server.url}/guides/baclofen")
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("button[data-print]").first).to_be_hidden()
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    expect(page.locator("details.sources").first).to_have_attribute("open", "")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    page.emulate_media(media="screen")
    shot(page, "guide-print-screen")


def test_the_plan_page_leads_to_the_personal_guide(page: Page, server: LiveServer) -> None:
    """From the plan page, the guide link opens the guide with the record's own step beside the text."""
    pid = set_up_patient(page, server, "Pia Planlink")
    start_titration(page, server, pid)
    page.goto(f"{server.url}/p/{pid}/plan")
    page.get_by_role("link", name="Read the plain guide to baclofen").click()
    expect(page).to_have_url(f"{server.url}/p/{pid}/guides/baclofen")
    taking = page.locator("section#taking aside.personal")
    expect(taking).to_contain_text("Your plan today:")
    expect(page.locator("section#kidneys-age aside.personal")).to_contain_text("kidney result")
    shot(page, "guide-personal")


def test_a_trial_recorded_in_the_form_shows_on_the_record_and_the_questions(
    sized: Page, server: LiveServer
) -> None:
    """The patient records a trial with the suggested review date; the trial page and the printable
    questions show it; zero axe-core violations on both."""
    page = sized
    pid = set_up_patient(page, server, f"Tia Trial {page.width}")  # type: ignore[attr-defined]
    start_titration(page, server, pid)
    page.goto(f"{server.url}/p/{pid}/plan")
    page.get_by_role("link", name="Treatment trial").click()
    expect(page.get_by_label("Review date")).not_to_have_value("")
    page.get_by_label("Goal", exact=True).select_option("spasticity")
    page.get_by_label("Points of change to aim for").fill("2")
    page.get_by_role("button", name="Save the trial").click()
    expect(page.get_by_text("Trial recorded.")).to_be_visible()
    expect(page.get_by_text("a fall of 2 points in the stiffness score (0-10)")).to_be_visible()
    expect(page.get_by_text("Not known yet")).to_be_visible()
    violations = {"trial": axe_violations(page)}
    shot(page, f"trial-{page.width}")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Questions to ask the clinician").first.click()
    expect(page.get_by_text("Agreed: a fall of 2 points")).to_be_visible()
    violations["questions"] = axe_violations(page)
    shot(page, f"trial-questions-{page.width}")  # type: ignore[attr-defined]
    assert {name: v for name, v in violations.items() if v} == {}
