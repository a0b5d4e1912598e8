"""Leases: expiry refuses late work at once, extension keeps long tasks, and the lean path.

The lean path is checked by counting statements: the claim and the submit must touch a fixed
number of statements whatever the project's size, so a change that adds a query per claim
fails here rather than only in the benchmark.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from crewline.db import utcnow
from crewline.errors import Conflict, NotFound
from crewline.projects.models import Project
from crewline.routing import service as routing
from crewline.tasks import service as tasks
from crewline.tasks.models import Assignment, AssignmentState, Task
from crewline.tasks.schemas import Submission
from tests.factories import Factory
from tests.routing.support import ingest, live_project, member, reviews

LEASE = timedelta(minutes=10)


def _claim(session: Session, project: Project, person_id: int, now: datetime) -> Assignment:
    leased = tasks.claim(
        session=session,
        project_id=project.id,
        person_id=person_id,
        gold=False,
        lease=LEASE,
        now=now,
    )
    assert leased is not None
    session.commit()
    return leased


def _submit(session: Session, person_id: int, assignment_id: int, now: datetime) -> Any:
    return tasks.do_submit(
        session=session,
        person_id=person_id,
        assignment_id=assignment_id,
        data=Submission(client_submission_id=f"s{assignment_id}", value="positive"),
        now=now,
    )


@pytest.fixture
def setup(factory: Factory, session: Session) -> tuple[Project, int, int]:
    """A live project with two tasks and two members (ids of the two people)."""
    project = live_project(factory)
    ingest(session, project, reviews(2))
    _user_a, alice = member(factory, project)
    _user_b, bob = member(factory, project)
    return project, alice.id, bob.id


def test_a_late_submission_is_refused_and_the_lease_timed_out_at_once(
    session: Session, setup: tuple[Project, int, int]
) -> None:
    project, alice, _bob = setup
    t0 = utcnow()
    leased = _claim(session, project, alice, t0)
    with pytest.raises(Conflict, match="expired"):
        _submit(session, alice, leased.id, t0 + LEASE + timedelta(seconds=1))
    session.expire_all()
    stored = session.get_one(Assignment, leased.id)
    assert stored.state is AssignmentState.timed_out and stored.value is None
    task = session.get_one(Task, leased.task_id)
    assert (task.leased_count, task.submitted_count, task.open) == (0, 0, True)


def test_submitting_exactly_at_expiry_is_too_late_and_just_before_is_not(
    session: Session, setup: tuple[Project, int, int]
) -> None:
    project, alice, _bob = setup
    t0 = utcnow()
    first = _claim(session, project, alice, t0)
    stored, _ = _submit(session, alice, first.id, t0 + LEASE - timedelta(microseconds=1))
    session.commit()
    assert stored.state is AssignmentState.submitted
    second = _claim(session, project, alice, t0)
    with pytest.raises(Conflict):
        _submit(session, alice, second.id, t0 + LEASE)


def test_an_expired_lease_cannot_be_skipped_or_returned_either(
    session: Session, setup: tuple[Project, int, int]
) -> None:
    project, alice, _bob = setup
    t0 = utcnow()
    leased = _claim(session, project, alice, t0)
    with pytest.raises(Conflict, match="expired"):
        tasks.do_release(
            session=session,
            person_id=alice,
            assignment_id=leased.id,
            state=AssignmentState.skipped,
            reason="unclear",
            now=t0 + LEASE * 2,
        )
    session.expire_all()
    assert session.get_one(Assignment, leased.id).state is AssignmentState.timed_out


def test_extending_moves_the_expiry_and_stops_at_the_hold_limit(
    session: Session, setup: tuple[Project, int, int]
) -> None:
    project, alice, _bob = setup
    t0 = utcnow()
    leased = _claim(session, project, alice, t0)
    at = t0 + timedelta(minutes=8)
    extended = tasks.do_extend(
        session=session, person_id=alice, assignment_id=leased.id, lease=LEASE, now=at
    )
    session.commit()
    assert extended.lease_expires_at == at + LEASE
    # Keep extending every eight minutes: the expiry never passes the hold limit.
    while extended.lease_expires_at < t0 + tasks.MAX_HOLD:
        at += timedelta(minutes=8)
        extended = tasks.do_extend(
            session=session, person_id=alice, assignment_id=leased.id, lease=LEASE, now=at
        )
        session.commit()
        assert extended.lease_expires_at <= t0 + tasks.MAX_HOLD
    assert extended.lease_expires_at == t0 + tasks.MAX_HOLD
    with pytest.raises(Conflict, match="expired"):
        tasks.do_extend(
            session=session,
            person_id=alice,
            assignment_id=leased.id,
            lease=LEASE,
            now=t0 + tasks.MAX_HOLD,
        )


def test_only_the_holder_extends_and_only_a_live_lease(
    session: Session, setup: tuple[Project, int, int]
) -> None:
    project, alice, bob = setup
    t0 = utcnow()
    leased = _claim(session, project, alice, t0)
    with pytest.raises(NotFound):
        tasks.do_extend(
            session=session, person_id=bob, assignment_id=leased.id, lease=LEASE, now=t0
        )
    session.rollback()
    _submit(session, alice, leased.id, t0)
    session.commit()
    with pytest.raises(Conflict, match="submitted"):
        tasks.do_extend(
            session=session, person_id=alice, assignment_id=leased.id, lease=LEASE, now=t0
        )


def test_the_extend_route_uses_the_projects_lease_length(
    factory: Factory, session: Session
) -> None:
    project = live_project(factory, lease_minutes=30)
    ingest(session, project, reviews(1))
    user, _person = member(factory, project)
    api = factory.api(user)
    item = api.post("/api/v1/work/next").json()
    before = datetime.fromisoformat(item["assignment"]["lease_expires_at"])
    response = api.post(f"/api/v1/work/{item['assignment']['id']}/extend")
    assert response.status_code == 200, response.text
    after = datetime.fromisoformat(response.json()["lease_expires_at"])
    assert after >= before and after - utcnow() > timedelta(minutes=29)
    other, _ = member(factory, project)
    refused = factory.api(other).post(f"/api/v1/work/{item['assignment']['id']}/extend")
    assert refused.status_code == 404


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    """The first word of each statement sent while the block runs, transaction control aside."""
    seen: list[str] = []
    bind = session.connection()

    def record(*args: Any) -> None:
        word = str(args[2]).split()[0].upper()
        if word not in {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}:
            seen.append(word)

    event.listen(bind, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(bind, "before_cursor_execute", record)


def test_claim_and_submit_take_a_fixed_handful_of_statements(
    session: Session, setup: tuple[Project, int, int]
) -> None:
    project, alice, _bob = setup
    now = utcnow()
    with _statements(session) as claim_sql:
        leased = tasks.claim(
            session=session,
            project_id=project.id,
            person_id=alice,
            gold=False,
            lease=LEASE,
            now=now,
        )
        assert leased is not None
    session.commit()
    postgresql = session.get_bind().dialect.name == "postgresql"
    assert claim_sql == (["WITH"] if postgresql else ["UPDATE", "INSERT"])
    with _statements(session) as view_sql:
        item = routing.work_item(session=session, assignment=leased)
    assert view_sql == ["SELECT"]
    assert item.task is not None and item.task.data["text"].startswith("Review")
    assert item.widget is not None and item.guidelines is not None
    with _statements(session) as submit_sql:
        _stored, completion = _submit(session, alice, leased.id, now)
    session.commit()
    assert submit_sql == ["SELECT", "UPDATE", "UPDATE"]
    assert completion is not None and completion.labels == 1
