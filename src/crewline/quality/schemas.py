"""Quality as the API returns and accepts it (pydantic models): figures, settings, review."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crewline.quality.fraud_flags import Decision as FlagVerdict
from crewline.quality.models import (
    AlertStatus,
    ExperimentStatus,
    FlagDecision,
    Method,
    ReviewReason,
    ReviewStatus,
    Severity,
)
from crewline.quality.review import Action


class SummaryRead(BaseModel):
    """A project's headline quality figures."""

    model_config = ConfigDict(from_attributes=True)

    project_id: int
    computed_at: datetime | None
    tasks: int
    mean_confidence: float | None
    low_confidence: int
    threshold: float
    error_rate: float | None
    error_rate_low: float | None
    error_rate_high: float | None
    error_rate_warning: float
    review_open: int
    alerts_open: int
    flags_open: int


class DayPointRead(BaseModel):
    """One day of a quality series."""

    model_config = ConfigDict(from_attributes=True)

    day: datetime
    labels: int
    gold_accuracy: float | None
    agreement: float | None


class WorkerQualityRead(BaseModel):
    """One worker's figures on one project. ``worker`` is a name for staff, a pseudonym for
    client viewers."""

    model_config = ConfigDict(from_attributes=True)

    project_id: int
    person_id: int | None
    worker: str = ""
    labels: int
    gold_seen: int
    gold_accuracy: float | None
    gold_low: float | None
    gold_high: float | None
    consensus_agreement: float | None
    model_accuracy: float | None
    confusion: dict[str, Any] | None
    labels_per_hour: float | None
    median_seconds: float | None
    computed_at: datetime


class WorkerPage(BaseModel):
    """One page of a project's leaderboard."""

    total: int
    items: list[WorkerQualityRead]


class ConsensusRead(BaseModel):
    """A task's final answer."""

    model_config = ConfigDict(from_attributes=True)

    task_id: int
    answer: Any
    confidence: float
    n_labels: int
    source: str
    computed_at: datetime


class AlertRead(BaseModel):
    """An alert on a project or one of its workers."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    person_id: int | None
    kind: str
    message: str
    evidence: dict[str, Any]
    status: AlertStatus
    created_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None


class SettingsRead(BaseModel):
    """A project's quality settings."""

    model_config = ConfigDict(from_attributes=True)

    project_id: int
    method: Method
    min_gold_accuracy: float | None
    min_gold_seen: int
    confidence_threshold: float
    max_labels: int | None
    error_rate_warning: float


class SettingsUpdate(BaseModel):
    """Changes to a project's quality settings; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    method: Method | None = None
    min_gold_accuracy: float | None = Field(None, ge=0, le=1)
    min_gold_seen: int | None = Field(None, ge=1, le=100_000)
    confidence_threshold: float | None = Field(None, ge=0, le=1)
    max_labels: int | None = Field(None, ge=1, le=100)
    error_rate_warning: float | None = Field(None, ge=0, le=1)


class RefreshRead(BaseModel):
    """What a refresh computed and did."""

    model_config = ConfigDict(from_attributes=True)

    project_id: int
    labels: int
    tasks: int
    workers: int
    review_opened: int
    more_labels: int
    alerts: int
    flags: int
    held: int
    rule_actions: int
    seconds: float


# --- review and adjudication ---------------------------------------------------------------------


class ReviewLabelRead(BaseModel):
    """One worker's label on a task under review. ``worker`` is a name for staff, a pseudonym
    (and ``person_id`` null) for client viewers and experts."""

    person_id: int | None
    worker: str
    value: Any
    state: str


class ReviewItemRead(BaseModel):
    """A review item with its task, labels and current final answer."""

    id: int
    task_id: int
    external_id: str
    project_id: int
    reason: ReviewReason
    detail: str
    status: ReviewStatus
    answer: Any
    note: str | None
    promoted_to_gold: bool
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    data: dict[str, Any]
    labels: list[ReviewLabelRead]
    consensus: Any
    consensus_confidence: float | None


class ReviewPage(BaseModel):
    """One page of a review queue."""

    total: int
    items: list[ReviewItemRead]


class Decision(BaseModel):
    """A reviewer's decision: accept the consensus, correct it, or escalate with a note."""

    model_config = ConfigDict(extra="forbid")

    action: Action
    answer: Any = None
    note: str | None = Field(None, max_length=5000)


