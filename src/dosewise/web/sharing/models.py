"""JSON shapes of the sharing API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dosewise.services.ports import Grant

__all__ = ["GrantIn", "grant_json", "invitation_url"]


class GrantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254, description="where the invitation is addressed")
    access: Literal["caregiver", "clinician"]


def invitation_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/invitations/{token}"


def grant_json(grant: Grant, now: datetime, link: str | None = None) -> dict[str, Any]:
    """A grant as the patient sees it; the account's name and role only once someone accepted."""
    body: dict[str, Any] = {
        "id": grant.id,
        "email": grant.grantee_email,
        "access": grant.access,
        "status": grant.state(now),
        "accepted_by": (
            {"name": grant.grantee_name, "role": grant.grantee_role}
            if grant.accepted_by is not None
            else None
        ),
        "granted_at": grant.granted_at.isoformat(),
        "expires_at": grant.expires_at.isoformat() if grant.expires_at and not grant.confirmed_at else None,
        "confirmed_at": grant.confirmed_at.isoformat() if grant.confirmed_at else None,
        "revoked_at": grant.revoked_at.isoformat() if grant.revoked_at else None,
    }
    if link is not None:
        body["invitation_url"] = link
    return body
