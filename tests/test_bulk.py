"""``bulk.insert_rows`` stores exactly what SQLAlchemy's own INSERT stores, on every database.

It hands pre-processed values to the driver (COPY on PostgreSQL, a DB-API executemany on
SQLite), so the column types' bind processing is its own job: timezone-aware datetimes as the
UTC type stores them, JSON serialised, enums as names, Python-side defaults filled in. Each
test writes the same rows once by a Core ``INSERT`` and once by ``insert_rows`` and compares
what the driver reads back, byte for byte, then reads them through the ORM.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from crewline.bulk import insert_columns, insert_rows, replace_columns
from crewline.db import Base
from crewline.quality.models import (
    QualityPoint,
    ReviewItem,
    ReviewReason,
    ReviewStatus,
    TaskConsensus,
    WorkerQuality,
)
from crewline.tasks.models import Task
from tests.factories import Factory
from tests.routing.support import ingest, live_project, member

EAST = timezone(timedelta(hours=5, minutes=30))
WHEN = datetime(2026, 3, 1, 23, 59, 59, 999_999, tzinfo=EAST)
ANSWERS: list[Any] = [
    "positive",
    {"spans": [[0, 4, "ORG"]], "note": 'a,"b"\nc', "x": None},
    [1, 2.5, -0.0, True],
    3,
    0.1 + 0.2,
    None,
    "",
    "ünïcode \\N \t tab",
]


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _raw(session: Session, model: type[Base], columns: list[str], where: Any) -> list[Any]:
    """Stored values as the driver returns them (no result processing), in id/key order."""
    table = _table(model)
    statement = (
        select(*(table.c[c] for c in columns)).where(where).order_by(*table.primary_key.columns)
    )
    compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    return [tuple(row) for row in session.connection().exec_driver_sql(str(compiled)).all()]


def _max_id(session: Session, model: type[Base]) -> int:
    return max(session.scalars(select(_table(model).c.id)).all(), default=0)


def test_review_items_are_stored_as_an_insert_stores_them(
    factory: Factory, session: Session
) -> None:
    project = live_project(factory, overlap=1)
    ingest(session, project, [{"external_id": f"t{i}", "data": {"text": "x"}} for i in range(8)])
    task_ids = sorted(session.scalars(select(Task.id).where(Task.project_id == project.id)))
    rows = [
        {
            "task_id": task_id,
            "project_id": project.id,
            "reason": ReviewReason.low_confidence,
            "detail": f'detail {i}: ,"quoted"\nline',
            # Decided items: the one-open-item-per-task index lets the rows go in twice.
            "status": ReviewStatus.accepted if i % 2 else ReviewStatus.corrected,
            "answer": answer,
            "created_at": WHEN + timedelta(microseconds=i),
        }
        for i, (task_id, answer) in enumerate(zip(task_ids, ANSWERS, strict=True))
    ]
    table = _table(ReviewItem)
    columns = [c.name for c in table.c if c.name != "id"]
    first = _max_id(session, ReviewItem)
    session.execute(insert(table), rows)
    second = _max_id(session, ReviewItem)
    insert_rows(session, ReviewItem, rows)
    by_insert = _raw(session, ReviewItem, columns, table.c.id.between(first + 1, second))
    ours = _raw(session, ReviewItem, columns, table.c.id > second)
    assert ours == by_insert and len(ours) == len(rows)

    session.expire_all()
    stored = session.scalars(
        select(ReviewItem).where(ReviewItem.id > second).order_by(ReviewItem.id)
    ).all()
    for item, row in zip(stored, rows, strict=True):
        assert item.answer == row["answer"] and type(item.answer) is type(row["answer"])
        assert item.status is row["status"] and item.reason is row["reason"]
        assert item.detail == row["detail"]
        assert item.created_at == row["created_at"] and item.created_at.tzinfo == UTC
        assert item.promoted_to_gold is False  # the Python-side default, filled in
        assert item.decided_at is None


def test_worker_figures_are_stored_as_an_insert_stores_them(
    factory: Factory, session: Session
) -> None:
    """JSON matrices, awkward floats and NULLs, into two projects: one by each path."""
    projects = [live_project(factory, overlap=1) for _ in range(2)]
    people = [member(factory, projects[0])[1].id for _ in range(4)]

    def rows(project_id: int) -> list[dict[str, Any]]:
        return [
            {
                "project_id": project_id,
                "person_id": person,
                "labels": 10 + i,
                "gold_seen": i,
                "gold_score": 0.5 * i,
                "gold_accuracy": None if i == 0 else 1 / 3,
                "gold_low": None,
                "gold_high": 1e-300,
                "consensus_agreement": 0.1 + 0.2,
                "model_accuracy": None,
                "confusion": {"classes": ["a", "b"], "matrix": [[0.9, 0.1], [1 / 3, 2 / 3]]}
                if i % 2
                else None,
                "labels_per_hour": 12.5,
                "median_seconds": None,
                "computed_at": WHEN,
            }
            for i, person in enumerate(people)
        ]

    table = _table(WorkerQuality)
    session.execute(insert(table), rows(projects[0].id))
    insert_rows(session, WorkerQuality, rows(projects[1].id))
    columns = [c.name for c in table.c if c.name != "project_id"]
    by_insert, ours = (
        _raw(session, WorkerQuality, columns, table.c.project_id == p.id) for p in projects
    )
    assert ours == by_insert and len(ours) == len(people)

    session.expire_all()
    stored = session.scalars(
        select(WorkerQuality)
        .where(WorkerQuality.project_id == projects[1].id)
        .order_by(WorkerQuality.person_id)
    ).all()
    for figure, row in zip(stored, rows(projects[1].id), strict=True):
        for column in columns:
            expected = row[column] if column != "computed_at" else WHEN.astimezone(UTC)
            assert getattr(figure, column) == expected


def test_points_with_and_without_a_person_are_stored_as_an_insert_stores_them(
    factory: Factory, session: Session
) -> None:
    """Into two projects (a person has one point a day per project): one by each path."""
    projects = [live_project(factory, overlap=1) for _ in range(2)]
    people = [None, *(member(factory, projects[0])[1].id for _ in range(3))]

    def rows(project_id: int) -> list[dict[str, Any]]:
        return [
            {
                "project_id": project_id,
                "person_id": person,
                "day": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=i),
                "labels": i,
                "gold_seen": 0,
                "gold_score": 0.1 * i,
                "agreed": i,
                "compared": i + 1,
            }
            for i, person in enumerate(people)
        ]

    table = _table(QualityPoint)
    session.execute(insert(table), rows(projects[0].id))
    insert_rows(session, QualityPoint, rows(projects[1].id))
    columns = [c.name for c in table.c if c.name not in ("id", "project_id")]
    by_insert, ours = (
        _raw(session, QualityPoint, columns, table.c.project_id == p.id) for p in projects
    )
    assert ours == by_insert and len(ours) == len(people)


def test_columns_of_different_lengths_are_refused_and_nothing_is_written(
    factory: Factory, session: Session
) -> None:
    project = live_project(factory, overlap=1)
    columns = {
        "project_id": [project.id, project.id],
        "person_id": [None, None],
        "day": [datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)],
        "labels": [1, 2],
        "gold_seen": [0, 0],
        "gold_score": [0.0],  # one short
        "agreed": [0, 0],
        "compared": [0, 0],
    }
    with pytest.raises(ValueError, match="columns differ in length"):
        insert_columns(session, QualityPoint, columns)
    stored = session.scalars(select(QualityPoint).where(QualityPoint.project_id == project.id))
    assert stored.all() == []


def _consensus(task_ids: list[int], project_id: int, answer: Any, n: int) -> dict[str, list[Any]]:
    return {
        "task_id": task_ids,
        "project_id": [project_id] * len(task_ids),
        "answer": [answer] * len(task_ids),
        "confidence": [0.1 + 0.2 * n] * len(task_ids),
        "n_labels": [n] * len(task_ids),
        "source": [f"run {n}"] * len(task_ids),
        "computed_at": [WHEN + timedelta(days=n)] * len(task_ids),
    }


def test_replace_leaves_the_scope_as_a_delete_and_insert_would(
    factory: Factory, session: Session
) -> None:
    """Kept rows updated, missing ones deleted, new ones inserted (on PostgreSQL in place,
    by a temporary table); the other project's rows untouched; twice in one transaction."""
    projects = [live_project(factory, overlap=1) for _ in range(2)]
    tasks = []
    for project in projects:
        ingest(
            session, project, [{"external_id": f"t{i}", "data": {"text": "x"}} for i in range(6)]
        )
        tasks.append(sorted(session.scalars(select(Task.id).where(Task.project_id == project.id))))
    mine, other = (TaskConsensus.project_id == p.id for p in projects)
    insert_columns(session, TaskConsensus, _consensus(tasks[0][:4], projects[0].id, "a", 1))
    insert_columns(session, TaskConsensus, _consensus(tasks[1], projects[1].id, "z", 1))
    before_other = _raw(session, TaskConsensus, ["task_id", "answer", "source"], other)

    # Tasks 0-1 dropped, 2-3 kept (their values change), 4-5 new; then again with fewer.
    fresh = _consensus(tasks[0][2:], projects[0].id, {"spans": [[0, 1, "X"]]}, 2)
    replace_columns(session, TaskConsensus, fresh, scope=mine, key=["task_id"])
    columns = [c.name for c in _table(TaskConsensus).c]
    stored = _raw(session, TaskConsensus, columns, mine)
    session.execute(delete(TaskConsensus).where(mine))
    insert_columns(session, TaskConsensus, fresh)
    assert stored == _raw(session, TaskConsensus, columns, mine) and len(stored) == 4

    replace_columns(
        session,
        TaskConsensus,
        _consensus(tasks[0][5:], projects[0].id, "b", 3),
        scope=mine,
        key=["task_id"],
    )
    assert _raw(session, TaskConsensus, ["task_id", "answer", "n_labels"], mine) == [
        (tasks[0][5], _raw_json(session, "b"), 3)
    ]
    replace_columns(
        session, TaskConsensus, _consensus([], projects[0].id, "b", 4), scope=mine, key=["task_id"]
    )
    assert _raw(session, TaskConsensus, ["task_id"], mine) == []
    assert _raw(session, TaskConsensus, ["task_id", "answer", "source"], other) == before_other


