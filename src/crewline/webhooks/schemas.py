"""Webhook API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from crewline.webhooks.models import DeliveryStatus, EventType

#: Hosts that may be reached over plain http (a receiver on the same machine, in development).
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def webhook_url(value: str) -> str:
    """An absolute https URL, or http to localhost/127.0.0.1; no credentials, no fragment."""
    if not value.isascii() or not value.isprintable() or " " in value:
        raise ValueError("must be ASCII without spaces or control characters")
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError("must be an absolute https:// URL")
    if parts.scheme == "http" and host not in LOCAL_HOSTS:
        raise ValueError("must use https (plain http only to localhost or 127.0.0.1)")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain a user name or password")
    if parts.fragment:
        raise ValueError("must not contain a #fragment")
    _ = parts.port  # raises ValueError for a port that is not a number in 0..65535
    return value


def _distinct(events: list[EventType]) -> list[EventType]:
    return sorted(set(events))


WebhookUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(webhook_url),
]


class WebhookCreate(BaseModel):
    """A receiver URL and the events it wants."""

    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl
    events: Annotated[
        list[EventType], Field(min_length=1, max_length=10), AfterValidator(_distinct)
    ]


class WebhookRead(BaseModel):
    """A webhook as the API returns it (never the secret)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    url: str
    events: list[EventType]
    active: bool
    created_at: datetime
    created_by: str


class WebhookCreated(WebhookRead):
    """A freshly registered webhook, with its signing secret (shown this once)."""

    secret: str = Field(description="Standard Webhooks signing secret, `whsec_<base64>`")


class DeliveryRead(BaseModel):
    """One message to a webhook and how its delivery went."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    webhook_id: int
    msg_id: str
    event_type: EventType
    payload: dict[str, Any]
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPage(BaseModel):
    """Deliveries, newest first; pass ``next_before_id`` as ``before_id`` for older ones."""

    items: list[DeliveryRead]
    next_before_id: int | None
