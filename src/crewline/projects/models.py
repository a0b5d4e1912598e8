"""Projects and project membership (a worker's project history)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crewline.annotation.types import AnnotationType
from crewline.db import Base, utcnow
from crewline.people.models import Tier


class ProjectStatus(enum.StrEnum):
    """Where a project is in its life."""

    draft = "draft"
    live = "live"
    paused = "paused"
    closed = "closed"


class MemberRole(enum.StrEnum):
    """What a person does on a project."""

    annotator = "annotator"
    reviewer = "reviewer"
    expert = "expert"


def _annotation_type() -> Enum:
    # Stored by value ("single_label"), like every other enum here; the member names are upper.
    return Enum(
        AnnotationType,
        native_enum=False,
        length=20,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


class Project(Base):
    """A client's labelling program."""

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("client_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[ProjectStatus] = mapped_column(
        Enum(ProjectStatus, native_enum=False, length=20, validate_strings=True)
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    annotation_type: Mapped[AnnotationType] = mapped_column(
        _annotation_type(),
        server_default=AnnotationType.SINGLE_LABEL.value,
    )
    #: Distinct workers who label each task unless the task asks for another number.
    overlap: Mapped[int] = mapped_column(server_default="1")
    #: Share of claims answered with a gold task (0..1).
    gold_rate: Mapped[float] = mapped_column(server_default="0")
    priority: Mapped[int] = mapped_column(server_default="0")
    #: Turnaround target: a task is due this many hours after it arrives.
    sla_hours: Mapped[int | None]
    #: Lease length for this project's tasks; None uses CREWLINE_LEASE_MINUTES.
    lease_minutes: Mapped[int | None]
    min_tier: Mapped[Tier | None] = mapped_column(
        Enum(Tier, native_enum=False, length=30, validate_strings=True)
    )
    #: ``[{"language": "es", "min_level": "C1"}]``: every one is required.
    languages: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    #: Skill tags a worker must all have (qualifications, until assessments grant them).
    required_skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    skill_profile: Mapped[str] = mapped_column(Text, server_default="")
    profile_embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    pay_scheme: Mapped[str | None] = mapped_column(String(100))
    schema_version: Mapped[int] = mapped_column(server_default="0")
    guideline_version: Mapped[int] = mapped_column(server_default="0")
    completed_at: Mapped[datetime | None]
    #: Probation: a new annotator's first N tasks here are all gold (0: no probation) ...
    probation_tasks: Mapped[int] = mapped_column(server_default="0")
    #: ... and their mean gold score must reach this to be confirmed; below it they are held.
    probation_pass: Mapped[float] = mapped_column(server_default="0.8")
    #: A running guideline experiment's two versions (None: no experiment): the claim gives
    #: half the workers (or tasks, by ``trial_unit``) version A and the other half version B.
    trial_version_a: Mapped[int | None]
    trial_version: Mapped[int | None]
    trial_unit: Mapped[str | None] = mapped_column(String(10))
    trial_seed: Mapped[int] = mapped_column(server_default="0")


class SchemaVersion(Base):
    """One version of a project's label schema; versions are never edited, only added."""

    __tablename__ = "schema_versions"
    __table_args__ = (UniqueConstraint("project_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    version: Mapped[int]
    annotation_type: Mapped[AnnotationType] = mapped_column(_annotation_type())
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320))


class GuidelineVersion(Base):
    """One version of a project's guidelines (Markdown with worked examples per label)."""

    __tablename__ = "guideline_versions"
    __table_args__ = (UniqueConstraint("project_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    version: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(500), server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320))


class ProjectMember(Base):
    """A period a person worked on a project; ``left_at`` is None while they still do."""

    __tablename__ = "project_members"
    __table_args__ = (Index("ix_project_members_person_joined", "person_id", "joined_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    role: Mapped[MemberRole] = mapped_column(
        Enum(MemberRole, native_enum=False, length=20, validate_strings=True)
    )
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]
    left_reason: Mapped[str | None] = mapped_column(String(500))
    #: Set while quality holds the member back from the project's tasks (below its bar, a
    #: rule, a confirmed flag): routing offers them none and shows this reason.
    hold_reason: Mapped[str | None] = mapped_column(String(500))
    held_at: Mapped[datetime | None]
    #: The worker's tier on this project (promotion and demotion rules set it); None means
    #: their pool-wide tier (``Worker.tier``) applies.
    tier: Mapped[Tier | None] = mapped_column(
        Enum(Tier, native_enum=False, length=30, validate_strings=True)
    )
    #: Probation: how many more gold tasks before the member is confirmed (None: not on
    #: probation). While set, routing offers the member only the project's gold tasks.
    probation_left: Mapped[int | None]
    confirmed_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship(lazy="joined")
