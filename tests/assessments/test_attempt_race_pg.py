"""Two tabs finishing (or starting) the same attempt at once, against real PostgreSQL.

Real, committed transactions, removed again afterwards. Without the row lock on the attempt
both finishes would grade it, both would move the application and the candidate would get two
messages; with it the second waits, finds the attempt finished and changes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from random import Random
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from crewline.app import create_app
from crewline.assessments import attempts
from crewline.assessments.models import Attempt
from crewline.audit.models import AuditEvent
from crewline.auth.models import User
from crewline.config import Settings
from crewline.db import make_sessionmaker, utcnow
from crewline.errors import Conflict
from crewline.hiring.models import Message, Requisition, StageEvent
from crewline.orgs.models import Organization
from crewline.people.models import Person
from crewline.projects.models import Project
from tests.assessments.support import PORTAL, answer_all, build, start, world
from tests.factories import Factory

pytestmark = pytest.mark.postgres
SAME_MOMENT = "an attempt was started at the same moment; reload to resume it"


@dataclass(frozen=True)
class Arranged:
    sessions: sessionmaker[Session]
    assessment_id: int
    person_id: int
    attempt_id: int
    application_id: int
    fresh_assessment_id: int


@pytest.fixture
def arranged(engine: Engine, settings: Settings, embedder: Any) -> Iterator[Arranged]:
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (CI runs the suite there too)")
    sessions = make_sessionmaker(engine)
    app: FastAPI = create_app(settings, session_factory=sessions, embedder=embedder)
    with sessions() as session:
        first_event = session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))
        first_user = session.scalar(select(func.coalesce(func.max(User.id), 0)))
        first_person = session.scalar(select(func.coalesce(func.max(Person.id), 0)))
        first_org = session.scalar(select(func.coalesce(func.max(Organization.id), 0)))
        first_project = session.scalar(select(func.coalesce(func.max(Project.id), 0)))
        factory = Factory(session=session, app=app, embedder=embedder)
        w = world(factory)
        built = build(w, items_per_attempt=5)
        sitting = start(w, built["id"])
        answer_all(w, sitting, right=5)
        fresh = build(w, name="Second sitting", items_per_attempt=3)
        arranged = Arranged(
            sessions=sessions,
            assessment_id=built["id"],
            person_id=w.candidate.id,
            attempt_id=sitting["attempt"]["id"],
            application_id=w.application.id,
            fresh_assessment_id=fresh["id"],
        )
        requisition_id = w.application.requisition_id
    try:
        yield arranged
    finally:
        with engine.begin() as connection:
            connection.execute(delete(Person).where(Person.id > first_person))
            connection.execute(delete(Requisition).where(Requisition.id == requisition_id))
            connection.execute(delete(Project).where(Project.id > first_project))
            connection.execute(delete(Organization).where(Organization.id > first_org))
            connection.execute(delete(User).where(User.id > first_user))
            connection.execute(delete(AuditEvent).where(AuditEvent.id > first_event))


def test_two_finishes_at_once_grade_and_move_once(arranged: Arranged) -> None:
    barrier = threading.Barrier(2, timeout=5)

    def tab(_: int) -> str:
        with arranged.sessions() as session:
            barrier.wait()
            attempt = attempts.do_finish(
                session=session,
                attempt_id=arranged.attempt_id,
                person_id=arranged.person_id,
                now=utcnow(),
                portal_url=PORTAL,
            )
            return attempt.outcome.value if attempt.outcome else "none"

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(tab, range(2)))
    assert outcomes == ["passed", "passed"]
    with arranged.sessions() as session:
        moves = session.scalar(
            select(func.count())
            .select_from(StageEvent)
            .where(StageEvent.application_id == arranged.application_id)
            .where(StageEvent.to_stage == "qualified")
        )
        told = session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.application_id == arranged.application_id)
            .where(Message.subject.like("You qualified%"))
        )
        noted = session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.application_id == arranged.application_id)
            .where(Message.subject.like("Your result%"))
        )
    # graded once: a second grading would find the application qualified and write a note
    assert (moves, told, noted) == (1, 1, 0)


def test_two_starts_at_once_make_one_attempt(arranged: Arranged) -> None:
    barrier = threading.Barrier(2, timeout=5)

    def tab(seed: int) -> str:
        with arranged.sessions() as session:
            barrier.wait()
            try:
                attempt, started = attempts.do_start(
                    session=session,
                    assessment_id=arranged.fresh_assessment_id,
                    person_id=arranged.person_id,
                    application_id=None,
                    now=utcnow(),
                    rng=Random(seed),
                )
            except Conflict as exc:
                return f"refused: {exc.message}"
            return f"attempt {attempt.number} started={started}"

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(tab, range(2)))
    assert "attempt 1 started=True" in results
    assert results in (
        ["attempt 1 started=False", "attempt 1 started=True"],
        [
            "attempt 1 started=True",
            "refused: an attempt was started at the same moment; reload to resume it",
        ],
    )
    with arranged.sessions() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Attempt)
            .where(Attempt.assessment_id == arranged.fresh_assessment_id)
        )
    assert count == 1
