"""Reading and steering a project's quality: figures, series, alerts, settings.

The figures themselves are computed by ``quality.refresh``; this module reads them for the
API and pages (one query each, never a scan of assignments) and changes what humans may
change: the project's quality settings and the alerts' status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crewline.annotation import AnnotationType
from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.errors import Conflict, NotFound
from crewline.people import service as people
from crewline.projects.models import Project
from crewline.quality import label_errors
from crewline.quality.models import (
    AlertStatus,
    FlagDecision,
    FraudFlag,
    QualityAlert,
    QualityPoint,
    QualityRefresh,
    QualitySettings,
    ReviewItem,
    ReviewStatus,
    TaskConsensus,
    WorkerQuality,
)
from crewline.quality.refresh import project_error_rate, settings_of
from crewline.web.tables import PageRequest, PageResult, SortKey, paginate


@dataclass(frozen=True, slots=True)
class Summary:
    """A project's headline quality figures, as of its last refresh."""

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


@dataclass(frozen=True, slots=True)
class DayPoint:
    """One day of a project's (or worker's) series."""

    day: datetime
    labels: int
    gold_accuracy: float | None
    agreement: float | None


def summary(*, session: Session, project: Project) -> Summary:
    """Headline figures: consensus, label error rate, open review items, alerts and flags."""
    settings = settings_of(session=session, project_id=project.id)
    tasks, mean, low = session.execute(
        select(
            func.count(),
            func.avg(TaskConsensus.confidence),
            func.count().filter(TaskConsensus.confidence < settings.confidence_threshold),
        ).where(TaskConsensus.project_id == project.id)
    ).one()
    computed = session.scalar(
        select(QualityRefresh.refreshed_at).where(QualityRefresh.project_id == project.id)
    )
    estimate = error_rate_of(session=session, project=project)
    return Summary(
        project_id=project.id,
        computed_at=computed,
        tasks=int(tasks),
        mean_confidence=None if mean is None else float(mean),
        low_confidence=int(low),
        threshold=settings.confidence_threshold,
        error_rate=estimate.rate if estimate else None,
        error_rate_low=estimate.low if estimate else None,
        error_rate_high=estimate.high if estimate else None,
        error_rate_warning=settings.error_rate_warning,
        review_open=_count(
            session,
            ReviewItem,
            ReviewItem.project_id == project.id,
            ReviewItem.status.in_([ReviewStatus.open, ReviewStatus.escalated]),
        ),
        alerts_open=_count(
            session,
            QualityAlert,
            QualityAlert.project_id == project.id,
            QualityAlert.status == AlertStatus.open,
        ),
        flags_open=_count(
            session,
            FraudFlag,
            FraudFlag.project_id == project.id,
            FraudFlag.status == FlagDecision.open,
        ),
    )


def _count(session: Session, entity: type[Any], *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(entity).where(*where)) or 0)


def error_rate_of(*, session: Session, project: Project) -> label_errors.ErrorRate | None:
    """The project's estimated label error rate (see ``refresh.project_error_rate``)."""
    return project_error_rate(
        session=session,
        project_id=project.id,
        single_label=project.annotation_type is AnnotationType.SINGLE_LABEL,
    )


def series(*, session: Session, project_id: int, person_id: int | None = None) -> list[DayPoint]:
    """Daily labels, gold accuracy and agreement with consensus, oldest first."""
    who = (
        QualityPoint.person_id.is_(None)
        if person_id is None
        else QualityPoint.person_id == person_id
    )
    rows = session.scalars(
        select(QualityPoint)
        .where(QualityPoint.project_id == project_id, who)
        .order_by(QualityPoint.day)
    )
    return [
        DayPoint(
            day=p.day,
            labels=p.labels,
            gold_accuracy=p.gold_score / p.gold_seen if p.gold_seen else None,
            agreement=p.agreed / p.compared if p.compared else None,
        )
        for p in rows
    ]


#: Leaderboard sort keys; the default is the lower credible bound of gold accuracy, so a worker
#: with three lucky gold answers cannot top the board.
SORTS: dict[str, SortKey] = {
    "gold_low": WorkerQuality.gold_low,
    "gold_accuracy": WorkerQuality.gold_accuracy,
    "agreement": WorkerQuality.consensus_agreement,
    "model_accuracy": WorkerQuality.model_accuracy,
    "labels": WorkerQuality.labels,
    "gold_seen": WorkerQuality.gold_seen,
    "speed": WorkerQuality.labels_per_hour,
}


def leaderboard(
    *, session: Session, project_id: int, page: PageRequest
) -> tuple[PageResult[WorkerQuality], dict[int, str]]:
    """One sorted page of the workers' figures on a project, and the names on that page."""
    result = paginate(
        session,
        select(WorkerQuality).where(WorkerQuality.project_id == project_id),
        page,
        SORTS,
        WorkerQuality.person_id,
    )
    return result, people.names(session=session, person_ids={r.person_id for r in result.items})


def person_figures(*, session: Session, person_id: int) -> list[tuple[WorkerQuality, str]]:
    """A worker's figures on every project they have labels on, with the project's name."""
    return list(
        session.execute(
            select(WorkerQuality, Project.name)
            .join(Project, Project.id == WorkerQuality.project_id)
            .where(WorkerQuality.person_id == person_id)
            .order_by(Project.name)
        ).all()
    )


def alerts(
    *, session: Session, project_id: int, status: AlertStatus | None = AlertStatus.open
) -> list[QualityAlert]:
    """A project's alerts, newest first."""
    statement = select(QualityAlert).where(QualityAlert.project_id == project_id)
    if status is not None:
        statement = statement.where(QualityAlert.status == status)
    return list(session.scalars(statement.order_by(QualityAlert.created_at.desc())))


def do_acknowledge_alert(
    *, session: Session, actor: Actor, alert_id: int, project_ids: set[int] | None, now: datetime
) -> QualityAlert:
    """Mark an alert seen; ``project_ids`` limits which projects' alerts the caller may touch."""
    alert = session.get(QualityAlert, alert_id)
    if alert is None or (project_ids is not None and alert.project_id not in project_ids):
        raise NotFound(f"alert {alert_id} not found")
    if alert.status is AlertStatus.acknowledged:
        raise Conflict(f"alert {alert_id} is already acknowledged")
    alert.status, alert.acknowledged_by, alert.acknowledged_at = (
        AlertStatus.acknowledged,
        actor.label,
        now,
    )
    audit.record(
        session=session,
        actor=actor,
        action="quality.acknowledge_alert",
        entity_type="quality_alert",
        entity_id=alert_id,
        after={"status": alert.status},
    )
    session.commit()
    return alert


def do_update_settings(
    *, session: Session, actor: Actor, project_id: int, changes: dict[str, Any]
) -> QualitySettings:
    """Change a project's quality settings (creating its row the first time)."""
    stored = session.get(QualitySettings, project_id)
    settings = stored or settings_of(session=session, project_id=project_id)
    before = {key: getattr(settings, key) for key in changes}
    for key, value in changes.items():
        setattr(settings, key, value)
    settings.updated_by = actor.label
    if stored is None:
        session.add(settings)
    audit.record(
        session=session,
        actor=actor,
        action="quality.settings",
        entity_type="project",
        entity_id=project_id,
        before=before,
        after=changes,
    )
    session.commit()
    return settings
