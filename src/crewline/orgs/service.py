"""Clients and vendors: the only writer of ``organizations``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.errors import Conflict, NotFound
from crewline.orgs.models import Organization, OrgKind
from crewline.orgs.schemas import OrgCreate


def get(*, session: Session, org_id: int) -> Organization | None:
    """The organization with this id, if any."""
    return session.get(Organization, org_id)


def get_or_404(*, session: Session, org_id: int, kind: OrgKind | None = None) -> Organization:
    """The organization, or NotFound (also when it is not of the expected kind)."""
    org = session.get(Organization, org_id)
    if org is None or (kind is not None and org.kind != kind):
        label = kind.value if kind else "organization"
        raise NotFound(f"{label} {org_id} not found")
    return org


def list_orgs(*, session: Session, kind: OrgKind | None = None) -> list[Organization]:
    """All organizations (there are tens, not thousands), by name."""
    query = select(Organization).order_by(Organization.name)
    if kind is not None:
        query = query.where(Organization.kind == kind)
    return list(session.scalars(query))


def do_create_org(*, session: Session, actor: Actor, data: OrgCreate) -> Organization:
    """Create a client or vendor; a second one of the same kind and name is a conflict."""
    taken = session.scalar(
        select(Organization.id).where(
            Organization.kind == data.kind, Organization.name == data.name
        )
    )
    if taken is not None:
        raise Conflict(f"a {data.kind.value} named '{data.name}' already exists", field="name")
    org = Organization(**data.model_dump())
    audit.insert_created(
        session=session,
        actor=actor,
        created=[(org, data.model_dump())],
        action="org.create",
        entity_type="organization",
        duplicate=f"a {data.kind.value} named '{data.name}' already exists",
        field="name",
    )
    return org
