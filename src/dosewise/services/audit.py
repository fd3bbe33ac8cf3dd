"""The audit trail: every change is recorded, in the same transaction, with who, what and when.

Reading the trail needs the sharing rules, which record through this module, so the reading use case
lives above both, in ``audit_trail``."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from dosewise.services.ports import Actor, AuditEvent, Store, UnitOfWork

__all__ = ["record", "record_download", "visible_to"]

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


def record_download(
    store: Store, *, at: datetime, actor: Actor, patient_id: int, what: str, format_name: str
) -> None:
    """Record that ``actor`` took a copy of the record out of dosewise (a disclosure the patient can see).

    Called once the copy has been made, so a failed export is not recorded as a download; in its own
    transaction, because making the copy only read the record.
    """
    with store.write() as uow:
        record(
            uow,
            at=at,
            actor=actor,
            patient_id=patient_id,
            action="record.downloaded",
            summary=f"Downloaded {what}",
            detail={"format": format_name},
        )
        uow.commit()


# What a grantee does not need to read: who else the patient let in or shut out, and account details.
_PATIENT_ONLY_ACTIONS = ("access.", "account.")
_PERSONAL_FIELDS = frozenset({"email", "role"})


def visible_to(event: AuditEvent, relation: str) -> AuditEvent | None:
    """The event as a reader with this relation to the record may see it (None: not at all).

    The patient sees everything. A caregiver or clinician sees the care history (plans, doses, diary,
    record changes) but not the sharing history (whom the patient invited, confirmed or removed, with
    their e-mail addresses and roles) nor account events, and never an e-mail address in a detail.
    """
    if relation == "self":
        return event
    if event.action.startswith(_PATIENT_ONLY_ACTIONS):
        return None
    if not _PERSONAL_FIELDS & event.detail.keys():
        return event
    detail = {key: value for key, value in event.detail.items() if key not in _PERSONAL_FIELDS}
    return replace(event, detail=detail)
