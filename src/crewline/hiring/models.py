"""The hiring pipeline's tables: requisitions, channels, cohorts, applications and their events,
message templates and the outbox, and retention per region.

An application is one person's candidacy for one requisition; its stage changes only through
``hiring.service.move`` (or the candidate's own withdrawal), and every change is an event
with who, when and why, which is what the funnel analytics read. Messages are written to
the outbox in the same transaction as the change that caused them, and sent by a job.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Enum,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crewline.db import Base, utcnow


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=30, validate_strings=True)


class RoleType(enum.StrEnum):
    """The kind of contributor a requisition hires."""

    annotator = "annotator"
    rlhf_trainer = "rlhf_trainer"
    content_moderator = "content_moderator"
    reviewer = "reviewer"
    sme = "sme"

    @property
    def label(self) -> str:
        """Human name."""
        return {
            "annotator": "Annotator",
            "rlhf_trainer": "RLHF trainer",
            "content_moderator": "Content moderator",
            "reviewer": "Reviewer",
            "sme": "Subject-matter expert",
        }[self.value]


class RequisitionStatus(enum.StrEnum):
    """``planned``: sourcing before the project is approved; ``open``: hiring; ``on_hold``,
    ``filled`` and ``closed`` stop new applications."""

    planned = "planned"
    open = "open"
    on_hold = "on_hold"
    filled = "filled"
    closed = "closed"


class ChannelKind(enum.StrEnum):
    """Where candidates come from."""

    referral = "referral"
    professional_association = "professional_association"
    university = "university"
    community = "community"
    job_board = "job_board"
    talent_marketplace = "talent_marketplace"
    staffing_vendor = "staffing_vendor"
    linkedin_outreach = "linkedin_outreach"
    other = "other"


class Screening(enum.StrEnum):
    """The screening rules' verdict on an application (a recruiter may override it)."""

    passed = "pass"
    review = "review"
    failed = "fail"


class MessageStatus(enum.StrEnum):
    """An outbox message: ``pending`` until sent, ``failed`` after the last retry."""

    pending = "pending"
    sent = "sent"
    failed = "failed"


class Requisition(Base):
    """An open role: how many people of which kind, where, speaking what, by when.

    It may exist before its project does (``project_id`` empty, ``planned_project`` naming
    it): sourcing starts before approval. ``stages`` is its pipeline's main path.
    """

    __tablename__ = "requisitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    planned_project: Mapped[str | None] = mapped_column(String(200))
    role_type: Mapped[RoleType] = mapped_column(_enum(RoleType))
    headcount: Mapped[int]
    #: Region codes (``people.models.Region``) the role hires in.
    regions: Mapped[list[str]] = mapped_column(JSON)
    #: ``[{"language": "es", "min_level": "C1"}]``.
    languages: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    skills: Mapped[list[str]] = mapped_column(JSON)
    pay_min: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    pay_max: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    pay_currency: Mapped[str] = mapped_column(String(3))
    pay_unit: Mapped[str] = mapped_column(String(10))
    needed_by: Mapped[date | None]
    status: Mapped[RequisitionStatus] = mapped_column(_enum(RequisitionStatus), index=True)
    #: The main path of stages, first to last (rejected, withdrawn, on hold are always there).
    stages: Mapped[list[str]] = mapped_column(JSON)
    #: Screening rules (``hiring.screening.Rules`` as JSON).
    screening: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: What the role needs, in words; embedded for the skills match.
    profile: Mapped[str] = mapped_column(Text, default="")
    profile_embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320))


class Channel(Base):
    """A sourcing channel and what it has cost so far (for cost per qualified contributor)."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[ChannelKind] = mapped_column(_enum(ChannelKind))
    cost: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3))
    vendor_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Cohort(Base):
    """A group of candidates who train and start together, in one region and time zone."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    requisition_id: Mapped[int | None] = mapped_column(
        ForeignKey("requisitions.id", ondelete="SET NULL"), index=True
    )
    region: Mapped[str] = mapped_column(String(10))
    time_zone: Mapped[str] = mapped_column(String(64))
    start_date: Mapped[date]
    capacity: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CohortSession(Base):
    """An onboarding session, set in the cohort's local time and stored in UTC."""

    __tablename__ = "cohort_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    minutes: Mapped[int]
    location: Mapped[str] = mapped_column(String(500), default="")


class Application(Base):
    """One person's candidacy for one requisition, at one stage."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("person_id", "requisition_id"),
        Index("ix_applications_requisition_stage", "requisition_id", "stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    requisition_id: Mapped[int] = mapped_column(ForeignKey("requisitions.id", ondelete="RESTRICT"))
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("channels.id", ondelete="SET NULL"), index=True
    )
    referred_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL")
    )
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohorts.id", ondelete="SET NULL"), index=True
    )
    stage: Mapped[str] = mapped_column(String(40))
    #: The stage an application on hold returns to.
    held_from: Mapped[str | None] = mapped_column(String(40))
    stage_changed_at: Mapped[datetime]
    availability_hours: Mapped[int | None]
    screening: Mapped[Screening | None] = mapped_column(_enum(Screening))
    screening_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Who overrode the rules' verdict (empty while it stands as computed).
    screening_override_by: Mapped[str | None] = mapped_column(String(320))
    skills_match: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StageEvent(Base):
    """One change of stage: the history every funnel figure is computed from."""

    __tablename__ = "stage_events"
    __table_args__ = (Index("ix_stage_events_application_at", "application_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(String(40))
    to_stage: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: Set instead of ``application_id`` for an application not yet flushed (bulk imports).
    application: Mapped[Application] = relationship(lazy="raise")


class MessageTemplate(Base):
    """An edited status-update template for a stage in a language (built-ins fill the gaps)."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("stage", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(320))


class Message(Base):
    """An email in the outbox, kept after sending: the candidate's page lists them all."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(30))
    to_email: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[MessageStatus] = mapped_column(_enum(MessageStatus))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    application: Mapped[Application | None] = relationship(lazy="raise")


class RetentionRule(Base):
    """How long a rejected candidate's personal data is kept in a region (default 180 days)."""

    __tablename__ = "retention_rules"

    region: Mapped[str] = mapped_column(String(10), primary_key=True)
    days: Mapped[int]
    updated_by: Mapped[str] = mapped_column(String(320))


class MagicLink(Base):
    """A one-time sign-in link for a candidate's portal; only its SHA-256 is stored."""

    __tablename__ = "magic_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
