"""Reading a patient's audit trail: authorised by the sharing rules, filtered to what the reader's role
may see (``audit.visible_to``)."""

from __future__ import annotations

from collections.abc import Sequence

from dosewise.services.audit import visible_to
from dosewise.services.ports import Actor, AuditEvent, Store
from dosewise.services.sharing import authorise

__all__ = ["audit_trail"]


def audit_trail(*, store: Store, actor: Actor, public_id: str, limit: int = 200) -> Sequence[AuditEvent]:
    """The patient's audit trail, newest first, as much of it as the reader's role needs."""
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="view")
        shown = (
            visible_to(e, access.relation) for e in uow.audit.for_patient(access.profile.id, limit=limit)
        )
        return [event for event in shown if event is not None]
