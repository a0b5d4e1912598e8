"""JSON routes for project webhooks and their deliveries.

Administrators and operations managers manage every project's webhooks; a client viewer
manages those of their own client's projects. Anything else the caller may not see is a 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.orm import Session

from crewline.auth.deps import Principal, SessionDep, require
from crewline.auth.roles import Role
from crewline.errors import NotFound
from crewline.projects.access import visible_project
from crewline.validation import MAX_ID, Id
from crewline.webhooks import service
from crewline.webhooks.models import DeliveryStatus, Webhook
from crewline.webhooks.schemas import (
    DeliveryPage,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
)

router = APIRouter(tags=["webhooks"])
Manager = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager, Role.client_viewer))]


def _visible_webhook(session: Session, caller: Principal, webhook_id: int) -> Webhook:
    """The webhook if the caller may see its project; otherwise NotFound, as if absent."""
    webhook = service.get(session=session, webhook_id=webhook_id)
    if webhook is None:
        raise NotFound(f"webhook {webhook_id} not found")
    try:
        visible_project(session=session, principal=caller, project_id=webhook.project_id)
    except NotFound:
        raise NotFound(f"webhook {webhook_id} not found") from None
    return webhook


@router.post(
    "/projects/{project_id:int}/webhooks",
    response_model=WebhookCreated,
    status_code=status.HTTP_201_CREATED,
)
def register_webhook(
    project_id: Id, data: WebhookCreate, session: SessionDep, caller: Manager
) -> object:
    """Register a receiver for the project's events; the signing secret is in this answer only."""
    visible_project(session=session, principal=caller, project_id=project_id)
    webhook, secret = service.do_register(
        session=session, actor=caller.actor, project_id=project_id, data=data
    )
    return WebhookCreated.model_validate(
        {**WebhookRead.model_validate(webhook).model_dump(), "secret": secret}
    )


@router.get("/projects/{project_id:int}/webhooks", response_model=list[WebhookRead])
def list_webhooks(project_id: Id, session: SessionDep, caller: Manager) -> object:
    """The project's webhooks, active and disabled (never the secrets)."""
    visible_project(session=session, principal=caller, project_id=project_id)
    return service.list_for_project(session=session, project_id=project_id)


@router.delete("/webhooks/{webhook_id:int}", response_model=WebhookRead)
def disable_webhook(webhook_id: Id, session: SessionDep, caller: Manager) -> object:
    """Disable a webhook: no more events; its pending deliveries fail unsent."""
    _visible_webhook(session, caller, webhook_id)
    return service.do_disable(session=session, actor=caller.actor, webhook_id=webhook_id)


@router.get("/webhooks/{webhook_id:int}/deliveries", response_model=DeliveryPage)
def list_deliveries(
    webhook_id: Id,
    session: SessionDep,
    caller: Manager,
    delivery_status: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DeliveryPage:
    """The webhook's deliveries, newest first, with attempts and the last error."""
    _visible_webhook(session, caller, webhook_id)
    deliveries = service.list_deliveries(
        session=session,
        webhook_id=webhook_id,
        limit=limit,
        before_id=before_id,
        status=delivery_status,
    )
    return DeliveryPage(
        items=[DeliveryRead.model_validate(d) for d in deliveries],
        next_before_id=deliveries[-1].id if len(deliveries) == limit else None,
    )


@router.post("/webhook-deliveries/{delivery_id:int}/replay", response_model=DeliveryRead)
def replay_delivery(delivery_id: Id, session: SessionDep, caller: Manager) -> object:
    """Send a delivered or failed delivery again now, with the same ``webhook-id``."""
    delivery = service.get_delivery(session=session, delivery_id=delivery_id)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} not found")
    try:
        _visible_webhook(session, caller, delivery.webhook_id)
    except NotFound:
        raise NotFound(f"delivery {delivery_id} not found") from None
    return service.do_replay(session=session, actor=caller.actor, delivery_id=delivery_id)
