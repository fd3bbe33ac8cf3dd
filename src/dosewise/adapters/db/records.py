"""The patient record: profile, medication list and the access grants a patient gives."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from dosewise.adapters.db.accounts import UserRow
from dosewise.adapters.db.base import Base, FractionText, UtcDateTime
from dosewise.services.ports import Access, Grant, Medication, Profile, Role

__all__ = ["GrantRow", "MedicationRow", "PatientRow", "SqlGrants", "SqlMedications", "SqlPatients"]


class PatientRow(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    date_of_birth: Mapped[date | None] = mapped_column(Date())
    sex: Mapped[str | None] = mapped_column(String(8))
    weight_kg: Mapped[Fraction | None] = mapped_column(FractionText())
    creatinine_value: Mapped[Fraction | None] = mapped_column(FractionText())
    creatinine_unit: Mapped[str | None] = mapped_column(String(8))
    creatinine_date: Mapped[date | None] = mapped_column(Date())
    egfr: Mapped[Fraction | None] = mapped_column(FractionText())
    dialysis: Mapped[bool] = mapped_column(Boolean(), default=False)
    timezone: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    clinician_phone: Mapped[str | None] = mapped_column(String(40))


class GrantRow(Base):
    __tablename__ = "grants"
    __table_args__ = (
        Index("ix_grants_email_patient", "grantee_email", "patient_id"),
        Index("ix_grants_accepted_by", "accepted_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    grantee_email: Mapped[str] = mapped_column(String(254))
    access: Mapped[str] = mapped_column(String(16))
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    granted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The invitation: only the hash of its one-time token; cleared once accepted.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class MedicationRow(Base):
    __tablename__ = "medications"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    ingredient_id: Mapped[str | None] = mapped_column(String(80))
    dose_text: Mapped[str | None] = mapped_column(String(80))
    times_per_day: Mapped[int | None]
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())
    added_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    removed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


_PATIENTS = PatientRow.__table__
# Every request to a record starts here: a prebuilt Core statement (see doses.py).
_BY_PUBLIC_ID = select(_PATIENTS).where(_PATIENTS.c.public_id == bindparam("public_id"))
_LOCK = select(_PATIENTS.c.id).where(_PATIENTS.c.id == bindparam("id")).with_for_update()


def _profile(row: Any) -> Profile:
    """A profile from its record or from a Core row (the same attribute names)."""
    return Profile(
        id=row.id,
        public_id=row.public_id,
        user_id=row.user_id,
        display_name=row.display_name,
        date_of_birth=row.date_of_birth,
        sex=row.sex,
        weight_kg=row.weight_kg,
        creatinine_value=row.creatinine_value,
        creatinine_unit=row.creatinine_unit,
        creatinine_date=row.creatinine_date,
        egfr=row.egfr,
        dialysis=row.dialysis,
        timezone=row.timezone,
        updated_at=row.updated_at,
        clinician_phone=row.clinician_phone,
    )


class SqlPatients:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, public_id: str, user_id: int, display_name: str, timezone: str, at: datetime) -> Profile:
        row = PatientRow(
            public_id=public_id,
            user_id=user_id,
            display_name=display_name,
            timezone=timezone,
            updated_at=at,
            dialysis=False,
        )
        self.session.add(row)
        self.session.flush()
        return _profile(row)

    def get(self, patient_id: int) -> Profile | None:
        row = self.session.get(PatientRow, patient_id)
        return _profile(row) if row else None

    def by_public_id(self, public_id: str) -> Profile | None:
        row = self.session.execute(_BY_PUBLIC_ID, {"public_id": public_id}).first()
        return _profile(row) if row else None

    def by_user(self, user_id: int) -> Profile | None:
        row = self.session.scalar(select(PatientRow).where(PatientRow.user_id == user_id))
        return _profile(row) if row else None

    def save(self, profile: Profile) -> None:
        row = self.session.get(PatientRow, profile.id)
        if row is None:
            raise LookupError(profile.id)
        for name in (
            "display_name",
            "date_of_birth",
            "sex",
            "weight_kg",
            "creatinine_value",
            "creatinine_unit",
            "creatinine_date",
            "egfr",
            "dialysis",
            "timezone",
            "updated_at",
            "clinician_phone",
        ):
            setattr(row, name, getattr(profile, name))

    def lock(self, patient_id: int) -> None:
        """Serialise writers per patient on PostgreSQL. SQLite already serialises every writer (a write
        unit holds the database's one write lock from BEGIN IMMEDIATE), so there it asks nothing."""
        if self.session.get_bind().dialect.name != "sqlite":
            self.session.execute(_LOCK, {"id": patient_id})


def _grant(row: GrantRow, user: UserRow | None) -> Grant:
    access: Access = row.access  # type: ignore[assignment]
    role: Role | None = user.role if user else None  # type: ignore[assignment]
    return Grant(
        row.id,
        row.patient_id,
        row.grantee_email,
        access,
        row.granted_at,
        row.granted_by,
        row.revoked_at,
        row.revoked_by,
        user.display_name if user else None,
        row.expires_at,
        row.accepted_by,
        row.accepted_at,
        row.confirmed_at,
        role,
    )


class SqlGrants:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        patient_id: int,
        grantee_email: str,
        access: Access,
        at: datetime,
        by: int,
        token_hash: str | None,
        expires_at: datetime | None,
    ) -> Grant:
        row = GrantRow(
            patient_id=patient_id,
            grantee_email=grantee_email,
            access=access,
            granted_at=at,
            granted_by=by,
            token_hash=token_hash,
            expires_at=expires_at,
        )
        self.session.add(row)
        self.session.flush()
        return _grant(row, None)

    def _one(self, *where: Any) -> Grant | None:
        found = self.session.execute(
            select(GrantRow, UserRow).outerjoin(UserRow, UserRow.id == GrantRow.accepted_by).where(*where)
        ).first()
        return _grant(found[0], found[1]) if found else None

    def get(self, grant_id: int) -> Grant | None:
        return self._one(GrantRow.id == grant_id)

    def by_token(self, token_hash: str) -> Grant | None:
        return self._one(GrantRow.token_hash == token_hash)

    def _row(self, grant_id: int) -> GrantRow | None:
        return self.session.get(GrantRow, grant_id, with_for_update=True)

    def reissue(self, grant_id: int, *, token_hash: str, expires_at: datetime) -> None:
        row = self._row(grant_id)
        if row is not None:
            row.token_hash, row.expires_at = token_hash, expires_at

    def accept(self, grant_id: int, *, user_id: int, at: datetime, expires_at: datetime) -> None:
        row = self._row(grant_id)
        if row is not None:
            row.accepted_by, row.accepted_at, row.expires_at, row.token_hash = user_id, at, expires_at, None

    def confirm(self, grant_id: int, *, at: datetime) -> None:
        row = self._row(grant_id)
        if row is not None:
            row.confirmed_at = at

    def revoke(self, grant_id: int, *, at: datetime, by: int) -> None:
        row = self._row(grant_id)
        if row is not None and row.revoked_at is None:
            row.revoked_at = at
            row.revoked_by = by
            row.token_hash = None

    def for_patient(self, patient_id: int, *, include_revoked: bool = False) -> Sequence[Grant]:
        query = (
            select(GrantRow, UserRow)
            .outerjoin(UserRow, UserRow.id == GrantRow.accepted_by)
            .where(GrantRow.patient_id == patient_id)
            .order_by(GrantRow.granted_at, GrantRow.id)
        )
        if not include_revoked:
            query = query.where(GrantRow.revoked_at.is_(None))
        return [_grant(row, user) for row, user in self.session.execute(query)]

    def active_for(self, *, patient_id: int, user_id: int) -> Grant | None:
        return self._one(
            GrantRow.patient_id == patient_id,
            GrantRow.accepted_by == user_id,
            GrantRow.confirmed_at.is_not(None),
            GrantRow.revoked_at.is_(None),
        )

    def patients_for(self, user_id: int) -> Sequence[tuple[Grant, Profile]]:
        query = (
            select(GrantRow, PatientRow)
            .join(PatientRow, PatientRow.id == GrantRow.patient_id)
            .where(GrantRow.accepted_by == user_id, GrantRow.revoked_at.is_(None))
            .order_by(PatientRow.display_name, GrantRow.id)
        )
        return [(_grant(grant, None), _profile(patient)) for grant, patient in self.session.execute(query)]


