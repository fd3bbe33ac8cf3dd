"""Helpers for the browser journeys: register through the real form, take screenshots."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

PASSWORD = "browser test password"
SHOTS = Path(__file__).parent / "screenshots"


@dataclass
class LiveServer:
    url: str
    app: Any


def unique_email(name: str) -> str:
    return f"{name}.{uuid.uuid4().hex[:8]}@example.org"


def register(page: Any, server: LiveServer, name: str, role: str = "patient") -> str:
    """Fill the registration form like a person would; returns the e-mail used."""
    email = unique_email(name.split()[0].lower())
    page.goto(server.url + "/register")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label(
        {"patient": "a patient", "caregiver": "a caregiver", "clinician": "a clinician or pharmacist"}[role]
    ).check()
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state()
    return email


def shot(page: Any, name: str) -> Path:
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def patient_id(page: Page) -> str:
    match = re.search(r"/p/([0-9a-f]+)/", page.url)
    assert match, page.url
    return match.group(1)


def set_up_patient(page: Page, server: LiveServer, name: str = "Alex Morgan") -> str:
    register(page, server, name)
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    page.get_by_label("Date of birth").fill("1968-05-14")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Weight (kg)").fill("68")
    page.get_by_label("Value").fill("0.7")
    page.get_by_label("Unit").select_option("mg/dL")
    page.get_by_label("Date measured").fill((datetime.now(UTC) - timedelta(days=10)).date().isoformat())
    page.get_by_label("Time zone").fill("Europe/London")
    page.get_by_role("button", name="Save profile").click()
    return patient_id(page)


def start_titration(page: Page, server: LiveServer, pid: str, days_ago: int = 0) -> None:
    page.goto(f"{server.url}/p/{pid}/plan?drug=baclofen")
    start = (datetime.now(UTC) - timedelta(days=days_ago)).date().isoformat()
    page.get_by_label("Start", exact=True).fill(start)
    page.get_by_label("Prescribed by").fill("Dr Jo Rivera")
    page.get_by_label("Why (recorded with the plan)").fill("spasticity after spinal cord injury")
    # A plan is saved only after its preview (the live preview carries the fingerprint to save).
    expect(page.locator("#plan-preview").get_by_text("Preview: titration of baclofen")).to_be_visible()
    page.get_by_role("button", name="Make this the active plan").click()
    expect(page.get_by_text("Version 1", exact=False).first).to_be_visible()
