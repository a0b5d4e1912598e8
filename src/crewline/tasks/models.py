"""Tasks, assignments (one worker's lease and answer on one task) and flags."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from crewline.db import Base, utcnow


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, validate_strings=True)


class AssignmentState(enum.StrEnum):
    """Every assignment is in exactly one of these states.

    ``returned`` and ``timed_out`` free the slot and never count against the worker;
    only ``rejected`` (after review) does, and it keeps its reason.
    """

    leased = "leased"
    submitted = "submitted"
    skipped = "skipped"
    returned = "returned"
    timed_out = "timed_out"
    approved = "approved"
    rejected = "rejected"


#: States whose label counts towards the task's required labels.
COUNTED = frozenset({AssignmentState.submitted, AssignmentState.approved})


class Task(Base):
    """One item to label. ``open`` is true while it still has a free label slot.

    The claim reads only the partial index over open tasks, so finished work is never walked
    past however large the project grows.
    """

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("project_id", "external_id"),
        Index(
            "ix_tasks_claim",
            "project_id",
            "is_gold",
            text("priority DESC"),
            "due_at",
            "id",
            # The claim's WHERE must repeat these words for the planner to use the index:
            # SQLite matches the partial-index predicate term for term.
            postgresql_where=text("open"),
            sqlite_where=text("open = 1"),
        ),
        # "Is anything left in this project?" without walking its finished tasks: the check
        # orders by id, so this index serves it whatever the planner's statistics say.
        Index(
            "ix_tasks_incomplete",
            "project_id",
            "id",
            postgresql_where=text("completed_at IS NULL"),
            sqlite_where=text("completed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    is_gold: Mapped[bool] = mapped_column(Boolean, default=False)
    gold_answer: Mapped[Any | None] = mapped_column(JSON)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    priority: Mapped[int] = mapped_column(default=0)
    #: Distinct workers this task needs (the project's overlap unless quality asks for more).
    required_labels: Mapped[int]
    leased_count: Mapped[int] = mapped_column(default=0)
    submitted_count: Mapped[int] = mapped_column(default=0)
    open: Mapped[bool] = mapped_column(Boolean, default=True)
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]


class Assignment(Base):
    """A worker's lease on a task and, once submitted, their annotation of it."""

    __tablename__ = "assignments"
    __table_args__ = (
        # A worker never labels a task twice, even after returning it.
        UniqueConstraint("task_id", "person_id"),
        UniqueConstraint("person_id", "client_submission_id"),
        Index("ix_assignments_person_state", "person_id", "state"),
        Index(
            "ix_assignments_lease_expiry",
            "lease_expires_at",
            postgresql_where=text("state = 'leased'"),
            sqlite_where=text("state = 'leased'"),
        ),
        Index("ix_assignments_project_finished", "project_id", "finished_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    state: Mapped[AssignmentState] = mapped_column(_enum(AssignmentState))
    is_gold: Mapped[bool] = mapped_column(Boolean, default=False)
    leased_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_expires_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    value: Mapped[Any | None] = mapped_column(JSON)
    client_submission_id: Mapped[str | None] = mapped_column(String(100))
    #: Seconds the workspace had focus while the task was open (not wall time).
    active_seconds: Mapped[float | None]
    schema_version: Mapped[int]
    guideline_version: Mapped[int]
    gold_score: Mapped[float | None]
    skip_reason: Mapped[str | None] = mapped_column(String(500))
    review_reason: Mapped[str | None] = mapped_column(String(500))
    reviewed_by: Mapped[str | None] = mapped_column(String(320))
    reviewed_at: Mapped[datetime | None]


class FlagKind(enum.StrEnum):
    """Why a worker raised a task with the project's reviewers."""

    edge_case = "edge_case"
    question = "question"


class FlagStatus(enum.StrEnum):
    """Where a flag is in the reviewers' queue."""

    open = "open"
    answered = "answered"
    dismissed = "dismissed"


class TaskFlag(Base):
    """An edge case or guideline question raised from the workspace, for the reviewers."""

    __tablename__ = "task_flags"
    __table_args__ = (Index("ix_task_flags_project_status", "project_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    kind: Mapped[FlagKind] = mapped_column(_enum(FlagKind))
    body: Mapped[str] = mapped_column(Text)
    guideline_version: Mapped[int]
    status: Mapped[FlagStatus] = mapped_column(_enum(FlagStatus), default=FlagStatus.open)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
