"""Who may see a project: staff see every project, a client viewer their own client's."""

from __future__ import annotations

from sqlalchemy.orm import Session

from crewline.auth.deps import Principal
from crewline.auth.roles import Role
from crewline.errors import NotFound
from crewline.projects.models import Project


def visible_project(*, session: Session, principal: Principal, project_id: int) -> Project:
    """The project if the caller may see it; otherwise NotFound, as if it did not exist."""
    project = session.get(Project, project_id)
    if project is None or (
        principal.role is Role.client_viewer and project.client_id != principal.user.organization_id
    ):
        raise NotFound(f"project {project_id} not found")
    return project
