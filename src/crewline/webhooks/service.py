"""Webhooks and deliveries: registering receivers, recording events, replays.

The delivery job (sending, retries) is in ``webhooks.delivery``; together they are the only
writers of ``webhooks`` and ``webhook_deliveries``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, bindparam, select, update
from sqlalchemy.orm import Session

from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.db import utcnow
from crewline.errors import Conflict, NotFound
from crewline.projects import service as projects
from crewline.webhooks import signing
from crewline.webhooks.models import DeliveryStatus, EventType, Webhook, WebhookDelivery
from crewline.webhooks.schemas import WebhookCreate

#: Written to a pending delivery's ``last_error`` when its webhook is disabled.
DISABLED = "webhook disabled; not sent"


def get(*, session: Session, webhook_id: int) -> Webhook | None:
    """The webhook, or None."""
    return session.get(Webhook, webhook_id)


def get_or_404(*, session: Session, webhook_id: int) -> Webhook:
    """The webhook, or NotFound."""
    webhook = get(session=session, webhook_id=webhook_id)
    if webhook is None:
        raise NotFound(f"webhook {webhook_id} not found")
    return webhook


def get_delivery(*, session: Session, delivery_id: int) -> WebhookDelivery | None:
    """The delivery, or None."""
    return session.get(WebhookDelivery, delivery_id)


def list_for_project(*, session: Session, project_id: int) -> list[Webhook]:
    """A project's webhooks, active and disabled, oldest first."""
    return list(
        session.scalars(
            select(Webhook).where(Webhook.project_id == project_id).order_by(Webhook.id)
        )
    )


def list_deliveries(
    *,
    session: Session,
    webhook_id: int,
    limit: int = 50,
    before_id: int | None = None,
    status: DeliveryStatus | None = None,
) -> list[WebhookDelivery]:
    """A webhook's deliveries, newest first, keyset-paginated by id."""
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(WebhookDelivery.id < before_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    return list(session.scalars(query))


def do_register(
    *, session: Session, actor: Actor, project_id: int, data: WebhookCreate
) -> tuple[Webhook, str]:
    """Register a receiver for a project's events; returns the webhook and its secret.

    The secret is returned here only. A project cannot have two active webhooks with one URL
    (every event would be sent twice).
    """
    projects.get_or_404(session=session, project_id=project_id)
    taken = session.scalar(
        select(Webhook.id).where(
            Webhook.project_id == project_id, Webhook.url == data.url, Webhook.active
        )
    )
    if taken is not None:
        raise Conflict(f"webhook {taken} of this project already sends to this URL", field="url")
    secret = signing.new_secret()
    webhook = Webhook(
        project_id=project_id,
        url=data.url,
        secret=secret,
        events=[event.value for event in data.events],
        active=True,
        created_by=actor.label,
    )
    audit.insert_created(
        session=session,
        actor=actor,
        created=[(webhook, {"project_id": project_id, "url": data.url, "events": webhook.events})],
        action="webhook.create",
        entity_type="webhook",
        duplicate="this webhook already exists",
    )
    return webhook, secret


def do_disable(*, session: Session, actor: Actor, webhook_id: int) -> Webhook:
    """Stop a webhook: no new events, and its pending deliveries fail without being sent.

    The webhook and its delivery history stay readable; disabling twice is a Conflict.
    """
    webhook = get_or_404(session=session, webhook_id=webhook_id)
    if not webhook.active:
        raise Conflict(f"webhook {webhook_id} is already disabled")
    webhook.active = False
    session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.webhook_id == webhook_id,
            WebhookDelivery.status == DeliveryStatus.pending,
        )
        .values(status=DeliveryStatus.failed, next_attempt_at=None, last_error=DISABLED)
    )
    audit.record(
        session=session,
        actor=actor,
        action="webhook.disable",
        entity_type="webhook",
        entity_id=webhook_id,
        before={"active": True},
        after={"active": False},
    )
    session.commit()
    return webhook


@cache
def _active_hooks() -> Select[int, list[str]]:
    """Built once: ``emit`` runs after every completed task, on the submit path."""
    return select(Webhook.id, Webhook.events).where(
        Webhook.project_id == bindparam("b_project_id", type_=Integer), Webhook.active
    )


def emit(
    *, session: Session, project_id: int, event_type: EventType, payload: Mapping[str, Any]
) -> int:
    """Queue one delivery of an event to every active webhook of the project that wants it.

    The deliveries are added to the caller's transaction and not committed: the event is
    recorded exactly when the change that caused it commits, and not at all if it rolls back.
    ``payload`` must be JSON-native (str, numbers, bools, None, lists, dicts); it becomes the
    event's ``data`` with ``project_id`` set. Returns how many deliveries were queued.
    """
    event_type = EventType(event_type)
    data = json.loads(json.dumps({**payload, "project_id": project_id}))
    webhooks = session.execute(_active_hooks(), {"b_project_id": project_id})
    now = utcnow()
    deliveries = [
        WebhookDelivery(
            webhook_id=webhook.id,
            msg_id=signing.new_msg_id(),
            event_type=event_type,
            payload=data,
            status=DeliveryStatus.pending,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for webhook in webhooks
        if event_type.value in webhook.events
    ]
    session.add_all(deliveries)
    return len(deliveries)


def do_replay(
    *, session: Session, actor: Actor, delivery_id: int, now: datetime | None = None
) -> WebhookDelivery:
    """Send a delivered or failed delivery again, from now on, with the same message id.

    Receivers can de-duplicate by ``webhook-id``. The replay gets the full retry schedule
    (``attempts`` starts again from 0). A pending delivery, or one of a disabled webhook,
    is a Conflict.
    """
    delivery = get_delivery(session=session, delivery_id=delivery_id)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} not found")
    if delivery.status is DeliveryStatus.pending:
        raise Conflict(f"delivery {delivery_id} is already queued")
    webhook = get_or_404(session=session, webhook_id=delivery.webhook_id)
    if not webhook.active:
        raise Conflict(f"webhook {webhook.id} is disabled; its deliveries cannot be replayed")
    before = {"status": delivery.status, "attempts": delivery.attempts}
    delivery.status = DeliveryStatus.pending
    delivery.attempts = 0
    delivery.next_attempt_at = now or utcnow()
    delivery.delivered_at = None
    audit.record(
        session=session,
        actor=actor,
        action="webhook.replay",
        entity_type="webhook_delivery",
        entity_id=delivery_id,
        before=before,
        after={"status": delivery.status, "msg_id": delivery.msg_id},
    )
    session.commit()
    return delivery
