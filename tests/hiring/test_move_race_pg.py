"""Two recruiters moving the same candidates at once, against real PostgreSQL.

Real, committed transactions (not the per-test rollback), removed again afterwards. Without
the row lock both would see the candidates at ``sourced``, both would move them, and every
candidate would get two events and two messages; with it the second waits for the first,
finds them already screened, and moves nobody.
"""

from __future__ import annotations

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
from crewline.config import Settings
from crewline.db import make_sessionmaker
from crewline.errors import Conflict
from crewline.hiring import service
from crewline.hiring.models import Application, Message, Requisition, StageEvent
from crewline.hiring.schemas import ApplicationCreate, MoveRequest, RequisitionCreate
from crewline.people.models import Person
from tests.factories import ACTOR, Factory

pytestmark = pytest.mark.postgres


@dataclass(frozen=True)
class Arranged:
    sessions: sessionmaker[Session]
    applications: list[int]


@pytest.fixture
def arranged(engine: Engine, settings: Settings, embedder: Any) -> Iterator[Arranged]:
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (CI runs the suite there too)")
    sessions = make_sessionmaker(engine)
    app: FastAPI = create_app(settings, session_factory=sessions, embedder=embedder)
    with sessions() as session:
        first_event = session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))
        factory = Factory(session=session, app=app, embedder=embedder)
        requisition = service.do_create_requisition(
            session=session,
            actor=ACTOR,
            data=RequisitionCreate(
                title="Race", role_type="annotator", headcount=5, regions=["LATAM"]
            ),
            embedder=None,
        )
        people = [factory.person(worker=None).id for _ in range(6)]
        applications = [
            service.do_apply(
                session=session,
                actor=ACTOR,
                data=ApplicationCreate(person_id=p, requisition_id=requisition.id),
                portal_url="http://x/portal",
            ).id
            for p in people
        ]
        requisition_id = requisition.id
    try:
        yield Arranged(sessions=sessions, applications=applications)
    finally:
        with engine.begin() as connection:
            connection.execute(delete(Person).where(Person.id.in_(people)))
            connection.execute(delete(Requisition).where(Requisition.id == requisition_id))
            connection.execute(delete(AuditEvent).where(AuditEvent.id > first_event))


def test_two_recruiters_moving_the_same_people_move_each_once(arranged: Arranged) -> None:
    barrier = threading.Barrier(2, timeout=5)

    def recruiter(order: list[int]) -> str:
        with arranged.sessions() as session:
            barrier.wait()
            try:
                report = service.do_move(
                    session=session,
                    actor=ACTOR,
                    data=MoveRequest(application_ids=order, to_stage="screened"),
                    portal_url="http://x/portal",
                )
            except Conflict as exc:
                return f"refused: {len(exc.details or [])}"
            return f"moved: {len(report.moved)}"

    ids = arranged.applications
    # Opposite orders: the locks are taken in id order, so this cannot deadlock either.
    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(recruiter, [ids, ids[::-1]]))
    assert outcomes == ["moved: 6", "refused: 6"]
    with arranged.sessions() as session:
        moves = session.scalar(
            select(func.count())
            .select_from(StageEvent)
            .where(StageEvent.application_id.in_(ids), StageEvent.to_stage == "screened")
        )
        told = session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.application_id.in_(ids), Message.subject.like("Next step%"))
        )
        stages = set(session.scalars(select(Application.stage).where(Application.id.in_(ids))))
    assert (moves, told, stages) == (6, 6, {"screened"})
