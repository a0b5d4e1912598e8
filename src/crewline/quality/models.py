"""The quality engine's tables: settings, consensus, worker figures, alerts, flags, review, rules.

Everything here is derived from assignments by ``quality.refresh`` or decided by a human in
the review and flag queues. Derived rows are replaced wholesale on each refresh (they can
always be recomputed); decisions are kept forever with who made them and why.
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
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from crewline.db import Base, utcnow


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=30, validate_strings=True)


class Method(enum.StrEnum):
    """How overlapping single labels become one answer (``quality.inference``)."""

    mv = "mv"
    wmv = "wmv"
    dawid_skene = "dawid-skene"
    one_coin = "one-coin"
    glad = "glad"
    mace = "mace"


class QualitySettings(Base):
    """A project's quality bar and thresholds; a project without a row uses the defaults."""

    __tablename__ = "quality_settings"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    method: Mapped[Method] = mapped_column(_enum(Method), default=Method.dawid_skene)
    #: Gold accuracy (posterior mean) below which a worker stops receiving the project's tasks.
    min_gold_accuracy: Mapped[float | None] = mapped_column(Float)
    #: Gold answers a worker must have before the bar applies to them.
    min_gold_seen: Mapped[int] = mapped_column(default=10)
    #: Consensus confidence below which a task goes to review or gets more labels.
    confidence_threshold: Mapped[float] = mapped_column(Float, default=0.7)
    #: Most labels dynamic overlap may ask for on one task (None: dynamic overlap off).
    max_labels: Mapped[int | None]
    #: Estimated label error rate above which the project shows a warning.
    error_rate_warning: Mapped[float] = mapped_column(Float, default=0.05)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(320), default="system")


class TaskConsensus(Base):
    """The current final answer of one task, from truth inference or adjudication."""

    __tablename__ = "task_consensus"
    __table_args__ = (Index("ix_task_consensus_project_confidence", "project_id", "confidence"),)

    task_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    answer: Mapped[Any] = mapped_column(JSON)
    confidence: Mapped[float] = mapped_column(Float)
    n_labels: Mapped[int]
    #: The inference method, ``adjudicated`` when a reviewer decided, or ``gold``.
    source: Mapped[str] = mapped_column(String(30))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkerQuality(Base):
    """One worker's figures on one project, as of the last refresh."""

    __tablename__ = "worker_quality"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    labels: Mapped[int]
    gold_seen: Mapped[int]
    gold_score: Mapped[float] = mapped_column(Float)
    gold_accuracy: Mapped[float | None] = mapped_column(Float)
    gold_low: Mapped[float | None] = mapped_column(Float)
    gold_high: Mapped[float | None] = mapped_column(Float)
    consensus_agreement: Mapped[float | None] = mapped_column(Float)
    #: Accuracy the truth-inference model estimates for the worker (diagonal of the confusion).
    model_accuracy: Mapped[float | None] = mapped_column(Float)
    #: Confusion matrix rows (true class) by columns (given label), with the class names.
    confusion: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    labels_per_hour: Mapped[float | None] = mapped_column(Float)
    median_seconds: Mapped[float | None] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class QualityRefresh(Base):
    """When a project's figures were last recomputed, over how many labels, in how long and
    how many derived rows it wrote: what "is this project stale?" and the dashboard's
    "computed at" read, and what an operator reads to see the refresh keeping up."""

    __tablename__ = "quality_refreshes"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    refreshed_at: Mapped[datetime]
    labels: Mapped[int]
    seconds: Mapped[float] = mapped_column(Float)
    rows_written: Mapped[int]


