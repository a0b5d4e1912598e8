"""The per-process memory of eligibility: fresh for its TTL, never a way around the gates."""

from __future__ import annotations

from datetime import timedelta
from random import Random

from sqlalchemy import update
from sqlalchemy.orm import Session

from crewline.db import utcnow
from crewline.people import service as people
from crewline.people.models import WorkerStatus
from crewline.people.schemas import WorkerUpdate
from crewline.projects import service as projects
from crewline.projects.models import ProjectMember
from crewline.projects.schemas import MemberCreate
from crewline.routing import service as routing
from crewline.routing.eligibility import Eligibility, EligibilityCache, Offer
from tests.factories import ACTOR, Factory
from tests.routing.support import ingest, live_project, member, reviews

ONE = Eligibility((Offer(1, 0.0, None),), None)


class Clock:
    """A hand-driven monotonic clock."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_is_fresh_for_its_ttl_and_then_forgotten() -> None:
    clock = Clock()
    cache = EligibilityCache(30, clock=clock)
    cache.put(7, ONE)
    clock.now += 29.9
    assert cache.get(7) == ONE
    clock.now += 0.1
    assert cache.get(7) is None


def test_a_zero_ttl_remembers_nothing_and_forget_drops_one_worker() -> None:
    assert EligibilityCache(0).get(7) is None
    off = EligibilityCache(0)
    off.put(7, ONE)
    assert off.get(7) is None
    cache = EligibilityCache(60)
    cache.put(7, ONE)
    cache.put(8, ONE)
    cache.forget(7)
    assert cache.get(7) is None and cache.get(8) == ONE


def test_the_memory_is_bounded() -> None:
    cache = EligibilityCache(60, max_entries=10)
    for person_id in range(25):
        cache.put(person_id, ONE)
    assert sum(cache.get(i) is not None for i in range(25)) <= 10
    assert cache.get(24) == ONE  # the newest is always kept


def _next(session: Session, person_id: int, cache: EligibilityCache) -> routing.NextTask:
    return routing.next_task(
        session=session,
        person_id=person_id,
        rng=Random(1),
        default_lease=timedelta(minutes=10),
        now=utcnow(),
        cache=cache,
    )


def test_a_paused_worker_gets_nothing_even_while_remembered(
    factory: Factory, session: Session
) -> None:
    project = live_project(factory)
    ingest(session, project, reviews(5))
    _user, person = member(factory, project)
    cache = EligibilityCache(600)
    assert _next(session, person.id, cache).assignment is not None
    assert cache.get(person.id) is not None
    people.do_update_worker(
        session=session,
        actor=ACTOR,
        person_id=person.id,
        data=WorkerUpdate(status=WorkerStatus.paused, status_reason="quality review"),
    )
    outcome = _next(session, person.id, cache)
    assert outcome.assignment is None and outcome.reason is not None
    assert "paused" in outcome.reason  # decided again from the database, so the reason is right


def test_a_worker_removed_from_a_project_stops_at_once_and_moves_to_the_next(
    factory: Factory, session: Session
) -> None:
    first = live_project(factory)
    ingest(session, first, reviews(5))
    _user, person = member(factory, first)
    cache = EligibilityCache(600)
    assert _next(session, person.id, cache).assignment is not None
    second = live_project(factory)
    ingest(session, second, reviews(5))
    projects.do_add_member(
        session=session, actor=ACTOR, project_id=second.id, data=MemberCreate(person_id=person.id)
    )
    session.execute(
        update(ProjectMember)
        .where(ProjectMember.project_id == first.id, ProjectMember.person_id == person.id)
        .values(left_at=utcnow())
    )
    session.commit()
    outcome = _next(session, person.id, cache)
    assert outcome.assignment is not None and outcome.assignment.project_id == second.id
    assert cache.get(person.id) == Eligibility((Offer(second.id, 0.0, None),), None)
