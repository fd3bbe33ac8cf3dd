"""Jinja2 templates and the one render helper every page uses (flash, CSRF and the urgent banner)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from dosewise.domain.missed.wording import WATCH_LEAD, WATCH_TAIL, watch_sentence
from dosewise.domain.quantity import Quantity, format_amount, times_per_day_words
from dosewise.services.typed_input import dial_string
from dosewise.web.guide_links import guide_url
from dosewise.web.hints import web_hint
from dosewise.web.security import FLASH_COOKIE, pop_flash, set_anonymous_csrf_cookie, visitor

__all__ = ["plain", "render", "templates"]


templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Templates ship with the package and change only with a new release: no stat() of the file on every page.
templates.env.auto_reload = False


def _quantity(value: Quantity | None) -> str:
    return "" if value is None else str(value)


def _amount(value: Fraction | None) -> str:
    if value is None:
        return ""
    try:
        return format_amount(value)
    except Exception:
        return f"{float(value):.1f}"


def _clock(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%H:%M")


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%a %d %b %Y").replace(" 0", " ")


def _moment(value: datetime | None, zone: str | None = None) -> str:
    if value is None:
        return ""
    if zone:
        from zoneinfo import ZoneInfo

        value = value.astimezone(ZoneInfo(zone))
    return value.strftime("%d %b %Y %H:%M").lstrip("0")


def _isoday(text: str) -> str:
    """A plan document's ISO date as people read it ("Sat 21 Nov 2026")."""
    try:
        return _day(date.fromisoformat(text))
    except (TypeError, ValueError):
        return text


_ISO_MOMENT = re.compile(
    r"\b(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"
)
_ONE_PLURAL = re.compile(r"\b(?<![.,/])1 (dose|tablet|day|hour|week|minute|time|packet|step)s\b")


def plain(text: object) -> str:
    """Text for people: ISO dates written as days ("Tue 1 Dec 2026"), "1 doses" made singular.

    Engine texts are shared with the CLI and JSON; this is the web's wording of them, applied to every
    message shown on a patient page (tests/web/test_wording.py scans the rendered pages for leftovers).
    """
    if text is None:
        return ""

    def day(match: re.Match[str]) -> str:
        try:
            value = _day(date.fromisoformat(match.group(1)))
        except ValueError:
            return match.group(0)
        return f"{value} at {match.group(2)}" if match.group(2) else value

    return _ONE_PLURAL.sub(lambda m: f"1 {m.group(1)}", _ISO_MOMENT.sub(day, str(text)))


def _without_watch(text: str, signs: tuple[str, ...]) -> str:
    """The advice text without its withdrawal-signs sentence (the page lists the signs instead)."""
    sentence = watch_sentence(signs)
    return text.replace(sentence.strip(), "").strip() if sentence else text


templates.env.filters.update(
    without_watch=_without_watch,
    plain=plain,
    capitalize_first=lambda text: str(text)[:1].upper() + str(text)[1:],
    qty=_quantity,
    amount=_amount,
    clock=_clock,
    day=_day,
    moment=_moment,
    isoday=_isoday,
    per_day=times_per_day_words,
    dial=dial_string,
)
templates.env.globals.update(
    new_key=lambda: uuid.uuid4().hex,
    web_hint=web_hint,
    guide_url=guide_url,
    # Form fields whose element id is not their name (the error summary links to the element).
    field_ids={"amount": "stock-amount", "product_id": "stock-product", "text": "sym-text"},
    watch_lead=WATCH_LEAD,
    watch_tail=WATCH_TAIL,
    # The triage levels in words (the codes stay in the JSON API).
    level_words={
        "expected": "expected side effect",
        "soon": "tell the clinician soon",
        "urgent": "urgent: medical help today",
        "emergency": "emergency",
    },
)


def render(request: Request, name: str, status_code: int = 200, **data: Any) -> HTMLResponse:
    who = visitor(request)
    flash = data.pop("flash", None) or pop_flash(request)
    settings = getattr(getattr(request.app.state, "ctx", None), "settings", None)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "actor": who.actor,
            "csrf_token": who.csrf_token,
            "flash": flash,
            "echo": (flash or {}).get("form", {}),
            "emergency_number": getattr(settings, "emergency_number", "112"),
            **data,
        },
        status_code=status_code,
    )
    if getattr(request.state, "flash_consumed", False):
        response.delete_cookie(FLASH_COOKIE, path="/")
    set_anonymous_csrf_cookie(request, response)
    return response
