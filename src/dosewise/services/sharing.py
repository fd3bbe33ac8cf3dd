"""Who may see and change a patient's record: the patient, and the people the patient granted access.

A caregiver may view the record and log doses and diary entries; a clinician may view it and create or
adjust plans. Everybody else gets ``AccessDenied``, which looks exactly like a record that does not
exist, so an address reveals nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from dosewise.domain.errors import InvalidInput
from dosewise.services.audit import record
from dosewise.services.ports import AccessDenied, Actor, Clock, Grant, Profile, Store, UnitOfWork

__all__ = [
    "PERMISSIONS",
    "Access",
    "Permission",
    "SharedPatient",
    "authorise",
    "grant_access",
    "grants",
    "normalise_email",
    "revoke_access",
    "shared_with_me",
]

Permission = Literal["view", "log", "edit_record", "manage_plans", "hold_plan", "manage_access"]
Relation = Literal["self", "caregiver", "clinician"]

PERMISSIONS: dict[Relation, frozenset[Permission]] = {
    "self": frozenset({"view", "log", "edit_record", "manage_plans", "hold_plan", "manage_access"}),
    "caregiver": frozenset({"view", "log"}),
    "clinician": frozenset({"view", "manage_plans", "hold_plan"}),
}


@dataclass(frozen=True)
class Access:
    profile: Profile
    relation: Relation

    @property
    def permissions(self) -> frozenset[Permission]:
        return PERMISSIONS[self.relation]

    def may(self, permission: Permission) -> bool:
        return permission in self.permissions


@dataclass(frozen=True)
class SharedPatient:
    public_id: str
    display_name: str
    relation: Relation


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _relation(uow: UnitOfWork, actor: Actor, profile: Profile) -> Relation | None:
    if profile.user_id == actor.user_id:
        return "self"
    grant = uow.grants.active_for(patient_id=profile.id, email=actor.email)
    if grant is None:
        return None
    # Clinician rights need both a clinician grant and a clinician account; anything else is caregiver.
    if grant.access == "clinician" and actor.role == "clinician":
        return "clinician"
    return "caregiver"


def authorise(uow: UnitOfWork, *, actor: Actor, public_id: str, permission: Permission) -> Access:
    """The patient record and the actor's relation to it, or ``AccessDenied`` (never a hint why)."""
    profile = uow.patients.by_public_id(public_id)
    relation = _relation(uow, actor, profile) if profile is not None else None
    if profile is None or relation is None:
        raise AccessDenied("no such patient record")
    if permission not in PERMISSIONS[relation]:
        if "view" in PERMISSIONS[relation]:
            raise AccessDenied(
                f"your access to {profile.display_name}'s record does not include this",
                hint={
                    "caregiver": "a caregiver may view the record and log doses and diary entries",
                    "clinician": "a clinician may view the record and create or adjust plans",
                    "self": "",
                }[relation],
            )
        raise AccessDenied("no such patient record")
    return Access(profile, relation)


def shared_with_me(*, store: Store, actor: Actor) -> Sequence[SharedPatient]:
    """Every record the actor may open: their own, then those shared with them."""
    with store.read() as uow:
        found: list[SharedPatient] = []
        own = uow.patients.by_user(actor.user_id)
        if own is not None:
            found.append(SharedPatient(own.public_id, own.display_name, "self"))
        for _grant, profile in uow.grants.patients_for(actor.email):
            relation = _relation(uow, actor, profile)
            if relation is not None and relation != "self":
                found.append(SharedPatient(profile.public_id, profile.display_name, relation))
        return found


def grants(*, store: Store, actor: Actor, public_id: str) -> Sequence[Grant]:
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="manage_access")
        return uow.grants.for_patient(access.profile.id, include_revoked=True)


def grant_access(
    *, store: Store, clock: Clock, actor: Actor, public_id: str, email: str, access: str
) -> Grant:
    """The patient gives one person caregiver or clinician access (it starts when they sign in)."""
    address = normalise_email(email)
    if "@" not in address or len(address) > 254:
        raise InvalidInput(f"'{email}' is not an e-mail address")
    if access not in ("caregiver", "clinician"):
        raise InvalidInput("access is 'caregiver' or 'clinician'")
    now = clock()
    with store.write() as uow:
        target = authorise(uow, actor=actor, public_id=public_id, permission="manage_access")
        if address == actor.email:
            raise InvalidInput("you already have full access to your own record")
        existing = uow.grants.active_for(patient_id=target.profile.id, email=address)
        if existing is not None:
            if existing.access == access:
                return existing
            uow.grants.revoke(existing.id, at=now, by=actor.user_id)
        grantee = uow.users.by_email(address)
        if access == "clinician" and grantee is not None and grantee.role != "clinician":
            raise InvalidInput(
                f"{address} is not a clinician account",
                hint="give caregiver access, or ask them to use their clinician account",
            )
        grant = uow.grants.add(
            patient_id=target.profile.id,
            grantee_email=address,
            access=access,  # type: ignore[arg-type]
            at=now,
            by=actor.user_id,
        )
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=target.profile.id,
            action="access.grant",
            summary=f"gave {access} access to {address}",
            detail={"grant": grant.id, "email": address, "access": access},
        )
        uow.commit()
        return grant


def revoke_access(*, store: Store, clock: Clock, actor: Actor, public_id: str, grant_id: int) -> None:
    now = clock()
    with store.write() as uow:
        target = authorise(uow, actor=actor, public_id=public_id, permission="manage_access")
        grant = next((g for g in uow.grants.for_patient(target.profile.id) if g.id == grant_id), None)
        if grant is None:
            raise AccessDenied("no such access grant")
        uow.grants.revoke(grant_id, at=now, by=actor.user_id)
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=target.profile.id,
            action="access.revoke",
            summary=f"removed {grant.access} access from {grant.grantee_email}",
            detail={"grant": grant.id, "email": grant.grantee_email},
        )
        uow.commit()
