"""JSON shapes of the sharing API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dosewise.services.ports import Grant

__all__ = ["GrantIn", "grant_json"]


class GrantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254)
    access: Literal["caregiver", "clinician"]


def grant_json(grant: Grant) -> dict[str, Any]:
    return {
        "id": grant.id,
        "email": grant.grantee_email,
        "name": grant.grantee_name,
        "access": grant.access,
        "granted_at": grant.granted_at.isoformat(),
        "revoked_at": grant.revoked_at.isoformat() if grant.revoked_at else None,
    }
