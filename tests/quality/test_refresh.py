"""The quality refresh: consensus, worker figures, review queue, dynamic overlap, holds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from crewline.db import utcnow
from crewline.projects.models import Project, ProjectMember
from crewline.quality import labels, refresh
from crewline.quality.models import (
    FlagDecision,
    FraudFlag,
    QualityPoint,
    QualityRefresh,
    QualitySettings,
    ReviewItem,
    ReviewReason,
    ReviewStatus,
    Severity,
    TaskConsensus,
    WorkerQuality,
)
from crewline.tasks.models import Assignment, Task
from tests.factories import Factory
from tests.quality.support import label_everything
from tests.routing.support import LABELS, ingest, live_project, member

CLASSES = LABELS["labels"]


def truth(task: Task) -> str:
    return CLASSES[int(task.external_id[1:]) % 3]


def wrong(task: Task) -> str:
    return CLASSES[(int(task.external_id[1:]) + 1) % 3]


def rows(count: int, gold: int) -> list[dict[str, Any]]:
    """``count`` tasks, the first ``gold`` of them gold with the true answer."""
    out = []
    for i in range(count):
        row: dict[str, Any] = {"external_id": f"r{i}", "data": {"text": f"Review {i}"}}
        if i < gold:
            row["gold_answer"] = CLASSES[i % 3]
        out.append(row)
    return out


def setup_project(
    factory: Factory, *, overlap: int, count: int, gold: int, **quality: Any
) -> Project:
    project = live_project(factory, overlap=overlap, gold_rate=0.2)
    ingest(factory.session, project, rows(count, gold))
    if quality:
        factory.session.add(QualitySettings(project_id=project.id, **quality))
        factory.session.commit()
    return project


def work(
    factory: Factory, project: Project, answers: list[Any], start: datetime | None = None
) -> list[int]:
    """One worker per answer function, each labelling all they can; returns their ids."""
    now = start or utcnow() - timedelta(days=1)
    people = []
    for answer in answers:
        _user, person = member(factory, project)
        now = label_everything(factory.session, project.id, person.id, answer, now=now)
        people.append(person.id)
    return people


def figures(session: Session, project: Project) -> dict[int, WorkerQuality]:
    rows_ = session.scalars(select(WorkerQuality).where(WorkerQuality.project_id == project.id))
    return {w.person_id: w for w in rows_}


def test_consensus_recovers_the_truth_and_workers_are_measured(
    factory: Factory, session: Session
) -> None:
    project = setup_project(factory, overlap=3, count=30, gold=6)
    *good, bad_one = work(factory, project, [truth, truth, wrong])
    bad = [bad_one]

    done = refresh.refresh_project(session=session, project_id=project.id, now=utcnow())

    assert (done.labels, done.tasks, done.workers) == (90, 30, 3)
    answers = dict(
        session.execute(
            select(Task.external_id, TaskConsensus.answer)
            .join(TaskConsensus, TaskConsensus.task_id == Task.id)
            .where(Task.project_id == project.id)
        ).all()
    )
    assert answers and all(answer == CLASSES[int(ext[1:]) % 3] for ext, answer in answers.items())
    stats = figures(session, project)
    assert set(stats) == {*good, *bad}
    for person in good:
        assert stats[person].gold_seen >= 1
        assert stats[person].gold_accuracy is not None and stats[person].gold_accuracy > 0.6
        assert (
            stats[person].gold_low is not None
            and stats[person].gold_low < stats[person].gold_accuracy
        )
    worst = stats[bad[0]]
    assert worst.gold_accuracy is not None and worst.gold_accuracy < 0.4
    assert worst.consensus_agreement is not None and worst.consensus_agreement < 0.2
    assert stats[good[0]].consensus_agreement == pytest.approx(1.0)
    assert worst.model_accuracy is not None and worst.model_accuracy < 0.5
    assert stats[good[0]].labels_per_hour == pytest.approx(3600 / 20)
    days = session.scalar(
        select(func.count()).select_from(QualityPoint).where(QualityPoint.project_id == project.id)
    )
    assert days and days >= 4  # the project's day(s) plus each worker's


def test_a_refresh_is_idempotent(factory: Factory, session: Session) -> None:
    project = setup_project(
        factory,
        overlap=2,
        count=12,
        gold=3,
        confidence_threshold=0.99,
        max_labels=None,
        method="mv",
    )
    work(factory, project, [truth, wrong])
    first = refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    second = refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    assert first.review_opened > 0
    assert second.review_opened == 0
    assert (first.tasks, first.workers) == (second.tasks, second.workers)
    items = session.scalar(
        select(func.count()).select_from(ReviewItem).where(ReviewItem.project_id == project.id)
    )
    assert items == first.review_opened


def _figures(session: Session, project: Project) -> dict[str, list[tuple[Any, ...]]]:
    """Every derived row of a project, without the timestamps, floats to 6 places."""

    def plain(row: Any, columns: list[str]) -> tuple[Any, ...]:
        values = (getattr(row, c) for c in columns)
        return tuple(round(v, 6) if isinstance(v, float) else v for v in values)

    consensus = session.scalars(select(TaskConsensus).where(TaskConsensus.project_id == project.id))
    workers = session.scalars(select(WorkerQuality).where(WorkerQuality.project_id == project.id))
    points = session.scalars(select(QualityPoint).where(QualityPoint.project_id == project.id))
    return {
        "consensus": sorted(
            plain(r, ["task_id", "answer", "confidence", "n_labels", "source"]) for r in consensus
        ),
        "workers": sorted(
            plain(r, ["person_id", "labels", "gold_seen", "gold_accuracy", "consensus_agreement"])
            for r in workers
        ),
        "points": sorted(
            (
                plain(r, ["person_id", "day", "labels", "gold_seen", "agreed", "compared"])
                for r in points
            ),
            key=lambda t: (t[0] or 0, t[1]),
        ),
    }


def test_a_refresh_after_new_labels_matches_a_full_recompute_and_is_recorded(
    factory: Factory, session: Session
) -> None:
    project = setup_project(factory, overlap=3, count=15, gold=3, method="dawid-skene")
    work(factory, project, [truth, truth, wrong])
    refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    first = session.get_one(QualityRefresh, project.id)
    assert first.labels == 45 and first.rows_written > 15 and first.seconds > 0
    before = _figures(session, project)
    refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    assert _figures(session, project) == before
    ingest(session, project, [{"external_id": "r99", "data": {"text": "A late review"}}])
    work(factory, project, [truth], start=utcnow() + timedelta(minutes=1))
    refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    incremental = _figures(session, project)
    assert session.get_one(QualityRefresh, project.id).labels == 46  # one more label
    for model in (TaskConsensus, WorkerQuality, QualityPoint):
        session.execute(delete(model).where(model.project_id == project.id))
    refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    assert _figures(session, project) == incremental


def test_dynamic_overlap_asks_for_one_more_label_up_to_the_maximum(
    factory: Factory, session: Session
) -> None:
    project = setup_project(
        factory, overlap=2, count=6, gold=0, confidence_threshold=0.9, max_labels=3, method="mv"
    )
    work(factory, project, [truth, wrong])
    done = refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    assert done.more_labels == 6 and done.review_opened == 0
    targets = session.scalars(select(Task.required_labels).where(Task.project_id == project.id))
    assert set(targets) == {3}
    work(factory, project, [truth])  # the third label settles every task
    settled = refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    assert settled.more_labels == 0  # at the maximum: no fourth label
    assert settled.review_opened == 6  # two of three agree, 2/3 < 0.9: a reviewer decides


def test_low_confidence_goes_to_review_once_overlap_is_spent(
    factory: Factory, session: Session
) -> None:
    project = setup_project(
        factory, overlap=2, count=4, gold=0, confidence_threshold=0.9, max_labels=None, method="mv"
    )
    work(factory, project, [truth, wrong])
    done = refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    assert done.review_opened == 4
    reasons = set(
        session.scalars(select(ReviewItem.reason).where(ReviewItem.project_id == project.id))
    )
    assert reasons == {ReviewReason.low_confidence}


def test_gold_most_workers_miss_goes_to_review(factory: Factory, session: Session) -> None:
    project = setup_project(factory, overlap=3, count=6, gold=3)
    work(factory, project, [wrong, wrong, truth])
    refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    doubted = session.scalars(
        select(ReviewItem.detail).where(
            ReviewItem.project_id == project.id, ReviewItem.reason == ReviewReason.gold_missed
        )
    ).all()
    assert len(doubted) == 3
    assert all("2 of 3 workers missed" in d for d in doubted)


def test_a_worker_under_the_bar_is_held_with_the_reason(factory: Factory, session: Session) -> None:
    project = setup_project(
        factory, overlap=3, count=40, gold=20, min_gold_accuracy=0.7, min_gold_seen=5
    )
    good = work(factory, project, [truth, truth])
    bad = work(factory, project, [wrong])
    done = refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    assert done.held == 1
    holds = dict(
        session.execute(
            select(ProjectMember.person_id, ProjectMember.hold_reason).where(
                ProjectMember.project_id == project.id
            )
        ).all()
    )
    assert holds[good[0]] is None
    assert holds[bad[0]] is not None and "under the bar 70%" in holds[bad[0]]
    again = refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    assert again.held == 0  # already held: not held twice


def test_confirmed_flags_exclude_labels_and_adjudication_wins(
    factory: Factory, session: Session
) -> None:
    project = setup_project(factory, overlap=3, count=6, gold=0, method="mv")
    _first, _second, cheat = work(factory, project, [truth, wrong, wrong])
    before = refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    assert before.workers == 3
    session.add(
        FraudFlag(
            project_id=project.id,
            person_id=cheat,
            signal="collusion",
            severity=Severity.high,
            score=9.0,
            evidence={},
            status=FlagDecision.confirmed,
            exclude_labels=True,
        )
    )
    task = session.scalars(select(Task).where(Task.project_id == project.id)).first()
    assert task is not None
    session.add(
        ReviewItem(
            task_id=task.id,
            project_id=project.id,
            reason=ReviewReason.low_confidence,
            detail="test",
            status=ReviewStatus.corrected,
            answer="neutral",
            decided_at=utcnow(),
        )
    )
    session.commit()
    after = refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    assert after.workers == 2
    assert cheat not in figures(session, project)
    final = session.get_one(TaskConsensus, task.id)
    assert (final.answer, final.source, final.confidence) == ("neutral", "adjudicated", 1.0)


def test_stale_projects_are_those_with_labels_newer_than_their_figures(
    factory: Factory, session: Session
) -> None:
    project = setup_project(factory, overlap=1, count=4, gold=0)
    work(factory, project, [truth])
    assert project.id in refresh.stale_projects(session=session)
    refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    assert project.id not in refresh.stale_projects(session=session)
    ingest(session, project, [{"external_id": "r99", "data": {"text": "Late review"}}])
    work(factory, project, [truth], start=utcnow() + timedelta(minutes=1))
    assert project.id in refresh.stale_projects(session=session)


@pytest.mark.parametrize(
    ("annotation_type", "schema", "value"),
    [
        ("likert", {"min": 1, "max": 5}, 4),
        ("multi_label", {"labels": ["toxic", "spam", "off_topic"]}, ["toxic", "spam"]),
        ("free_text", {}, "42 is the answer"),
    ],
)
def test_structured_values_come_back_decoded_on_every_database(
    factory: Factory, session: Session, annotation_type: str, schema: dict[str, Any], value: Any
) -> None:
    project = live_project(factory, overlap=2, annotation_type=annotation_type, label_schema=schema)
    ingest(
        session,
        project,
        [{"external_id": f"r{i}", "data": {"text": f"Item {i}"}} for i in range(3)],
    )
    work(factory, project, [lambda _t: value, lambda _t: value])
    done = refresh.refresh_project(
        session=session, project_id=project.id, now=utcnow(), embedder=factory.embedder
    )
    assert done.tasks == 3
    answers = session.scalars(
        select(TaskConsensus.answer).where(TaskConsensus.project_id == project.id)
    ).all()
    assert answers == [value] * 3


@pytest.mark.parametrize(
    ("annotation_type", "schema", "values"),
    [
        ("single_label", {"labels": ["a,b", 'say "hi"', "two\nlines"]}, None),
        ("free_text", {}, ["\\N", ' quoted "," and\nbroken ', '""']),
    ],
)
def test_labels_load_exactly_what_was_stored_on_every_database(
    factory: Factory,
    session: Session,
    annotation_type: str,
    schema: dict[str, Any],
    values: list[str] | None,
) -> None:
    """PostgreSQL reads labels by COPY as CSV: separators, quotes, newlines and empty strings
    in a value, and NULL figures, must come back as they went in."""
    project = live_project(factory, overlap=3, annotation_type=annotation_type, label_schema=schema)
    given = values or schema["labels"]
    tasks = [{"external_id": f"r{i}", "data": {"text": f"Item {i}"}} for i in range(3)]
    if values is None:
        tasks[0]["gold_answer"] = given[0]
    report = ingest(session, project, tasks)
    assert len(report.created) == 3
    work(factory, project, [lambda t, v=v: v for v in given])
    loaded = labels.load(
        session=session, project_id=project.id, scalar=annotation_type == "single_label"
    )
    stored = session.execute(
        select(Assignment.task_id, Assignment.person_id, Assignment.value, Assignment.gold_score)
        .where(Assignment.project_id == project.id)
        .order_by(Assignment.finished_at, Assignment.id)
    ).all()
    assert loaded.size == len(stored) == 9
    assert loaded.task.tolist() == [r.task_id for r in stored]
    assert loaded.person.tolist() == [r.person_id for r in stored]
    assert loaded.value == [r.value for r in stored]
    assert [None if np.isnan(s) else s for s in loaded.gold_score.tolist()] == [
        r.gold_score for r in stored
    ]
    assert int(loaded.is_gold.sum()) == (3 if values is None else 0)
    assert (loaded.seconds == 20.0).all() and (np.diff(loaded.finished) >= 0).all()
