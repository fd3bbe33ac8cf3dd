"""Helpers for the browser journeys: register through the real form, take screenshots."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
