"""CDS Hooks records: client token ids (replay refusal), the cards answered with, and their feedback."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from dosewise.adapters.db.base import Base, UtcDateTime
from dosewise.services.ports import CdsCardRecord, CdsFeedback

__all__ = ["CdsCardRow", "CdsFeedbackRow", "CdsTokenRow", "SqlCds"]


class CdsTokenRow(Base):
    """A client JWT's ``jti``, kept until the token expires: the same one again is a replay."""

    __tablename__ = "cds_token_ids"
    __table_args__ = (UniqueConstraint("issuer", "jti"), Index("ix_cds_token_ids_expires_at", "expires_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    jti: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CdsCardRow(Base):
    __tablename__ = "cds_cards"
    __table_args__ = (Index("ix_cds_cards_issued_at", "issued_at"),)

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(64))
    hook_instance: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(120))
    indicator: Mapped[str] = mapped_column(String(16))
    kb_version: Mapped[str] = mapped_column(String(32))
    issuer: Mapped[str] = mapped_column(String(500))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    suggestion_uuids: Mapped[list[str]] = mapped_column(JSON())


class CdsFeedbackRow(Base):
    __tablename__ = "cds_feedback"
    __table_args__ = (Index("ix_cds_feedback_card_uuid", "card_uuid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    card_uuid: Mapped[str] = mapped_column(ForeignKey("cds_cards.uuid"))
    service_id: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    accepted_suggestions: Mapped[list[str]] = mapped_column(JSON())
    override_system: Mapped[str | None] = mapped_column(String(500))
    override_code: Mapped[str | None] = mapped_column(String(200))
    user_comment: Mapped[str | None] = mapped_column(Text())
    outcome_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    issuer: Mapped[str] = mapped_column(String(500))


class SqlCds:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim_token(self, *, issuer: str, jti: str, expires_at: datetime, now: datetime) -> bool:
        self.session.execute(delete(CdsTokenRow).where(CdsTokenRow.expires_at < now))
        # INSERT ... ON CONFLICT DO NOTHING (SQLite and PostgreSQL): two calls racing with one token
        # cannot both insert it, and the loser learns so without a failed transaction.
        dialect = self.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = (
            insert(CdsTokenRow)
            .values(issuer=issuer, jti=jti, expires_at=expires_at)
            .on_conflict_do_nothing(index_elements=["issuer", "jti"])
            .returning(CdsTokenRow.id)
        )
        # RETURNING, not rowcount: psycopg reports a truthy rowcount for a skipped conflict.
        return self.session.execute(statement).first() is not None

    def add_cards(self, cards: Sequence[CdsCardRecord]) -> None:
        self.session.add_all(
            CdsCardRow(
                uuid=c.uuid,
                service_id=c.service_id,
                hook_instance=c.hook_instance,
                code=c.code,
                indicator=c.indicator,
                kb_version=c.kb_version,
                issuer=c.issuer,
                issued_at=c.issued_at,
                suggestion_uuids=list(c.suggestion_uuids),
            )
            for c in cards
        )

    def cards(self, uuids: Sequence[str]) -> Sequence[CdsCardRecord]:
        rows = self.session.scalars(select(CdsCardRow).where(CdsCardRow.uuid.in_(list(uuids))))
        return [
            CdsCardRecord(
                r.uuid,
                r.service_id,
                r.hook_instance,
                r.code,
                r.indicator,
                r.kb_version,
                r.issuer,
                r.issued_at,
                tuple(r.suggestion_uuids),
            )
            for r in rows
        ]

    def add_feedback(self, entries: Sequence[CdsFeedback]) -> None:
        self.session.add_all(
            CdsFeedbackRow(
                card_uuid=e.card_uuid,
                service_id=e.service_id,
                outcome=e.outcome,
                accepted_suggestions=list(e.accepted_suggestions),
                override_system=e.override_system,
                override_code=e.override_code,
                user_comment=e.user_comment,
                outcome_at=e.outcome_at,
                received_at=e.received_at,
                issuer=e.issuer,
            )
            for e in entries
        )

    def feedback_counts(self) -> Sequence[tuple[str, str, str, str, int]]:
        reason = func.coalesce(CdsFeedbackRow.override_code, "")
        rows = self.session.execute(
            select(CdsFeedbackRow.service_id, CdsCardRow.code, CdsFeedbackRow.outcome, reason, func.count())
            .join(CdsCardRow, CdsCardRow.uuid == CdsFeedbackRow.card_uuid)
            .group_by(CdsFeedbackRow.service_id, CdsCardRow.code, CdsFeedbackRow.outcome, reason)
            .order_by(CdsFeedbackRow.service_id, CdsCardRow.code, CdsFeedbackRow.outcome, reason)
        )
        return [(s, c, o, r, int(n)) for s, c, o, r, n in rows]
