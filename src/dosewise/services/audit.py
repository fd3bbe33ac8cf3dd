"""The audit trail: every change is recorded, in the same transaction, with who, what and when."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from dosewise.services.ports import Actor, AuditEvent, Store, UnitOfWork

__all__ = ["audit_trail", "record"]

# Field names whose values never enter the trail (the trail itself is readable by everyone with access).
_SECRET_FIELDS = frozenset({"password", "password_hash", "csrf_token", "token", "secret"})


def _clean(detail: dict[str, Any]) -> dict[str, Any]:
    return {key: ("[redacted]" if key in _SECRET_FIELDS else value) for key, value in detail.items()}


def record(
    uow: UnitOfWork,
    *,
    at: datetime,
    actor: Actor | None,
    patient_id: int | None,
    action: str,
    summary: str,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event to the unit of work (committed with the change it describes)."""
    return uow.audit.add(
        AuditEvent(
            id=0,
            at=at,
            actor_id=actor.user_id if actor else None,
            actor_name=actor.display_name if actor else "dosewise",
            patient_id=patient_id,
            action=action,
            summary=summary,
            detail=_clean(detail or {}),
        )
    )


def audit_trail(*, store: Store, actor: Actor, public_id: str, limit: int = 200) -> Sequence[AuditEvent]:
    """The patient's audit trail, newest first; anyone with access to the record may read it."""
    from dosewise.services.sharing import authorise  # sharing records its own changes through this module

    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="view")
        return uow.audit.for_patient(access.profile.id, limit=limit)