class QualityPoint(Base):
    """A project's or a worker's figures for one day: the series charts and drift read."""

    __tablename__ = "quality_points"
    __table_args__ = (
        UniqueConstraint("project_id", "person_id", "day"),
        Index("ix_quality_points_project_day", "project_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    #: None for the project as a whole.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    day: Mapped[datetime]
    labels: Mapped[int]
    gold_seen: Mapped[int]
    gold_score: Mapped[float] = mapped_column(Float)
    agreed: Mapped[int]
    compared: Mapped[int]


class AlertStatus(enum.StrEnum):
    """An alert is open until someone acknowledges it."""

    open = "open"
    acknowledged = "acknowledged"


class QualityAlert(Base):
    """Something about a project or worker that a person should look at (drift, error rate)."""

    __tablename__ = "quality_alerts"
    __table_args__ = (Index("ix_quality_alerts_project_status", "project_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(500))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[AlertStatus] = mapped_column(_enum(AlertStatus), default=AlertStatus.open)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_by: Mapped[str | None] = mapped_column(String(320))
    acknowledged_at: Mapped[datetime | None]


class Severity(enum.StrEnum):
    """How strongly a signal points at a problem."""

    low = "low"
    medium = "medium"
    high = "high"


class FlagDecision(enum.StrEnum):
    """A fraud flag waits for a human, who confirms or dismisses it."""

    open = "open"
    confirmed = "confirmed"
    dismissed = "dismissed"


class FraudFlag(Base):
    """A carelessness or fraud signal about one worker on one project, with its evidence."""

    __tablename__ = "fraud_flags"
    __table_args__ = (Index("ix_fraud_flags_project_status", "project_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    signal: Mapped[str] = mapped_column(String(40))
    severity: Mapped[Severity] = mapped_column(_enum(Severity))
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[FlagDecision] = mapped_column(_enum(FlagDecision), default=FlagDecision.open)
    #: A confirmed flag's worker's labels are left out of consensus.
    exclude_labels: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(1000))


class ReviewReason(enum.StrEnum):
    """Why a task is in the review queue."""

    low_confidence = "low_confidence"
    gold_missed = "gold_missed"
    edge_case = "edge_case"
    rule = "rule"
    audit_disagreement = "audit_disagreement"


class ReviewStatus(enum.StrEnum):
    """Where a review item is: open, with a subject-matter expert, or decided."""

    open = "open"
    escalated = "escalated"
    accepted = "accepted"
    corrected = "corrected"


class ReviewItem(Base):
    """A task a reviewer should decide; the decided answer becomes the task's final answer."""

    __tablename__ = "review_items"
    __table_args__ = (
        Index("ix_review_items_project_status", "project_id", "status"),
        # One open item per task and reason, however often the refresh finds it again.
        Index(
            "uq_review_items_open",
            "task_id",
            "reason",
            unique=True,
            postgresql_where=text("status IN ('open', 'escalated')"),
            sqlite_where=text("status IN ('open', 'escalated')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    reason: Mapped[ReviewReason] = mapped_column(_enum(ReviewReason))
    detail: Mapped[str] = mapped_column(String(500))
    status: Mapped[ReviewStatus] = mapped_column(_enum(ReviewStatus), default=ReviewStatus.open)
    answer: Mapped[Any | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    promoted_to_gold: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[datetime | None]


class QualityRule(Base):
    """A requester's rule: when a collector's figure meets the condition, take the action."""

    __tablename__ = "quality_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    collector: Mapped[str] = mapped_column(String(40))
    #: The collector's settings, e.g. ``{"last": 20}`` or ``{"seconds": 5}``.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    operator: Mapped[str] = mapped_column(String(2))
    threshold: Mapped[float] = mapped_column(Float)
    #: Figures computed from fewer observations than this never fire the rule.
    min_count: Mapped[int] = mapped_column(default=1)
    action: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320))


class RuleAction(Base):
    """One action a rule took, with the numbers that fired it; reversible by a human."""

    __tablename__ = "rule_actions"
    __table_args__ = (Index("ix_rule_actions_project_taken", "project_id", "taken_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("quality_rules.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(40))
    numbers: Mapped[dict[str, Any]] = mapped_column(JSON)
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    reversed_by: Mapped[str | None] = mapped_column(String(320))
    reversed_at: Mapped[datetime | None]
    reverse_reason: Mapped[str | None] = mapped_column(String(500))


class LlmAudit(Base):
    """One model-assisted audit: a sample of a project's annotations judged by a chat model."""

    __tablename__ = "llm_audits"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    model: Mapped[str] = mapped_column(String(200))
    sample_size: Mapped[int]
    seed: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320))


class LlmJudgment(Base):
    """The model's answer on one sampled annotation, compared with the worker and consensus."""

    __tablename__ = "llm_judgments"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(
        ForeignKey("llm_audits.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    answer: Mapped[Any | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    agrees_with_worker: Mapped[bool | None] = mapped_column(Boolean)
    agrees_with_consensus: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(String(500))


class ExperimentStatus(enum.StrEnum):
    """A guideline experiment runs until someone stops it."""

    running = "running"
    stopped = "stopped"


class Experiment(Base):
    """Two guideline versions side by side on a project, workers or tasks split at random."""

    __tablename__ = "experiments"
    __table_args__ = (Index("ix_experiments_project_status", "project_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    #: ``worker`` or ``task``: what is assigned to an arm.
    unit: Mapped[str] = mapped_column(String(10))
    version_a: Mapped[int]
    version_b: Mapped[int]
    seed: Mapped[int]
    status: Mapped[ExperimentStatus] = mapped_column(
        _enum(ExperimentStatus), default=ExperimentStatus.running
    )
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(320))
