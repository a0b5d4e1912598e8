"""JSON route for the audit log (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from crewline.audit import service
from crewline.audit.schemas import AuditEventPage, AuditEventRead
from crewline.auth.deps import Principal, SessionDep, require
from crewline.auth.roles import Role
from crewline.validation import MAX_ID

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=AuditEventPage)
def list_events(
    session: SessionDep,
    caller: Annotated[Principal, Depends(require(Role.admin))],
    entity_type: Annotated[str | None, Query(max_length=60)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_user_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AuditEventPage:
    """Audit events, newest first; page with ``before_id=<next_before_id>``."""
    events = service.list_events(
        session=session,
        limit=limit,
        before_id=before_id,
        entity_type=entity_type,
        entity_id=entity_id,
        actor_user_id=actor_user_id,
        action=action,
    )
    return AuditEventPage(
        items=[AuditEventRead.model_validate(e) for e in events],
        next_before_id=events[-1].id if len(events) == limit else None,
    )
