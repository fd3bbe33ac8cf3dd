"""Who may see and change a patient's record: the patient, and the people the patient let in.

Access is given by invitation, in three steps, and starts only after the last:

1. the patient invites someone (an e-mail address and caregiver or clinician access); dosewise makes a
   one-time link that expires (only its hash is stored), shows it to the patient to hand over and, where
   SMTP is configured, e-mails it to the address;
2. a signed-in account opens the link and accepts (the link is then used up);
3. the patient sees that account's name and role and confirms, or declines.

Access belongs to the accepting account (its user id), never to whoever owns or later registers the
address. Until the patient confirms, the grantee sees nothing: ``AccessDenied``, which looks exactly like
a record that does not exist. The patient may revoke at every step; an invitation not accepted, or an
acceptance not confirmed, within ``INVITATION_LIFETIME`` expires. The answers to the patient are the same
whether or not the address has an account, so sharing reveals neither an account nor its role.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from dosewise.domain.errors import InvalidInput
from dosewise.services.audit import record
from dosewise.services.ports import AccessDenied, Actor, Clock, Grant, Profile, Store, UnitOfWork

__all__ = [
    "INVITATION_LIFETIME",
    "PERMISSIONS",
    "Access",
    "Invitation",
    "NewInvitation",
    "Permission",
    "SharedPatient",
    "accept_invitation",
    "authorise",
    "confirm_grant",
    "grant_access",
    "grants",
    "invitation",
    "normalise_email",
    "pending_for_me",
    "reissue_invitation",
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
# Security policy (not a clinical number), documented in docs/web.md.
INVITATION_LIFETIME = timedelta(days=7)
_GONE = "this invitation link is not valid"
_GONE_HINT = "it may have been used, withdrawn or expired: ask the patient for a new one"


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


@dataclass(frozen=True)
class NewInvitation:
    grant: Grant
    token: str  # shown once to the patient (and e-mailed); the database keeps its hash


@dataclass(frozen=True)
class Invitation:
    """What the person opening an invitation link sees before accepting."""

    patient_name: str
    access: str
    expires_at: str


def normalise_email(email: str) -> str:
    return email.strip().lower()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _relation(uow: UnitOfWork, actor: Actor, profile: Profile) -> Relation | None:
    if profile.user_id == actor.user_id:
        return "self"
    grant = uow.grants.active_for(patient_id=profile.id, user_id=actor.user_id)
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
    """Every record the actor may open: their own, then those shared with them (confirmed only)."""
    with store.read() as uow:
        found: list[SharedPatient] = []
        own = uow.patients.by_user(actor.user_id)
        if own is not None:
            found.append(SharedPatient(own.public_id, own.display_name, "self"))
        for grant, profile in uow.grants.patients_for(actor.user_id):
            if grant.confirmed_at is None:
                continue
            relation = _relation(uow, actor, profile)
            if relation is not None and relation != "self":
                found.append(SharedPatient(profile.public_id, profile.display_name, relation))
        return found


def pending_for_me(*, store: Store, clock: Clock, actor: Actor) -> Sequence[str]:
    """First names of patients whose invitation the actor accepted and who have not confirmed yet."""
    now = clock()
    with store.read() as uow:
        return [
            profile.display_name
            for grant, profile in uow.grants.patients_for(actor.user_id)
            if grant.state(now) == "accepted"
        ]


def grants(*, store: Store, actor: Actor, public_id: str) -> Sequence[Grant]:
    with store.read() as uow:
        access = authorise(uow, actor=actor, public_id=public_id, permission="manage_access")
        return uow.grants.for_patient(access.profile.id, include_revoked=True)


def grant_access(
    *, store: Store, clock: Clock, actor: Actor, public_id: str, email: str, access: str
) -> NewInvitation:
    """The patient invites one person to caregiver or clinician access (it starts once confirmed).

    The answer is the same for every address: nothing here looks up whether it has an account.
    """
    address = normalise_email(email)
    if "@" not in address or len(address) > 254 or any(c.isspace() for c in address):
        raise InvalidInput(f"'{email}' is not an e-mail address")
    if access not in ("caregiver", "clinician"):
        raise InvalidInput("access is 'caregiver' or 'clinician'")
    now = clock()
    token = secrets.token_urlsafe(32)
    with store.write() as uow:
        target = authorise(uow, actor=actor, public_id=public_id, permission="manage_access")
        if address == actor.email:
            raise InvalidInput("you already have full access to your own record")
        uow.patients.lock(target.profile.id)
        grant = uow.grants.add(
            patient_id=target.profile.id,
            grantee_email=address,
            access=access,  # type: ignore[arg-type]
            at=now,
            by=actor.user_id,
            token_hash=token_hash(token),
            expires_at=now + INVITATION_LIFETIME,
        )
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=target.profile.id,
            action="access.invite",
            summary=f"invited {address} to {access} access",
            detail={"grant": grant.id, "email": address, "access": access},
        )
        uow.commit()
        return NewInvitation(grant, token)


def _own_grant(uow: UnitOfWork, actor: Actor, public_id: str, grant_id: int) -> tuple[Access, Grant]:
    target = authorise(uow, actor=actor, public_id=public_id, permission="manage_access")
    grant = uow.grants.get(grant_id)
    if grant is None or grant.patient_id != target.profile.id:
        raise AccessDenied("no such access grant")
    return target, grant


def reissue_invitation(
    *, store: Store, clock: Clock, actor: Actor, public_id: str, grant_id: int
) -> NewInvitation:
    """A new link for an invitation nobody accepted yet (the old link stops working)."""
    now = clock()
    token = secrets.token_urlsafe(32)
    with store.write() as uow:
        target, grant = _own_grant(uow, actor, public_id, grant_id)
        if grant.revoked_at is not None or grant.accepted_by is not None:
            raise InvalidInput(
                "this invitation was already accepted or withdrawn", hint="invite the person again"
            )
        uow.grants.reissue(grant.id, token_hash=token_hash(token), expires_at=now + INVITATION_LIFETIME)
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=target.profile.id,
            action="access.invite",
            summary=f"sent a new invitation link to {grant.grantee_email}",
            detail={"grant": grant.id, "email": grant.grantee_email, "access": grant.access},
        )
        uow.commit()
        fresh = uow.grants.get(grant.id)
        assert fresh is not None
        return NewInvitation(fresh, token)


def _open_invitation(uow: UnitOfWork, token: str, now: datetime) -> tuple[Grant, Profile]:
    grant = uow.grants.by_token(token_hash(token)) if token and len(token) <= 200 else None
    profile = uow.patients.get(grant.patient_id) if grant is not None else None
    if grant is None or profile is None or grant.state(now) != "invited":
        raise AccessDenied(_GONE, hint=_GONE_HINT)
    return grant, profile


def invitation(*, store: Store, clock: Clock, token: str) -> Invitation:
    """Who invites, and to what, for the person holding the link (before they accept)."""
    with store.read() as uow:
        grant, profile = _open_invitation(uow, token, clock())
        assert grant.expires_at is not None
        return Invitation(profile.display_name, grant.access, grant.expires_at.date().isoformat())


def accept_invitation(*, store: Store, clock: Clock, actor: Actor, token: str) -> Invitation:
    """The signed-in account takes up the invitation; the patient still has to confirm it."""
    now = clock()
    with store.write() as uow:
        grant, profile = _open_invitation(uow, token, now)
        if profile.user_id == actor.user_id:
            raise InvalidInput("this is your own record", hint="give the link to the person you invited")
        if uow.grants.active_for(patient_id=profile.id, user_id=actor.user_id) is not None:
            raise InvalidInput(
                f"you already have access to {profile.display_name}'s record",
                hint="ask the patient to remove it first if the access should change",
            )
        uow.grants.accept(grant.id, user_id=actor.user_id, at=now, expires_at=now + INVITATION_LIFETIME)
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=profile.id,
            action="access.accept",
            summary=f"{actor.display_name} ({actor.role} account) accepted the invitation",
            detail={"grant": grant.id, "role": actor.role},
        )
        uow.commit()
        return Invitation(profile.display_name, grant.access, (now + INVITATION_LIFETIME).date().isoformat())


def confirm_grant(*, store: Store, clock: Clock, actor: Actor, public_id: str, grant_id: int) -> Grant:
    """The patient, having seen who accepted, lets them in; from now on they have access."""
    now = clock()
    with store.write() as uow:
        target, grant = _own_grant(uow, actor, public_id, grant_id)
        if grant.state(now) != "accepted" or grant.accepted_by is None:
            raise InvalidInput(
                "there is nothing to confirm for this invitation",
                hint="it may not be accepted yet, or it was withdrawn or has expired",
            )
        for other in uow.grants.for_patient(target.profile.id):
            if other.id != grant.id and other.accepted_by == grant.accepted_by and other.confirmed_at:
                uow.grants.revoke(other.id, at=now, by=actor.user_id)  # one grant per person: the newest
        uow.grants.confirm(grant.id, at=now)
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=target.profile.id,
            action="access.confirm",
            summary=f"gave {grant.access} access to {grant.grantee_name}",
            detail={"grant": grant.id, "access": grant.access, "role": grant.grantee_role},
        )
        uow.commit()
        confirmed = uow.grants.get(grant.id)
        assert confirmed is not None
        return confirmed


def revoke_access(*, store: Store, clock: Clock, actor: Actor, public_id: str, grant_id: int) -> None:
    """Withdraw an invitation, decline an acceptance, or take access away: whichever stage it is at."""
    now = clock()
    with store.write() as uow:
        target, grant = _own_grant(uow, actor, public_id, grant_id)
        uow.grants.revoke(grant_id, at=now, by=actor.user_id)
        who = grant.grantee_name or grant.grantee_email
        record(
            uow,
            at=now,
            actor=actor,
            patient_id=target.profile.id,
            action="access.revoke",
            summary=f"removed {grant.access} access from {who}",
            detail={"grant": grant.id, "email": grant.grantee_email},
        )
        uow.commit()
