"""Hiring API shapes: requisitions, channels, cohorts, applications, moves, templates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from crewline.hiring import stages
from crewline.hiring.models import (
    ChannelKind,
    MessageStatus,
    RequisitionStatus,
    RoleType,
    Screening,
)
from crewline.hiring.screening import Rules
from crewline.people.models import Region
from crewline.people.schemas import Profile, SkillTag
from crewline.validation import MAX_ID, CefrLevel, CountryCode, CurrencyCode, LanguageCode, TimeZone

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]


def _path(value: list[str]) -> list[str]:
    problem = stages.check_path(value)
    if problem:
        raise ValueError(problem)
    return value


StagePath = Annotated[list[str], AfterValidator(_path)]


class LanguageNeed(BaseModel):
    """A language the role needs, at least at a CEFR level."""

    model_config = ConfigDict(extra="forbid")

    language: LanguageCode
    min_level: CefrLevel


class RequisitionCreate(BaseModel):
    """A new open role; ``project_id`` may come later (sourcing starts before approval)."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    client_id: Id | None = None
    project_id: Id | None = None
    planned_project: Title | None = None
    role_type: RoleType
    headcount: int = Field(ge=1, le=100_000)
    regions: list[Region] = Field(min_length=1, max_length=5)
    languages: list[LanguageNeed] = Field(default_factory=list, max_length=10)
    skills: list[SkillTag] = Field(default_factory=list, max_length=50)
    pay_min: Money | None = None
    pay_max: Money | None = None
    pay_currency: CurrencyCode = "USD"
    pay_unit: Literal["hour", "task", "month"] = "hour"
    needed_by: date | None = None
    status: Literal[RequisitionStatus.planned, RequisitionStatus.open] = RequisitionStatus.open
    stages: StagePath = Field(default_factory=lambda: list(stages.DEFAULT_STAGES))
    screening: Rules = Field(default_factory=Rules)
    profile: Profile = ""

    @model_validator(mode="after")
    def _pay_range(self) -> RequisitionCreate:
        if self.pay_min is not None and self.pay_max is not None and self.pay_min > self.pay_max:
            raise ValueError("pay_min is above pay_max")
        return self


class RequisitionUpdate(BaseModel):
    """Changes to a requisition (only the fields given)."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    project_id: Id | None = None
    headcount: int | None = Field(None, ge=1, le=100_000)
    needed_by: date | None = None
    status: RequisitionStatus | None = None
    screening: Rules | None = None
    profile: Profile | None = None


class RequisitionOut(BaseModel):
    """A requisition as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    client_id: int | None
    project_id: int | None
    planned_project: str | None
    role_type: RoleType
    headcount: int
    regions: list[str]
    languages: list[dict[str, str]]
    skills: list[str]
    pay_min: Decimal | None
    pay_max: Decimal | None
    pay_currency: str
    pay_unit: str
    needed_by: date | None
    status: RequisitionStatus
    stages: list[str]
    screening: dict[str, object]
    profile: str
    created_at: datetime


class ChannelCreate(BaseModel):
    """A sourcing channel and its spend so far."""

    model_config = ConfigDict(extra="forbid")

    name: Title
    kind: ChannelKind
    cost: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] = Decimal("0")
    currency: CurrencyCode = "USD"
    vendor_id: Id | None = None


class ChannelUpdate(BaseModel):
    """A channel's spend so far (the cost per qualified contributor reads it)."""

    model_config = ConfigDict(extra="forbid")

    cost: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class ChannelOut(BaseModel):
    """A channel."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: ChannelKind
    cost: Decimal
    currency: str
    vendor_id: int | None


class CohortCreate(BaseModel):
    """A cohort: region, time zone, start date."""

    model_config = ConfigDict(extra="forbid")

    name: Title
    requisition_id: Id | None = None
    region: Region
    time_zone: TimeZone
    start_date: date
    capacity: int | None = Field(None, ge=1, le=10_000)


class CohortOut(BaseModel):
    """A cohort."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    requisition_id: int | None
    region: str
    time_zone: str
    start_date: date
    capacity: int | None


