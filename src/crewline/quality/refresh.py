"""Recompute a project's quality figures from its labels, and act on them.

One refresh reads every counted label of the project once, then in one transaction: replaces
the task consensus, the worker figures and the daily points; opens review items for
low-confidence tasks (or asks for more labels, with dynamic overlap), for gold most workers
missed and for flagged edge cases; raises fraud and carelessness flags, drift and error-rate
alerts; holds workers below the project's gold bar back from its tasks; and runs the
project's quality rules. Derived rows are replaced wholesale, so a refresh is idempotent and
never drifts from the labels and the human decisions (confirmed flags, adjudicated answers).

The ``quality.refresh`` job refreshes every project with labels newer than its figures, so the
dashboard is at most a job interval behind the annotations that moved it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from crewline.annotation import AnnotationType
from crewline.annotation.scoring import gold_matches
from crewline.annotation.types import LabelSchema, SingleLabelSchema, SpansSchema
from crewline.audit.schemas import Actor
from crewline.bulk import insert_columns, insert_rows, replace_columns
from crewline.people.embedding import Embedder
from crewline.projects import service as projects
from crewline.projects.models import Project, ProjectStatus
from crewline.quality import beta, consensus, control, fraud_flags, label_errors, rules
from crewline.quality.data import FloatArray, IntArray, group_medians, unique_ints
from crewline.quality.labels import ProjectLabels, load
from crewline.quality.models import (
    AlertStatus,
    QualityAlert,
    QualityPoint,
    QualityRefresh,
    QualitySettings,
    ReviewItem,
    ReviewReason,
    ReviewStatus,
    TaskConsensus,
    WorkerQuality,
)
from crewline.tasks import service as tasks
from crewline.tasks.models import Assignment, FlagKind, FlagStatus, Task, TaskFlag

#: Who automated decisions are recorded as.
SYSTEM = Actor(user_id=None, label="quality engine")
#: A label "agrees" with the consensus when its match score reaches this (1 for single labels).
AGREES = 0.5
#: Share of a gold task's labels that must miss it before the gold itself goes to review.
GOLD_DOUBT = 0.5


@dataclass(frozen=True, slots=True)
class Refreshed:
    """What a refresh computed and did, for logs, the CLI and the benchmark."""

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


def settings_of(*, session: Session, project_id: int) -> QualitySettings:
    """The project's quality settings, or the defaults (not stored) when it has none."""
    stored = session.get(QualitySettings, project_id)
    if stored is not None:
        return stored
    defaults = QualitySettings(project_id=project_id)
    for column in QualitySettings.__table__.columns:
        default = column.default
        if getattr(defaults, column.key) is None and default is not None and default.is_scalar:
            setattr(defaults, column.key, default.arg)
    return defaults


def refresh_project(
    *, session: Session, project_id: int, now: datetime, embedder: Embedder | None = None
) -> Refreshed:
    """Recompute and store one project's quality figures, then act on them (one transaction)."""
    started = time.perf_counter()
    project = projects.get_or_404(session=session, project_id=project_id)
    schema = projects.label_schema(session=session, project=project)
    settings = settings_of(session=session, project_id=project_id)
    labels = load(
        session=session,
        project_id=project_id,
        scalar=isinstance(schema, SingleLabelSchema),
    )
    people, who = unique_ints(labels.person)

    gold_rows = labels.is_gold & ~np.isnan(labels.gold_score)
    seen = _per_person(people.size, who[gold_rows], np.ones(int(gold_rows.sum())))
    scored = _per_person(people.size, who[gold_rows], labels.gold_score[gold_rows])
    accuracy = beta.gold_accuracy(scored, seen)
    weights = {int(p): float(m) for p, m in zip(people, accuracy.mean, strict=True)}

    data = _task_data(session, labels, schema)
    result = consensus.compute(
        labels,
        schema,
        method=settings.method.value,
        weights=weights,
        task_data=data,
        embedder=embedder,
    )
    flags = fraud_flags.store(
        session, project_id, fraud_flags.detect(labels, schema, result, embedder), now
    )
    final = dict(zip(result.task.tolist(), result.answer, strict=True))
    final.update(_adjudicated(session, project_id))
    agreement = _agreement(labels, schema, final)

    sources, confidences = _store_consensus(
        session, project_id, schema, result, final, labels.gold, now
    )
    written = len(sources)
    written += _store_workers(
        session, project_id, labels, people, who, seen, scored, accuracy, agreement, result, now
    )
    written += _store_points(session, project_id, labels, agreement)

    review_opened, more_labels = _queue_reviews(session, project, settings, result, labels, now)
    alerts = _drift_alerts(session, project_id, labels, agreement, now)
    alerts += _error_rate_alert(session, project, settings, sources, confidences, now)
    held = _hold_below_bar(session, project_id, settings, people, seen, accuracy.mean, now)
    session.flush()
    rule_actions = rules.run_rules(session=session, project_id=project_id, now=now)
    session.merge(
        QualityRefresh(
            project_id=project_id,
            refreshed_at=now,
            labels=labels.size,
            seconds=time.perf_counter() - started,
            rows_written=written,
        )
    )
    session.commit()
    return Refreshed(
        project_id=project_id,
        labels=labels.size,
        tasks=int(result.task.size),
        workers=int(people.size),
        review_opened=review_opened,
        more_labels=more_labels,
        alerts=alerts,
        flags=flags,
        held=held,
        rule_actions=rule_actions,
        seconds=time.perf_counter() - started,
    )


