"""Writing and reading the audit log. Every domain's service calls ``record`` inside its write."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.audit.models import AuditEvent
from crewline.audit.schemas import Actor
from crewline.db import conflict_on_duplicate

REDACTED_KEYS = frozenset({"password", "password_hash", "token", "token_hash", "secret"})


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def snapshot(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A JSON-safe copy of ``values`` with secrets redacted (logs never hold secrets)."""
    if values is None:
        return None
    return {
        key: ("[redacted]" if key in REDACTED_KEYS else _jsonable(value))
        for key, value in values.items()
    }


def record(
    *,
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: object,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the caller's transaction (committed with the write it describes)."""
    event = AuditEvent(
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=snapshot(before),
        after=snapshot(after),
        ip=actor.ip,
    )
    session.add(event)
    return event


def insert_created(
    *,
    session: Session,
    actor: Actor,
    created: Sequence[tuple[Any, Mapping[str, Any]]],
    action: str,
    entity_type: str,
    duplicate: str,
    field: str | None = None,
    commit: bool = True,
) -> None:
    """Insert new rows and audit each one's creation, in one transaction.

    ``created`` pairs each new ORM object with the values to record. A unique-key race
    (another request inserted the same key since the service checked) becomes a Conflict
    with the ``duplicate`` message; nothing is written then. ``commit=False`` leaves the
    transaction open for a larger action.
    """
    session.add_all([row for row, _ in created])
    with conflict_on_duplicate(session, duplicate, field=field):
        session.flush()
    for row, after in created:
        record(
            session=session,
            actor=actor,
            action=action,
            entity_type=entity_type,
            entity_id=row.id,
            after=after,
        )
    if commit:
        session.commit()


def changed(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose values differ, as (before, after) — keeps update events readable."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def list_events(
    *,
    session: Session,
    limit: int = 50,
    before_id: int | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    actor_user_id: int | None = None,
    action: str | None = None,
) -> list[AuditEvent]:
    """Newest events first, keyset-paginated by id (the log only grows, so offsets would drift)."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id)
    if actor_user_id is not None:
        query = query.where(AuditEvent.actor_user_id == actor_user_id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(session.scalars(query))
