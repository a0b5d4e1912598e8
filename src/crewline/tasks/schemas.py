"""Task API shapes: ingestion batches and their reports, assignments, submissions, flags."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from crewline.tasks.models import AssignmentState, FlagKind, FlagStatus

ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
#: The most rows one ingestion call takes (a bigger batch is refused whole, with a 413-like 422).
MAX_BATCH = 100_000


class TaskIn(BaseModel):
    """One task pushed in by a pipeline. Re-sending an ``external_id`` is a no-op."""

    model_config = ConfigDict(extra="forbid")

    external_id: ExternalId
    data: dict[str, Any]
    priority: int = Field(0, ge=-1000, le=1000)
    required_labels: int | None = Field(None, ge=1, le=50)
    gold_answer: Any | None = Field(
        None, description="The answer key: makes the task gold (mixed in at the gold rate)"
    )
    tags: list[Annotated[str, StringConstraints(min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=20
    )
    due_at: AwareDatetime | None = None


class Refused(BaseModel):
    """A row that was not stored, and why."""

    index: int
    external_id: str | None
    field: str
    reason: str


class IngestReport(BaseModel):
    """What an ingestion call did with each row."""

    created: list[str]
    existing: list[str]
    refused: list[Refused]


class TaskRead(BaseModel):
    """A task as staff see it (the answer key included)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    external_id: str
    data: dict[str, Any]
    is_gold: bool
    gold_answer: Any | None
    tags: list[str]
    priority: int
    required_labels: int
    submitted_count: int
    leased_count: int
    open: bool
    due_at: datetime | None
    created_at: datetime
    completed_at: datetime | None


class LabelTarget(BaseModel):
    """A new number of distinct labels for one task (dynamic overlap)."""

    model_config = ConfigDict(extra="forbid")

    required_labels: int = Field(ge=1, le=50)


class Submission(BaseModel):
    """A worker's answer. ``client_submission_id`` makes retries safe."""

    model_config = ConfigDict(extra="forbid")

    client_submission_id: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    value: Any
    active_seconds: float | None = Field(
        None, ge=0, le=24 * 3600, description="Seconds the workspace had focus"
    )


class Skip(BaseModel):
    """Skipping a task needs a reason (it tells reviewers what is hard)."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason


class Review(BaseModel):
    """A reviewer's decision on a submitted annotation; a rejection keeps its reason."""

    model_config = ConfigDict(extra="forbid")

    approve: bool
    reason: Reason | None = None


class FlagIn(BaseModel):
    """An edge case or a guideline question raised from the workspace."""

    model_config = ConfigDict(extra="forbid")

    kind: FlagKind
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=5000)]


class FlagRead(BaseModel):
    """A flag in the reviewers' queue."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    task_id: int
    project_id: int
    kind: FlagKind
    body: str
    guideline_version: int
    status: FlagStatus
    answer: str | None
    created_at: datetime


class AssignmentRead(BaseModel):
    """An assignment as its worker sees it: never whether the task is gold."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    task_id: int
    project_id: int
    state: AssignmentState
    leased_at: datetime
    lease_expires_at: datetime
    finished_at: datetime | None
    value: Any | None
    schema_version: int
    guideline_version: int
    skip_reason: str | None
    review_reason: str | None