def stale_projects(*, session: Session) -> list[int]:
    """Live or paused projects with labels finished after their figures were last computed."""
    last_label = (
        select(Assignment.project_id, func.max(Assignment.finished_at).label("at"))
        .group_by(Assignment.project_id)
        .subquery()
    )
    rows = session.execute(
        select(Project.id)
        .join(last_label, last_label.c.project_id == Project.id)
        .outerjoin(QualityRefresh, QualityRefresh.project_id == Project.id)
        .where(
            Project.status.in_([ProjectStatus.live, ProjectStatus.paused]),
            QualityRefresh.refreshed_at.is_(None) | (last_label.c.at > QualityRefresh.refreshed_at),
        )
        .order_by(Project.id)
    )
    return list(rows.scalars())


def job(embedder: Embedder | None = None) -> Callable[[Session, datetime], int]:
    """The ``quality.refresh`` job: refresh every stale project; returns how many."""

    def run(session: Session, now: datetime) -> int:
        stale = stale_projects(session=session)
        for project_id in stale:
            refresh_project(session=session, project_id=project_id, now=now, embedder=embedder)
        return len(stale)

    return run


# --- figures -----------------------------------------------------------------------------------


def _per_person(n_people: int, codes: IntArray, values: FloatArray) -> FloatArray:
    """Sum ``values`` by person code (the index in the sorted person ids)."""
    return np.bincount(codes, weights=values, minlength=n_people).astype(np.float64)


def _task_data(
    session: Session, labels: ProjectLabels, schema: LabelSchema
) -> Mapping[int, Mapping[str, Any]]:
    """Task data, only where an aggregator needs it (span texts)."""
    if not isinstance(schema, SpansSchema) or not labels.size:
        return {}
    ids = np.unique(labels.task).tolist()
    return dict(session.execute(select(Task.id, Task.data).where(Task.id.in_(ids))).all())


def _adjudicated(session: Session, project_id: int) -> dict[int, Any]:
    """Answers reviewers decided; the latest decision per task wins over inference."""
    rows = session.execute(
        select(ReviewItem.task_id, ReviewItem.answer)
        .where(
            ReviewItem.project_id == project_id,
            ReviewItem.status.in_([ReviewStatus.accepted, ReviewStatus.corrected]),
            ReviewItem.answer.is_not(None),
        )
        .order_by(ReviewItem.decided_at)
    )
    return {task_id: answer for task_id, answer in rows.all()}


def _agreement(labels: ProjectLabels, schema: LabelSchema, final: Mapping[int, Any]) -> FloatArray:
    """Each label's match score with its task's final answer (nan on gold tasks and undecided)."""
    out = np.full(labels.size, np.nan)
    rows = np.flatnonzero(~labels.is_gold)
    if not rows.size:
        return out
    tasks, inverse = unique_ints(labels.task[rows])
    answers = np.array([final.get(t) for t in tasks.tolist()] + [None], dtype=object)[:-1]
    wanted = answers[inverse]
    known = np.array([a is not None for a in wanted], dtype=bool)
    if isinstance(schema, SingleLabelSchema):
        given = np.array([*labels.value, None], dtype=object)[:-1][rows]
        out[rows] = np.where(known, given == wanted, np.nan)
        return out
    for i, answer, ok in zip(rows.tolist(), wanted, known.tolist(), strict=True):
        if ok:
            out[i] = gold_matches(schema, labels.value[i], answer)
    return out


