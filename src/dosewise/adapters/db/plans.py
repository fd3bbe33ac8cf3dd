"""Plan versions: every change to a schedule is a new immutable row (append-only, enforced by triggers).

The port speaks ``Plan`` (a domain value); the row stores the plan document (``formats.plan_document``).
A version never changes, so its decoded plans are kept by version id in the store's ``PlanCodec``: the
metadata of a version is read on every request, its documents only the first time (no JSON is parsed on a
page or a logged dose whose plan is already decoded). What is remembered is a committed row only: a
committed row is never changed, deleted or its id reused. A unit of work sees committed rows and the rows
it added itself; those it added are never remembered, since a rollback may discard them (and SQLite then
hands the id out again).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from dosewise.adapters.db.base import Base, UtcDateTime
from dosewise.domain.regimen import Plan
from dosewise.domain.rules import KnowledgeBase
from dosewise.formats.plan_document import plan_from_document, plan_to_document
from dosewise.services.ports import PlanVersion

__all__ = ["PlanCodec", "PlanVersionRow", "SqlPlans"]


class PlanVersionRow(Base):
    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("patient_id", "number", name="uq_plan_versions_patient_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    number: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(JSON())
    status: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text())
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_by_name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    effective_from: Mapped[date] = mapped_column(Date())
    prescriber: Mapped[str | None] = mapped_column(String(120))
    resume_document: Mapped[dict[str, Any] | None] = mapped_column(JSON())
    paused_on: Mapped[date | None] = mapped_column(Date())


Decoded = tuple[Plan, Plan | None]  # the plan, and the plan a paused version resumes


class PlanCodec:
    """Plans to and from their stored document, against one knowledge base; decoded once per version id.

    One codec belongs to one store (one database), where a committed version id names one immutable row,
    so the id is a sufficient key. Threads of the web app share it, hence the lock.
    """

    # Plans stay decoded for this many versions (each a few kilobytes); the oldest is dropped first.
    SIZE = 4096

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._decoded: OrderedDict[int, Decoded] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, plan: Plan) -> dict[str, Any]:
        return plan_to_document(plan, self.kb.drug(plan.drug))

    def cached(self, version_id: int) -> Decoded | None:
        with self._lock:
            found = self._decoded.get(version_id)
            if found is not None:
                self._decoded.move_to_end(version_id)
            return found

    def decode(self, document: dict[str, Any], resume_document: dict[str, Any] | None) -> Decoded:
        return (
            plan_from_document(document, self.kb),
            plan_from_document(resume_document, self.kb) if resume_document is not None else None,
        )

    def remember(self, version_id: int, decoded: Decoded) -> None:
        """Keep a committed version's plans (call it only with rows a read unit of work saw)."""
        with self._lock:
            self._decoded[version_id] = decoded
            if len(self._decoded) > self.SIZE:
                self._decoded.popitem(last=False)


_VERSIONS = PlanVersionRow.__table__
# Every column but the two documents: what each request reads (the documents only on a codec miss).
_META = [column for column in _VERSIONS.c if column.name not in ("document", "resume_document")]
_LATEST = (
    select(*_META).where(_VERSIONS.c.patient_id == bindparam("patient")).order_by(_VERSIONS.c.number.desc())
)
_ONE = select(*_META).where(_VERSIONS.c.id == bindparam("id"))
_DOCUMENTS = select(_VERSIONS.c.id, _VERSIONS.c.document, _VERSIONS.c.resume_document).where(
    _VERSIONS.c.id.in_(bindparam("ids", expanding=True))
)


class SqlPlans:
    def __init__(self, session: Session, codec: PlanCodec) -> None:
        self.session = session
        self.codec = codec
        # Versions this unit of work added: not committed yet, so never remembered (module docstring).
        self._added: set[int] = set()

    def _versions(self, rows: Sequence[Any]) -> list[PlanVersion]:
        """Plan versions from metadata rows; the documents of versions not decoded yet are read at once."""
        plans = {row.id: self.codec.cached(row.id) for row in rows}
        missing = [version_id for version_id, found in plans.items() if found is None]
        if missing:
            for found in self.session.execute(_DOCUMENTS, {"ids": missing}):
                decoded = self.codec.decode(found.document, found.resume_document)
                if found.id not in self._added:
                    self.codec.remember(found.id, decoded)
                plans[found.id] = decoded
        return [_version(row, *_present(plans[row.id])) for row in rows]

    def add(self, version: PlanVersion) -> PlanVersion:
        document = self.codec.encode(version.plan)
        resume = self.codec.encode(version.resume_plan) if version.resume_plan is not None else None
        row = PlanVersionRow(
            patient_id=version.patient_id,
            number=version.number,
            document=document,
            status=version.status,
            action=version.action,
            reason=version.reason,
            created_by=version.created_by,
            created_by_name=version.created_by_name,
            created_at=version.created_at,
            effective_from=version.effective_from,
            prescriber=version.prescriber,
            resume_document=resume,
            paused_on=version.paused_on,
        )
        self.session.add(row)
        self.session.flush()
        self._added.add(row.id)
        # What is returned is what later reads decode: a plan its own document cannot carry fails here,
        # before the transaction commits, not on the next page.
        return _version(row, *self.codec.decode(document, resume))

    def latest(self, patient_id: int) -> PlanVersion | None:
        row = self.session.execute(_LATEST.limit(1), {"patient": patient_id}).first()
        return self._versions([row])[0] if row else None

    def history(self, patient_id: int) -> Sequence[PlanVersion]:
        return self._versions(list(self.session.execute(_LATEST, {"patient": patient_id})))

    def get(self, version_id: int) -> PlanVersion | None:
        row = self.session.execute(_ONE, {"id": version_id}).first()
        return self._versions([row])[0] if row else None


def _present(decoded: Decoded | None) -> Decoded:
    assert decoded is not None, "a plan version's documents were not found beside its metadata"
    return decoded


def _version(row: Any, plan: Plan, resume_plan: Plan | None) -> PlanVersion:
    """A plan version from its record or from a Core row (the same attribute names)."""
    return PlanVersion(
        id=row.id,
        patient_id=row.patient_id,
        number=row.number,
        plan=plan,
        status=row.status,
        action=row.action,
        reason=row.reason,
        created_by=row.created_by,
        created_by_name=row.created_by_name,
        created_at=row.created_at,
        effective_from=row.effective_from,
        prescriber=row.prescriber,
        resume_plan=resume_plan,
        paused_on=row.paused_on,
    )
