"""Shared by every page of a patient's record: the navigation, the relation, and the urgent banner."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from dosewise.services.diary import record_header
from dosewise.services.sharing import Access
from dosewise.web.security import context, is_partial, set_flash, visitor
from dosewise.web.templating import render

__all__ = ["SECTIONS", "done", "patient_page"]

# (section, label, needs) - a link shows only when the relation allows what the page is for.
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("today", "Today", "view"),
    ("diary", "Diary", "view"),
    ("plan", "Plan", "view"),
    ("medications", "Medicines", "view"),
    ("pump", "Pump", "view"),
    ("profile", "Profile", "view"),
    ("history", "History", "view"),
    ("reports", "Reports", "view"),
    ("sharing", "Sharing", "manage_access"),
    ("calendar", "Calendar", "manage_access"),
    ("reminders", "Reminders", "view"),
    ("audit", "Audit trail", "view"),
    ("exports", "Downloads", "view"),
)
_NO_ALERT = object()


def patient_page(
    request: Request,
    template: str,
    *,
    access: Access,
    section: str,
    alert: Any = _NO_ALERT,
    zone: str | None = None,
    **data: Any,
) -> Response:
    """A page of the record. ``zone`` is the record's zone (every time on the page is shown in it); a
    page whose view already knows it and the alert passes both, else one read finds them."""
    ctx = context(request)
    actor = visitor(request).actor
    assert actor is not None
    if alert is _NO_ALERT or zone is None:
        header = record_header(
            store=ctx.store, clock=ctx.clock, actor=actor, public_id=access.profile.public_id
        )
        alert = header.alert if alert is _NO_ALERT else alert
        zone = zone or header.zone
    sections = [(key, label) for key, label, needs in SECTIONS if needs in access.permissions]
    return render(
        request,
        template,
        access=access,
        patient=access.profile,
        pid=access.profile.public_id,
        section=section,
        sections=sections,
        alert=alert,
        zone=zone,
        **data,
    )


def done(request: Request, target: str, message: str, partial: Any = None, kind: str = "ok") -> Response:
    """After a successful form: the updated fragment for a live request, else back to the page (303)."""
    if is_partial(request) and partial is not None:
        result: Response = partial()
        return result
    response = RedirectResponse(target, status_code=303)
    set_flash(request, response, kind, message)
    return response
