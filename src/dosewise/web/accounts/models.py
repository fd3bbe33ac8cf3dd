"""JSON shapes of the accounts API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "InvitationOut",
    "LoginIn",
    "MeOut",
    "PasswordChangeIn",
    "PasswordResetIn",
    "PatientLink",
    "RegisterIn",
    "ResetRequestIn",
    "SessionOut",
    "UserOut",
]


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)
    display_name: str = Field(max_length=120)
    role: Literal["patient", "caregiver", "clinician"]
    timezone: str = Field(default="UTC", max_length=64, description="IANA zone, e.g. Europe/London")


class SignupIn(BaseModel):
    """Sign-up where dosewise sends e-mail: the password is chosen when the e-mailed link is opened."""

    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254)
    display_name: str = Field(max_length=120)
    role: Literal["patient", "caregiver", "clinician"]
    timezone: str = Field(default="UTC", max_length=64, description="IANA zone, e.g. Europe/London")


class SignupFinishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(max_length=256)


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


class ResetRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254)


class PasswordResetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    new_password: str = Field(max_length=256)


class UserOut(BaseModel):
    id: int
    email: str
    display_name: str
    role: str


class PatientLink(BaseModel):
    patient_id: str = Field(description="the record's public id, used in every /patients/{patient_id} route")
    display_name: str
    relation: Literal["self", "caregiver", "clinician"]


class SessionOut(BaseModel):
    user: UserOut
    csrf_token: str = Field(description="send as X-CSRF-Token on every unsafe request")
    patients: list[PatientLink]


class MeOut(BaseModel):
    user: UserOut
    patients: list[PatientLink]
    awaiting_confirmation: list[str] = Field(
        default_factory=list,
        description="patients whose invitation you accepted and who have not confirmed yet",
    )


class InvitationOut(BaseModel):
    patient_name: str
    access: Literal["caregiver", "clinician"]
    expires_on: str = Field(
        description="the last day to accept (or, once accepted, for the patient to confirm)"
    )
    status: Literal["open", "accepted"]