def _raw_json(session: Session, value: Any) -> Any:
    """A JSON value as the driver reads it back (text on SQLite, decoded on PostgreSQL)."""
    return json.dumps(value) if session.get_bind().dialect.name == "sqlite" else value


@pytest.mark.parametrize(
    "key", [[], ["nope"], ["answer", "missing"]], ids=["none", "not a column", "not given"]
)
def test_replace_refuses_a_key_that_cannot_identify_rows(
    factory: Factory, session: Session, key: list[str]
) -> None:
    project = live_project(factory, overlap=1)
    columns = _consensus([], project.id, "a", 1)
    with pytest.raises(ValueError, match="the key must be given columns that are never null"):
        replace_columns(
            session, TaskConsensus, columns, scope=TaskConsensus.project_id == project.id, key=key
        )


def test_replace_refuses_a_nullable_key(factory: Factory, session: Session) -> None:
    project = live_project(factory, overlap=1)
    figures = ("labels", "gold_seen", "gold_score", "agreed", "compared")
    columns: dict[str, list[Any]] = {n: [] for n in ("project_id", "person_id", "day", *figures)}
    with pytest.raises(ValueError, match="never null"):
        replace_columns(
            session,
            QualityPoint,
            columns,
            scope=QualityPoint.project_id == project.id,
            key=["project_id", "person_id", "day"],
        )
