"""/api/v1: push subscriptions, the reminder and alert settings, the delivery log, notification buttons."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from dosewise.domain.errors import InvalidInput
from dosewise.services import reminders
from dosewise.services.ports import Actor
from dosewise.web.errors import ERROR_RESPONSES
from dosewise.web.push.models import (
    ActionIn,
    CareTeamIn,
    MineIn,
    SubscriptionIn,
    UnsubscribeIn,
    delivery_json,
    setting_json,
    view_json,
)
from dosewise.web.security import context, csrf_protect, signed_in

router = APIRouter(
    prefix="/api/v1", tags=["reminders"], dependencies=[Depends(csrf_protect)], responses=ERROR_RESPONSES
)
# The notification buttons: the service worker has no CSRF token, and needs none. The action token the
# notification carries is the credential (one job, for the person it was sent to).
actions = APIRouter(prefix="/api/v1/push", tags=["reminders"], responses=ERROR_RESPONSES)
SignedIn = Annotated[Actor, Depends(signed_in)]


@router.get("/push/key", summary="The VAPID public key browsers subscribe with")
def push_key(request: Request, actor: SignedIn) -> dict[str, str]:
    push = context(request).push
    if push is None:
        raise InvalidInput("push notifications are not set up on this server")
    return {"public_key": push.public_key}


@router.post(
    "/patients/{patient_id}/push-subscriptions",
    status_code=201,
    summary="Receive this record's reminders and alerts on this device (a browser PushSubscription)",
)
def subscribe(patient_id: str, request: Request, actor: SignedIn, body: SubscriptionIn) -> dict[str, Any]:
    ctx = context(request)
    devices = reminders.subscribe(
        store=ctx.store,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        endpoint=body.endpoint,
        p256dh=body.keys.p256dh,
        auth=body.keys.auth,
        allow_insecure=ctx.settings.push_insecure_endpoints,
    )
    return {"devices": devices}


@router.post("/push-subscriptions/remove", summary="Stop notifications on this device")
def unsubscribe(request: Request, actor: SignedIn, body: UnsubscribeIn) -> dict[str, bool]:
    return {
        "removed": reminders.unsubscribe(store=context(request).store, actor=actor, endpoint=body.endpoint)
    }


@router.get("/patients/{patient_id}/reminders", summary="What you are told about this record, and how")
def get_settings(patient_id: str, request: Request, actor: SignedIn) -> dict[str, Any]:
    return view_json(
        reminders.reminders_view(store=context(request).store, actor=actor, public_id=patient_id)
    )


@router.put(
    "/patients/{patient_id}/reminders", summary="Your own ways of being told (and the patient's reminders)"
)
def put_settings(patient_id: str, request: Request, actor: SignedIn, body: MineIn) -> dict[str, Any]:
    ctx = context(request)
    saved = reminders.save_mine(
        store=ctx.store,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        by_push=body.by_push,
        by_email=body.by_email,
        quiet_from=body.quiet_from,
        quiet_to=body.quiet_to,
        private_text=body.private_text,
        own_kinds=body.own_kinds,
    )
    return setting_json(saved)


@router.put(
    "/patients/{patient_id}/reminders/care-team", summary="The patient chooses what one person is told"
)
def put_care_team(patient_id: str, request: Request, actor: SignedIn, body: CareTeamIn) -> dict[str, Any]:
    ctx = context(request)
    saved = reminders.choose_for(
        store=ctx.store,
        clock=ctx.clock,
        actor=actor,
        public_id=patient_id,
        user_id=body.user_id,
        kinds=body.kinds,
    )
    return setting_json(saved)


@router.get("/patients/{patient_id}/deliveries", summary="Every reminder and alert sent about the record")
def deliveries(patient_id: str, request: Request, actor: SignedIn) -> dict[str, Any]:
    _, log = reminders.delivery_log(store=context(request).store, actor=actor, public_id=patient_id)
    return {"deliveries": [delivery_json(d) for d in log]}


@actions.post(
    "/actions", summary="A notification's Taken or Snooze button (the notification's token is the credential)"
)
def act(request: Request, body: ActionIn) -> dict[str, str]:
    ctx = context(request)
    result = reminders.act_on_notification(
        store=ctx.store,
        kb=ctx.kb,
        clock=ctx.clock,
        secret=ctx.secret_key,
        token=body.token,
        action=body.action,
    )
    return {"outcome": result.outcome, "message": result.message, "url": result.url}