# --- storing -----------------------------------------------------------------------------------


def _store_consensus(
    session: Session,
    project_id: int,
    schema: LabelSchema,
    result: consensus.Consensus,
    final: Mapping[int, Any],
    gold: Mapping[int, Any],
    now: datetime,
) -> tuple[list[str], list[float]]:
    """Replace the project's final answers: inferred, adjudicated, or the gold key; returns
    the sources and confidences written, row by row.

    A gold task's row holds its key as the answer and, as confidence, how well the crowd's own
    answer matched the key (``gold_matches``; 1 for single labels, whose inference clamps
    gold): what the gold-based label error rate reads.
    """
    inferred = result.task.tolist()
    decided = sorted(set(final) - set(inferred))
    answers: list[Any] = []
    scores: list[float] = []
    sources: list[str] = []
    for task_id, answer, confidence in zip(
        inferred, result.answer, result.confidence.tolist(), strict=True
    ):
        key = gold.get(task_id)
        if final[task_id] is not answer:
            answers.append(final[task_id])
            scores.append(1.0)
            sources.append("adjudicated")
        elif key is not None:
            answers.append(key)
            scores.append(gold_matches(schema, answer, key))
            sources.append("gold")
        else:
            answers.append(answer)
            scores.append(confidence)
            sources.append(result.method)
    answers += [final[task_id] for task_id in decided]
    scores += [1.0] * len(decided)
    sources += ["adjudicated"] * len(decided)
    count = len(answers)
    replace_columns(
        session,
        TaskConsensus,
        {
            "task_id": inferred + decided,
            "project_id": [project_id] * count,
            "answer": answers,
            "confidence": scores,
            "n_labels": result.n_labels.tolist() + [0] * len(decided),
            "source": sources,
            "computed_at": [now] * count,
        },
        scope=TaskConsensus.project_id == project_id,
        key=["task_id"],
    )
    return sources, scores


def _store_workers(
    session: Session,
    project_id: int,
    labels: ProjectLabels,
    people: np.ndarray[Any, Any],
    who: IntArray,
    seen: FloatArray,
    scored: FloatArray,
    accuracy: beta.Estimate,
    agreement: FloatArray,
    result: consensus.Consensus,
    now: datetime,
) -> int:
    n = people.size
    count = _per_person(n, who, np.ones(labels.size))
    compared = ~np.isnan(agreement)
    agreed = _per_person(n, who[compared], agreement[compared])
    n_compared = _per_person(n, who[compared], np.ones(int(compared.sum())))
    timed = ~np.isnan(labels.seconds)
    hours = _per_person(n, who[timed], labels.seconds[timed]) / 3600
    n_timed = _per_person(n, who[timed], np.ones(int(timed.sum())))
    session.execute(delete(WorkerQuality).where(WorkerQuality.project_id == project_id))
    rows = []
    medians = group_medians(who[timed], labels.seconds[timed], n)
    for i, person_id in enumerate(people.tolist()):
        model = result.workers.get(person_id)
        rows.append(
            {
                "project_id": project_id,
                "person_id": person_id,
                "labels": int(count[i]),
                "gold_seen": int(seen[i]),
                "gold_score": float(scored[i]),
                "gold_accuracy": float(accuracy.mean[i]) if seen[i] else None,
                "gold_low": float(accuracy.low[i]) if seen[i] else None,
                "gold_high": float(accuracy.high[i]) if seen[i] else None,
                "consensus_agreement": float(agreed[i] / n_compared[i]) if n_compared[i] else None,
                "model_accuracy": model[0] if model else None,
                "confusion": {"classes": list(result.classes), "matrix": model[1]}
                if model
                else None,
                "labels_per_hour": float(n_timed[i] / hours[i]) if hours[i] > 0 else None,
                "median_seconds": None if np.isnan(medians[i]) else float(medians[i]),
                "computed_at": now,
            }
        )
    insert_rows(session, WorkerQuality, rows)
    return len(rows)