def _medication(row: MedicationRow) -> Medication:
    return Medication(
        row.id,
        row.patient_id,
        row.name,
        row.ingredient_id,
        row.dose_text,
        row.times_per_day,
        row.added_at,
        row.added_by,
        row.removed_at,
        row.removed_by,
    )


class SqlMedications:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        patient_id: int,
        name: str,
        ingredient_id: str | None,
        dose_text: str | None,
        times_per_day: int | None,
        at: datetime,
        by: int,
    ) -> Medication:
        row = MedicationRow(
            patient_id=patient_id,
            name=name,
            ingredient_id=ingredient_id,
            dose_text=dose_text,
            times_per_day=times_per_day,
            added_at=at,
            added_by=by,
        )
        self.session.add(row)
        self.session.flush()
        return _medication(row)

    def current(self, patient_id: int) -> Sequence[Medication]:
        rows = self.session.scalars(
            select(MedicationRow)
            .where(MedicationRow.patient_id == patient_id, MedicationRow.removed_at.is_(None))
            .order_by(MedicationRow.added_at, MedicationRow.id)
        )
        return [_medication(row) for row in rows]

    def get(self, medication_id: int) -> Medication | None:
        row = self.session.get(MedicationRow, medication_id)
        return _medication(row) if row else None

    def remove(self, medication_id: int, *, at: datetime, by: int) -> None:
        row = self.session.get(MedicationRow, medication_id)
        if row is not None and row.removed_at is None:
            row.removed_at = at
            row.removed_by = by
