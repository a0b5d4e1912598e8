"""JSON routes for projects and who works on them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from crewline.auth.deps import CurrentUser, Principal, SessionDep, require
from crewline.auth.roles import STAFF, Role
from crewline.errors import NotFound
from crewline.people import service as people
from crewline.people.access import ensure_visible
from crewline.projects import service
from crewline.projects.models import Project
from crewline.projects.schemas import (
    MemberCreate,
    MemberEnd,
    MemberRead,
    ProjectCreate,
    ProjectRead,
)
from crewline.validation import Id

router = APIRouter(tags=["projects"])
Viewer = Annotated[Principal, Depends(require(*STAFF, Role.client_viewer))]
Staff = Annotated[Principal, Depends(require(*STAFF))]
Manager = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager))]


def visible_project(principal: Principal, project: Project | None, project_id: Id) -> Project:
    """The project if the caller may see it: staff see all, a client viewer their client's."""
    if project is None or (
        principal.role is Role.client_viewer and project.client_id != principal.user.organization_id
    ):
        raise NotFound(f"project {project_id} not found")
    return project


@router.get("/projects", response_model=list[ProjectRead])
def list_projects(session: SessionDep, caller: Viewer) -> object:
    """Projects (a client viewer sees only their client's)."""
    client_id = caller.user.organization_id if caller.role is Role.client_viewer else None
    if caller.role is Role.client_viewer and client_id is None:
        return []
    return service.list_projects(session=session, client_id=client_id)


@router.post("/projects", response_model=ProjectRead, status_code=status.HTTP_201_CREATED)
def create_project(data: ProjectCreate, session: SessionDep, caller: Manager) -> object:
    """Create a project for a client."""
    return service.do_create_project(session=session, actor=caller.actor, data=data)


@router.get("/projects/{project_id:int}", response_model=ProjectRead)
def read_project(project_id: Id, session: SessionDep, caller: Viewer) -> object:
    """One project."""
    project = session.get(Project, project_id)
    return visible_project(caller, project, project_id)


@router.get("/projects/{project_id:int}/members", response_model=list[MemberRead])
def list_members(project_id: Id, session: SessionDep, caller: Staff) -> object:
    """Everyone who is or was on the project (staff only: clients see pseudonymous data)."""
    service.get_or_404(session=session, project_id=project_id)
    return service.members(session=session, project_id=project_id)


@router.post(
    "/projects/{project_id:int}/members",
    response_model=MemberRead,
    status_code=status.HTTP_201_CREATED,
)
def add_member(project_id: Id, data: MemberCreate, session: SessionDep, caller: Manager) -> object:
    """Put a person on the project."""
    return service.do_add_member(
        session=session, actor=caller.actor, project_id=project_id, data=data
    )


@router.post("/projects/{project_id:int}/members/{member_id:int}/end", response_model=MemberRead)
def end_member(
    project_id: Id, member_id: Id, data: MemberEnd, session: SessionDep, caller: Manager
) -> object:
    """Take a person off the project, with the reason."""
    return service.do_end_membership(
        session=session, actor=caller.actor, project_id=project_id, member_id=member_id, data=data
    )


@router.get("/people/{person_id:int}/projects", response_model=list[MemberRead])
def person_history(person_id: Id, session: SessionDep, caller: CurrentUser) -> object:
    """A person's project history (whoever may see the person may see it)."""
    ensure_visible(caller, people.get(session=session, person_id=person_id), person_id)
    return service.history(session=session, person_id=person_id)
