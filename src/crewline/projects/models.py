"""Projects and project membership (a worker's project history)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crewline.db import Base, utcnow


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

    project: Mapped[Project] = relationship(lazy="joined")
