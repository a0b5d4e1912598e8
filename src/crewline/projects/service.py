"""Projects and membership: the only writer of ``projects`` and ``project_members``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.db import utcnow
from crewline.errors import Conflict, InvalidInput, NotFound
from crewline.orgs import service as orgs
from crewline.orgs.models import OrgKind
from crewline.people import service as people
from crewline.projects.models import Project, ProjectMember
from crewline.projects.schemas import MemberCreate, MemberEnd, ProjectCreate


def get_or_404(*, session: Session, project_id: int) -> Project:
    """The project, or NotFound."""
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"project {project_id} not found")
    return project


def list_projects(*, session: Session, client_id: int | None = None) -> list[Project]:
    """Projects by name, optionally of one client."""
    query = select(Project).order_by(Project.name)
    if client_id is not None:
        query = query.where(Project.client_id == client_id)
    return list(session.scalars(query))


def do_create_project(
    *, session: Session, actor: Actor, data: ProjectCreate, commit: bool = True
) -> Project:
    """Create a project for a client; a client cannot have two projects with one name."""
    orgs.get_or_404(session=session, org_id=data.client_id, kind=OrgKind.client)
    taken = session.scalar(
        select(Project.id).where(Project.client_id == data.client_id, Project.name == data.name)
    )
    if taken is not None:
        raise Conflict(f"this client already has a project named '{data.name}'", field="name")
    project = Project(**data.model_dump())
    audit.insert_created(
        session=session,
        actor=actor,
        created=[(project, data.model_dump())],
        action="project.create",
        entity_type="project",
        duplicate=f"this client already has a project named '{data.name}'",
        field="name",
        commit=commit,
    )
    return project


def do_add_member(
    *, session: Session, actor: Actor, project_id: int, data: MemberCreate, commit: bool = True
) -> ProjectMember:
    """Put a person on a project; they cannot be on it twice at once."""
    get_or_404(session=session, project_id=project_id)
    people.get_or_404(session=session, person_id=data.person_id)
    current = session.scalar(
        select(ProjectMember.id).where(
            ProjectMember.project_id == project_id,
            ProjectMember.person_id == data.person_id,
            ProjectMember.left_at.is_(None),
        )
    )
    if current is not None:
        raise Conflict(f"person {data.person_id} is already on project {project_id}")
    joined = data.joined_at or utcnow()
    if joined > utcnow():
        raise InvalidInput("joined_at", "cannot be in the future")
    member = ProjectMember(
        project_id=project_id, person_id=data.person_id, role=data.role, joined_at=joined
    )
    session.add(member)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="project.add_member",
        entity_type="person",
        entity_id=data.person_id,
        after={"project_id": project_id, "role": data.role},
    )
    if commit:
        session.commit()
    return member


def do_end_membership(
    *,
    session: Session,
    actor: Actor,
    project_id: int,
    member_id: int,
    data: MemberEnd,
    commit: bool = True,
) -> ProjectMember:
    """Take a person off a project, keeping the period in their history."""
    member = session.get(ProjectMember, member_id)
    if member is None or member.project_id != project_id:
        raise NotFound(f"membership {member_id} not found on project {project_id}")
    if member.left_at is not None:
        raise Conflict(f"membership {member_id} already ended")
    left = data.left_at or utcnow()
    if left < member.joined_at:
        raise InvalidInput("left_at", "cannot be before the person joined")
    member.left_at, member.left_reason = left, data.reason
    audit.record(
        session=session,
        actor=actor,
        action="project.end_member",
        entity_type="person",
        entity_id=member.person_id,
        after={"project_id": member.project_id, "reason": data.reason},
    )
    if commit:
        session.commit()
    return member


def history(*, session: Session, person_id: int) -> list[ProjectMember]:
    """A person's project periods, most recent first."""
    return list(
        session.scalars(
            select(ProjectMember)
            .where(ProjectMember.person_id == person_id)
            .order_by(ProjectMember.joined_at.desc())
        )
    )


def members(*, session: Session, project_id: int) -> list[ProjectMember]:
    """Everyone who is or was on a project."""
    return list(
        session.scalars(
            select(ProjectMember)
            .where(ProjectMember.project_id == project_id)
            .order_by(ProjectMember.joined_at)
        )
    )