def _store_points(
    session: Session, project_id: int, labels: ProjectLabels, agreement: FloatArray
) -> int:
    """Daily points per worker and for the project (``person_id`` None), grouped in numpy."""
    session.execute(delete(QualityPoint).where(QualityPoint.project_id == project_id))
    if not labels.size:
        return 0
    day = (labels.finished // 86_400).astype(np.int64)
    first_day = int(day.min())
    day -= first_day  # days since the first: group keys in a narrow range for unique_ints
    gold = labels.is_gold & ~np.isnan(labels.gold_score)
    compared = ~np.isnan(agreement)
    agreed = compared & (np.nan_to_num(agreement) >= AGREES)
    figures = {
        "labels": np.ones(labels.size),
        "gold_seen": gold,
        "gold_score": np.where(gold, labels.gold_score, 0.0),
        "agreed": agreed,
        "compared": compared,
    }
    width = int(labels.person.max()) + 1
    columns: dict[str, list[Any]] = {name: [] for name in ("person_id", "day", *figures)}
    for person in (None, labels.person):
        groups, inverse = unique_ints(day * width + (0 if person is None else person))
        days = groups // width + first_day
        dates = {int(d): datetime.fromtimestamp(int(d) * 86_400, UTC) for d in np.unique(days)}
        columns["day"] += [dates[d] for d in days.tolist()]
        columns["person_id"] += (
            [None] * groups.size if person is None else (groups % width).tolist()
        )
        for name, figure in figures.items():
            sums = np.bincount(inverse, weights=figure, minlength=groups.size)
            columns[name] += sums.tolist() if name == "gold_score" else sums.astype(int).tolist()
    count = len(columns["day"])
    insert_columns(session, QualityPoint, {"project_id": [project_id] * count, **columns})
    return count


# --- acting --------------------------------------------------------------------------------------


def _open_reviews(session: Session, project_id: int, items: list[dict[str, Any]]) -> int:
    """Open review items, skipping tasks that already have an open one for the same reason.

    The partial unique index ``uq_review_items_open`` backs this up should two refreshes of
    one project ever race (the job runs them one at a time).
    """
    if not items:
        return 0
    open_now = set(
        session.execute(
            select(ReviewItem.task_id, ReviewItem.reason).where(
                ReviewItem.project_id == project_id,
                ReviewItem.status.in_([ReviewStatus.open, ReviewStatus.escalated]),
            )
        ).all()
    )
    fresh = {
        (i["task_id"], i["reason"]): i for i in items if (i["task_id"], i["reason"]) not in open_now
    }
    if fresh:
        insert_rows(session, ReviewItem, list(fresh.values()))
    return len(fresh)


def _queue_reviews(
    session: Session,
    project: Project,
    settings: QualitySettings,
    result: consensus.Consensus,
    labels: ProjectLabels,
    now: datetime,
) -> tuple[int, int]:
    """Send uncertain, doubtful-gold and flagged tasks to review; or ask for more labels.

    A complete task (it has all the labels it asked for) whose consensus confidence is under
    the threshold gets one more label while dynamic overlap allows (``max_labels``); past that,
    or with dynamic overlap off, a reviewer decides it. Returns (review items opened, tasks
    given another label).
    """
    low = result.confidence < settings.confidence_threshold
    candidates = result.task[low].tolist()
    required = (
        dict(
            session.execute(
                select(Task.id, Task.required_labels).where(
                    Task.id.in_(candidates), Task.is_gold.is_(False), Task.completed_at.is_not(None)
                )
            ).all()
        )
        if candidates
        else {}
    )
    counts = dict(zip(result.task.tolist(), result.n_labels.tolist(), strict=True))
    confidence = dict(zip(result.task.tolist(), result.confidence.tolist(), strict=True))
    decided = set(_adjudicated(session, project.id))
    items: list[dict[str, Any]] = []
    more = 0
    for task_id, needed in sorted(required.items()):
        if task_id in decided or counts[task_id] < needed:
            continue
        if settings.max_labels is not None and needed < settings.max_labels:
            tasks.do_set_required_labels(
                session=session,
                actor=SYSTEM,
                task_id=task_id,
                required=needed + 1,
                now=now,
                commit=False,
            )
            more += 1
            continue
        items.append(
            _item(
                task_id,
                project.id,
                ReviewReason.low_confidence,
                f"consensus confidence {confidence[task_id]:.2f} is under "
                f"{settings.confidence_threshold:.2f} after {counts[task_id]} labels",
                now,
            )
        )
    gold = labels.is_gold & ~np.isnan(labels.gold_score)
    if gold.any():
        gold_tasks, inverse = np.unique(labels.task[gold], return_inverse=True)
        missed = np.bincount(inverse, weights=(labels.gold_score[gold] < AGREES).astype(float))
        seen = np.bincount(inverse)
        for task_id, m, n in zip(gold_tasks.tolist(), missed.tolist(), seen.tolist(), strict=True):
            if n >= 2 and m / n > GOLD_DOUBT:
                items.append(
                    _item(
                        task_id,
                        project.id,
                        ReviewReason.gold_missed,
                        f"{int(m)} of {n} workers missed this gold answer: check the key",
                        now,
                    )
                )
    flagged = session.execute(
        select(TaskFlag.task_id, TaskFlag.body).where(
            TaskFlag.project_id == project.id,
            TaskFlag.kind == FlagKind.edge_case,
            TaskFlag.status == FlagStatus.open,
        )
    ).all()
    for task_id, body in flagged:
        if task_id not in decided:
            items.append(_item(task_id, project.id, ReviewReason.edge_case, body[:500], now))
    return _open_reviews(session, project.id, items), more


def _item(
    task_id: int, project_id: int, reason: ReviewReason, detail: str, now: datetime
) -> dict[str, Any]:
    return {
        "task_id": task_id,
        "project_id": project_id,
        "reason": reason,
        "detail": detail,
        "status": ReviewStatus.open,
        "promoted_to_gold": False,
        "created_at": now,
    }


def _hold_below_bar(
    session: Session,
    project_id: int,
    settings: QualitySettings,
    people: np.ndarray[Any, Any],
    seen: FloatArray,
    accuracy: FloatArray,
    now: datetime,
) -> int:
    """Hold back workers whose gold accuracy is under the bar, once they have enough gold.

    Only a human lifts a hold (the worker gets no more of the project's gold to recover on).
    """
    bar = settings.min_gold_accuracy
    if bar is None:
        return 0
    held = 0
    for person_id, n, mean in zip(people.tolist(), seen.tolist(), accuracy.tolist(), strict=True):
        if n >= settings.min_gold_seen and mean < bar:
            reason = f"gold accuracy {mean:.0%} over {int(n)} gold tasks is under the bar {bar:.0%}"
            member = projects.current_member(
                session=session, project_id=project_id, person_id=person_id
            )
            if member is not None and member.hold_reason is None:
                projects.do_set_hold(
                    session=session,
                    actor=SYSTEM,
                    project_id=project_id,
                    person_id=person_id,
                    reason=reason,
                    now=now,
                    commit=False,
                )
                held += 1
    return held


def _alert(
    session: Session,
    project_id: int,
    person_id: int | None,
    kind: str,
    message: str,
    evidence: dict[str, Any],
    now: datetime,
) -> int:
    """Raise an alert unless the same kind is already open for the same project and person."""
    who = (
        QualityAlert.person_id.is_(None)
        if person_id is None
        else QualityAlert.person_id == person_id
    )
    already = session.scalar(
        select(QualityAlert.id).where(
            QualityAlert.project_id == project_id,
            who,
            QualityAlert.kind == kind,
            QualityAlert.status == AlertStatus.open,
        )
    )
    if already is not None:
        return 0
    session.add(
        QualityAlert(
            project_id=project_id,
            person_id=person_id,
            kind=kind,
            message=message[:500],
            evidence=evidence,
            status=AlertStatus.open,
            created_at=now,
        )
    )
    return 1


#: Gold answers a worker needs before their CUSUM may alarm, and days before the project's EWMA.
MIN_GOLD_FOR_DRIFT = 5
MIN_DAYS_FOR_DRIFT = 5


def _drift_alerts(
    session: Session, project_id: int, labels: ProjectLabels, agreement: FloatArray, now: datetime
) -> int:
    """Alerts for workers whose gold accuracy has drifted down now (Bernoulli CUSUM against
    the project's pooled gold error rate) and for a project whose daily agreement with
    consensus has fallen under its EWMA control limit."""
    raised = 0
    gold = labels.is_gold & ~np.isnan(labels.gold_score)
    if gold.sum() >= MIN_GOLD_FOR_DRIFT:
        errors = (labels.gold_score[gold] < AGREES).astype(np.float64)
        q0 = float(np.clip(errors.mean(), 0.02, 0.5))
        people = labels.person[gold]
        for person_id in np.unique(people).tolist():
            mine = errors[people == person_id]
            if mine.size < MIN_GOLD_FOR_DRIFT:
                continue
            chart = control.bernoulli_cusum(mine, q0)
            if chart.out_of_control:
                recent = mine[-10:]
                raised += _alert(
                    session,
                    project_id,
                    person_id,
                    "drift_gold",
                    f"gold accuracy dropped: {int(recent.size - recent.sum())} of the last "
                    f"{recent.size} gold answers right, against {1 - q0:.0%} for the project",
                    {
                        "cusum": round(float(chart.statistic[-1]), 3),
                        "limit": control.CUSUM_LIMIT,
                        "project_error_rate": round(q0, 4),
                        "gold_answers": int(mine.size),
                    },
                    now,
                )
    compared = ~np.isnan(agreement)
    if compared.any():
        day = (labels.finished[compared] // 86_400).astype(np.int64)
        days, inverse = np.unique(day, return_inverse=True)
        if days.size >= MIN_DAYS_FOR_DRIFT:
            agreed = np.bincount(inverse, weights=(agreement[compared] >= AGREES).astype(float))
            sizes = np.bincount(inverse).astype(np.float64)
            target = float(np.clip(agreed.sum() / sizes.sum(), 0.01, 0.99))
            chart = control.ewma_lower(agreed / sizes, sizes, target)
            if chart.out_of_control:
                raised += _alert(
                    session,
                    project_id,
                    None,
                    "drift_agreement",
                    f"agreement with consensus fell to {chart.statistic[-1]:.0%} (EWMA) against "
                    f"{target:.0%} over the project's life",
                    {
                        "ewma": round(float(chart.statistic[-1]), 4),
                        "lower_limit": round(float(chart.limit[-1]), 4),
                        "target": round(target, 4),
                        "days": int(days.size),
                    },
                    now,
                )
    return raised


def project_error_rate(
    *, session: Session, project_id: int, single_label: bool
) -> label_errors.ErrorRate | None:
    """The estimated share of wrong final labels, from the stored final answers.

    Single labels: the truth-inference posterior (mean doubt of non-gold answers), which gold
    clamping calibrates. Other types have no calibrated posterior, so gold measures it: the
    share of gold tasks whose crowd answer missed the key.
    """
    rows = session.execute(
        select(TaskConsensus.source, TaskConsensus.confidence).where(
            TaskConsensus.project_id == project_id
        )
    ).all()
    return _error_rate_of([(source, c) for source, c in rows], single_label)


def _error_rate_of(
    rows: list[tuple[str, float]], single_label: bool
) -> label_errors.ErrorRate | None:
    """:func:`project_error_rate` of final answers given as (source, confidence)."""
    if single_label:
        return label_errors.estimate([c for source, c in rows if source != "gold"])
    return label_errors.from_gold([c >= AGREES for source, c in rows if source == "gold"])


def _error_rate_alert(
    session: Session,
    project: Project,
    settings: QualitySettings,
    sources: list[str],
    confidences: list[float],
    now: datetime,
) -> int:
    """An alert when the estimated share of wrong final labels passes the project's warning.

    Estimated from the final answers just written (the rows themselves, in the order they were
    written: reading a hundred thousand back cost a third of a second).
    """
    estimate = _error_rate_of(
        list(zip(sources, confidences, strict=True)),
        project.annotation_type is AnnotationType.SINGLE_LABEL,
    )
    if estimate is None or not estimate.exceeds(settings.error_rate_warning):
        return 0
    return _alert(
        session,
        project.id,
        None,
        "error_rate",
        f"estimated label error rate {estimate.rate:.1%} (95% interval {estimate.low:.1%}"
        f" to {estimate.high:.1%}, {estimate.tasks} tasks) is above the warning level "
        f"{settings.error_rate_warning:.1%}",
        {"rate": round(estimate.rate, 4), "tasks": estimate.tasks, "basis": estimate.basis},
        now,
    )
