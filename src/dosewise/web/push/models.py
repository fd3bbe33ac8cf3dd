"""JSON shapes of the reminders API, and the conversions from service views."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dosewise.services.reminders import RemindersView
from dosewise.services.reminders_ports import Delivery, NotifySetting

__all__ = [
    "ActionIn",
    "CareTeamIn",
    "KeysIn",
    "MineIn",
    "SubscriptionIn",
    "UnsubscribeIn",
    "delivery_json",
    "setting_json",
    "view_json",
]


class KeysIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)


class SubscriptionIn(BaseModel):
    """A browser's ``PushSubscription.toJSON()`` (``expirationTime`` is accepted and not kept)."""

    model_config = ConfigDict(extra="forbid")
    endpoint: str = Field(max_length=1000)
    keys: KeysIn
    expirationTime: int | None = None  # the browser's own field name


class UnsubscribeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    endpoint: str = Field(max_length=1000)


class MineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    by_push: bool = True
    by_email: bool = False
    quiet_from: str = Field(default="", max_length=5, description="HH:MM on the record's clock, or empty")
    quiet_to: str = Field(default="", max_length=5)
    private_text: bool = Field(
        default=False, description="lock-screen text that names no medicine or symptom"
    )
    own_kinds: list[Literal["dose", "follow_up", "pump_refill"]] | None = Field(
        default=None, description="the patient's own reminders (ignored for anyone else)"
    )


class CareTeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: int = Field(ge=1, le=2**31 - 1)
    kinds: list[Literal["not_logged", "missed_run", "triage", "stock", "pump_refill", "plan_change"]] = Field(
        max_length=6
    )


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(max_length=80, description="the action token the notification carried")
    action: Literal["taken", "snooze"]


def setting_json(setting: NotifySetting) -> dict[str, Any]:
    return {
        "kinds": sorted(setting.kinds),
        "by_push": setting.by_push,
        "by_email": setting.by_email,
        "quiet_from": setting.quiet_from,
        "quiet_to": setting.quiet_to,
        "private_text": setting.private_text,
    }


def view_json(view: RemindersView) -> dict[str, Any]:
    return {
        "mine": setting_json(view.mine),
        "offered": list(view.offered),
        "devices": view.devices,
        "care_team": [
            {
                "user_id": m.user_id,
                "name": m.name,
                "relation": m.relation,
                "offered": list(m.offered),
                "kinds": sorted(m.chosen),
            }
            for m in view.team
        ],
    }


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    return {
        "at": delivery.at.isoformat(),
        "to": delivery.recipient_name,
        "kind": delivery.kind,
        "channel": delivery.channel,
        "target": delivery.target,
        "title": delivery.title,
        "outcome": delivery.outcome,
        "detail": delivery.detail,
    }
