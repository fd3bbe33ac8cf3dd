"""The medication list in a real browser, at 1280 and 375 px: a brand of the planned medicine shows as the
planned medicine and a duplicate, and a misspelling is fixed with one tap (the entry replaced, screened)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from browser_support import LiveServer, register, shot
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 375])
def test_the_list_knows_the_plan_and_a_misspelling_is_fixed_with_one_tap(
    page: Page, server: LiveServer, width: int
) -> None:
    """Plan in force, "Lioresal" added: planned medicine + duplicate; "Xanaxx" added: one tap makes it Xanax and
    the opioid-free list now shows the baclofen + benzodiazepine warning."""
    page.set_viewport_size({"width": width, "height": 900})
    register(page, server, f"Sam Lists {width}")
    match = re.search(r"/p/([0-9a-f]+)/", page.url)
    assert match, page.url
    pid = match.group(1)
    page.goto(f"{server.url}/p/{pid}/plan?drug=baclofen")
    page.get_by_label("Start", exact=True).fill(datetime.now(UTC).date().isoformat())
    page.get_by_label("Prescribed by").fill("Dr Jo Rivera")
    page.get_by_label("Why (recorded with the plan)").fill("spasticity")
    expect(page.locator("#plan-preview").get_by_text("Preview: titration of baclofen")).to_be_visible()
    page.get_by_role("button", name="Make this the active plan").click()
    expect(page.get_by_text("Version 1", exact=False).first).to_be_visible()
    page.goto(f"{server.url}/p/{pid}/medications")
    name = page.get_by_label("Medicine name or brand")
    for medicine in ("Lioresal", "Xanaxx"):
        name.fill(medicine)
        page.get_by_role("button", name="Add to the list").click()
        expect(page.locator("#medication-panel").get_by_text(medicine, exact=True)).to_be_visible()
    panel = page.locator("#medication-panel")
    expect(panel.get_by_text("(baclofen)", exact=True)).to_be_visible()
    expect(panel.get_by_text("planned medicine", exact=True)).to_be_visible()
    expect(panel.get_by_text("duplicate", exact=True)).to_be_visible()
    expect(
        panel.get_by_text("Lioresal (baclofen) on your list is the same medicine as your plan")
    ).to_be_visible()
    fix = panel.get_by_role("button", name="Change “Xanaxx” to Xanax")
    expect(fix).to_be_visible()
    shot(page, f"medication-list-before-fix-{width}")
    fix.click()
    expect(panel.get_by_text("Xanax", exact=True)).to_be_visible()
    expect(panel.get_by_text("Xanaxx", exact=True)).to_have_count(0)
    expect(panel.get_by_text("baclofen + alprazolam")).to_be_visible()
    shot(page, f"medication-list-after-fix-{width}")
