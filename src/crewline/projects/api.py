"""JSON routes for projects and who works on them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from crewline.auth.deps import CurrentUser, Principal, SessionDep, require
from crewline.auth.roles import STAFF, Role
from crewline.people import service as people
from crewline.people.access import ensure_visible
from crewline.people.deps import EmbedderDep
from crewline.projects import service
from crewline.projects.access import visible_project
from crewline.projects.schemas import (
    GuidelineCreate,
    GuidelineRead,
    MemberCreate,
    MemberEnd,
    MemberRead,
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
    SchemaCreate,
    SchemaRead,
)
from crewline.validation import Id

router = APIRouter(tags=["projects"])
Viewer = Annotated[Principal, Depends(require(*STAFF, Role.client_viewer))]
Staff = Annotated[Principal, Depends(require(*STAFF))]
Manager = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager))]
Editor = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager, Role.reviewer))]


@router.get("/projects", response_model=list[ProjectRead])
def list_projects(session: SessionDep, caller: Viewer) -> object:
    """Projects (a client viewer sees only their client's)."""
    client_id = caller.user.organization_id if caller.role is Role.client_viewer else None
    if caller.role is Role.client_viewer and client_id is None:
        return []
    return service.list_projects(session=session, client_id=client_id)


@router.post("/projects", response_model=ProjectRead, status_code=status.HTTP_201_CREATED)
def create_project(
    data: ProjectCreate, session: SessionDep, embedder: EmbedderDep, caller: Manager
) -> object:
    """Create a project for a client, optionally with its label schema and guidelines."""
    return service.do_create_project(
        session=session, actor=caller.actor, data=data, embedder=embedder
    )


@router.patch("/projects/{project_id:int}", response_model=ProjectRead)
def update_project(
    project_id: Id, data: ProjectUpdate, session: SessionDep, embedder: EmbedderDep, caller: Manager
) -> object:
    """Change settings or status (going live needs a schema and guidelines)."""
    return service.do_update_project(
        session=session, actor=caller.actor, project_id=project_id, data=data, embedder=embedder
    )


@router.post(
    "/projects/{project_id:int}/schema",
    response_model=SchemaRead,
    status_code=status.HTTP_201_CREATED,
)
def add_schema(project_id: Id, data: SchemaCreate, session: SessionDep, caller: Manager) -> object:
    """Add a label-schema version (JSON object or YAML text); later annotations record it."""
    return service.do_add_schema_version(
        session=session, actor=caller.actor, project_id=project_id, spec=data.spec
    )


@router.get("/projects/{project_id:int}/schema", response_model=list[SchemaRead])
def list_schemas(project_id: Id, session: SessionDep, caller: Viewer) -> object:
    """Every label-schema version, newest first."""
    visible_project(session=session, principal=caller, project_id=project_id)
    return service.schema_versions(session=session, project_id=project_id)


@router.post(
    "/projects/{project_id:int}/guidelines",
    response_model=GuidelineRead,
    status_code=status.HTTP_201_CREATED,
)
def add_guidelines(
    project_id: Id, data: GuidelineCreate, session: SessionDep, caller: Editor
) -> object:
    """Add a guideline version (reviewers may, to answer guideline questions)."""
    return service.do_add_guideline_version(
        session=session, actor=caller.actor, project_id=project_id, body=data.body, note=data.note
    )


@router.get("/projects/{project_id:int}/guidelines", response_model=list[GuidelineRead])
def list_guidelines(project_id: Id, session: SessionDep, caller: Viewer) -> object:
    """Every guideline version, newest first."""
    visible_project(session=session, principal=caller, project_id=project_id)
    return service.guideline_versions(session=session, project_id=project_id)


@router.get("/projects/{project_id:int}", response_model=ProjectRead)
def read_project(project_id: Id, session: SessionDep, caller: Viewer) -> object:
    """One project."""
    return visible_project(session=session, principal=caller, project_id=project_id)


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
