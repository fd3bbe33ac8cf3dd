"""JSON shape of an audit event."""

from __future__ import annotations

from typing import Any

from dosewise.services.ports import AuditEvent

__all__ = ["audit_json"]


def audit_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "by": event.actor_name,
        "action": event.action,
        "summary": event.summary,
        "detail": event.detail,
    }
