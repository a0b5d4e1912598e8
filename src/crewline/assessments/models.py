"""Assessments, attempts, tier rules and tier history.

An assessment is built from a project's gold tasks; an attempt is one person's sitting of it,
with the items sampled for them (``AttemptItem``), each answer, its grade and the time it took.
An attempt's outcome moves the person's application (``hiring``); the outcome, its reason and
who decided it (the engine or a human override) are kept on the attempt.

A worker's tier on a project lives on ``ProjectMember.tier`` (routing reads it); every change,
automatic or by hand, is a ``TierChange`` with its reason and the figures behind it.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from crewline.db import Base, utcnow
from crewline.people.models import Tier


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=30, validate_strings=True)


class Kind(enum.StrEnum):
    """The three evaluation stages of a contributor pipeline."""

    #: Trial tasks with feedback: two rounds, item-level feedback between them.
    trial = "trial"
    #: Simulated project work: a timed batch that behaves like live work.
    simulation = "simulation"
    #: The project-specific assessment that qualifies.
    project = "project"


class AssessmentStatus(enum.StrEnum):
    """Draft assessments can be edited; open ones can be taken; closed ones are history."""

    draft = "draft"
    open = "open"
    closed = "closed"


class AttemptStatus(enum.StrEnum):
    """Where an attempt is."""

    in_progress = "in_progress"
    #: A trial between its rounds: round one is graded and its feedback shown.
    feedback = "feedback"
    finished = "finished"
    #: The time limit passed before the candidate finished; graded on answers given in time.
    expired = "expired"


class Outcome(enum.StrEnum):
    """What an attempt's score means against the assessment's thresholds."""

    passed = "passed"
    #: Below the passing score but at or above the "may enter training" score.
    training = "training"
    failed = "failed"


class Assessment(Base):
    """A gold-graded exam for one project, with its thresholds and retake policy."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[Kind] = mapped_column(_enum(Kind))
    status: Mapped[AssessmentStatus] = mapped_column(
        _enum(AssessmentStatus), default=AssessmentStatus.draft
    )
    #: Minutes per sitting (per round, for a trial).
    time_limit_minutes: Mapped[int]
    #: Items sampled per sitting (per round, for a trial).
    items_per_attempt: Mapped[int]
    pass_score: Mapped[float] = mapped_column(Float)
    #: At or above this but below ``pass_score``: may enter training (None: no training band).
    training_score: Mapped[float | None] = mapped_column(Float)
    max_attempts: Mapped[int] = mapped_column(default=1)
    #: Days a person waits after a finished attempt before the next one.
    retake_after_days: Mapped[int] = mapped_column(default=0)
    #: Paid attempts will create an earning once pay exists; recorded on each attempt now.
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320))


class AssessmentItem(Base):
    """One gold task in an assessment's pool, tagged by what it measures."""

    __tablename__ = "assessment_items"
    __table_args__ = (UniqueConstraint("assessment_id", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    #: From ``grading.TAGS``: domain, guideline, edge_case, consistency.
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: A repeated (or near-identical) item: the item it repeats, to measure consistency.
    repeat_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessment_items.id", ondelete="SET NULL")
    )


class Attempt(Base):
    """One person's sitting of an assessment, its grade and its outcome."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("assessment_id", "person_id", "number"),
        Index("ix_attempts_person", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="SET NULL")
    )
    #: 1 for the first attempt, 2 for the first retake, ...
    number: Mapped[int]
    status: Mapped[AttemptStatus] = mapped_column(
        _enum(AttemptStatus), default=AttemptStatus.in_progress
    )
    #: The round being sat (a trial has two; the others one).
    round: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime]
    #: When the current round's time runs out.
    deadline_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    score: Mapped[float | None] = mapped_column(Float)
    #: ``grading.Dimensions`` as JSON (None values where nothing measured a dimension).
    dimensions: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: A trial's learning: round means, gain and normalized gain.
    learning: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    outcome: Mapped[Outcome | None] = mapped_column(_enum(Outcome))
    outcome_reason: Mapped[str | None] = mapped_column(String(500))
    #: "assessment engine", or the user who overrode the outcome.
    outcome_by: Mapped[str | None] = mapped_column(String(320))
    outcome_at: Mapped[datetime | None]
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The engine's outcome when a human overrode it (for the record and validity analysis).
    engine_outcome: Mapped[Outcome | None] = mapped_column(_enum(Outcome))


class AttemptItem(Base):
    """One item shown in an attempt, the answer given (if any in time) and its grade."""

    __tablename__ = "attempt_items"
    __table_args__ = (UniqueConstraint("attempt_id", "round", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("assessment_items.id", ondelete="CASCADE"))
    round: Mapped[int]
    position: Mapped[int]
    answer: Mapped[Any | None] = mapped_column(JSON)
    answered_at: Mapped[datetime | None]
    #: Active seconds the candidate's page measured for this item.
    seconds: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    correct: Mapped[bool | None] = mapped_column(Boolean)
    measures: Mapped[dict[str, float] | None] = mapped_column(JSON)
    feedback: Mapped[str | None] = mapped_column(String(1000))


class QualificationSettings(Base):
    """A project's tier rules; a project without a row changes tiers only by hand."""

    __tablename__ = "qualification_settings"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    #: Promotion ladder: ``[{"tier", "min_labels", "min_gold_accuracy"}]``, lowest tier first.
    tier_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: Demotion happens only this far below a tier's bar, so a worker at the bar does not flap.
    demotion_margin: Mapped[float] = mapped_column(Float, default=0.03)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(320), default="system")


class TierChange(Base):
    """One change of a worker's tier on a project, with who made it, why and on what figures."""

    __tablename__ = "tier_changes"
    __table_args__ = (Index("ix_tier_changes_project_person", "project_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    from_tier: Mapped[Tier | None] = mapped_column(_enum(Tier))
    to_tier: Mapped[Tier] = mapped_column(_enum(Tier))
    reason: Mapped[str] = mapped_column(String(500))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