class SessionCreate(BaseModel):
    """An onboarding session at a local time in the cohort's time zone (no offset given)."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    local_start: datetime
    minutes: int = Field(60, ge=5, le=8 * 60)
    location: Annotated[str, StringConstraints(max_length=500)] = ""

    @model_validator(mode="after")
    def _naive(self) -> SessionCreate:
        if self.local_start.tzinfo is not None:
            raise ValueError("local_start is the cohort's wall-clock time: give it without offset")
        return self


class SessionOut(BaseModel):
    """A session with its start in UTC and in the cohort's time zone."""

    id: int
    cohort_id: int
    title: str
    starts_at: datetime
    local_start: str
    time_zone: str
    minutes: int
    location: str


class ApplicationCreate(BaseModel):
    """Put an existing person forward for a requisition."""

    model_config = ConfigDict(extra="forbid")

    person_id: Id
    requisition_id: Id
    channel_id: Id | None = None
    referred_by_id: Id | None = None
    cohort_id: Id | None = None
    availability_hours: int | None = Field(None, ge=0, le=80)


class ApplicationOut(BaseModel):
    """An application with its screening verdict."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    person_id: int
    requisition_id: int
    channel_id: int | None
    referred_by_id: int | None
    cohort_id: int | None
    stage: str
    held_from: str | None
    stage_changed_at: datetime
    availability_hours: int | None
    screening: Screening | None
    screening_reasons: list[str]
    screening_override_by: str | None
    skills_match: float | None
    created_at: datetime


class MoveRequest(BaseModel):
    """Move applications to a stage; ``partial`` moves those that can when others cannot."""

    model_config = ConfigDict(extra="forbid")

    application_ids: list[Id] = Field(min_length=1, max_length=5000)
    to_stage: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    reason: Reason = ""
    partial: bool = False


class Refusal(BaseModel):
    """One application that could not move, and why."""

    application_id: int
    reason: str


class MoveReport(BaseModel):
    """What a move did: which moved, which could not and why."""

    moved: list[int]
    refused: list[Refusal]


class CohortAssign(BaseModel):
    """Place applications in a cohort (or take them out with ``cohort_id`` null)."""

    model_config = ConfigDict(extra="forbid")

    application_ids: list[Id] = Field(min_length=1, max_length=5000)
    cohort_id: Id | None


class ScreeningOverride(BaseModel):
    """A recruiter's own verdict over the rules', with the reason."""

    model_config = ConfigDict(extra="forbid")

    outcome: Screening
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class Withdrawal(BaseModel):
    """A candidate opting out (the reason is optional)."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason = ""


class TemplateSet(BaseModel):
    """An edited template for a stage in a language."""

    model_config = ConfigDict(extra="forbid")

    subject: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    body: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]


class TemplateOut(BaseModel):
    """A template as it will be used (edited or built in)."""

    stage: str
    language: str
    subject: str
    body: str
    edited: bool


class MessageOut(BaseModel):
    """A message in the outbox or already sent."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    person_id: int
    application_id: int | None
    kind: str
    to_email: str
    subject: str
    body: str
    status: MessageStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class RetentionSet(BaseModel):
    """How many days a region keeps rejected candidates' personal data."""

    model_config = ConfigDict(extra="forbid")

    days: int = Field(ge=1, le=3650)


class CandidateRow(BaseModel):
    """One candidate in an import: a person (found by email or created) and an application."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    email: EmailStr
    full_name: Title
    country: CountryCode
    region: Region
    time_zone: TimeZone
    languages: str = ""
    skills: str = ""
    profile: Profile = ""
    channel: str = ""
    referred_by: EmailStr | None = None
    cohort: str = ""
    availability_hours: int | None = Field(None, ge=0, le=80)


class RowRefusal(BaseModel):
    """A row of an import that was not taken, and why."""

    row: int
    email: str
    reason: str


class ImportReport(BaseModel):
    """What an import did."""

    created_people: int
    existing_people: int
    applications: int
    already_applied: int
    duplicates_in_file: int
    refused: list[RowRefusal]
