"""The audit log page (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from crewline.audit import service
from crewline.auth.deps import Principal, SessionDep, require
from crewline.auth.roles import Role
from crewline.validation import MAX_ID
from crewline.web.navigation import Navigation
from crewline.web.templating import render

router = APIRouter()
PAGE = 100


def register_navigation(nav: Navigation) -> None:
    """Only admins read the audit log."""
    nav.add("Audit log", "/audit", {Role.admin}, order=800)


@router.get("/audit")
def audit_page(
    request: Request,
    session: SessionDep,
    caller: Annotated[Principal, Depends(require(Role.admin))],
    entity_type: Annotated[str | None, Query(max_length=60)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """Every staff write, newest first, filterable by entity and action."""
    events = service.list_events(
        session=session,
        limit=PAGE,
        before_id=before_id,
        entity_type=entity_type or None,
        entity_id=entity_id or None,
        action=action or None,
    )
    return render(
        request,
        "audit/list.html",
        {
            "events": events,
            "next_before_id": events[-1].id if len(events) == PAGE else None,
            "entity_type": entity_type or "",
            "entity_id": entity_id or "",
            "action": action or "",
        },
        principal=caller,
    )