class QuestionRead(BaseModel):
    """A guideline question from the workspace."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    task_id: int
    project_id: int
    body: str
    guideline_version: int
    status: str
    answer: str | None
    created_at: datetime


class QuestionAnswer(BaseModel):
    """The answer to a guideline question, optionally with new guidelines to publish."""

    model_config = ConfigDict(extra="forbid")

    answer: str = Field(min_length=1, max_length=5000)
    guidelines: str | None = Field(None, min_length=1, max_length=200_000)


class QuestionAnswered(BaseModel):
    """The answered question and the guideline version it produced, if any."""

    question: QuestionRead
    guideline_version: int | None


# --- fraud and carelessness flags ----------------------------------------------------------------


class FraudFlagRead(BaseModel):
    """A signal about one worker, with its evidence and what a person decided."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    person_id: int
    signal: str
    severity: Severity
    score: float
    evidence: dict[str, Any]
    status: FlagDecision
    exclude_labels: bool
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str | None


class FlagDecisionIn(BaseModel):
    """Confirm or dismiss a flag; confirming may hold the worker and exclude their labels."""

    model_config = ConfigDict(extra="forbid")

    decision: FlagVerdict
    note: str | None = Field(None, max_length=1000)
    hold: bool = False
    exclude_labels: bool = False


# --- quality rules -------------------------------------------------------------------------------


class RuleCreate(BaseModel):
    """A rule: when the collector's figure meets the condition, take the action."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    collector: str = Field(max_length=40)
    params: dict[str, float] = Field(default_factory=dict)
    operator: str = Field(max_length=2)
    threshold: float
    min_count: int = Field(1, ge=1, le=100_000)
    action: str = Field(max_length=40)


class RuleRead(BaseModel):
    """A stored rule."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    name: str
    collector: str
    params: dict[str, float]
    operator: str
    threshold: float
    min_count: int
    action: str
    enabled: bool
    created_at: datetime
    created_by: str


class RuleUpdate(BaseModel):
    """Turn a rule on or off."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool


class RuleActionRead(BaseModel):
    """An action a rule took, with the numbers that fired it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    rule_id: int
    project_id: int
    person_id: int | None
    task_id: int | None
    action: str
    numbers: dict[str, Any]
    taken_at: datetime
    reversed_by: str | None
    reversed_at: datetime | None
    reverse_reason: str | None


class Reversal(BaseModel):
    """Why a human reverses an action."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


# --- model-assisted audit ------------------------------------------------------------------------


class LlmAuditCreate(BaseModel):
    """A sample of a project's annotations for the configured chat model to judge."""

    model_config = ConfigDict(extra="forbid")

    sample_size: int = Field(50, ge=1, le=200)
    seed: int = Field(0, ge=0, le=2**31)
    send_disagreements_to_review: bool = False


class LlmJudgmentRead(BaseModel):
    """The model's answer on one annotation."""

    model_config = ConfigDict(from_attributes=True)

    task_id: int
    assignment_id: int
    answer: Any
    reason: str | None
    agrees_with_worker: bool | None
    agrees_with_consensus: bool | None
    error: str | None


class LlmAuditRead(BaseModel):
    """An audit's agreement with people (Wilson 95 % intervals) and its judgments."""

    audit_id: int
    judged: int
    errors: int
    with_worker: float | None
    with_worker_interval: tuple[float, float] | None
    with_consensus: float | None
    with_consensus_interval: tuple[float, float] | None
    judgments: list[LlmJudgmentRead]


# --- guideline experiments -----------------------------------------------------------------------


class ExperimentCreate(BaseModel):
    """Run two guideline versions side by side (``version_a`` defaults to the current one)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    unit: str = Field("worker", max_length=10)
    version_a: int | None = Field(None, ge=1)
    version_b: int = Field(ge=1)
    seed: int = Field(0, ge=0, le=1_000_000)


class ExperimentRead(BaseModel):
    """A guideline experiment."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    name: str
    unit: str
    version_a: int
    version_b: int
    seed: int
    status: ExperimentStatus
    started_at: datetime
    stopped_at: datetime | None
    created_by: str


class ComparisonRead(BaseModel):
    """Arm B against arm A on one outcome: means, difference, 95 % interval, p-value."""

    mean_a: float
    mean_b: float
    n_a: int
    n_b: int
    difference: float
    low: float
    high: float
    p_value: float


class ExperimentReportRead(BaseModel):
    """Per-arm labels and the comparisons (null where an arm has no outcome yet)."""

    experiment: ExperimentRead
    labels_a: int
    labels_b: int
    gold_accuracy: ComparisonRead | None
    agreement: ComparisonRead | None
