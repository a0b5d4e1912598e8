"""JSON routes for clients and vendors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from crewline.auth.deps import Principal, SessionDep, require
from crewline.auth.roles import STAFF, Role
from crewline.orgs import service
from crewline.orgs.models import OrgKind
from crewline.orgs.schemas import OrgCreate, OrgRead
from crewline.validation import Id

router = APIRouter(tags=["organizations"])


@router.get("/organizations", response_model=list[OrgRead])
def list_orgs(
    session: SessionDep,
    caller: Annotated[Principal, Depends(require(*STAFF))],
    kind: OrgKind | None = None,
) -> object:
    """Clients and vendors (staff only)."""
    return service.list_orgs(session=session, kind=kind)


@router.post("/organizations", response_model=OrgRead, status_code=status.HTTP_201_CREATED)
def create_org(
    data: OrgCreate,
    session: SessionDep,
    caller: Annotated[Principal, Depends(require(Role.admin, Role.ops_manager))],
) -> object:
    """Create a client or vendor; a duplicate name of the same kind is a 409."""
    return service.do_create_org(session=session, actor=caller.actor, data=data)


@router.get("/organizations/{org_id:int}", response_model=OrgRead)
def read_org(
    org_id: Id, session: SessionDep, caller: Annotated[Principal, Depends(require(*STAFF))]
) -> object:
    """One client or vendor (staff only)."""
    return service.get_or_404(session=session, org_id=org_id)
