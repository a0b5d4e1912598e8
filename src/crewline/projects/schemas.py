"""Project API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from crewline.annotation import AnnotationType
from crewline.people.models import Tier
from crewline.people.schemas import SkillTag
from crewline.projects.models import MemberRole, ProjectStatus
from crewline.validation import MAX_ID, CefrLevel, LanguageCode, Name

#: A label schema as a JSON object, or as YAML/JSON text (parsed by ``crewline.annotation``).
SchemaSpec = dict[str, Any] | Annotated[str, StringConstraints(max_length=65536)]
Guidelines = Annotated[str, StringConstraints(min_length=1, max_length=200_000)]


class LanguageRequirement(BaseModel):
    """A language every worker on the project must have, at this CEFR level or above."""

    model_config = ConfigDict(extra="forbid")

    language: LanguageCode
    min_level: CefrLevel


class ProjectSettings(BaseModel):
    """Who may work on a project and how its work is routed (shared by create and update)."""

    model_config = ConfigDict(extra="forbid")

    overlap: int = Field(1, ge=1, le=50, description="Distinct workers per task")
    gold_rate: float = Field(0.0, ge=0, le=1, description="Share of claims answered with gold")
    priority: int = Field(0, ge=-1000, le=1000)
    sla_hours: int | None = Field(None, ge=1, le=24 * 365)
    lease_minutes: int | None = Field(None, ge=1, le=24 * 60)
    min_tier: Tier | None = None
    languages: list[LanguageRequirement] = Field(default_factory=list, max_length=10)
    required_skills: list[SkillTag] = Field(default_factory=list, max_length=20)
    skill_profile: Annotated[str, StringConstraints(max_length=5000)] = ""
    pay_scheme: Annotated[str, StringConstraints(max_length=100)] | None = None
    probation_tasks: int = Field(
        0, ge=0, le=1000, description="A new annotator's first N tasks are gold (0: none)"
    )
    probation_pass: float = Field(
        0.8, ge=0, le=1, description="Mean gold score over probation needed to be confirmed"
    )


class ProjectCreate(ProjectSettings):
    """A new project for a client; a label schema and guidelines may come with it."""

    client_id: int = Field(ge=1, le=MAX_ID)
    name: Name
    status: ProjectStatus = ProjectStatus.draft
    annotation_type: AnnotationType = AnnotationType.SINGLE_LABEL
    label_schema: SchemaSpec | None = None
    guidelines: Guidelines | None = None


class ProjectUpdate(BaseModel):
    """Changes to a project's settings or status (only the fields given)."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    status: ProjectStatus | None = None
    overlap: int | None = Field(None, ge=1, le=50)
    gold_rate: float | None = Field(None, ge=0, le=1)
    priority: int | None = Field(None, ge=-1000, le=1000)
    sla_hours: int | None = Field(None, ge=1, le=24 * 365)
    lease_minutes: int | None = Field(None, ge=1, le=24 * 60)
    min_tier: Tier | None = None
    languages: list[LanguageRequirement] | None = Field(None, max_length=10)
    required_skills: list[SkillTag] | None = Field(None, max_length=20)
    skill_profile: Annotated[str, StringConstraints(max_length=5000)] | None = None
    pay_scheme: Annotated[str, StringConstraints(max_length=100)] | None = None
    probation_tasks: int | None = Field(None, ge=0, le=1000)
    probation_pass: float | None = Field(None, ge=0, le=1)


class ProjectRead(BaseModel):
    """A project as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    client_id: int
    name: str
    status: ProjectStatus
    annotation_type: AnnotationType
    overlap: int
    gold_rate: float
    priority: int
    sla_hours: int | None
    lease_minutes: int | None
    min_tier: Tier | None
    languages: list[LanguageRequirement]
    required_skills: list[str]
    skill_profile: str
    pay_scheme: str | None
    probation_tasks: int
    probation_pass: float
    schema_version: int
    guideline_version: int
    created_at: datetime
    completed_at: datetime | None


class SchemaCreate(BaseModel):
    """A new label-schema version: a JSON object, or the same as YAML text."""

    model_config = ConfigDict(extra="forbid")

    spec: SchemaSpec


class SchemaRead(BaseModel):
    """One label-schema version."""

    model_config = ConfigDict(from_attributes=True)

    version: int
    annotation_type: AnnotationType
    spec: dict[str, Any]
    created_at: datetime
    created_by: str


class GuidelineCreate(BaseModel):
    """A new guideline version (Markdown with worked examples per label)."""

    model_config = ConfigDict(extra="forbid")

    body: Guidelines
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class GuidelineRead(BaseModel):
    """One guideline version."""

    model_config = ConfigDict(from_attributes=True)

    version: int
    body: str
    note: str
    created_at: datetime
    created_by: str


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
