"""Quality figures as the API returns and accepts them (pydantic models)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crewline.quality.models import AlertStatus, Method


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
    held: int
    seconds: float
