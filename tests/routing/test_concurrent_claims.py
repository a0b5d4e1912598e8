"""Many workers claiming and submitting at once, on real committed transactions.

Runs on whichever database the suite runs on (SQLite by default, PostgreSQL in CI), in a
database of its own, and checks the invariants the issue names: no task gets more than its
overlap in distinct workers, no worker labels a task twice, no submission is lost, and an
expired lease is reclaimed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from random import Random

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from crewline import migrate
from crewline.db import make_engine, make_sessionmaker, utcnow
from crewline.orgs import service as orgs
from crewline.orgs.models import OrgKind
from crewline.orgs.schemas import OrgCreate
from crewline.people import service as people
from crewline.projects import service as projects
from crewline.projects.schemas import MemberCreate, ProjectCreate
from crewline.routing import service as routing
from crewline.tasks import ingest
from crewline.tasks import service as tasks
from crewline.tasks.models import Assignment, AssignmentState, Task
from crewline.tasks.schemas import Submission
from tests.conftest import TEST_DB_ENV
from tests.factories import ACTOR
from tests.routing.support import LABELS

WORKERS = 12
TASKS = 60
OVERLAP = 3


@pytest.fixture
def isolated(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A database of its own, migrated, dropped afterwards."""
    url = os.environ.get(TEST_DB_ENV)
    schema = None
    if url and url.startswith("postgresql"):
        schema = "crewline_claims_" + os.environ.get("PYTEST_XDIST_WORKER", "main")
        admin = make_engine(url)
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
        url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    engine: Engine = make_engine(url or f"sqlite:///{tmp_path / 'claims.db'}")
    migrate.upgrade(engine)
    yield make_sessionmaker(engine)
    engine.dispose()
    if schema is not None:
        admin = make_engine(os.environ[TEST_DB_ENV])
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def _setup(sessions: sessionmaker[Session], embedder) -> tuple[int, list[int]]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        client = orgs.do_create_org(
            session=session,
            actor=ACTOR,
            data=OrgCreate(kind=OrgKind.client, name="Lab", country="US", currency="USD"),
        )
        project = projects.do_create_project(
            session=session,
            actor=ACTOR,
            data=ProjectCreate(
                client_id=client.id,
                name="Claims",
                status="live",
                overlap=OVERLAP,
                gold_rate=0.2,
                label_schema=LABELS,
                guidelines="# Read it",
                lease_minutes=1,
            ),
        )
        rows = [{"external_id": f"t{i}", "data": {"text": f"item {i}"}} for i in range(TASKS)]
        rows += [
            {"external_id": f"g{i}", "data": {"text": "gold"}, "gold_answer": "neutral"}
            for i in range(5)
        ]
        schema = projects.label_schema(session=session, project=project)
        ingest.do_ingest(
            session=session, actor=ACTOR, project=project, schema=schema, rows=rows, now=utcnow()
        )
        persons = people.do_create_people(
            session=session,
            actor=ACTOR,
            embedder=embedder,
            rows=[
                people.PersonCreate(
                    full_name=f"Worker {i}",
                    email=f"w{i}@example.org",
                    country="PH",
                    region="SEA",
                    time_zone="Asia/Manila",
                    classification="contractor",
                    worker={"tier": "tier_1", "status": "active", "availability_hours": 20},
                )
                for i in range(WORKERS)
            ],
        )
        for person in persons:
            projects.do_add_member(
                session=session,
                actor=ACTOR,
                project_id=project.id,
                data=MemberCreate(person_id=person.id),
                commit=False,
            )
        session.commit()
        return project.id, [p.id for p in persons]


def _work(sessions: sessionmaker[Session], person_id: int, seed: int, abandon: set[int]) -> int:
    """Claim and submit until there is nothing left; abandon some leases on purpose."""
    rng = Random(seed)
    done = 0
    while True:
        with sessions() as session:
            outcome = routing.next_task(
                session=session,
                person_id=person_id,
                rng=rng,
                default_lease=timedelta(minutes=1),
                now=utcnow(),
            )
            if outcome.assignment is None:
                return done
            assignment = outcome.assignment
            if assignment.task_id in abandon and rng.random() < 0.5:
                continue  # walk away holding the lease: the sweeper must reclaim it
            tasks.do_submit(
                session=session,
                person_id=person_id,
                assignment_id=assignment.id,
                data=Submission(
                    client_submission_id=f"{person_id}-{assignment.id}", value="positive"
                ),
                now=utcnow(),
            )
            session.commit()
            done += 1


def test_concurrent_claimers_keep_every_invariant(
    isolated: sessionmaker[Session], embedder
) -> None:  # type: ignore[no-untyped-def]
    project_id, workers = _setup(isolated, embedder)
    abandon = set(range(1, 8))
    start = threading.Barrier(len(workers))

    def run(args: tuple[int, int]) -> int:
        start.wait()
        return _work(isolated, args[1], args[0], abandon)

    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        first_round = sum(pool.map(run, enumerate(workers)))
    with isolated() as session:
        reclaimed = tasks.expire_leases(session=session, now=utcnow() + timedelta(minutes=2))
    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        second_round = sum(
            pool.map(lambda a: _work(isolated, a[1], 100 + a[0], set()), enumerate(workers))
        )

    with isolated() as session:
        submitted = session.scalar(
            select(func.count())
            .select_from(Assignment)
            .where(Assignment.state == AssignmentState.submitted)
        )
        assert submitted == first_round + second_round  # no submission lost
        per_task = session.execute(
            select(Assignment.task_id, func.count(Assignment.person_id.distinct()), func.count())
            .where(Assignment.state.in_([AssignmentState.submitted, AssignmentState.leased]))
            .group_by(Assignment.task_id)
        ).all()
        assert all(distinct == total <= OVERLAP for _, distinct, total in per_task)
        for task in session.scalars(select(Task).where(Task.project_id == project_id)):
            held = session.scalar(
                select(func.count())
                .select_from(Assignment)
                .where(Assignment.task_id == task.id, Assignment.state == AssignmentState.submitted)
            )
            assert task.submitted_count == held == task.required_labels  # everything got labelled
            assert task.leased_count == 0 and task.open is False and task.completed_at is not None
        assert reclaimed == session.scalar(
            select(func.count())
            .select_from(Assignment)
            .where(Assignment.state == AssignmentState.timed_out)
        )
    assert reclaimed > 0  # some leases were abandoned and came back
