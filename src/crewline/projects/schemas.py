"""Project API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from crewline.projects.models import MemberRole, ProjectStatus
from crewline.validation import MAX_ID, Name


class ProjectCreate(BaseModel):
    """A new project for a client."""

    model_config = ConfigDict(extra="forbid")

    client_id: int = Field(ge=1, le=MAX_ID)
    name: Name
    status: ProjectStatus = ProjectStatus.draft


class ProjectRead(BaseModel):
    """A project as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    client_id: int
    name: str
    status: ProjectStatus
    created_at: datetime


class MemberCreate(BaseModel):
    """Put a person on a project."""

    model_config = ConfigDict(extra="forbid")

    person_id: int = Field(ge=1, le=MAX_ID)
    role: MemberRole = MemberRole.annotator
    joined_at: AwareDatetime | None = Field(None, description="Defaults to now")


class MemberEnd(BaseModel):
    """Take a person off a project, saying why."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    left_at: AwareDatetime | None = None


class MemberRead(BaseModel):
    """One period of a person on a project."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    person_id: int
    role: MemberRole
    joined_at: datetime
    left_at: datetime | None
    left_reason: str | None
