"""Use cases of the CDS Hooks services that touch the store: admit a client token once (a replayed
``jti`` is refused), remember the cards answered with, store and count the feedback on them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from dosewise.formats.cds_hooks.cards import Card
from dosewise.formats.cds_hooks.feedback import FeedbackEntry
from dosewise.formats.cds_hooks.fhir_read import MalformedRequest
from dosewise.services.cds_auth import TokenRefused, VerifiedClient
from dosewise.services.ports import CdsCardRecord, CdsFeedback, Store

__all__ = ["FeedbackCount", "admit", "feedback_summary", "record_feedback", "remember_cards"]


def admit(*, store: Store, client: VerifiedClient, now: datetime) -> None:
    """Claim the token's jti; the same token a second time (a replay) is refused."""
    with store.write() as uow:
        fresh = uow.cds.claim_token(
            issuer=client.issuer, jti=client.jti, expires_at=client.expires_at, now=now
        )
        if not fresh:
            raise TokenRefused("this token was already used (jti replay): sign a new one for every call")
        uow.commit()


def remember_cards(
    *,
    store: Store,
    service_id: str,
    hook_instance: str,
    cards: Sequence[Card],
    kb_version: str,
    issuer: str,
    now: datetime,
) -> None:
    if not cards:
        return
    with store.write() as uow:
        uow.cds.add_cards(
            [
                CdsCardRecord(
                    uuid=card.uuid,
                    service_id=service_id,
                    hook_instance=hook_instance[:200],
                    code=card.code,
                    indicator=card.indicator,
                    kb_version=kb_version,
                    issuer=issuer,
                    issued_at=now,
                    suggestion_uuids=tuple(s.uuid for s in card.suggestions),
                )
                for card in cards
            ]
        )
        uow.commit()


def record_feedback(
    *, store: Store, service_id: str, entries: Sequence[FeedbackEntry], issuer: str, now: datetime
) -> int:
    """Store every entry, or none: each must name a card this service answered this client with, and an
    accepted suggestion must be one of that card's."""
    with store.write() as uow:
        known = {card.uuid: card for card in uow.cds.cards([e.card for e in entries])}
        stored = []
        for index, entry in enumerate(entries):
            card = known.get(entry.card)
            if card is None or card.service_id != service_id or card.issuer != issuer:
                raise MalformedRequest(f"feedback[{index}].card is not a card this service gave this client")
            strangers = [s for s in entry.accepted_suggestions if s not in card.suggestion_uuids]
            if strangers:
                raise MalformedRequest(f"feedback[{index}] accepts suggestions the card did not offer")
            stored.append(
                CdsFeedback(
                    card_uuid=entry.card,
                    service_id=service_id,
                    outcome="accepted" if entry.outcome == "accepted" else "overridden",
                    accepted_suggestions=entry.accepted_suggestions,
                    override_system=entry.override_system,
                    override_code=entry.override_code,
                    user_comment=entry.user_comment,
                    outcome_at=entry.outcome_at,
                    received_at=now,
                    issuer=issuer,
                )
            )
        uow.cds.add_feedback(stored)
        uow.commit()
    return len(stored)


@dataclass(frozen=True)
class FeedbackCount:
    service_id: str
    code: str
    outcome: str
    override_code: str
    count: int


def feedback_summary(*, store: Store) -> tuple[FeedbackCount, ...]:
    """How often each finding's card was accepted or overridden (and for which reason), per service."""
    with store.read() as uow:
        return tuple(FeedbackCount(*row) for row in uow.cds.feedback_counts())
