"""Two reviewers deciding one item at once, against real PostgreSQL: one wins, one gets 409.

Real, committed transactions (not the per-test rollback), removed again afterwards. SQLite
serialises writers anyway (``db.begin_write``), so this runs on PostgreSQL only.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from crewline.app import create_app
from crewline.audit.models import AuditEvent
from crewline.auth.deps import Principal
from crewline.auth.models import User
from crewline.auth.roles import Role, Scope
from crewline.config import Settings
from crewline.db import make_sessionmaker, utcnow
from crewline.errors import Conflict
from crewline.orgs.models import Organization
from crewline.projects.models import Project
from crewline.quality import review
from crewline.quality.models import ReviewItem, ReviewReason, ReviewStatus, TaskConsensus
from crewline.tasks import service as tasks
from crewline.tasks.models import Task
from tests.factories import Factory
from tests.routing.support import ingest, live_project, reviews

pytestmark = pytest.mark.postgres


@dataclass(frozen=True)
class Arranged:
    sessions: sessionmaker[Session]
    item_id: int
    reviewers: tuple[int, int]


@pytest.fixture
def arranged(engine: Engine, settings: Settings, embedder) -> Iterator[Arranged]:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (CI runs the suite there too)")
    sessions = make_sessionmaker(engine)
    app: FastAPI = create_app(settings, session_factory=sessions, embedder=embedder)
    with sessions() as session:
        first_event = session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))
        factory = Factory(session=session, app=app, embedder=embedder)
        project = live_project(factory)
        ingest(session, project, reviews(1))
        task_id = session.scalars(select(Task.id).where(Task.project_id == project.id)).one()
        session.add(
            TaskConsensus(
                task_id=task_id,
                project_id=project.id,
                answer="positive",
                confidence=0.5,
                n_labels=2,
                source="mv",
            )
        )
        item = ReviewItem(
            task_id=task_id, project_id=project.id, reason=ReviewReason.low_confidence, detail="-"
        )
        session.add(item)
        session.commit()
        users = (factory.user(Role.reviewer).id, factory.user(Role.reviewer).id)
        ids = (project.id, project.client_id, item.id)
    try:
        yield Arranged(sessions=sessions, item_id=ids[2], reviewers=users)
    finally:
        with engine.begin() as connection:
            connection.execute(delete(Project).where(Project.id == ids[0]))
            connection.execute(delete(Organization).where(Organization.id == ids[1]))
            connection.execute(delete(AuditEvent).where(AuditEvent.id > first_event))
            connection.execute(delete(User).where(User.id.in_(users)))


def test_two_reviewers_deciding_at_once_give_one_decision_and_one_409(
    arranged: Arranged, monkeypatch: pytest.MonkeyPatch
) -> None:
    barrier = threading.Barrier(2, timeout=2)
    get_task = tasks.get_task

    def wait_then_get_task(**kwargs: Any) -> Task:
        # Without the row lock both deciders pass the status check and meet here; with it the
        # second waits for the first to commit, so the first waits here alone until timeout.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return get_task(**kwargs)

    monkeypatch.setattr(tasks, "get_task", wait_then_get_task)

    def decide(user_id: int, answer: str) -> str:
        with arranged.sessions() as session:
            user = session.get_one(User, user_id)
            caller = Principal(user=user, via="token", scopes=frozenset(Scope), ip=None)
            try:
                review.do_decide(
                    session=session,
                    principal=caller,
                    item_id=arranged.item_id,
                    action=review.Action.correct,
                    answer=answer,
                    now=utcnow(),
                )
            except Conflict:
                session.rollback()
                return "409"
            return answer

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(decide, arranged.reviewers, ("negative", "neutral")))
    assert sorted(outcomes)[0] == "409"
    winner = next(o for o in outcomes if o != "409")
    with arranged.sessions() as session:
        item = session.get_one(ReviewItem, arranged.item_id)
        final = session.get_one(TaskConsensus, item.task_id)
        assert item.status is ReviewStatus.corrected and item.answer == winner
        assert (final.answer, final.source) == (winner, "adjudicated")
