"""The CDS Hooks 2.0.1 feedback request (``POST {baseUrl}/cds-services/{id}/feedback``), checked and read.

Each entry: ``card`` (the card's uuid), ``outcome`` accepted | overridden, ``acceptedSuggestions`` (required
when accepted), an optional ``overrideReason`` (a Coding and/or a user comment) and ``outcomeTimestamp``
in UTC (RFC 3339 section 5.6). The checks are the spec's, including its invariants cds-fb-1..3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dosewise.formats.cds_hooks.fhir_read import MalformedRequest, obj, opt_list, opt_obj, opt_str

__all__ = ["FeedbackEntry", "read_feedback"]

_RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")
# Feedback entries in one request: a client reports what one user did, not a data dump.
MAX_ENTRIES = 200


@dataclass(frozen=True)
class FeedbackEntry:
    card: str
    outcome: str  # accepted | overridden
    accepted_suggestions: tuple[str, ...]
    override_system: str | None
    override_code: str | None
    user_comment: str | None
    outcome_at: datetime


def _entry(item: dict[str, Any], where: str) -> FeedbackEntry:
    card = opt_str(item, "card", where)
    if not card:
        raise MalformedRequest(f"{where}.card (the card's uuid) is required")
    outcome = item.get("outcome")
    if outcome not in ("accepted", "overridden"):  # cds-fb-1
        raise MalformedRequest(f"{where}.outcome must be 'accepted' or 'overridden'")
    accepted = []
    for index, suggestion in enumerate(opt_list(item, "acceptedSuggestions", where)):
        ident = opt_str(obj(suggestion, f"{where}.acceptedSuggestions[{index}]"), "id", where)
        if not ident:
            raise MalformedRequest(f"{where}.acceptedSuggestions[{index}].id is required")
        accepted.append(ident)
    if outcome == "accepted" and not accepted:  # cds-fb-2
        raise MalformedRequest(f"{where}: an accepted card needs acceptedSuggestions")
    reason = opt_obj(item, "overrideReason", where)
    system = code = comment = None
    if reason is not None:
        coding = opt_obj(reason, "reason", f"{where}.overrideReason")
        comment = opt_str(reason, "userComment", f"{where}.overrideReason")
        if coding is not None:
            code = opt_str(coding, "code", f"{where}.overrideReason.reason")
            system = opt_str(coding, "system", f"{where}.overrideReason.reason")
            if not code or not system:
                raise MalformedRequest(f"{where}.overrideReason.reason needs a code and a system")
        if coding is None and not comment:  # cds-fb-3
            raise MalformedRequest(f"{where}.overrideReason needs a reason, a userComment, or both")
    stamp = opt_str(item, "outcomeTimestamp", where)
    if not stamp or not _RFC3339_UTC.match(stamp):
        raise MalformedRequest(
            f"{where}.outcomeTimestamp must be an RFC 3339 time in UTC, e.g. 2026-12-02T10:05:31Z"
        )
    try:
        at = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError as exc:
        raise MalformedRequest(f"{where}.outcomeTimestamp '{stamp}' is not a real time") from exc
    return FeedbackEntry(card, str(outcome), tuple(accepted), system, code, comment, at)


def read_feedback(body: Any) -> tuple[FeedbackEntry, ...]:
    request = obj(body, "the request body")
    entries = request.get("feedback")
    if not isinstance(entries, list) or not entries:
        raise MalformedRequest("feedback must be a non-empty array of feedback entries")
    if len(entries) > MAX_ENTRIES:
        raise MalformedRequest(f"at most {MAX_ENTRIES} feedback entries in one request")
    return tuple(_entry(obj(item, f"feedback[{i}]"), f"feedback[{i}]") for i, item in enumerate(entries))
