"""Jinja2 templates and the one render helper every page uses (flash, CSRF and the urgent banner)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from dosewise.domain.quantity import Quantity, format_amount, times_per_day_words
from dosewise.web.security import FLASH_COOKIE, pop_flash, set_anonymous_csrf_cookie, visitor

__all__ = ["render", "templates"]

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


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


templates.env.filters.update(
    qty=_quantity,
    amount=_amount,
    clock=_clock,
    day=_day,
    moment=_moment,
    isoday=_isoday,
    per_day=times_per_day_words,
)
templates.env.globals.update(new_key=lambda: uuid.uuid4().hex)


def render(request: Request, name: str, status_code: int = 200, **data: Any) -> HTMLResponse:
    who = visitor(request)
    flash = data.pop("flash", None) or pop_flash(request)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "actor": who.actor,
            "csrf_token": who.csrf_token,
            "flash": flash,
            "echo": (flash or {}).get("form", {}),
            **data,
        },
        status_code=status_code,
    )
    if getattr(request.state, "flash_consumed", False):
        response.delete_cookie(FLASH_COOKIE, path="/")
    set_anonymous_csrf_cookie(request, response)
    return response
