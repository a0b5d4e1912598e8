"""Audit shapes: the acting principal passed to every writing service, and the API read model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is doing a write. Services take one so every staff write can be audited.

    ``user_id`` is None for the system itself (demo generator, scheduled jobs).
    """

    user_id: int | None
    label: str
    role: str = "system"
    ip: str | None = None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        """The actor for writes made by Crewline itself."""
        return cls(user_id=None, label=label)


class AuditEventRead(BaseModel):
    """An audit event as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_user_id: int | None
    actor_label: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    ip: str | None


class AuditEventPage(BaseModel):
    """One page of audit events, newest first; pass ``next_before_id`` to get the next page."""

    items: list[AuditEventRead]
    next_before_id: int | None
