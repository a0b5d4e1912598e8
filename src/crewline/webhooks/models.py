"""Webhooks (a project's receiver URL and signing key) and their deliveries (one message each)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from crewline.db import Base, utcnow


class EventType(enum.StrEnum):
    """What a receiver can subscribe to."""

    task_completed = "task.completed"
    project_completed = "project.completed"


class DeliveryStatus(enum.StrEnum):
    """``pending`` until a 2xx (``delivered``) or the last retry fails (``failed``)."""

    pending = "pending"
    delivered = "delivered"
    failed = "failed"


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored by value ("task.completed"), which differs from the member name here.
    return Enum(
        cls,
        native_enum=False,
        length=30,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


class Webhook(Base):
    """A receiver registered for one project's events.

    ``secret`` is the Standard Webhooks signing key (``whsec_<base64>``). It is stored as is
    because every delivery is signed with it, and it is shown only once, at registration.
    """

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(100))
    #: Event types (``EventType`` values) this receiver wants.
    events: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320))


class WebhookDelivery(Base):
    """One message to one webhook, with where its delivery stands.

    ``next_attempt_at`` is set while the delivery is pending and cleared once it is delivered
    or has failed; the delivery job reads only the partial index over pending rows.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_webhook_deliveries_webhook_id_id", "webhook_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    #: The Standard Webhooks message id (``webhook-id``); kept on retries and replays.
    msg_id: Mapped[str] = mapped_column(String(40), unique=True)
    event_type: Mapped[EventType] = mapped_column(_enum(EventType))
    #: The event's ``data`` object.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus))
    #: Tries since the delivery was last queued (by the event or a replay).
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
