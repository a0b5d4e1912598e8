"""People API shapes: create/update/read for persons and their pool membership."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from crewline.people.models import Classification, PersonOrigin, Region, Tier, WorkerStatus
from crewline.validation import (
    MAX_ID,
    CefrLevel,
    CountryCode,
    CurrencyCode,
    LanguageCode,
    Name,
    TimeZone,
)

_TAG = re.compile(r"^[a-z0-9][a-z0-9+#.\-]{0,59}$")


def skill_tag(value: str) -> str:
    """Skill tags are lower-case slugs: ``Medical Coding`` becomes ``medical-coding``."""
    tag = re.sub(r"\s+", "-", value.strip().lower())
    if not _TAG.match(tag):
        raise ValueError(
            f"'{value}' is not a skill tag (letters, digits, + # . -, at most 60 characters)"
        )
    return tag


SkillTag = Annotated[str, AfterValidator(skill_tag)]
Profile = Annotated[str, StringConstraints(max_length=5000)]
Hours = Annotated[int, Field(ge=0, le=80, strict=True)]


class LanguageSkill(BaseModel):
    """A working language with a CEFR level."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    language: LanguageCode
    level: CefrLevel
    native: bool = False


def _unique_languages(value: list[LanguageSkill]) -> list[LanguageSkill]:
    seen = [item.language for item in value]
    dupes = sorted({code for code in seen if seen.count(code) > 1})
    if dupes:
        raise ValueError(f"language listed twice: {', '.join(dupes)}")
    return value


Languages = Annotated[list[LanguageSkill], Field(max_length=20), AfterValidator(_unique_languages)]
Skills = Annotated[list[SkillTag], Field(max_length=50)]


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
#: Statuses that need a reason, because someone will ask "why was I paused?".
STATUSES_NEEDING_REASON = frozenset({WorkerStatus.paused, WorkerStatus.offboarded})


class WorkerFields(BaseModel):
    """Pool membership when adding a person to the worker pool.

    ``joined_at`` lets imports keep real tenure; it defaults to now and cannot be in the future.
    """

    model_config = ConfigDict(extra="forbid")

    tier: Tier = Tier.trainee
    status: WorkerStatus = WorkerStatus.active
    status_reason: Reason | None = Field(None, validate_default=True)
    availability_hours: Hours = 20
    joined_at: AwareDatetime | None = None

    @field_validator("status_reason")
    @classmethod
    def _reason_when_needed(cls, value: str | None, info: ValidationInfo) -> str | None:
        status = info.data.get("status")
        if value is None and status in STATUSES_NEEDING_REASON:
            raise ValueError(f"say why the worker is {status.value}")
        return value

    @field_validator("joined_at", mode="before")
    @classmethod
    def _not_a_number(cls, value: object) -> object:
        # Pydantic reads numbers as Unix times; a client sending one has made a mistake.
        if isinstance(value, int | float):
            raise ValueError("give an ISO 8601 date-time with a time zone")
        return value

    @field_validator("joined_at")
    @classmethod
    def _not_in_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value > datetime.now(UTC):
            raise ValueError("cannot be in the future")
        return value


class WorkerUpdate(BaseModel):
    """Changes to pool membership; pausing or offboarding needs a reason."""

    model_config = ConfigDict(extra="forbid")

    tier: Tier | None = None
    status: WorkerStatus | None = None
    status_reason: Reason | None = None
    availability_hours: Hours | None = None


class PersonCreate(BaseModel):
    """A new person; ``worker`` also adds them to the pool."""

    model_config = ConfigDict(extra="forbid")

    full_name: Name
    email: EmailStr
    country: CountryCode
    region: Region
    time_zone: TimeZone
    classification: Classification
    vendor_id: int | None = Field(None, ge=1, le=MAX_ID)
    pay_currency: CurrencyCode = "USD"
    languages: Languages = Field(default_factory=list)
    skills: Skills = Field(default_factory=list)
    profile: Profile = ""
    worker: WorkerFields | None = None

    @field_validator("skills")
    @classmethod
    def _dedupe_skills(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


class PersonUpdate(BaseModel):
    """Changes to a person (only the fields given; lists replace the old ones)."""

    model_config = ConfigDict(extra="forbid")

    full_name: Name | None = None
    email: EmailStr | None = None
    country: CountryCode | None = None
    region: Region | None = None
    time_zone: TimeZone | None = None
    classification: Classification | None = None
    vendor_id: int | None = Field(None, ge=1, le=MAX_ID)
    pay_currency: CurrencyCode | None = None
    languages: Languages | None = None
    skills: Skills | None = None
    profile: Profile | None = None

    @field_validator("skills")
    @classmethod
    def _dedupe_skills(cls, value: list[str] | None) -> list[str] | None:
        return sorted(set(value)) if value is not None else None


class UserLink(BaseModel):
    """The login account of a worker or candidate."""

    model_config = ConfigDict(extra="forbid")

    user_id: int = Field(ge=1, le=MAX_ID)


#: What ``origin`` means, for the API reference (people lists filter on it too).
ORIGIN_DESCRIPTION = (
    "`crewline`: made in Crewline, a candidate or a worker. `label_studio_import`: imported "
    "from Label Studio — annotation history only: the placeholder for a Label Studio "
    "user whose annotations a project import brought in; never in the worker pool, never a "
    "login, left out of people lists unless asked for and never ranked by similarity search."
)


class WorkerRead(BaseModel):
    """Pool membership as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    tier: Tier
    status: WorkerStatus
    status_reason: str | None
    availability_hours: int
    joined_at: datetime
    status_changed_at: datetime


class PersonRead(BaseModel):
    """A person as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    full_name: str
    email: str
    country: str
    region: Region
    time_zone: str
    classification: Classification
    vendor_id: int | None
    user_id: int | None
    pay_currency: str
    languages: list[LanguageSkill]
    skills: list[str]
    profile: str
    worker: WorkerRead | None
    origin: PersonOrigin = Field(description=ORIGIN_DESCRIPTION)
    created_at: datetime
    updated_at: datetime

    @field_validator("skills", mode="before")
    @classmethod
    def _tags(cls, value: object) -> object:
        if isinstance(value, list):
            return [getattr(item, "tag", item) for item in value]
        return value


class PersonPage(BaseModel):
    """One page of people with the total that matched the filters."""

    items: list[PersonRead]
    total: int
    page: int
    per_page: int


class SimilarPerson(BaseModel):
    """A person ranked by how closely their skill profile matches a requirement."""

    person: PersonRead
    score: float = Field(description="Cosine similarity of the profile embeddings, -1..1")


class SimilarQuery(BaseModel):
    """A requirement to match the pool against, with optional hard filters."""

    model_config = ConfigDict(extra="forbid")

    requirement: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=3, max_length=5000)
    ]
    region: Region | None = None
    language: LanguageCode | None = None
    min_level: CefrLevel | None = None
    min_tier: Tier | None = None
    active_only: bool = True
    limit: int = Field(20, ge=1, le=200)

    @field_validator("min_level")
    @classmethod
    def _level_needs_language(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not info.data.get("language"):
            raise ValueError("give the language the level applies to")
        return value
