"""Person, their languages and skills, and their membership of the worker pool."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crewline.db import Base, utcnow


def _enum(cls: type[enum.Enum], length: int = 30) -> Enum:
    return Enum(cls, native_enum=False, length=length, validate_strings=True)


class Region(enum.StrEnum):
    """Operating regions: cohorts, schedules and retention rules are set per region."""

    SEA = "SEA"
    LATAM = "LATAM"
    EU = "EU"
    US = "US"
    OTHER = "OTHER"


class Classification(enum.StrEnum):
    """How the person is engaged; it drives pay, tax forms and misclassification risk."""

    employee = "employee"
    contractor = "contractor"
    eor = "eor"
    vendor_supplied = "vendor_supplied"

    @property
    def label(self) -> str:
        """Human name."""
        return {
            "employee": "Employee (W-2 / payroll)",
            "contractor": "Independent contractor",
            "eor": "Employer of record",
            "vendor_supplied": "Vendor-supplied",
        }[self.value]


class Tier(enum.StrEnum):
    """Worker tiers, lowest first; routing and pay read them."""

    trainee = "trainee"
    tier_1 = "tier_1"
    tier_2 = "tier_2"
    reviewer = "reviewer"
    expert = "expert"

    @property
    def rank(self) -> int:
        """Position in the ladder (trainee = 0)."""
        return list(Tier).index(self)


class WorkerStatus(enum.StrEnum):
    """Whether a pool member can receive work."""

    active = "active"
    paused = "paused"
    inactive = "inactive"
    offboarded = "offboarded"


class PersonOrigin(enum.StrEnum):
    """Where a person record comes from; only records made here are candidates or workers.

    ``label_studio_import`` records exist only to carry annotation history brought in from
    Label Studio (one per Label Studio user and project): nobody recruited them, they never
    join the pool or log in, so recruiting lists, similarity search and counts leave them out
    unless asked for them.
    """

    crewline = "crewline"
    label_studio_import = "label_studio_import"

    @property
    def label(self) -> str:
        """Short human name, as the list filter offers it (it must fit a phone's width)."""
        return {
            "crewline": "Made in Crewline",
            "label_studio_import": "Imported from Label Studio",
        }[self.value]

    @property
    def caption(self) -> str:
        """What the origin means for the record, as its person page says it."""
        if self.imported:
            return f"{self.label} — annotation history only"
        return f"{self.label}: a candidate or a worker"

    @property
    def imported(self) -> bool:
        """Whether the record only carries imported history (not a candidate or a worker)."""
        return self is not PersonOrigin.crewline


class Person(Base):
    """Anyone we hire, qualify or pay: a candidate first, a worker once in the pool.

    Or, when ``origin`` says so, a record that only carries imported annotation history.
    """

    __tablename__ = "persons"
    __table_args__ = (
        Index("ix_persons_region_country", "region", "country"),
        Index("ix_persons_full_name", "full_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[Region] = mapped_column(_enum(Region, 10))
    time_zone: Mapped[str] = mapped_column(String(64))
    classification: Mapped[Classification] = mapped_column(_enum(Classification), index=True)
    vendor_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    pay_currency: Mapped[str] = mapped_column(String(3))
    profile: Mapped[str] = mapped_column(Text, default="")
    profile_embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    origin: Mapped[PersonOrigin] = mapped_column(
        _enum(PersonOrigin),
        default=PersonOrigin.crewline,
        server_default=PersonOrigin.crewline.value,
    )
    #: When the personal data was replaced by placeholders (retention or an erasure request);
    #: the record stays so that aggregates and history keep adding up.
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    languages: Mapped[list[PersonLanguage]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PersonLanguage.language"
    )
    skills: Mapped[list[PersonSkill]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PersonSkill.tag"
    )
    worker: Mapped[Worker | None] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="joined"
    )


class PersonLanguage(Base):
    """A language the person works in, with their CEFR level."""

    __tablename__ = "person_languages"
    __table_args__ = (Index("ix_person_languages_language_level", "language", "level"),)

    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(2), primary_key=True)
    level: Mapped[str] = mapped_column(String(2))
    native: Mapped[bool] = mapped_column(default=False)


class PersonSkill(Base):
    """A skill tag (``medical-coding``, ``python``); free-text depth lives in ``profile``."""

    __tablename__ = "person_skills"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)


class Worker(Base):
    """Membership of the worker pool: tier, status and weekly availability."""

    __tablename__ = "workers"
    __table_args__ = (Index("ix_workers_status_tier", "status", "tier"),)

    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    tier: Mapped[Tier] = mapped_column(_enum(Tier))
    status: Mapped[WorkerStatus] = mapped_column(_enum(WorkerStatus))
    status_reason: Mapped[str | None] = mapped_column(String(500))
    availability_hours: Mapped[int]
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="worker")
